from celery import shared_task

from core.sweeps import sweep_run


@shared_task
def send_join_request_digests() -> dict:
    """Kept for messages queued under this name; beat runs core.tasks.run_sweep instead."""
    return sweep_run("communities.join_request_digest").as_dict()
