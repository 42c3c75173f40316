"""Orders and money for admins and leaders through the API (/api/v1/communities/<slug>/admin/...).

The world of test_branch_scope: one community with branches East and West, each with a leader, a
buyer and a pickup point. Owners and admins read every order; a leader reads their branch's; a
member gets 403; someone of another community 404, as for every other endpoint.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders import services
from orders.models import Order
from payments import services as payments
from tests.api import assert_error, url
from tests.branches import pay
from tests.factories import CommunityFactory, MembershipFactory
from tests.orders.test_branch_scope import _order, _round, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def all_orders(world):
    return set(Order.objects.filter(community=world["community"]).values_list("pk", flat=True))


@pytest.fixture
def stranger():
    """The owner of another community."""
    return MembershipFactory(community=CommunityFactory(), role="owner")


# The orders list ---------------------------------------------------------------------------------

def test_admins_list_every_order_and_filter_it(api_as, world):
    slug, ready, west_ready = world["community"].slug, world["east_ready"], world["west_ready"]
    client = api_as(world["admin"].user)
    everything = all_orders(world)
    path = url(slug, "admin", "orders")

    assert ids(client.get(path)) == everything
    assert ids(client.get(path, {"status": "ready"})) == {ready.pk, west_ready.pk}
    assert ids(client.get(path, {"pickup_point": world["west_point"].pk})) == {west_ready.pk}
    assert ids(client.get(path, {"branch": world["west"].pk})) == {west_ready.pk}
    assert ids(client.get(path, {"member": world["east_buyer"].user_id})) == everything - {west_ready.pk}
    assert ids(client.get(path, {"group_buy": world["aimed_east"].pk})) == {world["confirmed"].pk}
    unpaid = {world["east_pending"].pk} | {o.pk for o in world["east_orders"] if o.team_id}
    assert ids(client.get(path, {"paid": "false"})) == unpaid
    assert ids(client.get(path, {"paid": "true"})) == everything - unpaid

    body = client.get(path, {"ordering": "total", "status": "ready"}).json()["results"][0]
    assert body["member"]["display_name"] and body["branch"] and body["updated_at"] and body["paid_at"]
    assert body["pickup_code"]

    # Syncing: nothing changed since now; a change (a delivery confirmed) shows up.
    since = timezone.now()
    assert ids(client.get(path, {"updated_since": since.isoformat()})) == set()
    services.order_complete(actor=world["admin"], order=world["east_shipped"])
    assert ids(client.get(path, {"updated_since": since.isoformat(), "ordering": "updated_at"})) == {
        world["east_shipped"].pk}


def test_a_syncing_client_sees_orders_confirmed_and_ready_in_bulk(api_as, owner, member, leader):
    """Closing a round and marking goods arrived change many orders at once (bulk updates): each
    still shows up in updated_since."""
    from tests.factories import make_group_buy

    group_buy = make_group_buy(owner)
    orders = []
    for i, buyer in enumerate((member, leader)):
        order, _ = services.order_place(member=buyer, group_buy=group_buy, lines=[(group_buy.items.get().pk, 1)],
                                        idempotency_key=f"sync-{i}", pickup_point_id=group_buy.pickup_points.get().pk)
        orders.append(order.pk)
    pay(owner, *Order.objects.filter(pk__in=orders))
    client, path = api_as(owner.user), url(owner.community.slug, "admin", "orders")
    later = group_buy.closes_at + timedelta(seconds=1)
    import time_machine

    with time_machine.travel(later):
        since = timezone.now()
        services.group_buy_close_due()
        assert ids(client.get(path, {"updated_since": since.isoformat(), "status": "confirmed"})) == set(orders)
    with time_machine.travel(later + timedelta(hours=1)):
        since = timezone.now()
        services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
        assert ids(client.get(path, {"updated_since": since.isoformat(), "status": "ready"})) == set(orders)


def test_leaders_list_their_branchs_orders_only(api_as, world):
    slug = world["community"].slug
    east = {o.pk for o in world["east_orders"]}
    assert ids(api_as(world["east_lead"].user).get(url(slug, "admin", "orders"))) == east
    assert ids(api_as(world["west_lead"].user).get(url(slug, "admin", "orders"))) == {world["west_ready"].pk}
    # Naming East's branch or point does not widen a West leader's scope.
    west = api_as(world["west_lead"].user)
    assert ids(west.get(url(slug, "admin", "orders"), {"branch": world["east"].pk})) == set()
    assert ids(west.get(url(slug, "admin", "orders"), {"pickup_point": world["east_point"].pk})) == set()


def test_members_and_strangers_get_no_orders_list(api_as, world, stranger):
    slug = world["community"].slug
    assert_error(api_as(world["east_buyer"].user).get(url(slug, "admin", "orders")), 403)
    assert_error(api_as(stranger.user).get(url(slug, "admin", "orders")), 404)
    assert_error(api_as(world["admin"].user).get(url(stranger.community.slug, "admin", "orders")), 404)


@pytest.mark.parametrize("params, field", [
    ({"status": "lost"}, "status"), ({"paid": "maybe"}, "paid"), ({"updated_since": "yesterday"}, "updated_since"),
    ({"ordering": "member"}, "ordering"), ({"group_buy": "abc"}, "group_buy"), ({"member": "0"}, "member"),
    ({"branch": "1e3"}, "branch"), ({"pickup_point": str(2**64)}, "pickup_point"),
])
def test_bad_filters_are_400_in_the_error_shape(api_as, world, params, field):
    response = api_as(world["owner"].user).get(url(world["community"].slug, "admin", "orders"), params)
    assert_error(response, 400, fields=[field])


def test_the_list_costs_the_same_queries_for_2_or_10_orders(api_as, world):
    community, owner = world["community"], world["owner"]
    client = api_as(owner.user)
    group_buy = _round(owner, "Counting", [world["east_point"]])
    path = url(community.slug, "admin", "orders")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, {"group_buy": group_buy.pk}).status_code == 200
        return len(queries)

    buyers = [MembershipFactory(community=community) for _ in range(10)]
    for buyer in buyers[:2]:
        pay(owner, _order(buyer, group_buy, world["east_point"]))
    two = count()
    for buyer in buyers[2:]:
        pay(owner, _order(buyer, group_buy, world["east_point"]))
    assert len(client.get(path, {"group_buy": group_buy.pk}).json()["results"]) == 10
    assert count() == two


# Detail, ship, deliver ----------------------------------------------------------------------------

def test_order_detail_with_payments_within_scope(api_as, world, stranger):
    slug, ready = world["community"].slug, world["east_ready"]
    for actor in ("owner", "admin", "east_lead"):
        body = api_as(world[actor].user).get(url(slug, "admin", "orders", ready.pk)).json()
        assert body["id"] == ready.pk and body["pickup_code"] == ready.pickup_code
        assert [p["status"] for p in body["payments"]] == ["succeeded"] and body["refunds"] == []
    assert_error(api_as(world["west_lead"].user).get(url(slug, "admin", "orders", ready.pk)), 404)
    assert_error(api_as(world["east_buyer"].user).get(url(slug, "admin", "orders", ready.pk)), 403)
    assert_error(api_as(stranger.user).get(url(slug, "admin", "orders", ready.pk)), 404)
    assert_error(api_as(world["owner"].user).get(url(slug, "admin", "orders", 10**12)), 404)


@pytest.fixture
def to_ship(world):
    """A confirmed delivery order of East's buyer."""
    owner = world["owner"]
    group_buy = _round(owner, "Delivered", [world["east_point"]], closes_in=timedelta(hours=1), allows_delivery=True)
    order = _order(world["east_buyer"], group_buy, key="d1", fulfilment="delivery", delivery_address="Home 1")
    pay(owner, order)
    services.group_buy_close_due(now=timezone.now() + timedelta(hours=2))
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    return order


def test_admins_ship_then_confirm_a_delivery(api_as, world, to_ship):
    slug = world["community"].slug
    client = api_as(world["admin"].user)

    shipped = client.post(url(slug, "admin", "orders", to_ship.pk, "ship"), {"tracking": "SF123"}, format="json")
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    assert_error(client.post(url(slug, "admin", "orders", to_ship.pk, "ship"), {}, format="json"), 409,
                 code="not_shippable")
    delivered = client.post(url(slug, "admin", "orders", to_ship.pk, "deliver"))
    assert delivered.status_code == 200 and delivered.json()["status"] == "completed"
    assert delivered.json()["completed_at"]
    assert_error(client.post(url(slug, "admin", "orders", to_ship.pk, "deliver")), 409, code="not_shipped")
    # A pickup order is handed over with its code, never "delivered".
    assert_error(client.post(url(slug, "admin", "orders", world["east_ready"].pk, "deliver")), 409,
                 code="not_delivery")
    assert_error(client.post(url(slug, "admin", "orders", to_ship.pk, "ship"), {"tracking": "x" * 101},
                             format="json"), 400, fields=["tracking"])


def test_only_admins_ship_and_deliver(api_as, world, to_ship, stranger):
    slug = world["community"].slug
    for who, status in ((world["east_lead"].user, 403), (world["east_buyer"].user, 403), (stranger.user, 404)):
        assert_error(api_as(who).post(url(slug, "admin", "orders", to_ship.pk, "ship"), {}, format="json"), status)
        assert_error(api_as(who).post(url(slug, "admin", "orders", world["east_shipped"].pk, "deliver")), status)
    assert Order.objects.get(pk=to_ship.pk).status == Order.Status.CONFIRMED
    assert Order.objects.get(pk=world["east_shipped"].pk).status == Order.Status.SHIPPED
    # Another community's admin cannot reach these orders through their own community either.
    other = api_as(stranger.user)
    assert_error(other.post(url(stranger.community.slug, "admin", "orders", to_ship.pk, "ship"), {},
                            format="json"), 404)


# Money ---------------------------------------------------------------------------------------------

@pytest.fixture
def wallets(world):
    admin = world["admin"]
    payments.wallet_top_up(actor=admin, member_user=world["east_buyer"].user, amount=Decimal("50"))
    payments.wallet_top_up(actor=admin, member_user=world["west_buyer"].user, amount=Decimal("20"))
    return world


def test_admins_list_wallets_filter_and_order_by_balance(api_as, wallets):
    slug, east, west = wallets["community"].slug, wallets["east_buyer"].user, wallets["west_buyer"].user
    client = api_as(wallets["owner"].user)
    path = url(slug, "admin", "wallets")

    rows = client.get(path, {"ordering": "-balance"}).json()["results"]
    assert [(r["member"]["id"], r["balance"]) for r in rows] == [(east.pk, "50.00"), (west.pk, "20.00")]
    assert [r["member"]["id"] for r in client.get(path, {"ordering": "balance"}).json()["results"]] == [
        west.pk, east.pk]
    assert [r["member"]["id"] for r in client.get(path, {"q": west.phone[-4:]}).json()["results"]] == [west.pk]
    assert [r["member"]["id"] for r in client.get(path, {"q": "east-secret"}).json()["results"]] == [east.pk]
    assert [r["member"]["id"] for r in client.get(path, {"min_balance": "30"}).json()["results"]] == [east.pk]
    assert_error(client.get(path, {"min_balance": "lots"}), 400, fields=["min_balance"])
    assert_error(client.get(path, {"ordering": "phone"}), 400, fields=["ordering"])


def test_admins_read_one_members_ledger(api_as, wallets, stranger):
    slug, east = wallets["community"].slug, wallets["east_buyer"].user
    client = api_as(wallets["admin"].user)
    entries = client.get(url(slug, "admin", "wallets", east.pk, "entries")).json()["results"]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in entries] == [("top_up", "50.00", "50.00")]
    # A member without a wallet has an empty ledger; someone who is not a member, none at all.
    assert client.get(url(slug, "admin", "wallets", wallets["east_lead"].user_id, "entries")).json()["results"] == []
    assert_error(client.get(url(slug, "admin", "wallets", stranger.user_id, "entries")), 404)


def test_leaders_members_and_strangers_see_no_wallets(api_as, wallets, stranger):
    slug, east = wallets["community"].slug, wallets["east_buyer"].user
    for who, status in ((wallets["east_lead"].user, 403), (east, 403), (stranger.user, 404)):
        assert_error(api_as(who).get(url(slug, "admin", "wallets")), status)
        assert_error(api_as(who).get(url(slug, "admin", "wallets", east.pk, "entries")), status)


# Commissions ---------------------------------------------------------------------------------------

def test_commission_statements_by_role(api_as, world, stranger):
    slug, done = world["community"].slug, world["east_orders"][2]
    path = url(slug, "admin", "commissions")
    east_lead = api_as(world["east_lead"].user).get(path).json()["results"]
    assert [(c["order"], c["kind"], c["leader"]["id"]) for c in east_lead] == [
        (done.pk, "earned", world["east_lead"].user_id)]
    assert east_lead[0]["amount"] == "0.50" and east_lead[0]["rate"] == "0.0500"
    assert ids(api_as(world["west_lead"].user).get(path)) == set()
    # A leader cannot widen their statement to another leader's.
    assert ids(api_as(world["west_lead"].user).get(path, {"leader": world["east_lead"].user_id})) == set()

    admin = api_as(world["admin"].user)
    assert len(ids(admin.get(path))) == 1
    assert ids(admin.get(path, {"leader": world["west_lead"].user_id})) == set()
    assert_error(admin.get(path, {"leader": "x"}), 400, fields=["leader"])
    assert_error(api_as(world["east_buyer"].user).get(path), 403)
    assert_error(api_as(stranger.user).get(path), 404)


def test_admins_export_commissions_as_csv_and_leaders_do_not(api_as, world):
    path = url(world["community"].slug, "admin", "commissions")
    csv = api_as(world["owner"].user).get(path, {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "east-secret-buyer" in text and str(world["east_orders"][2].pk) in text
    only_west = api_as(world["owner"].user).get(path, {"format": "csv", "leader": world["west_lead"].user_id})
    assert "east-secret-buyer" not in only_west.content.decode("utf-8-sig")
    refused = api_as(world["east_lead"].user).get(path, {"format": "csv"})
    assert refused["Content-Type"].startswith("application/json")
    assert_error(refused, 403)
