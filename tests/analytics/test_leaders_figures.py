"""The analytics leaders page and its API: one row per branch with its leader (or "—"), members now,
joined and left, orders paid, GMV and orders picked up summed from the branch rollups (today's
computed live), commission earned minus reversed in the period by local days, the effective rate;
a leader sees only their own row (page, CSV, API); members are refused; bad input is a 400; the
query count does not grow with the data."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import rollups, selectors, selectors_leaders
from analytics.models import DailyRollup
from communities.models import Community, Membership, Role
from orders import services as orders
from orders.models import Commission, Order
from payments import services as payments
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
PERIOD = {"period": "custom", "start": "2026-11-10", "end": "2026-11-16"}
pytestmark = pytest.mark.django_db


def at(m, d, hh=12, mm=0):
    return datetime(2026, m, d, hh, mm, tzinfo=SHANGHAI)


def rollup(community, branch, day, **figures):
    DailyRollup.objects.update_or_create(community=community, branch=branch, day=day, defaults=figures)


@pytest.fixture
def shop():
    with time_machine.travel(at(11, 1), tick=False):
        community = CommunityFactory(timezone="Asia/Shanghai", name="Sunny Garden")
        owner = MembershipFactory(community=community, role=Role.OWNER, user=UserFactory())
        branches = {}
        for name in ("East gate", "West gate", "North gate"):
            branches[name] = Community.objects.create(name=name, slug=f"{community.slug}-{name[:4].lower()}",
                                                      parent=community, timezone="Asia/Shanghai")
        east, west, north = branches["East gate"], branches["West gate"], branches["North gate"]
        leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(display_name="Wang"),
                                   branch=east)
        west_leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(display_name="Li"),
                                        branch=west)
        Community.objects.filter(pk=east.pk).update(leader=leader.user)
        Community.objects.filter(pk=west.pk).update(leader=west_leader.user)
        MembershipFactory(community=community, user=UserFactory(), branch=east, status=Membership.Status.LEFT)
    round_ = make_group_buy(owner, products=[ProductFactory(community=community)], price="10.00", offer=5000)
    state = {"community": community, "owner": owner, "east": east, "west": west, "north": north,
             "leader": leader, "west_leader": west_leader, "round": round_, "n": 0}

    def buy(branch, paid_at=None):
        state["n"] += 1
        member = MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory(), branch=branch)
        payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("1000"))
        order, _ = orders.order_place(member=member, group_buy=round_, lines=[(round_.items.first().pk, 1)],
                                      idempotency_key=f"k{state['n']}", pickup_point_id=round_.pickup_points.first().pk)
        orders.order_pay_with_wallet(member=member, order=order)
        if paid_at is not None:
            Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
        return order

    def commission(order, leader, kind, amount, base, created_at):
        row = Commission.objects.create(community=community, leader=leader.user, order=order, kind=kind,
                                        rate=Decimal("0.1"), base_amount=Decimal(base), amount=Decimal(amount))
        Commission.objects.filter(pk=row.pk).update(created_at=created_at)

    state["buy"], state["commission"] = buy, commission
    E, R = Commission.Kind.EARNED, Commission.Kind.REVERSED
    o1, o2, o3, o4 = buy(east, at(11, 5)), buy(east, at(11, 5)), buy(east, at(11, 5)), buy(west, at(11, 5))
    commission(o1, leader, E, "10.00", "100.00", at(11, 12))
    commission(o1, leader, R, "-10.00", "100.00", at(11, 16, 23, 30))   # local 16th: in the period
    commission(o2, leader, E, "6.00", "50.00", at(11, 10, 0, 30))       # local 10th (the 9th in UTC): in
    commission(o3, leader, E, "8.00", "80.00", at(11, 9, 23, 30))       # local 9th: before
    commission(o4, west_leader, E, "5.00", "100.00", at(11, 13))
    # The rollups as the refresh would store them (commission by its local day, on the branch's orders).
    rollup(community, east, date(2026, 11, 9), orders_paid=5, gmv=Decimal("500.00"),      # before
           commission_earned=Decimal("8.00"), commission_base=Decimal("80.00"))
    rollup(community, east, date(2026, 11, 10), orders_paid=2, gmv=Decimal("30.00"), members_joined=3, members_left=1,
           orders_completed=1, commission_earned=Decimal("6.00"), commission_base=Decimal("50.00"))
    rollup(community, east, date(2026, 11, 12), commission_earned=Decimal("10.00"), commission_base=Decimal("100.00"))
    rollup(community, east, date(2026, 11, 16), orders_paid=1, gmv=Decimal("20.00"), orders_completed=2,
           commission_reversed=Decimal("10.00"))
    rollup(community, east, date(2026, 11, 17), orders_paid=7, gmv=Decimal("70.00"))     # after
    rollup(community, west, date(2026, 11, 12), orders_paid=4, gmv=Decimal("100.00"), members_joined=1)
    rollup(community, west, date(2026, 11, 13), commission_earned=Decimal("5.00"), commission_base=Decimal("100.00"))
    rollup(community, None, date(2026, 11, 12), orders_paid=99, gmv=Decimal("9900.00"))  # the community's own row
    return state


def period_of(shop, params=PERIOD):
    with time_machine.travel(NOW, tick=False):
        return selectors.period_from(shop["community"], **params)


def figures_of(shop, branch=None, params=PERIOD):
    with time_machine.travel(NOW, tick=False):
        return {row["branch"]: row for row in selectors_leaders.by_leader(shop["community"], period_of(shop, params),
                                                                           branch=branch)}


def page_url(shop, **params):
    base = reverse("analytics_console:leaders", args=[shop["community"].slug])
    return base + ("?" + urlencode(params) if params else "")


def get(client, membership, address):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(address, HTTP_ACCEPT_LANGUAGE="en")


def api(client, membership, shop, params=None):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("api-analytics-leaders", args=[shop["community"].slug]), params or {},
                          HTTP_ACCEPT_LANGUAGE="en")


def read_csv(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_each_branch_sums_its_rollups_and_its_leaders_commission(shop):
    rows = figures_of(shop)
    assert list(rows) == ["East gate", "North gate", "West gate"]
    east, north, west = rows["East gate"], rows["North gate"], rows["West gate"]
    assert (east["leader"], east["members"], east["joined"], east["left"]) == ("Wang", 4, 3, 1)
    assert (east["orders_paid"], east["gmv"], east["orders_completed"]) == (3, Decimal("50.00"), 3)
    assert (east["commission_earned"], east["commission_reversed"], east["commission"]) == (
        Decimal("16.00"), Decimal("10.00"), Decimal("6.00"))
    assert east["commission_rate"] == Decimal("10.67")   # 16 earned on 150 of orders
    assert (west["leader"], west["members"], west["orders_paid"], west["gmv"], west["joined"]) == (
        "Li", 2, 4, Decimal("100.00"), 1)
    assert west["commission"] == Decimal("5.00") and west["commission_rate"] == Decimal("5.00")
    assert (north["leader"], north["leader_id"], north["members"], north["gmv"], north["commission"]) == (
        "", None, 0, Decimal("0.00"), Decimal("0.00"))
    assert north["commission_rate"] is None


def test_the_refresh_stores_each_branchs_commission_as_the_fixture_has_it(shop):
    """The hand-made rollups above are what the refresh computes from the commission rows."""
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
    rows = figures_of(shop)
    assert [(r["commission_earned"], r["commission_reversed"], r["commission"], r["commission_rate"])
            for r in (rows["East gate"], rows["West gate"])] == [
        (Decimal("16.00"), Decimal("10.00"), Decimal("6.00"), Decimal("10.67")),
        (Decimal("5.00"), Decimal("0.00"), Decimal("5.00"), Decimal("5.00"))]


def test_a_leader_of_two_branches_has_each_branchs_commission_and_one_recipient_row(shop):
    wang = shop["leader"].user
    Community.objects.filter(pk=shop["west"].pk).update(leader=wang)
    Commission.objects.filter(leader=shop["west_leader"].user).update(leader=wang)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])
        period = period_of(shop)
        recipients = selectors_leaders.recipients(shop["community"], period)
        east_only = selectors_leaders.recipients(shop["community"], period, branch=shop["east"])
    rows = figures_of(shop)
    assert (rows["East gate"]["leader"], rows["West gate"]["leader"]) == ("Wang", "Wang")
    assert (rows["East gate"]["commission"], rows["West gate"]["commission"]) == (Decimal("6.00"), Decimal("5.00"))
    assert [(r["name"], r["orders"], r["commission_earned"], r["commission_reversed"], r["commission"])
            for r in recipients] == [("Wang", 3, Decimal("21.00"), Decimal("10.00"), Decimal("11.00"))]
    assert [(r["name"], r["commission"]) for r in east_only] == [("Wang", Decimal("6.00"))]


def test_commission_paid_to_inviters_shows_among_the_recipients(client, shop):
    """With commission going to referrers, the buyer's inviter receives it: on no branch's leader."""
    community = shop["community"]
    Community.objects.filter(pk=community.pk).update(commission_recipient=Community.CommissionRecipient.REFERRER)
    inviter = MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory(display_name="Zhao"))
    order = shop["buy"](None, at(11, 11))
    shop["commission"](order, inviter, Commission.Kind.EARNED, "3.00", "30.00", at(11, 11))
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(community)
    body = client_recipients(client, shop["owner"], shop, PERIOD).json()
    assert [(r["name"], r["commission"]) for r in body["recipients"]] == [
        ("Wang", "6.00"), ("Li", "5.00"), ("Zhao", "3.00")]
    assert sum(Decimal(r["commission"]) for r in api(client, shop["owner"], shop, PERIOD).json()["leaders"]) == 11
    rows = read_csv(client_recipients(client, shop["owner"], shop, {**PERIOD, "format": "csv"}))
    assert rows[0] == ["user_id", "name", "orders", "commission_earned", "commission_reversed", "commission"]
    assert rows[3][1:] == ["Zhao", "1", "3.00", "0.00", "3.00"]
    # A leader sees who received commission on their branch's orders only.
    west = client_recipients(client, shop["west_leader"], shop, {**PERIOD, "branch": shop["east"].pk}).json()
    assert [(r["name"], r["commission"]) for r in west["recipients"]] == [("Li", "5.00")]
    page = get(client, shop["owner"], page_url(shop, **PERIOD))
    assert 'data-table="recipients"' in page.content.decode() and "Zhao" in page.content.decode()
    csv_rows = read_csv(get(client, shop["owner"], page_url(shop, format="csv", table="recipients", **PERIOD)))
    assert csv_rows[0][0] == "Member" and [row[0] for row in csv_rows[1:]] == ["Wang", "Li", "Zhao"]


def client_recipients(client, membership, shop, params=None):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("api-analytics-commission-recipients", args=[shop["community"].slug]),
                          params or {}, HTTP_ACCEPT_LANGUAGE="en")


def test_today_is_computed_live_and_a_stale_stored_row_for_today_is_not_read(shop):
    shop["buy"](shop["east"], NOW)                                       # paid today: 10.00
    rollup(shop["community"], shop["east"], date(2026, 11, 20), orders_paid=99, gmv=Decimal("990.00"))
    east = figures_of(shop, params={"period": "7d"})["East gate"]          # 14th to 20th
    assert east["orders_paid"] == 1 + 7 + 1 and east["gmv"] == Decimal("100.00")  # the 16th, the 17th, today live
    assert east["orders_completed"] == 2


def test_one_branch_gives_only_its_row(shop):
    rows = figures_of(shop, branch=shop["west"])
    assert list(rows) == ["West gate"] and rows["West gate"]["gmv"] == Decimal("100.00")


def test_the_owner_sees_every_branch_with_a_chart_of_gmv_and_commission(client, shop):
    response = get(client, shop["owner"], page_url(shop, **PERIOD))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="leaders"' in html and 'data-csv="leaders"' in html
    assert "East gate" in html and "West gate" in html and "North gate" in html and "—" in html
    chart = response.context["data"]["charts"]["leaders"]
    assert chart["labels"] == ["East gate", "North gate", "West gate"]
    assert [s["name"] for s in chart["series"]] == ["GMV", "Commission"]
    assert [str(v) for v in chart["series"][0]["values"]] == ["50.00", "0.00", "100.00"]
    assert [str(v) for v in chart["series"][1]["values"]] == ["6.00", "0.00", "5.00"]
    assert response.context["figures"]["total"]["gmv"] == Decimal("150.00")
    rows = read_csv(get(client, shop["owner"], page_url(shop, format="csv", table="leaders", **PERIOD)))
    assert rows[0][:2] == ["Branch", "Leader"] and rows[0][-1] == "Effective commission rate (%)"
    assert rows[1] == ["East gate", "Wang", "4", "3", "1", "3", "50.00", "3", "16.00", "10.00", "6.00", "10.67"]
    assert rows[2][:2] == ["North gate", "—"] and rows[2][-1] == ""


def test_a_leader_sees_only_their_own_row_on_the_page_csv_and_api(client, shop):
    response = get(client, shop["west_leader"], page_url(shop, branch=shop["east"].pk, **PERIOD))
    assert response.status_code == 200
    html = response.content.decode()
    assert "East gate" not in html and "Wang" not in html
    assert [r["branch"] for r in response.context["figures"]["rows"]] == ["West gate"]
    rows = read_csv(get(client, shop["west_leader"], page_url(shop, format="csv", table="leaders",
                                                              branch=shop["east"].pk, **PERIOD)))
    assert [row[0] for row in rows[1:]] == ["West gate"] and rows[1][6] == "100.00"
    body = api(client, shop["west_leader"], shop, {**PERIOD, "branch": shop["east"].pk}).json()
    assert [r["branch"] for r in body["leaders"]] == ["West gate"] and body["leaders"][0]["commission"] == "5.00"
    east = api(client, shop["leader"], shop, PERIOD).json()["leaders"]
    assert [(r["branch"], r["gmv"], r["commission"]) for r in east] == [("East gate", "50.00", "6.00")]


def test_the_api_gives_every_row_as_json_and_csv(client, shop):
    body = api(client, shop["owner"], shop, PERIOD).json()
    assert body["period"] == {"start": "2026-11-10", "end": "2026-11-16", "days": 7}
    east = body["leaders"][0]
    assert (east["branch"], east["leader"], east["gmv"], east["commission_earned"], east["commission_rate"]) == (
        "East gate", "Wang", "50.00", "16.00", "10.67")
    assert body["leaders"][1]["leader_id"] is None and body["leaders"][1]["commission_rate"] is None
    one = api(client, shop["owner"], shop, {**PERIOD, "branch": shop["west"].pk}).json()["leaders"]
    assert [r["branch"] for r in one] == ["West gate"]
    rows = read_csv(api(client, shop["owner"], shop, {**PERIOD, "format": "csv"}))
    assert rows[0][:4] == ["branch_id", "branch", "leader_id", "leader"] and len(rows) == 4
    assert rows[1][8] == "50.00" and rows[1][12] == "6.00"


def test_a_member_is_refused_and_another_communitys_admin_is_told_nothing(client, shop):
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    assert api(client, member, shop, PERIOD).status_code == 403
    assert get(client, member, page_url(shop)).status_code in (403, 404)
    assert get(client, member, page_url(shop, format="csv", table="leaders")).status_code in (403, 404)
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert api(client, stranger, shop, PERIOD).status_code == 404
    assert get(client, stranger, page_url(shop)).status_code == 404


@pytest.mark.parametrize("params, field", [
    ({"period": "30d\x00"}, "period"),
    ({"period": "forever"}, "period"),
    ({"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-16"}, "start"),
    ({"period": "custom", "start": "2026-11-10", "end": "9" * 5000}, "end"),
    ({"period": "month", "month": "２０２６-11"}, "month"),
    ({"branch": "٣"}, "branch"),
    ({"branch": "9" * 40}, "branch"),
    ({"branch": "0"}, "branch"),
])
def test_bad_parameters_are_a_400_never_a_500(client, shop, params, field):
    response = api(client, shop["owner"], shop, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and field in body["fields"]
    assert get(client, shop["owner"], page_url(shop, **params)).status_code == 400
    assert get(client, shop["owner"], page_url(shop, format="csv", table="leaders", **params)).status_code == 400


def test_the_query_count_does_not_grow_with_the_data(client, shop):
    def count(**params):
        with CaptureQueriesContext(connection) as queries:
            response = get(client, shop["owner"], page_url(shop, **params))
        assert response.status_code == 200
        return len(queries), response

    count(**PERIOD)  # the first request of a session also reads what the session caches
    few, few_page = count(**PERIOD)
    few_today, _ = count(period="7d")
    community = shop["community"]
    for n in range(8):
        branch = Community.objects.create(name=f"Gate {n}", slug=f"{community.slug}-g{n}", parent=community,
                                          timezone="Asia/Shanghai")
        leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(), branch=branch)
        Community.objects.filter(pk=branch.pk).update(leader=leader.user)
        for day in range(10, 17):
            rollup(community, branch, date(2026, 11, day), orders_paid=1, gmv=Decimal("10.00"))
        order = shop["buy"](branch, at(11, 12))
        shop["commission"](order, leader, Commission.Kind.EARNED, "1.00", "10.00", at(11, 12))
        shop["buy"](branch, NOW)  # today: read live
    many, many_page = count(**PERIOD)
    many_today, _ = count(period="7d")
    assert len(many_page.context["figures"]["rows"]) == 11 and len(few_page.context["figures"]["rows"]) == 3
    assert few == many and few_today == many_today
