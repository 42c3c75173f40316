"""Loyalty on a phone: a member checks in on the points page and sees the streak and points, opens
a round, types a coupon that needs a bigger basket (the reason shows on the field), adds one more
and sees the discount and the lower total on the order button, places the order and pays less;
then finds the used coupon, and the one still to use, on "My coupons".

Set E2E_SCREENSHOTS to a directory (e.g. /tmp/shots) to save the pages looked at along the way."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from orders import coupons
from orders.models import Order
from tests.branches import fresh
from tests.e2e.conftest import PHONE, log_in
from tests.e2e.test_polls import fits, shot
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)


def shop():
    community = CommunityFactory(name="Sunny Garden", timezone="Asia/Shanghai")
    owner = fresh(MembershipFactory(community=community, role="owner",
                                    user=UserFactory(display_name="Owner Li", language="en")))
    member = fresh(MembershipFactory(community=community, user=UserFactory(display_name="Member Zhang",
                                                                           language="en")))
    product = ProductFactory(community=community, name="Hainan mangoes", unit="box")
    group_buy = make_group_buy(owner, products=[product], price="20.00", title="Mango Sunday")
    now = timezone.now()
    coupons.coupon_save(actor=owner, code="SAVE10", name="Ten off", kind="amount", amount_off=Decimal("10"),
                        min_spend=Decimal("30"), starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7))
    gift = coupons.coupon_save(actor=owner, code="WELCOME5", name="Welcome gift", kind="amount",
                               amount_off=Decimal("5"), starts_at=now - timedelta(hours=1),
                               ends_at=now + timedelta(days=30), handed_out_only=True)
    coupons.coupon_hand_out(coupon=gift, member_id=member.user_id, key="welcome", tell=False)
    return community, member, group_buy


def test_a_member_checks_in_then_applies_a_coupon_and_pays_less(english):
    community, member, group_buy = shop()
    page = english(PHONE)
    log_in(page, member.user.phone, PASSWORD)

    # 签到 first: the streak and the points it earned.
    page.goto(reverse("engagement:points", kwargs={"slug": community.slug}))
    page.click("[data-check-in]")
    expect(page.locator("[data-streak]")).to_have_text("1")
    expect(page.locator("[data-balance]")).not_to_have_text("0")
    expect(page.locator("[data-checked-in]")).to_be_disabled()

    # The round: one box, a coupon that needs ¥30 → the reason, on the field.
    page.goto(group_buy.get_absolute_url())
    item = group_buy.items.get()
    row = page.locator(f'.item[data-item="{item.pk}"]')
    row.locator('.step[data-step="1"]').click()
    expect(page.locator('[data-coupon-chip="WELCOME5"]')).to_be_visible()
    expect(page.locator('[data-coupon-chip="SAVE10"]')).to_be_visible()
    page.fill("[data-coupon-input]", "save10")
    page.click("[data-apply-coupon]")
    expect(page.locator("#coupon_error")).to_contain_text("Spend at least ¥30.00")
    expect(page.locator("[data-coupon-input]")).to_have_attribute("aria-invalid", "true")
    shot(page, "coupon-refused")

    # One more box: asked again by itself, the discount shows and the button's total drops.
    row.locator('.step[data-step="1"]').click()
    expect(page.locator("[data-coupon-result]")).to_contain_text("−¥10.00")
    expect(page.locator("[data-coupon-result]")).to_contain_text("SAVE10: ¥10.00 off on ¥30.00 or more")
    expect(page.locator("#coupon_error")).to_have_count(0)
    expect(page.locator(".buy-button [data-total]")).to_have_text("¥30.00")
    expect(page.locator(f'input[name="qty_{item.pk}"]')).to_have_value("2")
    assert not Order.objects.exists()  # applying ordered nothing
    page.locator("[data-coupon-box]").scroll_into_view_if_needed()
    shot(page, "coupon-applied")
    assert fits(page, PHONE["width"])

    # Place the order: it costs ¥30, and says why.
    page.click(".buy-button")
    page.wait_for_url("**/orders/*/")
    expect(page.locator("[data-order-total]")).to_have_text("¥30.00")
    expect(page.locator("[data-discount]")).to_contain_text("Coupon SAVE10")
    expect(page.locator("[data-discount]")).to_contain_text("−¥10.00")
    order = Order.objects.get()
    assert order.total == Decimal("30.00") and order.discount == Decimal("10.00")
    shot(page, "coupon-order")
    assert fits(page, PHONE["width"])

    # My coupons: the gift still to use, SAVE10 used.
    page.goto(reverse("orders:my_orders", kwargs={"slug": community.slug}))
    expect(page.locator(".list-item [data-discount]")).to_contain_text("Coupon SAVE10 −¥10.00")
    page.click("[data-my-coupons]")
    expect(page.locator('[data-usable] [data-coupon="WELCOME5"]')).to_contain_text("¥5.00")
    expect(page.locator('[data-past] [data-coupon="SAVE10"]')).to_contain_text("Used")
    shot(page, "my-coupons")
    assert fits(page, PHONE["width"])


def test_a_chip_fills_the_code_and_prices_the_basket_in_chinese(phone):
    community, member, group_buy = shop()
    member.user.language = "zh-hans"
    member.user.save(update_fields=["language"])
    log_in(phone, member.user.phone, PASSWORD)
    item = group_buy.items.get()
    phone.goto(group_buy.get_absolute_url() + f"?basket={item.pk}x3")
    expect(phone.locator(f'input[name="qty_{item.pk}"]')).to_have_value("3")
    phone.click('[data-coupon-chip="WELCOME5"]')
    expect(phone.locator("[data-coupon-input]")).to_have_value("WELCOME5")
    expect(phone.locator("[data-coupon-result]")).to_contain_text("−¥5.00")
    expect(phone.locator(".buy-button [data-total]")).to_have_text("¥55.00")
    shot(phone, "coupon-chip-zh")
    assert fits(phone, PHONE["width"])
    phone.click(".buy-button")
    phone.wait_for_url("**/orders/*/")
    expect(phone.locator("[data-order-total]")).to_have_text("¥55.00")
