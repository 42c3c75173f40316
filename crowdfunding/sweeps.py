"""Crowdfunding's periodic jobs, run by core.sweeps from Celery beat (see CELERY_BEAT_SCHEDULE).

Each claims its row in the lock order of crowdfunding.services (campaign → pledge), settles it in
its own transaction, and a row that fails is recorded and retried later while the others go on.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.sweeps import Sweep, register
from crowdfunding import collection_sweeps  # noqa: F401 (registers crowdfunding.remind_collections)
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge
from payments.models import Payment


class _CampaignSweep(Sweep):
    def console_url(self, campaign):
        return reverse("crowdfunding_console:campaign", kwargs={"slug": campaign.community.slug, "pk": campaign.pk})

    def claim(self, pk, now):
        # NO KEY UPDATE: pledges committing meanwhile check their foreign key to the campaign (FOR
        # KEY SHARE at their commit); a pledge's own change holds the campaign FOR SHARE, which this waits out.
        return (self.due(now).filter(pk=pk).select_related("community")
                .select_for_update(skip_locked=True, of=("self",), no_key=True).first())


@register
class SettleCampaigns(_CampaignSweep):
    name = "crowdfunding.settle_campaigns"
    label = _("Settling campaigns past their deadline")
    batch = 20

    def due(self, now):
        return Campaign.objects.filter(services.due_to_settle(now)).order_by("deadline")

    def settle(self, campaign, now):
        services.campaign_settle(campaign, now)


@register
class RemindEnding(_CampaignSweep):
    name = "crowdfunding.remind_ending"
    label = _("Reminding members that a campaign ends soon")

    def due(self, now):
        return Campaign.objects.filter(status=Campaign.Status.LIVE, ending_reminder_sent_at__isnull=True,
                                       deadline__gt=now, deadline__lte=now + services.ENDING_SOON).order_by("deadline")

    def settle(self, campaign, now):
        services.campaign_remind_ending(campaign, now)


@register
class ExpirePledges(Sweep):
    name = "crowdfunding.expire_pledges"
    label = _("Releasing unpaid pledges")
    batch = 200

    def due(self, now):
        # Pledges of campaigns past their deadline are the settlement's; reported transfers wait for an admin.
        return (Pledge.objects.filter(status=Pledge.Status.PENDING_PAYMENT, expires_at__lte=now,
                                      campaign__deadline__gt=now)
                .exclude(services.transfer_waiting()).order_by("expires_at", "pk"))

    def claim(self, pk, now):
        # Lock order: the campaign (shared), then the pledge.
        campaign_id = Pledge.objects.filter(pk=pk).values_list("campaign_id", flat=True).first()
        if campaign_id is None:
            return None
        services._lock_campaign(campaign_id, share=True)
        return (self.due(now).filter(pk=pk).select_related("charge", "community", "tier")
                .select_for_update(skip_locked=True, of=("self",)).first())

    def settle(self, pledge, now):
        services.pledge_expire(pledge)

    def console_url(self, pledge):
        return reverse("crowdfunding_console:campaign", kwargs={"slug": pledge.community.slug, "pk": pledge.campaign_id})

    def describe(self, pledge):
        return _("Pledge #%(id)s") % {"id": pledge.pk}


@register
class RemindPledgeTransfers(Sweep):
    name = "crowdfunding.remind_transfers"
    label = _("Reminding admins of pledge transfers waiting for confirmation")

    def due(self, now):
        return Payment.objects.filter(status=Payment.Status.PENDING, reminded_at__isnull=True,
                                      charge__purpose="pledge",
                                      created_at__lte=now - services.TRANSFER_WAITING_REMINDER).order_by("created_at")

    def settle(self, payment, now):
        services.transfer_remind_admins(payment, now)
