"""The "Funnel and cohorts" page: the 接龙 funnel of the rounds that closed in the period (local days),
member × round pairs at each stage (cancelled and refunded orders are not paid), per round; the
cohort table from the monthly rollup, equal to the live count; a leader sees their branch only
(page and CSV); members see nothing; bad input is a 400, never a 500; the query count is fixed."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import rollups, selectors, selectors_funnel
from analytics.models import CohortMonth
from communities.models import Community, Role
from orders import services as orders
from orders.models import GroupBuy, Order
from orders.seen import round_seen
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def shop():
    """A Shanghai community with a branch (East gate) and its leader. ``new_round(closes_at)`` makes a
    round (open now, for orders to be placed, then dated); ``order(member, round_, ...)`` places an
    order and sets its status and instants; ``member(in_branch)`` a new member."""
    with time_machine.travel(at(2026, 9, 1), tick=False):
        community = CommunityFactory(timezone="Asia/Shanghai", name="Sunny Garden")
        owner = MembershipFactory(community=community, role=Role.OWNER, user=UserFactory())
        branch = Community.objects.create(name="East gate", slug=f"{community.slug}-east", parent=community,
                                          timezone="Asia/Shanghai")
        leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(), branch=branch)
        product = ProductFactory(community=community, name="Mangoes")
    state = {"community": community, "owner": owner, "branch": branch, "leader": leader, "n": 0}

    def new_round(closes_at, title="Sunday fruit"):
        round_ = make_group_buy(owner, products=[product], price="10.00", offer=5000, title=title)
        state["pending_close"] = state.get("pending_close", []) + [(round_.pk, closes_at)]
        return round_

    def close_rounds():  # after the orders: date each round's close
        for pk, closes_at in state.pop("pending_close", []):
            GroupBuy.objects.filter(pk=pk).update(opens_at=closes_at - timedelta(days=2), closes_at=closes_at,
                                                  status=GroupBuy.Status.SUCCEEDED)

    def member(in_branch=False):
        return MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory(),
                                 branch=branch if in_branch else None)

    def order(member, round_, *, status=Order.Status.PENDING_PAYMENT, paid_at=None, completed_at=None):
        state["n"] += 1
        placed, _ = orders.order_place(member=member, group_buy=round_, lines=[(round_.items.first().pk, 1)],
                                       idempotency_key=f"k{state['n']}", pickup_point_id=round_.pickup_points.first().pk)
        Order.objects.filter(pk=placed.pk).update(status=status, paid_at=paid_at, completed_at=completed_at)
        return placed

    state.update(new_round=new_round, close_rounds=close_rounds, member=member, order=order)
    return state


@pytest.fixture
def funnel_data(shop):
    """Round A closes the 10th at 23:30 local, B the 11th at 00:30 local (both the 10th in UTC), C the
    9th (outside). m1 and m2 are in the branch.

    A: seen by m1 m2 m3 m5; m1 orders twice (one picked up), m2 orders (unpaid), m4 orders without a
       view (paid, then refunded), m5's order is cancelled. B: m1 sees, orders, pays. C: m3, all stages."""
    new_round, order, member = shop["new_round"], shop["order"], shop["member"]
    a, b, c = new_round(at(2026, 11, 10, 23, 30), "Round A"), new_round(at(2026, 11, 11, 0, 30), "Round B"), \
        new_round(at(2026, 11, 9, 23, 59), "Round C")
    m1, m2, m3, m4, m5 = member(True), member(True), member(), member(), member()
    seen = at(2026, 11, 9)
    for m, r in ((m1, a), (m2, a), (m3, a), (m5, a), (m1, b), (m3, c)):
        round_seen(membership=m, group_buy=r, now=seen)
    paid = at(2026, 11, 10, 9)
    order(m1, a, status=Order.Status.COMPLETED, paid_at=paid, completed_at=at(2026, 11, 12))
    order(m1, a)
    order(m2, a)
    order(m4, a, status=Order.Status.REFUNDED, paid_at=paid)
    order(m5, a, status=Order.Status.CANCELLED)
    order(m1, b, status=Order.Status.PAID, paid_at=paid)
    order(m3, c, status=Order.Status.COMPLETED, paid_at=paid, completed_at=at(2026, 11, 12))
    shop["close_rounds"]()
    shop.update(a=a, b=b, c=c, m=[m1, m2, m3, m4, m5])
    return shop


def read_funnel(shop, start, end, branch=None):
    with time_machine.travel(NOW, tick=False):
        period = selectors.period_from(shop["community"], period="custom", start=start, end=end)
        return selectors_funnel.funnel(shop["community"], period, branch=branch)


def pairs(result):
    return {s["stage"]: s["pairs"] for s in result["stages"]}


def url(shop, **params):
    base = reverse("analytics_console:funnel", args=[shop["community"].slug])
    return base + ("?" + urlencode(params) if params else "")


def get(client, membership, address):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(address, HTTP_ACCEPT_LANGUAGE="en")


def csv_rows(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_each_stage_counts_member_round_pairs_and_refunds_and_cancellations_are_not_paid(funnel_data):
    result = read_funnel(funnel_data, "2026-11-10", "2026-11-11")
    assert pairs(result) == {"saw": 5, "ordered": 5, "paid": 2, "completed": 1}
    assert result["orders"] == 6 and result["ordered_without_view"] == 1 and result["rounds_closed"] == 2
    rates = {s["stage"]: (s["from_previous"], s["from_first"]) for s in result["stages"]}
    assert rates == {"saw": (None, Decimal("1.000")), "ordered": (Decimal("1.000"), Decimal("1.000")),
                     "paid": (Decimal("0.400"), Decimal("0.400")), "completed": (Decimal("0.500"), Decimal("0.200"))}
    rows = [(r["title"], r["orders"], r["saw"], r["ordered"], r["paid"], r["completed"], r["ordered_unseen"])
            for r in result["rounds"]]
    assert rows == [("Round A", 5, 4, 4, 1, 1, 1), ("Round B", 1, 1, 1, 1, 0, 0)]


def test_rounds_fall_on_the_communitys_local_day_of_closing(funnel_data):
    # Both close on the 10th in UTC; locally A closes the 10th and B the 11th.
    only_10th = read_funnel(funnel_data, "2026-11-10", "2026-11-10")
    assert [r["title"] for r in only_10th["rounds"]] == ["Round A"]
    assert pairs(only_10th) == {"saw": 4, "ordered": 4, "paid": 1, "completed": 1}
    only_11th = read_funnel(funnel_data, "2026-11-11", "2026-11-11")
    assert [r["title"] for r in only_11th["rounds"]] == ["Round B"]
    assert pairs(only_11th) == {"saw": 1, "ordered": 1, "paid": 1, "completed": 0}
    the_9th = read_funnel(funnel_data, "2026-11-09", "2026-11-09")
    assert [r["title"] for r in the_9th["rounds"]] == ["Round C"]


def test_a_branch_counts_its_members_views_and_its_orders(funnel_data):
    result = read_funnel(funnel_data, "2026-11-10", "2026-11-11", branch=funnel_data["branch"])
    assert pairs(result) == {"saw": 3, "ordered": 3, "paid": 2, "completed": 1}
    assert [(r["title"], r["orders"], r["saw"]) for r in result["rounds"]] == [("Round A", 3, 2), ("Round B", 1, 1)]


def test_the_owner_sees_the_funnel_chart_table_and_csv(client, funnel_data):
    params = {"period": "custom", "start": "2026-11-10", "end": "2026-11-11"}
    response = get(client, funnel_data["owner"], url(funnel_data, **params))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="funnel"' in html and "Views are counted from the day their recording began" in html
    chart = response.context["data"]["charts"]["funnel"]
    assert chart["kind"] == "hbars" and chart["values_on_bars"] and chart["series"][0]["values"] == [5, 5, 2, 1]
    assert chart["labels"] == ["Saw the round", "Ordered", "Paid", "Picked up or delivered"]
    rows = csv_rows(get(client, funnel_data["owner"], url(funnel_data, format="csv", table="funnel", **params)))
    assert rows[0] == ["Stage", "Members × rounds", "From the stage before (%)", "From those who saw (%)"]
    assert rows[1:] == [["Saw the round", "5", "", "100.0"], ["Ordered", "5", "100.0", "100.0"],
                        ["Paid", "2", "40.0", "40.0"], ["Picked up or delivered", "1", "50.0", "20.0"]]
    rounds = csv_rows(get(client, funnel_data["owner"], url(funnel_data, format="csv", table="rounds", **params)))
    assert rounds[1] == ["Round A", "2026-11-10", "5", "4", "4", "1", "1", "1"]
    assert rounds[2] == ["Round B", "2026-11-11", "1", "1", "1", "1", "0", "0"]


def test_a_leader_sees_only_their_branch_on_the_page_and_in_csv(client, funnel_data):
    params = {"period": "custom", "start": "2026-11-10", "end": "2026-11-11"}
    response = get(client, funnel_data["leader"], url(funnel_data, **params))
    assert response.status_code == 200 and "data-leader-scope" in response.content.decode()
    assert response.context["data"]["charts"]["funnel"]["series"][0]["values"] == [3, 3, 2, 1]
    rows = csv_rows(get(client, funnel_data["leader"], url(funnel_data, format="csv", table="funnel", **params)))
    assert [row[1] for row in rows[1:]] == ["3", "3", "2", "1"]
    rounds = csv_rows(get(client, funnel_data["leader"], url(funnel_data, format="csv", table="rounds", **params)))
    assert [(row[0], row[2]) for row in rounds[1:]] == [("Round A", "3"), ("Round B", "1")]


def test_members_and_other_communities_see_nothing(client, funnel_data):
    member = funnel_data["m"][0]
    assert get(client, member, url(funnel_data)).status_code == 403
    assert get(client, member, url(funnel_data, format="csv", table="funnel")).status_code == 403
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert get(client, stranger, url(funnel_data)).status_code == 404


@pytest.mark.parametrize("params", [
    {"period": "forever"},
    {"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-11"},
    {"period": "custom", "start": "2026-11-01" * 50, "end": "2026-11-11"},
    {"period": "custom", "start": "2026-11-10", "end": "9" * 5000},
    {"period": "month", "month": "x\x00"},
    {"period": "30d\x00"},
    {"branch": "١"},
    {"branch": "9" * 40},
])
def test_bad_input_is_a_400_never_a_500(client, funnel_data, params):
    assert get(client, funnel_data["owner"], url(funnel_data, **params)).status_code == 400
    assert get(client, funnel_data["owner"], url(funnel_data, format="csv", table="funnel", **params)).status_code == 400


@pytest.mark.parametrize("table, status", [("nope", 404), ("f" * 5000, 404), ("٣", 404),
                                           ("x\x00", 400)])  # NUL: the site's bad-request page
def test_an_unknown_table_is_refused(client, funnel_data, table, status):
    assert get(client, funnel_data["owner"], url(funnel_data, format="csv", table=table)).status_code == status


def test_the_query_count_does_not_grow_with_the_data(client, funnel_data):
    params = {"period": "custom", "start": "2026-11-01", "end": "2026-11-20"}

    def count():
        funnel_data["owner"].user.refresh_from_db()
        client.force_login(funnel_data["owner"].user)
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
            response = client.get(url(funnel_data, **params), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return len(queries), response

    few, few_page = count()
    for n in range(4):
        round_ = funnel_data["new_round"](at(2026, 11, 12 + n, 20), f"More {n}")
        for k in range(3):
            m = funnel_data["member"](in_branch=k == 0)
            round_seen(membership=m, group_buy=round_, now=at(2026, 11, 11))
            funnel_data["order"](m, round_, status=Order.Status.PAID, paid_at=at(2026, 11, 12))
    funnel_data["close_rounds"]()
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(funnel_data["community"])
    many, many_page = count()
    assert few_page.context["figures"]["funnel"]["orders"] == 7
    assert many_page.context["figures"]["funnel"]["orders"] == 19
    assert many == few


@pytest.fixture
def cohort_data(shop):
    """c1 first pays in September (then 1 October 00:30 local, i.e. 30 September UTC, and November);
    c2 first pays that same 1 October 00:30 and has a November order refunded; c3 (branch) pays in
    October and November; c4 has only a cancelled September order."""
    round_ = shop["new_round"](at(2026, 11, 30))
    order, member = shop["order"], shop["member"]
    c1, c2, c3, c4 = member(), member(), member(True), member()
    sold = Order.Status.COMPLETED
    order(c1, round_, status=sold, paid_at=at(2026, 9, 15))
    order(c1, round_, status=sold, paid_at=at(2026, 10, 1, 0, 30))
    order(c1, round_, status=sold, paid_at=at(2026, 11, 5))
    order(c2, round_, status=sold, paid_at=at(2026, 10, 1, 0, 30))
    order(c2, round_, status=Order.Status.REFUNDED, paid_at=at(2026, 11, 2))
    order(c3, round_, status=Order.Status.PAID, paid_at=at(2026, 10, 20))
    order(c3, round_, status=Order.Status.PAID, paid_at=at(2026, 11, 3))
    order(c4, round_, status=Order.Status.CANCELLED, paid_at=at(2026, 9, 20))
    shop["close_rounds"]()
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
    return shop


def table_of(result):
    return {row["month"].strftime("%Y-%m"): (row["members"], [c["members"] for c in row["later"]])
            for row in result["cohorts"] if row["members"]}


def test_the_cohort_rollup_has_the_known_answer(cohort_data):
    community, branch = cohort_data["community"], cohort_data["branch"]
    with time_machine.travel(NOW, tick=False):
        stored = selectors_funnel.cohort_table(community)
        stored_branch = selectors_funnel.cohort_table(community, branch=branch)
    assert table_of(stored) == {"2026-09": (1, [1, 1]), "2026-10": (2, [1])}
    assert table_of(stored_branch) == {"2026-10": (1, [1])}
    assert [row["month"] for row in stored["cohorts"]][::11] == [date(2025, 12, 1), date(2026, 11, 1)]
    october = next(row for row in stored["cohorts"] if row["month"].month == 10)
    assert october["later"][0]["rate"] == Decimal("0.500")


def test_the_refresh_replaces_the_cohort_rows(cohort_data):
    community = cohort_data["community"]
    before = CohortMonth.objects.filter(community=community).count()
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(community)
    assert CohortMonth.objects.filter(community=community).count() == before > 0
    Order.objects.filter(community=community).update(status=Order.Status.CANCELLED)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(community)
    assert not CohortMonth.objects.filter(community=community).exists()


def test_the_cohort_table_on_the_page_and_in_csv(client, cohort_data):
    response = get(client, cohort_data["owner"], url(cohort_data))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-cohort="2026-10"' in html and "background: rgba(" in html and "Counted at the nightly refresh" in html
    rows = csv_rows(get(client, cohort_data["owner"], url(cohort_data, format="csv", table="cohorts")))
    assert rows[0][:6] == ["First order in", "Members", "1 month later", "1 month later (%)", "2 months later",
                           "2 months later (%)"]
    by_month = {row[0]: row for row in rows[1:]}
    assert by_month["2026-09"][1:6] == ["1", "1", "100.0", "1", "100.0"]
    assert by_month["2026-10"][1:4] == ["2", "1", "50.0"]
    assert by_month["2026-11"][1] == "0" and len(rows) == 13
    leader_rows = csv_rows(get(client, cohort_data["leader"], url(cohort_data, format="csv", table="cohorts")))
    assert {row[0]: row[1] for row in leader_rows[1:]}["2026-10"] == "1"
    assert {row[0]: row[1] for row in leader_rows[1:]}["2026-09"] == "0"
