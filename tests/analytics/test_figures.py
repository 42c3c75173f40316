"""Each figure against a small hand-made data set whose answer is known: local day boundaries in
the community's timezone, refunds, cancelled orders left out of GMV, branches, the period before."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from analytics import rollups, selectors
from analytics.models import DailyRollup
from communities.models import Community, Membership, Role
from orders import services as orders
from orders.models import Order
from payments import services as payments
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def shop():
    """A Shanghai community with a branch; orders paid at chosen instants (set after placing)."""
    with time_machine.travel(at(2026, 11, 1), tick=False):
        community = CommunityFactory(timezone="Asia/Shanghai")
        owner = MembershipFactory(community=community, role=Role.OWNER, user=UserFactory())
        branch = Community.objects.create(name="East gate", slug=f"{community.slug}-east", parent=community,
                                          timezone="Asia/Shanghai")
        leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(), branch=branch)
        round_ = make_group_buy(owner, products=[ProductFactory(community=community)], price="10.00", offer=1000,
                                closes_at=at(2026, 12, 31))
    state = {"community": community, "owner": owner, "branch": branch, "leader": leader, "round": round_, "n": 0}

    def buy(paid_at, *, qty=1, in_branch=False, status=None, member=None):
        state["n"] += 1
        if member is None:
            member = MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory(),
                                       branch=branch if in_branch else None)
        payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("1000"))
        order, _ = orders.order_place(member=member, group_buy=round_, lines=[(round_.items.first().pk, qty)],
                                      idempotency_key=f"k{state['n']}", pickup_point_id=round_.pickup_points.first().pk)
        orders.order_pay_with_wallet(member=member, order=order)
        Order.objects.filter(pk=order.pk).update(paid_at=paid_at, **({"status": status} if status else {}))
        Membership.objects.filter(pk=member.pk).update(joined_at=paid_at - timedelta(days=1))
        return member

    state["buy"] = buy
    return state


def test_days_are_the_communitys_local_days_and_cancelled_orders_are_not_gmv(shop):
    buy = shop["buy"]
    buy(at(2026, 11, 10, 23, 30))              # local 10th, 15:30 UTC
    buy(at(2026, 11, 11, 0, 30), qty=2)        # local 11th (still the 10th in UTC)
    buy(at(2026, 11, 11, 9, 0), status=Order.Status.CANCELLED)  # cancelled: not GMV
    buy(at(2026, 11, 11, 10, 0), in_branch=True, qty=3)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        period = selectors.period_from(shop["community"], period="custom", start="2026-11-10", end="2026-11-11")
        result = selectors.overview(shop["community"], period)
    by_day = {row["day"]: row for row in result["series"]}
    assert by_day[date(2026, 11, 10)]["orders_paid"] == 1 and by_day[date(2026, 11, 10)]["gmv"] == Decimal("10.00")
    assert by_day[date(2026, 11, 11)]["orders_paid"] == 2 and by_day[date(2026, 11, 11)]["gmv"] == Decimal("50.00")
    totals = result["totals"]
    assert totals["orders_paid"] == 3 and totals["gmv"] == Decimal("60.00") and totals["buyers"] == 3
    assert totals["average_order_value"] == Decimal("20.00")
    # Members joined the day before they paid: the 9th and the 10th (twice) fall in or out of the period.
    assert by_day[date(2026, 11, 10)]["members_joined"] == 3  # joined on the 10th local (3 of them)


def test_a_branch_counts_its_own_and_a_leader_sees_only_it(shop):
    buy = shop["buy"]
    buy(at(2026, 11, 12), in_branch=True, qty=4)
    buy(at(2026, 11, 12))
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        period = selectors.period_from(shop["community"], period="custom", start="2026-11-10", end="2026-11-16")
        leader = Membership.objects.select_related("branch").get(pk=shop["leader"].pk)
        branch = selectors.scope_branch(leader, None)
        assert branch == shop["branch"]
        theirs = selectors.overview(shop["community"], period, branch=branch)["totals"]
        everyone = selectors.overview(shop["community"], period)["totals"]
    assert theirs["gmv"] == Decimal("40.00") and theirs["orders_paid"] == 1
    assert everyone["gmv"] == Decimal("50.00") and everyone["orders_paid"] == 2


def test_refunds_count_on_the_day_they_are_made_and_take_the_order_out_of_gmv(shop, ):
    member = shop["buy"](at(2026, 11, 14), qty=2)
    order = Order.objects.get(member=member.user)
    with time_machine.travel(at(2026, 11, 15, 9), tick=False):
        orders.order_refund(actor=shop["owner"], order=order, reason="bruised")
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        result = selectors.overview(shop["community"], selectors.period_from(
            shop["community"], period="custom", start="2026-11-14", end="2026-11-15"))
    by_day = {row["day"]: row for row in result["series"]}
    assert by_day[date(2026, 11, 14)]["gmv"] == 0  # refunded since: not sold
    assert by_day[date(2026, 11, 15)]["refunds"] == Decimal("20.00") and by_day[date(2026, 11, 15)]["orders_refunded"] == 1


def test_today_is_computed_live_and_compared_with_the_period_before(shop):
    buy = shop["buy"]
    buy(at(2026, 11, 8))                       # in the period before: 7–13 Nov
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
    buy(at(2026, 11, 20, 11))                  # today, after the refresh: only the live part sees it
    buy(at(2026, 11, 20, 11, 30), qty=3)
    with time_machine.travel(NOW, tick=False):
        result = selectors.overview(shop["community"], selectors.period_from(shop["community"], period="7d"))
    assert result["totals"]["orders_paid"] == 2 and result["totals"]["gmv"] == Decimal("40.00")
    assert result["period"]["start"] == date(2026, 11, 14)
    assert result["previous_totals"]["orders_paid"] == 1  # the 8th is in 7–13 Nov
    assert result["changes"]["orders_paid"] == Decimal("100.0")


def test_the_refresh_is_a_sweep_and_a_second_run_changes_nothing(shop):
    from core.sweeps import sweep_run

    shop["buy"](at(2026, 11, 16))
    with time_machine.travel(NOW, tick=False):
        rollups.ensure_state(shop["community"])
        assert sweep_run("analytics.refresh_rollups").settled == 1
        rows = list(DailyRollup.objects.order_by("pk").values("day", "branch", "gmv"))
        assert sweep_run("analytics.refresh_rollups").settled == 0  # next due tomorrow 03:00
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert sweep_run("analytics.refresh_rollups").settled == 1
    again = DailyRollup.objects.values_list("day", "branch", "gmv")
    assert sorted(again, key=str) == sorted(((r["day"], r["branch"], r["gmv"]) for r in rows), key=str)


def test_periods_refuse_bad_input(shop):
    from core.exceptions import ValidationFailed

    community = shop["community"]
    for kwargs in ({"period": "1y"}, {"period": "custom", "start": "2026-11-10", "end": "2026-11-01"},
                   {"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-11"},
                   {"period": "custom", "start": "2020-01-01", "end": "2026-11-11"},
                   {"period": "month", "month": "2026-13"}, {"period": "month", "month": "x\x00"}):
        with pytest.raises(ValidationFailed):
            selectors.period_from(community, **kwargs)
