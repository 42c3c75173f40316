"""A round's share link in a real browser (English UI): a stranger sees the preview and the 接龙
list, signs up, joins the (open) community, comes back to the round and orders; a member opens
the share poster full screen and copies the link.

Set E2E_SCREENSHOTS to a directory to save the pages looked at along the way."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect

from catalog.services import product_image_add
from communities.models import Community
from orders.models import Order
from tests.e2e.conftest import PHONE, log_in
from tests.e2e.test_money import fits_the_phone, page_weight, shot, MEMBER_PAGE_BUDGET
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def open_round():
    community = CommunityFactory(name="Sunny Garden", join_policy=Community.JoinPolicy.OPEN)
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner Wang"))
    product = ProductFactory(community=community, name="Golden mango", unit="box", list_price="68.00")
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (240, 170, 40)).save(photo, "JPEG")
    photo.name = "mango.jpg"
    product_image_add(actor=owner, product=product, upload=photo)
    group_buy = make_group_buy(owner, products=[product], price="45.00", offer=50, title="Weekend mangoes",
                               success_rule="min_quantity", success_threshold=Decimal("10"))
    early = MembershipFactory(community=community, user=UserFactory(display_name="Zhang San"))
    from orders import services
    services.order_place(member=early, group_buy=group_buy, lines=[(group_buy.items.get().pk, 2)],
                         idempotency_key="early", pickup_point_id=group_buy.pickup_points.get().pk)
    return community, owner, group_buy


def test_a_stranger_follows_the_share_link_signs_up_joins_and_orders(english, media):
    community, owner, group_buy = open_round()
    phone = english(PHONE)
    phone.goto(group_buy.get_absolute_url())

    # The preview: the round, its photo and prices, and the 接龙 list with masked names.
    expect(phone.locator("h1")).to_have_text("Weekend mangoes")
    expect(phone.locator(".preview-items")).to_contain_text("Golden mango")
    expect(phone.locator(".preview-items")).to_contain_text("¥45.00")
    expect(phone.locator(".jielong-list li")).to_have_text(["1. Z* +2 Golden mango"])
    assert "Zhang San" not in phone.content()
    assert phone.locator(".preview-items img").evaluate("img => img.naturalWidth") > 0
    assert phone.locator("meta[property='og:image']").get_attribute("content").startswith("http://")
    assert fits_the_phone(phone) and page_weight(phone) < MEMBER_PAGE_BUDGET
    shot(phone, "share-preview")

    phone.click("text=Sign up and join to order")
    phone.fill("input[name=login]", "13700002222")
    phone.fill("input[name=display_name]", "Li Xiaomei")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main form button[type=submit]")
    expect(phone.locator("button:has-text('Join now')")).to_be_visible()
    phone.click("button:has-text('Join now')")

    # Back on the round, now as a member: the order form.
    expect(phone.locator("h1")).to_have_text("Weekend mangoes")
    phone.click("button[aria-label=More]")
    phone.click("button:has-text('Place order')")
    expect(phone.locator("h1")).to_contain_text("Awaiting payment")
    order = Order.objects.get(member__display_name="Li Xiaomei")
    assert order.group_buy_id == group_buy.pk and order.lines.get().quantity == 1

    phone.goto(group_buy.get_absolute_url())
    expect(phone.locator(".jielong-list li").first).to_contain_text("2. L* me +1 Golden mango")


def test_a_member_opens_the_poster_full_screen_and_copies_the_link(english, media):
    community, owner, group_buy = open_round()
    phone = english(PHONE)
    log_in(phone, owner.user.email, PASSWORD)
    phone.goto(group_buy.get_absolute_url())
    shot(phone, "share-round-member")

    phone.click("[data-poster]")
    overlay = phone.locator("[data-overlay]")
    expect(overlay).to_be_visible()
    poster = overlay.locator("img")
    expect(poster).to_have_js_property("complete", True)
    assert poster.evaluate("img => img.naturalWidth") == 750
    shot(phone, "share-poster-open")
    phone.click("[data-close]")
    expect(overlay).to_be_hidden()

    # No clipboard API (an old phone browser): the link is still copied, or shown to long-press.
    phone.evaluate("Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true})")
    phone.click("[data-copy]")
    status = phone.locator(".share-status")
    expect(status).not_to_be_empty()
    assert status.inner_text() in ("Link copied", "Long-press the link above to copy it.")
    assert phone.locator(".share-link").input_value().endswith(group_buy.get_absolute_url())
    shot(phone, "share-copied")

    phone.goto(community.get_absolute_url())
    phone.click("[data-poster]")
    expect(phone.locator("[data-overlay] img")).to_have_js_property("complete", True)
    assert phone.locator("[data-overlay] img").evaluate("img => img.naturalWidth") == 750
    shot(phone, "share-community-poster")
