"""Photos chosen while creating a product go in with it; the server's checks (5 MB, a real image)
still hold for whatever arrives, and a refused photo leaves no product behind."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from catalog.models import Product
from tests.catalog.conftest import image_bytes, pdf_named_jpg
from tests.catalog.test_pages import product_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def upload(buffer, content_type="image/jpeg"):
    return SimpleUploadedFile(buffer.name, buffer.getvalue(), content_type=content_type)


def test_the_new_product_form_takes_photos(client, community, leader):
    client.force_login(leader.user)
    url = reverse("catalog:product_new", args=[community.slug])
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'data-compress-max-side="1600"' in page
    assert "js/photo-compress.js" in page
    response = client.post(url, {**product_data(), "images": [upload(image_bytes(size=(2400, 1800))),
                                                              upload(image_bytes("PNG"), "image/png")]})
    product = Product.objects.get(community=community)
    assert response.status_code == 302
    images = list(product.images.order_by("position"))
    assert len(images) == 2 and max(images[0].width, images[0].height) == 1600  # the server's own resize too
    assert "created with 2 photos" in client.get(response["Location"]).content.decode()


def test_a_photo_over_5_mb_or_not_an_image_is_refused_and_nothing_is_created(client, community, leader, settings):
    client.force_login(leader.user)
    url = reverse("catalog:product_new", args=[community.slug])
    big = image_bytes(size=(1500, 1300), noise=True, name="huge.png", fmt="PNG")
    assert len(big.getvalue()) > settings.IMAGE_MAX_BYTES
    for bad, words in ((upload(big, "image/png"), "too large"), (upload(pdf_named_jpg()), "not an image")):
        response = client.post(url, {**product_data(), "images": [bad]})
        assert response.status_code == 400
        errors = " ".join(response.context["images_form"].errors["images"])
        assert words in errors and bad.name in errors
        assert not Product.objects.exists()


def test_more_than_nine_photos_are_refused(client, community, leader):
    client.force_login(leader.user)
    photos = [upload(image_bytes(size=(40, 40), name=f"p{i}.jpg")) for i in range(10)]
    response = client.post(reverse("catalog:product_new", args=[community.slug]),
                           {**product_data(), "images": photos})
    assert response.status_code == 400 and "At most 9 photos" in response.content.decode()
    assert not Product.objects.exists()
