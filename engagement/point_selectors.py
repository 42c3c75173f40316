"""Reads of the points area: a member's ledger (newest first), their streak, whether today's
check-in is done. Every read is scoped to the member's own community and account."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from communities.models import Membership
from engagement import points
from engagement.models import DailyCheckIn, PointsEntry


def ledger(membership: Membership) -> QuerySet[PointsEntry]:
    """The member's points lines here, newest first (append-only: ids only grow)."""
    return PointsEntry.objects.filter(community_id=membership.community_id,
                                      member_id=membership.user_id).order_by("-created_at", "-id")


def todays_check_in(membership: Membership, now: datetime | None = None) -> DailyCheckIn | None:
    today = points.local_day(membership.community, now or timezone.now())
    return DailyCheckIn.objects.filter(community_id=membership.community_id, member_id=membership.user_id,
                                       day=today).first()


def summary(membership: Membership, now: datetime | None = None) -> dict:
    """Balance, lifetime, current streak and today's check-in (None: not yet) in two queries."""
    account = points.account_of(membership)
    day = points.local_day(membership.community, now or timezone.now())
    last = (DailyCheckIn.objects.filter(community_id=membership.community_id, member_id=membership.user_id,
                                        day__gte=day - timedelta(days=1)).order_by("-day").first())
    today = last if last is not None and last.day == day else None
    return {"balance": account.balance, "lifetime": account.lifetime, "streak": last.streak if last else 0,
            "checked_in_today": today is not None, "today": today}


def earned_on(membership: Membership, check_in: DailyCheckIn) -> int:
    """The points a check-in earned (its day's line plus any streak bonus)."""
    keys = [f"check_in:{membership.user_id}:{check_in.day}", f"streak:{membership.user_id}:{check_in.day}"]
    return sum(PointsEntry.objects.filter(community_id=membership.community_id, key__in=keys)
               .values_list("amount", flat=True))
