"""Console pages of the catalog: what a leader or admin sees and what their clicks change."""

from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import Image

from catalog import services
from catalog.models import Category, Product, Supplier
from tests.catalog.conftest import image_bytes, pdf_named_jpg
from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def product_data(**overrides):
    data = {"action": "save", "name": "阳山水蜜桃", "description": "当季现摘", "unit": "斤", "list_price": "19.90",
            "stock": "100", "initial-stock": "", "category": "", "supplier": "", "consumption_cycle_days": "7",
            "is_active": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_leader_creates_a_product_and_lands_on_its_edit_page(client, community, leader):
    category = CategoryFactory(community=community, name="水果")
    supplier = SupplierFactory(community=community, name="东山果园")
    client.force_login(leader.user)

    response = client.post(reverse("catalog:product_new", args=[community.slug]),
                           product_data(category=category.pk, supplier=supplier.pk))

    product = Product.objects.get(community=community)
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:product_edit", args=[community.slug, product.pk])
    assert (product.name, product.list_price, product.stock, product.category, product.supplier) == (
        "阳山水蜜桃", Decimal("19.90"), 100, category, supplier)
    assert product.created_by == leader.user and product.consumption_cycle_days == 7 and product.is_active
    page = client.get(response["Location"])
    assert page.status_code == 200 and "阳山水蜜桃" in page.content.decode()


@pytest.mark.parametrize("overrides, field, words", [
    ({"list_price": "-3"}, "list_price", "negative"),
    ({"list_price": "1.999"}, "list_price", "2 decimal"),
    ({"stock": "-1"}, "stock", "negative"),
    ({"unit": ""}, "unit", "required"),
    ({"consumption_cycle_days": "0"}, "consumption_cycle_days", "days"),
])
def test_product_form_errors_are_shown_on_the_field(client, community, leader, overrides, field, words):
    client.force_login(leader.user)
    response = client.post(reverse("catalog:product_new", args=[community.slug]), product_data(**overrides), **EN)
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(words in error for error in errors), errors
    assert 'class="error"' in response.content.decode()
    assert not Product.objects.exists()


def test_category_of_another_community_cannot_be_chosen(client, community, leader):
    foreign = CategoryFactory(name="Foreign")
    client.force_login(leader.user)
    response = client.post(reverse("catalog:product_new", args=[community.slug]), product_data(category=foreign.pk))
    assert response.status_code == 400 and response.context["form"].errors["category"]
    assert "Foreign" not in response.content.decode()
    assert not Product.objects.exists()


def test_edit_saves_fields_and_keeps_stock_reserved_meanwhile(client, community, admin_member):
    product = ProductFactory(community=community, stock=10)
    client.force_login(admin_member.user)
    url = reverse("catalog:product_edit", args=[community.slug, product.pk])
    form = client.get(url).context["form"]
    assert form.initial["stock"] == 10
    services.product_reserve_stock(product_id=product.pk, quantity=4)  # a round published meanwhile

    response = client.post(url, product_data(name="Renamed", list_price="9.5", stock="10", **{"initial-stock": "10"},
                                             is_active=None))

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Renamed" and product.list_price == Decimal("9.50") and not product.is_active
    assert product.stock == 6  # the untouched stock field did not undo the reservation

    client.post(url, product_data(name="Renamed", stock="", **{"initial-stock": "6"}))
    product.refresh_from_db()
    assert product.stock is None  # edited: now unlimited


def test_edit_with_a_bad_price_shows_the_error_and_changes_nothing(client, community, leader):
    product = ProductFactory(community=community, name="Tea")
    client.force_login(leader.user)
    response = client.post(reverse("catalog:product_edit", args=[community.slug, product.pk]),
                           product_data(name="Renamed", list_price="-1"), **EN)
    assert response.status_code == 400 and "negative" in response.context["form"].errors["list_price"][0]
    product.refresh_from_db()
    assert product.name == "Tea"


def test_upload_photos_then_remove_one(client, community, leader):
    product = ProductFactory(community=community)
    client.force_login(leader.user)
    url = reverse("catalog:product_edit", args=[community.slug, product.pk])

    response = client.post(url, {"action": "upload", "images": [image_bytes(exif=True), image_bytes("PNG")]})

    assert response.status_code == 302
    images = list(product.images.all())
    assert len(images) == 2
    with Image.open(images[0].image.path) as stored:
        assert not stored.getexif()
    page = client.get(url).content.decode()
    assert images[0].thumbnail.url in page and images[1].thumbnail.url in page

    delete = reverse("catalog:product_image_delete", args=[community.slug, product.pk, images[0].pk])
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert list(product.images.all()) == [images[1]]


def test_upload_refuses_a_pdf_named_jpg_with_a_field_error(client, community, leader):
    product = ProductFactory(community=community)
    client.force_login(leader.user)
    response = client.post(reverse("catalog:product_edit", args=[community.slug, product.pk]),
                           {"action": "upload", "images": [pdf_named_jpg()]}, **EN)
    assert response.status_code == 400
    errors = response.context["images_form"].errors["images"]
    assert "photo.jpg" in errors[0] and "not an image" in errors[0]
    assert not product.images.exists()


def test_upload_refuses_an_oversized_file(client, community, leader, settings):
    settings.IMAGE_MAX_BYTES = 50_000
    product = ProductFactory(community=community)
    client.force_login(leader.user)
    response = client.post(reverse("catalog:product_edit", args=[community.slug, product.pk]),
                           {"action": "upload", "images": [image_bytes("PNG", size=(300, 300), noise=True)]}, **EN)
    assert response.status_code == 400 and "too large" in response.context["images_form"].errors["images"][0]
    assert not product.images.exists()


def test_product_list_search_and_filters(client, community, leader):
    fruit = CategoryFactory(community=community, name="Fruit")
    farm = SupplierFactory(community=community, name="Hill farm")
    peach = ProductFactory(community=community, name="Peach", category=fruit, supplier=farm, list_price="19.9")
    tea = ProductFactory(community=community, name="Green tea", description="Spring harvest", is_active=False)
    rice = ProductFactory(community=community, name="Rice", supplier=farm)
    client.force_login(leader.user)
    url = reverse("catalog:products", args=[community.slug])

    def names(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [p.name for p in response.context["page"].object_list]

    assert names() == ["Green tea", "Peach", "Rice"]
    assert names(q="harvest") == ["Green tea"]
    assert names(q="pea") == ["Peach"]
    assert names(category=fruit.pk) == ["Peach"]
    assert names(category="none") == ["Green tea", "Rice"]
    assert names(supplier=farm.pk) == ["Peach", "Rice"]
    assert names(active="1") == ["Peach", "Rice"]
    assert names(active="0") == ["Green tea"]
    assert names(category="abc") == []
    assert names(category="99999999999999999999999") == []
    page = client.get(url).content.decode()
    assert "¥19.90" in page and reverse("catalog:product_new", args=[community.slug]) in page
    assert reverse("catalog:product_edit", args=[community.slug, tea.pk]) in page
    assert peach and rice


def test_money_uses_the_community_currency(client, community, leader):
    community.currency = "USD"
    community.save()
    ProductFactory(community=community, list_price=Decimal("1234.5"))
    client.force_login(leader.user)
    page = client.get(reverse("catalog:products", args=[community.slug])).content.decode()
    assert "US$1,234.50" in page


def test_product_list_queries_do_not_grow_with_products(client, community, leader, django_assert_max_num_queries):
    from django.core.files.uploadedfile import SimpleUploadedFile

    category = CategoryFactory(community=community)
    supplier = SupplierFactory(community=community)
    client.force_login(leader.user)
    url = reverse("catalog:products", args=[community.slug])

    def add(n):
        for _ in range(n):
            product = ProductFactory(community=community, category=category, supplier=supplier)
            photo = image_bytes(size=(32, 32))
            services.product_image_add(actor=leader, product=product,
                                       upload=SimpleUploadedFile("p.jpg", photo.getvalue(), "image/jpeg"))

    add(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(15)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 17


def test_members_cannot_open_catalog_pages(client, community, member):
    product = ProductFactory(community=community)
    client.force_login(member.user)
    for name, args in [("catalog:products", []), ("catalog:product_new", []), ("catalog:product_edit", [product.pk]),
                       ("catalog:categories", []), ("catalog:suppliers", [])]:
        assert client.get(reverse(name, args=[community.slug, *args])).status_code == 403
    response = client.post(reverse("catalog:product_new", args=[community.slug]), product_data())
    assert response.status_code == 403
    assert Product.objects.count() == 1


def test_anonymous_visitors_are_sent_to_login(client, community):
    response = client.get(reverse("catalog:products", args=[community.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_categories_page_creates_renames_and_deletes(client, community, leader):
    client.force_login(leader.user)
    url = reverse("catalog:categories", args=[community.slug])

    assert client.post(url, {"action": "create", "name": "水果", "position": "1"}).status_code == 302
    duplicate = client.post(url, {"action": "create", "name": "水果"}, **EN)
    assert duplicate.status_code == 400 and duplicate.context["form"].errors["name"]
    fruit = Category.objects.get(community=community)
    product = ProductFactory(community=community, category=fruit)
    client.post(url, {"action": "rename", "pk": fruit.pk, "name": "时令水果", "position": "0"})
    fruit.refresh_from_db()
    assert (fruit.name, fruit.position) == ("时令水果", 0)
    page = client.get(url)
    assert [c.product_count for c in page.context["categories"]] == [1]

    client.post(url, {"action": "delete", "pk": fruit.pk})

    assert not Category.objects.filter(community=community).exists()
    product.refresh_from_db()
    assert product.category is None


def test_suppliers_page_creates_and_edits(client, community, leader):
    client.force_login(leader.user)
    url = reverse("catalog:suppliers", args=[community.slug])
    assert client.post(url, {"name": "东山果园", "contact_name": "老陈", "phone": "13900001111"}).status_code == 302
    supplier = Supplier.objects.get(community=community)
    bad = client.post(url, {"name": "东山果园"}, **EN)
    assert bad.status_code == 400 and bad.context["form"].errors["name"]

    edit = reverse("catalog:supplier_edit", args=[community.slug, supplier.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"action": "save", "name": "东山果园", "email": "chen@example.com"}).status_code == 302
    supplier.refresh_from_db()
    assert supplier.email == "chen@example.com" and supplier.contact_name == ""

    ProductFactory(community=community, supplier=supplier)
    response = client.post(edit, {"action": "delete"}, follow=True)
    assert any(m.level_tag == "error" for m in response.context["messages"])
    assert Supplier.objects.filter(pk=supplier.pk).exists()
