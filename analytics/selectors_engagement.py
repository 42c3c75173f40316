"""Figures for the analytics dashboard's engagement page and its API: events (attendance, no-shows),
posts (reach and the orders they led to), daily check-ins, points issued and spent, coupons and what
they cost, referrals. Reads only; each figure spends one or two queries whatever the data (aggregates
in SQL). Check-ins and points read the stored engagement rollups (``analytics.models_engagement``) for
the days before today and count today live.

Scope. The community, or one branch:
- events: the branch's own events and the community-wide ones; their RSVPs counted only for the
  RSVPs whose ``branch`` is that branch (the member's branch when they answered);
- posts: the branch's own posts and the community-wide ones; reach, likes and comments by members
  whose membership is in the branch now, orders led to by the orders of the branch (``Order.branch``);
- check-ins, points, referrals (the invitee's): by the member's membership branch now (for stored
  days: when the nightly refresh computed them);
- coupons: by the order's branch (``Order.branch``).

Local days are the community's (``day_bounds``). Orders cancelled or refunded are not sales
(``NOT_SOLD``). Reach counts from the day recording began (``PostView``, written by
``engagement.posts.post_seen``): posts opened before that have no views.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.models import User
from analytics.models_engagement import CheckInMonth, DailyCheckInRollup, DailyPointsRollup, PostLedOrder
from analytics.rollups import NOT_SOLD, day_bounds, ensure_state, local_today
from analytics.rollups_engagement import LED_SQL, LED_TO_DAYS
from analytics.selectors import Period, _change, _ratio
from communities.models import Community, Membership
from engagement.models import (
    RSVP, Comment, DailyCheckIn, Event, Post, PostFeature, PostLike, PointsEntry, PostView, Referral,
)
from orders.models import Coupon, CouponRedemption, Order, OrderLine

TOP_EVENTS = 20
TOP_POSTS = 20
TOP_COUPONS = 10
TOP_REFERRERS = 10

T = {name: model._meta.db_table for name, model in {
    "checkin_day": DailyCheckInRollup, "led": PostLedOrder, "points_day": DailyPointsRollup, "checkin_month": CheckInMonth,
    "event": Event, "rsvp": RSVP, "post": Post, "view": PostView, "like": PostLike, "comment": Comment,
    "feature": PostFeature, "checkin": DailyCheckIn, "points": PointsEntry, "referral": Referral,
    "order": Order, "line": OrderLine, "redemption": CouponRedemption, "coupon": Coupon,
    "membership": Membership, "user": User}.items()}
ZERO = Decimal("0.00")


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _in_branch(column: str) -> str:
    """SQL: the member in ``column`` has their membership in the branch (always true without one)."""
    return (f"(%(b)s::bigint IS NULL OR EXISTS (SELECT 1 FROM {T['membership']} m WHERE m.community_id = %(c)s "
            f"AND m.user_id = {column} AND m.branch_id = %(b)s::bigint))")


def _params(community: Community, period: Period, branch: Community | None, **more) -> dict:
    lower, upper = day_bounds(community, period.start, period.end)
    before_lower, _before_upper = day_bounds(community, period.previous().start, period.previous().end)
    return {"c": community.pk, "b": branch.pk if branch is not None else None, "lo": lower, "hi": upper,
            "plo": before_lower, "start": period.start, "end": period.end,
            "pstart": period.previous().start, "not_sold": list(NOT_SOLD), **more}


def _headline(now: dict, before: dict, names) -> dict:
    return {"totals": {n: now[n] for n in names}, "previous_totals": {n: before[n] for n in names},
            "changes": {n: _change(now[n], before[n]) for n in names}}


def _period(period: Period) -> dict:
    previous = period.previous()
    return {"period": {"start": period.start, "end": period.end, "days": period.days},
            "previous": {"start": previous.start, "end": previous.end}}


# Events ------------------------------------------------------------------------------------------

EVENT_FIGURES = ("events", "seats_taken", "attended", "no_shows", "attendance_rate")


def events(community: Community, period: Period, *, branch: Community | None = None, now=None) -> dict:
    """Published events that started in the period (and the period before): seats taken (RSVPs
    going), attended (checked in), no-shows (going, not checked in, the event over), attendance
    rate (attended over seats taken, of the events that are over). One query."""
    params = _params(community, period, branch, now=now or timezone.now())
    rows = _rows(f"""
        WITH e AS (
            SELECT id, title, starts_at, ends_at, starts_at >= %(lo)s AS current, ends_at <= %(now)s AS ended
            FROM {T['event']}
            WHERE community_id = %(c)s AND status = 'published' AND starts_at >= %(plo)s AND starts_at < %(hi)s
              AND (%(b)s::bigint IS NULL OR branch_id IS NULL OR branch_id = %(b)s::bigint)),
        r AS (
            SELECT r.event_id,
                   count(*) FILTER (WHERE r.status = 'going') AS going,
                   count(*) FILTER (WHERE r.checked_in_at IS NOT NULL) AS attended,
                   count(*) FILTER (WHERE r.status = 'going' AND r.checked_in_at IS NULL) AS absent
            FROM {T['rsvp']} r JOIN e ON e.id = r.event_id
            WHERE r.community_id = %(c)s AND (%(b)s::bigint IS NULL OR r.branch_id = %(b)s::bigint)
            GROUP BY r.event_id)
        SELECT e.id, e.title, e.starts_at, e.ends_at, e.current, e.ended, coalesce(r.going, 0) AS going,
               coalesce(r.attended, 0) AS attended, coalesce(r.absent, 0) AS absent
        FROM e LEFT JOIN r ON r.event_id = e.id
        ORDER BY e.starts_at DESC, e.id DESC""", params)
    sums = {True: dict.fromkeys(("events", "seats_taken", "attended", "no_shows", "ended_seats", "ended_attended"), 0),
            False: dict.fromkeys(("events", "seats_taken", "attended", "no_shows", "ended_seats", "ended_attended"), 0)}
    table = []
    for row in rows:
        s = sums[row["current"]]
        s["events"] += 1
        s["seats_taken"] += row["going"]
        s["attended"] += row["attended"]
        no_shows = row["absent"] if row["ended"] else 0
        s["no_shows"] += no_shows
        if row["ended"]:
            s["ended_seats"] += row["going"]
            s["ended_attended"] += row["attended"]
        if row["current"] and len(table) < TOP_EVENTS:
            table.append({"event_id": row["id"], "title": row["title"], "starts_at": row["starts_at"],
                          "ended": row["ended"], "seats_taken": row["going"], "attended": row["attended"],
                          "no_shows": no_shows if row["ended"] else None,
                          "attendance_rate": _ratio(row["attended"], row["going"], "0.001") if row["ended"] else None})
    for s in sums.values():
        s["attendance_rate"] = _ratio(s["ended_attended"], s["ended_seats"], "0.001")
    return {**_period(period), **_headline(sums[True], sums[False], EVENT_FIGURES), "events": table}


# Posts -------------------------------------------------------------------------------------------

POST_FIGURES = ("posts", "reach", "likes", "comments", "orders", "gmv")


def posts(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Posts published in the period (and the period before): reach (distinct members who opened
    them, from PostView), likes, visible comments, and the orders they led to: orders paid (not
    cancelled or refunded) by a member within 7 days after they first opened the post, of a round
    the post features or with a product it features. An order led to by two posts counts once in the
    totals. One query; the table is the 20 posts of the period reaching most members."""
    today = local_today(community)
    today_lo, today_hi = day_bounds(community, today, today)
    # The pairs stored by the refresh for orders paid before today; today's found live (LED_SQL).
    params = _params(community, period, branch, days=timedelta(days=LED_TO_DAYS), tlo=today_lo, led_lo=today_lo,
                     led_hi=today_hi)
    by_member = _in_branch
    rows = _rows(f"""
        WITH p AS (
            SELECT id, title, published_at, published_at >= %(lo)s AS current FROM {T['post']}
            WHERE community_id = %(c)s AND status = 'published' AND published_at >= %(plo)s
              AND published_at < %(hi)s
              AND (%(b)s::bigint IS NULL OR branch_id IS NULL OR branch_id = %(b)s::bigint)),
        v AS (
            SELECT pv.post_id, pv.member_id, pv.first_seen_at, p.current FROM {T['view']} pv JOIN p ON p.id = pv.post_id
            WHERE pv.community_id = %(c)s AND {by_member('pv.member_id')}),
        led AS (
            SELECT DISTINCT x.post_id, p.current, o.id AS order_id, o.total FROM (
                SELECT pl.post_id, pl.order_id FROM {T['led']} pl
                WHERE pl.community_id = %(c)s AND pl.paid_at < %(tlo)s AND pl.post_id IN (SELECT id FROM p)
                UNION ALL
                SELECT t.post_id, t.order_id FROM ({LED_SQL}) t) x
            JOIN p ON p.id = x.post_id
            JOIN {T['order']} o ON o.id = x.order_id
            WHERE NOT (o.status = ANY(%(not_sold)s)) AND (%(b)s::bigint IS NULL OR o.branch_id = %(b)s::bigint)
              AND {by_member('o.member_id')}),
        reach AS (SELECT post_id, count(*) AS n FROM v GROUP BY post_id),
        likes AS (SELECT k.post_id, count(*) AS n FROM {T['like']} k JOIN p ON p.id = k.post_id
                  WHERE k.community_id = %(c)s AND {by_member('k.member_id')} GROUP BY k.post_id),
        comments AS (SELECT k.post_id, count(*) AS n FROM {T['comment']} k JOIN p ON p.id = k.post_id
                     WHERE k.community_id = %(c)s AND k.status = 'visible' AND {by_member('k.author_id')}
                     GROUP BY k.post_id),
        orders AS (SELECT post_id, count(*) AS n, sum(total) AS gmv FROM led GROUP BY post_id)
        SELECT p.id, p.title, p.published_at, p.current, coalesce(reach.n, 0) AS reach,
               coalesce(likes.n, 0) AS likes, coalesce(comments.n, 0) AS comments,
               coalesce(orders.n, 0) AS orders, coalesce(orders.gmv, 0) AS gmv
        FROM p LEFT JOIN reach ON reach.post_id = p.id LEFT JOIN likes ON likes.post_id = p.id
             LEFT JOIN comments ON comments.post_id = p.id LEFT JOIN orders ON orders.post_id = p.id
        UNION ALL
        SELECT NULL, NULL, NULL, x.current, x.reach, 0, 0, y.orders, y.gmv FROM
            (SELECT c.current, (SELECT count(DISTINCT member_id) FROM v WHERE v.current = c.current) AS reach
             FROM (VALUES (true), (false)) AS c(current)) x
            JOIN (SELECT c.current,
                         (SELECT count(*) FROM (SELECT DISTINCT order_id FROM led WHERE led.current = c.current) d)
                            AS orders,
                         (SELECT coalesce(sum(total), 0) FROM (SELECT DISTINCT order_id, total FROM led
                                                              WHERE led.current = c.current) d) AS gmv
                  FROM (VALUES (true), (false)) AS c(current)) y ON y.current = x.current""", params)
    sums = {flag: {"posts": 0, "reach": 0, "likes": 0, "comments": 0, "orders": 0, "gmv": ZERO}
            for flag in (True, False)}
    table = []
    for row in rows:
        s = sums[row["current"]]
        if row["id"] is None:  # the distinct totals of the period (reach, orders) across its posts
            s["reach"], s["orders"], s["gmv"] = row["reach"], row["orders"], Decimal(row["gmv"]).quantize(ZERO)
            continue
        s["posts"] += 1
        s["likes"] += row["likes"]
        s["comments"] += row["comments"]
        if row["current"]:
            table.append({"post_id": row["id"], "title": row["title"], "published_at": row["published_at"],
                          "reach": row["reach"], "likes": row["likes"], "comments": row["comments"],
                          "orders": row["orders"], "gmv": Decimal(row["gmv"]).quantize(ZERO)})
    table.sort(key=lambda r: (-r["reach"], -r["orders"], -r["post_id"]))
    return {**_period(period), **_headline(sums[True], sums[False], POST_FIGURES), "posts": table[:TOP_POSTS],
            "led_to_days": LED_TO_DAYS}


# Check-ins ---------------------------------------------------------------------------------------

CHECK_IN_FIGURES = ("check_ins", "members", "longest_streak")


def _stored_until(community: Community, period: Period) -> tuple[date, date]:
    """(today, the last day read from the stored rollups: the period's end or yesterday)."""
    ensure_state(community)
    today = local_today(community)
    return today, min(period.end, today - timedelta(days=1))


def _month_masks(period: Period, last_stored: date) -> tuple[list, list, list]:
    """(months, masks, current) for ``CheckInMonth``: for each month the period and the period
    before touch up to ``last_stored``, the bits of those days (one entry per month and period)."""
    masks: dict[tuple[date, bool], int] = {}
    for current, span in ((False, period.previous()), (True, period)):
        day = span.start
        while day <= min(span.end, last_stored):
            key = (day.replace(day=1), current)
            masks[key] = masks.get(key, 0) | (1 << (day.day - 1))
            day += timedelta(days=1)
    return [m for m, _c in masks], list(masks.values()), [c for _m, c in masks]


def check_ins(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Daily check-ins (签到) on each local day of the period, the distinct members who checked in,
    and the longest streak reached in it; the same totals for the period before. Stored days from
    the rollups, today's counted live; members from each member's check-in days per month. Two
    queries."""
    today, last_stored = _stored_until(community, period)
    months, masks, flags = _month_masks(period, last_stored)
    params = {**_params(community, period, branch), "today": today, "last": last_stored,
              "live": period.start <= today <= period.end, "months": months, "masks": masks, "flags": flags}
    by_day = _rows(f"""
        SELECT day, check_ins, longest_streak FROM {T['checkin_day']}
        WHERE community_id = %(c)s AND branch_id IS NOT DISTINCT FROM %(b)s::bigint
          AND day >= %(pstart)s AND day <= %(last)s
        UNION ALL
        SELECT k.day, count(*), max(k.streak) FROM {T['checkin']} k
        WHERE %(live)s AND k.community_id = %(c)s AND k.day = %(today)s AND {_in_branch('k.member_id')}
        GROUP BY k.day""", params)
    members = _rows(f"""
        SELECT x.current, count(DISTINCT x.member_id) AS members FROM (
            SELECT q.current, cm.member_id FROM {T['checkin_month']} cm
            JOIN unnest(%(months)s::date[], %(masks)s::int[], %(flags)s::boolean[]) AS q(month, mask, current)
                 ON cm.month = q.month
            WHERE cm.community_id = %(c)s AND (%(b)s::bigint IS NULL OR cm.branch_id = %(b)s::bigint)
              AND cm.days & q.mask <> 0
            UNION ALL
            SELECT TRUE, k.member_id FROM {T['checkin']} k
            WHERE %(live)s AND k.community_id = %(c)s AND k.day = %(today)s AND {_in_branch('k.member_id')}) x
        GROUP BY x.current""", params)
    per_day = {day: 0 for day in period.each_day()}
    sums = {flag: {"check_ins": 0, "members": 0, "longest_streak": 0} for flag in (True, False)}
    for row in by_day:
        s = sums[row["day"] >= period.start]
        s["check_ins"] += row["check_ins"]
        s["longest_streak"] = max(s["longest_streak"], row["longest_streak"] or 0)
        if row["day"] in per_day:
            per_day[row["day"]] = row["check_ins"]
    for row in members:
        sums[row["current"]]["members"] = row["members"]
    return {**_period(period), **_headline(sums[True], sums[False], CHECK_IN_FIGURES),
            "series": [{"day": day, "check_ins": n} for day, n in sorted(per_day.items())]}


# Points ------------------------------------------------------------------------------------------

POINT_FIGURES = ("issued", "spent")


def points(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Points issued (the positive ledger lines) and spent (the negative ones, as a positive number)
    in the period and the period before, and by reason for the period. Stored days from the
    rollups, today's summed live. One query."""
    today, last_stored = _stored_until(community, period)
    today_lo, today_hi = day_bounds(community, today, today)
    params = {**_params(community, period, branch), "last": last_stored, "tlo": today_lo, "thi": today_hi,
              "live": period.start <= today <= period.end}
    rows = _rows(f"""
        SELECT current, reason, sum(issued) AS issued, sum(spent) AS spent, sum(entries) AS entries FROM (
            SELECT day >= %(start)s AS current, reason, issued, spent, entries FROM {T['points_day']}
            WHERE community_id = %(c)s AND branch_id IS NOT DISTINCT FROM %(b)s::bigint
              AND day >= %(pstart)s AND day <= %(last)s
            UNION ALL
            SELECT TRUE, e.reason, coalesce(sum(e.amount) FILTER (WHERE e.amount > 0), 0),
                   coalesce(-sum(e.amount) FILTER (WHERE e.amount < 0), 0), count(*)
            FROM {T['points']} e
            WHERE %(live)s AND e.community_id = %(c)s AND e.created_at >= %(tlo)s AND e.created_at < %(thi)s
              AND {_in_branch('e.member_id')}
            GROUP BY e.reason) x
        GROUP BY current, reason""", params)
    sums = {flag: {"issued": 0, "spent": 0} for flag in (True, False)}
    labels = dict(PointsEntry.Reason.choices)
    reasons = []
    for row in rows:
        issued, spent, entries = int(row["issued"]), int(row["spent"]), int(row["entries"])
        sums[row["current"]]["issued"] += issued
        sums[row["current"]]["spent"] += spent
        if row["current"]:
            reasons.append({"reason": row["reason"], "label": str(labels.get(row["reason"], row["reason"])),
                            "issued": issued, "spent": spent, "entries": entries})
    reasons.sort(key=lambda r: (-(r["issued"] + r["spent"]), r["reason"]))
    return {**_period(period), **_headline(sums[True], sums[False], POINT_FIGURES), "reasons": reasons}


# Coupons -----------------------------------------------------------------------------------------

COUPON_FIGURES = ("uses", "discount", "gmv")


def coupons(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Coupon uses: orders paid in the period (not cancelled or refunded) that used a coupon, the
    discount they took (what the coupons cost, ``Order.discount``) and those orders' GMV; the same
    for the period before; the 10 coupons used most in the period. One query."""
    params = _params(community, period, branch)
    rows = _rows(f"""
        SELECT o.paid_at >= %(lo)s AS current, r.coupon_id, c.code, c.name, count(*) AS uses,
               coalesce(sum(o.discount), 0) AS discount, coalesce(sum(o.total), 0) AS gmv
        FROM {T['order']} o JOIN {T['redemption']} r ON r.order_id = o.id JOIN {T['coupon']} c ON c.id = r.coupon_id
        WHERE o.community_id = %(c)s AND o.paid_at >= %(plo)s AND o.paid_at < %(hi)s
          AND NOT (o.status = ANY(%(not_sold)s)) AND (%(b)s::bigint IS NULL OR o.branch_id = %(b)s::bigint)
        GROUP BY 1, 2, 3, 4""", params)
    sums = {flag: {"uses": 0, "discount": ZERO, "gmv": ZERO} for flag in (True, False)}
    table = []
    for row in rows:
        s = sums[row["current"]]
        s["uses"] += row["uses"]
        s["discount"] += row["discount"]
        s["gmv"] += row["gmv"]
        if row["current"]:
            table.append({"coupon_id": row["coupon_id"], "code": row["code"], "name": row["name"],
                          "uses": row["uses"], "discount": row["discount"], "gmv": row["gmv"]})
    table.sort(key=lambda r: (-r["uses"], -r["discount"], r["coupon_id"]))
    return {**_period(period), **_headline(sums[True], sums[False], COUPON_FIGURES), "coupons": table[:TOP_COUPONS]}


# Referrals ---------------------------------------------------------------------------------------

REFERRAL_FIGURES = ("joined", "ordered", "rewarded", "points", "coupons")


def referrals(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Invitees who joined in the period (and the period before) through a member's invite: how many
    have placed a paid order since (not cancelled or refunded), how many referrals were rewarded,
    the points and coupons given for them; the 10 referrers with most invitees. One query."""
    params = _params(community, period, branch, top=TOP_REFERRERS)
    rows = _rows(f"""
        WITH r AS (
            SELECT r.referrer_id, r.joined_at >= %(lo)s AS current, r.status, r.points, r.outcome,
                   EXISTS (SELECT 1 FROM {T['order']} o WHERE o.community_id = %(c)s AND o.member_id = r.invitee_id
                           AND o.paid_at IS NOT NULL AND NOT (o.status = ANY(%(not_sold)s))) AS ordered
            FROM {T['referral']} r
            WHERE r.community_id = %(c)s AND r.joined_at >= %(plo)s AND r.joined_at < %(hi)s
              AND {_in_branch('r.invitee_id')}),
        g AS (
            SELECT current, referrer_id, count(*) AS joined, count(*) FILTER (WHERE ordered) AS ordered,
                   count(*) FILTER (WHERE status = 'rewarded') AS rewarded,
                   coalesce(sum(points) FILTER (WHERE status = 'rewarded'), 0) AS points,
                   count(*) FILTER (WHERE status = 'rewarded' AND outcome LIKE 'coupon:%%') AS coupons
            FROM r GROUP BY GROUPING SETS ((current, referrer_id), (current)))
        SELECT g.*, u.display_name AS name FROM g LEFT JOIN {T['user']} u ON u.id = g.referrer_id
        WHERE g.referrer_id IS NULL OR g.current""", params)
    sums = {flag: dict.fromkeys(REFERRAL_FIGURES, 0) for flag in (True, False)}
    top = []
    for row in rows:
        if row["referrer_id"] is None:
            sums[row["current"]] = {name: row[name] for name in REFERRAL_FIGURES}
        else:
            top.append({"referrer_id": row["referrer_id"], "name": row["name"] or "",
                        **{name: row[name] for name in REFERRAL_FIGURES}})
    top.sort(key=lambda r: (-r["joined"], -r["ordered"], r["referrer_id"]))
    return {**_period(period), **_headline(sums[True], sums[False], REFERRAL_FIGURES), "referrers": top[:TOP_REFERRERS]}
