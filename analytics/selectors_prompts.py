"""What the analytics page "Repurchase prompts" reads: the prompts due in a period (``sent_at`` in its
local days), the members prompted against the members held out (the holdout, 对照组: due, recorded,
not told), how many of each ordered the product within 7 days (``converted_order``, set alike for
both groups by engagement.repurchase) and the GMV of those orders, the lift, per day and per product.

A prompt "converts" when an order of its product placed within 7 days after it completes; a refund
uncounts it. The GMV is the total of each converting order, counted once per group even when an
order converted two prompts. Scope: a leader reads the prompts of the members of their branch (the
member's membership branch). Three aggregate queries, whatever the number of prompts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection

from analytics.rollups import NOT_SOLD, day_bounds, zone
from analytics.selectors import Period, _change
from catalog.models import Product
from communities.models import Community, Membership
from engagement.models import RepurchasePrompt
from orders.models import Order

MIN_HOLDOUT = 30  # fewer held-out members than this: the lift says nothing yet
TOP_PRODUCTS = 10
GROUPS = ("prompted", "holdout")


def _pct(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.1"))


def _scope(branch: Community | None, alias: str = "p") -> tuple[str, list]:
    """SQL keeping the prompts of the branch's members (their membership's branch), or all."""
    if branch is None:
        return "", []
    table = Membership._meta.db_table
    return (f""" AND EXISTS (SELECT 1 FROM "{table}" m WHERE m."community_id" = {alias}."community_id"
                          AND m."user_id" = {alias}."member_id" AND m."branch_id" = %s)""", [branch.pk])


def _empty_group() -> dict:
    return {"prompts": 0, "members": 0, "opened": 0, "converted": 0, "gmv": Decimal("0.00")}


def _totals(community: Community, period: Period, branch: Community | None) -> dict:
    """Both periods (this one and the one before), both groups, in one statement."""
    before = period.previous()
    start, end = day_bounds(community, before.start, period.end)
    split = day_bounds(community, period.start, period.end)[0]
    scope, scope_params = _scope(branch)
    sql = f"""
WITH p AS (
    SELECT (p."sent_at" >= %s) AS current, p."held_out", p."member_id", p."opened_at", p."converted_order_id"
    FROM "{RepurchasePrompt._meta.db_table}" p
    WHERE p."community_id" = %s AND p."sent_at" >= %s AND p."sent_at" < %s{scope}
),
counts AS (
    SELECT current, held_out, COUNT(*) AS prompts, COUNT(DISTINCT member_id) AS members,
           COUNT(opened_at) AS opened, COUNT(converted_order_id) AS converted
    FROM p GROUP BY current, held_out
),
gmv AS (
    SELECT c.current, c.held_out, SUM(o."total") AS gmv
    FROM (SELECT DISTINCT current, held_out, converted_order_id FROM p WHERE converted_order_id IS NOT NULL) c
    JOIN "{Order._meta.db_table}" o ON o."id" = c.converted_order_id AND NOT (o."status" = ANY(%s))
    GROUP BY c.current, c.held_out
)
SELECT counts.current, counts.held_out, prompts, members, opened, converted, COALESCE(gmv.gmv, 0)
FROM counts LEFT JOIN gmv ON gmv.current = counts.current AND gmv.held_out = counts.held_out
"""
    params = [split, community.pk, start, end, *scope_params, [str(s) for s in NOT_SOLD]]
    found = {(cur, held): row for cur, held, *row in _fetch(sql, params)}
    out = {}
    for current in (True, False):
        for held in (False, True):
            row = found.get((current, held))
            group = _empty_group() if row is None else dict(zip(("prompts", "members", "opened", "converted", "gmv"),
                                                                row))
            group["conversion"] = _pct(group["converted"], group["prompts"])
            group["open_rate"] = None if held else _pct(group["opened"], group["prompts"])
            out[(current, held)] = group
    return out


def _fetch(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _lift(prompted: dict, holdout: dict) -> Decimal | None:
    """Prompted conversion − holdout conversion, in percentage points; None when the holdout is too
    small (fewer than MIN_HOLDOUT members) or either side has nothing to divide by."""
    if holdout["members"] < MIN_HOLDOUT or prompted["conversion"] is None or holdout["conversion"] is None:
        return None
    return prompted["conversion"] - holdout["conversion"]


RATES = {"conversion", "held_out_conversion", "lift"}  # their change is in percentage points
HEADLINE = ("prompts", "opened", "converted", "conversion", "gmv", "held_out", "held_out_converted",
            "held_out_conversion", "lift")


def summary(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Both groups in the period and in the period before, the lift, and the headline cards' values."""
    totals = _totals(community, period, branch)
    now = {"prompted": totals[(True, False)], "holdout": totals[(True, True)]}
    before = {"prompted": totals[(False, False)], "holdout": totals[(False, True)]}
    lift, lift_before = _lift(now["prompted"], now["holdout"]), _lift(before["prompted"], before["holdout"])

    def flat(groups, lift_value):
        p, h = groups["prompted"], groups["holdout"]
        return {"prompts": p["prompts"], "opened": p["opened"], "converted": p["converted"],
                "conversion": p["conversion"], "gmv": p["gmv"], "held_out": h["prompts"],
                "held_out_converted": h["converted"], "held_out_conversion": h["conversion"], "lift": lift_value}

    current, previous = flat(now, lift), flat(before, lift_before)
    changes = {name: (_points if name in RATES else _change)(current[name], previous[name]) for name in HEADLINE}
    return {"start": period.start, "end": period.end, "groups": now, "previous_groups": before, "lift": lift,
            "enough_holdout": now["holdout"]["members"] >= MIN_HOLDOUT, "min_holdout": MIN_HOLDOUT,
            "totals": current, "previous_totals": previous, "changes": changes}


def _points(now, before) -> Decimal | None:
    """The change of a rate, in percentage points (None when either is unknown)."""
    if now is None or before is None:
        return None
    return now - before


def daily(community: Community, period: Period, *, branch: Community | None = None) -> list[dict]:
    """Each local day of the period: prompts sent, of them converted; held out, of them converted."""
    start, end = day_bounds(community, period.start, period.end)
    scope, scope_params = _scope(branch)
    sql = f"""
SELECT (p."sent_at" AT TIME ZONE %s)::date AS day,
       COUNT(*) FILTER (WHERE NOT p."held_out"),
       COUNT(p."converted_order_id") FILTER (WHERE NOT p."held_out"),
       COUNT(*) FILTER (WHERE p."held_out"),
       COUNT(p."converted_order_id") FILTER (WHERE p."held_out")
FROM "{RepurchasePrompt._meta.db_table}" p
WHERE p."community_id" = %s AND p."sent_at" >= %s AND p."sent_at" < %s{scope}
GROUP BY 1
"""
    found: dict[date, tuple] = {row[0]: row[1:] for row in _fetch(sql, [zone(community).key, community.pk, start, end,
                                                                          *scope_params])}
    days = []
    for day in period.each_day():
        sent, converted, held, held_converted = found.get(day, (0, 0, 0, 0))
        days.append({"day": day, "sent": sent, "converted": converted, "held_out": held,
                     "held_out_converted": held_converted})
    return days


def products(community: Community, period: Period, *, branch: Community | None = None,
             limit: int = TOP_PRODUCTS) -> list[dict]:
    """The products prompted most in the period (prompts sent), with their conversion, and the same
    for their held-out members."""
    start, end = day_bounds(community, period.start, period.end)
    scope, scope_params = _scope(branch)
    sql = f"""
SELECT p."product_id", pr."name",
       COUNT(*) FILTER (WHERE NOT p."held_out") AS sent,
       COUNT(p."opened_at") AS opened,
       COUNT(p."converted_order_id") FILTER (WHERE NOT p."held_out") AS converted,
       COUNT(*) FILTER (WHERE p."held_out") AS held,
       COUNT(p."converted_order_id") FILTER (WHERE p."held_out") AS held_converted
FROM "{RepurchasePrompt._meta.db_table}" p
JOIN "{Product._meta.db_table}" pr ON pr."id" = p."product_id"
WHERE p."community_id" = %s AND p."sent_at" >= %s AND p."sent_at" < %s{scope}
GROUP BY p."product_id", pr."name"
ORDER BY sent DESC, held DESC, pr."name", p."product_id"
LIMIT %s
"""
    rows = []
    for product_id, name, sent, opened, converted, held, held_converted in _fetch(
            sql, [community.pk, start, end, *scope_params, limit]):
        rows.append({"product_id": product_id, "name": name, "sent": sent, "opened": opened, "converted": converted,
                     "conversion": _pct(converted, sent), "held_out": held, "held_out_converted": held_converted,
                     "held_out_conversion": _pct(held_converted, held)})
    return rows
