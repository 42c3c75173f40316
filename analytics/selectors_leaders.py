"""Leaders' figures for the analytics dashboard: one row per branch with its leader (团长): members
now, joined and left, orders paid and GMV, orders picked up, and the commission the leader earned in
the period. Reads only; a fixed number of queries whatever the data.

- Sums over days come from ``analytics.selectors.branch_sums`` (the stored branch rollups before
  today, today's figures computed live), as the overview's branches table does.
- Orders picked up are the branch's orders (``Order.branch``: the buyer's branch when ordering)
  completed in the period, wherever they were picked up: that is what the rollups record.
- Commission: what the branch's orders earned in the period (earned minus reversed), from the same
  rollups, whoever it went to: the branch's leader, or with the community's "referrer" setting the
  buyer's inviter. A leader of two branches has each branch's own on its row. Commission rates are
  set on each round (接龙), not on a leader: the rate shown is the effective one of the period
  (commission earned over the order totals it was earned on).
- Recipients: each member who received commission in the period (leaders, or inviters), with what
  they received and on how many orders, most first; a leader sees only what their branch's orders
  paid.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from analytics.rollups import day_bounds
from analytics.selectors import Period, _ratio, branch_sums
from communities.models import Community, Membership
from orders.models import Commission

TOP_RECIPIENTS = 20
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def by_leader(community: Community, period: Period, *, branch: Community | None = None) -> list[dict]:
    """Each branch (or only ``branch``) with its leader's figures over the period, by name."""
    branches = Community.objects.filter(parent=community)
    if branch is not None:
        branches = branches.filter(pk=branch.pk)
    rows = list(branches.order_by("name", "id").values("id", "name", "leader_id", "leader__display_name"))
    figures = branch_sums(community, period, [row["id"] for row in rows])
    counts = dict(Membership.objects.filter(community=community, status=Membership.Status.ACTIVE,
                                            branch_id__in=list(figures) or [-1])
                  .values_list("branch_id").annotate(n=Count("id")).order_by())
    out = []
    for row in rows:
        f = figures[row["id"]]
        earned, reversed_ = f["commission_earned"], f["commission_reversed"]
        rate = _ratio(earned, f["commission_base"], "0.0001") if f["commission_base"] else None
        out.append({"branch_id": row["id"], "branch": row["name"], "leader_id": row["leader_id"],
                    "leader": row["leader__display_name"] or "", "members": counts.get(row["id"], 0),
                    "joined": f["members_joined"], "left": f["members_left"], "orders_paid": f["orders_paid"],
                    "gmv": f["gmv"], "orders_completed": f["orders_completed"],
                    "commission_earned": earned, "commission_reversed": reversed_, "commission": earned - reversed_,
                    "commission_rate": (rate * 100).quantize(Decimal("0.01")) if rate is not None else None})
    return out


def recipients(community: Community, period: Period, *, branch: Community | None = None) -> list[dict]:
    """The TOP_RECIPIENTS members who received most commission in the period (earned minus reversed,
    created in it), on the orders of the community or of ``branch``. One query."""
    lower, upper = day_bounds(community, period.start, period.end)
    rows = Commission.objects.filter(community=community, created_at__gte=lower, created_at__lt=upper)
    if branch is not None:
        rows = rows.filter(order__branch=branch)
    earned = Q(kind=Commission.Kind.EARNED)
    return [{"user_id": row["leader_id"], "name": row["leader__display_name"] or "",
             "orders": row["orders"], "commission_earned": row["earned"], "commission_reversed": -row["reversed"],
             "commission": row["net"]}
            for row in rows.values("leader_id", "leader__display_name").annotate(
                orders=Count("order_id", filter=earned), earned=Coalesce(Sum("amount", filter=earned), ZERO),
                reversed=Coalesce(Sum("amount", filter=Q(kind=Commission.Kind.REVERSED)), ZERO),
                net=Coalesce(Sum("amount"), ZERO)).order_by("-net", "leader_id")[:TOP_RECIPIENTS]]
