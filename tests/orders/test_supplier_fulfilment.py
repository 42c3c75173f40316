"""Suppliers' fulfilment reports (orders.fulfilment) move orders as the console does: arrival makes
pickup orders ready (an order of several suppliers once each has reported), out of stock refunds
the members once (pro rata of what they paid), delivery orders are shipped and completed."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from catalog.models import Supplier
from core.exceptions import Conflict, NotFound, Unprocessable, ValidationFailed
from core.models import AuditLog, DomainEvent, Notification
from orders import coupons, fulfilment, services
from orders.models import Coupon, GroupBuy, Order, OrderLine, PickupPoint, Shipment
from payments.models import Refund, Wallet
from tests.branches import fresh
from tests.factories import MembershipFactory, ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db


def balance(membership):
    wallet = Wallet.objects.filter(community=membership.community, member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")


@pytest.fixture
def shop(owner, admin_member, top_up):
    """A round selling a farm's apples and a dairy's milk (10.00 each) at two pickup points, with
    delivery; buy(...) places and pays (wallet) an order; close() settles the round (succeeded)."""
    community = owner.community
    farm = Supplier.objects.create(community=community, name="Green Farm")
    dairy = Supplier.objects.create(community=community, name="Dairy")
    apple = ProductFactory(community=community, supplier=farm, supplier_sku="APPLE", name="Apples")
    milk = ProductFactory(community=community, supplier=dairy, supplier_sku="MILK", name="Milk")
    gate = PickupPoint.objects.create(community=community, name="Gate 1", address="Building 1")
    east = PickupPoint.objects.create(community=community, name="East", address="Building 9")
    group_buy = make_group_buy(owner, products=[apple, milk], price="10.00", point=gate, allows_delivery=True)
    group_buy.pickup_points.add(east)
    items = {i.product_id: i for i in group_buy.items.all()}
    counter = {"n": 0}

    def buy(membership=None, lines=(("apple", 1),), point=gate, delivery=False, coupon_code=""):
        membership = membership or MembershipFactory(community=community, role="member")
        counter["n"] += 1
        top_up(admin_member, membership, "100.00")
        products = {"apple": apple, "milk": milk}
        kwargs = {"fulfilment": "delivery", "delivery_address": "3-2-1502"} if delivery else {
            "pickup_point_id": point.pk}
        order, _ = services.order_place(member=membership, group_buy=group_buy,
                                        lines=[(items[products[n].pk].pk, q) for n, q in lines],
                                        idempotency_key=f"buy{counter['n']}", coupon_code=coupon_code, **kwargs)
        services.order_pay_with_wallet(member=membership, order=order)
        order.buyer = membership
        return order

    def close():
        with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
            services.group_buy_close_due()
        group_buy.refresh_from_db()
        assert group_buy.status == GroupBuy.Status.SUCCEEDED

    def report(supplier, kind, request_id=None, **kw):
        counter["n"] += 1
        return fulfilment.supplier_report(community=community, supplier=supplier, group_buy=group_buy, kind=kind,
                                          request_id=request_id or f"r{counter['n']}", **kw)

    return {"community": community, "farm": farm, "dairy": dairy, "apple": apple, "milk": milk, "gate": gate,
            "east": east, "round": group_buy, "buy": buy, "close": close, "report": report}


def status_of(order):
    return Order.objects.get(pk=order.pk).status


def test_arrival_reported_by_the_supplier_makes_its_pickup_orders_ready_as_the_console_does(shop):
    at_gate, at_east = shop["buy"](), shop["buy"](point=shop["east"])
    shop["close"]()

    report, created = shop["report"](shop["farm"], "arrived", pickup_point=shop["gate"])

    assert created and report.outcome == {"orders": [{"order_id": at_gate.pk, "status": "ready"}]}
    assert status_of(at_gate) == Order.Status.READY and status_of(at_east) == Order.Status.CONFIRMED
    assert Notification.objects.filter(recipient=at_gate.member, kind="order_ready").count() == 1
    assert GroupBuy.objects.get(pk=shop["round"].pk).arrived_at is not None
    row = AuditLog.objects.get(object_type="order", object_id=at_gate.pk, action="order.ready")
    assert row.actor is None and row.data["supplier"] == "Green Farm"
    # And the desk hands it over as usual.
    owner = fresh(shop["round"].community.memberships.get(role="owner"))
    services.order_complete(actor=owner, order=at_gate, code=at_gate.pickup_code)
    assert status_of(at_gate) == Order.Status.COMPLETED


def test_dispatch_tells_the_members_at_that_point_and_changes_nothing(shop):
    apples, milk_only = shop["buy"](), shop["buy"](lines=(("milk", 1),))
    shop["close"]()

    shop["report"](shop["farm"], "dispatched", pickup_point=shop["gate"], carrier="SF Express", tracking="SF123")

    assert status_of(apples) == status_of(milk_only) == Order.Status.CONFIRMED
    notice = Notification.objects.get(recipient=apples.member, kind="order_dispatched")
    assert "SF123" in notice.body and "Green Farm" in notice.body
    assert not Notification.objects.filter(recipient=milk_only.member, kind="order_dispatched").exists()


def test_an_order_of_several_suppliers_is_ready_once_each_reported_arrival_at_its_point(shop):
    both = shop["buy"](lines=(("apple", 1), ("milk", 1)))
    apples = shop["buy"]()
    shop["close"]()

    shop["report"](shop["farm"], "arrived", pickup_point=shop["gate"])
    assert status_of(apples) == Order.Status.READY
    assert status_of(both) == Order.Status.CONFIRMED  # the milk has not come
    shop["report"](shop["dairy"], "arrived", pickup_point=shop["east"])  # elsewhere: does not count
    assert status_of(both) == Order.Status.CONFIRMED
    shop["report"](shop["dairy"], "arrived", pickup_point=shop["gate"])
    assert status_of(both) == Order.Status.READY


def test_an_admin_marking_goods_arrived_readies_every_order_whatever_the_suppliers_said(shop, owner):
    both = shop["buy"](lines=(("apple", 1), ("milk", 1)))
    shop["close"]()
    shop["report"](shop["farm"], "arrived", pickup_point=shop["gate"])
    assert services.group_buy_mark_arrived(actor=fresh(owner), group_buy=shop["round"]) == 1
    assert status_of(both) == Order.Status.READY


def test_out_of_stock_refunds_the_lines_share_of_what_was_paid_once(shop, owner):
    now = timezone.now()
    coupons.coupon_save(actor=fresh(owner), code="SIX", name="Six off", kind="amount", amount_off=Decimal("6"),
                        min_spend=Decimal("0"), starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7))
    order = shop["buy"](lines=(("apple", 2), ("milk", 1)), coupon_code="SIX")
    assert order.total == Decimal("24.00")
    shop["close"]()

    report, _ = shop["report"](shop["farm"], "out_of_stock", product=shop["apple"], quantity=1)

    # One apple of 30.00 of goods, 24.00 paid: 10 × 24 / 30 = 8.00.
    assert [(r["units"], r["amount"]) for r in report.outcome["refunds"]] == [(1, "8.00")]
    line = OrderLine.objects.get(order=order, product=shop["apple"])
    assert line.quantity_short == 1 and line.out_of_stock_at is not None
    assert balance(order.buyer) == Decimal("100.00") - Decimal("24.00") + Decimal("8.00")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED and order.total == Decimal("16.00")
    assert order.charge.amount == Decimal("16.00")
    notice = Notification.objects.get(recipient=order.member, kind="order_line_out_of_stock")
    assert "Apples × 1" in notice.body
    # The refund is told by that notice, not a second one.
    assert not Notification.objects.filter(recipient=order.member, kind="refund_paid").exists()

    # Reported again (another request, the same total short), and replayed: nothing more.
    again, created = shop["report"](shop["farm"], "out_of_stock", product=shop["apple"], quantity=1)
    assert created and again.outcome == {"refunds": []}
    replay, created = shop["report"](shop["farm"], "out_of_stock", request_id=report.request_id,
                                     product=shop["apple"], quantity=1)
    assert not created and replay.pk == report.pk and replay.outcome == report.outcome
    assert Refund.objects.filter(charge=order.charge).count() == 1
    assert balance(order.buyer) == Decimal("84.00")

    # A second apple short: one more refund (under its own key); the order keeps its milk.
    shop["report"](shop["farm"], "out_of_stock", product=shop["apple"], quantity=2)
    assert Refund.objects.filter(charge=order.charge).count() == 2
    assert balance(order.buyer) == Decimal("92.00")
    assert status_of(order) == Order.Status.CONFIRMED


def test_an_order_with_nothing_left_to_deliver_is_refunded_in_full_and_its_coupon_comes_back(shop, owner):
    now = timezone.now()
    coupon = coupons.coupon_save(actor=fresh(owner), code="TWO", name="Two off", kind="amount",
                                 amount_off=Decimal("2"), min_spend=Decimal("0"), starts_at=now - timedelta(hours=1),
                                 ends_at=now + timedelta(days=7))
    order = shop["buy"](lines=(("apple", 3),), coupon_code="TWO")
    other = shop["buy"](lines=(("milk", 1),))
    shop["close"]()
    assert Coupon.objects.get(pk=coupon.pk).uses == 1
    type(order.member).objects.filter(pk=order.member_id).update(language="en")  # told in English (asserted below)

    report, _ = shop["report"](shop["farm"], "out_of_stock", product=shop["apple"])

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.cancelled_at is not None
    assert balance(order.buyer) == Decimal("100.00")
    assert report.outcome["refunds"] == [{"order_id": order.pk, "line_id": order.lines.get().pk, "units": 3,
                                          "amount": "28.00", "order_status": "refunded"}]
    assert Coupon.objects.get(pk=coupon.pk).uses == 0
    assert DomainEvent.objects.filter(name="order.cancelled", payload__order_id=order.pk,
                                      payload__reason="out_of_stock").exists()
    assert "cannot be delivered" in Notification.objects.get(recipient=order.member,
                                                             kind="order_line_out_of_stock").title
    assert status_of(other) == Order.Status.CONFIRMED
    # Nothing more to report short: the same report again changes nothing.
    again, _ = shop["report"](shop["farm"], "out_of_stock", product=shop["apple"])
    assert again.outcome == {"refunds": []}
    assert Refund.objects.filter(charge=order.charge).count() == 1


def test_the_last_orders_go_without_first_and_a_report_cannot_take_units_back(shop):
    first, second = shop["buy"](lines=(("apple", 2),)), shop["buy"](lines=(("apple", 2),))
    shop["close"]()

    report, _ = shop["report"](shop["farm"], "out_of_stock", product=shop["apple"], quantity=3)

    assert [(r["order_id"], r["units"]) for r in report.outcome["refunds"]] == [(first.pk, 1), (second.pk, 2)]
    assert status_of(second) == Order.Status.REFUNDED and status_of(first) == Order.Status.CONFIRMED
    with pytest.raises(Conflict) as less:
        shop["report"](shop["farm"], "out_of_stock", product=shop["apple"], quantity=2)
    assert less.value.code == "short_already_reported"
    with pytest.raises(Conflict) as more:
        shop["report"](shop["farm"], "out_of_stock", product=shop["apple"], quantity=5)
    assert more.value.code == "too_many_short"
    assert Shipment.objects.filter(kind="out_of_stock").count() == 1  # refused reports leave nothing


def test_out_of_stock_at_one_point_or_for_one_order_stays_there(shop):
    at_gate, at_east = shop["buy"](), shop["buy"](point=shop["east"])
    shop["close"]()
    shop["report"](shop["farm"], "out_of_stock", product=shop["apple"], pickup_point=shop["east"])
    assert status_of(at_east) == Order.Status.REFUNDED and status_of(at_gate) == Order.Status.CONFIRMED


def test_an_order_waiting_only_for_goods_that_ran_out_becomes_ready(shop):
    both = shop["buy"](lines=(("apple", 1), ("milk", 1)))
    shop["close"]()
    shop["report"](shop["farm"], "arrived", pickup_point=shop["gate"])
    assert status_of(both) == Order.Status.CONFIRMED
    shop["report"](shop["dairy"], "out_of_stock", product=shop["milk"])
    assert status_of(both) == Order.Status.READY
    assert balance(both.buyer) == Decimal("90.00")


def test_delivery_orders_are_shipped_then_delivered(shop):
    order = shop["buy"](delivery=True)
    shop["close"]()
    with pytest.raises(Conflict) as early:
        shop["report"](shop["farm"], "delivered", order=order)
    assert early.value.code == "not_shipped"

    shop["report"](shop["farm"], "shipped", order=order, carrier="SF Express", tracking="SF42")
    assert status_of(order) == Order.Status.SHIPPED
    row = AuditLog.objects.get(object_type="order", object_id=order.pk, action="order.shipped")
    assert row.data["tracking"] == "SF42" and row.data["carrier"] == "SF Express"
    shop["report"](shop["farm"], "delivered", order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and order.completed_at is not None
    assert DomainEvent.objects.filter(name="order.completed", payload__order_id=order.pk).exists()
    assert GroupBuy.objects.get(pk=shop["round"].pk).status == GroupBuy.Status.FULFILLED
    with pytest.raises(Conflict) as late:
        shop["report"](shop["farm"], "shipped", order=order)
    assert late.value.code == "not_shippable"


def test_a_delivery_order_of_two_suppliers_completes_when_both_delivered(shop):
    order = shop["buy"](lines=(("apple", 1), ("milk", 1)), delivery=True)
    shop["close"]()
    shop["report"](shop["farm"], "shipped", order=order)
    assert status_of(order) == Order.Status.CONFIRMED
    shop["report"](shop["farm"], "delivered", order=order)
    assert status_of(order) == Order.Status.CONFIRMED
    shop["report"](shop["dairy"], "shipped", order=order)
    assert status_of(order) == Order.Status.SHIPPED
    shop["report"](shop["dairy"], "delivered", order=order)
    assert status_of(order) == Order.Status.COMPLETED


def test_a_supplier_reports_only_on_its_own_products_orders_and_rounds(shop, owner):
    apples, pickup = shop["buy"](delivery=True), shop["buy"]()
    shop["close"]()
    with pytest.raises(NotFound) as product:
        shop["report"](shop["dairy"], "out_of_stock", product=shop["apple"])
    assert product.value.code == "product_not_found"
    with pytest.raises(NotFound) as order:
        shop["report"](shop["dairy"], "shipped", order=apples)
    assert order.value.code == "order_not_found"
    with pytest.raises(Conflict) as not_delivery:
        shop["report"](shop["farm"], "shipped", order=pickup)
    assert not_delivery.value.code == "not_delivery"
    stranger = Supplier.objects.create(community=shop["community"], name="Stranger")
    with pytest.raises(NotFound) as round_:
        shop["report"](stranger, "arrived", pickup_point=shop["gate"])
    assert round_.value.code == "round_not_found"
    elsewhere = PickupPoint.objects.create(community=shop["community"], name="Not in the round", address="x")
    with pytest.raises(NotFound):
        shop["report"](shop["farm"], "arrived", pickup_point=elsewhere)
    assert status_of(apples) == Order.Status.CONFIRMED and not Shipment.objects.exists()
    assert Refund.objects.filter(reason="out_of_stock").count() == 0


def test_reports_need_a_succeeded_round_and_the_fields_of_their_kind(shop):
    order = shop["buy"]()
    with pytest.raises(Conflict) as early:
        shop["report"](shop["farm"], "arrived", pickup_point=shop["gate"])
    assert early.value.code == "not_succeeded"
    shop["close"]()
    with pytest.raises(ValidationFailed) as missing:
        shop["report"](shop["farm"], "arrived")
    assert "pickup_point_id" in missing.value.fields
    with pytest.raises(ValidationFailed) as unused:
        shop["report"](shop["farm"], "arrived", pickup_point=shop["gate"], quantity=3)
    assert "quantity" in unused.value.fields
    assert status_of(order) == Order.Status.CONFIRMED and not Shipment.objects.exists()


def test_a_request_id_answers_its_first_report_and_refuses_another_body(shop):
    shop["buy"]()
    shop["close"]()
    first, created = shop["report"](shop["farm"], "dispatched", request_id="abc", pickup_point=shop["gate"],
                                    tracking="T1")
    again, created_again = shop["report"](shop["farm"], "dispatched", request_id="abc", pickup_point=shop["gate"],
                                          tracking="T1")
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(Unprocessable) as other:
        shop["report"](shop["farm"], "dispatched", request_id="abc", pickup_point=shop["gate"], tracking="T2")
    assert other.value.code == "request_id_reused"
    # Another supplier may use the same id for its own report.
    shop["report"](shop["dairy"], "dispatched", request_id="abc", pickup_point=shop["gate"])
    assert Shipment.objects.count() == 2


def test_the_rounds_console_page_shows_the_suppliers_reports(shop, owner, login):
    from django.urls import reverse

    both = shop["buy"](lines=(("apple", 2), ("milk", 1)))
    shop["close"]()
    shop["report"](shop["farm"], "dispatched", pickup_point=shop["gate"], carrier="SF Express", tracking="SF777")
    shop["report"](shop["dairy"], "out_of_stock", product=shop["milk"], note="Cow on holiday")

    response = login(owner).get(reverse("orders_console:group_buy", args=[shop["community"].slug, shop["round"].pk]))

    text = response.content.decode()
    assert response.status_code == 200
    assert "Supplier reports" in text and "SF777" in text and "Cow on holiday" in text
    assert text.count('data-report="') == 2
    assert "1 line refunded" in text and "1 out of stock" in text
    assert f"#{both.pk} Confirmed" in text
