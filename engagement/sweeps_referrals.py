"""Periodic work of the referrals area: rewards falling due once the refund window has passed
(core.sweeps), imported by engagement/sweeps.py. Beat runs it every 10 minutes."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from core.sweeps import Sweep, register
from engagement import referrals as services
from engagement.models import Referral


@register
class ReferralRewardSweep(Sweep):
    """A due referral (status due, its first order's refund window passed) is claimed under its row
    lock (SKIP LOCKED: two runs at once never take the same row) and settled once: rewarded, held
    or rejected. The status is the "done" marker, re-read under the lock by the claim; the points
    line and the coupon are keyed on the referral besides."""

    name = "engagement.referral_rewards"
    label = _("Paying referral rewards once the refund window has passed")

    def due(self, now: datetime):
        return Referral.objects.filter(status=Referral.Status.DUE, due_at__lte=now).order_by("due_at", "pk")

    def settle(self, obj: Referral, now: datetime) -> None:
        services.referral_pay_due(referral=obj, now=now)

    def console_url(self, obj: Referral) -> str:
        from django.urls import reverse

        from communities.models import Community

        slug = Community.objects.filter(pk=obj.community_id).values_list("slug", flat=True).first()
        return reverse("engagement_console:referrals", kwargs={"slug": slug}) + f"?status=due#referral-{obj.pk}"

    def describe(self, obj: Referral) -> str:
        return f"#{obj.pk}"
