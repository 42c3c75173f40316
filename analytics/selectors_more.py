"""More figures for the dashboard and its API: repurchase rate, where members come from. Reads only; each figure spends a fixed number of queries whatever the data.

"Sold" orders are those paid and not cancelled or refunded since (analytics.rollups.NOT_SOLD).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q

from analytics.rollups import NOT_SOLD, day_bounds, local_today
from analytics.selectors import Period, _ratio
from communities.models import Community, Membership
from orders.models import Order

REPURCHASE_DAYS = 90
TOP_SOURCES = 10


def _sold(community: Community, branch: Community | None):
    orders = Order.objects.filter(community=community, paid_at__isnull=False).exclude(status__in=NOT_SOLD)
    return orders.filter(branch=branch) if branch is not None else orders


def repurchase(community: Community, *, branch: Community | None = None) -> dict:
    """Buyers of the last 90 local days with two or more sold orders in them, over all buyers then."""
    today = local_today(community)
    start = today - timedelta(days=REPURCHASE_DAYS - 1)
    lower, upper = day_bounds(community, start, today)
    per_buyer = (_sold(community, branch).filter(paid_at__gte=lower, paid_at__lt=upper)
                 .values("member_id").annotate(n=Count("id")).order_by())
    counts = per_buyer.aggregate(buyers=Count("member_id"), again=Count("member_id", filter=Q(n__gte=2)))
    return {"start": start, "end": today, "days": REPURCHASE_DAYS, "buyers": counts["buyers"],
            "repeat_buyers": counts["again"], "rate": _ratio(counts["again"], counts["buyers"], "0.001")}


def sources(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Members who joined in the period: through whom (top inviters), which invite link, and how
    many came with no inviter. Three queries."""
    lower, upper = day_bounds(community, period.start, period.end)
    joined = Membership.objects.filter(community=community, joined_at__gte=lower, joined_at__lt=upper)
    if branch is not None:
        joined = joined.filter(branch=branch)
    totals = joined.aggregate(joined=Count("id"), no_inviter=Count("id", filter=Q(invited_by__isnull=True)),
                              no_link=Count("id", filter=Q(invite__isnull=True)))
    inviters = [{"user_id": row["invited_by_id"], "name": row["invited_by__display_name"], "joined": row["n"]}
                for row in joined.filter(invited_by__isnull=False)
                .values("invited_by_id", "invited_by__display_name").annotate(n=Count("id"))
                .order_by("-n", "invited_by_id")[:TOP_SOURCES]]
    links = [{"invite_id": row["invite_id"], "label": row["invite__label"], "code": row["invite__code"],
              "joined": row["n"]}
             for row in joined.filter(invite__isnull=False)
             .values("invite_id", "invite__label", "invite__code").annotate(n=Count("id"))
             .order_by("-n", "invite_id")[:TOP_SOURCES]]
    return {"period": {"start": period.start, "end": period.end, "days": period.days}, **totals,
            "inviters": inviters, "invites": links}
