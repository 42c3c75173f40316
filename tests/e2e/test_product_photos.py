"""A phone-sized photo chosen while creating a product is made smaller in the browser (canvas,
JPEG) and arrives well under the server's 5 MB limit (console, 1280×800)."""

import io
import os

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect

from catalog.models import Product
from tests.e2e.conftest import DESKTOP, log_in
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def phone_photo(path) -> int:
    """A 4000×3000 JPEG with a photo's grain: several MB, over the server's limit as it is."""
    base = Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3)).resize((4000, 3000), Image.BICUBIC)
    grain = Image.frombytes("L", (4000, 3000), os.urandom(4000 * 3000)).point(lambda v: 128 + (v - 128) // 6)
    photo = Image.merge("RGB", [Image.blend(channel, grain, 0.35) for channel in base.split()])
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=97)
    path.write_bytes(buffer.getvalue())
    return len(buffer.getvalue())


def test_a_big_photo_is_compressed_in_the_browser_and_the_product_gets_it(english, tmp_path):
    community = CommunityFactory(name="Sunny Garden")
    leader = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="Leader Li"))
    photo = tmp_path / "IMG_2041.jpg"
    original = phone_photo(photo)
    assert original > settings.IMAGE_MAX_BYTES

    page = english(DESKTOP)
    log_in(page, leader.user.email, PASSWORD)
    page.goto(f"/console/{community.slug}/products/new/")
    page.fill("input[name=name]", "Honey peaches")
    page.fill("input[name=unit]", "box")
    page.fill("input[name=list_price]", "39.90")
    page.set_input_files("input[name=images]", str(photo))
    status = page.locator("[data-photo-status]")
    expect(status).to_contain_text("→")
    sent = int(page.locator("input[name=images]").get_attribute("data-compressed"))
    assert sent < 600 * 1024, sent  # about 300–400 KB instead of several MB
    assert page.evaluate("document.querySelector('input[name=images]').files[0].type") == "image/jpeg"
    os.makedirs("/tmp/shots-desk", exist_ok=True)
    page.screenshot(path="/tmp/shots-desk/product-new-photo.png", full_page=True)
    page.click("button:has-text('Create product')")
    expect(page.locator(".messages")).to_contain_text("created with 1 photo")
    product = Product.objects.get(community=community)
    image = product.images.get()
    assert (image.width, image.height) == (1600, 1200)
