"""A member orders from a post at phone size (390×844): the post features an open round with its
live price and progress; one tap on "Order 1" places the order through the round's own form."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from engagement import posts as services
from orders.models import Order, PickupPoint
from tests.e2e.conftest import PHONE, log_in
from tests.e2e.test_ordering import shot  # screenshots when SHOTS_DIR is set
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)


def cover():
    buffer = io.BytesIO()
    Image.new("RGB", (800, 400), (214, 120, 60)).save(buffer, "JPEG")
    return SimpleUploadedFile("cover.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def post_with_round(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    community = CommunityFactory(name="Sunny Garden")
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner Wang"))
    member = MembershipFactory(community=community, role="member", user=UserFactory(display_name="Member Zhang"))
    point = PickupPoint.objects.create(community=community, name="East gate", address="Building 1")
    lychee = ProductFactory(community=community, name="Lychees 1kg", unit="box", list_price="39.00")
    round_ = make_group_buy(owner, products=[lychee], price="29.90", offer=50, point=point, title="Lychee week",
                            success_rule="min_quantity", success_threshold=Decimal(20))
    post = services.post_create(actor=owner, title="The first lychees of the season",
                                summary="Picked on Monday, at the gate on Friday.",
                                body="Our grower in **Maoming** picks them ripe.\n\n- sweet\n- small stones\n\n"
                                     "> Best eaten cold.")
    services.post_set_cover(actor=owner, post=post, upload=cover())
    services.post_feature_set(actor=owner, post=post, group_buy_ids=[round_.pk], product_ids=[lychee.pk])
    post = services.post_publish(actor=owner, post=post)
    return community, owner, member, round_, post


def test_a_member_orders_from_a_post_that_features_an_open_round(english, post_with_round):
    community, owner, member, round_, post = post_with_round
    page = english(PHONE)
    log_in(page, member.user.phone, PASSWORD)
    page.goto(f"/c/{community.slug}/posts/")
    shot(page, "posts-list.png")
    page.click(f"[data-post='{post.pk}']")
    expect(page.locator("h1")).to_have_text(post.title)
    feature = page.locator(f"[data-feature=round][data-round='{round_.pk}']")
    expect(feature).to_contain_text("29.90")
    expect(feature.locator("[data-progress]")).to_be_visible()
    shot(page, "post-page.png")
    feature.get_by_role("button", name="Order 1").click()
    page.wait_for_url(lambda url: "/orders/" in url)
    order = Order.objects.get(member=member.user, group_buy=round_)
    assert order.lines.get().quantity == 1 and order.pickup_point.name == "East gate"
    shot(page, "post-ordered.png")
