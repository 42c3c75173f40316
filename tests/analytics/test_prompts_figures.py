"""The analytics page "Repurchase prompts": the prompts due in the period (local days) for the members
prompted and the members held out, opened, ordered within 7 days, the GMV of those orders, the lift
(only with enough members held out), by day and by product, against the period before; a leader
reads the members of their branch (page, CSV, API); members are refused; bad input is a 400; the
query count does not grow with the prompts."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import selectors_prompts as sp
from analytics.selectors import Period
from communities.models import Community, Role
from engagement.models import RepurchasePrompt
from orders import services as orders
from orders.models import Order
from payments import services as payments
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
PERIOD = {"period": "custom", "start": "2026-11-10", "end": "2026-11-16"}
pytestmark = pytest.mark.django_db


def at(m, d, hh=12, mm=0):
    return datetime(2026, m, d, hh, mm, tzinfo=SHANGHAI)


class Shop:
    """A Shanghai community with a branch (East gate) and its leader, two products on sale and a few
    real orders whose totals are known; ``prompt`` records a prompt (sent or held out) of a new member."""

    def __init__(self):
        with time_machine.travel(at(11, 1), tick=False):
            self.community = CommunityFactory(timezone="Asia/Shanghai", name="Sunny Garden")
            self.owner = MembershipFactory(community=self.community, role=Role.OWNER, user=UserFactory())
            self.branch = Community.objects.create(name="East gate", slug=f"{self.community.slug}-east",
                                                   parent=self.community, timezone="Asia/Shanghai")
            self.leader = MembershipFactory(community=self.community, role=Role.LEADER, user=UserFactory(),
                                            branch=self.branch)
            self.mangoes = ProductFactory(community=self.community, name="Mangoes")
            self.lychees = ProductFactory(community=self.community, name="Lychees")
        self.round = make_group_buy(self.owner, products=[self.mangoes, self.lychees], price="10.00", offer=5000)
        self.items = {i.product_id: i for i in self.round.items.all()}
        self.n = 0

    def member(self, in_branch=False):
        return MembershipFactory(community=self.community, role=Role.MEMBER, user=UserFactory(),
                                 branch=self.branch if in_branch else None)

    def order(self, qty):
        """A paid order of ``qty`` mangoes (10.00 each) by a new member."""
        self.n += 1
        member = self.member()
        payments.wallet_top_up(actor=self.owner, member_user=member.user, amount=Decimal("1000"))
        order, _ = orders.order_place(member=member, group_buy=self.round,
                                      lines=[(self.items[self.mangoes.pk].pk, qty)], idempotency_key=f"k{self.n}",
                                      pickup_point_id=self.round.pickup_points.first().pk)
        orders.order_pay_with_wallet(member=member, order=order)
        return order

    def prompt(self, product, sent_at, *, held_out=False, opened=False, converted=None, in_branch=False,
               last_order=None):
        member = self.member(in_branch)
        return RepurchasePrompt.objects.create(
            community=self.community, member=member.user, product=product, last_order=last_order or self.base,
            group_buy=self.round, item=self.items[product.pk], due_on=sent_at.date(), sent_at=sent_at,
            held_out=held_out, opened_at=sent_at if opened else None, converted_order=converted)


def make_shop():
    """In the period 10–16 November (Shanghai): prompted P1 (branch, mangoes, opened, ordered 20.00),
    P2 (mangoes, at 23:50 on the last day), P3 (branch, lychees, opened, ordered 30.00); held out H1
    (mangoes, ordered 15.00), H2 (branch, lychees). Outside: at 00:10 the day after, and two in the
    period before (one at 23:59 on its last day)."""
    s = Shop()
    s.base = s.order(1)
    x, y, z = s.order(2), s.order(3), s.order(1)
    Order.objects.filter(pk=z.pk).update(total=Decimal("15.00"))
    s.prompt(s.mangoes, at(11, 10, 0, 30), opened=True, converted=x, in_branch=True)   # 09 Nov 16:30 UTC
    s.prompt(s.mangoes, at(11, 16, 23, 50))
    s.prompt(s.lychees, at(11, 12, 9), opened=True, converted=y, in_branch=True)
    s.prompt(s.mangoes, at(11, 11, 10), held_out=True, converted=z)
    s.prompt(s.lychees, at(11, 13, 10), held_out=True, in_branch=True)
    s.prompt(s.lychees, at(11, 17, 0, 10), opened=True)                                 # the day after
    s.prompt(s.mangoes, at(11, 5, 10))
    s.prompt(s.mangoes, at(11, 9, 23, 59), converted=x)
    return s


@pytest.fixture
def shop():
    return make_shop()


PERIOD_OBJ = Period(at(11, 10).date(), at(11, 16).date())


def figures_of(s, branch=None):
    with time_machine.travel(NOW, tick=False):
        return (sp.summary(s.community, PERIOD_OBJ, branch=branch), sp.daily(s.community, PERIOD_OBJ, branch=branch),
                sp.products(s.community, PERIOD_OBJ, branch=branch))


def test_each_group_is_counted_by_local_day(shop):
    summary, _, _ = figures_of(shop)
    p, h = summary["groups"]["prompted"], summary["groups"]["holdout"]
    assert (p["prompts"], p["members"], p["opened"], p["converted"]) == (3, 3, 2, 2)
    assert p["conversion"] == Decimal("66.7") and p["open_rate"] == Decimal("66.7")
    assert p["gmv"] == Decimal("50.00")
    assert (h["prompts"], h["members"], h["opened"], h["converted"]) == (2, 2, 0, 1)
    assert h["conversion"] == Decimal("50.0") and h["gmv"] == Decimal("15.00")
    before = summary["previous_groups"]["prompted"]
    assert (before["prompts"], before["converted"], before["gmv"]) == (2, 1, Decimal("20.00"))
    assert summary["changes"]["prompts"] == Decimal("50.0")          # 2 → 3
    assert summary["changes"]["conversion"] == Decimal("16.7")       # 50.0 → 66.7 percentage points


def test_the_lift_waits_for_enough_held_out_members(shop):
    summary, _, _ = figures_of(shop)
    assert summary["lift"] is None and not summary["enough_holdout"]
    # 30 members held out (6 ordered: 7 of 32 with H1, H2 = 21.9 %) against 3 prompted (66.7 %).
    converted = Order.objects.get(total=Decimal("20.00"))
    for n in range(30):
        shop.prompt(shop.lychees, at(11, 14, 10), held_out=True, converted=converted if n < 6 else None)
    summary, _, _ = figures_of(shop)
    assert summary["groups"]["holdout"]["members"] == 32 and summary["enough_holdout"]
    assert summary["groups"]["holdout"]["conversion"] == Decimal("21.9")
    assert summary["lift"] == Decimal("44.8")  # 66.7 − 21.9
    # The converting order counts once in the holdout's GMV however many prompts it converted.
    assert summary["groups"]["holdout"]["gmv"] == Decimal("35.00")


def test_by_day_and_by_product(shop):
    _, days, products = figures_of(shop)
    assert [d["day"].day for d in days] == list(range(10, 17))
    by_day = {d["day"].day: (d["sent"], d["converted"], d["held_out"], d["held_out_converted"]) for d in days}
    assert by_day == {10: (1, 1, 0, 0), 11: (0, 0, 1, 1), 12: (1, 1, 0, 0), 13: (0, 0, 1, 0), 14: (0, 0, 0, 0),
                      15: (0, 0, 0, 0), 16: (1, 0, 0, 0)}
    assert [(r["name"], r["sent"], r["converted"], r["conversion"], r["held_out"], r["held_out_conversion"])
            for r in products] == [("Mangoes", 2, 1, Decimal("50.0"), 1, Decimal("100.0")),
                                   ("Lychees", 1, 1, Decimal("100.0"), 1, Decimal("0.0"))]


def test_a_branch_counts_its_members_prompts(shop):
    summary, days, products = figures_of(shop, shop.branch)
    p, h = summary["groups"]["prompted"], summary["groups"]["holdout"]
    assert (p["prompts"], p["converted"], p["gmv"], h["prompts"], h["converted"]) == (2, 2, Decimal("50.00"), 1, 0)
    assert sum(d["sent"] for d in days) == 2
    assert {r["name"]: r["sent"] for r in products} == {"Lychees": 1, "Mangoes": 1}


# The page ----------------------------------------------------------------------------------------

def page(client, membership, s, **params):
    client.force_login(membership.user)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("analytics_console:prompts", args=[s.community.slug]), params,
                          HTTP_ACCEPT_LANGUAGE="en")


def rows_of(response):
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_page_shows_both_groups_and_says_the_holdout_is_too_small(client, shop):
    response = page(client, shop.owner, shop, **PERIOD)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not enough members held out yet" in body
    assert reverse("engagement_console:engagement_settings", kwargs={"slug": shop.community.slug}) in body
    groups = response.context["figures"]["summary"]["groups"]
    assert groups["prompted"]["converted"] == 2 and groups["holdout"]["prompts"] == 2
    cards = {c["name"]: c for c in response.context["figures"]["cards"]}
    assert cards["prompts"]["value"] == 3 and cards["prompts"]["before"] == 2
    assert response.context["data"]["charts"]["daily"]["series"][0]["values"] == [1, 0, 1, 0, 0, 0, 1]


def test_the_page_shows_the_lift_with_enough_held_out(client, shop):
    for _ in range(30):
        shop.prompt(shop.lychees, at(11, 14, 10), held_out=True)
    body = page(client, shop.owner, shop, **PERIOD).content.decode()
    assert "Not enough members held out yet" not in body
    assert "Lift: 63.6 percentage points" in body  # 66.7 % prompted − 3.1 % held out (1 of 32)


def test_each_table_as_csv(client, shop):
    products = rows_of(page(client, shop.owner, shop, format="csv", table="products", **PERIOD))
    assert products[0][0] == "Product" and [r[0] for r in products[1:]] == ["Mangoes", "Lychees"]
    daily = rows_of(page(client, shop.owner, shop, format="csv", table="daily", **PERIOD))
    assert len(daily) == 8 and daily[1][:3] == ["2026-11-10", "1", "1"]
    groups = rows_of(page(client, shop.owner, shop, format="csv", table="groups", **PERIOD))
    assert groups[1][1:6] == ["3", "3", "2", "2", "66.7"] and groups[2][1] == "2"
    headline = rows_of(page(client, shop.owner, shop, format="csv", table="headline", **PERIOD))
    assert headline[1][:3] == ["Prompts sent", "3", "2"]


def test_a_leader_sees_their_branchs_members_only(client, shop):
    response = page(client, shop.leader, shop, **PERIOD)
    assert response.status_code == 200
    assert response.context["figures"]["summary"]["groups"]["prompted"]["prompts"] == 2
    assert response.context["figures"]["settings_url"] is None
    asked = page(client, shop.leader, shop, branch="", format="csv", table="groups", **PERIOD)
    assert rows_of(asked)[1][1] == "2"


def test_members_are_refused(client, shop):
    member = shop.member()
    assert page(client, member, shop).status_code in (403, 404)
    stranger = MembershipFactory(community=CommunityFactory(), role=Role.ADMIN, user=UserFactory())
    assert page(client, stranger, shop).status_code in (403, 404)


@pytest.mark.parametrize("params", [
    {"period": "30d\x00"}, {"period": "forever"}, {"period": "custom", "start": "٢٠٢٦-١١-١٠", "end": "2026-11-16"},
    {"period": "custom", "start": "2026-11-10", "end": "9" * 5000}, {"period": "month", "month": "２０２６-11"},
    {"branch": "٣"}, {"branch": "9" * 40}, {"branch": "\x00"},
])
def test_bad_input_is_a_400(client, shop, params):
    assert page(client, shop.owner, shop, **params).status_code == 400


def test_a_bad_table_is_refused(client, shop):
    assert page(client, shop.owner, shop, format="csv", table="x" * 5000, **PERIOD).status_code == 404
    assert page(client, shop.owner, shop, format="csv", table="x\x00", **PERIOD).status_code in (400, 404)


def test_the_query_count_does_not_grow_with_the_prompts(client, shop):
    def count():
        client.force_login(shop.owner.user)
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("analytics_console:prompts", args=[shop.community.slug]), PERIOD,
                                  HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return len(queries), response

    few, few_page = count()
    converted = Order.objects.get(total=Decimal("30.00"))
    for n in range(40):
        shop.prompt(shop.lychees if n % 2 else shop.mangoes, at(11, 10 + n % 7, 8 + n % 12), held_out=n % 4 == 0,
                    opened=n % 4 == 1, converted=converted if n % 3 == 0 else None, in_branch=n % 5 == 0)
    many, many_page = count()
    assert few_page.context["figures"]["summary"]["groups"]["prompted"]["prompts"] == 3
    assert many_page.context["figures"]["summary"]["groups"]["prompted"]["prompts"] == 33
    assert few == many
