"""Demo data for referrals: one rewarded referral (the demo loader calls ``seed_referral``)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from engagement.common import engagement_settings
from engagement.models import PointsEntry, Referral
from engagement.points import points_award


def seed_referral(community, referrer, invitee) -> Referral:
    """A referral of ``invitee`` (a user or a membership) by ``referrer`` that was rewarded: their
    first completed order (if they have one) past its refund window, the points in the referrer's
    ledger. Running it again changes nothing."""
    from orders.models import Order

    referrer = getattr(referrer, "user", referrer)
    invitee = getattr(invitee, "user", invitee)
    existing = Referral.objects.filter(community_id=community.pk, invitee_id=invitee.pk).first()
    if existing is not None:
        return existing
    rules = engagement_settings(community)
    now = timezone.now()
    order = (Order.objects.filter(community_id=community.pk, member_id=invitee.pk, completed_at__isnull=False)
             .order_by("completed_at", "pk").first())
    completed_at = order.completed_at if order else now - timedelta(days=rules.referral_refund_window_days + 1)
    with transaction.atomic():
        referral = Referral.objects.create(
            community_id=community.pk, referrer_id=referrer.pk, invitee_id=invitee.pk,
            status=Referral.Status.REWARDED, joined_at=completed_at - timedelta(days=3), order=order,
            due_at=completed_at + timedelta(days=rules.referral_refund_window_days), points=rules.referral_points,
            decided_at=min(now, completed_at + timedelta(days=rules.referral_refund_window_days, minutes=10)))
        points_award(community_id=community.pk, member_id=referrer.pk, amount=rules.referral_points,
                     reason=PointsEntry.Reason.REFERRAL, key=f"referral:{referral.pk}", note=invitee.display_name)
    return referral
