"""Reserving stock under real concurrency (threads on PostgreSQL): never below zero, never oversold."""

import pytest
from django.db import transaction

from catalog import services
from catalog.models import Product
from core.exceptions import Conflict
from tests.catalog.factories import ProductFactory
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("units, quantity, threads", [(10, 3, 12), (25, 4, 16), (7, 7, 10)])
def test_concurrent_reservations_take_exactly_what_is_there(units, quantity, threads):
    product = ProductFactory(stock=units)

    def publish_a_round(i):
        # As the orders app does: inside its own transaction, which also writes other rows.
        with transaction.atomic():
            services.product_reserve_stock(product_id=product.pk, quantity=quantity)
            Product.objects.filter(pk=product.pk).values_list("stock", flat=True).get()
        return "reserved"

    results = run_at_once(threads, publish_a_round)

    reserved = [r for r in results if r == "reserved"]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(reserved) == units // quantity, results
    assert len(refused) == threads - units // quantity, results
    assert {r.code for r in refused} == {"insufficient_stock"}
    product.refresh_from_db()
    assert product.stock == units - len(reserved) * quantity >= 0


def test_reservations_rolled_back_by_the_caller_give_nothing_away():
    product = ProductFactory(stock=10)

    def publish_then_fail(i):
        with transaction.atomic():
            services.product_reserve_stock(product_id=product.pk, quantity=2)
            if i % 2:
                raise RuntimeError("the round could not be published")
        return "reserved"

    results = run_at_once(8, publish_then_fail)

    kept = results.count("reserved")
    product.refresh_from_db()
    assert product.stock == 10 - 2 * kept >= 0
    assert kept <= 4


def test_concurrent_releases_and_reservations_add_up():
    product = ProductFactory(stock=20)

    def work(i):
        if i % 2:
            services.product_release_stock(product_id=product.pk, quantity=1)
        else:
            services.product_reserve_stock(product_id=product.pk, quantity=2)
        return "ok"

    results = run_at_once(10, work)

    assert results == ["ok"] * 10
    product.refresh_from_db()
    assert product.stock == 20 - 5 * 2 + 5 * 1
