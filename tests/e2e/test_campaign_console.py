"""The campaign console in a browser (desktop 1280×900, Chinese): an admin creates a reward campaign
with a limited tier and launches it; a member backs it (set up in Python); the sweep settles it; the
admin types the member's pickup code in the hand-out box and hands the reward out."""

import os
import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.sweeps import sweep_run
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge
from payments import services as payments_services
from tests.e2e.conftest import log_in
from tests.e2e.test_selling import shop
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = "/tmp/shots-cfconsole"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def console(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)  # a loaded 2-core machine answers the first page slowly
    yield page
    context.close()


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_admin_creates_and_launches_a_campaign_a_member_backs_it_and_picks_the_reward_up(console):
    community, owner, leader, member, point = shop()
    deadline = (timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(community.timezone)) + timedelta(days=3)).date()
    log_in(console, owner.user.email, PASSWORD)

    console.goto(f"/console/{community.slug}/campaigns/")
    shot(console, "01-campaigns-empty")
    console.click(f"a[href='/console/{community.slug}/campaigns/new/']")
    expect(console.locator("[data-no-equity]")).to_be_visible()
    # One empty tier row is shown, "+ add a tier" shows the next.
    expect(console.locator("[data-reward-row]").nth(0)).to_be_visible()
    expect(console.locator("[data-reward-row]").nth(1)).to_be_hidden()
    shot(console, "02-campaign-new")
    console.fill("input[name=title]", "中秋月饼众筹")
    console.fill("textarea[name=story]", "楼下王阿姨亲手做的广式月饼，凑够一炉就开烤。")
    console.fill("input[name=goal]", "100.00")
    console.fill("input[name=deadline]", deadline.isoformat())
    console.fill("input[name=tiers-0-title]", "一盒六只")
    console.fill("input[name=tiers-0-amount]", "50.00")
    console.fill("input[name=tiers-0-quantity_limit]", "20")
    console.click("[data-reward-add]")
    expect(console.locator("[data-reward-row]").nth(1)).to_be_visible()
    console.click("[data-reward-row] >> nth=1 >> [data-reward-remove]")
    expect(console.locator("[data-reward-row]").nth(1)).to_be_hidden()
    console.click("form.campaign-form button[type=submit].primary")
    console.wait_for_url(lambda url: "/new/" not in url)
    campaign = Campaign.objects.get(community=community)
    assert campaign.status == "draft" and campaign.tiers.get().quantity_limit == 20
    shot(console, "03-campaign-draft")

    console.click(f"form[action$='/campaigns/{campaign.pk}/launch/'] button")
    expect(console.locator("[data-status=live]").first).to_be_visible()
    campaign.refresh_from_db()
    assert campaign.status == "live"

    # The member backs it from the wallet (their pages are another journey).
    payments_services.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("100.00"))
    pledge, _created = services.pledge_place(member=member, campaign=campaign, tier_id=campaign.tiers.get().pk,
                                             quantity=2, idempotency_key="e2e", pickup_point_id=point.pk)
    services.pledge_pay_with_wallet(member=member, pledge=pledge)
    console.reload()
    expect(console.locator(f"tr[data-pledge='{pledge.pk}']")).to_be_visible()
    shot(console, "04-campaign-live")
    console.goto(f"/console/{community.slug}/campaigns/{campaign.pk}/edit/")
    expect(console.locator("input[name=goal]")).to_be_disabled()
    shot(console, "05-campaign-edit-live")

    sweep_run("crowdfunding.settle_campaigns", now=campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    assert campaign.status == "succeeded"
    console.goto(f"/console/{community.slug}/campaigns/{campaign.pk}/")
    expect(console.locator("table.rewards")).to_contain_text("East gate")
    shot(console, "06-campaign-succeeded")
    console.click(f"a[href$='/campaigns/{campaign.pk}/rewards/{point.pk}/']")
    expect(console.locator("table.pickup-sheet")).to_contain_text("Member Zhang")
    shot(console, "07-reward-sheet")

    # The hand-out box on the campaign's page: the member's code, typed.
    console.goto(f"/console/{community.slug}/campaigns/{campaign.pk}/")
    pledge.refresh_from_db()
    console.fill("#hand-out-code", pledge.pickup_code)
    console.click("[data-hand-out-box] button[type=submit]")
    expect(console.locator("[data-outcome=ready]")).to_contain_text("Member Zhang")
    shot(console, "08-hand-out-found")
    console.click("[data-outcome=ready] button[type=submit]")
    expect(console.locator("table.recent")).to_contain_text("Member Zhang")
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.HANDED_OUT
    shot(console, "09-hand-out-done")

    # The same code again: already handed out, said plainly.
    console.fill("input[name=code]", pledge.pickup_code)
    console.click("form.code-form button[type=submit]")
    expect(console.locator("[data-outcome=already_picked_up]")).to_be_visible()
    shot(console, "10-hand-out-again")
    console.goto(f"/console/{community.slug}/campaigns/")
    shot(console, "11-campaigns")
