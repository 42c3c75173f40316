"""Points (积分): an append-only ledger per member and community, and the account that sums it.

Points are earned by reacting to what the other apps tell (core.events): a completed order
(``order.completed``: points per yuan, by the community's rule), a refund of a completed order
(``order.refunded``: the order's points go back, once), attending an event (``event.attended``),
and by the daily check-in (签到) with a streak bonus. Every ledger line has a unique key (the
order, the event's RSVP, the day), so a handler that runs twice, or two check-ins at once, write
one line; the account changes in the same statement batch as its line, so the balance is always
the ledger's sum without reading the ledger.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.permissions import Perm, check_perm
from core.exceptions import Conflict
from engagement.common import engagement_settings
from engagement.models import DailyCheckIn, PointsAccount, PointsEntry, PointsTotal
from engagement.points_checkout import ledger_line


def points_award(*, community_id: int, member_id: int, amount: int, reason: str, key: str, note: str = "") -> bool:
    """Write one ledger line and move the account with it; False (and nothing written) when the
    key was written before or the amount is zero. Call inside a transaction."""
    if not amount:
        return False
    accounts = PointsAccount._meta.db_table
    with connection.cursor() as cursor:
        if not ledger_line(cursor, community_id=community_id, member_id=member_id, amount=amount, reason=reason,
                           key=key, note=note):
            return False
        cursor.execute(
            f"""INSERT INTO {accounts} (community_id, member_id, balance, lifetime, updated_at)
                VALUES (%s, %s, %s, %s, now())
                ON CONFLICT (community_id, member_id) DO UPDATE
                SET balance = {accounts}.balance + EXCLUDED.balance,
                    lifetime = {accounts}.lifetime + EXCLUDED.lifetime, updated_at = now()""",
            [community_id, member_id, amount, max(amount, 0)])
        _add_to_totals(cursor, community_id, member_id, amount)
    return True


ALL_TIME = date(2000, 1, 1)


def periods(community, at: datetime) -> list[tuple[str, date]]:
    """The week (from Monday), the month and all time that ``at`` falls in, in the community's days."""
    day = local_day(community, at)
    return [("week", day - timedelta(days=day.weekday())), ("month", day.replace(day=1)), ("all", ALL_TIME)]


def _add_to_totals(cursor, community_id: int, member_id: int, amount: int) -> None:
    from communities.models import Community

    community = Community.objects.only("timezone").get(pk=community_id)
    branch_id = (Membership.objects.filter(community_id=community_id, user_id=member_id)
                 .values_list("branch_id", flat=True).first())
    table = PointsTotal._meta.db_table
    for period, starts_on in periods(community, timezone.now()):
        cursor.execute(
            f"""INSERT INTO {table} (community_id, member_id, branch_id, period, starts_on, points)
                VALUES (%s, %s, %s, %s, %s, %s)
                ON CONFLICT (community_id, member_id, period, starts_on) DO UPDATE
                SET points = {table}.points + EXCLUDED.points, branch_id = EXCLUDED.branch_id""",
            [community_id, member_id, branch_id, period, starts_on, amount])


def leaderboard(community, *, period: str = "week", branch=None, limit: int = 20, now: datetime | None = None):
    """The top members for the period (and branch), from the totals: one indexed query."""
    starts_on = dict(periods(community, now or timezone.now()))[period]
    rows = PointsTotal.objects.filter(community_id=community.pk, period=period, starts_on=starts_on, points__gt=0)
    if branch is not None:
        rows = rows.filter(branch_id=branch.pk)
    return list(rows.select_related("member").order_by("-points", "member_id")[:limit])


def account_of(membership: Membership) -> PointsAccount:
    """The member's points here (an empty account when they have none yet)."""
    return (PointsAccount.objects.filter(community_id=membership.community_id, member_id=membership.user_id).first()
            or PointsAccount(community_id=membership.community_id, member_id=membership.user_id))


# Reacting to the other apps --------------------------------------------------------------------

def _rules(community_id: int):
    from communities.models import Community

    return engagement_settings(Community(pk=community_id))


def on_order_completed(event) -> None:
    """Points per whole yuan the member paid for the order."""
    rules = _rules(event.community_id)
    points = int((Decimal(event.payload["total"]) * rules.points_per_yuan).to_integral_value(rounding=ROUND_DOWN))
    points_award(community_id=event.community_id, member_id=event.payload["member_id"], amount=points,
                 reason=PointsEntry.Reason.ORDER, key=f"order:{event.payload['order_id']}")


def on_order_refunded(event) -> None:
    """A refund of a completed order takes its points back, once (buying and refunding mints nothing)."""
    order_key = f"order:{event.payload['order_id']}"
    earned = PointsEntry.objects.filter(community_id=event.community_id, key=order_key).first()
    if earned is None:
        return
    points_award(community_id=event.community_id, member_id=earned.member_id, amount=-earned.amount,
                 reason=PointsEntry.Reason.ORDER_REVERSED, key=f"{order_key}:reversed")


def on_event_attended(event) -> None:
    rules = _rules(event.community_id)
    points_award(community_id=event.community_id, member_id=event.payload["member_id"],
                 amount=rules.points_event_attended, reason=PointsEntry.Reason.EVENT,
                 key=f"event:{event.payload['event_id']}:{event.payload['member_id']}")


def on_comment_featured(event) -> None:
    """An admin featured (pinned) a comment: its author earns ``points_featured_comment``, once per
    comment (the key), however often it is pinned again. Unpinning keeps the points: they reward
    having been featured, and taking them back on every unpin would let a slip of the finger cost
    a member. Nothing for an admin featuring their own comment, for a comment deleted since, or
    for an author who is no longer an active member."""
    from engagement.models import Comment

    payload = event.payload
    member_id = payload["member_id"]
    if payload.get("pinned_by") == member_id:
        return
    if not Comment.objects.filter(community_id=event.community_id, pk=payload["comment_id"]).exists():
        return
    if not Membership.objects.filter(community_id=event.community_id, user_id=member_id,
                                     status=Membership.Status.ACTIVE).exists():
        return
    rules = _rules(event.community_id)
    points_award(community_id=event.community_id, member_id=member_id, amount=rules.points_featured_comment,
                 reason=PointsEntry.Reason.FEATURED, key=f"featured:{payload['comment_id']}")


HANDLERS = {"order.completed": on_order_completed, "order.refunded": on_order_refunded,
            "event.attended": on_event_attended, "comment.featured": on_comment_featured}


# Daily check-in --------------------------------------------------------------------------------

def local_day(community, at: datetime) -> date:
    return timezone.localtime(at, zoneinfo.ZoneInfo(community.timezone)).date()


def daily_check_in(*, membership: Membership, now: datetime | None = None) -> tuple[DailyCheckIn, int]:
    """签到 for today (the community's calendar day): (the check-in, points earned). The streak
    counts consecutive days; every ``streak_bonus_every`` days it earns the bonus too. A second
    check-in the same day (or two at once) is refused with 409 ``checked_in_today``."""
    check_perm(membership, Perm.VIEW)
    now = now or timezone.now()
    community = membership.community
    today = local_day(community, now)
    rules = engagement_settings(community)
    try:
        with transaction.atomic():
            yesterday = DailyCheckIn.objects.filter(community_id=community.pk, member_id=membership.user_id,
                                                    day=today - timedelta(days=1)).first()
            streak = yesterday.streak + 1 if yesterday else 1
            check_in = DailyCheckIn.objects.create(community_id=community.pk, member_id=membership.user_id,
                                                   day=today, streak=streak)
            earned = 0
            if points_award(community_id=community.pk, member_id=membership.user_id, amount=rules.points_check_in,
                            reason=PointsEntry.Reason.CHECK_IN, key=f"check_in:{membership.user_id}:{today}"):
                earned += rules.points_check_in
            if streak % rules.streak_bonus_every == 0 and points_award(
                    community_id=community.pk, member_id=membership.user_id, amount=rules.streak_bonus_points,
                    reason=PointsEntry.Reason.STREAK, key=f"streak:{membership.user_id}:{today}",
                    note=_("%(days)s days in a row") % {"days": streak}):
                earned += rules.streak_bonus_points
    except IntegrityError:
        raise Conflict(_("You have checked in today already. Come back tomorrow!"), code="checked_in_today") from None
    return check_in, earned


def current_streak(membership: Membership, now: datetime | None = None) -> int:
    """Days in a row up to today, or up to yesterday when today's check-in is still to come."""
    today = local_day(membership.community, now or timezone.now())
    last = (DailyCheckIn.objects.filter(community_id=membership.community_id, member_id=membership.user_id,
                                        day__gte=today - timedelta(days=1)).order_by("-day").first())
    return last.streak if last else 0
