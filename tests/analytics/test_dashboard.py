"""The analytics dashboard in the console: figures for the period picked against the period before,
each section as a chart's data and a table and as CSV; a leader sees their branch only (page and
CSV); members and other communities' admins see nothing; bad periods are refused with the form's
message; the page's query count does not grow with the orders."""

import csv
import io
import json
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache.backends.dummy import DummyCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import rollups
from communities.models import Community, Membership, Role
from orders import services as orders
from orders.models import GroupBuy, Order
from payments import services as payments
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def shop():
    """A Shanghai community (currency CNY) with a branch and its leader; ``buy`` places and pays an
    order of a new member, then sets when it was paid."""
    with time_machine.travel(at(2026, 11, 1), tick=False):
        community = CommunityFactory(timezone="Asia/Shanghai", name="Sunny Garden")
        owner = MembershipFactory(community=community, role=Role.OWNER, user=UserFactory())
        branch = Community.objects.create(name="East gate", slug=f"{community.slug}-east", parent=community,
                                          timezone="Asia/Shanghai")
        leader = MembershipFactory(community=community, role=Role.LEADER, user=UserFactory(), branch=branch)
        products = [ProductFactory(community=community, name="Mangoes"), ProductFactory(community=community,
                                                                                        name="Lychees")]
    # Open now (orders are placed now, then dated by their paid_at), whatever day the tests run.
    round_ = make_group_buy(owner, products=products, price="10.00", offer=5000)
    state = {"community": community, "owner": owner, "branch": branch, "leader": leader, "round": round_, "n": 0}

    def buy(paid_at, *, qty=1, in_branch=False, item=0):
        state["n"] += 1
        member = MembershipFactory(community=community, role=Role.MEMBER, user=UserFactory(),
                                   branch=branch if in_branch else None)
        payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("1000"))
        order, _ = orders.order_place(member=member, group_buy=round_,
                                      lines=[(list(round_.items.order_by("pk"))[item].pk, qty)],
                                      idempotency_key=f"k{state['n']}", pickup_point_id=round_.pickup_points.first().pk)
        orders.order_pay_with_wallet(member=member, order=order)
        Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
        Membership.objects.filter(pk=member.pk).update(joined_at=paid_at - timedelta(days=1))
        return order

    state["buy"] = buy
    return state


def url(shop, **params):
    from urllib.parse import urlencode

    base = reverse("analytics_console:dashboard", args=[shop["community"].slug])
    return base + ("?" + urlencode(params) if params else "")


def get(client, membership, address):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(address, HTTP_ACCEPT_LANGUAGE="en")


def chart_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="analytics-data" type="application/json">') + len(
        '<script id="analytics-data" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def seed(shop):
    buy = shop["buy"]
    buy(at(2026, 11, 10), qty=2)                       # 30 days only
    buy(at(2026, 11, 15), qty=3, in_branch=True)       # 7 days, branch
    buy(at(2026, 11, 18), qty=1, item=1)               # 7 days
    buy(at(2026, 10, 1), qty=5)                        # the 30 days before
    done = make_group_buy(shop["owner"], products=[ProductFactory(community=shop["community"])], title="Done")
    missed = make_group_buy(shop["owner"], products=[ProductFactory(community=shop["community"])], title="Missed")
    GroupBuy.objects.filter(pk=done.pk).update(status=GroupBuy.Status.SUCCEEDED, settled_at=at(2026, 11, 12))
    GroupBuy.objects.filter(pk=missed.pk).update(status=GroupBuy.Status.FAILED, settled_at=at(2026, 11, 13))
    with time_machine.travel(NOW, tick=False):
        rollups.refresh(shop["community"])


def test_the_owner_sees_each_section_as_chart_data_and_table_with_the_change(client, shop):
    seed(shop)
    response = get(client, shop["owner"], url(shop))
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/echarts/echarts.common.min.js" in html and "js/analytics.js" in html
    for section in ("headline", "sales", "members", "products", "rounds", "repurchase", "sources", "branches"):
        assert f'data-section="{section}"' in html
        assert f"format=csv&amp;table={section}" in html
    figures = response.context["figures"]
    totals = figures["overview"]["totals"]
    assert totals["orders_paid"] == 3 and totals["gmv"] == Decimal("60.00")
    gmv = next(card for card in figures["cards"] if card["name"] == "gmv")
    assert gmv["before"] == Decimal("50.00") and gmv["change"] == Decimal("20.0") and gmv["direction"] == "up"
    assert 'data-card="gmv"' in html and "¥60.00" in html and "▲ 20.0%" in html
    data = chart_data(response)
    assert data["currency"] == "CNY" and len(data["sales"]["labels"]) == 30
    assert sum(data["sales"]["orders"]) == 3
    assert data["products"]["labels"] == ["Mangoes", "Lychees"]
    assert data["branches"]["labels"] == ["East gate"] and data["branches"]["gmv"] == ["30.00"]
    assert 'data-chart="sales"' in html and 'data-chart="branches"' in html and 'data-chart="rounds"' in html
    assert data["rounds"]["values"] == [1, 1] and "50.0%" in html


def test_changing_the_period_changes_the_figures_and_a_long_one_reads_by_week(client, shop):
    seed(shop)
    week = get(client, shop["owner"], url(shop, period="7d"))
    assert week.context["figures"]["overview"]["totals"]["orders_paid"] == 2
    assert len(chart_data(week)["sales"]["labels"]) == 7
    month = get(client, shop["owner"], url(shop, period="month", month="2026-10"))
    assert month.context["figures"]["overview"]["totals"]["gmv"] == Decimal("50.00")
    custom = get(client, shop["owner"], url(shop, period="custom", start="2026-11-10", end="2026-11-15"))
    assert custom.context["figures"]["overview"]["totals"]["orders_paid"] == 2
    quarter = get(client, shop["owner"], url(shop, period="90d"))
    assert quarter.context["figures"]["weekly"] is True
    assert chart_data(quarter)["sales"]["by"] == "week" and "Orders and GMV by week" in quarter.content.decode()
    assert quarter.context["figures"]["overview"]["totals"]["orders_paid"] == 4
    one_branch = get(client, shop["owner"], url(shop, branch=shop["branch"].pk))
    assert one_branch.context["figures"]["overview"]["totals"]["gmv"] == Decimal("30.00")
    assert one_branch.context["figures"]["branches"] is None


@pytest.mark.parametrize("params, message", [
    ({"period": "1y"}, "Select a valid choice"),
    ({"period": "custom", "start": "2026-11-10", "end": "2026-11-01"}, "The end comes before the start."),
    ({"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-11"}, "Enter a date such as 2026-11-30."),
    ({"period": "custom", "start": "2020-01-01", "end": "2026-11-11"}, "A period is at most two years."),
    ({"period": "month", "month": "2026-13"}, "Enter a month such as 2026-11."),
    ({"period": "month", "month": "x\x00"}, None),  # refused before the page (the site's bad-request page)
    ({"period": "custom", "start": "2026-11-01" * 50, "end": "2026-11-11"}, "at most 10 characters"),
    ({"branch": "999999"}, "Select a valid choice"),
    ({"branch": "١"}, "Select a valid choice"),
])
def test_bad_periods_show_the_forms_error_never_a_500(client, shop, params, message):
    response = get(client, shop["owner"], url(shop, **params))
    assert response.status_code == 400
    html = response.content.decode()
    assert message is None or ("data-form-errors" in html and message in html)
    assert 'id="analytics-data"' not in html and "echarts.common.min.js" not in html
    csv_response = get(client, shop["owner"], url(shop, format="csv", table="sales", **params))
    assert csv_response.status_code == 400


def test_a_leader_sees_only_their_branch_on_the_page_and_in_csv(client, shop):
    seed(shop)
    other_branch = Community.objects.create(name="West gate", slug=f"{shop['community'].slug}-west",
                                            parent=shop["community"], timezone="Asia/Shanghai")
    response = get(client, shop["leader"], url(shop, branch=other_branch.pk))  # the pick is not theirs: ignored
    assert response.status_code == 200
    html = response.content.decode()
    assert "You see the figures of your branch, East gate, only." in html
    figures = response.context["figures"]
    assert figures["overview"]["totals"]["gmv"] == Decimal("30.00") and figures["branches"] is None
    assert 'data-section="branches"' not in html and 'name="branch"' not in html
    assert chart_data(response)["products"]["labels"] == ["Mangoes"]
    rows = read_csv(get(client, shop["leader"], url(shop, format="csv", table="sales")))
    assert rows[0][:3] == ["Day", "Orders paid", "GMV"]
    assert len(rows) == 31 and sum(int(row[1]) for row in rows[1:]) == 1
    assert {row[2] for row in rows[1:]} == {"0.00", "30.00"}
    products = read_csv(get(client, shop["leader"], url(shop, format="csv", table="products")))
    assert [row[0] for row in products[1:]] == ["Mangoes"]
    assert get(client, shop["leader"], url(shop, format="csv", table="branches")).status_code == 404
    # The owner's CSV of the same table counts everyone.
    everyone = read_csv(get(client, shop["owner"], url(shop, format="csv", table="sales")))
    assert sum(int(row[1]) for row in everyone[1:]) == 3


def test_each_table_exports_as_csv(client, shop):
    seed(shop)
    headline = read_csv(get(client, shop["owner"], url(shop, format="csv", table="headline")))
    assert headline[0] == ["Figure", "This period", "Period before", "Change (%)"]
    assert ["GMV", "60.00", "50.00", "20.0"] in headline
    branches = read_csv(get(client, shop["owner"], url(shop, format="csv", table="branches")))
    assert branches[0][3] == "Left" and branches[1][0] == "East gate" and branches[1][5] == "30.00"
    rounds = read_csv(get(client, shop["owner"], url(shop, format="csv", table="rounds")))
    assert rounds[1] == ["2", "1", "1", "50.0"]
    members = read_csv(get(client, shop["owner"], url(shop, format="csv", table="members")))
    assert members[1] == ["Members now", "6"]  # owner, leader and the four buyers
    repurchase = read_csv(get(client, shop["owner"], url(shop, format="csv", table="repurchase")))
    assert repurchase[1] == ["4", "0", "0.0"]  # four buyers in 90 days, one order each
    sources = read_csv(get(client, shop["owner"], url(shop, format="csv", table="sources")))
    assert sources[-1] == ["No inviter", "5"]  # owner, leader and three buyers joined in the 30 days
    response = get(client, shop["owner"], url(shop, format="csv", table="nope"))
    assert response.status_code == 404


def test_members_and_other_communities_see_no_analytics(client, shop):
    member = MembershipFactory(community=shop["community"], role=Role.MEMBER, user=UserFactory())
    assert get(client, member, url(shop)).status_code in (403, 404)
    assert get(client, member, url(shop, format="csv", table="sales")).status_code in (403, 404)
    elsewhere = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert get(client, elsewhere, url(shop)).status_code == 404
    assert get(client, elsewhere, url(shop, format="csv", table="headline")).status_code == 404
    client.logout()
    assert client.get(url(shop)).status_code == 302  # to the login page
    assert get(client, shop["owner"], url(shop)).status_code == 200


def test_a_leader_without_a_branch_is_told_so(client, shop):
    loner = MembershipFactory(community=shop["community"], role=Role.LEADER, user=UserFactory())
    response = get(client, loner, url(shop))
    assert response.status_code == 400
    assert "A leader sees the figures of their branch, and you lead none." in response.content.decode()


def test_the_query_count_does_not_grow_with_the_orders(client, shop):
    buy = shop["buy"]
    for n in range(3):
        buy(at(2026, 11, 12 + n), in_branch=n % 2 == 0, item=n % 2)
    buy(at(2026, 11, 20, 9))  # today: the live part

    def count(**params):
        with time_machine.travel(NOW, tick=False):
            rollups.refresh(shop["community"])
        client.force_login(shop["owner"].user)
        # A cache that never hits: the worst case (the buyers of a past period are cached otherwise).
        never = DummyCache("never", {})
        with time_machine.travel(NOW, tick=False), mock.patch("analytics.selectors.cache", never), \
                CaptureQueriesContext(connection) as queries:
            response = client.get(url(shop, **params), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return len(queries), response

    few, few_page = count()
    few_90, _ = count(period="90d")
    for n in range(26):
        buy(at(2026, 11, 1 + n % 19, 10 + n % 9), qty=1 + n % 3, in_branch=n % 3 == 0, item=n % 2)
    buy(at(2026, 11, 20, 10))
    many, many_page = count()
    many_90, _ = count(period="90d")
    assert many_page.context["figures"]["overview"]["totals"]["orders_paid"] == 31
    assert few_page.context["figures"]["overview"]["totals"]["orders_paid"] == 4
    assert few == many and few_90 == many_90


def test_the_tabs_lead_to_each_page_keeping_the_period(client, shop):
    seed(shop)
    response = get(client, shop["owner"], url(shop, period="custom", start="2026-11-01", end="2026-11-20"))
    html = response.content.decode()
    tabs = response.context["tabs"]
    assert [t["name"] for t in tabs if t["current"]] == ["overview"]
    assert 'data-tab="overview" aria-current="page"' in html
    # Every other page is reached with the same period (the query string goes along).
    for tab in tabs:
        assert tab["url"].endswith("?period=custom&start=2026-11-01&end=2026-11-20"), tab
    # A bad period: the tabs carry no bad query along.
    bad = get(client, shop["owner"], url(shop, period="custom", start="2026-11-30", end="2026-11-01"))
    assert bad.status_code == 400 and all("?" not in tab["url"] for tab in bad.context["tabs"])
