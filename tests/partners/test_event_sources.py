"""The events partners hear of come from the services, through the outbox, for their products only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog import services as catalog
from catalog.models import Product
from core.events import SWEEP_NAME as EVENTS
from core.models import DomainEvent
from core.sweeps import sweep_run
from orders import services as orders
from partners import services, webhooks
from partners.models import WebhookDelivery, WebhookEvent
from payments import services as payments
from tests.factories import ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db


def _events(partner):
    return list(WebhookEvent.objects.filter(partner=partner).order_by("pk").values_list("type", flat=True))


def test_a_round_with_the_partners_product_is_heard_of_from_opening_to_success(
        community, owner, member, staff, connection, partner_product):
    services.endpoint_create(actor=staff, url="http://127.0.0.1:9/hooks",
                             events=["round.opened", "round.closed", "round.succeeded", "round.failed"])
    theirs, other = partner_product("PEAR-1"), ProductFactory(community=community, name="Someone else's")
    round_ = make_group_buy(owner, products=[theirs, other], offer=10)  # published at once
    payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("100"))
    order, _ = orders.order_place(member=member, group_buy=round_, lines=[(round_.items.get(product=theirs).pk, 1)],
                                  idempotency_key="k", pickup_point_id=round_.pickup_points.first().pk)
    orders.order_pay_with_wallet(member=member, order=order)
    orders.group_buy_close_due(now=round_.closes_at + timedelta(seconds=1))
    sweep_run(EVENTS)
    assert _events(staff.partner) == ["round.opened", "round.closed", "round.succeeded"]
    data = WebhookEvent.objects.filter(type="round.succeeded").get().data
    assert [item["sku"] for item in data["round"]["items"]] == ["PEAR-1"]  # not the other supplier's item
    assert data["community"]["slug"] == community.slug
    assert WebhookDelivery.objects.filter(status="pending").count() == 3


def test_a_round_without_its_products_tells_it_nothing(community, owner, staff, connection):
    services.endpoint_create(actor=staff, url="http://127.0.0.1:9/hooks", events=["round.opened"])
    make_group_buy(owner, products=[ProductFactory(community=community)])
    sweep_run(EVENTS)
    assert DomainEvent.objects.filter(name="group_buy.open").exists()
    assert _events(staff.partner) == []


def test_a_cancelled_round_is_a_failed_one_for_its_supplier(community, owner, staff, connection, partner_product):
    services.endpoint_create(actor=staff, url="http://127.0.0.1:9/hooks", events=["round.failed"])
    round_ = make_group_buy(owner, products=[partner_product("FIG-1")])
    orders.group_buy_cancel(actor=owner, group_buy=round_, reason="Storm")
    sweep_run(EVENTS)
    event = WebhookEvent.objects.get(partner=staff.partner)
    assert event.type == "round.failed" and event.data["round"]["reason"] == "cancelled"


def test_a_reservation_crossing_the_low_mark_tells_the_supplier_once(community, owner, staff, connection,
                                                                    partner_product):
    services.endpoint_create(actor=staff, url="http://127.0.0.1:9/hooks", events=["product.low_stock"])
    product = partner_product("KIWI-1", stock=30, low_stock_threshold=10)
    make_group_buy(owner, products=[product], offer=15)
    assert not DomainEvent.objects.filter(name="product.low_stock").exists()  # 15 left: above the mark
    make_group_buy(owner, products=[product], offer=6)
    make_group_buy(owner, products=[product], offer=2)
    sweep_run(EVENTS)
    assert Product.objects.get(pk=product.pk).stock == 7
    events = WebhookEvent.objects.filter(partner=staff.partner)
    assert [e.data["product"]["stock"] for e in events] == [7]  # crossed at 9 → told once, with today's stock


def test_approving_a_pushed_product_tells_the_partner(community, owner, staff, connection, partner_product):
    services.endpoint_create(actor=staff, url="http://127.0.0.1:9/hooks", events=["product.approved"])
    product = partner_product("PLUM-1", review=Product.Review.PENDING, is_active=False)
    catalog.product_review(actor=owner, product=product, approve=True)
    sweep_run(EVENTS)
    event = WebhookEvent.objects.get(partner=staff.partner)
    assert event.type == "product.approved" and event.data["product"]["sku"] == "PLUM-1"
    assert Product.objects.get(pk=product.pk).is_active


def test_a_pending_product_cannot_be_put_on_sale_by_hand(community, owner, partner_product):
    from core.exceptions import ValidationFailed

    product = partner_product("PLUM-2", review=Product.Review.PENDING, is_active=False)
    with pytest.raises(ValidationFailed):
        catalog.product_set_active(actor=owner, product=product, is_active=True)
    assert not Product.objects.get(pk=product.pk).is_active


def test_a_leader_cannot_review(community, leader, partner_product):
    from core.exceptions import Forbidden

    product = partner_product("PLUM-3", review=Product.Review.PENDING, is_active=False)
    with pytest.raises(Forbidden):
        catalog.product_review(actor=leader, product=product, approve=True)


def test_an_ended_connection_hears_nothing_more(community, owner, member, staff, connection, partner_product):
    services.endpoint_create(actor=staff, url="http://127.0.0.1:9/hooks", events=["round.opened"])
    services.connection_end(connection=connection, by_member=owner)
    make_group_buy(owner, products=[partner_product("FIG-2")])
    sweep_run(EVENTS)
    assert _events(staff.partner) == []
    assert webhooks.SWEEP_NAME == "partners.webhook_deliveries"
    assert timezone.now()
