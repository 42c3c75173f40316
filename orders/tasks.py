"""Periodic sweeps (Celery beat, every minute). Each finds due rows by indexed due-times, claims
them with SKIP LOCKED and settles them idempotently, so two workers running one sweep is harmless."""

from celery import shared_task

from orders import services


@shared_task
def open_due_group_buys() -> int:
    return services.group_buy_open_due()


@shared_task
def close_due_group_buys() -> int:
    return services.group_buy_close_due()


@shared_task
def expire_unpaid_orders() -> int:
    return services.order_expire_due()


@shared_task
def settle_due_teams() -> int:
    return services.team_settle_due()


@shared_task
def send_reminders() -> int:
    return services.remind_closing_soon() + services.remind_unpaid()
