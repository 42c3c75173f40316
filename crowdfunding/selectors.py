"""Reads for campaigns: what a member sees, progress, the rewards to hand out."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from communities.models import Membership
from communities.permissions import acts_community_wide
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge


def campaigns_for_member(member: Membership) -> QuerySet:
    """Live and finished campaigns of the member's community aimed at everyone or their branch."""
    qs = member.community.campaigns.exclude(status=Campaign.Status.DRAFT)
    if not acts_community_wide(member):
        qs = qs.filter(Q(branch__isnull=True) | Q(branch_id=member.branch_id))
    return qs


def with_totals(campaigns) -> list[Campaign]:
    """Each campaign gains ``totals`` (raised, backers, pending) and ``percent``. Given a queryset, the
    totals are annotated onto it (one query for the campaigns and their totals); given a list, one
    more query reads them."""
    if isinstance(campaigns, QuerySet):
        rows = list(campaigns.annotate(
            _raised=Sum("pledges__amount", filter=Q(pledges__status__in=services.PAID_PLEDGE)),
            _backers=Count("pledges__member", filter=Q(pledges__status__in=services.PAID_PLEDGE), distinct=True),
            _pending=Sum("pledges__amount", filter=Q(pledges__status=Pledge.Status.PENDING_PAYMENT))))
        totals = {c.pk: services.Totals(c._raised or Decimal("0"), c._backers, c._pending or Decimal("0"))
                  for c in rows}
        for c in rows:
            if c.status == Campaign.Status.SETTLING and c.deadline_raised is not None:
                totals[c.pk] = services.Totals(c.deadline_raised, c.deadline_backers or 0, Decimal("0"))
        campaigns = rows
    else:
        campaigns = list(campaigns)
        totals = services.campaign_totals_many(campaigns) if campaigns else {}
    for campaign in campaigns:
        campaign.totals = totals[campaign.pk]
        campaign.percent = min(int(campaign.totals.raised * 100 / campaign.goal), 999) if campaign.goal else 0
    return campaigns


def backers(campaign: Campaign, *, limit: int = 50) -> list[Pledge]:
    """Recent paid pledges for the page's backer list (names of anonymous backers are the page's to hide)."""
    return list(campaign.pledges.filter(status__in=services.PAID_PLEDGE).select_related("member", "tier")
                .order_by("-paid_at", "-pk")[:limit])


def my_pledges(member: Membership) -> QuerySet:
    return (Pledge.objects.filter(community_id=member.community_id, member_id=member.user_id)
            .select_related("campaign", "tier", "pickup_point").order_by("-created_at", "-pk"))


def rewards_to_hand_out(campaign: Campaign) -> list[dict]:
    """Per tier and pickup point (or shipping): how many units, for the admin's list and sheets."""
    rows = (campaign.pledges.filter(status__in=(Pledge.Status.COLLECTED, Pledge.Status.HANDED_OUT,
                                                Pledge.Status.SHIPPED), tier__isnull=False)
            .values("tier_id", "tier__title", "tier__fulfilment", "pickup_point_id", "pickup_point__name")
            .annotate(units=Sum("quantity"), pledges=Count("pk"),
                      handed_out=Sum("quantity", filter=Q(status__in=(Pledge.Status.HANDED_OUT,
                                                                       Pledge.Status.SHIPPED))))
            .order_by("tier__title", "pickup_point__name"))
    return [{**r, "handed_out": r["handed_out"] or 0} for r in rows]
