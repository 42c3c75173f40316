"""Computing the engagement rollups (``analytics.models_engagement``): the same grouped statements
fill the stored rows in the nightly refresh (``store``, called by ``analytics.rollups.refresh``) and
give today's figures live to the selectors (``CHECK_INS_SQL``, ``POINTS_SQL``, ``LED_SQL``).

Each statement groups twice in one pass (GROUPING SETS): the whole community (branch NULL) and each
branch, by the member's membership branch now; members in no branch count in the community's rows
only. Days are the community's local days: a check-in's ``day`` is already one; a points line's
day is its ``created_at`` in the community's timezone.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection

from analytics.models_engagement import CheckInMonth, DailyCheckInRollup, DailyPointsRollup, PostLedOrder
from analytics.rollups import NOT_SOLD, day_bounds, zone
from communities.models import Community, Membership
from engagement.models import DailyCheckIn, PointsEntry, PostFeature, PostView
from orders.models import Order, OrderLine

T = {name: model._meta.db_table for name, model in {
    "checkin": DailyCheckIn, "points": PointsEntry, "membership": Membership, "checkin_day": DailyCheckInRollup,
    "points_day": DailyPointsRollup, "checkin_month": CheckInMonth, "led": PostLedOrder, "order": Order,
    "line": OrderLine, "view": PostView, "feature": PostFeature}.items()}
LED_TO_DAYS = 7  # an order within 7 days after the member first opened the post

# The branch column of a GROUPING SETS row: NULL in the community's set; the member's branch in the
# branch set, where members in no branch are left out (HAVING).
_BRANCH = "CASE WHEN GROUPING(m.branch_id) = 1 THEN NULL ELSE m.branch_id END"
_BRANCH_ROWS_ONLY = "HAVING GROUPING(m.branch_id) = 1 OR m.branch_id IS NOT NULL"
_MEMBERSHIP = f"LEFT JOIN {T['membership']} m ON m.community_id = %(c)s AND m.user_id = {{member}}"

# (branch_id, day, check_ins, longest_streak) of the days from %(start)s to %(end)s.
CHECK_INS_SQL = f"""
    SELECT {_BRANCH} AS branch_id, k.day, count(*) AS check_ins, max(k.streak) AS longest_streak
    FROM {T['checkin']} k {_MEMBERSHIP.format(member='k.member_id')}
    WHERE k.community_id = %(c)s AND k.day >= %(start)s AND k.day <= %(end)s
    GROUP BY GROUPING SETS ((k.day), (k.day, m.branch_id)) {_BRANCH_ROWS_ONLY}"""

# (branch_id, day, reason, issued, spent, entries) of the lines created from %(lo)s to before %(hi)s.
POINTS_SQL = f"""
    SELECT {_BRANCH} AS branch_id, (e.created_at AT TIME ZONE %(tz)s)::date AS day, e.reason,
           coalesce(sum(e.amount) FILTER (WHERE e.amount > 0), 0) AS issued,
           coalesce(-sum(e.amount) FILTER (WHERE e.amount < 0), 0) AS spent, count(*) AS entries
    FROM {T['points']} e {_MEMBERSHIP.format(member='e.member_id')}
    WHERE e.community_id = %(c)s AND e.created_at >= %(lo)s AND e.created_at < %(hi)s
    GROUP BY GROUPING SETS ((2, e.reason), (2, e.reason, m.branch_id)) {_BRANCH_ROWS_ONLY}"""

# (member_id, branch_id, month, days) of the months from %(first_month)s to %(end)s.
CHECK_IN_MONTHS_SQL = f"""
    SELECT k.member_id, m.branch_id, date_trunc('month', k.day)::date AS month,
           bit_or(1 << (extract(day FROM k.day)::int - 1)) AS days
    FROM {T['checkin']} k {_MEMBERSHIP.format(member='k.member_id')}
    WHERE k.community_id = %(c)s AND k.day >= %(first_month)s AND k.day <= %(end)s
    GROUP BY k.member_id, m.branch_id, date_trunc('month', k.day)"""


# (post_id, order_id, paid_at) of the orders paid from %(led_lo)s to before %(led_hi)s, not cancelled or
# refunded, that a post led to: paid within %(days)s after the buyer first opened the post, of a round
# the post features or with a product it features. Driven by the orders (few a day), each joined to
# its buyer's post views.
LED_SQL = f"""
    SELECT DISTINCT pv.post_id, o.id AS order_id, o.paid_at
    FROM {T['order']} o
    JOIN {T['view']} pv ON pv.community_id = %(c)s AND pv.member_id = o.member_id
         AND o.paid_at >= pv.first_seen_at AND o.paid_at < pv.first_seen_at + %(days)s
    WHERE o.community_id = %(c)s AND o.paid_at >= %(led_lo)s AND o.paid_at < %(led_hi)s
      AND NOT (o.status = ANY(%(not_sold)s))
      AND EXISTS (SELECT 1 FROM {T['feature']} f WHERE f.post_id = pv.post_id AND (
          f.group_buy_id = o.group_buy_id OR (f.product_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM {T['line']} l WHERE l.order_id = o.id AND l.product_id = f.product_id))))"""


def params(community: Community, start: date, end: date) -> dict:
    lower, upper = day_bounds(community, start, end)
    return {"c": community.pk, "start": start, "end": end, "lo": lower, "hi": upper, "tz": zone(community).key,
            "first_month": start.replace(day=1), "days": timedelta(days=LED_TO_DAYS), "led_lo": lower, "led_hi": upper,
            "not_sold": [str(s) for s in NOT_SOLD]}


def store(community: Community, start: date, end: date) -> int:
    """Replace the stored rows from ``start`` (check-in months: from the first of its month) to
    ``end`` with freshly computed ones; the number of rows stored. Runs inside the refresh's
    transaction."""
    p = params(community, start, end)
    stored = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {T['checkin_day']} WHERE community_id = %(c)s AND day >= %(start)s", p)
        cursor.execute(f"INSERT INTO {T['checkin_day']} (community_id, branch_id, day, check_ins, longest_streak) "
                       f"SELECT %(c)s, x.* FROM ({CHECK_INS_SQL}) x", p)
        stored += cursor.rowcount
        cursor.execute(f"DELETE FROM {T['points_day']} WHERE community_id = %(c)s AND day >= %(start)s", p)
        cursor.execute(f"INSERT INTO {T['points_day']} (community_id, branch_id, day, reason, issued, spent, entries) "
                       f"SELECT %(c)s, x.* FROM ({POINTS_SQL}) x", p)
        stored += cursor.rowcount
        cursor.execute(f"DELETE FROM {T['checkin_month']} WHERE community_id = %(c)s AND month >= %(first_month)s", p)
        cursor.execute(f"INSERT INTO {T['checkin_month']} (community_id, member_id, branch_id, month, days) "
                       f"SELECT %(c)s, x.* FROM ({CHECK_IN_MONTHS_SQL}) x", p)
        stored += cursor.rowcount
        cursor.execute(f"DELETE FROM {T['led']} WHERE community_id = %(c)s AND paid_at >= %(lo)s", p)
        cursor.execute(f"INSERT INTO {T['led']} (community_id, post_id, order_id, paid_at) "
                       f"SELECT %(c)s, x.* FROM ({LED_SQL}) x", p)
        stored += cursor.rowcount
    return stored
