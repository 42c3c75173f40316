"""签到 on a phone: a member who checked in yesterday opens their points page, taps the button and
sees a streak of 2, the points it earned and the line in the ledger; the button then shows done,
and a second tap (an old tab) is a friendly message, not an error.

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from engagement import points
from engagement.models import DailyCheckIn
from tests.branches import fresh
from tests.e2e.conftest import PHONE, log_in
from tests.e2e.test_polls import fits, shot
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def member_who_checked_in_yesterday(language):
    community = CommunityFactory(name="Sunny Garden", timezone="Asia/Shanghai")
    member = fresh(MembershipFactory(community=community,
                                     user=UserFactory(display_name="Member Zhang", language=language)))
    points.daily_check_in(membership=member, now=timezone.now() - timedelta(days=1))
    return community, member


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_member_keeps_their_streak_by_tapping_check_in(phone, english, language):
    community, member = member_who_checked_in_yesterday(language)
    page = phone if language == "zh-hans" else english(PHONE)
    log_in(page, member.user.phone, PASSWORD)
    url = reverse("engagement:points", kwargs={"slug": community.slug})
    page.goto(url)
    expect(page.locator("[data-streak]")).to_have_text("1")
    expect(page.locator("[data-balance]")).to_have_text("1")
    shot(page, f"points-before-{language}")
    assert fits(page, PHONE["width"])

    page.click("[data-check-in]")
    expect(page.locator("[data-streak]")).to_have_text("2")
    expect(page.locator("[data-balance]")).to_have_text("2")
    expect(page.locator("[data-checked-in]")).to_be_disabled()
    expect(page.locator("[data-earned-today]")).to_contain_text("1")
    expect(page.locator("[data-ledger] li")).to_have_count(2)
    expect(page.locator(".messages")).to_be_visible()
    shot(page, f"points-after-{language}")
    assert fits(page, PHONE["width"])

    # An old tab's second tap: a friendly note, still one check-in today.
    page.evaluate("""() => { const f = document.createElement('form'); f.method = 'post';
        f.action = location.pathname + 'check-in/';
        const t = document.createElement('input'); t.name = 'csrfmiddlewaretoken';
        t.value = document.cookie.match(/csrftoken=([^;]+)/)[1]; f.append(t); document.body.append(f); f.submit(); }""")
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("[data-streak]")).to_have_text("2")
    assert DailyCheckIn.objects.filter(member=member.user).count() == 2
