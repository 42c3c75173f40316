"""Numbers reaching the catalog's columns are bounded where they enter, and stock moves never overflow."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import Category, Product
from core.exceptions import ValidationFailed
from tests.api import assert_error, url
from tests.catalog.factories import ProductFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
COLUMN_MAX = 2**31 - 1


def test_stock_is_at_most_a_hundred_million_units(community, leader):
    assert services.MAX_STOCK == 100_000_000
    product = services.product_create(actor=leader, name="Rice", unit="袋", list_price="50", stock=services.MAX_STOCK)
    assert product.stock == services.MAX_STOCK

    for stock in (services.MAX_STOCK + 1, COLUMN_MAX):
        with pytest.raises(ValidationFailed) as error:
            services.product_update(actor=leader, product=product, stock=stock)
        assert list(error.value.fields) == ["stock"] and "100,000,000" in error.value.fields["stock"][0]
    product.refresh_from_db()
    assert product.stock == services.MAX_STOCK


def test_stock_above_the_maximum_is_a_field_error_on_the_form_and_in_the_api(client, api_as, community, leader):
    client.force_login(leader.user)
    response = client.post(reverse("catalog:product_new", args=[community.slug]),
                           {"name": "Rice", "unit": "袋", "list_price": "50", "stock": str(COLUMN_MAX),
                            "initial-stock": ""}, **EN)
    assert response.status_code == 400 and "at most" in response.context["form"].errors["stock"][0]

    body = assert_error(api_as(leader.user).post(url(community.slug, "products"),
                                                 {"name": "Rice", "unit": "袋", "list_price": "50",
                                                  "stock": COLUMN_MAX}, format="json"), 400, fields=["stock"])
    assert "100,000,000" in body["fields"]["stock"][0]
    assert not Product.objects.exists()


@pytest.mark.parametrize("stock, released, after", [
    (5, 10, 15),
    (100_000_000 - 3, 10, 100_000_000),
    (COLUMN_MAX, 10, 100_000_000),  # stored before stock was bounded: still no overflow
    (COLUMN_MAX, 100_000_000, 100_000_000),
])
def test_releasing_stock_never_overflows_the_column(community, stock, released, after):
    product = ProductFactory(community=community, stock=stock)

    services.product_release_stock(product_id=product.pk, quantity=released)

    product.refresh_from_db()
    assert product.stock == after


@pytest.mark.parametrize("quantity", [-1, 100_000_001, COLUMN_MAX, 2**40, 1.5, True])
def test_reserving_or_releasing_an_absurd_quantity_is_refused(community, quantity):
    product = ProductFactory(community=community, stock=5)

    with pytest.raises(ValidationFailed):
        services.product_reserve_stock(product_id=product.pk, quantity=quantity)
    with pytest.raises(ValidationFailed):
        services.product_release_stock(product_id=product.pk, quantity=quantity)

    product.refresh_from_db()
    assert product.stock == 5


@pytest.mark.parametrize("body, field", [
    ({"list_price": "10000000000"}, "list_price"),
    ({"list_price": "99999999999999999999"}, "list_price"),
    ({"list_price": "-0.01"}, "list_price"),
    ({"consumption_cycle_days": 3651}, "consumption_cycle_days"),
    ({"consumption_cycle_days": COLUMN_MAX + 1}, "consumption_cycle_days"),
    ({"consumption_cycle_days": 0}, "consumption_cycle_days"),
    ({"stock": -1}, "stock"),
    ({"stock": 2**63}, "stock"),
    ({"name": "x" * 121}, "name"),
    ({"unit": "x" * 17}, "unit"),
    ({"description": "x" * 5001}, "description"),
])
def test_api_product_numbers_and_strings_out_of_range_are_400_on_their_field(api_as, community, leader, body, field):
    data = {"name": "Rice", "unit": "袋", "list_price": "50", **body}

    assert_error(api_as(leader.user).post(url(community.slug, "products"), data, format="json"), 400,
                 fields=[field])
    assert not Product.objects.exists()


@pytest.mark.parametrize("field, value", [
    ("list_price", "10000000000"),
    ("consumption_cycle_days", "3651"),
    ("consumption_cycle_days", "99999999999999999999999"),
    ("stock", "99999999999999999999999"),
])
def test_product_form_numbers_out_of_range_are_field_errors(client, community, leader, field, value):
    client.force_login(leader.user)
    data = {"name": "Rice", "unit": "袋", "list_price": "50", "stock": "", "initial-stock": "", field: value}

    response = client.post(reverse("catalog:product_new", args=[community.slug]), data, **EN)

    assert response.status_code == 400 and response.context["form"].errors[field]
    assert not Product.objects.exists()


def test_category_position_past_the_column_is_a_field_error(client, community, leader):
    client.force_login(leader.user)

    response = client.post(reverse("catalog:categories", args=[community.slug]),
                           {"action": "create", "name": "Fruit", "position": str(COLUMN_MAX + 1)}, **EN)

    assert response.status_code == 400 and response.context["form"].errors["position"]
    assert not Category.objects.exists()
    with pytest.raises(ValidationFailed):
        services.category_create(actor=leader, name="Fruit", position=COLUMN_MAX + 1)


def test_list_price_keeps_to_its_column(community, leader):
    product = services.product_create(actor=leader, name="Gold", unit="g", list_price=Decimal("9999999999.99"))
    assert product.list_price == Decimal("9999999999.99")
    with pytest.raises(ValidationFailed):
        services.product_update(actor=leader, product=product, list_price=Decimal("10000000000.00"))
