"""REST API for the catalog: /api/v1/communities/<slug>/products/, categories/, suppliers/."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from catalog import services
from catalog.models import Product
from tests.catalog.conftest import image_bytes, pdf_named_jpg
from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory

from tests.api import assert_error, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def peach(community):
    return ProductFactory(community=community, name="Peach", unit="斤", list_price=Decimal("19.90"), stock=50,
                          category=CategoryFactory(community=community, name="Fruit"),
                          supplier=SupplierFactory(community=community, name="Hill farm"),
                          consumption_cycle_days=7)


def test_members_list_products_on_sale_with_the_documented_shape(api_as, community, member, leader, peach):
    ProductFactory(community=community, name="Old tea", is_active=False)
    services.product_image_add(actor=leader, product=peach, upload=image_bytes())

    response = api_as(member.user).get(url(community.slug, "products"))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert set(row) == {"id", "name", "description", "unit", "list_price", "currency", "stock", "category",
                        "supplier", "consumption_cycle_days", "is_active", "images", "updated_at"}
    assert row["list_price"] == "19.90" and row["currency"] == "CNY" and row["stock"] == 50
    assert row["category"] == {"id": peach.category_id, "name": "Fruit"}
    assert row["supplier"] == {"id": peach.supplier_id, "name": "Hill farm"}
    assert row["consumption_cycle_days"] == 7 and row["is_active"] is True
    [image] = row["images"]
    assert set(image) == {"id", "url", "thumbnail_url", "width", "height"}
    assert image["url"].startswith("http://testserver/media/") and image["thumbnail_url"] != image["url"]
    assert (image["width"], image["height"]) == (800, 600)


def test_members_do_not_see_products_off_sale_even_by_id_or_filter(api_as, community, member):
    hidden = ProductFactory(community=community, is_active=False)
    client = api_as(member.user)
    assert_error(client.get(url(community.slug, "products", hidden.pk)), 404)
    assert client.get(url(community.slug, "products"), {"active": "false"}).json()["count"] == 0


def test_managers_see_everything_and_filter(api_as, community, leader, peach):
    tea = ProductFactory(community=community, name="Green tea", is_active=False, description="spring")
    client = api_as(leader.user)

    def names(**params):
        response = client.get(url(community.slug, "products"), params)
        assert response.status_code == 200, response.content
        return [row["name"] for row in response.json()["results"]]

    assert names() == ["Green tea", "Peach"]
    assert names(active="false") == ["Green tea"]
    assert names(active="true") == ["Peach"]
    assert names(q="spring") == ["Green tea"]
    assert names(category=str(peach.category_id)) == ["Peach"]
    assert names(supplier="none") == ["Green tea"]
    assert client.get(url(community.slug, "products", tea.pk)).json()["is_active"] is False
    assert_error(client.get(url(community.slug, "products"), {"category": "fruit"}), 400, fields=["category"])


def test_leader_creates_a_product(api_as, community, leader):
    category = CategoryFactory(community=community)
    response = api_as(leader.user).post(url(community.slug, "products"), {
        "name": "Rice", "unit": "袋", "list_price": "59.00", "stock": None, "category": category.pk,
        "consumption_cycle_days": 30}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    product = Product.objects.get(pk=body["id"])
    assert product.community == community and product.created_by == leader.user
    assert body["list_price"] == "59.00" and body["stock"] is None and body["category"]["id"] == category.pk
    assert body["supplier"] is None and body["images"] == [] and body["is_active"] is True


def test_member_cannot_create_change_or_upload(api_as, community, member, peach):
    client = api_as(member.user)
    assert_error(client.post(url(community.slug, "products"), {"name": "X", "unit": "件", "list_price": "1"},
                             format="json"), 403)
    assert_error(client.patch(url(community.slug, "products", peach.pk), {"list_price": "0"}, format="json"), 403)
    assert_error(client.post(url(community.slug, "products", peach.pk, "images"), {"image": image_bytes()},
                             format="multipart"), 403)
    assert_error(client.get(url(community.slug, "suppliers")), 403)
    assert Product.objects.count() == 1 and not peach.images.exists()
    peach.refresh_from_db()
    assert peach.list_price == Decimal("19.90")


@pytest.mark.parametrize("payload, field", [
    ({"unit": "件", "list_price": "1"}, "name"),
    ({"name": "X", "list_price": "1"}, "unit"),
    ({"name": "X", "unit": "件"}, "list_price"),
    ({"name": "X", "unit": "件", "list_price": "abc"}, "list_price"),
    ({"name": "X", "unit": "件", "list_price": "1.234"}, "list_price"),
    ({"name": "X", "unit": "件", "list_price": "-1"}, "list_price"),
    ({"name": "X", "unit": "件", "list_price": "1", "stock": -2}, "stock"),
    ({"name": "X", "unit": "件", "list_price": "1", "stock": "many"}, "stock"),
    ({"name": "X", "unit": "件", "list_price": "1", "consumption_cycle_days": 0}, "consumption_cycle_days"),
    ({"name": "X", "unit": "件", "list_price": "1", "category": 999999}, "category"),
    ({"name": "X", "unit": "件", "list_price": "1", "supplier": "farm"}, "supplier"),
])
def test_bad_input_is_400_with_the_field_named(api_as, community, admin_member, payload, field):
    response = api_as(admin_member.user).post(url(community.slug, "products"), payload, format="json")
    assert_error(response, 400, fields=[field])
    assert not Product.objects.exists()


def test_patch_changes_only_the_fields_given(api_as, community, admin_member, peach):
    supplier = SupplierFactory(community=community, name="Valley farm")
    client = api_as(admin_member.user)

    response = client.patch(url(community.slug, "products", peach.pk),
                            {"list_price": "17.5", "supplier": supplier.pk, "is_active": False}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["list_price"] == "17.50" and body["supplier"]["name"] == "Valley farm" and body["is_active"] is False
    peach.refresh_from_db()
    assert peach.name == "Peach" and peach.stock == 50 and peach.category.name == "Fruit"
    assert_error(client.patch(url(community.slug, "products", peach.pk), {"list_price": "-1"}, format="json"),
                 400, fields=["list_price"])
    assert_error(client.patch(url(community.slug, "products", peach.pk), {"stock": -1}, format="json"),
                 400, fields=["stock"])
    assert_error(client.patch(url(community.slug, "products", 999999), {"name": "x"}, format="json"), 404)
    peach.refresh_from_db()
    assert peach.list_price == Decimal("17.50") and peach.stock == 50


def test_upload_a_photo_then_remove_it(api_as, community, leader, peach):
    client = api_as(leader.user)
    response = client.post(url(community.slug, "products", peach.pk, "images"),
                           {"image": image_bytes(size=(2000, 1000), exif=True)}, format="multipart")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["width"], body["height"]) == (1600, 800)
    image = peach.images.get()
    with Image.open(image.image.path) as stored:
        assert not stored.getexif()
    with Image.open(image.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320
    detail = client.get(url(community.slug, "products", peach.pk)).json()
    assert [i["id"] for i in detail["images"]] == [body["id"]]

    assert client.delete(url(community.slug, "products", peach.pk, "images", image.pk)).status_code == 204
    assert not peach.images.exists()
    assert_error(client.delete(url(community.slug, "products", peach.pk, "images", image.pk)), 404)


def test_upload_refuses_non_images_and_missing_files(api_as, community, leader, peach, settings):
    client = api_as(leader.user)
    endpoint = url(community.slug, "products", peach.pk, "images")
    assert_error(client.post(endpoint, {"image": pdf_named_jpg()}, format="multipart"), 400, "invalid_image",
                 fields=["image"])
    assert_error(client.post(endpoint, {}, format="multipart"), 400, fields=["image"])
    assert_error(client.post(endpoint, {"image": "x"}, format="json"), 415)
    settings.IMAGE_MAX_BYTES = 50_000
    body = assert_error(client.post(endpoint, {"image": image_bytes("PNG", size=(300, 300), noise=True)},
                                    format="multipart", HTTP_ACCEPT_LANGUAGE="en"), 400, fields=["image"])
    assert "too large" in body["message"]
    assert not peach.images.exists()


def test_categories_for_members_and_suppliers_for_managers(api_as, community, member, leader, peach):
    ProductFactory(community=community, category=peach.category, is_active=False)
    as_member = api_as(member.user).get(url(community.slug, "categories")).json()
    assert [{k: v for k, v in row.items() if k != "updated_at"} for row in as_member["results"]] == [
        {"id": peach.category_id, "name": "Fruit", "position": 0, "product_count": 1}]
    as_leader = api_as(leader.user).get(url(community.slug, "categories")).json()
    assert as_leader["results"][0]["product_count"] == 2
    suppliers = api_as(leader.user).get(url(community.slug, "suppliers"))
    assert suppliers.status_code == 200
    assert [(s["name"], s["product_count"]) for s in suppliers.json()["results"]] == [("Hill farm", 1)]


def test_outsiders_and_anonymous_callers_are_refused(api, api_as, community, outsider, peach):
    assert api.get(url(community.slug, "products")).status_code in (401, 403)
    assert_error(api_as(outsider).get(url(community.slug, "products")), 404)
    assert_error(api_as(outsider).get(url(community.slug, "products", peach.pk)), 404)


@pytest.mark.parametrize("path", ["products", "categories", "suppliers"])
def test_list_query_count_does_not_grow_with_rows(api_as, community, owner, leader, path):
    def add_rows(n):
        for i in range(n):
            category = CategoryFactory(community=community)
            supplier = SupplierFactory(community=community)
            product = ProductFactory(community=community, category=category, supplier=supplier)
            services.product_image_add(actor=leader, product=product, upload=image_bytes(size=(32, 32)))

    def count_queries():
        client = api_as(owner.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(community.slug, path)).status_code == 200
        return len(queries)

    add_rows(2)
    few = count_queries()
    add_rows(10)
    assert count_queries() == few


def test_product_list_query_count_is_bounded(api_as, community, member, leader, django_assert_max_num_queries):
    for _ in range(20):
        product = ProductFactory(community=community, category=CategoryFactory(community=community))
        services.product_image_add(actor=leader, product=product, upload=image_bytes(size=(32, 32)))
    client = api_as(member.user)
    with django_assert_max_num_queries(6):
        response = client.get(url(community.slug, "products"))
    assert response.json()["count"] == 20


def test_schema_lists_the_catalog_api(api):
    text = api.get("/api/schema/").content.decode()
    for path in ("/api/v1/communities/{slug}/products/", "/api/v1/communities/{slug}/products/{id}/",
                 "/api/v1/communities/{slug}/products/{id}/images/", "/api/v1/communities/{slug}/categories/",
                 "/api/v1/communities/{slug}/suppliers/"):
        assert path in text
