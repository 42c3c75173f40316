"""The levels console page (desktop, 1280x900): an admin sees how many members are at each level
and the week's leaderboard, renames a level and saves. The one-click unsubscribe page on a phone
(390x844, no login): what stops, the button, then done, with a link to every setting.

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from communities.models import Role
from core import notifications
from core.models import NotificationOptOut
from engagement import levels, points
from engagement.models import LoyaltyLevel, PointsEntry
from tests.branches import fresh
from tests.e2e.conftest import PHONE, log_in
from tests.e2e.test_polls import fits, shot
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
CONSOLE = {"width": 1280, "height": 900}


def community_with_points():
    community = CommunityFactory(name="Sunny Garden", timezone="Asia/Shanghai")
    admin = fresh(MembershipFactory(community=community, role=Role.OWNER,
                                    user=UserFactory(display_name="Admin Li", language="en")))
    levels.levels_set(actor=admin, levels=[("Newcomer", 0), ("Fan", 100), ("Core", 1000)])
    for i, amount in enumerate([1500, 420, 180, 60, 0]):
        member = MembershipFactory(community=community, user=UserFactory(display_name=f"Neighbour {i + 1}"))
        if amount:
            points.points_award(community_id=community.pk, member_id=member.user_id, amount=amount,
                                reason=PointsEntry.Reason.ORDER, key=f"e2e:{i}")
    return community, admin


def test_an_admin_reads_and_renames_the_levels(english):
    community, admin = community_with_points()
    page = english(CONSOLE)
    log_in(page, admin.user.phone, PASSWORD)
    page.goto(reverse("engagement_console:levels", kwargs={"slug": community.slug}))
    expect(page.locator('[data-level="Fan"] [data-count]')).to_have_text("2")
    expect(page.locator('[data-level="Core"] [data-count]')).to_have_text("1")
    expect(page.locator("[data-week-board] tbody tr")).to_have_count(4)
    expect(page.locator("[data-week-board] tbody tr").first).to_contain_text("Neighbour 1")
    shot(page, "levels-console")
    assert fits(page, CONSOLE["width"])
    page.fill("input[name=name_1]", "铁粉")
    page.fill("input[name=name_3]", "Legend")
    page.fill("input[name=points_3]", "5000")
    page.click("[data-levels-form] button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("The levels were saved.")
    expect(page.locator('[data-level="铁粉"] [data-count]')).to_have_text("2")
    expect(page.locator('[data-level="Legend"] [data-count]')).to_have_text("0")
    assert list(LoyaltyLevel.objects.filter(community=community).values_list("name", flat=True)) == [
        "Newcomer", "铁粉", "Core", "Legend"]
    page.fill("input[name=points_3]", "10")  # below the level before: refused, shown
    page.click("[data-levels-form] button[type=submit]")
    expect(page.locator(".form-errors")).to_contain_text("more points than the one before")
    shot(page, "levels-console-error")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_reader_stops_one_kind_of_email_from_the_link_without_logging_in(phone, english, language):
    user = UserFactory(email="lily@example.com", language=language)
    NotificationOptOut.objects.create(user=user, kind="announcement", channel="all")
    page = english(PHONE) if language == "en" else phone
    token = notifications.unsubscribe_token(user_id=user.pk, kind="event_reminder")
    page.goto(reverse("unsubscribe", kwargs={"token": token}))
    expect(page.locator("[data-stop]")).to_be_visible()
    shot(page, f"unsubscribe-{language}")
    assert fits(page, PHONE["width"])
    page.click("[data-stop]")
    expect(page.locator("[data-done]")).to_be_visible()
    shot(page, f"unsubscribe-done-{language}")
    assert set(NotificationOptOut.objects.filter(user=user).values_list("kind", "channel")) == {
        ("announcement", "all"), ("event_reminder", "email")}
    page.goto(reverse("unsubscribe", kwargs={"token": token[:-3] + "abc"}))
    expect(page.locator('[data-code="bad_unsubscribe_link"]')).to_be_visible()
    shot(page, f"unsubscribe-bad-{language}")


def test_the_grouped_notification_settings_fit_a_phone(english):
    user = UserFactory(language="en")
    page = english(PHONE)
    log_in(page, user.phone, PASSWORD)
    page.goto(reverse("profile") + "#notifications")
    expect(page.locator("[data-notice-group]")).to_have_count(6)
    page.uncheck("input[name=email_order_ready]")
    page.click("#notifications button[type=submit]")
    expect(page.locator(".messages")).to_be_visible()
    assert NotificationOptOut.objects.filter(user=user, kind="order_ready", channel="email").exists()
    page.goto(reverse("profile") + "#notifications")
    shot(page, "profile-notifications")
    assert fits(page, PHONE["width"])
