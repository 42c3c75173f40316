"""Partner API, rounds: the rounds selling the partner's products, their order lines, purchase sheets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Supplier
from orders import services as orders
from orders.models import GroupBuy, Order, PickupPoint
from partners import services
from payments import services as payments
from tests.api import assert_error
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy


def url(name, community_id, round_id=None):
    kwargs = {"community_id": community_id}
    if round_id is not None:
        kwargs["round_id"] = round_id
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def client(connection, make_key, key_client):
    return key_client(make_key()[1])


@pytest.fixture
def shop(community, owner, member, connection, partner_product):
    """A round selling the partner's apples and another supplier's bread, with paid, unpaid, delivery
    and bread-only orders; and a second pickup point."""
    apples = partner_product("APPLE-1")
    bread = ProductFactory(community=community, name="Bread",
                           supplier=Supplier.objects.create(community=community, name="Bakery"))
    round_ = make_group_buy(owner, products=[apples, bread], allows_delivery=True)
    gate1 = round_.pickup_points.get()
    gate2 = PickupPoint.objects.create(community=community, name="Gate 2", address="Building 2")
    round_.pickup_points.add(gate2)
    apple_item = round_.items.get(product=apples)
    bread_item = round_.items.get(product=bread)
    payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("1000"))
    placed = {}

    def place(key, lines, pay=True, **kwargs):
        if kwargs.get("fulfilment") != "delivery" and not kwargs.get("pickup_point_id"):
            kwargs["pickup_point_id"] = gate1.pk
        order, _ = orders.order_place(member=member, group_buy=round_, lines=lines, idempotency_key=key, **kwargs)
        if pay:
            order = orders.order_pay_with_wallet(member=member, order=order)
        placed[key] = order
        return order

    place("gate1", [(apple_item.pk, 2), (bread_item.pk, 1)])
    place("gate2", [(apple_item.pk, 4)], pickup_point_id=gate2.pk)
    place("home", [(apple_item.pk, 3)], fulfilment="delivery", delivery_address="Room 301, Building 5")
    place("bread", [(bread_item.pk, 5)])
    place("unpaid", [(apple_item.pk, 7)], pay=False)
    return {"round": round_, "apples": apples, "bread": bread, "orders": placed, "gate2": gate2,
            "apple_item": apple_item, "bread_item": bread_item, "place": place}


def test_rounds_list_only_those_selling_the_partners_products_with_its_items(community, owner, client, shop,
                                                                              partner_product):
    bread_only = make_group_buy(owner, products=[shop["bread"]], title="Bread day")
    draft = make_group_buy(owner, products=[partner_product("DRAFT-1")], title="Draft", publish=False)
    body = client.get(url("api-partner-rounds", community.pk)).json()
    assert [r["id"] for r in body["results"]] == [shop["round"].pk]
    round_ = body["results"][0]
    assert [item["sku"] for item in round_["items"]] == ["APPLE-1"]
    assert round_["items"][0]["quantity_sold"] == 16  # the unpaid order holds its units too
    assert {p["name"] for p in round_["pickup_points"]} == {"Gate 1", "Gate 2"}
    assert round_["allows_delivery"] is True
    assert "Bread" not in str(body)
    for hidden in (bread_only, draft):
        assert_error(client.get(url("api-partner-round", community.pk, hidden.pk)), 404, code="round_not_found")
        assert_error(client.get(url("api-partner-round-lines", community.pk, hidden.pk)), 404)
        assert_error(client.get(url("api-partner-purchase-sheet", community.pk, hidden.pk)), 404)
    detail = client.get(url("api-partner-round", community.pk, shop["round"].pk)).json()
    assert detail["id"] == shop["round"].pk and [i["sku"] for i in detail["items"]] == ["APPLE-1"]


def test_rounds_filter_by_status_and_updated_since_and_page(community, owner, client, shop, partner_product):
    later = make_group_buy(owner, products=[partner_product("PEAR-1")], title="Pears")
    orders.group_buy_cancel(actor=owner, group_buy=later, reason="No pears")
    GroupBuy.objects.filter(pk=shop["round"].pk).update(updated_at=timezone.now() - timedelta(days=3))
    endpoint = url("api-partner-rounds", community.pk)
    assert [r["id"] for r in client.get(endpoint, {"status": "cancelled"}).json()["results"]] == [later.pk]
    assert [r["id"] for r in client.get(endpoint, {"status": "open"}).json()["results"]] == [shop["round"].pk]
    assert_error(client.get(endpoint, {"status": "draft"}), 400, fields=("status",))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [r["id"] for r in client.get(endpoint, {"updated_since": since}).json()["results"]] == [later.pk]
    first = client.get(endpoint, {"page_size": 1}).json()
    assert first["count"] == 2 and [r["id"] for r in first["results"]] == [shop["round"].pk] and first["next"]
    assert [r["id"] for r in client.get(first["next"]).json()["results"]] == [later.pk]
    assert_error(client.get(endpoint, {"page": "２"}), 400, fields=("page",))


def test_lines_show_the_partners_paid_lines_only(community, client, shop, member):
    body = client.get(url("api-partner-round-lines", community.pk, shop["round"].pk)).json()
    lines = body["results"]
    placed = shop["orders"]
    assert sorted((line["order_id"], line["quantity"]) for line in lines) == sorted(
        [(placed["gate1"].pk, 2), (placed["gate2"].pk, 4), (placed["home"].pk, 3)])
    assert all(line["sku"] == "APPLE-1" for line in lines)
    by_order = {line["order_id"]: line for line in lines}
    home = by_order[placed["home"].pk]
    assert home["fulfilment"] == "delivery" and home["delivery_address"] == "Room 301, Building 5"
    assert home["pickup_point"] is None
    gate2 = by_order[placed["gate2"].pk]
    assert gate2["pickup_point"]["name"] == "Gate 2" and gate2["delivery_address"] is None
    assert gate2["member_name"] == member.user.display_name
    assert gate2["order_status"] == "paid" and gate2["refunded"] is False
    assert "Bread" not in str(body)


def test_refunded_lines_are_flagged_and_leave_the_sheet(community, owner, client, shop):
    refunded = shop["orders"]["gate2"]
    orders.order_refund(actor=owner, order=refunded, reason="Changed mind")
    lines = client.get(url("api-partner-round-lines", community.pk, shop["round"].pk)).json()["results"]
    line = next(line for line in lines if line["order_id"] == refunded.pk)
    assert line["refunded"] is True and line["order_status"] == "refunded"
    sheet = client.get(url("api-partner-purchase-sheet", community.pk, shop["round"].pk)).json()
    assert sheet["products"][0]["total_quantity"] == 5
    assert [p["name"] for p in sheet["products"][0]["pickup_points"]] == ["Gate 1"]


def test_lines_sync_with_updated_since_and_page(community, client, shop):
    placed = shop["orders"]
    Order.objects.filter(pk__in=[placed["gate1"].pk, placed["gate2"].pk]).update(
        updated_at=timezone.now() - timedelta(days=2))
    endpoint = url("api-partner-round-lines", community.pk, shop["round"].pk)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [line["order_id"] for line in client.get(endpoint, {"updated_since": since}).json()["results"]] == [
        placed["home"].pk]
    assert_error(client.get(endpoint, {"updated_since": "yesterday"}), 400, fields=("updated_since",))
    first = client.get(endpoint, {"page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2
    rest = client.get(first["next"]).json()["results"]
    assert {line["order_id"] for line in first["results"] + rest} == {placed[k].pk for k in ("gate1", "gate2", "home")}


def test_lines_query_count_does_not_grow_with_rows(community, client, shop, django_assert_max_num_queries):
    endpoint = url("api-partner-round-lines", community.pk, shop["round"].pk)
    with django_assert_max_num_queries(8) as few:
        assert client.get(endpoint).json()["count"] == 3
    for n in range(12):
        shop["place"](f"more{n}", [(shop["apple_item"].pk, 1)],
                      pickup_point_id=shop["gate2"].pk if n % 2 else None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(endpoint).json()["count"] == 15
    rounds_endpoint = url("api-partner-rounds", community.pk)
    with django_assert_max_num_queries(10) as few_rounds:
        client.get(rounds_endpoint)
    for n in range(3):
        make_group_buy(shop["round"].created_by.memberships.get(community=community), products=[shop["apples"]],
                       title=f"Again {n}")
    with django_assert_max_num_queries(len(few_rounds.captured_queries)):
        assert client.get(rounds_endpoint).json()["count"] == 4


def test_purchase_sheet_per_product_and_pickup_point(community, owner, client, shop, partner_product):
    pears = partner_product("PEAR-1")  # in no round: not on this sheet
    assert pears
    sheet = client.get(url("api-partner-purchase-sheet", community.pk, shop["round"].pk)).json()
    assert sheet["round_id"] == shop["round"].pk and sheet["status"] == "open"
    assert len(sheet["products"]) == 1
    apples = sheet["products"][0]
    assert (apples["sku"], apples["name"], apples["unit"]) == ("APPLE-1", "Product APPLE-1", "box")
    assert apples["total_quantity"] == 9  # 2 + 4 + 3 paid; the unpaid 7 and the bread are not counted
    assert {p["name"]: p["quantity"] for p in apples["pickup_points"]} == {"Gate 1": 2, "Gate 2": 4}
    assert apples["delivery_quantity"] == 3
    assert "Bread" not in str(sheet)


def test_another_supplier_sees_only_its_own(community, owner, client, shop):
    """The bakery, connected as a partner too, sees the same round with its bread only."""
    user = UserFactory()
    bakery = services.partner_create(user=user, name="Bakery Co", contact_email="bake@example.com")
    asked = services.connection_request(actor=bakery.staff.get(), community=community)
    connection = services.connection_decide(actor=owner, connection=asked, accept=True)
    shop["bread"].supplier = connection.supplier
    shop["bread"].save()
    key = services.api_key_create(actor=bakery.staff.get(), name="ERP", scopes=["read_rounds", "read_orders"])[1]
    from rest_framework.test import APIClient

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    rounds = other.get(url("api-partner-rounds", community.pk)).json()["results"]
    assert [item["name"] for item in rounds[0]["items"]] == ["Bread"]
    lines = other.get(url("api-partner-round-lines", community.pk, shop["round"].pk)).json()["results"]
    assert {line["sku"] for line in lines} == {""} and sum(line["quantity"] for line in lines) == 6
    assert "APPLE" not in str(lines)
    sheet = other.get(url("api-partner-purchase-sheet", community.pk, shop["round"].pk)).json()
    assert [(p["name"], p["total_quantity"]) for p in sheet["products"]] == [("Bread", 6)]


def test_scopes(community, make_key, key_client, shop):
    round_id = shop["round"].pk
    products_only = key_client(make_key(scopes=["write_products"])[1])
    for name in ("api-partner-rounds", "api-partner-round", "api-partner-purchase-sheet", "api-partner-round-lines"):
        target = url(name, community.pk, None if name == "api-partner-rounds" else round_id)
        body = assert_error(products_only.get(target), 403, code="missing_scope")
        assert ("read_orders" if name == "api-partner-round-lines" else "read_rounds") in body["message"]
    rounds_only = key_client(make_key(scopes=["read_rounds"])[1])
    assert rounds_only.get(url("api-partner-purchase-sheet", community.pk, round_id)).status_code == 200
    body = assert_error(rounds_only.get(url("api-partner-round-lines", community.pk, round_id)), 403,
                        code="missing_scope")
    assert "read_orders" in body["message"]
    fulfilment = key_client(make_key(scopes=["write_fulfillments"])[1])  # implies read_orders
    assert fulfilment.get(url("api-partner-round-lines", community.pk, round_id)).status_code == 200
    for target in (url("api-partner-rounds", community.pk), url("api-partner-purchase-sheet", community.pk, round_id)):
        assert rounds_only.post(target, {}, format="json").status_code == 405


def test_other_keys_and_communities_get_404(community, owner, staff, make_key, key_client, shop):
    round_id = shop["round"].pk
    stranger = services.partner_create(user=UserFactory(), name="Stranger", contact_email="s@example.com")
    stranger_key = services.api_key_create(actor=stranger.staff.get(), name="ERP", scopes=["read_rounds",
                                                                                           "read_orders"])[1]
    elsewhere = CommunityFactory()
    elsewhere_owner = MembershipFactory(community=elsewhere, role="owner")
    services.connection_decide(actor=elsewhere_owner, accept=True,
                               connection=services.connection_request(actor=staff, community=elsewhere))
    limited = key_client(make_key(community_ids=[elsewhere.pk])[1])
    mine = key_client(make_key()[1])
    unconnected = CommunityFactory()
    # Their round, in another community the partner is connected to: not reachable through this one.
    cases = [(key_client(stranger_key), community.pk, round_id), (limited, community.pk, round_id),
             (mine, unconnected.pk, round_id), (mine, 2**63 + 1, round_id)]
    for client_, community_id, rid in cases:
        for name in ("api-partner-rounds", "api-partner-round", "api-partner-purchase-sheet",
                     "api-partner-round-lines"):
            target = url(name, community_id, None if name == "api-partner-rounds" else rid)
            assert_error(client_.get(target), 404, code="community_not_found")
    # The partner's round named under another connected community: 404 too.
    for name in ("api-partner-round", "api-partner-purchase-sheet", "api-partner-round-lines"):
        assert_error(mine.get(url(name, elsewhere.pk, round_id)), 404, code="round_not_found")
        assert_error(mine.get(url(name, community.pk, 2**63 + 1)), 404, code="round_not_found")


def test_a_status_change_reaches_a_partner_syncing_with_updated_since(community, owner, client, shop):
    endpoint = url("api-partner-round-lines", community.pk, shop["round"].pk)
    Order.objects.update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    orders.order_refund(actor=owner, order=shop["orders"]["gate2"], reason="Changed mind")
    lines = client.get(endpoint, {"updated_since": since}).json()["results"]
    assert [(line["order_id"], line["refunded"]) for line in lines] == [(shop["orders"]["gate2"].pk, True)]
