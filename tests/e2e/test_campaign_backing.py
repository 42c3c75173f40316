"""Backing a campaign on a phone: a member with wallet balance opens the campaign from the community's
home, picks a tier and pays from the wallet; after the deadline the settlement runs and the member
finds the campaign succeeded and their pickup code.

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.sweeps import sweep_run
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge
from orders.models import PickupPoint
from payments import services as payments_services
from tests.e2e.conftest import PHONE, log_in
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MEMBER_PAGE_BUDGET = 60 * 1024


def shot(page, name):
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"e2e-{name}.png"), full_page=True)


def page_weight(page) -> int:
    return page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const rest = performance.getEntriesByType('resource').filter(r => r.initiatorType !== 'img');
        return [nav, ...rest].reduce((sum, r) => sum + (r.decodedBodySize || 0), 0);
    }""")


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_member_backs_a_tier_from_the_wallet_and_picks_up_after_success(phone):
    community = CommunityFactory(name="Sunny Garden")
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner Wang"))
    member = MembershipFactory(community=community, role="member", user=UserFactory(display_name="Member Zhang"))
    point = PickupPoint.objects.create(community=community, name="North gate", address="1 North Road")
    day = (timezone.localtime(timezone.now()) + timedelta(days=5)).date()
    campaign = services.campaign_create(
        actor=owner, title="Mid-autumn mooncakes", goal="100.00", deadline=day.isoformat(),
        story="Lotus seed paste, baked by Aunt Li.\n\nOne batch only.",
        tiers=[services.TierSpec(title="Box of four", amount="100.00", quantity_limit=20),
               services.TierSpec(title="Family box", amount="180.00", quantity_limit=5)])
    campaign = services.campaign_launch(actor=owner, campaign=campaign)
    payments_services.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("150.00"))

    log_in(phone, member.user.phone, PASSWORD)
    phone.goto(f"/c/{community.slug}/")
    shot(phone, "campaign-home")
    phone.click(f"a.campaign-card[data-campaign='{campaign.pk}']")
    expect(phone.locator("h1")).to_have_text("Mid-autumn mooncakes")
    assert fits_the_phone(phone) and page_weight(phone) < MEMBER_PAGE_BUDGET
    shot(phone, "campaign-page")

    box = campaign.tiers.get(title="Box of four")
    phone.check(f"input[name=tier][value='{box.pk}']")
    expect(phone.locator("select[name=pickup_point]")).to_be_visible()
    expect(phone.locator("input[name=shipping_address]")).to_have_count(0)
    phone.select_option("select[name=pickup_point]", str(point.pk))
    phone.click(".back-form button[type=submit]")
    phone.wait_for_url("**/pledges/*/")
    expect(phone.locator("[data-status]")).to_have_attribute("data-status", "pending_payment")
    shot(phone, "campaign-pledge-unpaid")

    phone.click("[data-pay-wallet]")
    expect(phone.locator("[data-status]")).to_have_attribute("data-status", "paid")
    pledge = Pledge.objects.get(member=member.user)
    assert pledge.status == Pledge.Status.PAID and pledge.amount == Decimal("100.00")
    expect(phone.locator("[data-code]")).to_have_count(0)  # no pickup code before the campaign succeeds

    sweep_run("crowdfunding.settle_campaigns", now=campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SUCCEEDED

    phone.reload()
    expect(phone.locator("[data-outcome]")).to_have_attribute("data-outcome", "succeeded")
    expect(phone.locator("[data-code]")).to_have_text(pledge.pickup_code)
    qr = phone.locator(".pickup-code img")
    expect(qr).to_be_visible()
    assert phone.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    assert fits_the_phone(phone) and page_weight(phone) < MEMBER_PAGE_BUDGET
    shot(phone, "campaign-pledge-succeeded")

    phone.goto(campaign.get_absolute_url())
    expect(phone.locator(".campaign-progress [data-outcome]")).to_be_visible()
    expect(phone.locator("form.back-form")).to_have_count(0)
