"""Thin Celery tasks: the work is in core.notifications and core.sweeps."""

from celery import shared_task

from core.notifications import notification_email_send
from core.sweeps import sweep_run


@shared_task
def send_notification_email(notification_id: int) -> bool:
    """Send one notification's e-mail copy (queued on commit by ``notify``). One attempt: a failure
    is recorded on the notification and retried by the ``core.notification_emails`` sweep."""
    return notification_email_send(notification_id=notification_id)


@shared_task
def run_sweep(name: str) -> dict:
    """Run a registered sweep by name (Celery beat: one entry per sweep, see CELERY_BEAT_SCHEDULE)."""
    return sweep_run(name).as_dict()
