"""Main journeys in a real browser: a member joins from an invite on a phone; an admin approves."""

import pytest
from playwright.sync_api import expect

from communities import services
from communities.models import Membership
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, CommunityFactory, InviteFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_follows_an_invite_signs_up_and_lands_on_the_community_home(phone):
    community = CommunityFactory(name="阳光花园邻里团", description="小区邻居一起团购", rules="友善交流")
    leader = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="王店长")).user
    invite = InviteFactory(community=community, created_by=leader)

    phone.goto(f"/i/{invite.code}/")
    expect(phone.locator("h1")).to_have_text("阳光花园邻里团")
    expect(phone.locator(".inviter")).to_contain_text("王店长")
    phone.fill("input[name=login]", "13912345678")
    phone.fill("input[name=display_name]", "小李")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button:has-text('注册并加入')")

    phone.wait_for_url(f"**/c/{community.slug}/")
    expect(phone.locator("h1")).to_have_text("阳光花园邻里团")
    expect(phone.locator(".stats")).to_contain_text("成员")
    membership = Membership.objects.get(community=community, user__phone="13912345678")
    assert membership.is_active and membership.invited_by == leader
    # The page fits a phone: nothing scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_bad_invite_shows_a_clear_message_on_the_phone(phone):
    phone.goto("/i/nosuchcode9/")
    expect(phone.locator("h1")).to_have_text("未找到")
    expect(phone.locator("main")).to_contain_text("邀请链接无效")


def test_admin_approves_a_join_request_in_the_console(desktop, phone):
    community = CommunityFactory(name="读书会")
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="群主"))
    applicant = UserFactory(display_name="申请人小陈")

    # The applicant asks to join from their phone.
    log_in(phone, applicant.phone, PASSWORD)
    phone.goto(f"/c/{community.slug}/join/")
    phone.fill("textarea[name=message]", "我想一起读书")
    phone.click("button:has-text('发送申请')")
    expect(phone.locator(".messages")).to_contain_text("申请已发送")

    # The owner approves it in the console on a desktop.
    log_in(desktop, owner.user.email, PASSWORD)
    desktop.goto(f"/console/{community.slug}/")
    desktop.click("text=加入申请")
    row = desktop.locator(f".request[data-user='{applicant.display_name}']")
    expect(row).to_contain_text("我想一起读书")
    row.locator("button:has-text('通过')").click()
    expect(desktop.locator(".messages")).to_contain_text("申请人小陈")
    expect(desktop.locator(".request")).to_have_count(0)

    assert Membership.objects.get(community=community, user=applicant).is_active
    phone.goto(f"/c/{community.slug}/")
    expect(phone.locator("h1")).to_have_text("读书会")


def test_english_is_one_click_away(phone):
    phone.goto("/accounts/login/")
    expect(phone.locator("main h1")).to_have_text("登录")
    phone.click(".lang button")
    expect(phone.locator("main h1")).to_have_text("Log in")
