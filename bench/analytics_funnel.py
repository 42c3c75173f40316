"""The funnel page's part of the analytics benchmark (bench/analytics.py calls these two).

``seed`` adds the round views at a realistic scale: about three per order (the orderer, except one
order in twenty whose member ordered from a link opened before views were recorded, and two other
members of the community who opened the round without ordering), one INSERT … SELECT.

``figures`` times the funnel (30 and 90 days, whole community and one branch), the stored cohort
table (whole and one branch) and the cohort part of the nightly refresh (its one grouped query over
all the orders, whole community and every branch).
"""

from __future__ import annotations

from datetime import timedelta

VIEWS_PER_ORDER = 3


def seed(cursor, community_id: int, member_ids_range: range, now) -> None:
    """Round views for the community's orders (first seen up to an hour before the order)."""
    first, count = member_ids_range.start, len(member_ids_range)
    cursor.execute(
        """INSERT INTO orders_roundview (community_id, group_buy_id, member_id, first_seen_at)
           SELECT o.community_id, o.group_buy_id,
                  CASE WHEN k = 0 THEN o.member_id ELSE %s + (hashint8(o.id * 4 + k)::bigint & 2147483647) %% %s END,
                  least(o.created_at - ((o.id %% 60) || ' minutes')::interval - (k || ' minutes')::interval,
                        %s::timestamptz)
           FROM orders_order o CROSS JOIN generate_series(0, %s - 1) k
           WHERE o.community_id = %s AND NOT (k = 0 AND o.id %% 20 = 0)
           ON CONFLICT (group_buy_id, member_id) DO NOTHING""",
        [first, count, now, VIEWS_PER_ORDER, community_id])
    cursor.execute("SELECT setval(pg_get_serial_sequence('orders_roundview', 'id'), "
                   "(SELECT coalesce(max(id), 1) FROM orders_roundview))")
    cursor.execute("ANALYZE orders_roundview")


def figures(community, branch) -> list:
    """(label, callable) for each figure of the funnel page, and the cohort refresh's query."""
    from analytics import selectors, selectors_funnel
    from analytics.rollups import compute_cohorts, local_today

    p30, p90 = (selectors.period_from(community, period=p) for p in ("30d", "90d"))
    today = local_today(community)
    year = selectors.period_from(community, period="custom", start=(today - timedelta(days=364)).isoformat(),
                                 end=today.isoformat())
    this_month = today.replace(day=1)
    return [
        ("funnel 30d", lambda: selectors_funnel.funnel(community, p30)),
        ("funnel 90d", lambda: selectors_funnel.funnel(community, p90)),
        ("funnel 1 year (custom)", lambda: selectors_funnel.funnel(community, year)),
        ("funnel 30d, one branch", lambda: selectors_funnel.funnel(community, p30, branch=branch)),
        ("cohort table", lambda: selectors_funnel.cohort_table(community)),
        ("cohort table, one branch", lambda: selectors_funnel.cohort_table(community, branch=branch)),
        ("cohort rollup (refresh part)", lambda: compute_cohorts(community, this_month)),
    ]
