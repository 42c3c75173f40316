"""Partner API, catalog: connected communities, products pushed by SKU, stock, photos."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from catalog import services as catalog
from catalog import supplier_push
from catalog.models import Product, ProductImage, Supplier
from core.models import AuditLog
from partners import services
from tests.api import assert_error
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory

APPLE = {"name": "Fuji apples", "unit": "box", "list_price": "38.50", "description": "5 kg", "stock": 40,
         "consumption_cycle_days": 7, "low_stock_threshold": 5}


def products_url(community_id):
    return reverse("api-partner-products", kwargs={"community_id": community_id})


def product_url(community_id, sku):
    return reverse("api-partner-product", kwargs={"community_id": community_id, "sku": sku})


def stock_url(community_id, sku):
    return reverse("api-partner-product-stock", kwargs={"community_id": community_id, "sku": sku})


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def client(connection, make_key, key_client):
    return key_client(make_key()[1])


@pytest.fixture
def no_review(connection, owner):
    return services.connection_set_review(actor=owner, connection=connection, review_products=False)


def png(size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "apple.png"
    return buffer


def other_partner(community, owner, name="Blue Farm"):
    """A second partner, connected to ``community`` too: its own supplier there."""
    user = UserFactory()
    partner = services.partner_create(user=user, name=name, contact_email="blue@example.com")
    staff = partner.staff.get()
    asked = services.connection_request(actor=staff, community=community)
    connection = services.connection_decide(actor=owner, connection=asked, accept=True)
    return staff, connection


def connect(staff, community):
    """``staff``'s partner connected to ``community`` too (asked, accepted by its owner)."""
    owner = MembershipFactory(community=community, role="owner")
    asked = services.connection_request(actor=staff, community=community)
    services.connection_decide(actor=owner, connection=asked, accept=True)
    return community


# Communities ----------------------------------------------------------------------------------

def test_communities_lists_the_connections_the_key_reaches(community, connection, staff, make_key, key_client,
                                                            owner):
    elsewhere = connect(staff, CommunityFactory())
    unconnected = CommunityFactory()

    body = key_client(make_key(scopes=["read_orders"])[1]).get(reverse("api-partner-communities")).json()
    assert [row["community"]["id"] for row in body["results"]] == sorted([community.pk, elsewhere.pk])
    assert body["results"][0]["status"] == "active"
    assert body["results"][0]["review_products"] is True
    assert unconnected.pk not in [row["community"]["id"] for row in body["results"]]

    limited = key_client(make_key(community_ids=[elsewhere.pk])[1]).get(reverse("api-partner-communities")).json()
    assert [row["community"]["id"] for row in limited["results"]] == [elsewhere.pk]


def test_communities_needs_a_key(community, connection, api):
    assert api.get(reverse("api-partner-communities")).status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Bearer sqp_live_nope_nope")
    assert api.get(reverse("api-partner-communities")).status_code == 401


# Push -----------------------------------------------------------------------------------------

def test_pushing_the_same_sku_twice_makes_one_product(community, connection, client):
    first = client.put(product_url(community.pk, "APPLE-1"), APPLE, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["sku"] == "APPLE-1" and first.json()["list_price"] == "38.50"
    second = client.put(product_url(community.pk, "APPLE-1"), {**APPLE, "list_price": "36.00"}, format="json")
    assert second.status_code == 200, second.content
    assert second.json()["id"] == first.json()["id"]
    product = Product.objects.get(community=community, supplier_sku="APPLE-1")
    assert product.supplier_id == connection.supplier_id
    assert product.list_price == pytest.approx(36) and product.stock == 40 and product.low_stock_threshold == 5
    # The very same body again: nothing changes, no audit row.
    audit_rows = AuditLog.objects.count()
    updated_at = product.updated_at
    again = client.put(product_url(community.pk, "APPLE-1"), {**APPLE, "list_price": "36.00"}, format="json")
    assert again.status_code == 200
    assert Product.objects.filter(community=community).count() == 1
    assert AuditLog.objects.count() == audit_rows
    assert Product.objects.get().updated_at == updated_at
    entry = AuditLog.objects.filter(action="product.created").get()
    assert entry.actor_id is None and entry.data["partner"] == "Green Farm"


def test_an_update_changes_only_the_fields_sent(community, connection, client):
    client.put(product_url(community.pk, "A"), APPLE, format="json")
    response = client.put(product_url(community.pk, "A"), {"stock": 3}, format="json")
    assert response.status_code == 200
    product = Product.objects.get()
    assert (product.name, product.stock, product.unit) == ("Fuji apples", 3, "box")


def test_a_new_sku_needs_name_unit_and_price(community, connection, client):
    body = assert_error(client.put(product_url(community.pk, "NEW"), {"stock": 3}, format="json"), 400,
                        fields=("name", "unit", "list_price"))
    assert body["code"] == "invalid"
    assert not Product.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_pushes_of_a_new_sku_make_one_product(community, connection):
    def push(i):
        return supplier_push.product_push(community=community, supplier=connection.supplier, sku="PEAR-9",
                                          fields={**APPLE, "name": f"Pear {i}"}, review_required=True,
                                          partner_name="Green Farm")

    for _round in range(3):
        results = run_at_once(2, push)
        assert not any(isinstance(r, Exception) for r in results), results
        assert Product.objects.filter(community=community, supplier_sku="PEAR-9").count() == 1
    assert sorted(created for _product, created in results) == [False, False]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_first_pushes_one_creates_one_updates(community, connection):
    def push(i):
        return supplier_push.product_push(community=community, supplier=connection.supplier, sku=f"NEW-{n}",
                                          fields={**APPLE, "stock": i}, review_required=False,
                                          partner_name="Green Farm")

    for n in range(3):
        results = run_at_once(2, push)
        assert not any(isinstance(r, Exception) for r in results), results
        assert sorted(created for _product, created in results) == [False, True]
        assert Product.objects.filter(supplier_sku=f"NEW-{n}").count() == 1


def test_a_pushed_product_waits_for_review_before_it_is_sold(community, connection, client, owner, api_as, member):
    response = client.put(product_url(community.pk, "EGG"), {**APPLE, "available": True}, format="json")
    assert response.status_code == 201
    assert response.json()["review"] == "pending" and response.json()["on_sale"] is False
    product = Product.objects.get()
    assert not product.is_active
    # The partner cannot put it on sale itself.
    client.put(product_url(community.pk, "EGG"), {"available": True, "name": "Eggs"}, format="json")
    product.refresh_from_db()
    assert (product.review, product.is_active) == ("pending", False)
    members_see = api_as(member.user).get(f"/api/v1/communities/{community.slug}/products/").json()["results"]
    assert product.pk not in [p["id"] for p in members_see]

    catalog.product_review(actor=owner, product=product, approve=True)
    product.refresh_from_db()
    assert (product.review, product.is_active) == ("approved", True)
    members_see = api_as(member.user).get(f"/api/v1/communities/{community.slug}/products/").json()["results"]
    assert product.pk in [p["id"] for p in members_see]
    # Approved: the partner withdraws it and offers it again.
    assert client.put(product_url(community.pk, "EGG"), {"available": False}, format="json").json()["on_sale"] is False
    assert client.put(product_url(community.pk, "EGG"), {"available": True}, format="json").json()["on_sale"] is True


def test_a_rejected_product_changed_by_the_partner_goes_back_to_review(community, connection, client, owner):
    client.put(product_url(community.pk, "EGG"), APPLE, format="json")
    catalog.product_review(actor=owner, product=Product.objects.get(), approve=False)
    unchanged = client.put(product_url(community.pk, "EGG"), {**APPLE, "available": True}, format="json").json()
    assert (unchanged["review"], unchanged["on_sale"]) == ("rejected", False)
    changed = client.put(product_url(community.pk, "EGG"), {"name": "Better apples", "available": True},
                         format="json").json()
    assert (changed["review"], changed["on_sale"]) == ("pending", False)


def test_without_review_a_pushed_product_is_on_sale_when_available(community, no_review, client):
    body = client.put(product_url(community.pk, "A"), APPLE, format="json").json()
    assert (body["review"], body["on_sale"]) == ("approved", True)
    body = client.put(product_url(community.pk, "B"), {**APPLE, "available": False}, format="json").json()
    assert (body["review"], body["on_sale"]) == ("approved", False)


@pytest.mark.parametrize("field, value", [
    ("name", "x" * 121), ("name", ""), ("name", "Ap\x00ple"), ("unit", "u" * 17), ("description", "d" * 5001),
    ("list_price", "-1.00"), ("list_price", "１２"), ("list_price", "1e400"), ("list_price", "12.345"),
    ("list_price", "NaN"), ("list_price", "99999999999"), ("stock", -1), ("stock", 100_000_001), ("stock", "１２"),
    ("stock", 2**40), ("consumption_cycle_days", 0), ("consumption_cycle_days", "７"),
    ("low_stock_threshold", -3), ("available", "maybe"),
])
def test_bad_values_are_refused_and_nothing_is_stored(community, connection, client, field, value):
    body = assert_error(client.put(product_url(community.pk, "A"), {**APPLE, field: value}, format="json"), 400,
                        fields=(field,))
    assert body["code"] == "invalid"
    assert not Product.objects.exists()


def test_bad_values_leave_an_existing_product_as_it_was(community, connection, client):
    client.put(product_url(community.pk, "A"), APPLE, format="json")
    assert_error(client.put(product_url(community.pk, "A"), {"name": "New", "list_price": "-5"}, format="json"), 400,
                 fields=("list_price",))
    assert Product.objects.get().name == "Fuji apples"


@pytest.mark.parametrize("sku", ["A B", "苹果", "x" * 65, "A\tB", "１２", "A%2B"])
def test_a_bad_sku_is_refused(community, connection, client, sku):
    url = products_url(community.pk) + sku.replace(" ", "%20").replace("\t", "%09") + "/"
    assert_error(client.put(url, APPLE, format="json"), 400, code="invalid_sku", fields=("sku",))
    assert_error(client.get(url), 400, code="invalid_sku")
    assert_error(client.put(url + "stock/", {"stock": 1}, format="json"), 400, code="invalid_sku")
    assert not Product.objects.exists()


def test_a_nul_in_the_sku_is_refused(community, connection, client):
    assert_error(client.put(products_url(community.pk) + "A%00B/", APPLE, format="json"), 400)
    assert not Product.objects.exists()


def test_the_service_refuses_a_bad_sku_too(community, connection):
    for sku in ("", " A", "A\x00", "é", "x" * 65, None, 12):
        with pytest.raises(supplier_push.ValidationFailed):
            supplier_push.product_push(community=community, supplier=connection.supplier, sku=sku, fields=APPLE,
                                       review_required=False, partner_name="p")
    assert not Product.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(community, connection, client):
    assert_error(client.put(product_url(community.pk, "A"), [1, 2], format="json"), 400)
    response = client.put(product_url(community.pk, "A"), "{not json", content_type="application/json")
    assert_error(response, 400)
    assert not Product.objects.exists()


# Batch ----------------------------------------------------------------------------------------

def test_a_batch_push_is_all_or_nothing(community, connection, client):
    url = products_url(community.pk)
    body = assert_error(client.put(url, {"products": [{**APPLE, "sku": "A"}, {**APPLE, "sku": "B",
                                                                             "list_price": "-1"}]}, format="json"),
                        400, fields=("products.1.list_price",))
    assert body["code"] == "invalid"
    assert not Product.objects.exists()
    ok = client.put(url, {"products": [{**APPLE, "sku": "B"}, {**APPLE, "sku": "A"}]}, format="json")
    assert ok.status_code == 200, ok.content
    assert (ok.json()["created"], ok.json()["updated"]) == (2, 0)
    assert [p["sku"] for p in ok.json()["products"]] == ["B", "A"]
    again = client.put(url, {"products": [{"sku": "A", "stock": 1}, {"sku": "C", "stock": 1}]}, format="json")
    body = assert_error(again, 400, fields=("products.1.name",))
    assert Product.objects.get(supplier_sku="A").stock == 40
    dupes = client.put(url, {"products": [{**APPLE, "sku": "D"}, {**APPLE, "sku": "D"}]}, format="json")
    assert_error(dupes, 400, fields=("products.1.sku",))
    assert_error(client.put(url, {"products": []}, format="json"), 400, fields=("products",))
    assert_error(client.put(url, {"products": [{**APPLE, "sku": f"S{i}"} for i in range(101)]}, format="json"), 400,
                 fields=("products",))
    assert Product.objects.count() == 2


# Reading --------------------------------------------------------------------------------------

def test_list_syncs_with_updated_since_and_pages(community, connection, client, partner_product):
    for n in range(5):
        partner_product(sku=f"P{n}")
    ProductFactory(community=community, supplier=Supplier.objects.create(community=community, name="Other"))
    Product.objects.filter(supplier_sku="P0").update(updated_at=timezone.now() - timedelta(days=2))
    url = products_url(community.pk)
    page = client.get(url, {"page_size": 2}).json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]
    assert page["results"][0]["sku"] == "P0"
    seen = []
    next_url = url + "?page_size=2"
    while next_url:
        body = client.get(next_url).json()
        seen += [p["sku"] for p in body["results"]]
        next_url = body["next"]
    assert sorted(seen) == [f"P{n}" for n in range(5)]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    recent = client.get(url, {"updated_since": since}).json()
    assert sorted(p["sku"] for p in recent["results"]) == ["P1", "P2", "P3", "P4"]
    assert_error(client.get(url, {"updated_since": "２０２６-01-01"}), 400, fields=("updated_since",))
    assert_error(client.get(url, {"page_size": "1000"}), 400, fields=("page_size",))


def test_get_one_product_by_sku(community, connection, client, partner_product):
    partner_product(sku="P.1_x-Y")
    body = client.get(product_url(community.pk, "P.1_x-Y")).json()
    assert body["sku"] == "P.1_x-Y" and body["review"] == "approved" and body["on_sale"] is True
    assert_error(client.get(product_url(community.pk, "NOPE")), 404, code="product_not_found")


# Stock ----------------------------------------------------------------------------------------

def test_stock_is_set_absolutely(community, connection, client, partner_product):
    partner_product(sku="A", stock=10)
    url = stock_url(community.pk, "A")
    assert client.put(url, {"stock": 7}, format="json").json()["stock"] == 7
    assert client.put(url, {"stock": 7}, format="json").json()["stock"] == 7
    assert Product.objects.get().stock == 7
    assert client.put(url, {"stock": None}, format="json").json()["stock"] is None
    for bad in (-1, 100_000_001, "１２", "x", 2**40, True):
        assert_error(client.put(url, {"stock": bad}, format="json"), 400, fields=("stock",))
    assert_error(client.put(url, {}, format="json"), 400, fields=("stock",))
    assert Product.objects.get().stock is None
    assert_error(client.put(stock_url(community.pk, "NOPE"), {"stock": 1}, format="json"), 404)


def test_service_stock_bounds(community, connection, partner_product):
    partner_product(sku="A", stock=10)
    for bad in (-1, catalog.MAX_STOCK + 1, "3", 1.5, True):
        with pytest.raises(supplier_push.ValidationFailed):
            supplier_push.product_set_stock(community=community, supplier=connection.supplier, sku="A", stock=bad)
    assert Product.objects.get().stock == 10


# Photos ---------------------------------------------------------------------------------------

def test_photos_are_uploaded_and_removed(community, connection, client, partner_product):
    product = partner_product(sku="A")
    url = reverse("api-partner-product-images", kwargs={"community_id": community.pk, "sku": "A"})
    response = client.post(url, {"image": png()}, format="multipart")
    assert response.status_code == 201, response.content
    image_id = response.json()["id"]
    assert client.get(product_url(community.pk, "A")).json()["images"][0]["id"] == image_id
    not_image = io.BytesIO(b"not an image at all")
    not_image.name = "x.png"
    assert_error(client.post(url, {"image": not_image}, format="multipart"), 400, fields=("image",))
    assert_error(client.post(url, {}, format="multipart"), 400, fields=("image",))
    # A photo of another product of the community is not the partner's to remove.
    other = ProductFactory(community=community)
    foreign = ProductImage.objects.create(community=community, product=other, image="x.png", thumbnail="y.png")
    foreign_url = reverse("api-partner-product-image", kwargs={"community_id": community.pk, "sku": "A",
                                                               "image_id": foreign.pk})
    assert_error(client.delete(foreign_url), 404)
    assert ProductImage.objects.filter(pk=foreign.pk).exists()
    mine = reverse("api-partner-product-image", kwargs={"community_id": community.pk, "sku": "A",
                                                        "image_id": image_id})
    assert client.delete(mine).status_code == 204
    assert not product.images.exists()
    assert_error(client.delete(mine), 404)


def test_at_most_nine_photos(community, connection, client, partner_product):
    partner_product(sku="A")
    url = reverse("api-partner-product-images", kwargs={"community_id": community.pk, "sku": "A"})
    for _n in range(catalog.MAX_IMAGES_PER_PRODUCT):
        assert client.post(url, {"image": png()}, format="multipart").status_code == 201
    assert_error(client.post(url, {"image": png()}, format="multipart"), 400, code="too_many_images")


# Scopes and reach -----------------------------------------------------------------------------

def test_a_read_key_cannot_push(community, connection, make_key, key_client, partner_product):
    partner_product(sku="A")
    reader = key_client(make_key(scopes=["read_products"])[1])
    assert reader.get(product_url(community.pk, "A")).status_code == 200
    for response in (reader.put(product_url(community.pk, "A"), APPLE, format="json"),
                     reader.put(products_url(community.pk), {"products": [{**APPLE, "sku": "A"}]}, format="json"),
                     reader.put(stock_url(community.pk, "A"), {"stock": 1}, format="json"),
                     reader.post(reverse("api-partner-product-images", kwargs={"community_id": community.pk,
                                                                               "sku": "A"}),
                                 {"image": png()}, format="multipart")):
        body = assert_error(response, 403, code="missing_scope")
        assert "write_products" in body["message"]
    rounds_only = key_client(make_key(scopes=["read_rounds"])[1])
    body = assert_error(rounds_only.get(products_url(community.pk)), 403, code="missing_scope")
    assert "read_products" in body["message"]
    writer = key_client(make_key(scopes=["write_products"])[1])
    assert writer.get(products_url(community.pk)).status_code == 200  # write implies read
    assert Product.objects.get().name == "Product A"


def test_keys_reach_only_their_partners_connected_communities(community, connection, owner, staff, make_key,
                                                              key_client, partner_product):
    partner_product(sku="A")
    other_staff, _other = other_partner(community, owner)
    other_key = services.api_key_create(actor=other_staff, name="ERP", scopes=["write_products"])[1]
    other = key_client(other_key)
    # Same community, another partner: our SKU does not exist for it, and its push makes its own product.
    assert_error(other.get(product_url(community.pk, "A")), 404, code="product_not_found")
    assert other.get(products_url(community.pk)).json()["count"] == 0
    assert other.put(product_url(community.pk, "A"), APPLE, format="json").status_code == 201
    assert Product.objects.filter(supplier_sku="A").count() == 2
    assert Product.objects.get(supplier_id=connection.supplier_id).name == "Product A"

    unconnected = CommunityFactory()
    elsewhere = connect(staff, CommunityFactory())
    limited = key_client(make_key(community_ids=[elsewhere.pk])[1])
    mine = key_client(make_key()[1])
    for client_, community_id in ((mine, unconnected.pk), (limited, community.pk), (mine, 2**63 + 5)):
        for response in (client_.get(products_url(community_id)), client_.get(product_url(community_id, "A")),
                         client_.put(product_url(community_id, "A"), APPLE, format="json"),
                         client_.put(stock_url(community_id, "A"), {"stock": 1}, format="json")):
            assert_error(response, 404, code="community_not_found")


def test_an_ended_connection_is_gone(community, connection, owner, client, partner_product):
    partner_product(sku="A")
    services.connection_end(connection=connection, by_member=owner)
    assert_error(client.get(products_url(community.pk)), 404, code="community_not_found")
    assert_error(client.put(product_url(community.pk, "A"), APPLE, format="json"), 404)


def test_a_revoked_key_is_refused(community, connection, staff, make_key, key_client):
    api_key, key = make_key()
    services.api_key_revoke(actor=staff, api_key=api_key)
    assert key_client(key).put(product_url(community.pk, "A"), APPLE, format="json").status_code == 401
    assert not Product.objects.exists()
