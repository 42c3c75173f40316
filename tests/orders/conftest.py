from decimal import Decimal

import pytest

from orders import services
from payments import services as payments_services


@pytest.fixture
def place():
    """place(membership, group_buy, qty=1, key=None, **kw) -> Order, with the round's first pickup point."""
    counter = {"n": 0}

    def _place(membership, group_buy, qty=1, key=None, item=None, **kwargs):
        counter["n"] += 1
        item = item or group_buy.items.first()
        if "fulfilment" not in kwargs or kwargs["fulfilment"] == "pickup":
            kwargs.setdefault("pickup_point_id", group_buy.pickup_points.first().pk)
        order, _created = services.order_place(member=membership, group_buy=group_buy, lines=[(item.pk, qty)],
                                               idempotency_key=key or f"k{counter['n']}", **kwargs)
        return order

    return _place


@pytest.fixture
def top_up():
    def _top_up(admin, membership, amount):
        return payments_services.wallet_top_up(actor=admin, member_user=membership.user, amount=Decimal(amount))

    return _top_up


@pytest.fixture
def login(client):
    """login(membership) -> the test client, logged in, asking for English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def _login(membership):
        client.force_login(membership.user)
        return client

    return _login
