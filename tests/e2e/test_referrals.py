"""邀请有礼 in a browser: a member opens "My invites" on a phone and sees their link's QR code, the
rule and each friend they invited with where the reward stands (paid, waiting out the refund
window, under review, refused); an admin reviews a held referral in the console and approves it.

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from engagement.demo_referrals import seed_referral
from engagement.models import Referral
from tests.branches import fresh
from tests.e2e.conftest import PHONE, log_in
from tests.e2e.test_polls import fits, shot
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CONSOLE = {"width": 1280, "height": 900}


def world(language):
    community = CommunityFactory(name="Sunny Garden", timezone="Asia/Shanghai")
    owner = fresh(MembershipFactory(community=community, role="owner",
                                    user=UserFactory(display_name="Owner Wang", language=language)))
    member = fresh(MembershipFactory(community=community, user=UserFactory(display_name="Member Zhang",
                                                                           language=language)))
    friends = [fresh(MembershipFactory(community=community, user=UserFactory(display_name=name)))
               for name in ("Li Na", "Chen Jie", "Zhou Min", "Wu Lei", "Sun Yue")]
    now = timezone.now()
    seed_referral(community, member, friends[0])
    base = {"community_id": community.pk, "referrer_id": member.user_id}
    Referral.objects.create(**base, invitee_id=friends[1].user_id, status="due", joined_at=now - timedelta(days=3),
                            due_at=now + timedelta(days=5))
    held = Referral.objects.create(**base, invitee_id=friends[2].user_id, status="held", joined_at=now,
                                   join_address="198.51.100.9", held_reason="address_burst")
    Referral.objects.create(**base, invitee_id=friends[3].user_id, status="rejected", outcome="refunded",
                            joined_at=now - timedelta(days=20), decided_at=now - timedelta(days=10))
    Referral.objects.create(**base, invitee_id=friends[4].user_id, joined_at=now - timedelta(hours=2))
    return community, owner, member, held


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_member_sees_their_invite_link_and_where_each_reward_stands(phone, english, language):
    community, _owner, member, _held = world(language)
    page = phone if language == "zh-hans" else english(PHONE)
    log_in(page, member.user.phone, PASSWORD)
    page.goto(reverse("engagement:my_referrals", kwargs={"slug": community.slug}))
    qr = page.locator("[data-qr]")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('[data-qr]').naturalWidth") > 0
    expect(page.locator("[data-invitees] li")).to_have_count(5)
    expect(page.locator('[data-status="rewarded"]')).to_contain_text("+50")
    expect(page.locator("[data-invited]")).to_have_text("5")
    expect(page.locator("[data-earned]")).to_have_text("50")
    assert fits(page, PHONE["width"])
    shot(page, f"referrals-mine-{language}")
    if language == "en":
        expect(page.locator('[data-status="rejected"]')).to_contain_text("refunded")
        expect(page.locator("[data-rule]")).to_contain_text("50 points")
    page.click("[data-share] [data-copy]")
    expect(page.locator(".share-status")).not_to_be_empty()


def test_an_admin_approves_a_held_referral_in_the_console(english):
    community, owner, _member, held = world("en")
    page = english(CONSOLE)
    log_in(page, owner.user.phone, PASSWORD)
    page.goto(reverse("engagement_console:referrals", kwargs={"slug": community.slug}))
    row = page.locator(f'[data-held-referral="{held.pk}"]')
    expect(row).to_contain_text("from one address")
    expect(page.locator("[data-invited]")).to_have_text("5")
    expect(page.locator("[data-rewarded]")).to_have_text("1")
    shot(page, "referrals-console")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-approve]").click()
    expect(page.locator(".messages")).to_contain_text("Approved")
    expect(page.locator("[data-none-held]")).to_be_visible()
    held.refresh_from_db()
    assert held.status == Referral.Status.JOINED and held.reviewed_by_id == owner.user_id
