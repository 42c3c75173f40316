"""The owner of community A can neither read nor change anything of community B's catalog."""

import pytest
from django.urls import URLPattern, get_resolver, reverse

from catalog import services
from catalog.models import Category, Product, ProductImage, Supplier
from core.models import AuditLog
from tests.catalog.conftest import image_bytes
from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory
from tests.factories import CommunityFactory, MembershipFactory

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "fields"}
SECRET = "B-secret-peach"


def catalog_page_patterns():
    """Every named console route of the catalog, found from the URLconf itself."""
    _prefix, sub = get_resolver().namespace_dict["catalog"]
    return [(f"catalog:{p.name}", p.pattern.converters) for p in sub.url_patterns if isinstance(p, URLPattern)]


def catalog_api_patterns():
    from catalog.api import urls

    return [(p.name, p.pattern.converters) for p in urls.urlpatterns]


def snapshot(community):
    return (
        sorted(Product.objects.filter(community=community).values_list(
            "id", "name", "description", "unit", "list_price", "stock", "category_id", "supplier_id",
            "consumption_cycle_days", "is_active", "updated_at")),
        sorted(ProductImage.objects.filter(community=community).values_list("id", "product_id", "image", "position")),
        sorted(Category.objects.filter(community=community).values_list("id", "name", "position")),
        sorted(Supplier.objects.filter(community=community).values_list("id", "name", "email", "notes")),
        AuditLog.objects.filter(community=community).count(),
    )


@pytest.fixture
def two_communities():
    a = CommunityFactory(name="Community A")
    owner_a = MembershipFactory(community=a, role="owner")
    ProductFactory(community=a, name="A's own product")
    b = CommunityFactory(name="Community B")
    owner_b = MembershipFactory(community=b, role="owner")
    category_b = CategoryFactory(community=b, name="B-secret-category")
    supplier_b = SupplierFactory(community=b, name="B-secret-supplier")
    product_b = ProductFactory(community=b, name=SECRET, category=category_b, supplier=supplier_b, stock=9)
    hidden_b = ProductFactory(community=b, name="B-hidden", is_active=False)
    image_b = services.product_image_add(actor=owner_b, product=product_b, upload=image_bytes())
    ids = {"pk": product_b.pk, "image_pk": image_b.pk}
    return {"a": a, "owner_a": owner_a, "b": b, "ids": ids, "category_b": category_b, "supplier_b": supplier_b,
            "product_b": product_b, "hidden_b": hidden_b}


# Anything a page or endpoint might take as input, pointing at B's rows.
def hostile_form(world):
    return {"action": "save", "name": "pwned", "unit": "件", "list_price": "0.01", "stock": "0", "initial-stock": "9",
            "category": world["category_b"].pk, "supplier": world["supplier_b"].pk, "pk": world["category_b"].pk,
            "position": "0", "email": "x@example.com", "images": [image_bytes()]}


def test_owner_of_a_cannot_reach_any_catalog_page_of_b(client, two_communities):
    world = two_communities
    a, b = world["a"], world["b"]
    before = snapshot(b)
    client.force_login(world["owner_a"].user)

    patterns = catalog_page_patterns()
    assert {name for name, _ in patterns} >= {"catalog:products", "catalog:product_new", "catalog:product_edit",
                                              "catalog:product_image_delete", "catalog:categories",
                                              "catalog:suppliers", "catalog:supplier_edit"}
    checked = 0
    for name, converters in patterns:
        kwargs = {key: world["ids"][key] for key in converters if key != "slug"}
        if name == "catalog:supplier_edit":
            kwargs["pk"] = world["supplier_b"].pk
        for slug, allowed in ((b.slug, (403, 404, 405)), (a.slug, (404, 405))):
            path = reverse(name, kwargs={"slug": slug, **kwargs})
            if slug == a.slug and len(kwargs) == 0:
                continue  # A's own list pages: checked below for what they show
            for action in ("save", "upload", "rename", "delete", "create"):
                data = {**hostile_form(world), "action": action}
                response = client.post(path, data)
                assert response.status_code in allowed, (name, slug, action, response.status_code)
                assert SECRET not in response.content.decode()
                checked += 1
            response = client.get(path)
            assert response.status_code in allowed, (name, slug, "get", response.status_code)
            assert SECRET not in response.content.decode() and "B-secret" not in response.content.decode()
    assert checked >= 40

    # A's own pages show nothing of B, and B's ids in filters find nothing.
    for name in ("catalog:products", "catalog:categories", "catalog:suppliers", "catalog:product_new"):
        page = client.get(reverse(name, args=[a.slug]), {"category": world["category_b"].pk})
        assert page.status_code == 200 and "B-secret" not in page.content.decode()
    listed = client.get(reverse("catalog:products", args=[a.slug]), {"supplier": world["supplier_b"].pk})
    assert list(listed.context["page"].object_list) == []
    # A product of A cannot be moved into B's category or supplier.
    own = Product.objects.get(community=a)
    response = client.post(reverse("catalog:product_edit", args=[a.slug, own.pk]), hostile_form(world))
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.category_id is None and own.supplier_id is None and own.name == "A's own product"
    # Creating in A with B's category is refused too.
    response = client.post(reverse("catalog:product_new", args=[a.slug]), hostile_form(world))
    assert response.status_code == 400 and Product.objects.filter(community=a).count() == 1

    assert snapshot(b) == before


def test_owner_of_a_cannot_read_or_change_b_through_the_api(api_as, two_communities):
    world = two_communities
    a, b = world["a"], world["b"]
    before = snapshot(b)
    client = api_as(world["owner_a"].user)
    payload = {"name": "pwned", "list_price": "0.01", "stock": 0, "unit": "件", "is_active": False}

    names = {name for name, _ in catalog_api_patterns()}
    assert names == {"api-products", "api-product", "api-product-images", "api-product-image", "api-categories",
                     "api-suppliers", "api-product-retire", "api-product-restore", "api-category",
                     "api-supplier"}  # a new endpoint must be added to the walk below
    ids = world["ids"]
    calls = []
    for slug in (b.slug, a.slug):
        base = f"/api/v1/communities/{slug}"
        calls += [
            ("get", f"{base}/products/{ids['pk']}/", None),
            ("get", f"{base}/products/{world['hidden_b'].pk}/", None),
            ("patch", f"{base}/products/{ids['pk']}/", payload),
            ("patch", f"{base}/products/{world['hidden_b'].pk}/", payload),
            ("post", f"{base}/products/{ids['pk']}/images/", {"image": image_bytes()}),
            ("delete", f"{base}/products/{ids['pk']}/images/{ids['image_pk']}/", None),
            ("post", f"{base}/products/{ids['pk']}/retire/", {}),
            ("post", f"{base}/products/{world['hidden_b'].pk}/restore/", {}),
            ("patch", f"{base}/categories/{world['category_b'].pk}/", {"name": "pwned"}),
            ("delete", f"{base}/categories/{world['category_b'].pk}/", None),
            ("get", f"{base}/suppliers/{world['supplier_b'].pk}/", None),
            ("patch", f"{base}/suppliers/{world['supplier_b'].pk}/", {"name": "pwned"}),
            ("delete", f"{base}/suppliers/{world['supplier_b'].pk}/", None),
        ]
        if slug == b.slug:
            calls += [
                ("get", f"{base}/products/", None),
                ("post", f"{base}/products/", payload),
                ("get", f"{base}/categories/", None),
                ("get", f"{base}/suppliers/", None),
                ("post", f"{base}/categories/", {"name": "pwned"}),
                ("post", f"{base}/suppliers/", {"name": "pwned"}),
            ]
    for method, path, data in calls:
        kwargs = {"format": "multipart" if "images" in path else "json"}
        response = getattr(client, method)(path, data, **kwargs) if data is not None else getattr(client, method)(path)
        assert response.status_code in (403, 404), (method, path, response.status_code, response.content)
        assert set(response.json()) == ERROR_KEYS
        assert "B-secret" not in response.content.decode() and SECRET not in response.content.decode()

    # A's own endpoints: nothing of B, and B's ids are unknown there.
    base = f"/api/v1/communities/{a.slug}"
    listed = client.get(f"{base}/products/", {"category": str(world["category_b"].pk)}).json()
    assert listed["count"] == 0
    assert "B-secret" not in client.get(f"{base}/categories/").content.decode()
    assert "B-secret" not in client.get(f"{base}/suppliers/").content.decode()
    own = Product.objects.get(community=a)
    for field, value in (("category", world["category_b"].pk), ("supplier", world["supplier_b"].pk)):
        response = client.patch(f"{base}/products/{own.pk}/", {field: value}, format="json")
        assert response.status_code == 400 and response.json()["fields"][field]
        response = client.post(f"{base}/products/", {**payload, field: value}, format="json")
        assert response.status_code == 400 and response.json()["fields"][field]
    own.refresh_from_db()
    assert own.category_id is None and own.supplier_id is None

    assert snapshot(b) == before
