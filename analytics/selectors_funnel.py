"""The 接龙 funnel and the cohort table (the dashboard's "Funnel and cohorts" page and its API).
Reads only; a fixed number of queries whatever the data.

Funnel: the rounds that *closed* in the period (local days; drafts left out). For each, distinct
members at each stage: saw the round (a RoundView: recorded from the day the feature shipped, so
older rounds and orders from a shared link opened before that have no view), ordered (an order
created, any status), paid (paid and not cancelled or refunded since), picked up or delivered
(completed, not refunded since). A branch's funnel counts views by members of that branch (their
membership) and the orders placed for that branch.

Cohorts: read from ``CohortMonth``, refreshed nightly with the daily rollups (analytics.rollups).
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from analytics.models import CohortMonth, RollupState
from analytics.rollups import COHORT_MONTHS, NOT_SOLD, day_bounds, local_today, month_add, zone
from analytics.selectors import Period, _ratio
from communities.models import Community, Membership
from orders.models import GroupBuy, Order, RoundView

TOP_ROUNDS = 20
STAGES = ("saw", "ordered", "paid", "completed")


def _funnel_rows(community: Community, period: Period, branch: Community | None) -> list[dict]:
    lower, upper = day_bounds(community, period.start, period.end)
    view_branch = (f" JOIN {Membership._meta.db_table} m ON m.community_id = %s "
                   "AND m.user_id = av.member_id AND m.branch_id = %s") if branch is not None else ""
    order_branch = " AND o.branch_id = %s" if branch is not None else ""
    not_sold = [str(s) for s in NOT_SOLD]
    # The rounds' ids as an array (not a join with the CTE): the views and the orders are read through
    # their round's index; the orders' views are then matched by a hash join of the two (small) sets.
    sql = (f"WITH r AS (SELECT id, title, closes_at FROM {GroupBuy._meta.db_table} WHERE community_id = %s "
           "AND closes_at >= %s AND closes_at < %s AND status <> 'draft'), "
           f"av AS MATERIALIZED (SELECT group_buy_id AS g, member_id FROM {RoundView._meta.db_table} "
           "WHERE group_buy_id = ANY(ARRAY(SELECT id FROM r))), "
           f"seen AS (SELECT av.g, COUNT(*) AS n FROM av{view_branch} GROUP BY av.g), "
           "ord AS MATERIALIZED (SELECT o.group_buy_id AS g, o.member_id, o.status, o.paid_at, o.completed_at "
           f"FROM {Order._meta.db_table} o WHERE o.group_buy_id = ANY(ARRAY(SELECT id FROM r)) "
           f"AND o.community_id = %s{order_branch}), "
           "o AS (SELECT ord.g, COUNT(*) AS orders, COUNT(DISTINCT ord.member_id) AS ordered, "
           "COUNT(DISTINCT ord.member_id) FILTER (WHERE ord.paid_at IS NOT NULL AND NOT (ord.status = ANY(%s))) "
           "AS paid, COUNT(DISTINCT ord.member_id) FILTER (WHERE ord.completed_at IS NOT NULL "
           "AND NOT (ord.status = ANY(%s))) AS completed, "
           "COUNT(DISTINCT ord.member_id) FILTER (WHERE av.member_id IS NULL) AS unseen "
           "FROM ord LEFT JOIN av ON av.g = ord.g AND av.member_id = ord.member_id GROUP BY ord.g) "
           "SELECT r.id, r.title, r.closes_at, COALESCE(seen.n, 0), COALESCE(o.orders, 0), COALESCE(o.ordered, 0), "
           "COALESCE(o.paid, 0), COALESCE(o.completed, 0), COALESCE(o.unseen, 0) "
           "FROM r LEFT JOIN seen ON seen.g = r.id LEFT JOIN o ON o.g = r.id")
    params = [community.pk, lower, upper]
    if branch is not None:
        params += [community.pk, branch.pk]
    params.append(community.pk)
    if branch is not None:
        params.append(branch.pk)
    params += [not_sold, not_sold]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        tz = zone(community)
        return [{"group_buy_id": gid, "title": title, "closes_at": closes, "closes_on": closes.astimezone(tz).date(),
                 "saw": saw, "orders": orders,
                 "ordered": ordered, "paid": paid, "completed": completed, "ordered_unseen": unseen}
                for gid, title, closes, saw, orders, ordered, paid, completed, unseen in cursor.fetchall()]


def _step(count: int, before: int | None, first: int) -> dict:
    return {"from_previous": _ratio(count, before, "0.001") if before is not None else None,
            "from_first": _ratio(count, first, "0.001")}


def funnel(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """The period's funnel in all (member × round pairs at each stage), and the TOP_ROUNDS rounds with
    the most orders, each with its own stages. One query."""
    rounds = _funnel_rows(community, period, branch)
    totals = {name: sum(row[name] for row in rounds) for name in (*STAGES, "orders", "ordered_unseen")}
    stages = []
    for index, name in enumerate(STAGES):
        before = totals[STAGES[index - 1]] if index else None
        stages.append({"stage": name, "pairs": totals[name], **_step(totals[name], before, totals["saw"])})
    top = sorted((row for row in rounds if row["orders"]), key=lambda row: (-row["orders"], -row["group_buy_id"]))
    for row in top:
        row["paid_rate"] = _ratio(row["paid"], row["ordered"], "0.001")
    return {"period": {"start": period.start, "end": period.end, "days": period.days}, "rounds_closed": len(rounds),
            "orders": totals["orders"], "ordered_without_view": totals["ordered_unseen"], "stages": stages,
            "rounds": top[:TOP_ROUNDS]}


def cohort_table(community: Community, *, branch: Community | None = None) -> dict:
    """The last COHORT_MONTHS local months' cohorts as the nightly refresh stored them: each cohort's
    size and, for each later month up to this one, how many of them ordered (count and share). Two queries."""
    this_month = local_today(community).replace(day=1)
    first_month = month_add(this_month, -(COHORT_MONTHS - 1))
    stored = CohortMonth.objects.filter(community=community, branch=branch, cohort__gte=first_month)
    counts = {(row["cohort"], row["month"]): row["members"] for row in stored.values("cohort", "month", "members")}
    state = RollupState.objects.filter(community=community).values("refreshed_at").first()
    rows = []
    for index in range(COHORT_MONTHS):
        cohort = month_add(first_month, index)
        size = counts.get((cohort, cohort), 0)
        later = []
        for k in range(1, COHORT_MONTHS - index):
            month: date = month_add(cohort, k)
            n = counts.get((cohort, month), 0)
            later.append({"month": month, "offset": k, "members": n, "rate": _ratio(n, size, "0.001")})
        rows.append({"month": cohort, "members": size, "later": later})
    return {"start": first_month, "end": this_month, "refreshed_at": state["refreshed_at"] if state else None,
            "cohorts": rows}
