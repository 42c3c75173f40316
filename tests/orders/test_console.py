"""The selling console: rounds, sheets, orders and payments, the pickup desk, wallets, commissions."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from communities import services as community_services
from core.models import AuditLog
from orders import coupons, services
from orders.models import Commission, Coupon, GroupBuy, Order, PickupPoint, PriceTier
from payments.models import Payment, Wallet, WalletEntry
from tests.branches import make_branch
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db



def url(name, community, *args):
    return reverse(f"orders_console:{name}", args=[community.slug, *args])


def text(response):
    return response.content.decode()


def pay(admin, *orders):
    services.payments_mark_received(actor=admin, orders=list(orders))


def close(group_buy):
    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
        services.group_buy_close_due()
    group_buy.refresh_from_db()


def two_point_round(owner, **kwargs):
    community = owner.community
    east = services.pickup_point_save(actor=owner, name="East gate", address="East road 1")
    west = services.pickup_point_save(actor=owner, name="West gate", address="West road 9")
    product = kwargs.pop("product", None) or ProductFactory(community=community, name="苹果", unit="斤")
    group_buy = services.group_buy_create(
        actor=owner, title="Apples", opens_at=timezone.now() - timedelta(minutes=1),
        closes_at=timezone.now() + timedelta(days=1), pickup_point_ids=[east.pk, west.pk],
        items=[services.ItemSpec(product_id=product.pk, group_price=Decimal("12.50"), quantity_on_offer=100)],
        **kwargs)
    return group_buy, east, west


# Creating a round ------------------------------------------------------------------------------

def round_form(point, rows, **overrides):
    data = {
        "title": "周日水果团", "description": "Fresh from the farm", "mode": "normal", "team_size": "",
        "team_window_hours": "24", "opens_at": "2030-05-01T09:00", "closes_at": "2030-05-03T20:00",
        "expected_pickup_at": "2030-05-04T16:30", "pickup_points": [point.pk], "delivery_fee": "0",
        "success_rule": "min_quantity", "success_threshold": "20", "commission_rate": "5", "publish": "on",
        "items-TOTAL_FORMS": "5", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
    }
    for index, row in rows.items():
        for key, value in row.items():
            data[f"items-{index}-{key}"] = value
    data.update(overrides)
    return data


def row_errors(html, index):
    match = re.search(rf'<tr class="row-errors" data-row-errors="{index}">(.*?)</tr>', html, re.S)
    return match.group(1) if match else ""


def test_creating_a_round_through_the_form_with_tiers_and_local_times(owner, login):
    community = owner.community
    point = services.pickup_point_save(actor=owner, name="Gate 1", address="Building 1")
    apples = ProductFactory(community=community, name="苹果", stock=500)
    pears = ProductFactory(community=community, name="Pears")
    client = login(owner)
    assert client.get(url("group_buy_new", community)).status_code == 200

    response = client.post(url("group_buy_new", community), round_form(point, {
        0: {"product": apples.pk, "group_price": "19.90", "quantity_on_offer": "200", "tier_quantity_0": "10", "tier_price_0": "18.00",
            "tier_quantity_1": "20", "tier_price_1": "16.50"},
        2: {"product": pears.pk, "group_price": "8", "quantity_on_offer": "50", "per_member_limit": "2"},
    }))

    group_buy = GroupBuy.objects.get(community=community)
    assert response.status_code == 302 and response["Location"] == url("group_buy", community, group_buy.pk)
    # Asia/Shanghai is UTC+8: the times typed are the community's local times.
    assert group_buy.opens_at == datetime(2030, 5, 1, 1, 0, tzinfo=UTC)
    assert group_buy.closes_at == datetime(2030, 5, 3, 12, 0, tzinfo=UTC)
    assert group_buy.expected_pickup_at == datetime(2030, 5, 4, 8, 30, tzinfo=UTC)
    assert group_buy.status == GroupBuy.Status.SCHEDULED
    assert group_buy.commission_rate == Decimal("0.0500") and group_buy.success_threshold == Decimal("20")
    assert list(group_buy.pickup_points.all()) == [point]
    first, second = group_buy.items.order_by("position")
    assert (first.product, first.group_price, first.quantity_on_offer) == (apples, Decimal("19.90"), 200)
    assert list(PriceTier.objects.filter(item=first).values_list("min_quantity", "price")) == [
        (10, Decimal("18.00")), (20, Decimal("16.50"))]
    assert (second.product, second.per_member_limit, second.tiers.count()) == (pears, 2, 0)
    apples.refresh_from_db()
    assert apples.stock == 300  # publishing reserved the quantity on offer

    detail = client.get(response["Location"])
    assert detail.status_code == 200 and "2030-05-01 09:00" in text(detail)  # shown in local time too


def test_a_bad_row_shows_its_error_next_to_it_and_nothing_is_saved(owner, login):
    community = owner.community
    point = services.pickup_point_save(actor=owner, name="Gate 1", address="Building 1")
    apples = ProductFactory(community=community, name="Apples")
    client = login(owner)
    good = {"product": apples.pk, "group_price": "10", "quantity_on_offer": "5"}

    # The service refuses the third row (the second filled one): its error sits under row 2.
    duplicate = client.post(url("group_buy_new", community), round_form(point, {0: good, 2: good}))
    # A tier dearer than the group price: the service's message lands on row 1.
    dearer = client.post(url("group_buy_new", community), round_form(point, {
        1: {**good, "tier_quantity_0": "10", "tier_price_0": "12.00"}}))
    # Tiers that cannot be read are refused by the form, on that row's tier cell.
    unreadable = client.post(url("group_buy_new", community), round_form(point, {
        0: {**good, "tier_quantity_0": "ten", "tier_price_0": "5"}}))
    # No row at all.
    empty = client.post(url("group_buy_new", community), round_form(point, {}))

    assert duplicate.status_code == 400
    assert "Each product only once." in row_errors(text(duplicate), 2)
    assert row_errors(text(duplicate), 0) == ""
    assert "lower price than the one before" in row_errors(text(dearer), 1)
    assert "Each price tier needs a quantity" in row_errors(text(unreadable), 0)
    assert "Add at least one product." in text(empty)
    assert not GroupBuy.objects.exists()


def test_form_errors_of_the_round_itself_go_to_their_fields(owner, login):
    community = owner.community
    point = services.pickup_point_save(actor=owner, name="Gate 1", address="Building 1")
    product = ProductFactory(community=community)
    client = login(owner)
    row = {0: {"product": product.pk, "group_price": "10", "quantity_on_offer": "5"}}

    response = client.post(url("group_buy_new", community), round_form(
        point, row, closes_at="2030-04-01T09:00", mode="team", team_size=""))

    html = text(response)
    assert response.status_code == 400 and "The closing time must be after the opening time." in html
    assert "A team needs 2 to 100 members." in html
    assert not GroupBuy.objects.exists()


def test_publish_and_cancel_a_round_from_its_page(owner, admin_member, member, login, place):
    community = owner.community
    draft = make_group_buy(owner, publish=False, title="Draft round")
    client = login(owner)

    assert client.post(url("group_buy_publish", community, draft.pk)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == GroupBuy.Status.OPEN
    order = place(member, draft)
    pay(admin_member, order)
    response = client.post(url("group_buy_cancel", community, draft.pk), {"reason": "Supplier let us down"},
                           follow=True)
    draft.refresh_from_db()
    order.refresh_from_db()
    assert draft.status == GroupBuy.Status.CANCELLED and order.status == Order.Status.REFUNDED
    assert "was cancelled" in text(response)
    again = client.post(url("group_buy_cancel", community, draft.pk), follow=True)
    assert again.status_code == 200 and "can be cancelled" in text(again)  # a message, not a 500


def test_group_buy_list_shows_rounds_with_progress(owner, admin_member, member, login, place):
    community = owner.community
    group_buy = make_group_buy(owner, title="Mango Monday", success_rule="min_quantity",
                               success_threshold=Decimal("10"))
    pay(admin_member, place(member, group_buy, qty=4))
    response = login(owner).get(url("group_buys", community))
    html = text(response)
    assert response.status_code == 200 and "Mango Monday" in html
    assert "4 of 10 units" in html and 'aria-valuenow="40"' in html


# Orders and payments ---------------------------------------------------------------------------

def test_orders_list_bulk_and_single_mark_paid(owner, admin_member, member, leader, login, place):
    community = owner.community
    group_buy = make_group_buy(owner)
    first, second, third = place(member, group_buy), place(leader, group_buy), place(member, group_buy)
    services.order_report_transfer(member=member, order=first, reference="wx 8821")
    client = login(admin_member)

    listing = client.get(url("orders", community))
    assert listing.status_code == 200 and "wx 8821" in text(listing)  # the member's reported reference
    back = url("orders", community) + "?status=pending_payment"
    response = client.post(url("orders_mark_paid", community), {"order": [first.pk, second.pk], "next": back})
    assert response.status_code == 302 and response["Location"].endswith("?status=pending_payment")
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "paid", second.pk: "paid", third.pk: "pending_payment"}
    assert Payment.objects.get(charge__order=first, status="succeeded").reference == "wx 8821"

    client.post(url("orders_mark_paid", community), {"only": third.pk, "order": [first.pk]})
    third.refresh_from_db()
    assert third.status == Order.Status.PAID
    assert Payment.objects.filter(charge__order=first, status="succeeded").count() == 1  # not twice

    assert login(leader).get(url("orders", community)).status_code == 403  # admins only
    assert login(leader).post(url("orders_mark_paid", community), {"order": [first.pk]}).status_code == 403


def test_orders_list_filters(owner, admin_member, member, leader, login, place, top_up):
    community = owner.community
    apples, pears = make_group_buy(owner, title="Apples"), make_group_buy(owner, title="Pears")
    top_up(admin_member, member, "100")
    by_wallet = place(member, apples)
    services.order_pay_with_wallet(member=member, order=by_wallet)
    reported = place(leader, pears)
    services.order_report_transfer(member=leader, order=reported, reference="alipay 77")
    client = login(owner)

    def ids(**params):
        response = client.get(url("orders", community), params)
        return {int(pk) for pk in re.findall(r'data-order="(\d+)"', text(response))}

    assert ids() == {by_wallet.pk, reported.pk}
    assert ids(group_buy=apples.pk) == {by_wallet.pk}
    assert ids(status="pending_payment") == {reported.pk}
    assert ids(method="wallet") == {by_wallet.pk}
    assert ids(method="reported") == {reported.pk}
    assert ids(q=leader.user.display_name) == {reported.pk}
    assert ids(q=member.user.phone) == {by_wallet.pk}


def test_orders_list_query_count_does_not_grow_with_rows(owner, admin_member, member, leader, login, place,
                                                        django_assert_max_num_queries):
    community = owner.community
    group_buy = make_group_buy(owner, products=[ProductFactory(community=community) for _ in range(2)])
    items = list(group_buy.items.all())
    client = login(admin_member)

    def add_orders(n):
        for i in range(n):
            order = place(member if i % 2 else leader, group_buy, item=items[i % 2])
            if i % 3 == 0:
                services.order_report_transfer(member=member if i % 2 else leader, order=order, reference=f"r{i}")
            elif i % 3 == 1:
                pay(admin_member, order)

    add_orders(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("orders", community)).status_code == 200
    assert len(few) <= 15  # with the pickup points of the filter
    add_orders(40)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url("orders", community))
    assert response.content.decode().count("data-order=") == 43


# Fulfilment --------------------------------------------------------------------------------------

def test_mark_goods_arrived_per_pickup_point_and_everywhere(owner, admin_member, member, leader, login, place):
    community = owner.community
    group_buy, east, west = two_point_round(owner)
    make_branch(owner, "Estate", leader=leader, points=[east, west])
    at_east = place(member, group_buy, pickup_point_id=east.pk)
    at_west = place(leader, group_buy, pickup_point_id=west.pk)
    pay(admin_member, at_east, at_west)
    client = login(leader)  # leaders manage their branch's pickup points and the arrival there
    early = client.post(url("group_buy_arrived", community, group_buy.pk), follow=True)
    assert early.status_code == 200 and "only for a group-buy that succeeded" in text(early)
    close(group_buy)
    assert group_buy.status == GroupBuy.Status.SUCCEEDED

    client.post(url("group_buy_arrived", community, group_buy.pk), {"pickup_point": east.pk})
    at_east.refresh_from_db()
    at_west.refresh_from_db()
    assert (at_east.status, at_west.status) == ("ready", "confirmed")
    response = client.post(url("group_buy_arrived", community, group_buy.pk), {"pickup_point": ""}, follow=True)
    at_west.refresh_from_db()
    assert at_west.status == "ready" and "1 order is ready for pickup" in text(response)


def test_pickup_desk_hands_over_by_code_and_refuses_a_wrong_one(owner, admin_member, member, leader, login,
                                                               place):
    community = owner.community
    group_buy = make_group_buy(owner)
    make_branch(owner, "East", leader=leader, members=[member], points=[group_buy.pickup_points.get()])
    order = place(member, group_buy, qty=2)
    pay(admin_member, order)
    close(group_buy)
    services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    order.refresh_from_db()
    code = order.pickup_code
    wrong = "000000" if code != "000000" else "111111"
    client = login(leader)

    found = client.get(url("pickup", community), {"code": code})
    assert found.status_code == 200 and member.user.display_name in text(found)
    assert f'data-order="{order.pk}"' in text(found) and "Hand over" in text(found)
    assert 'inputmode="numeric"' in text(found) and "autofocus" in text(found)
    nothing = client.get(url("pickup", community), {"code": wrong})
    assert "No order ready for pickup has this code" in text(nothing)
    assert f'data-order="{order.pk}"' not in text(nothing)
    short = client.get(url("pickup", community), {"code": "12"})
    assert "6 digits" in text(short)

    refused = client.post(url("pickup_complete", community, order.pk), {"code": wrong}, follow=True)
    order.refresh_from_db()
    assert order.status == Order.Status.READY and "does not match" in text(refused)
    no_code = client.post(url("pickup_complete", community, order.pk), {})
    order.refresh_from_db()
    assert no_code.status_code == 302 and order.status == Order.Status.READY  # a pickup always needs the code

    done = client.post(url("pickup_complete", community, order.pk), {"code": code}, follow=True)
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and "Handed over" in text(done)
    assert login(member).get(url("pickup", community)).status_code == 403


def test_delivery_is_shipped_from_the_round_and_confirmed_at_the_desk(owner, admin_member, member, login, place):
    community = owner.community
    group_buy = make_group_buy(owner, allows_delivery=True, delivery_fee=Decimal("5"))
    order = place(member, group_buy, fulfilment="delivery", delivery_address="Room 301, Building 4")
    pay(admin_member, order)
    close(group_buy)
    client = login(admin_member)

    client.post(url("order_ship", community, order.pk), {"tracking": "SF123"})
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    desk = client.get(url("pickup", community))
    assert "Room 301, Building 4" in text(desk)
    client.post(url("pickup_complete", community, order.pk))
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED


def test_refund_from_the_round_page(owner, admin_member, member, leader, login, place, top_up):
    community = owner.community
    group_buy = make_group_buy(owner, price="10.00")
    top_up(admin_member, member, "10")
    order = place(member, group_buy)
    services.order_pay_with_wallet(member=member, order=order)

    assert login(leader).post(url("order_refund", community, order.pk)).status_code == 403
    login(admin_member).post(url("order_refund", community, order.pk), {"reason": "bruised"})
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert Wallet.objects.get(community=community, member=member.user).balance == Decimal("10.00")
    twice = login(admin_member).post(url("order_refund", community, order.pk), follow=True)
    assert twice.status_code == 200 and "Only paid orders can be refunded." in text(twice)


# Sheets ------------------------------------------------------------------------------------------

def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese right
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_purchase_sheet_page_and_csv(owner, admin_member, member, leader, login, place):
    community = owner.community
    from catalog.services import supplier_create

    farm = supplier_create(actor=owner, name="绿野农场", phone="021-555")
    apples = ProductFactory(community=community, name="苹果", unit="斤", supplier=farm)
    eggs = ProductFactory(community=community, name="Eggs", unit="box")
    group_buy = make_group_buy(owner, products=[apples, eggs], price="10.00")
    apple_item, egg_item = group_buy.items.order_by("position")
    pay(admin_member, place(member, group_buy, qty=3, item=apple_item), place(leader, group_buy, qty=2,
                                                                                item=apple_item))
    place(member, group_buy, qty=7, item=egg_item)  # unpaid: not on the sheet
    client = login(owner)

    page = client.get(url("purchase_sheet", community, group_buy.pk))
    assert page.status_code == 200 and "绿野农场" in text(page) and "window.print()" in text(page)
    response = client.get(url("purchase_sheet", community, group_buy.pk), {"format": "csv"})
    assert f'filename="purchase-sheet-{group_buy.pk}.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["Supplier", "Contact", "Product"]
    assert rows[1] == ["绿野农场", "021-555", "苹果", "斤", "5", "10.00", "50.00"]
    assert rows[-1][0] == "Total" and rows[-1][-1] == "50.00" and len(rows) == 3


def test_pickup_sheet_page_and_csv(owner, admin_member, member, leader, login, place):
    community = owner.community
    group_buy, east, west = two_point_round(owner)
    member.user.display_name = "=HYPERLINK(\"x\")"
    member.user.save()
    at_east = place(member, group_buy, qty=2, pickup_point_id=east.pk)
    other = place(leader, group_buy, pickup_point_id=west.pk)
    pay(admin_member, at_east, other)
    make_branch(owner, "East", leader=leader, points=[east])
    client = login(leader)

    page = client.get(url("pickup_sheet", community, group_buy.pk, east.pk))
    assert page.status_code == 200 and at_east.pickup_code in text(page) and "Signature" in text(page)
    assert other.pickup_code not in text(page) or other.pickup_code == at_east.pickup_code
    rows = read_csv(client.get(url("pickup_sheet", community, group_buy.pk, east.pk), {"format": "csv"}))
    assert rows[0] == ["Order", "Member", "Phone", "Pickup code", "Items", "Status", "Signature"]
    assert rows[1] == [str(at_east.pk), "'=HYPERLINK(\"x\")", member.user.phone, at_east.pickup_code, "苹果 ×2 斤",
                       "Paid", ""]
    assert len(rows) == 2


# Wallets -----------------------------------------------------------------------------------------

def test_top_up_double_submit_records_once(owner, admin_member, member, leader, login):
    community = owner.community
    client = login(admin_member)
    page = client.get(url("wallets", community))
    token = re.search(r'name="token" value="([0-9a-f]+)"', text(page)).group(1)
    form = {"token": token, "member": member.user_id, "amount": "50.00", "note": "cash"}

    first = client.post(url("wallets", community), form)
    second = client.post(url("wallets", community), form)

    assert first.status_code == second.status_code == 302
    assert WalletEntry.objects.filter(community=community, kind="top_up").count() == 1
    assert Wallet.objects.get(community=community, member=member.user).balance == Decimal("50.00")
    client.post(url("wallets", community), {**form, "token": "another-form"})
    assert Wallet.objects.get(community=community, member=member.user).balance == Decimal("100.00")
    listing = client.get(url("wallets", community))
    assert "100.00" in text(listing) and member.user.display_name in text(listing)
    bad = client.post(url("wallets", community), {**form, "token": "t3", "amount": "-5"})
    assert bad.status_code == 200 and Wallet.objects.get(member=member.user).balance == Decimal("100.00")
    assert login(leader).get(url("wallets", community)).status_code == 403


# Commissions -------------------------------------------------------------------------------------

def completed_order(owner, admin, buyer, group_buy, place):
    order = place(buyer, group_buy)
    pay(admin, order)
    return order


def test_commission_statements_leader_sees_own_admin_sees_all_member_none(owner, admin_member, member, leader,
                                                                         login, place):
    community = owner.community
    other_leader = MembershipFactory(community=community, role="leader",
                                     user=UserFactory(display_name="Other leader"))
    other_member = MembershipFactory(community=community, role="member",
                                     user=UserFactory(display_name="Buyer in West"))
    east = community_services.branch_create(actor=owner, name="East", leader=leader.user)
    west = community_services.branch_create(actor=owner, name="West", leader=other_leader.user)
    community_services.membership_move_branch(actor=owner, membership=member, branch=east)
    community_services.membership_move_branch(actor=owner, membership=other_member, branch=west)
    member.refresh_from_db()
    other_member.refresh_from_db()
    group_buy = make_group_buy(owner, price="100.00", commission_rate=Decimal("0.10"))
    mine = completed_order(owner, admin_member, member, group_buy, place)
    theirs = completed_order(owner, admin_member, other_member, group_buy, place)
    close(group_buy)
    services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    for order in (mine, theirs):
        order.refresh_from_db()
        services.order_complete(actor=owner, order=order, code=order.pickup_code)
    assert Commission.objects.count() == 2

    as_leader = login(leader).get(url("commissions", community))
    html = text(as_leader)
    assert as_leader.status_code == 200 and member.user.display_name in html and "10.00" in html
    assert "Buyer in West" not in html and "Other leader" not in html
    assert re.findall(r'data-commission="(\d+)"', html) == [str(Commission.objects.get(order=mine).pk)]
    assert login(leader).get(url("commissions", community), {"format": "csv"}).status_code == 403
    assert login(leader).get(url("commissions", community), {"leader": other_leader.user_id}).content.count(
        b"data-commission=") == 1  # the filter is for admins; a leader still sees only their own

    as_admin = login(admin_member).get(url("commissions", community))
    assert "Buyer in West" in text(as_admin) and "Other leader" in text(as_admin)
    rows = read_csv(login(admin_member).get(url("commissions", community), {"format": "csv"}))
    assert sorted(row[1] for row in rows[1:]) == sorted([leader.user.display_name, "Other leader"])
    assert {row[-1] for row in rows[1:]} == {"10.00"}

    assert login(member).get(url("commissions", community)).status_code == 403


# Pickup points -----------------------------------------------------------------------------------

def test_pickup_points_create_and_edit(owner, leader, login):
    community = owner.community
    east = make_branch(owner, "East", leader=leader)
    client = login(leader)
    response = client.post(url("pickup_points", community), {"name": "Fruit shop", "address": "Lane 5",
                                                              "hours": "16:00-20:00", "leader": leader.user_id,
                                                              "is_active": "on"})
    point = PickupPoint.objects.get(community=community)
    assert response.status_code == 302 and point.leader == leader.user and point.is_active
    assert point.branch == east  # a leader's pickup point belongs to their branch
    duplicate = client.post(url("pickup_points", community), {"name": "Fruit shop", "address": "Elsewhere"})
    assert duplicate.status_code == 400 and "Already used." in text(duplicate)

    client.post(url("pickup_point_edit", community, point.pk), {"name": "Fruit shop", "address": "Lane 6",
                                                                 "hours": "", "leader": ""})
    point.refresh_from_db()
    assert (point.address, point.leader, point.is_active) == ("Lane 6", None, False)


# Tenancy -----------------------------------------------------------------------------------------

def orders_console_routes():
    _prefix, sub = get_resolver().namespace_dict["orders_console"]
    return [(f"orders_console:{p.name}", p.pattern.converters) for p in sub.url_patterns if isinstance(p, URLPattern)]


def id_kind(name, converters):
    """Which of B's rows the route's ``pk`` names (None: the route takes no id)."""
    if "pk" not in converters:
        return None
    short = name.split(":")[1]
    if short.startswith(("group_buy", "purchase_sheet", "pickup_sheet")):
        return "group_buy"
    if short.startswith(("order_", "pickup_complete")):
        return "order"
    if short.startswith("pickup_point"):
        return "pickup_point"
    if short.startswith("coupon"):
        return "coupon"
    raise AssertionError(f"add the id kind of {name} to the walk")


def snapshot(community):
    return (
        sorted(GroupBuy.objects.filter(community=community).values_list("id", "status", "title", "arrived_at")),
        sorted(Order.objects.filter(community=community).values_list("id", "status", "charge__paid_amount",
                                                                      "charge__refunded_amount")),
        sorted(Payment.objects.filter(community=community).values_list("id", "status")),
        sorted(PickupPoint.objects.filter(community=community).values_list("id", "name", "address", "is_active")),
        sorted(Wallet.objects.filter(community=community).values_list("id", "balance")),
        WalletEntry.objects.filter(community=community).count(),
        Commission.objects.filter(community=community).count(),
        AuditLog.objects.filter(community=community).count(),
        sorted(Coupon.objects.filter(community=community).values_list("id", "code", "name", "updated_at")),
    )


def test_owner_of_a_cannot_reach_or_change_anything_of_b_in_the_selling_console(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    a = CommunityFactory(name="Alpha")
    owner_a = MembershipFactory(community=a, role="owner")
    make_group_buy(owner_a, title="Alpha round")
    b = CommunityFactory(name="Secret B")
    owner_b = MembershipFactory(community=b, role="owner")
    member_b = MembershipFactory(community=b, role="member", user=UserFactory(display_name="b-secret-member"))
    round_b = make_group_buy(owner_b, title="b-secret-round", products=[ProductFactory(community=b, name="b-fruit")])
    point_b = round_b.pickup_points.get()
    order_b, _created = services.order_place(member=member_b, group_buy=round_b, lines=[(round_b.items.get().pk, 1)],
                                             idempotency_key="b1", pickup_point_id=point_b.pk)
    services.order_report_transfer(member=member_b, order=order_b, reference="b-secret-ref")
    coupon_b = coupons.coupon_save(actor=owner_b, code="BSECRET", name="b-secret-coupon", kind="amount",
                                   amount_off=Decimal("5"), starts_at=timezone.now(),
                                   ends_at=timezone.now() + timedelta(days=1))
    ids = {"group_buy": round_b.pk, "order": order_b.pk, "pickup_point": point_b.pk, "coupon": coupon_b.pk}
    payload = {"title": "pwned", "name": "pwned", "address": "pwned", "order": [order_b.pk], "only": order_b.pk,
               "member": member_b.user_id, "amount": "100", "token": "pwn", "code": order_b.pickup_code,
               "reason": "pwned", "pickup_point": point_b.pk, "tracking": "x", "publish": "on"}
    query = {"format": "csv", "group_buy": round_b.pk, "leader": owner_b.user_id, "member": member_b.user_id,
             # The query is echoed in the page's language switcher: search by phone, so only a match shows a secret.
             "code": order_b.pickup_code, "q": member_b.user.phone}
    secrets = ("Secret B", "b-secret", "b-fruit")
    before = snapshot(b)
    client.force_login(owner_a.user)

    routes = orders_console_routes()
    assert len(routes) >= 18
    checked = 0
    for name, converters in routes:
        kind = id_kind(name, converters)
        kwargs = {"pk": ids[kind]} if kind else {}
        if "point_pk" in converters:
            kwargs["point_pk"] = point_b.pk
        for slug, allowed in ((b.slug, {403, 404, 405}),
                              # B's ids under A's own slug: not found; pages without ids are A's own.
                              (a.slug, {403, 404, 405} if kind else {200, 302, 400, 403, 404, 405})):
            target = reverse(name, kwargs={"slug": slug, **kwargs})
            for response in (client.get(target, query), client.post(target, payload)):
                assert response.status_code in allowed, (name, slug, response.status_code)
                body = response.content.decode("utf-8-sig", errors="replace")
                assert not any(secret in body for secret in secrets), (name, slug)
                checked += 1
    # A's round with B's pickup point: not found either.
    a_round = GroupBuy.objects.get(community=a)
    mixed = reverse("orders_console:pickup_sheet", kwargs={"slug": a.slug, "pk": a_round.pk, "point_pk": point_b.pk})
    assert client.get(mixed).status_code == 404
    assert checked >= 4 * len(routes)
    assert snapshot(b) == before
    assert not WalletEntry.objects.filter(wallet__member=member_b.user).exists()


# Django admin ------------------------------------------------------------------------------------

def test_django_admin_shows_orders_but_money_rows_are_read_only(owner, admin_member, member, place, client):
    from django.contrib.auth import get_user_model

    group_buy = make_group_buy(owner)
    order = place(member, group_buy)
    pay(admin_member, order)
    superuser = get_user_model().objects.create_superuser(email="root@example.com", password="x-long-password-1",
                                                          display_name="Root")
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for model in ("order", "groupbuy", "commission", "team", "pickuppoint", "pricetier"):
        assert client.get(reverse(f"admin:orders_{model}_changelist")).status_code == 200, model
    for model in ("charge", "payment", "wallet", "walletentry", "refund"):
        assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200, model
    assert client.get(reverse("admin:payments_charge_change", args=[order.charge_id])).status_code == 200
    assert client.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 200
    assert client.get(reverse("admin:orders_groupbuy_change", args=[group_buy.pk])).status_code == 200
    assert client.get(reverse("admin:orders_order_add")).status_code == 403
    payment = Payment.objects.get(charge__order=order)
    client.post(reverse("admin:payments_payment_change", args=[payment.pk]), {"amount": "0.01", "status": "cancelled"})
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.amount == order.total


def test_odd_input_is_a_clear_answer_never_a_500(owner, login):
    community = owner.community
    group_buy = make_group_buy(owner)
    client = login(owner)
    for params in ({"group_buy": "²"}, {"page": "²"}, {"status": "bogus", "method": "bogus", "q": "'%;"}):
        assert client.get(url("orders", community), params).status_code == 200
    assert client.get(url("group_buys", community), {"page": "x", "status": "²"}).status_code == 200
    assert client.post(url("orders_mark_paid", community), {"only": "²"}).status_code == 404
    assert client.post(url("orders_mark_paid", community), {}).status_code == 302  # "tick the orders" message
    assert client.post(url("group_buy_arrived", community, group_buy.pk), {"pickup_point": "²"}).status_code == 404
    assert client.get(url("pickup", community), {"code": "１２３４５６"}).status_code == 200
    assert client.get(url("commissions", community), {"leader": "²", "page": "-1"}).status_code == 200
    assert client.get(url("wallets", community), {"member": "²", "q": "x"}).status_code == 200
