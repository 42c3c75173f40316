"""Reward sheets for the console: who collects which reward where, printable or as CSV.

The CSV helpers (UTF-8 with a byte-order mark, formula-looking cells neutralised) are the orders
app's; the columns follow its pickup sheet (member, phone, pickup code, what, signature).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from crowdfunding.models import Campaign, Pledge
from orders.exports import csv_response
from orders.models import PickupPoint

# Pledges whose reward is due or delivered: the campaign succeeded (collected), then handed out or shipped.
REWARD_STATUSES = (Pledge.Status.COLLECTED, Pledge.Status.HANDED_OUT, Pledge.Status.SHIPPED)


def reward_pledges(campaign: Campaign) -> QuerySet[Pledge]:
    return (campaign.pledges.filter(status__in=REWARD_STATUSES, tier__isnull=False)
            .select_related("member", "tier", "pickup_point")
            .order_by("tier__position", "tier_id", "pickup_point__name", "member__display_name", "pk"))


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _where(pledge: Pledge) -> str:
    if pledge.tier.fulfilment == "shipping":
        return _("Shipping") + (f": {pledge.shipping_address}" if pledge.shipping_address else "")
    return pledge.pickup_point.name if pledge.pickup_point_id else ""


def rewards_csv(campaign: Campaign, pledges: list[Pledge]) -> HttpResponse:
    rows = [[p.pk, p.tier.title, _where(p), p.member.display_name, p.member.phone or "", p.quantity,
             masked_code(p) if p.tier.fulfilment == "pickup" else "", p.get_status_display(),
             _local(p.handed_out_at or p.shipped_at), p.tracking] for p in pledges]
    return csv_response(f"campaign-rewards-{campaign.pk}.csv",
                        [_("Pledge"), _("Reward"), _("Pickup point or shipping"), _("Member"), _("Phone"),
                         _("Quantity"), _("Pickup code"), _("Status"), _("Handed out or shipped"),
                         _("Tracking number")], rows)


def reward_sheet_csv(campaign: Campaign, point: PickupPoint, pledges: list[Pledge]) -> HttpResponse:
    rows = [[p.pk, p.member.display_name, p.member.phone or "", masked_code(p), p.tier.title, p.quantity,
             p.get_status_display(), ""] for p in pledges]
    return csv_response(f"reward-sheet-{campaign.pk}-{point.pk}.csv",
                        [_("Pledge"), _("Member"), _("Phone"), _("Pickup code"), _("Reward"), _("Quantity"),
                         _("Status"), _("Signature")], rows)


def masked_code(pledge) -> str:
    """The last two digits of the backer's pickup code: enough to tell two backers apart on a sheet,
    never enough to claim a reward with the sheet (the desk checks the whole code the backer shows)."""
    return f"····{pledge.pickup_code[-2:]}"
