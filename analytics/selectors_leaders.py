"""Leaders' figures for the analytics dashboard: one row per branch with its leader (团长): members
now, joined and left, orders paid and GMV, orders picked up, and the commission the leader earned in
the period. Reads only; a fixed number of queries whatever the data.

- Sums over days come from ``analytics.selectors.branch_sums`` (the stored branch rollups before
  today, today's figures computed live), as the overview's branches table does.
- Orders picked up are the branch's orders (``Order.branch``: the buyer's branch when ordering)
  completed in the period, wherever they were picked up: that is what the rollups record.
- Commission: the ``Commission`` rows of the branch's current leader created in the period, earned
  minus reversed. A leader who leads two branches has one commission total, shown on each row.
  Commission rates are set on each round (接龙), not on a leader: the rate shown is the effective one
  of the period (commission earned over the order totals it was earned on).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from analytics.rollups import day_bounds
from analytics.selectors import Period, _ratio, branch_sums
from communities.models import Community, Membership
from orders.models import Commission

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
    lower, upper = day_bounds(community, period.start, period.end)
    leader_ids = {r["leader_id"] for r in rows if r["leader_id"] is not None}
    earned = Q(kind=Commission.Kind.EARNED)
    commissions = {row["leader_id"]: row for row in (
        Commission.objects.filter(community=community, leader_id__in=leader_ids or [-1], created_at__gte=lower,
                                  created_at__lt=upper)
        .values("leader_id").annotate(earned=Coalesce(Sum("amount", filter=earned), ZERO),
                                      reversed=Coalesce(Sum("amount", filter=Q(kind=Commission.Kind.REVERSED)), ZERO),
                                      base=Coalesce(Sum("base_amount", filter=earned), ZERO)).order_by())}
    out = []
    for row in rows:
        f = figures[row["id"]]
        c = commissions.get(row["leader_id"]) or {}
        earned_amount, reversed_amount = c.get("earned", Decimal("0.00")), -c.get("reversed", Decimal("0.00"))
        rate = _ratio(earned_amount, c.get("base"), "0.0001") if c else None
        out.append({"branch_id": row["id"], "branch": row["name"], "leader_id": row["leader_id"],
                    "leader": row["leader__display_name"] or "", "members": counts.get(row["id"], 0),
                    "joined": f["members_joined"], "left": f["members_left"], "orders_paid": f["orders_paid"],
                    "gmv": f["gmv"], "orders_completed": f["orders_completed"],
                    "commission_earned": earned_amount, "commission_reversed": reversed_amount,
                    "commission": earned_amount - reversed_amount,
                    "commission_rate": (rate * 100).quantize(Decimal("0.01")) if rate is not None else None})
    return out
