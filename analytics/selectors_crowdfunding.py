"""Crowdfunding figures for the analytics dashboard: campaigns ended in a period and how they did,
money pledged and its backers, campaigns open now with their progress, and split-bill collections
(AA收款) with what was paid and what is still owed. Reads only; a fixed number of queries whatever
the data (aggregates in SQL, tables capped at ``LIMIT`` rows).

Scope of a branch (a leader's own, or the one an owner picks):
- campaigns: those whose ``Campaign.branch`` is the branch (a leader's campaign is for their branch;
  a community-wide campaign has none and is not shown to a leader);
- money pledged and backers: pledges whose ``Pledge.branch`` is the branch (the backer's branch,
  written on the pledge when it was made, so it does not move when a member changes branch);
- collections: they record no branch, so those whose organizer is a member of the branch now.

Pledged money counts pledges paid in the period and not refunded or cancelled since (paid,
collected, handed out, shipped). A share of a collection counts when paid in the period and not
refunded since.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from analytics.rollups import day_bounds, local_today, zone
from analytics.selectors import Period, _change, _ratio
from communities.models import Community, Membership
from crowdfunding.models import Campaign, Collection, CollectionShare, Pledge

LIMIT = 100  # rows of a table (the most urgent or most recent first)
COUNTED = (Pledge.Status.PAID, Pledge.Status.COLLECTED, Pledge.Status.HANDED_OUT, Pledge.Status.SHIPPED)
ENDED = (Campaign.Status.SUCCEEDED, Campaign.Status.FAILED)
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def _campaigns(community: Community, branch: Community | None):
    campaigns = Campaign.objects.filter(community=community)
    return campaigns.filter(branch=branch) if branch is not None else campaigns


def _pledges(community: Community, branch: Community | None):
    pledges = Pledge.objects.filter(community=community, status__in=COUNTED)
    return pledges.filter(branch=branch) if branch is not None else pledges


def _collections(community: Community, branch: Community | None):
    collections = Collection.objects.filter(community=community)
    if branch is not None:
        organizers = Membership.objects.filter(community=community, branch=branch).values("user_id")
        collections = collections.filter(organizer_id__in=organizers)
    return collections


def _shares(community: Community, branch: Community | None):
    shares = CollectionShare.objects.filter(community=community)
    if branch is not None:
        organizers = Membership.objects.filter(community=community, branch=branch).values("user_id")
        shares = shares.filter(collection__organizer_id__in=organizers)
    return shares


def _headline(community: Community, period: Period, branch: Community | None) -> dict:
    """Three queries: campaigns settled, pledges paid, collection shares paid in the period."""
    lower, upper = day_bounds(community, period.start, period.end)
    ended = _campaigns(community, branch).filter(status__in=ENDED, settled_at__gte=lower, settled_at__lt=upper) \
        .aggregate(succeeded=Count("id", filter=Q(status=Campaign.Status.SUCCEEDED)),
                   failed=Count("id", filter=Q(status=Campaign.Status.FAILED)))
    pledged = _pledges(community, branch).filter(paid_at__gte=lower, paid_at__lt=upper).aggregate(
        pledged=Coalesce(Sum("amount"), ZERO), pledges=Count("id"), backers=Count("member_id", distinct=True))
    shares = _shares(community, branch).filter(status=CollectionShare.Status.PAID, paid_at__gte=lower,
                                               paid_at__lt=upper) \
        .aggregate(shares_paid=Count("id"), collected=Coalesce(Sum("amount"), ZERO))
    ended_total = ended["succeeded"] + ended["failed"]
    return {"ended": ended_total, **ended, "success_rate": _ratio(ended["succeeded"], ended_total, "0.001"),
            **pledged, **shares}


def summary(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """The headline of the period against the period before (same length), with the change in percent."""
    totals = _headline(community, period, branch)
    before = _headline(community, period.previous(), branch)
    return {"period": {"start": period.start, "end": period.end, "days": period.days},
            "previous": {"start": period.previous().start, "end": period.previous().end},
            "totals": totals, "previous_totals": before,
            "changes": {name: _change(totals[name], before[name]) for name in totals if name != "success_rate"}}


def _with_pledges(campaigns):
    return campaigns.annotate(
        pledged=Coalesce(Sum("pledges__amount", filter=Q(pledges__status__in=COUNTED)), ZERO),
        backers=Count("pledges__member_id", filter=Q(pledges__status__in=COUNTED), distinct=True))


def open_campaigns(community: Community, *, branch: Community | None = None) -> list[dict]:
    """Live campaigns now, the one ending first first: pledged against the goal and the days left
    (local days from today to the deadline's day; 0 on its last day). One query."""
    today = local_today(community)
    tz = zone(community)
    first = _campaigns(community, branch).filter(status=Campaign.Status.LIVE).order_by("deadline", "id")
    rows = (_with_pledges(Campaign.objects.filter(pk__in=first.values("pk")[:LIMIT]))  # sums of LIMIT at most
            .values("id", "title", "branch__name", "goal", "deadline", "funding_model", "pledged", "backers")
            .order_by("deadline", "id"))
    out = []
    for row in rows:
        ratio = _ratio(row["pledged"], row["goal"], "0.001")
        out.append({"campaign_id": row["id"], "title": row["title"], "branch": row["branch__name"] or "",
                    "goal": row["goal"], "pledged": row["pledged"], "backers": row["backers"],
                    "percent": (ratio * 100).quantize(Decimal("0.1")) if ratio is not None else None,
                    "deadline": row["deadline"].astimezone(tz).date(),
                    "days_left": max((row["deadline"].astimezone(tz).date() - today).days, 0),
                    "funding_model": row["funding_model"]})
    return out


def ended_campaigns(community: Community, period: Period, *, branch: Community | None = None) -> list[dict]:
    """Campaigns settled in the period with their result; raised and backers as the public saw them
    at the deadline (a failed campaign's pledges are refunded afterwards), else counted now. One query."""
    lower, upper = day_bounds(community, period.start, period.end)
    tz = zone(community)
    last = _campaigns(community, branch).filter(status__in=ENDED, settled_at__gte=lower, settled_at__lt=upper) \
        .order_by("-settled_at", "-id")
    rows = (_with_pledges(Campaign.objects.filter(pk__in=last.values("pk")[:LIMIT]))  # sums of LIMIT at most
            .values("id", "title", "branch__name", "goal", "status", "settled_at", "deadline_raised",
                    "deadline_backers", "pledged", "backers")
            .order_by("-settled_at", "-id"))
    out = []
    for row in rows:
        raised = row["deadline_raised"] if row["deadline_raised"] is not None else row["pledged"]
        backers = row["deadline_backers"] if row["deadline_backers"] is not None else row["backers"]
        ratio = _ratio(raised, row["goal"], "0.001")
        out.append({"campaign_id": row["id"], "title": row["title"], "branch": row["branch__name"] or "",
                    "status": row["status"], "succeeded": row["status"] == Campaign.Status.SUCCEEDED,
                    "settled_on": row["settled_at"].astimezone(tz).date(), "goal": row["goal"], "raised": raised,
                    "backers": backers,
                    "percent": (ratio * 100).quantize(Decimal("0.1")) if ratio is not None else None})
    return out


def collections(community: Community, period: Period, *, branch: Community | None = None) -> list[dict]:
    """Collections created in the period (newest first): their shares, how many are paid and for how
    much, and what is still owed (unpaid shares; nothing is owed once a collection has closed). One query."""
    lower, upper = day_bounds(community, period.start, period.end)
    paid = Q(shares__status=CollectionShare.Status.PAID)
    unpaid = Q(shares__status=CollectionShare.Status.UNPAID)
    newest = _collections(community, branch).filter(created_at__gte=lower, created_at__lt=upper) \
        .order_by("-created_at", "-id")
    rows = (Collection.objects.filter(pk__in=newest.values("pk")[:LIMIT])  # sums of LIMIT at most
            .annotate(n_shares=Count("shares"), n_paid=Count("shares", filter=paid),
                      paid_amount=Coalesce(Sum("shares__amount", filter=paid), ZERO),
                      outstanding=Coalesce(Sum("shares__amount", filter=unpaid), ZERO),
                      n_refunded=Count("shares", filter=Q(shares__status=CollectionShare.Status.REFUNDED)))
            .values("id", "title", "status", "total", "created_at", "organizer__display_name", "n_shares", "n_paid",
                    "paid_amount", "outstanding", "n_refunded")
            .order_by("-created_at", "-id"))
    tz = zone(community)
    return [{"collection_id": r["id"], "title": r["title"], "status": r["status"],
             "organizer": r["organizer__display_name"], "created_on": r["created_at"].astimezone(tz).date(),
             "total": r["total"], "shares": r["n_shares"], "shares_paid": r["n_paid"], "paid": r["paid_amount"],
             "refunded_shares": r["n_refunded"], "outstanding": r["outstanding"]} for r in rows]
