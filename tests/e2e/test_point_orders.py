"""The console's orders at 1280×800: tick one pickup point's orders and mark them paid; a leader's
list of a pickup point prints without the console around it; the audit log reads as sentences."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders import services
from orders.models import Order
from tests.e2e.conftest import DESKTOP, log_in
from tests.e2e.test_selling import shop
from tests.factories import PASSWORD, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = "/tmp/shots-desk"


def two_points():
    community, owner, leader, member, east = shop()
    west = services.pickup_point_save(actor=owner, name="West gate", address="Building 9")
    product = ProductFactory(community=community, name="Mango box", unit="box")
    group_buy = services.group_buy_create(
        actor=owner, title="Weekend mangoes", opens_at=timezone.now() - timedelta(minutes=1),
        closes_at=timezone.now() + timedelta(days=1), pickup_point_ids=[east.pk, west.pk],
        items=[services.ItemSpec(product_id=product.pk, group_price=45, quantity_on_offer=100)])
    eggs = make_group_buy(owner, title="Fresh eggs", point=east)
    notes = ["12栋1单元301", "3栋2单元1502", "放门卫室", "3-1-101", "Block 5 Unit 2"]
    orders = []
    for index, note in enumerate(notes):
        buyer = MembershipFactory(community=community, role="member", branch=member.branch,
                                  user=UserFactory(display_name=f"Buyer {index + 1}"))
        round_ = eggs if index % 2 else group_buy
        point = west if index == 4 else east
        order, _created = services.order_place(member=buyer, group_buy=round_, lines=[(round_.items.get().pk, 1)],
                                               idempotency_key=f"k{index}", pickup_point_id=point.pk, note=note)
        orders.append(order)
    return community, owner, leader, east, west, orders


def test_tick_one_pickup_points_orders_and_mark_them_paid(english):
    community, owner, leader, east, west, orders = two_points()
    admin = english(DESKTOP)
    log_in(admin, owner.user.email, PASSWORD)
    admin.goto(f"/console/{community.slug}/orders/")
    admin.select_option("[data-select-point]", str(west.pk))
    ticked = admin.locator("input[name=order]:checked")
    expect(ticked).to_have_count(1)
    expect(admin.locator("[data-ticked-count]")).to_have_text("1 ticked")
    admin.check("[data-select-all]")
    expect(ticked).to_have_count(5)
    admin.uncheck("[data-select-all]")
    admin.select_option("[data-select-point]", str(east.pk))
    expect(ticked).to_have_count(4)
    admin.click("button:has-text('Mark ticked orders as paid')")
    expect(admin.locator(".messages")).to_contain_text("4 orders marked as paid")
    statuses = {o.pk: Order.objects.get(pk=o.pk).status for o in orders}
    assert [statuses[o.pk] for o in orders] == ["paid", "paid", "paid", "paid", "pending_payment"]


def test_a_leaders_pickup_point_list_sorted_by_building_and_printed(desktop, english):
    community, owner, leader, east, west, orders = two_points()
    log_in(desktop, leader.user.email, PASSWORD)
    desktop.goto(f"/console/{community.slug}/pickup/")
    desktop.click(f"a[href$='/pickup-points/{east.pk}/orders/']")
    rows = desktop.locator("table.point-orders tbody tr")
    expect(rows).to_have_count(4)
    assert [rows.nth(i).locator("td.place").inner_text() for i in range(4)] == ["3-1-101", "3-2-1502", "12-1-301", "—"]
    os.makedirs(SHOTS, exist_ok=True)
    desktop.screenshot(path=f"{SHOTS}/point-orders.png", full_page=True)
    desktop.emulate_media(media="print")
    expect(desktop.locator(".sidenav")).to_be_hidden()
    expect(desktop.locator(".topbar")).to_be_hidden()
    expect(desktop.locator("button:has-text('打印')")).to_be_hidden()
    expect(rows.first).to_be_visible()
    desktop.screenshot(path=f"{SHOTS}/point-orders-print.png", full_page=True)

    admin = english(DESKTOP)
    log_in(admin, owner.user.email, PASSWORD)
    services.payments_mark_received(actor=owner, orders=[orders[0]])
    admin.goto(f"/console/{community.slug}/audit/")
    expect(admin.locator("table.audit")).to_contain_text(f"Owner Wang marked order #{orders[0].pk} of Buyer 1 paid")
    admin.screenshot(path=f"{SHOTS}/audit-en.png", full_page=True)
    desktop.context.clear_cookies()
    desktop.emulate_media(media="screen")
    log_in(desktop, owner.user.email, PASSWORD)
    desktop.goto(f"/console/{community.slug}/")
    desktop.screenshot(path=f"{SHOTS}/dashboard-zh.png", full_page=True)
