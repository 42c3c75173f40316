"""Spending points at checkout (积分抵现): the redeemer orders asks (orders.discounts), and points
given back when the order they paid for is cancelled.

The community sets the rate (``points_per_yuan_off`` points take one yuan off; 0 switches it off)
and the cap (``points_max_percent_off`` of the order after any coupon). Spending is a ledger line
keyed by the order and a guarded update of the balance, in the order's transaction: two orders
at once cannot spend the same points, and the balance never goes below zero by spending. Spent
points are not "earned": lifetime points (levels) and the leaderboards do not move.

Given back, once (the key), when the order is cancelled or expires, or is refunded before it was
completed, as coupons are; a refund after completion keeps them spent.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from core.exceptions import Conflict
from engagement.common import engagement_settings
from engagement.models import PointsAccount, PointsEntry
from orders.discounts import PointsOffer


def ledger_line(cursor, *, community_id: int, member_id: int, amount: int, reason: str, key: str,
                note: str = "") -> bool:
    """Write one ledger line unless its key was written; True when written. The balance is the caller's."""
    cursor.execute(
        f"""INSERT INTO {PointsEntry._meta.db_table} (community_id, member_id, amount, reason, key, note, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (community_id, key) DO NOTHING RETURNING id""",
        [community_id, member_id, amount, reason, key[:120], note[:200]])
    return cursor.fetchone() is not None


def take_from_balance(cursor, *, community_id: int, member_id: int, points: int) -> bool:
    """Spend ``points`` of the balance if it holds them (a guarded update): False when it does not."""
    cursor.execute(
        f"""UPDATE {PointsAccount._meta.db_table} SET balance = balance - %s, updated_at = now()
            WHERE community_id = %s AND member_id = %s AND balance >= %s RETURNING id""",
        [points, community_id, member_id, points])
    return cursor.fetchone() is not None


def _offer(*, community_id: int, member_id: int, amount: Decimal, balance: int | None = None) -> PointsOffer | None:
    from communities.models import Community

    rules = engagement_settings(Community(pk=community_id))
    rate, percent = rules.points_per_yuan_off, rules.points_max_percent_off
    if not rate or not percent:
        return None
    if balance is None:
        balance = (PointsAccount.objects.filter(community_id=community_id, member_id=member_id)
                   .values_list("balance", flat=True).first() or 0)
    cap_cents = int(amount * 100) * percent // 100
    points = min(balance, cap_cents * rate // 100)
    discount_cents = points * 100 // rate
    if discount_cents <= 0:
        return None
    cost = -(-discount_cents * rate // 100)  # the points these cents cost, rounded up: never a free cent
    return PointsOffer(points=cost, discount=Decimal(discount_cents) / 100, balance=balance)


class CheckoutPoints:
    """The redeemer engagement registers with orders (engagement/apps.py)."""

    def offer(self, *, community_id: int, member_id: int, amount: Decimal) -> PointsOffer | None:
        return _offer(community_id=community_id, member_id=member_id, amount=amount)

    def spend(self, *, community_id: int, member_id: int, order_id: int, offer: PointsOffer) -> None:
        with connection.cursor() as cursor:
            if not take_from_balance(cursor, community_id=community_id, member_id=member_id,
                                     points=offer.points) or not ledger_line(
                    cursor, community_id=community_id, member_id=member_id, amount=-offer.points,
                    reason=PointsEntry.Reason.SPENT, key=f"spent:order:{order_id}"):
                raise Conflict(_("Your points have just changed: look at the order again."), code="points_changed",
                               fields={"use_points": [_("Not enough points.")]})


def give_back(*, community_id: int, order_id: int) -> bool:
    """Return the points an order spent, once. True when given back now."""
    spent = PointsEntry.objects.filter(community_id=community_id, key=f"spent:order:{order_id}").first()
    if spent is None:
        return False
    with connection.cursor() as cursor:
        if not ledger_line(cursor, community_id=community_id, member_id=spent.member_id, amount=-spent.amount,
                            reason=PointsEntry.Reason.SPENT_RETURNED, key=f"spent:order:{order_id}:returned"):
            return False
        cursor.execute(f"""UPDATE {PointsAccount._meta.db_table} SET balance = balance + %s, updated_at = now()
                           WHERE community_id = %s AND member_id = %s""",
                       [-spent.amount, community_id, spent.member_id])
    return True


def on_order_cancelled(event) -> None:
    from django.db import transaction

    with transaction.atomic():
        give_back(community_id=event.community_id, order_id=event.payload["order_id"])


def on_order_refunded(event) -> None:
    """An admin's refund before the order was completed gives the points back, as a cancellation does;
    a price-tier refund (part of the price) or a refund after completion does not."""
    if event.payload.get("reason") == "admin" and not event.payload.get("completed"):
        from django.db import transaction

        with transaction.atomic():
            give_back(community_id=event.community_id, order_id=event.payload["order_id"])


HANDLERS = {"order.cancelled": on_order_cancelled, "order.refunded": on_order_refunded}
