"""The catalog lists for clients that keep a copy (issue 9): ?updated_since=, ?ordering=, ?page_size=,
filters checked by django-filter (a bad value is a 400 naming the parameter, never a 500)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import Category, Product, Supplier
from tests.api import assert_error, url
from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def test_updated_since_lists_only_what_changed(api_as, community, owner):
    old = [CategoryFactory(community=community, name=f"C{i}") for i in range(2)]
    suppliers = [SupplierFactory(community=community, name=f"S{i}") for i in range(2)]
    products = [ProductFactory(community=community, name=f"P{i}", stock=10) for i in range(2)]
    long_ago = timezone.now() - timedelta(days=3)
    for model in (Category, Supplier, Product):
        model.objects.filter(community=community).update(updated_at=long_ago)
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    services.category_update(actor=owner, category=old[1], name="Renamed")
    services.supplier_update(actor=owner, supplier=suppliers[0], name="Renamed supplier")
    services.product_reserve_stock(product_id=products[1].pk, quantity=3)  # stock moved: a change too
    client = api_as(owner.user)
    for path, expected in (("categories", [old[1].pk]), ("suppliers", [suppliers[0].pk]),
                           ("products", [products[1].pk])):
        response = client.get(url(community.slug, path), {"updated_since": since})
        assert response.status_code == 200, response.content
        assert [row["id"] for row in response.json()["results"]] == expected, path


def test_ordering_and_page_size(api_as, community, owner):
    for i in range(5):
        ProductFactory(community=community, name=f"Item {i}", list_price=f"{10 - i}.00")
    client = api_as(owner.user)
    first = client.get(url(community.slug, "products"), {"ordering": "list_price", "page_size": 2}).json()
    assert [row["list_price"] for row in first["results"]] == ["6.00", "7.00"] and first["count"] == 5
    assert "page_size=2" in first["next"]
    newest = client.get(url(community.slug, "products"), {"ordering": "-name"}).json()
    assert newest["results"][0]["name"] == "Item 4"


@pytest.mark.parametrize("params, field", [
    ({"updated_since": "yesterday"}, "updated_since"),
    ({"category": "abc"}, "category"),
    ({"category": "٣"}, "category"),
    ({"supplier": str(2**63)}, "supplier"),
    ({"ordering": "password"}, "ordering"),
    ({"active": "perhaps"}, "active"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "201"}, "page_size"),
    ({"page_size": "٣"}, "page_size"),
    ({"q": "x" * 101}, "q"),
])
def test_a_bad_filter_is_a_400_naming_it(api_as, community, owner, params, field):
    assert_error(api_as(owner.user).get(url(community.slug, "products"), params), 400, fields=[field])


def test_members_asking_for_products_off_sale_still_see_none(api_as, community, member):
    ProductFactory(community=community, name="Retired", is_active=False)
    response = api_as(member.user).get(url(community.slug, "products"), {"active": "false"})
    assert response.status_code == 200 and response.json()["results"] == []
