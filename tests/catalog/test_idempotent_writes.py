"""POST products/ and products/<id>/images/ with an Idempotency-Key: a retry makes nothing twice."""

import pytest

from catalog.models import Product, ProductImage
from tests.api import assert_error, url
from tests.catalog.conftest import image_bytes
from tests.catalog.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_retried_product_is_created_once(api_as, community, owner):
    client = api_as(owner.user)
    body = {"name": "荔枝 3斤", "unit": "箱", "list_price": "49.00"}
    first = client.post(url(community.slug, "products"), body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    again = client.post(url(community.slug, "products"), body, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert Product.objects.filter(community=community, name="荔枝 3斤").count() == 1
    assert_error(client.post(url(community.slug, "products"), dict(body, list_price="50.00"), format="json",
                             HTTP_IDEMPOTENCY_KEY="p-1"), 422, code="idempotency_key_reused")


def test_a_retried_photo_upload_adds_one_photo(api_as, community, owner):
    product = ProductFactory(community=community)
    client = api_as(owner.user)
    path = url(community.slug, "products", product.pk, "images")
    first = client.post(path, {"image": image_bytes(name="a.jpg")}, format="multipart", HTTP_IDEMPOTENCY_KEY="i-1")
    again = client.post(path, {"image": image_bytes(name="a.jpg")}, format="multipart", HTTP_IDEMPOTENCY_KEY="i-1")
    assert first.status_code == again.status_code == 201, first.content
    assert ProductImage.objects.filter(product=product).count() == 1
    other = client.post(path, {"image": image_bytes(name="a.jpg", size=(640, 480))}, format="multipart",
                        HTTP_IDEMPOTENCY_KEY="i-1")
    assert_error(other, 422, code="idempotency_key_reused")
