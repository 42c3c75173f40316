"""A partner reports fulfilment over the API: each report moves the members' orders as the console
does; out of stock refunds exactly once (replayed, doubled, or sent twice at the same moment); a
partner reaches only its own products; bad input is a 400 that stores nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from catalog.models import Supplier
from communities.models import Membership
from core.models import Notification
from orders import services
from orders.models import GroupBuy, Order, OrderLine, PickupPoint, Shipment
from partners import services as partner_services
from partners.models import Scope
from payments import services as payments_services
from payments.models import Refund, Wallet
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, make_group_buy


def balance(membership):
    wallet = Wallet.objects.filter(community=membership.community, member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")


def url(community_id, round_id):
    return reverse("api-partner-round-fulfilments", kwargs={"community_id": community_id, "round_id": round_id})


@pytest.fixture
def world(owner, admin_member, connection, partner_product, make_key, key_client):
    """A round selling the partner's apples and another supplier's milk (10.00 each) at one point,
    two paid orders (apples ×2; apples and milk), closed and succeeded; a key with every scope."""
    community = owner.community
    apple = partner_product("APPLE-1", name="Apples")
    dairy = Supplier.objects.create(community=community, name="Dairy")
    milk = ProductFactory(community=community, supplier=dairy, supplier_sku="MILK", name="Milk")
    point = PickupPoint.objects.create(community=community, name="Gate 1", address="Building 1")
    group_buy = make_group_buy(owner, products=[apple, milk], price="10.00", point=point, allows_delivery=True)
    items = {i.product_id: i.pk for i in group_buy.items.all()}
    admin = Membership.objects.select_related("community", "user").get(pk=admin_member.pk)
    buyers, orders = [], []
    for n, lines in enumerate(([(items[apple.pk], 2)], [(items[apple.pk], 1), (items[milk.pk], 1)])):
        buyer = MembershipFactory(community=community, role="member")
        payments_services.wallet_top_up(actor=admin, member_user=buyer.user, amount=Decimal("100.00"))
        order, _ = services.order_place(member=buyer, group_buy=group_buy, lines=lines, idempotency_key=f"o{n}",
                                        pickup_point_id=point.pk)
        services.order_pay_with_wallet(member=buyer, order=order)
        buyers.append(buyer)
        orders.append(order)
    _key, full = make_key()
    return {"community": community, "round": group_buy, "point": point, "apple": apple, "milk": milk,
            "dairy": dairy, "buyers": buyers, "orders": orders, "client": key_client(full), "key": full}


def close(group_buy):
    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
        services.group_buy_close_due()
    assert GroupBuy.objects.get(pk=group_buy.pk).status == GroupBuy.Status.SUCCEEDED


def post(world, body, client=None):
    return (client or world["client"]).post(url(world["community"].pk, world["round"].pk), body, format="json")


def status_of(order):
    return Order.objects.get(pk=order.pk).status


@pytest.mark.django_db
def test_arrival_moves_the_orders_and_a_replay_answers_the_same(world):
    close(world["round"])
    body = {"kind": "arrived", "pickup_point_id": world["point"].pk, "request_id": "arr-1"}

    first = post(world, body)

    assert first.status_code == 201, first.content
    apples_only, both = world["orders"]
    assert first.json()["orders"] == [{"order_id": apples_only.pk, "status": "ready"},
                                      {"order_id": both.pk, "status": "confirmed"}]  # the milk is not here yet
    assert status_of(apples_only) == Order.Status.READY and status_of(both) == Order.Status.CONFIRMED
    again = post(world, body)
    assert again.status_code == 200 and again.json() == first.json()
    changed = post(world, {**body, "note": "another"})
    assert changed.status_code == 422 and changed.json()["code"] == "request_id_reused"
    assert Shipment.objects.count() == 1

    listed = world["client"].get(url(world["community"].pk, world["round"].pk))
    assert listed.status_code == 200
    assert [r["request_id"] for r in listed.json()["results"]] == ["arr-1"]


@pytest.mark.django_db
def test_out_of_stock_refunds_the_members_once_and_tells_them(world):
    close(world["round"])
    apples_only, both = world["orders"]
    body = {"kind": "out_of_stock", "sku": "APPLE-1", "request_id": "oos-1"}

    response = post(world, body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["sku"] == "APPLE-1" and data["quantity"] is None
    assert {(r["order_id"], r["units"], r["amount"]) for r in data["refunds"]} == {
        (apples_only.pk, 2, "20.00"), (both.pk, 1, "10.00")}
    assert status_of(apples_only) == Order.Status.REFUNDED and status_of(both) == Order.Status.CONFIRMED
    assert [balance(b) for b in world["buyers"]] == [Decimal("100.00"), Decimal("90.00")]
    assert Notification.objects.filter(kind="order_line_out_of_stock").count() == 2
    # Replayed, then doubled with another request id: no more money moves.
    assert post(world, body).status_code == 200
    doubled = post(world, {**body, "request_id": "oos-2"})
    assert doubled.status_code == 201 and doubled.json()["refunds"] == []
    assert Refund.objects.filter(reason="out_of_stock").count() == 2
    assert [balance(b) for b in world["buyers"]] == [Decimal("100.00"), Decimal("90.00")]
    assert Notification.objects.filter(kind="order_line_out_of_stock").count() == 2
    # The other supplier's milk is still to come: its arrival makes the rest ready.
    assert OrderLine.objects.get(order=both, product=world["milk"]).quantity_short == 0


@pytest.mark.django_db
def test_delivery_orders_shipped_and_delivered_over_the_api(world, owner, admin_member):
    buyer = MembershipFactory(community=world["community"], role="member")
    admin = Membership.objects.select_related("community", "user").get(pk=admin_member.pk)
    payments_services.wallet_top_up(actor=admin, member_user=buyer.user, amount=Decimal("50.00"))
    item = world["round"].items.get(product=world["apple"])
    order, _ = services.order_place(member=buyer, group_buy=world["round"], lines=[(item.pk, 1)],
                                    idempotency_key="d1", fulfilment="delivery", delivery_address="3-2-1502")
    services.order_pay_with_wallet(member=buyer, order=order)
    close(world["round"])

    early = post(world, {"kind": "delivered", "order_id": order.pk, "request_id": "d-0"})
    assert early.status_code == 409 and early.json()["code"] == "not_shipped"
    shipped = post(world, {"kind": "shipped", "order_id": order.pk, "carrier": "SF", "tracking": "SF1",
                           "request_id": "d-1"})
    assert shipped.status_code == 201 and shipped.json()["orders"] == [{"order_id": order.pk, "status": "shipped"}]
    delivered = post(world, {"kind": "delivered", "order_id": order.pk, "request_id": "d-2"})
    assert delivered.status_code == 201 and status_of(order) == Order.Status.COMPLETED
    pickup = post(world, {"kind": "shipped", "order_id": world["orders"][0].pk, "request_id": "d-3"})
    assert pickup.status_code == 409 and pickup.json()["code"] == "not_delivery"


@pytest.mark.django_db
def test_wrong_state_is_a_409_that_stores_nothing(world):
    response = post(world, {"kind": "arrived", "pickup_point_id": world["point"].pk, "request_id": "early"})
    assert response.status_code == 409 and response.json()["code"] == "not_succeeded"
    assert not Shipment.objects.exists()


@pytest.mark.django_db
def test_a_partner_reaches_only_its_own_products_rounds_and_communities(world, make_key, key_client, owner, staff):
    close(world["round"])
    apples_only, both = world["orders"]
    cases = [
        ({"kind": "out_of_stock", "sku": "MILK", "request_id": "x1"}, "product_not_found"),  # the dairy's
        ({"kind": "out_of_stock", "sku": "NOPE", "request_id": "x2"}, "product_not_found"),
        ({"kind": "arrived", "pickup_point_id": 10**12, "request_id": "x3"}, "pickup_point_not_found"),
        ({"kind": "shipped", "order_id": 10**12, "request_id": "x4"}, "order_not_found"),
    ]
    for body, code in cases:
        response = post(world, body)
        assert response.status_code == 404 and response.json()["code"] == code, (body, response.content)
    # Ids past any column's range, and a round that sells none of the partner's products.
    for community_id, round_id in ((10**30, world["round"].pk), (world["community"].pk, 10**30)):
        assert world["client"].get(url(community_id, round_id)).status_code == 404
        assert world["client"].post(url(community_id, round_id), {"kind": "arrived"}, format="json").status_code == 404
    milk_round = make_group_buy(owner, products=[ProductFactory(community=world["community"])], point=world["point"])
    response = world["client"].post(url(world["community"].pk, milk_round.pk),
                                    {"kind": "arrived", "pickup_point_id": world["point"].pk, "request_id": "x5"},
                                    format="json")
    assert response.status_code == 404 and response.json()["code"] == "round_not_found"
    other = CommunityFactory()
    response = world["client"].post(url(other.pk, world["round"].pk), {"kind": "arrived", "request_id": "x6"},
                                    format="json")
    assert response.status_code == 404 and response.json()["code"] == "community_not_found"
    # A key limited to another community (connected too) does not reach this one.
    other_owner = Membership.objects.select_related("community", "user").get(
        pk=MembershipFactory(community=other, role="owner").pk)
    partner_services.connection_decide(actor=other_owner, accept=True, connection=partner_services.connection_request(
        actor=staff, community=other, message="Hello"))
    _key, limited = make_key(community_ids=[other.pk])
    response = post(world, {"kind": "out_of_stock", "sku": "APPLE-1", "request_id": "x7"}, client=key_client(limited))
    assert response.status_code == 404
    # Another supplier's order lines are not the partner's to report out of stock.
    response = post(world, {"kind": "out_of_stock", "sku": "MILK", "order_id": both.pk, "request_id": "x8"})
    assert response.status_code == 404
    assert not Shipment.objects.exists() and not Refund.objects.filter(reason="out_of_stock").exists()
    assert status_of(both) == status_of(apples_only) == Order.Status.CONFIRMED


@pytest.mark.django_db
def test_scopes(world, make_key, key_client):
    close(world["round"])
    _key, reader = make_key(scopes=[Scope.READ_ORDERS])
    client = key_client(reader)
    assert client.get(url(world["community"].pk, world["round"].pk)).status_code == 200
    response = post(world, {"kind": "arrived", "pickup_point_id": world["point"].pk, "request_id": "s1"},
                    client=client)
    assert response.status_code == 403 and response.json()["code"] == "missing_scope"
    _key, products_only = make_key(scopes=[Scope.READ_PRODUCTS])
    assert key_client(products_only).get(url(world["community"].pk, world["round"].pk)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [
    ({"kind": "arrived", "pickup_point_id": "１", "request_id": "b"}, "pickup_point_id"),
    ({"kind": "out_of_stock", "sku": "APPLE-1", "quantity": "３", "request_id": "b"}, "quantity"),
    ({"kind": "out_of_stock", "sku": "APPLE-1", "quantity": 0, "request_id": "b"}, "quantity"),
    ({"kind": "out_of_stock", "sku": "APPLE-1", "quantity": 10**7, "request_id": "b"}, "quantity"),
    ({"kind": "out_of_stock", "sku": "APPLE-1", "quantity": 1.5, "request_id": "b"}, "quantity"),
    ({"kind": "arrived", "pickup_point_id": 2**70, "request_id": "b"}, "pickup_point_id"),
    ({"kind": "arrived", "pickup_point_id": True, "request_id": "b"}, "pickup_point_id"),
    ({"kind": "out_of_stock", "sku": "APPLE\x00", "request_id": "b"}, "sku"),
    ({"kind": "out_of_stock", "sku": "A" * 65, "request_id": "b"}, "sku"),
    ({"kind": "dispatched", "pickup_point_id": 1, "carrier": "SF\x00", "request_id": "b"}, "carrier"),
    ({"kind": "dispatched", "pickup_point_id": 1, "carrier": "S" * 61, "request_id": "b"}, "carrier"),
    ({"kind": "dispatched", "pickup_point_id": 1, "tracking": "9" * 100_000, "request_id": "b"}, "tracking"),
    ({"kind": "dispatched", "pickup_point_id": 1, "request_id": "b\x00"}, "request_id"),
    ({"kind": "dispatched", "pickup_point_id": 1, "request_id": "b" * 101}, "request_id"),
    ({"kind": "dispatched", "pickup_point_id": 1, "request_id": "un id"}, "request_id"),
    ({"kind": "dispatched", "pickup_point_id": 1}, "request_id"),
    ({"kind": "teleported", "request_id": "b"}, "kind"),
    ({"kind": "arrived", "request_id": "b"}, "pickup_point_id"),
    ({"kind": "arrived", "pickup_point_id": 1, "sku": "APPLE-1", "request_id": "b"}, "sku"),
])
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(world, body, field):
    close(world["round"])
    if type(body.get("pickup_point_id")) is int and body["pickup_point_id"] == 1:
        body = {**body, "pickup_point_id": world["point"].pk}
    response = post(world, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]
    assert not Shipment.objects.exists() and not Notification.objects.filter(kind="order_dispatched").exists()


@pytest.mark.django_db
def test_bodies_that_are_not_a_report(world):
    close(world["round"])
    for body in ([1, 2], "arrived", None):
        response = post(world, body)
        assert response.status_code == 400, response.content
    response = world["client"].post(url(world["community"].pk, world["round"].pk), "{not json",
                                    content_type="application/json")
    assert response.status_code == 400
    assert not Shipment.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_request", [True, False])
def test_two_out_of_stock_reports_at_the_same_moment_refund_once(world, key_client, same_request):
    close(world["round"])
    apples_only, both = world["orders"]
    clients = [key_client(world["key"]) for _ in range(2)]

    def send(i):
        request_id = "oos" if same_request else f"oos-{i}"
        return post(world, {"kind": "out_of_stock", "sku": "APPLE-1", "request_id": request_id}, client=clients[i])

    responses = run_at_once(2, send)

    assert sorted(r.status_code for r in responses) == ([200, 201] if same_request else [201, 201]), responses
    assert Refund.objects.filter(reason="out_of_stock").count() == 2  # one per order
    assert [balance(b) for b in world["buyers"]] == [Decimal("100.00"), Decimal("90.00")]
    assert sorted(OrderLine.objects.filter(product=world["apple"]).values_list("quantity_short", flat=True)) == [1, 2]
    assert Shipment.objects.count() == (1 if same_request else 2)
    assert status_of(apples_only) == Order.Status.REFUNDED
