"""REST API for group-buys, teams, orders, wallets and the console's order actions (/api/v1/)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import api_token_create
from communities.models import Role
from orders import services
from payments import services as payments_services
from orders.models import GroupBuy, GroupBuyItem, Order, Team
from payments.models import Refund, Wallet, WalletEntry
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, make_group_buy

from tests.api import ERROR_KEYS, assert_error, url
from tests.branches import make_branch

pytestmark = pytest.mark.django_db


def order_body(round_, qty=1, **extra):
    body = {"group_buy": round_.pk, "lines": [{"item": round_.items.first().pk, "quantity": qty}],
            "fulfilment": "pickup", "pickup_point": round_.pickup_points.first().pk}
    body.update(extra)
    return body


def post_order(client, round_, key="k-1", qty=1, **extra):
    return client.post(url(round_.community.slug, "orders"), order_body(round_, qty, **extra), format="json",
                       HTTP_IDEMPOTENCY_KEY=key)


def balance(membership):
    wallet = Wallet.objects.filter(community=membership.community, member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")


def close(group_buy):
    services.group_buy_close_due(now=group_buy.closes_at + timedelta(seconds=1))
    group_buy.refresh_from_db()


@pytest.fixture
def fruit(owner):
    product = ProductFactory(community=owner.community, name="Mango", unit="box", description="Sweet")
    return make_group_buy(owner, products=[product], price="25.50", offer=10, tiers=[(3, "24.00")])


# Group-buys ------------------------------------------------------------------------------------

def test_member_sees_rounds_with_items_tiers_current_price_and_pickup_points(api_as, owner, admin_member, member,
                                                                             fruit):
    paid = services.order_place(member=admin_member, group_buy=fruit, lines=[(fruit.items.get().pk, 3)],
                                idempotency_key="a", pickup_point_id=fruit.pickup_points.get().pk)[0]
    services.payments_mark_received(actor=admin_member, orders=[paid])
    client = api_as(member.user)

    listed = client.get(url(owner.community.slug, "group-buys"))
    detail = client.get(url(owner.community.slug, "group-buys", fruit.pk))

    assert listed.status_code == 200 and detail.status_code == 200, detail.content
    assert [row["id"] for row in listed.json()["results"]] == [fruit.pk]
    body = detail.json()
    assert listed.json()["results"][0] == body
    assert body["status"] == "open" and body["title"] == "Sunday fruit"
    assert body["opens_at"] and body["closes_at"]
    item = body["items"][0]
    assert (item["name"], item["unit"], item["group_price"], item["remaining"], item["per_member_limit"]) == (
        "Mango", "box", "25.50", 7, None)
    assert item["tiers"] == [{"min_quantity": 3, "price": "24.00"}]
    assert item["current_price"] == "24.00"  # three paid units reached the tier
    assert item["images"] == []
    assert body["pickup_points"] == [{"id": fruit.pickup_points.get().pk, "name": "Gate 1",
                                      "address": "Building 1, gate", "hours": ""}]


def test_progress_counts_paid_orders_toward_the_rule(api_as, owner, admin_member, member):
    group_buy = make_group_buy(owner, price="10.00", success_rule="min_buyers", success_threshold=Decimal("4"))
    point = group_buy.pickup_points.get().pk
    for who, key in ((member, "m"), (admin_member, "a")):
        order = services.order_place(member=who, group_buy=group_buy, lines=[(group_buy.items.get().pk, 2)],
                                     idempotency_key=key, pickup_point_id=point)[0]
        services.payments_mark_received(actor=admin_member, orders=[order])

    response = api_as(member.user).get(url(owner.community.slug, "group-buys", group_buy.pk, "progress"))

    assert response.status_code == 200
    assert response.json() == {"quantity": 4, "amount": "40.00", "buyers": 2, "target": "4.00", "reached": False,
                               "ratio": 0.5}


def test_rounds_of_another_branch_and_drafts_are_hidden_from_members(api_as, owner, member):
    branch = CommunityFactory(parent=owner.community, name="East")
    other_branch = CommunityFactory(parent=owner.community, name="West")
    member.branch = branch
    member.save()
    west_only = make_group_buy(owner, title="West only", branch_ids=[other_branch.pk])
    draft = make_group_buy(owner, title="Draft", publish=False)
    client = api_as(member.user)

    assert client.get(url(owner.community.slug, "group-buys")).json()["results"] == []
    for group_buy in (west_only, draft):
        assert_error(client.get(url(owner.community.slug, "group-buys", group_buy.pk)), 404)
        assert_error(post_order(client, group_buy, key=f"k{group_buy.pk}"), 404, "group_buy_not_found")
    assert not Order.objects.exists()
    east_only = make_group_buy(owner, title="East only", branch_ids=[branch.pk])
    assert [r["id"] for r in client.get(url(owner.community.slug, "group-buys")).json()["results"]] == [east_only.pk]
    assert post_order(client, east_only, key="east").status_code == 201
    # The owner sees the draft (to check it before publishing).
    assert api_as(owner.user).get(url(owner.community.slug, "group-buys", draft.pk)).json()["status"] == "draft"


# Placing orders ----------------------------------------------------------------------------------

def test_place_order_then_a_retry_gets_the_identical_answer(api_as, owner, member, fruit):
    client = api_as(member.user)

    first = post_order(client, fruit, key="tap-1", qty=2, note="  ring twice ")
    again = post_order(client, fruit, key="tap-1", qty=2, note="  ring twice ")

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert first.json() == again.json()
    body = first.json()
    point = fruit.pickup_points.get()
    assert body["group_buy"] == {"id": fruit.pk, "title": "Sunday fruit"}
    assert body["status"] == "pending_payment" and body["fulfilment"] == "pickup"
    assert body["pickup_point"] == {"id": point.pk, "name": point.name, "address": point.address}
    assert body["lines"] == [{"item": fruit.items.get().pk, "name": "Mango", "unit": "box", "unit_price": "25.50",
                              "quantity": 2, "line_total": "51.00"}]
    assert (body["total"], body["paid_amount"], body["refunded_amount"], body["currency"]) == (
        "51.00", "0.00", "0.00", "CNY")
    assert body["pickup_code"] is None and body["team"] is None and body["note"] == "ring twice"
    assert body["expires_at"] and body["created_at"]
    assert Order.objects.count() == 1 and fruit.items.get().quantity_sold == 2


def test_same_key_with_another_body_is_refused_422(api_as, member, fruit):
    client = api_as(member.user)
    assert post_order(client, fruit, key="tap-1", qty=1).status_code == 201

    assert_error(post_order(client, fruit, key="tap-1", qty=3), 422, "idempotency_key_reused")
    assert fruit.items.get().quantity_sold == 1 and Order.objects.count() == 1


@pytest.mark.parametrize("headers", [{}, {"HTTP_IDEMPOTENCY_KEY": ""}, {"HTTP_IDEMPOTENCY_KEY": "x" * 101}])
def test_an_order_needs_an_idempotency_key(api_as, member, fruit, headers):
    response = api_as(member.user).post(url(fruit.community.slug, "orders"), order_body(fruit), format="json",
                                        **headers)
    assert_error(response, 400, "idempotency_key_required")
    assert not Order.objects.exists()


def test_bad_input_gets_a_clear_4xx_never_a_500(api_as, owner, member, fruit):
    other = CommunityFactory()
    other_owner = MembershipFactory(community=other, role=Role.OWNER)
    foreign = make_group_buy(other_owner)
    client = api_as(member.user)
    item = fruit.items.get().pk
    slug = owner.community.slug
    cases = [
        ({"lines": [{"item": 999999, "quantity": 1}]}, 400, "lines"),
        ({"lines": [{"item": foreign.items.get().pk, "quantity": 1}]}, 400, "lines"),
        ({"lines": [{"item": item, "quantity": 0}]}, 400, "lines"),
        ({"lines": [{"item": item, "quantity": -2}]}, 400, "lines"),
        ({"lines": [{"item": item, "quantity": 10**12}]}, 400, "lines.0.quantity"),
        ({"lines": [{"item": item, "quantity": "abc"}]}, 400, "lines.0.quantity"),
        ({"lines": [{"item": "x", "quantity": 1}]}, 400, "lines.0.item"),
        ({"lines": [{"item": 10**30, "quantity": 1}]}, 400, "lines.0.item"),
        ({"lines": []}, 400, "lines"),
        ({"lines": "many"}, 400, "lines"),
        ({"group_buy": foreign.pk}, 404, None),
        ({"group_buy": 10**30}, 400, "group_buy"),
        ({"group_buy": None}, 400, "group_buy"),
        ({"pickup_point": foreign.pickup_points.get().pk}, 400, "pickup_point"),
        ({"pickup_point": None}, 400, "pickup_point"),
        ({"fulfilment": "teleport"}, 400, "fulfilment"),
        ({"fulfilment": "delivery", "delivery_address": "Room 1"}, 400, "fulfilment"),
        ({"note": "x" * 500}, 400, "note"),
        ({"note": "nul \x00 byte"}, 400, "note"),
    ]
    for index, (change, status, field) in enumerate(cases):
        response = post_order(client, fruit, key=f"bad-{index}", **change)
        assert_error(response, status, fields=[field] if field else ())

    raw = [
        client.generic("POST", url(slug, "orders"), "{not json", content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY="raw-1"),
        client.generic("POST", url(slug, "orders"), "[1, 2]", content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY="raw-2"),
        client.generic("POST", url(slug, "orders"), "hello", content_type="text/plain", HTTP_IDEMPOTENCY_KEY="raw-3"),
        client.post(url(slug, "orders"), {}, format="json", HTTP_IDEMPOTENCY_KEY="raw-4"),
    ]
    for response in raw:
        assert 400 <= response.status_code < 500, response.content
        assert set(response.json()) == ERROR_KEYS
    assert not Order.objects.exists()
    assert fruit.items.get().quantity_sold == 0 and foreign.items.get().quantity_sold == 0


def test_sold_out_and_member_limit_are_409(api_as, owner, member, leader):
    group_buy = make_group_buy(owner, offer=3, limit=2)
    client = api_as(member.user)
    assert post_order(client, group_buy, key="a", qty=2).status_code == 201

    assert_error(post_order(client, group_buy, key="b", qty=1), 409, "member_limit")
    assert_error(post_order(api_as(leader.user), group_buy, key="c", qty=2), 409, "sold_out")
    assert post_order(api_as(leader.user), group_buy, key="d", qty=1).status_code == 201
    assert_error(post_order(api_as(owner.user), group_buy, key="e", qty=1), 409, "sold_out")
    assert group_buy.items.get().quantity_sold == 3
    # A retry of an order that went through still answers with it after the sell-out.
    assert post_order(client, group_buy, key="a", qty=2).status_code == 200


def test_delivery_order_adds_the_fee(api_as, owner, member):
    group_buy = make_group_buy(owner, price="10.00", allows_delivery=True, delivery_fee=Decimal("5.00"))
    response = post_order(api_as(member.user), group_buy, key="d", qty=2, fulfilment="delivery", pickup_point=None,
                          delivery_address="Room 5")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == "25.00" and body["pickup_point"] is None and body["delivery_address"] == "Room 5"
    assert post_order(api_as(member.user), group_buy, key="d", qty=2, fulfilment="delivery", pickup_point=None,
                      delivery_address="Room 5").json() == body


def test_placing_an_order_takes_at_most_8_queries_with_token_auth(owner, member, fruit):
    _token, key = api_token_create(user=member.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    body = order_body(fruit)

    with CaptureQueriesContext(connection) as queries:
        response = client.post(url(fruit.community.slug, "orders"), body, format="json", HTTP_IDEMPOTENCY_KEY="fast-1")

    assert response.status_code == 201, response.content
    # Savepoints exist only because the test runs inside a transaction; production has none.
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 8, "\n".join(statements)
    assert response.json()["lines"][0]["quantity"] == 1


# My orders -------------------------------------------------------------------------------------

def test_my_orders_list_and_detail_show_only_mine(api_as, owner, member, leader, fruit):
    mine = post_order(api_as(member.user), fruit, key="m1").json()
    post_order(api_as(member.user), fruit, key="m2", qty=2)
    theirs = post_order(api_as(leader.user), fruit, key="l1").json()
    client = api_as(member.user)

    listed = client.get(url(owner.community.slug, "orders"))
    detail = client.get(url(owner.community.slug, "orders", mine["id"]))

    assert listed.status_code == 200
    assert listed.json()["count"] == 2 and theirs["id"] not in [o["id"] for o in listed.json()["results"]]
    assert listed.json()["results"][1] == mine  # newest first
    assert detail.status_code == 200
    assert {k: v for k, v in detail.json().items() if k in mine} == mine
    assert detail.json()["payments"] == [] and detail.json()["refunds"] == []
    assert_error(client.get(url(owner.community.slug, "orders", theirs["id"])), 404, "order_not_found")
    filtered = client.get(url(owner.community.slug, "orders"), {"status": "paid"})
    assert filtered.json()["count"] == 0
    assert_error(client.get(url(owner.community.slug, "orders"), {"status": "lost"}), 400, fields=["status"])


def test_pay_with_wallet_shows_pickup_code_and_wallet_ledger(api_as, owner, admin_member, member, fruit):
    payments_services.wallet_top_up(actor=admin_member, member_user=member.user, amount=Decimal("60.00"))
    client = api_as(member.user)
    first = post_order(client, fruit, key="w1", qty=2).json()
    second = post_order(client, fruit, key="w2", qty=1).json()

    paid = client.post(url(owner.community.slug, "orders", first["id"], "pay"), {"method": "wallet"}, format="json")
    short = client.post(url(owner.community.slug, "orders", second["id"], "pay"), {"method": "wallet"}, format="json")
    twice = client.post(url(owner.community.slug, "orders", first["id"], "pay"), {"method": "wallet"}, format="json")

    assert paid.status_code == 200, paid.content
    body = paid.json()
    assert body["status"] == "paid" and body["paid_amount"] == "51.00"
    assert body["pickup_code"] == Order.objects.get(pk=first["id"]).pickup_code
    assert body["payments"][0]["method"] == "wallet" and body["payments"][0]["status"] == "succeeded"
    assert_error(short, 409, "insufficient_balance")
    assert_error(twice, 409, "not_payable")
    assert_error(client.post(url(owner.community.slug, "orders", first["id"], "pay"), {"method": "card"},
                             format="json"), 400, fields=["method"])

    wallet = client.get(url(owner.community.slug, "wallet"))
    entries = client.get(url(owner.community.slug, "wallet", "entries"))
    assert wallet.json() == {"balance": "9.00", "currency": "CNY"}
    assert [(e["kind"], e["amount"], e["balance_after"], e["order"]) for e in entries.json()["results"]] == [
        ("payment", "-51.00", "9.00", first["id"]), ("top_up", "60.00", "60.00", None)]


def test_wallet_of_a_member_without_one_is_empty(api_as, owner, member):
    client = api_as(member.user)
    assert client.get(url(owner.community.slug, "wallet")).json() == {"balance": "0.00", "currency": "CNY"}
    assert client.get(url(owner.community.slug, "wallet", "entries")).json()["results"] == []


def test_report_a_transfer_then_an_admin_marks_it_paid(api_as, owner, admin_member, member, fruit):
    client = api_as(member.user)
    order = post_order(client, fruit, key="t1").json()

    reported = client.post(url(owner.community.slug, "orders", order["id"], "pay"),
                           {"method": "manual", "reference": "wx 8821"}, format="json")

    assert reported.status_code == 200, reported.content
    assert reported.json()["status"] == "pending_payment"
    assert reported.json()["payments"][0] | {"created_at": None} == {
        "method": "manual", "status": "pending", "amount": "25.50", "reference": "wx 8821", "created_at": None,
        "confirmed_at": None}
    marked = api_as(admin_member.user).post(url(owner.community.slug, "admin", "orders", "mark-paid"),
                                            {"orders": [order["id"]]}, format="json")
    again = api_as(admin_member.user).post(url(owner.community.slug, "admin", "orders", "mark-paid"),
                                           {"orders": [order["id"]]}, format="json")
    assert marked.json() == {"marked": [order["id"]], "skipped": []}
    assert again.json() == {"marked": [], "skipped": [order["id"]]}
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_member_cancels_a_paid_order_and_gets_the_money_back(api_as, owner, admin_member, member, fruit):
    payments_services.wallet_top_up(actor=admin_member, member_user=member.user, amount=Decimal("25.50"))
    client = api_as(member.user)
    order = post_order(client, fruit, key="c1").json()
    client.post(url(owner.community.slug, "orders", order["id"], "pay"), {"method": "wallet"}, format="json")

    cancelled = client.post(url(owner.community.slug, "orders", order["id"], "cancel"))
    again = client.post(url(owner.community.slug, "orders", order["id"], "cancel"))

    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "refunded" and cancelled.json()["refunded_amount"] == "25.50"
    assert cancelled.json()["refunds"][0]["amount"] == "25.50"
    assert_error(again, 409, "not_cancellable")
    assert balance(member) == Decimal("25.50") and fruit.items.get().quantity_sold == 0


# Teams -----------------------------------------------------------------------------------------

def test_open_a_team_share_it_and_others_join_until_full(api_as, owner, admin_member, member, leader):
    group_buy = make_group_buy(owner, price="10.00", mode="team", team_size=2)
    slug = owner.community.slug
    body = {"lines": [{"item": group_buy.items.get().pk, "quantity": 1}],
            "pickup_point": group_buy.pickup_points.get().pk}

    opened = api_as(member.user).post(url(slug, "group-buys", group_buy.pk, "teams"), body, format="json",
                                      HTTP_IDEMPOTENCY_KEY="open-1")
    replay = api_as(member.user).post(url(slug, "group-buys", group_buy.pk, "teams"), body, format="json",
                                      HTTP_IDEMPOTENCY_KEY="open-1")
    assert opened.status_code == 201, opened.content
    assert replay.status_code == 200 and replay.json() == opened.json()
    code = opened.json()["team"]["code"]
    assert opened.json()["team"] == {"code": code, "status": "forming", "size": 2, "paid_count": 0}

    joined = api_as(leader.user).post(url(slug, "teams", code, "join"), body, format="json",
                                      HTTP_IDEMPOTENCY_KEY="join-1")
    # Seats go to those who pay: once both have paid, the team is full.
    services.payments_mark_received(actor=admin_member, orders=list(Order.objects.filter(team__code=code)))
    full = api_as(admin_member.user).post(url(slug, "teams", code, "join"), body, format="json",
                                          HTTP_IDEMPOTENCY_KEY="join-2")
    assert joined.status_code == 201 and joined.json()["team"]["code"] == code
    assert_error(full, 409, "team_full")
    assert_error(api_as(leader.user).post(url(slug, "teams", "nosuchteam", "join"), body, format="json",
                                          HTTP_IDEMPOTENCY_KEY="join-3"), 404, "team_not_found")
    assert_error(api_as(member.user).post(url(slug, "orders"), {"group_buy": group_buy.pk, **body}, format="json",
                                          HTTP_IDEMPOTENCY_KEY="plain"), 400, "team_required")

    team = api_as(admin_member.user).get(url(slug, "teams", code))
    assert team.status_code == 200
    assert team.json()["member_count"] == 2 and team.json()["leader"]["id"] == member.user.pk
    assert [m["display_name"] for m in team.json()["members"]] == [member.user.display_name,
                                                                   leader.user.display_name]
    assert team.json()["share_url"].endswith(f"/c/{slug}/teams/{code}/")
    assert Team.objects.get(code=code).member_count == 2


# Console actions -------------------------------------------------------------------------------

def test_console_actions_are_refused_to_members(api_as, owner, member, fruit):
    client = api_as(member.user)
    order = post_order(client, fruit, key="x").json()
    slug = owner.community.slug
    calls = [
        (url(slug, "admin", "orders", "mark-paid"), {"orders": [order["id"]]}),
        (url(slug, "admin", "orders", order["id"], "refund"), {}),
        (url(slug, "admin", "group-buys", fruit.pk, "arrived"), {}),
        (url(slug, "admin", "pickup"), {"code": "123456"}),
        (url(slug, "admin", "wallets", "top-up"), {"member": member.user.pk, "amount": "100.00"}),
    ]
    for path, body in calls:
        assert_error(client.post(path, body, format="json"), 403, "forbidden")
    assert_error(client.get(url(slug, "admin", "pickup"), {"code": "123456"}), 403)
    assert Order.objects.get(pk=order["id"]).status == "pending_payment"
    assert not WalletEntry.objects.exists()


def test_arrival_pickup_by_code_and_refund(api_as, owner, admin_member, leader, member, fruit):
    slug = owner.community.slug
    make_branch(owner, "East", leader=leader, members=[member], points=[fruit.pickup_points.get()])
    payments_services.wallet_top_up(actor=admin_member, member_user=member.user, amount=Decimal("100"))
    order = post_order(api_as(member.user), fruit, key="p1").json()
    api_as(member.user).post(url(slug, "orders", order["id"], "pay"), {"method": "wallet"}, format="json")
    close(fruit)
    assert fruit.status == GroupBuy.Status.SUCCEEDED
    leader_client = api_as(leader.user)

    arrived = leader_client.post(url(slug, "admin", "group-buys", fruit.pk, "arrived"), {"pickup_point": None},
                                 format="json")
    assert arrived.status_code == 200 and arrived.json() == {"ready": 1}
    code = Order.objects.get(pk=order["id"]).pickup_code
    wrong = "000000" if code != "000000" else "111111"
    assert_error(leader_client.post(url(slug, "admin", "pickup"), {"code": wrong}, format="json"), 404,
                 "pickup_not_found")
    assert_error(leader_client.post(url(slug, "admin", "pickup"), {"code": "12"}, format="json"), 400,
                 fields=["code"])
    found = leader_client.get(url(slug, "admin", "pickup"), {"code": code})
    assert [o["id"] for o in found.json()["results"]] == [order["id"]]
    assert found.json()["results"][0]["member"]["display_name"] == member.user.display_name

    handed = leader_client.post(url(slug, "admin", "pickup"), {"code": code}, format="json")
    assert handed.status_code == 200, handed.content
    assert handed.json()["status"] == "completed" and handed.json()["id"] == order["id"]
    # A second scan of the same code: told it was picked up already, and by whom.
    again = leader_client.post(url(slug, "admin", "pickup"), {"code": code}, format="json")
    assert_error(again, 409, "already_picked_up")
    assert leader.user.display_name in again.json()["message"]

    assert_error(leader_client.post(url(slug, "admin", "orders", order["id"], "refund"), {}, format="json"), 403)
    refunded = api_as(admin_member.user).post(url(slug, "admin", "orders", order["id"], "refund"),
                                              {"reason": "bad fruit"}, format="json")
    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["status"] == "refunded" and refunded.json()["refunded_amount"] == "25.50"
    assert_error(api_as(admin_member.user).post(url(slug, "admin", "orders", order["id"], "refund"), {},
                                                format="json"), 409, "not_refundable")
    assert balance(member) == Decimal("100.00") and Refund.objects.filter(charge__order__id=order["id"]).count() == 1


def test_pickup_code_shared_by_two_orders_asks_which_one(api_as, owner, admin_member, member, leader, fruit):
    slug = owner.community.slug
    ids = []
    for who, key in ((member, "s1"), (leader, "s2")):
        ids.append(post_order(api_as(who.user), fruit, key=key).json()["id"])
    services.payments_mark_received(actor=admin_member, orders=list(Order.objects.filter(pk__in=ids)))
    close(fruit)
    services.group_buy_mark_arrived(actor=owner, group_buy=fruit)
    Order.objects.filter(pk__in=ids).update(pickup_code="424242")
    client = api_as(admin_member.user)

    assert_error(client.post(url(slug, "admin", "pickup"), {"code": "424242"}, format="json"), 409,
                 "several_orders", fields=["order"])
    handed = client.post(url(slug, "admin", "pickup"), {"code": "424 242", "order": ids[1]}, format="json")
    assert handed.status_code == 200, handed.content
    assert dict(Order.objects.filter(pk__in=ids).values_list("pk", "status")) == {ids[0]: "ready",
                                                                                  ids[1]: "completed"}


def test_arrival_needs_a_succeeded_round_and_a_known_point(api_as, owner, fruit):
    client = api_as(owner.user)
    slug = owner.community.slug
    assert_error(client.post(url(slug, "admin", "group-buys", fruit.pk, "arrived"), {}, format="json"), 409,
                 "not_succeeded")
    assert_error(client.post(url(slug, "admin", "group-buys", fruit.pk, "arrived"), {"pickup_point": 999999},
                             format="json"), 404, "pickup_point_not_found")


def test_top_up_with_a_key_records_once(api_as, owner, admin_member, member, outsider):
    client = api_as(admin_member.user)
    path = url(owner.community.slug, "admin", "wallets", "top-up")
    body = {"member": member.user.pk, "amount": "10.50", "note": "cash at gate"}

    first = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="slip-7")
    again = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="slip-7")
    other = client.post(path, {"member": member.user.pk, "amount": "1"}, format="json")

    assert first.status_code == 201, first.content
    assert first.json() == again.json()
    assert (first.json()["member"], first.json()["kind"], first.json()["amount"], first.json()["balance_after"],
            first.json()["note"]) == (member.user.pk, "top_up", "10.50", "10.50", "cash at gate")
    assert other.status_code == 201 and other.json()["balance_after"] == "11.50"
    assert balance(member) == Decimal("11.50")
    assert_error(client.post(path, {"member": outsider.pk, "amount": "5"}, format="json"), 404, "member_not_found")
    for amount in ("-5", "0", "abc", "1.234"):
        assert_error(client.post(path, {"member": member.user.pk, "amount": amount}, format="json"), 400,
                     fields=["amount"])
    assert balance(member) == Decimal("11.50")


def test_mark_paid_refuses_unknown_orders(api_as, owner, admin_member, member, fruit):
    order = post_order(api_as(member.user), fruit, key="u").json()
    response = api_as(admin_member.user).post(url(owner.community.slug, "admin", "orders", "mark-paid"),
                                              {"orders": [order["id"], 999999]}, format="json")
    assert_error(response, 404, "order_not_found", fields=["orders"])
    assert_error(api_as(admin_member.user).post(url(owner.community.slug, "admin", "orders", "mark-paid"),
                                                {"orders": []}, format="json"), 400, fields=["orders"])
    assert Order.objects.get(pk=order["id"]).status == "pending_payment"


# Tenancy ---------------------------------------------------------------------------------------

def _other_community_with_everything():
    """Community B: an open round with a forming team, a paid order, a ready order, a member with a wallet."""
    community = CommunityFactory(name="B")
    owner = MembershipFactory(community=community, role=Role.OWNER)
    owner = type(owner).objects.select_related("community", "user").get(pk=owner.pk)
    buyer = MembershipFactory(community=community, role=Role.MEMBER)
    buyer = type(buyer).objects.select_related("community", "user").get(pk=buyer.pk)
    payments_services.wallet_top_up(actor=owner, member_user=buyer.user, amount=Decimal("100"))
    settled = make_group_buy(owner, title="Settled", price="10.00")
    point = settled.pickup_points.get()
    ready = services.order_place(member=buyer, group_buy=settled, lines=[(settled.items.get().pk, 1)],
                                 idempotency_key="b-ready", pickup_point_id=point.pk)[0]
    services.order_pay_with_wallet(member=buyer, order=ready)
    close(settled)
    services.group_buy_mark_arrived(actor=owner, group_buy=settled)
    team_round = make_group_buy(owner, title="Team", price="10.00", mode="team", team_size=3, point=point)
    teamed = services.order_place(member=buyer, group_buy=team_round, lines=[(team_round.items.get().pk, 1)],
                                  idempotency_key="b-team", pickup_point_id=point.pk, open_team=True)[0]
    open_round = make_group_buy(owner, title="Open", price="10.00", point=point)
    pending = services.order_place(member=buyer, group_buy=open_round, lines=[(open_round.items.get().pk, 1)],
                                   idempotency_key="b-pending", pickup_point_id=point.pk)[0]
    return {"community": community, "buyer": buyer, "point": point, "ready": Order.objects.get(pk=ready.pk),
            "team": teamed.team, "team_round": team_round, "open": open_round, "pending": pending,
            "settled": settled}


def _snapshot(community):
    return {
        "orders": sorted(Order.objects.filter(community=community).values_list("pk", "status", "charge__paid_amount",
                                                                                "charge__refunded_amount")),
        "items": sorted(GroupBuyItem.objects.filter(community=community).values_list("pk", "quantity_sold")),
        "rounds": sorted(GroupBuy.objects.filter(community=community).values_list("pk", "status", "arrived_at")),
        "wallets": sorted(Wallet.objects.filter(community=community).values_list("pk", "balance")),
        "entries": WalletEntry.objects.filter(community=community).count(),
        "teams": sorted(Team.objects.filter(community=community).values_list("pk", "member_count", "status")),
        "refunds": Refund.objects.filter(community=community).count(),
    }


def test_owner_of_a_cannot_read_or_change_anything_of_b(api_as, owner, fruit):
    b = _other_community_with_everything()
    before = _snapshot(b["community"])
    client = api_as(owner.user)
    a_slug, b_slug = owner.community.slug, b["community"].slug
    order_input = {"lines": [{"item": b["open"].items.get().pk, "quantity": 1}], "pickup_point": b["point"].pk}
    key = {"HTTP_IDEMPOTENCY_KEY": "cross"}

    def calls(slug):
        return [
            ("get", url(slug, "group-buys"), None),
            ("get", url(slug, "group-buys", b["open"].pk), None),
            ("get", url(slug, "group-buys", b["open"].pk, "progress"), None),
            ("post", url(slug, "group-buys", b["team_round"].pk, "teams"), order_input),
            ("get", url(slug, "teams", b["team"].code), None),
            ("post", url(slug, "teams", b["team"].code, "join"), order_input),
            ("get", url(slug, "orders"), None),
            ("post", url(slug, "orders"), {"group_buy": b["open"].pk, **order_input}),
            ("get", url(slug, "orders", b["pending"].pk), None),
            ("post", url(slug, "orders", b["pending"].pk, "cancel"), {}),
            ("post", url(slug, "orders", b["pending"].pk, "pay"), {"method": "wallet"}),
            ("get", url(slug, "wallet"), None),
            ("get", url(slug, "wallet", "entries"), None),
            ("post", url(slug, "admin", "orders", "mark-paid"), {"orders": [b["pending"].pk]}),
            ("post", url(slug, "admin", "orders", b["ready"].pk, "refund"), {}),
            ("post", url(slug, "admin", "group-buys", b["settled"].pk, "arrived"), {}),
            ("get", url(slug, "admin", "pickup"), {"code": b["ready"].pickup_code}),
            ("post", url(slug, "admin", "pickup"), {"code": b["ready"].pickup_code, "order": b["ready"].pk}),
            ("post", url(slug, "admin", "wallets", "top-up"), {"member": b["buyer"].user.pk, "amount": "50"}),
        ]

    for method, path, body in calls(b_slug):
        response = client.get(path, body) if method == "get" else client.post(path, body, format="json", **key)
        assert_error(response, 404, "community_not_found")
    for method, path, body in calls(a_slug):
        if method == "get" and path in (url(a_slug, "group-buys"), url(a_slug, "orders"), url(a_slug, "wallet"),
                                        url(a_slug, "wallet", "entries")):
            response = client.get(path, body)  # A's own lists and searches: nothing of B's in them
            assert response.status_code == 200
            ids = {row["id"] for row in response.json().get("results", [])}
            # Each list against the rows of its own kind in B (ids of different tables may coincide).
            model = {url(a_slug, "group-buys"): GroupBuy,
                     url(a_slug, "wallet", "entries"): WalletEntry}.get(path, Order)
            assert not ids & set(model.objects.filter(community=b["community"]).values_list("pk", flat=True))
            continue
        response = client.get(path, body) if method == "get" else client.post(path, body, format="json", **key)
        if path == url(a_slug, "admin", "pickup"):  # B's pickup code at A's desk: a wrong code
            assert_error(response, 404, "pickup_not_found")
        assert response.status_code in (403, 404), (path, response.status_code, response.content)
        assert set(response.json()) == ERROR_KEYS
    assert _snapshot(b["community"]) == before
    assert not Order.objects.filter(member=owner.user).exists()


def test_strangers_and_anonymous_callers_are_refused(api, api_as, outsider, owner, fruit):
    slug = owner.community.slug
    assert api.get(url(slug, "group-buys")).status_code in (401, 403)
    assert_error(api_as(outsider).get(url(slug, "group-buys")), 404, "community_not_found")
    assert_error(post_order(api_as(outsider), fruit, key="s"), 404, "community_not_found")
    assert not Order.objects.exists()


def test_schema_documents_the_orders_api(api_as, member):
    response = api_as(member.user).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    for path in ("/api/v1/communities/{slug}/orders/", "/api/v1/communities/{slug}/group-buys/{id}/progress/",
                 "/api/v1/communities/{slug}/teams/{code}/join/", "/api/v1/communities/{slug}/admin/pickup/",
                 "/api/v1/communities/{slug}/wallet/entries/"):
        assert path in (paths or text)
    assert "Idempotency-Key" in text
