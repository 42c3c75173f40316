"""Running the catalog through the API: categories and suppliers (create, change, delete) and
products (retire, restore), as the owner, an admin, a leader, a member and a stranger."""

from decimal import Decimal

import pytest

from catalog.models import Category, Product, Supplier
from communities.models import Role
from core.models import AuditLog
from tests.api import assert_error, url
from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory
from tests.factories import CommunityFactory, MembershipFactory

pytestmark = pytest.mark.django_db

MANAGERS = [Role.OWNER, Role.ADMIN, Role.LEADER]


@pytest.fixture
def fruit(community):
    return CategoryFactory(community=community, name="Fruit", position=1)


@pytest.fixture
def farm(community):
    return SupplierFactory(community=community, name="Hill farm", phone="13800000000")


@pytest.fixture
def peach(community, fruit, farm):
    return ProductFactory(community=community, name="Peach", list_price=Decimal("19.90"), category=fruit,
                          supplier=farm)


def as_role(api_as, community, role):
    return api_as(community.memberships.get(role=role).user)


def catalog_state(community):
    return (sorted(Category.objects.filter(community=community).values_list("id", "name", "position")),
            sorted(Supplier.objects.filter(community=community).values_list(
                "id", "name", "contact_name", "phone", "email", "notes")),
            sorted(Product.objects.filter(community=community).values_list(
                "id", "name", "is_active", "category_id", "supplier_id")),
            AuditLog.objects.filter(community=community).count())


# Categories ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", MANAGERS)
def test_managers_create_change_and_delete_a_category(api_as, community, role, peach, fruit):
    client = as_role(api_as, community, role)

    created = client.post(url(community.slug, "categories"), {"name": " Greens ", "position": 3}, format="json")
    assert created.status_code == 201, created.content
    assert created.json() == {"id": created.json()["id"], "name": "Greens", "position": 3, "product_count": 0,
                              "updated_at": created.json()["updated_at"]}

    changed = client.patch(url(community.slug, "categories", fruit.pk), {"name": "Stone fruit"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json() == {"id": fruit.pk, "name": "Stone fruit", "position": 1, "product_count": 1,
                              "updated_at": changed.json()["updated_at"]}
    assert changed.json()["updated_at"] > created.json()["updated_at"]

    assert client.delete(url(community.slug, "categories", fruit.pk)).status_code == 204
    assert not Category.objects.filter(pk=fruit.pk).exists()
    peach.refresh_from_db()
    assert peach.category is None  # the product stays, without a category
    assert set(AuditLog.objects.filter(community=community, action__startswith="category.")
               .values_list("action", flat=True)) == {"category.created", "category.updated", "category.deleted"}


def test_category_rules_are_the_services(api_as, community, owner, fruit):
    client = api_as(owner.user)
    before = catalog_state(community)
    endpoint = url(community.slug, "categories")
    assert_error(client.post(endpoint, {"name": "Fruit"}, format="json"), 409, code="duplicate_category",
                 fields=["name"])
    assert_error(client.post(endpoint, {"name": "   "}, format="json"), 400, fields=["name"])
    assert_error(client.post(endpoint, {}, format="json"), 400, fields=["name"])
    assert_error(client.post(endpoint, {"name": "x" * 61}, format="json"), 400, fields=["name"])
    assert_error(client.post(endpoint, {"name": "a\x00b"}, format="json"), 400, fields=["name"])
    assert_error(client.post(endpoint, {"name": "Nuts", "position": -1}, format="json"), 400, fields=["position"])
    assert_error(client.post(endpoint, {"name": "Nuts", "position": 10**30}, format="json"), 400, fields=["position"])
    assert_error(client.post(endpoint, {"name": "Nuts", "position": "first"}, format="json"), 400,
                 fields=["position"])
    other = CategoryFactory(community=community, name="Greens")
    before = catalog_state(community)
    assert_error(client.patch(url(community.slug, "categories", other.pk), {"name": "Fruit"}, format="json"), 409,
                 fields=["name"])
    assert_error(client.patch(url(community.slug, "categories", 999999), {"name": "x"}, format="json"), 404)
    assert catalog_state(community) == before


# Suppliers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", MANAGERS)
def test_managers_add_read_change_and_delete_a_supplier(api_as, community, role, farm):
    client = as_role(api_as, community, role)

    created = client.post(url(community.slug, "suppliers"), {"name": "Lake fishery", "email": ""}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "Lake fishery" and body["email"] is None and body["product_count"] == 0

    changed = client.patch(url(community.slug, "suppliers", farm.pk),
                           {"contact_name": "Mr Li", "email": "li@example.com"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["contact_name"] == "Mr Li" and changed.json()["phone"] == "13800000000"
    assert client.get(url(community.slug, "suppliers", farm.pk)).json()["email"] == "li@example.com"

    assert client.delete(url(community.slug, "suppliers", body["id"])).status_code == 204
    assert not Supplier.objects.filter(pk=body["id"]).exists()


def test_a_supplier_products_come_from_is_not_deleted(api_as, community, owner, peach, farm):
    before = catalog_state(community)
    assert_error(api_as(owner.user).delete(url(community.slug, "suppliers", farm.pk)), 409, code="supplier_in_use")
    assert catalog_state(community) == before


def test_supplier_rules_are_the_services(api_as, community, owner, farm):
    client = api_as(owner.user)
    before = catalog_state(community)
    endpoint = url(community.slug, "suppliers")
    assert_error(client.post(endpoint, {"name": "Hill farm"}, format="json"), 409, code="duplicate_supplier")
    assert_error(client.post(endpoint, {"name": "New", "email": "not-an-address"}, format="json"), 400,
                 fields=["email"])
    assert_error(client.post(endpoint, {"name": "x" * 81}, format="json"), 400, fields=["name"])
    assert_error(client.post(endpoint, {"name": "New", "phone": "1" * 31}, format="json"), 400, fields=["phone"])
    assert_error(client.post(endpoint, {"name": "New", "notes": "a\x00"}, format="json"), 400, fields=["notes"])
    assert_error(client.post(endpoint, {"name": ["a"]}, format="json"), 400, fields=["name"])
    assert_error(client.patch(url(community.slug, "suppliers", farm.pk), {"name": ""}, format="json"), 400,
                 fields=["name"])
    assert catalog_state(community) == before


# Products: retire and restore ----------------------------------------------------------------

@pytest.mark.parametrize("role", MANAGERS)
def test_managers_retire_and_restore_a_product(api_as, community, role, member, peach):
    client = as_role(api_as, community, role)

    retired = client.post(url(community.slug, "products", peach.pk, "retire"))
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    assert [p["id"] for p in client.get(url(community.slug, "products"), {"active": "false"}).json()["results"]] == [
        peach.pk]
    assert_error(api_as(member.user).get(url(community.slug, "products", peach.pk)), 404)
    assert client.post(url(community.slug, "products", peach.pk, "retire")).json()["is_active"] is False

    restored = client.post(url(community.slug, "products", peach.pk, "restore"))
    assert restored.status_code == 200 and restored.json()["is_active"] is True
    assert api_as(member.user).get(url(community.slug, "products", peach.pk)).status_code == 200
    assert AuditLog.objects.filter(community=community, action="product.updated").count() == 2


def test_a_product_change_through_the_api_is_checked_by_the_service(api_as, community, leader, peach):
    client = api_as(leader.user)
    before = catalog_state(community)
    endpoint = url(community.slug, "products", peach.pk)
    assert_error(client.patch(endpoint, {"list_price": "1" * 40}, format="json"), 400, fields=["list_price"])
    assert_error(client.patch(endpoint, {"stock": 10**12}, format="json"), 400, fields=["stock"])
    assert_error(client.patch(endpoint, {"name": "x" * 121}, format="json"), 400, fields=["name"])
    assert_error(client.patch(endpoint, {"is_active": "maybe"}, format="json"), 400, fields=["is_active"])
    assert catalog_state(community) == before


# Who may not ---------------------------------------------------------------------------------

def writes(community, fruit, farm, peach):
    slug = community.slug
    return [
        ("post", url(slug, "categories"), {"name": "Pwned"}),
        ("patch", url(slug, "categories", fruit.pk), {"name": "Pwned"}),
        ("delete", url(slug, "categories", fruit.pk), None),
        ("post", url(slug, "suppliers"), {"name": "Pwned"}),
        ("get", url(slug, "suppliers", farm.pk), None),
        ("patch", url(slug, "suppliers", farm.pk), {"name": "Pwned"}),
        ("delete", url(slug, "suppliers", farm.pk), None),
        ("post", url(slug, "products", peach.pk, "retire"), None),
        ("post", url(slug, "products", peach.pk, "restore"), None),
        ("patch", url(slug, "products", peach.pk), {"name": "Pwned"}),
    ]


def send(client, method, path, body):
    return client.get(path) if method == "get" else getattr(client, method)(path, body, format="json")


def test_a_member_is_refused_every_catalog_write_and_nothing_changes(api_as, community, member, fruit, farm, peach):
    client = api_as(member.user)
    before = catalog_state(community)
    for method, path, body in writes(community, fruit, farm, peach):
        assert_error(send(client, method, path, body), 403)
    assert catalog_state(community) == before


def test_a_stranger_or_another_communitys_owner_sees_nothing(api, api_as, community, outsider, fruit, farm, peach):
    elsewhere = CommunityFactory()
    other_owner = MembershipFactory(community=elsewhere, role=Role.OWNER)
    before = catalog_state(community)
    for method, path, body in writes(community, fruit, farm, peach):
        assert_error(send(api_as(outsider), method, path, body), 404)
        assert_error(send(api_as(other_owner.user), method, path, body), 404)
        assert send(api, method, path, body).status_code in (401, 403)
    # Their own community's address with this community's ids: unknown there.
    for method, path, body in writes(elsewhere, fruit, farm, peach):
        if path.rstrip("/").split("/")[-1] not in ("categories", "suppliers"):
            assert_error(send(api_as(other_owner.user), method, path, body), 404)
    assert catalog_state(community) == before
