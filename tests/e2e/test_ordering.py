"""Ordering on a phone (390×844): steppers that stop at the limits, the live total on the order
button, the photo gallery; and a form that survives an expired CSRF token or a lost session."""

import io
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from catalog import services as catalog_services
from catalog.models import ProductImage
from orders.models import Order, PickupPoint
from tests.e2e.conftest import PHONE, log_in
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("SHOTS_DIR", "")


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def photo(n, colour):
    image = Image.new("RGB", (600, 600), colour)
    ImageDraw.Draw(image).text((280, 290), str(n), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return SimpleUploadedFile(f"mango{n}.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def shop():
    community = CommunityFactory(name="Sunny Garden")
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner Wang"))
    member = MembershipFactory(community=community, role="member", user=UserFactory(display_name="Member Zhang"))
    point = PickupPoint.objects.create(community=community, name="East gate", address="Building 1")
    yield community, owner, member, point
    for image in ProductImage.objects.filter(community=community):  # photos written under MEDIA_ROOT
        image.image.delete(save=False)
        image.thumbnail.delete(save=False)


def test_steppers_stop_at_the_limits_and_the_order_button_shows_the_live_total(english, shop):
    community, owner, member, point = shop
    mango = ProductFactory(community=community, name="Mango box", unit="box", list_price="59.00",
                           description="Tree-ripened, sweet, little fibre.")
    for n, colour in enumerate([(230, 160, 40), (200, 120, 30), (120, 170, 60)], start=1):
        catalog_services.product_image_add(actor=owner, product=mango, upload=photo(n, colour))
    berries = ProductFactory(community=community, name="Strawberries", unit="box", list_price="88.00")
    group_buy = make_group_buy(owner, products=[mango, berries], price="45.00", offer=2, limit=None, point=point,
                               title="Weekend fruit", success_rule="min_quantity", success_threshold=Decimal(10))
    mango_item, berry_item = group_buy.items.order_by("pk")
    berry_item.per_member_limit = 3  # 2 mangoes left on offer; strawberries: 3 each
    berry_item.quantity_on_offer = 50
    berry_item.save(update_fields=["per_member_limit", "quantity_on_offer"])

    page = english(PHONE)
    log_in(page, member.user.phone, PASSWORD)
    page.goto(group_buy.get_absolute_url())
    expect(page.locator(".gallery-track img")).to_have_count(3)
    expect(page.locator("[data-shortfall]")).to_have_text("10 more units to reach the goal")
    button = page.locator(".buy-button")
    expect(button).to_contain_text("Nothing chosen yet")

    mango_row, berry_row = page.locator(f".item[data-item='{mango_item.pk}']"), page.locator(f".item[data-item='{berry_item.pk}']")
    mango_row.locator("button[aria-label=More]").click()
    mango_row.locator("button[aria-label=More]").click()
    expect(mango_row.locator("input")).to_have_value("2")
    expect(mango_row.locator("button[aria-label=More]")).to_be_disabled()  # only 2 left
    for _ in range(3):
        berry_row.locator("button[aria-label=More]").click()
    expect(berry_row.locator("button[aria-label=More]")).to_be_disabled()  # 3 each
    expect(berry_row.locator("input")).to_have_value("3")
    expect(button).to_contain_text("5 items")
    expect(button).to_contain_text("¥225.00")
    berry_row.locator("button[aria-label=Fewer]").click()
    expect(button).to_contain_text("4 items")
    expect(button).to_contain_text("¥180.00")
    berry_row.locator("input").fill("9")  # typed past the limit: brought back to it
    berry_row.locator("input").blur()
    expect(berry_row.locator("input")).to_have_value("3")
    expect(button).to_contain_text("¥225.00")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["y"] + box["height"] <= PHONE["height"]  # sticky, in view
    shot(page, "e2e-round-steppers.png")

    page.check(f"input[name=pickup_point][value='{point.pk}']")
    button.click()
    expect(page.locator("h1")).to_contain_text("Awaiting payment")
    order = Order.objects.get(member=member.user)
    assert order.total == Decimal("225.00")
    expect(page.locator("[data-wallet-short]")).to_contain_text("Not enough balance: ¥225.00 short.")
    expect(page.locator("button.wallet-short")).to_be_disabled()
    shot(page, "e2e-order-pay.png")


def _round_with_form(english, shop):
    community, owner, member, point = shop
    group_buy = make_group_buy(owner, price="12.00", point=point, title="Sunday greens")
    page = english(PHONE)
    log_in(page, member.user.phone, PASSWORD)
    page.goto(group_buy.get_absolute_url())
    page.locator("button[aria-label=More]").click()
    page.locator("button[aria-label=More]").click()
    page.check(f"input[name=pickup_point][value='{point.pk}']")
    page.fill("input[name=note]", "Leave it at the door, please")
    return page, member


def test_an_expired_csrf_token_keeps_the_order_and_sends_it_again(english, shop, live_server):
    page, member = _round_with_form(english, shop)
    # The token in the page no longer matches the cookie (it expired, or another tab rotated it).
    page.context.add_cookies([{"name": "csrftoken", "value": "x" * 32, "url": live_server.url}])

    page.click(".buy-button")

    expect(page.locator("h1")).to_have_text("This page was open for a while")
    expect(page.locator("body")).not_to_contain_text("CSRF")
    assert not Order.objects.exists()
    shot(page, "e2e-form-expired.png")
    page.click("[data-resend]")
    expect(page.locator("h1")).to_contain_text("Awaiting payment")
    order = Order.objects.get(member=member.user)
    assert (order.note, order.lines.get().quantity) == ("Leave it at the door, please", 2)


def test_a_lost_session_keeps_the_order_through_logging_in_again(english, shop, live_server):
    page, member = _round_with_form(english, shop)
    page.context.clear_cookies(name="sessionid")  # logged out meanwhile (session expired)

    page.click(".buy-button")

    expect(page.locator("h1")).to_have_text("You were logged out")
    page.click("[data-login-again]")
    page.fill("input[name=username]", member.user.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Welcome back")
    shot(page, "e2e-form-resume.png")
    page.click("[data-resend]")
    expect(page.locator("h1")).to_contain_text("Awaiting payment")
    assert Order.objects.get(member=member.user).note == "Leave it at the door, please"
