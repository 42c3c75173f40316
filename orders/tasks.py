"""Orders' periodic work runs as sweeps (orders/sweeps.py) through core.tasks.run_sweep; these
names stay for messages queued before the move, and call the same sweeps."""

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
    return services.remind_closing_soon() + services.remind_unpaid() + services.remind_transfers()


@shared_task(acks_late=True)
def tell_coupon_batch(batch_id: int) -> int:
    """Tell the members of a coupon hand-out (the dedupe key makes a redelivered task harmless)."""
    from orders.coupons import coupon_batch_tell

    return coupon_batch_tell(batch_id)
