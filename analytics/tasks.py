"""Thin Celery tasks: the work is in analytics.exports."""

from celery import shared_task

from analytics.exports import export_write


@shared_task
def write_analytics_export(export_id: int) -> str:
    """Write one requested CSV export and mark it ready (or failed)."""
    return export_write(export_id)
