"""Computing the daily rollups: the same grouped queries serve the nightly refresh (stored in
DailyRollup) and today's live figures (never stored as final).

Days are the community's local days (its timezone). A day's figures:
- members_joined: memberships whose joined_at falls on it (whoever left since);
- members_left: memberships that ended that day (left, removed or banned) and have not come back;
- orders_paid / gmv / buyers: orders paid that day that are not cancelled or refunded now (a
  refund later takes the order out of its day's GMV at the next refresh: the refresh recomputes
  the last REFRESH_WINDOW_DAYS days every night);
- refunds / orders_refunded: refunds made that day (any charge of the community: orders, pledges,
  tickets), and the charges they concern;
- orders_completed: orders picked up or delivered that day;
- commission_earned / commission_reversed / commission_base: commission earned on orders that day
  (whoever it went to: the branch's leader or the buyer's inviter), reversed that day after a
  refund, and the order totals it was earned on; a branch's row counts its orders' commission.
A branch's row counts the orders and members of that branch; the community's row (branch NULL)
counts everything, branch or not.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from analytics.models import CohortMonth, DailyProductRollup, DailyRollup, RollupState
from communities.models import Community, Membership
from engagement.models import DailyCheckIn, PointsEntry
from orders.models import Commission, Order, OrderLine
from payments.models import Refund

REFRESH_WINDOW_DAYS = 90
REFRESH_HOUR = 3  # local time of the nightly refresh
# (New figures go at the end: the API's CSV columns keep their places.)
METRICS = ("members_joined", "orders_paid", "gmv", "buyers", "refunds", "orders_refunded", "orders_completed",
           "members_left", "commission_earned", "commission_reversed", "commission_base")
NOT_SOLD = (Order.Status.CANCELLED, Order.Status.REFUNDED)


@dataclass
class DayFigures:
    members_joined: int = 0
    members_left: int = 0
    orders_paid: int = 0
    gmv: Decimal = Decimal("0.00")
    buyers: int = 0
    refunds: Decimal = Decimal("0.00")
    orders_refunded: int = 0
    orders_completed: int = 0
    commission_earned: Decimal = Decimal("0.00")
    commission_reversed: Decimal = Decimal("0.00")
    commission_base: Decimal = Decimal("0.00")

    def add(self, other: "DayFigures") -> None:
        for name in METRICS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in METRICS}


@dataclass
class Computed:
    """{(day, branch_id or None): DayFigures}; branch None is the whole community."""

    rows: dict = field(default_factory=lambda: defaultdict(DayFigures))


def zone(community: Community) -> ZoneInfo:
    try:
        return ZoneInfo(community.timezone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def local_today(community: Community, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), zone(community)).date()


def day_bounds(community: Community, start: date, end: date) -> tuple[datetime, datetime]:
    """[first instant of ``start``, first instant after ``end``) in the community's timezone."""
    tz = zone(community)
    return (datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz))


def compute(community: Community, start: date, end: date) -> Computed:
    """Every figure of every day from ``start`` to ``end`` (local days), per branch and in all."""
    tz = zone(community)
    lower, upper = day_bounds(community, start, end)
    out = Computed()

    def grouped(qs, stamp: str, branch: str | None, **aggregates):
        day = TruncDate(stamp, tzinfo=tz)
        for by_branch in (False, True) if branch else (False,):
            keys = ["d", branch] if by_branch else ["d"]
            for row in qs.annotate(d=day).values(*keys).annotate(**aggregates).order_by():
                branch_id = row.get(branch) if by_branch else None
                if by_branch and branch_id is None:
                    continue  # no branch: counted in the community's row only
                yield (row["d"], branch_id), row

    members = Membership.objects.filter(community=community, joined_at__gte=lower, joined_at__lt=upper)
    for key, row in grouped(members, "joined_at", "branch_id", n=Count("id")):
        out.rows[key].members_joined = row["n"]
    left = Membership.objects.filter(community=community, left_at__gte=lower, left_at__lt=upper)
    for key, row in grouped(left, "left_at", "branch_id", n=Count("id")):
        out.rows[key].members_left = row["n"]
    sold = Order.objects.filter(community=community, paid_at__gte=lower, paid_at__lt=upper).exclude(
        status__in=NOT_SOLD)
    for key, row in grouped(sold, "paid_at", "branch_id", n=Count("id"), gmv=Sum("total"),
                            buyers=Count("member_id", distinct=True)):
        figures = out.rows[key]
        figures.orders_paid, figures.gmv, figures.buyers = row["n"], row["gmv"] or Decimal("0.00"), row["buyers"]
    refunds = Refund.objects.filter(community=community, created_at__gte=lower, created_at__lt=upper)
    for key, row in grouped(refunds, "created_at", "charge__order__branch_id", amount=Sum("amount"),
                            n=Count("charge_id", distinct=True)):
        out.rows[key].refunds, out.rows[key].orders_refunded = row["amount"] or Decimal("0.00"), row["n"]
    completed = Order.objects.filter(community=community, completed_at__gte=lower, completed_at__lt=upper)
    for key, row in grouped(completed, "completed_at", "branch_id", n=Count("id")):
        out.rows[key].orders_completed = row["n"]
    commissions = Commission.objects.filter(community=community, created_at__gte=lower, created_at__lt=upper)
    earned, reversed_ = Q(kind=Commission.Kind.EARNED), Q(kind=Commission.Kind.REVERSED)
    for key, row in grouped(commissions, "created_at", "order__branch_id", earned=Sum("amount", filter=earned),
                            reversed=Sum("amount", filter=reversed_), base=Sum("base_amount", filter=earned)):
        figures = out.rows[key]
        figures.commission_earned = row["earned"] or Decimal("0.00")
        figures.commission_reversed = -(row["reversed"] or Decimal("0.00"))
        figures.commission_base = row["base"] or Decimal("0.00")
    return out


def compute_products(community: Community, start: date, end: date) -> dict:
    """{(day, branch_id or None, product_id): (quantity, amount, orders)} for orders paid from
    ``start`` to ``end`` and not cancelled or refunded."""
    tz = zone(community)
    lower, upper = day_bounds(community, start, end)
    # The order's community too: the orders' (community, paid_at) index then finds the period's orders.
    lines = (OrderLine.objects.filter(community=community, order__community=community, order__paid_at__gte=lower,
                                      order__paid_at__lt=upper)
             .exclude(order__status__in=NOT_SOLD).annotate(d=TruncDate("order__paid_at", tzinfo=tz)))
    out = {}
    for keys in (("d", "product_id"), ("d", "product_id", "order__branch_id")):
        for row in lines.values(*keys).annotate(q=Sum("quantity"), a=Sum("line_total"),
                                                n=Count("order_id", distinct=True)).order_by():
            branch_id = row.get("order__branch_id")
            if len(keys) == 3 and branch_id is None:
                continue
            out[(row["d"], branch_id, row["product_id"])] = (row["q"], row["a"], row["n"])
    return out


COHORT_MONTHS = 12  # the cohort table's months, this one included


def month_add(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def compute_cohorts(community: Community, this_month: date) -> list[tuple]:
    """[(branch_id or None, cohort, month, members)]: for the cohorts of the last COHORT_MONTHS local
    months (members by the month of their first sold order, in the community or in one branch), how
    many of them had a sold order in each month since. One grouped query (both scopes)."""
    first_month = month_add(this_month, -(COHORT_MONTHS - 1))
    sql = (f"WITH sold AS (SELECT member_id, branch_id, date_trunc('month', paid_at AT TIME ZONE %s)::date AS m "
           f"FROM {Order._meta.db_table} WHERE community_id = %s AND paid_at IS NOT NULL AND NOT (status = ANY(%s))), "
           "firsts AS (SELECT member_id, MIN(m) AS cohort FROM sold GROUP BY member_id), "
           "branch_firsts AS (SELECT member_id, branch_id, MIN(m) AS cohort FROM sold WHERE branch_id IS NOT NULL "
           "GROUP BY member_id, branch_id) "
           "SELECT NULL::bigint, f.cohort, s.m, COUNT(DISTINCT s.member_id) FROM firsts f "
           "JOIN sold s ON s.member_id = f.member_id WHERE f.cohort >= %s AND s.m >= %s GROUP BY f.cohort, s.m "
           "UNION ALL "
           "SELECT f.branch_id, f.cohort, s.m, COUNT(DISTINCT s.member_id) FROM branch_firsts f "
           "JOIN sold s ON s.member_id = f.member_id AND s.branch_id = f.branch_id "
           "WHERE f.cohort >= %s AND s.m >= %s GROUP BY f.branch_id, f.cohort, s.m")
    with connection.cursor() as cursor:
        cursor.execute(sql, [zone(community).key, community.pk, [str(s) for s in NOT_SOLD],
                             first_month, first_month, first_month, first_month])
        return [row for row in cursor.fetchall() if row[2] <= this_month]


def _first_day(community: Community) -> date:
    """The community's first day with anything to count (imported history may predate it)."""
    instants = [community.created_at,
                Membership.objects.filter(community=community).aggregate(m=Min("joined_at"))["m"],
                Order.objects.filter(community=community).aggregate(m=Min("created_at"))["m"],
                PointsEntry.objects.filter(community=community).aggregate(m=Min("created_at"))["m"]]
    first_check_in = DailyCheckIn.objects.filter(community=community).aggregate(m=Min("day"))["m"]
    if first_check_in is not None:  # a local day already
        instants.append(datetime.combine(first_check_in, time.min, tzinfo=zone(community)))
    return timezone.localtime(min(i for i in instants if i is not None), zone(community)).date()


def refresh(community: Community, *, start: date | None = None, now: datetime | None = None) -> int:
    """Recompute and store the community's rows from ``start`` (default: the window, or all of
    its history the first time) through today, the engagement rollups with them; the number of
    rows stored."""
    from analytics import rollups_engagement  # it computes its days with this module's helpers

    today = local_today(community, now)
    state = RollupState.objects.filter(community=community).first()
    if start is None:
        start = today - timedelta(days=REFRESH_WINDOW_DAYS) if state and state.refreshed_at else _first_day(community)
    start = min(start, today)
    computed = compute(community, start, today)
    rows = [DailyRollup(community=community, branch_id=branch_id, day=day, **figures.as_dict())
            for (day, branch_id), figures in sorted(computed.rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
            if any(figures.as_dict().values())]
    products = [DailyProductRollup(community=community, branch_id=branch_id, day=day, product_id=product_id,
                                   quantity=q, amount=a, orders=n)
                for (day, branch_id, product_id), (q, a, n) in compute_products(community, start, today).items()]
    this_month = today.replace(day=1)
    cohorts = [CohortMonth(community=community, branch_id=branch_id, cohort=cohort, month=month, members=n)
               for branch_id, cohort, month, n in compute_cohorts(community, this_month)]
    with transaction.atomic():
        CohortMonth.objects.filter(community=community).delete()
        CohortMonth.objects.bulk_create(cohorts, batch_size=2000)
        DailyRollup.objects.filter(community=community, day__gte=start).delete()
        DailyRollup.objects.bulk_create(rows, batch_size=2000)
        DailyProductRollup.objects.filter(community=community, day__gte=start).delete()
        DailyProductRollup.objects.bulk_create(products, batch_size=2000)
        engagement = rollups_engagement.store(community, start, today)
        RollupState.objects.update_or_create(community=community, defaults={
            "refreshed_at": now or timezone.now(), "refreshed_from": start,
            "next_refresh_at": next_refresh(community, now)})
    return len(rows) + len(products) + len(cohorts) + engagement


def next_refresh(community: Community, now: datetime | None = None) -> datetime:
    """The next REFRESH_HOUR:00, local time."""
    tz = zone(community)
    local = timezone.localtime(now or timezone.now(), tz)
    candidate = local.replace(hour=REFRESH_HOUR, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def ensure_state(community: Community) -> RollupState:
    """A community's refresh is scheduled (due now, the first time it is asked for)."""
    # On the primary, even inside reading_replica(): a replica that lags must not make it create twice.
    state, _created = RollupState.objects.using("default").get_or_create(
        community=community, defaults={"next_refresh_at": timezone.now()})
    return state
