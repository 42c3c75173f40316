from celery import shared_task

from communities.services import join_request_digest_send


@shared_task
def send_join_request_digests() -> int:
    return join_request_digest_send()
