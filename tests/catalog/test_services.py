"""Catalog services: who may change the catalog, which values are refused and how."""

import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog import services
from catalog.models import Category, Product, ProductImage, Supplier
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from core.models import AuditLog
from tests.catalog.conftest import image_bytes, pdf_named_jpg
from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory
from tests.factories import CommunityFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def upload(buffer, content_type="image/jpeg"):
    return SimpleUploadedFile(buffer.name, buffer.getvalue(), content_type=content_type)


# Products ------------------------------------------------------------------------------------

def test_leader_creates_a_product_with_category_and_supplier(community, leader):
    category = CategoryFactory(community=community, name="水果")
    supplier = SupplierFactory(community=community, name="东山果园")

    product = services.product_create(
        actor=leader, name="  阳山水蜜桃 ", description="当季", unit="斤", list_price="19.9", stock=100,
        category=category, supplier=supplier, consumption_cycle_days=7)

    product.refresh_from_db()
    assert product.community == community and product.created_by == leader.user
    assert product.name == "阳山水蜜桃" and product.list_price == Decimal("19.90")
    assert (product.stock, product.category, product.supplier, product.consumption_cycle_days) == (
        100, category, supplier, 7)
    assert product.is_active
    log = AuditLog.objects.get(community=community, action="product.created")
    assert log.actor == leader.user and log.object_id == product.pk


def test_members_cannot_change_the_catalog(community, member):
    with pytest.raises(Forbidden):
        services.product_create(actor=member, name="Tea", unit="盒", list_price="10")
    with pytest.raises(Forbidden):
        services.category_create(actor=member, name="Tea")
    with pytest.raises(Forbidden):
        services.supplier_create(actor=member, name="Tea farm")
    assert not Product.objects.exists() and not Category.objects.exists() and not Supplier.objects.exists()


@pytest.mark.parametrize("fields, field", [
    ({"list_price": "-0.01"}, "list_price"),
    ({"list_price": "1.234"}, "list_price"),
    ({"list_price": "abc"}, "list_price"),
    ({"list_price": "NaN"}, "list_price"),
    ({"list_price": "Infinity"}, "list_price"),
    ({"list_price": "10000000000"}, "list_price"),
    ({"list_price": None}, "list_price"),
    ({"unit": "  "}, "unit"),
    ({"unit": "x" * 17}, "unit"),
    ({"name": ""}, "name"),
    ({"stock": -1}, "stock"),
    ({"stock": "5"}, "stock"),
    ({"stock": 2**31}, "stock"),
    ({"consumption_cycle_days": 0}, "consumption_cycle_days"),
    ({"consumption_cycle_days": -3}, "consumption_cycle_days"),
])
def test_bad_product_values_are_refused_on_their_field(community, leader, fields, field):
    values = {"name": "Tea", "unit": "盒", "list_price": "10", **fields}
    with pytest.raises(ValidationFailed) as error:
        services.product_create(actor=leader, **values)
    assert list(error.value.fields) == [field] and error.value.fields[field][0]
    assert not Product.objects.exists()


def test_all_bad_fields_are_reported_at_once(community, leader):
    with pytest.raises(ValidationFailed) as error:
        services.product_create(actor=leader, name="", unit="", list_price="-1", stock=-1)
    assert set(error.value.fields) == {"name", "unit", "list_price", "stock"}


def test_prices_keep_two_places_and_zero_is_allowed(community, leader):
    assert services.product_create(actor=leader, name="A", unit="件", list_price="7").list_price == Decimal("7.00")
    assert services.product_create(actor=leader, name="B", unit="件", list_price=Decimal("3.50")).list_price == \
        Decimal("3.50")
    assert services.product_create(actor=leader, name="C", unit="件", list_price="0").list_price == 0
    assert services.product_create(actor=leader, name="D", unit="件", list_price="1.230").list_price == \
        Decimal("1.23")


def test_category_or_supplier_of_another_community_is_refused(community, owner):
    other = CommunityFactory()
    foreign_category = CategoryFactory(community=other)
    foreign_supplier = SupplierFactory(community=other)
    with pytest.raises(ValidationFailed) as error:
        services.product_create(actor=owner, name="Tea", unit="盒", list_price="10", category=foreign_category)
    assert list(error.value.fields) == ["category"]
    product = ProductFactory(community=community)
    with pytest.raises(ValidationFailed) as error:
        services.product_update(actor=owner, product=product, supplier=foreign_supplier)
    assert list(error.value.fields) == ["supplier"]
    with pytest.raises(ValidationFailed) as error:  # a supplier given as the category
        services.product_update(actor=owner, product=product, category=SupplierFactory(community=community))
    assert list(error.value.fields) == ["category"]
    product.refresh_from_db()
    assert product.category is None and product.supplier is None


def test_update_changes_only_the_fields_given_and_is_audited(community, admin_member):
    product = ProductFactory(community=community, stock=10, description="old")
    category = CategoryFactory(community=community)

    updated = services.product_update(actor=admin_member, product=product, list_price="15", category=category,
                                      name=product.name)

    product.refresh_from_db()
    assert updated.pk == product.pk and product.list_price == Decimal("15.00") and product.category == category
    assert product.description == "old" and product.stock == 10
    log = AuditLog.objects.get(community=community, action="product.updated")
    assert set(log.data["changes"]) == {"list_price", "category"}
    assert log.data["changes"]["list_price"] == ["12.50", "15.00"]


def test_update_does_not_undo_a_reservation_made_meanwhile(community, owner):
    product = ProductFactory(community=community, stock=10)
    stale = Product.objects.get(pk=product.pk)  # the editor loaded the page...
    services.product_reserve_stock(product_id=product.pk, quantity=4)  # ...then a round was published

    services.product_update(actor=owner, product=stale, name="Renamed")

    product.refresh_from_db()
    assert product.name == "Renamed" and product.stock == 6


def test_update_with_nothing_changed_writes_no_audit_row(community, owner):
    product = ProductFactory(community=community)
    services.product_update(actor=owner, product=product, name=product.name, unit=product.unit)
    assert not AuditLog.objects.filter(action="product.updated").exists()


def test_set_active_takes_a_product_off_sale_and_back(community, leader):
    product = ProductFactory(community=community)
    services.product_set_active(actor=leader, product=product, is_active=False)
    product.refresh_from_db()
    assert not product.is_active
    services.product_set_active(actor=leader, product=product, is_active=True)
    product.refresh_from_db()
    assert product.is_active


def test_products_of_another_community_are_not_found(community, owner):
    foreign = ProductFactory(community=CommunityFactory(), name="Foreign")
    with pytest.raises(NotFound):
        services.product_update(actor=owner, product=foreign, name="Mine now")
    with pytest.raises(NotFound):
        services.product_image_add(actor=owner, product=foreign, upload=upload(image_bytes()))
    foreign.refresh_from_db()
    assert foreign.name == "Foreign" and not foreign.images.exists()


def test_unknown_field_is_a_programming_error(community, owner):
    with pytest.raises(TypeError):
        services.product_create(actor=owner, name="Tea", unit="盒", list_price="1", community=community)


# Categories and suppliers --------------------------------------------------------------------

def test_category_names_are_unique_per_community(community, leader):
    services.category_create(actor=leader, name="蔬菜")
    with pytest.raises(Conflict) as error:
        services.category_create(actor=leader, name=" 蔬菜 ")
    assert error.value.code == "duplicate_category" and error.value.fields["name"]
    # Another community may use the same name.
    other = CommunityFactory()
    other_owner = MembershipFactory(community=other, role="owner")
    assert services.category_create(actor=other_owner, name="蔬菜").community == other


def test_category_rename_position_and_delete_keep_products(community, leader):
    fruit = services.category_create(actor=leader, name="Fruit", position=2)
    veg = services.category_create(actor=leader, name="Veg")
    product = ProductFactory(community=community, category=fruit)
    with pytest.raises(Conflict):
        services.category_update(actor=leader, category=fruit, name="Veg")
    renamed = services.category_update(actor=leader, category=fruit, name="Fruit & nuts", position=0)
    assert (renamed.name, renamed.position) == ("Fruit & nuts", 0)
    with pytest.raises(ValidationFailed) as error:
        services.category_update(actor=leader, category=veg, name="")
    assert error.value.fields["name"]

    assert services.category_delete(actor=leader, category=fruit) == 1

    product.refresh_from_db()
    assert product.category is None
    assert list(community.categories.values_list("name", flat=True)) == ["Veg"]


def test_supplier_create_update_and_unique_name(community, leader):
    supplier = services.supplier_create(actor=leader, name="东山果园", contact_name="老陈", phone="139 0000 1111",
                                        email="chen@example.com")
    with pytest.raises(Conflict) as error:
        services.supplier_create(actor=leader, name="东山果园")
    assert error.value.fields["name"]
    with pytest.raises(ValidationFailed) as error:
        services.supplier_update(actor=leader, supplier=supplier, email="not-an-address")
    assert list(error.value.fields) == ["email"]

    services.supplier_update(actor=leader, supplier=supplier, notes="Delivers Tuesdays")

    supplier.refresh_from_db()
    assert supplier.notes == "Delivers Tuesdays" and supplier.email == "chen@example.com"


def test_supplier_with_products_cannot_be_deleted(community, leader):
    supplier = SupplierFactory(community=community)
    product = ProductFactory(community=community, supplier=supplier)
    with pytest.raises(Conflict) as error:
        services.supplier_delete(actor=leader, supplier=supplier)
    assert error.value.code == "supplier_in_use"
    services.product_update(actor=leader, product=product, supplier=None)
    services.supplier_delete(actor=leader, supplier=supplier)
    assert not Supplier.objects.filter(pk=supplier.pk).exists()


# Images --------------------------------------------------------------------------------------

def test_jpeg_with_gps_is_stored_without_exif_with_a_small_thumbnail(community, leader):
    product = ProductFactory(community=community)
    photo = image_bytes(size=(2400, 1800), exif=True)
    with Image.open(photo) as original:
        assert original.getexif().get_ifd(0x8825)  # the test file really carries a GPS position
    photo.seek(0)

    image = services.product_image_add(actor=leader, product=product, upload=upload(photo))

    image.refresh_from_db()
    assert (image.width, image.height) == (1600, 1200) and image.position == 0
    with Image.open(image.image.path) as stored:
        assert stored.format == "JPEG" and stored.size == (1600, 1200)
        assert not stored.getexif() and "exif" not in stored.info
    with Image.open(image.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320 and thumb.size == (320, 240)
        assert not thumb.getexif()


def test_png_and_webp_are_accepted_and_keep_their_format(community, leader):
    product = ProductFactory(community=community)
    png = services.product_image_add(actor=leader, product=product, upload=upload(image_bytes("PNG"), "image/png"))
    webp = services.product_image_add(actor=leader, product=product, upload=upload(image_bytes("WEBP"),
                                                                                        "image/webp"))
    assert png.image.name.endswith(".png") and png.thumbnail.name.endswith(".png")
    assert webp.image.name.endswith(".webp") and webp.position == 1


@pytest.mark.parametrize("make, words", [
    (lambda: upload(pdf_named_jpg()), "not an image"),
    (lambda: upload(image_bytes("GIF"), "image/gif"), "JPEG, PNG or WebP"),
    (lambda: upload(image_bytes(size=(10, 10))), "dimensions"),
])
def test_files_that_are_not_acceptable_images_are_refused(community, leader, make, words, media_root):
    product = ProductFactory(community=community)
    with pytest.raises(ValidationFailed) as error:
        services.product_image_add(actor=leader, product=product, upload=make())
    assert error.value.code == "invalid_image" and words in error.value.fields["image"][0]
    assert not ProductImage.objects.exists()
    assert not any(path.is_file() for path in media_root.rglob("*")) if media_root.exists() else True


def test_too_large_upload_is_refused(community, leader, settings):
    settings.IMAGE_MAX_BYTES = 50_000
    product = ProductFactory(community=community)
    with pytest.raises(ValidationFailed) as error:
        services.product_image_add(actor=leader, product=product,
                                   upload=upload(image_bytes("PNG", size=(300, 300), noise=True), "image/png"))
    assert "too large" in error.value.fields["image"][0]
    assert not ProductImage.objects.exists()


def test_at_most_nine_photos_per_product(community, leader, media_root):
    product = ProductFactory(community=community)
    for _ in range(services.MAX_IMAGES_PER_PRODUCT):
        services.product_image_add(actor=leader, product=product, upload=upload(image_bytes(size=(64, 64))))
    files_before = sorted(media_root.rglob("*.jpg"))

    with pytest.raises(ValidationFailed) as error:
        services.product_image_add(actor=leader, product=product, upload=upload(image_bytes(size=(64, 64))))

    assert error.value.code == "too_many_images" and error.value.fields["image"]
    assert product.images.count() == 9
    assert list(product.images.values_list("position", flat=True)) == list(range(9))
    assert sorted(media_root.rglob("*.jpg")) == files_before


def test_removing_a_photo_deletes_its_files(community, leader, django_capture_on_commit_callbacks):
    product = ProductFactory(community=community)
    image = services.product_image_add(actor=leader, product=product, upload=upload(image_bytes()))
    paths = [image.image.path, image.thumbnail.path]

    with django_capture_on_commit_callbacks(execute=True):
        services.product_image_remove(actor=leader, image=image)

    assert not product.images.exists()
    assert not any(os.path.exists(path) for path in paths)


def test_member_cannot_add_or_remove_photos(community, leader, member):
    product = ProductFactory(community=community)
    image = services.product_image_add(actor=leader, product=product, upload=upload(image_bytes()))
    with pytest.raises(Forbidden):
        services.product_image_add(actor=member, product=product, upload=upload(image_bytes()))
    with pytest.raises(Forbidden):
        services.product_image_remove(actor=member, image=image)
    assert product.images.count() == 1


# Stock ---------------------------------------------------------------------------------------

def test_reserve_and_release_stock(community):
    product = ProductFactory(community=community, stock=10)
    services.product_reserve_stock(product_id=product.pk, quantity=7)
    product.refresh_from_db()
    assert product.stock == 3

    with pytest.raises(Conflict) as error:
        services.product_reserve_stock(product_id=product.pk, quantity=4)
    assert error.value.code == "insufficient_stock"
    assert product.name in error.value.message and "3" in error.value.message
    assert error.value.available == 3 and error.value.wanted == 4

    services.product_release_stock(product_id=product.pk, quantity=5)
    product.refresh_from_db()
    assert product.stock == 8
    services.product_reserve_stock(product_id=product.pk, quantity=8)
    product.refresh_from_db()
    assert product.stock == 0


def test_unlimited_stock_is_never_short_and_stays_unlimited(community):
    product = ProductFactory(community=community, stock=None)
    services.product_reserve_stock(product_id=product.pk, quantity=10**6)
    services.product_release_stock(product_id=product.pk, quantity=5)
    product.refresh_from_db()
    assert product.stock is None


def test_reserve_refuses_bad_quantities_and_unknown_products(community):
    product = ProductFactory(community=community, stock=5)
    for quantity in (-1, 1.5, "2", True):
        with pytest.raises(ValidationFailed):
            services.product_reserve_stock(product_id=product.pk, quantity=quantity)
        with pytest.raises(ValidationFailed):
            services.product_release_stock(product_id=product.pk, quantity=quantity)
    services.product_reserve_stock(product_id=product.pk, quantity=0)
    with pytest.raises(NotFound):
        services.product_reserve_stock(product_id=product.pk + 1000, quantity=1)
    product.refresh_from_db()
    assert product.stock == 5
