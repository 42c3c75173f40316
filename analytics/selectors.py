"""What the analytics dashboard and its API read: periods, figures per day and in total against
the period before, by branch. Reads a period's stored rollups (one query) plus today's figures
computed live, so the query count does not grow with the data or the period's length.

Scope: owners and admins see the community (or one branch they pick); a leader sees their own
branch only (``scope_branch``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.models import DailyProductRollup, DailyRollup
from analytics.rollups import (
    METRICS, NOT_SOLD, DayFigures, compute, compute_products, day_bounds, ensure_state, local_today,
)
from catalog.models import Product
from communities.models import Community, Membership
from communities.permissions import acts_community_wide
from core.exceptions import ValidationFailed
from orders.models import GroupBuy, Order

PERIOD_CHOICES = {"7d": gettext_lazy("Last 7 days"), "30d": gettext_lazy("Last 30 days"),
                  "90d": gettext_lazy("Last 90 days"), "month": gettext_lazy("A month"),
                  "custom": gettext_lazy("Custom")}
MAX_DAYS = 731  # two years


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def each_day(self):
        for n in range(self.days):
            yield self.start + timedelta(days=n)


def _bad(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_period", fields={field: [message]})


def _date(value, field: str) -> date:
    text = str(value or "").strip()
    if not text.isascii() or len(text) != 10:
        raise _bad(field, _("Enter a date such as 2026-11-30."))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(field, _("Enter a date such as 2026-11-30.")) from None


def period_from(community: Community, *, period: str = "30d", start=None, end=None, month=None) -> Period:
    """The period a request names: 7d/30d/90d ending today, a month ("2026-11"), or custom dates."""
    today = local_today(community)
    if period in ("7d", "30d", "90d"):
        days = int(period[:-1])
        return Period(today - timedelta(days=days - 1), today)
    if period == "month":
        text = str(month or "").strip()
        if not text.isascii() or len(text) != 7:
            raise _bad("month", _("Enter a month such as 2026-11."))
        try:
            first = date(int(text[:4]), int(text[5:]), 1) if text[4] == "-" and text[:4].isdigit() \
                and text[5:].isdigit() else None
        except ValueError:
            first = None
        if first is None:
            raise _bad("month", _("Enter a month such as 2026-11."))
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return Period(first, min(following - timedelta(days=1), today))
    if period == "custom":
        first, last = _date(start, "start"), _date(end, "end")
        if last < first:
            raise _bad("end", _("The end comes before the start."))
        if (last - first).days + 1 > MAX_DAYS:
            raise _bad("start", _("A period is at most two years."))
        if first > today:
            raise _bad("start", _("The period has not begun yet."))
        return Period(first, min(last, today))
    raise _bad("period", _("Choose 7d, 30d, 90d, month or custom."))


def scope_branch(actor: Membership, branch: Community | None = None) -> Community | None:
    """The branch whose figures the actor reads: theirs for a leader; any (or none: all) for admins."""
    if acts_community_wide(actor):
        return branch
    if actor.branch_id is None:
        raise ValidationFailed(_("A leader sees the figures of their branch, and you lead none."), code="no_branch")
    return actor.branch


def _series(community: Community, period: Period, branch: Community | None) -> dict[date, DayFigures]:
    """Each day's figures: stored rows before today, today's computed live."""
    ensure_state(community)
    today = local_today(community)
    days = {day: DayFigures() for day in period.each_day()}
    stored = DailyRollup.objects.filter(community=community, branch=branch, day__gte=period.start,
                                        day__lte=min(period.end, today - timedelta(days=1)))
    for row in stored.values("day", *METRICS):
        days[row["day"]] = DayFigures(**{name: row[name] for name in METRICS})
    if period.start <= today <= period.end:
        live = compute(community, today, today).rows
        days[today] = live.get((today, branch.pk if branch else None), DayFigures())
    return days


def _buyers(community: Community, period: Period, branch: Community | None) -> int:
    """Distinct members with an order paid in the period (not cancelled or refunded). Not a sum of
    days, so counted from the orders; a period that ended before today is kept in the cache until
    the next refresh (as of the last refresh, like the stored GMV)."""
    state = ensure_state(community)
    if period.end < local_today(community) and state.refreshed_at is not None:
        stamp = state.refreshed_at.timestamp()
        key = f"analytics:buyers:{community.pk}:{branch.pk if branch else 0}:{period.start}:{period.end}:{stamp}"
        cached = cache.get(key)
        if cached is None:
            cached = _count_buyers(community, period, branch)
            cache.set(key, cached, timeout=26 * 3600)
        return cached
    return _count_buyers(community, period, branch)


def _count_buyers(community: Community, period: Period, branch: Community | None) -> int:
    lower, upper = day_bounds(community, period.start, period.end)
    orders = Order.objects.filter(community=community, paid_at__gte=lower, paid_at__lt=upper).exclude(
        status__in=NOT_SOLD)
    if branch is not None:
        orders = orders.filter(branch=branch)
    return orders.aggregate(n=Count("member_id", distinct=True))["n"]


def _ratio(numerator, denominator, places="0.01") -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places), ROUND_HALF_UP)


def _totals(community: Community, period: Period, branch: Community | None) -> tuple[dict, list[dict]]:
    days = _series(community, period, branch)
    total = DayFigures()
    for figures in days.values():
        total.add(figures)
    totals = total.as_dict()
    totals["buyers"] = _buyers(community, period, branch)
    totals["average_order_value"] = _ratio(total.gmv, total.orders_paid)
    series = [{"day": day, **figures.as_dict()} for day, figures in sorted(days.items())]
    return totals, series


def _change(now, before) -> Decimal | None:
    """Percent change from the period before (None when there was nothing before)."""
    if now is None or before in (None, 0):
        return None
    return (Decimal(now - before) * 100 / Decimal(before)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def overview(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Totals of the period and of the one before (same length), with the change, and the daily series."""
    totals, series = _totals(community, period, branch)
    previous, _series_before = _totals(community, period.previous(), branch)
    return {
        "period": {"start": period.start, "end": period.end, "days": period.days},
        "previous": {"start": period.previous().start, "end": period.previous().end},
        "totals": totals, "previous_totals": previous,
        "changes": {name: _change(totals[name], previous[name]) for name in totals},
        "series": series,
        "weekly": weekly(series),
    }


def weekly(series: list[dict]) -> list[dict]:
    """The daily series summed by ISO week (Monday first); buyers are not summed (not distinct)."""
    weeks: dict[date, DayFigures] = {}
    for row in series:
        monday = row["day"] - timedelta(days=row["day"].weekday())
        weeks.setdefault(monday, DayFigures()).add(DayFigures(**{name: row[name] for name in METRICS}))
    return [{"week": monday, **{k: v for k, v in figures.as_dict().items() if k != "buyers"}}
            for monday, figures in sorted(weeks.items())]


def members(community: Community, *, branch: Community | None = None) -> dict:
    """Members now (active memberships) and those who ordered in the last 7 and 30 days."""
    now_local = local_today(community)
    memberships = Membership.objects.filter(community=community, status=Membership.Status.ACTIVE)
    orders = Order.objects.filter(community=community).exclude(status__in=NOT_SOLD)
    if branch is not None:
        memberships, orders = memberships.filter(branch=branch), orders.filter(branch=branch)
    result = {"members": memberships.count()}
    for days in (7, 30):
        lower, _upper = day_bounds(community, now_local - timedelta(days=days - 1), now_local)
        result[f"ordered_{days}d"] = orders.filter(paid_at__gte=lower).aggregate(
            n=Count("member_id", distinct=True))["n"]
    result["conversion_30d"] = _ratio(result["ordered_30d"], result["members"], "0.001")
    return result


BRANCH_SUMS = ("members_joined", "members_left", "orders_paid", "gmv", "orders_completed", "commission_earned",
               "commission_reversed", "commission_base")
MONEY_SUMS = ("gmv", "commission_earned", "commission_reversed", "commission_base")


def branch_sums(community: Community, period: Period, branch_ids: list[int]) -> dict[int, dict]:
    """{branch id: the BRANCH_SUMS of the period}: stored rows before today, today's computed live
    (two queries, plus today's when the period holds it)."""
    ensure_state(community)
    today = local_today(community)
    figures = {pk: {name: 0 for name in BRANCH_SUMS} | dict.fromkeys(MONEY_SUMS, Decimal("0.00"))
               for pk in branch_ids}
    stored = (DailyRollup.objects.filter(community=community, branch__in=list(figures) or [-1],
                                         day__gte=period.start, day__lte=min(period.end, today - timedelta(days=1)))
              .values("branch_id").annotate(**{name: Sum(name) for name in BRANCH_SUMS}).order_by())
    for row in stored:
        figures[row["branch_id"]].update({name: row[name] or 0 for name in BRANCH_SUMS})
    if period.start <= today <= period.end:
        for (_day, branch_id), live in compute(community, today, today).rows.items():
            if branch_id in figures:
                for name in BRANCH_SUMS:
                    figures[branch_id][name] += getattr(live, name)
    return figures


def by_branch(community: Community, period: Period) -> list[dict]:
    """Each branch's members, GMV, orders and pickups over the period (for owners and admins)."""
    branches = list(Community.objects.filter(parent=community).order_by("name").values("id", "name", "leader_id"))
    figures = branch_sums(community, period, [b["id"] for b in branches])
    counts = dict(Membership.objects.filter(community=community, status=Membership.Status.ACTIVE,
                                            branch__isnull=False).values_list("branch_id").annotate(n=Count("id")))
    return [{"branch_id": b["id"], "name": b["name"], "members": counts.get(b["id"], 0),
             "joined": figures[b["id"]]["members_joined"], "left": figures[b["id"]]["members_left"],
             "orders_paid": figures[b["id"]]["orders_paid"], "gmv": figures[b["id"]]["gmv"],
             "orders_completed": figures[b["id"]]["orders_completed"]} for b in branches]


def top_products(community: Community, period: Period, *, branch: Community | None = None, limit: int = 10) -> list:
    """The products sold most in the period by money (orders paid in it, not cancelled or refunded):
    the stored daily product rollups, plus today's computed live."""
    ensure_state(community)
    today = local_today(community)
    totals: dict[int, list] = {}
    stored = (DailyProductRollup.objects.filter(community=community, branch=branch, day__gte=period.start,
                                                day__lte=min(period.end, today - timedelta(days=1)))
              .values("product_id").annotate(q=Sum("quantity"), a=Sum("amount"), n=Sum("orders")).order_by())
    for row in stored:
        totals[row["product_id"]] = [row["q"], row["a"], row["n"]]
    if period.start <= today <= period.end:
        branch_id = branch.pk if branch else None
        for (day, row_branch, product_id), (q, a, n) in compute_products(community, today, today).items():
            if row_branch == branch_id:
                current = totals.setdefault(product_id, [0, Decimal("0.00"), 0])
                current[0], current[1], current[2] = current[0] + q, current[1] + a, current[2] + n
    best = sorted(totals.items(), key=lambda kv: (-kv[1][1], kv[0]))[:limit]
    # One query whatever the result ([-1] matches nothing): the count stays the same with no sales.
    names = dict(Product.objects.filter(community=community, pk__in=[pk for pk, _ in best] or [-1])
                 .values_list("pk", "name"))
    return [{"product_id": pk, "product__name": names.get(pk, ""), "quantity": q, "amount": a, "orders": n}
            for pk, (q, a, n) in best]


def rounds(community: Community, period: Period, *, branch: Community | None = None) -> dict:
    """Rounds settled in the period: how many reached their goal."""
    lower, upper = day_bounds(community, period.start, period.end)
    settled = GroupBuy.objects.filter(community=community, settled_at__gte=lower, settled_at__lt=upper)
    if branch is not None:
        settled = settled.filter(Q(branches=branch) | Q(branches__isnull=True))
    counts = settled.aggregate(
        succeeded=Count("id", filter=Q(status__in=[GroupBuy.Status.SUCCEEDED, GroupBuy.Status.FULFILLED]),
                        distinct=True),
        failed=Count("id", filter=Q(status=GroupBuy.Status.FAILED), distinct=True))
    settled_total = counts["succeeded"] + counts["failed"]
    return {**counts, "settled": settled_total, "success_rate": _ratio(counts["succeeded"], settled_total, "0.001")}
