"""Repurchase rate, member sources and cohorts against small hand-made data sets with known answers;
each figure's query count does not grow with the data."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import rollups, selectors, selectors_funnel, selectors_more
from communities.models import Community, Membership, Role
from orders import services as orders
from orders.models import Order
from payments import services as payments
from tests.factories import CommunityFactory, InviteFactory, MembershipFactory, ProductFactory, UserFactory, \
    make_group_buy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def make_shop():
    """A Shanghai community with a branch (and its leader); ``buy`` places a paid order at a chosen instant."""
    with time_machine.travel(at(2026, 11, 1), tick=False):
        community = CommunityFactory(timezone="Asia/Shanghai")
        owner = MembershipFactory(community=community, role=Role.OWNER, user=UserFactory())
        branch = Community.objects.create(name="East gate", slug=f"{community.slug}-east", parent=community,
                                          timezone="Asia/Shanghai")
        leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(), branch=branch)
        round_ = make_group_buy(owner, products=[ProductFactory(community=community)], price="10.00", offer=1000,
                                closes_at=at(2026, 12, 31))
    state = {"community": community, "owner": owner, "branch": branch, "leader": leader, "round": round_, "n": 0}

    def member(in_branch=False, **kwargs):
        return MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory(),
                                 branch=branch if in_branch else None, **kwargs)

    def buy(paid_at, *, qty=1, in_branch=False, status=None, member_=None):
        state["n"] += 1
        buyer = member_ or member(in_branch)
        payments.wallet_top_up(actor=owner, member_user=buyer.user, amount=Decimal("1000"))
        order, _ = orders.order_place(member=buyer, group_buy=round_, lines=[(round_.items.first().pk, qty)],
                                      idempotency_key=f"k{state['n']}", pickup_point_id=round_.pickup_points.first().pk)
        orders.order_pay_with_wallet(member=buyer, order=order)
        Order.objects.filter(pk=order.pk).update(paid_at=paid_at, **({"status": status} if status else {}))
        return buyer

    state["buy"], state["member"] = buy, member
    return state


@pytest.fixture
def shop():
    return make_shop()


def queries(func):
    with CaptureQueriesContext(connection) as captured:
        result = func()
    return result, len(captured)


def test_repurchase_rate_counts_buyers_with_two_sold_orders_in_the_last_90_days(shop):
    buy = shop["buy"]
    twice = buy(at(2026, 10, 1))
    buy(at(2026, 11, 15), member_=twice)                         # two sold orders: a repeat buyer
    buy(at(2026, 11, 3))                                          # once
    cancelled = buy(at(2026, 11, 4))
    buy(at(2026, 11, 5), member_=cancelled, status=Order.Status.CANCELLED)  # the second was cancelled: once
    old = buy(at(2026, 8, 1))                                     # before the 90 days (22 Aug – 20 Nov)
    buy(at(2026, 11, 6), member_=old)                             # only one inside them
    with time_machine.travel(NOW, tick=False):
        result, n = queries(lambda: selectors_more.repurchase(shop["community"]))
    assert result["start"] == date(2026, 8, 23) and result["end"] == date(2026, 11, 20)
    assert result["buyers"] == 4 and result["repeat_buyers"] == 1 and result["rate"] == Decimal("0.250")
    for _ in range(3):  # more repeat buyers: the same number of queries
        again = buy(at(2026, 11, 7))
        buy(at(2026, 11, 8), member_=again)
    with time_machine.travel(NOW, tick=False):
        more, n_more = queries(lambda: selectors_more.repurchase(shop["community"]))
    assert more["buyers"] == 7 and more["repeat_buyers"] == 4 and n_more == n


def test_repurchase_of_a_branch_counts_its_orders_only(shop):
    buy = shop["buy"]
    mine = buy(at(2026, 11, 1), in_branch=True)
    buy(at(2026, 11, 2), in_branch=True, member_=mine)
    buy(at(2026, 11, 2))
    with time_machine.travel(NOW, tick=False):
        theirs = selectors_more.repurchase(shop["community"], branch=shop["branch"])
        everyone = selectors_more.repurchase(shop["community"])
    assert (theirs["buyers"], theirs["repeat_buyers"], theirs["rate"]) == (1, 1, Decimal("1.000"))
    assert (everyone["buyers"], everyone["repeat_buyers"]) == (2, 1)


def test_sources_name_the_top_inviters_links_and_joins_with_no_inviter(shop):
    community, member = shop["community"], shop["member"]
    alice, bob = UserFactory(display_name="Alice"), UserFactory(display_name="Bob")
    link = InviteFactory(community=community, created_by=alice, label="Poster at the gate")
    joined = [member(invited_by=alice, invite=link), member(invited_by=alice, invite=link),
              member(invited_by=alice), member(invited_by=bob, in_branch=True), member(), member(in_branch=True)]
    outside = member(invited_by=bob)  # joined before the period
    days = [at(2026, 11, 10), at(2026, 11, 11, 0, 30), at(2026, 11, 12), at(2026, 11, 13), at(2026, 11, 16, 23, 59),
            at(2026, 11, 14)]
    for membership, when in zip(joined, days):
        Membership.objects.filter(pk=membership.pk).update(joined_at=when)
    Membership.objects.filter(pk=outside.pk).update(joined_at=at(2026, 11, 9, 23, 59))
    Membership.objects.filter(pk__in=[shop["owner"].pk, shop["leader"].pk]).update(joined_at=at(2026, 11, 1))
    with time_machine.travel(NOW, tick=False):
        period = selectors.period_from(community, period="custom", start="2026-11-10", end="2026-11-16")
        result, n = queries(lambda: selectors_more.sources(community, period))
        branch = selectors_more.sources(community, period, branch=shop["branch"])
    assert result["joined"] == 6 and result["no_inviter"] == 2 and result["no_link"] == 4
    assert [(r["name"], r["joined"]) for r in result["inviters"]] == [("Alice", 3), ("Bob", 1)]
    assert [(r["label"], r["joined"]) for r in result["invites"]] == [("Poster at the gate", 2)]
    assert n == 3
    assert branch["joined"] == 2 and branch["no_inviter"] == 1
    assert [(r["name"], r["joined"]) for r in branch["inviters"]] == [("Bob", 1)]


def test_cohorts_by_first_sold_order_month_and_their_later_months(shop):
    buy = shop["buy"]
    a = buy(at(2026, 9, 5))
    buy(at(2026, 10, 9), member_=a)
    buy(at(2026, 11, 2), member_=a)
    buy(at(2026, 11, 3), member_=a)                       # twice in November: one member
    buy(at(2026, 10, 1, 0, 30))                           # 30 Sep in UTC, October in Shanghai
    d = buy(at(2026, 9, 20), status=Order.Status.CANCELLED)  # a cancelled order is not a first order
    buy(at(2026, 10, 20), member_=d)
    old = buy(at(2025, 10, 15))                           # first order before the twelve months
    buy(at(2026, 11, 10), member_=old)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        result, n = queries(lambda: selectors_funnel.cohort_table(shop["community"]))
    assert result["start"] == date(2025, 12, 1) and result["end"] == date(2026, 11, 1)
    rows = {row["month"]: row for row in result["cohorts"]}
    assert len(rows) == 12 and rows[date(2025, 12, 1)]["members"] == 0
    september, october, november = rows[date(2026, 9, 1)], rows[date(2026, 10, 1)], rows[date(2026, 11, 1)]
    assert september["members"] == 1
    assert [(c["month"], c["members"]) for c in september["later"]] == [(date(2026, 10, 1), 1), (date(2026, 11, 1), 1)]
    assert october["members"] == 2 and [c["members"] for c in october["later"]] == [0]
    assert november["members"] == 0 and november["later"] == []
    e = buy(at(2026, 6, 1))
    buy(at(2026, 7, 1), member_=e)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        more, n_more = queries(lambda: selectors_funnel.cohort_table(shop["community"]))
    assert {r["month"]: r["members"] for r in more["cohorts"]}[date(2026, 6, 1)] == 1 and n_more == n == 2


def test_cohorts_of_a_branch_count_its_orders(shop):
    buy = shop["buy"]
    buy(at(2026, 10, 5), in_branch=True)
    buy(at(2026, 10, 6))
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        result = selectors_funnel.cohort_table(shop["community"], branch=shop["branch"])
    assert {r["month"]: r["members"] for r in result["cohorts"]}[date(2026, 10, 1)] == 1
    assert sum(r["members"] for r in result["cohorts"]) == 1
