"""The path from a paid order to a signed POST at the partner's endpoint."""

from decimal import Decimal

import pytest
from django.db import transaction

from core.events import SWEEP_NAME as EVENTS
from core.sweeps import sweep_run
from orders import services as orders
from partners import services, webhooks
from partners.models import WebhookDelivery
from tests.factories import make_group_buy


@pytest.mark.django_db(transaction=True)
def test_a_paid_order_reaches_the_partner_signed_once(community, owner, member, staff, connection, partner_product,
                                                      receiver):
    endpoint = services.endpoint_create(actor=staff, url=receiver.url, events=["order.paid"])
    round_ = make_group_buy(owner, products=[partner_product("EGG-12")])
    from payments import services as payments

    payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("100"))
    order, _ = orders.order_place(member=member, group_buy=round_, lines=[(round_.items.first().pk, 2)],
                                  idempotency_key="k1", pickup_point_id=round_.pickup_points.first().pk)
    orders.order_pay_with_wallet(member=member, order=order)
    sweep_run(EVENTS)
    sweep_run(webhooks.SWEEP_NAME)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["json"]["type"] == "order.paid"
    assert request["json"]["data"]["order"]["lines"][0]["sku"] == "EGG-12"
    assert webhooks.verify(endpoint.secret, request["headers"], request["body"])
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.attempts == 1 and delivery.response_status == 200
    # The events sweep again: nothing new.
    sweep_run(EVENTS)
    sweep_run(webhooks.SWEEP_NAME)
    assert len(receiver.requests) == 1
    with transaction.atomic():
        pass
