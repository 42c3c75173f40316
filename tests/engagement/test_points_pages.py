"""The member's points page (balance, streak, 签到, the ledger) and the points rules in the console."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement import points
from engagement.common import engagement_settings
from engagement.models import DailyCheckIn, EngagementSettings, PointsEntry
from engagement.point_views import points_home_section
from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pages_in_english(client):
    """The assertions read the English words (the site's default language is Chinese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def page(community, name="points"):
    return reverse(f"engagement:{name}", kwargs={"slug": community.slug})


def settings_url(community):
    return reverse("engagement_console:engagement_settings", kwargs={"slug": community.slug})


def give(membership, n, amount=5):
    for i in range(n):
        points.points_award(community_id=membership.community_id, member_id=membership.user_id, amount=amount,
                            reason=PointsEntry.Reason.EVENT, key=f"test:{membership.user_id}:{i}")


def test_a_member_checks_in_and_sees_balance_streak_and_ledger(client, community, member):
    points.daily_check_in(membership=member, now=timezone.now() - timedelta(days=1))
    client.force_login(member.user)
    html = client.get(page(community)).content.decode()
    assert "data-check-in" in html and "data-checked-in" not in html
    response = client.post(page(community, "points_check_in"))
    assert response.status_code == 302 and response.url == page(community)
    html = client.get(page(community)).content.decode()
    assert "data-checked-in" in html and "disabled" in html
    assert 'data-streak>2<' in html and 'data-balance>2<' in html
    assert "Daily check-in" in html and "+1" in html
    assert "Today's check-in earned 1 point." in html


def test_a_double_tap_is_a_friendly_message_and_one_row(client, community, member):
    client.force_login(member.user)
    client.post(page(community, "points_check_in"))
    response = client.post(page(community, "points_check_in"), follow=True)
    assert response.status_code == 200
    assert "checked in today already" in response.content.decode()
    assert DailyCheckIn.objects.count() == 1 and PointsEntry.objects.count() == 1


def test_ledger_shows_times_in_the_communitys_timezone_and_minus_amounts(client, community, member):
    community.timezone = "Asia/Shanghai"
    community.save()
    points.points_award(community_id=community.pk, member_id=member.user_id, amount=-7,
                        reason=PointsEntry.Reason.ORDER_REVERSED, key="order:1:reversed")
    PointsEntry.objects.update(created_at=datetime(2026, 1, 1, 23, 30, tzinfo=UTC))
    client.force_login(member.user)
    html = client.get(page(community)).content.decode()
    assert "Order refunded" in html and "-7" in html and "2026-01-02 07:30" in html


def test_the_ledger_pages_30_lines_and_queries_do_not_grow(client, community, member, django_assert_max_num_queries):
    client.force_login(member.user)
    give(member, 3)
    with django_assert_max_num_queries(30) as few:
        client.get(page(community))
    give(member, 40, amount=2)  # keys repeat the first 3: 37 new lines
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(page(community)).content.decode()
    assert html.count("data-entry=") == 30
    assert "page=2" in html
    assert client.get(page(community) + "?page=2").content.decode().count("data-entry=") == 10
    assert client.get(page(community) + "?page=%EF%BC%92").status_code == 200  # "２": the first page


def test_another_communitys_page_and_an_outsider_get_404(client, community, member, outsider):
    other = CommunityFactory()
    client.force_login(member.user)
    assert client.get(page(other)).status_code == 404
    assert client.post(page(other, "points_check_in")).status_code == 404
    client.force_login(outsider)
    assert client.get(page(community)).status_code == 404
    assert client.post(page(community, "points_check_in")).status_code == 404
    assert not DailyCheckIn.objects.exists()


def test_only_my_own_lines_show(client, community, member, leader):
    give(leader, 2, amount=99)
    client.force_login(member.user)
    html = client.get(page(community)).content.decode()
    assert "+99" not in html and 'data-balance>0<' in html


def test_the_home_section(community, member):
    points.daily_check_in(membership=member)
    section = points_home_section(member)["my_points"]
    assert section["balance"] == 1 and section["streak"] == 1 and section["checked_in_today"] is True
    assert section["url"] == page(community)


# Console: the points rules ---------------------------------------------------------------------

def rules_form(**changes):
    return {"offer_window_hours": "12", "points_per_yuan": "1.5", "points_event_attended": "20",
            "points_check_in": "2", "streak_bonus_every": "5", "streak_bonus_points": "15", **changes}


def test_an_admin_sets_the_points_rules(client, community, admin_member):
    client.force_login(admin_member.user)
    html = client.get(settings_url(community)).content.decode()
    assert "data-points-rules" in html and 'name="streak_bonus_every"' in html
    response = client.post(settings_url(community), rules_form())
    assert response.status_code == 302
    rules = EngagementSettings.objects.get(community=community)
    assert (rules.points_per_yuan, rules.points_event_attended, rules.points_check_in, rules.streak_bonus_every,
            rules.streak_bonus_points) == (Decimal("1.5"), 20, 2, 5, 15)


@pytest.mark.parametrize("field, value", [
    ("points_per_yuan", "1\x00"), ("points_per_yuan", "３"), ("points_per_yuan", "-1"), ("points_per_yuan", "1000.01"),
    ("points_per_yuan", "0.001"), ("points_per_yuan", "1e3"), ("points_per_yuan", "NaN"),
    ("points_check_in", "３"), ("points_check_in", "-1"), ("points_check_in", "100001"),
    ("points_check_in", "9" * 40), ("points_check_in", "1\x00"), ("streak_bonus_every", "1"),
    ("streak_bonus_every", "366"), ("streak_bonus_points", "100001"), ("points_event_attended", "-5"),
])
def test_bad_points_rules_are_form_errors_and_nothing_is_saved(client, community, admin_member, field, value):
    before = engagement_settings(community)
    client.force_login(admin_member.user)
    response = client.post(settings_url(community), rules_form(**{field: value}))
    assert response.status_code == 400
    if "\x00" not in value:  # a NUL byte is refused before any form (400 all the same)
        assert field in response.context["form"].errors
    after = EngagementSettings.objects.get(community=community)
    assert (after.points_per_yuan, after.points_check_in, after.streak_bonus_every) == (
        before.points_per_yuan, before.points_check_in, before.streak_bonus_every)


def test_leaders_and_members_cannot_change_the_rules(client, community, leader, member):
    for who in (leader, member):
        client.force_login(who.user)
        assert client.post(settings_url(community), rules_form()).status_code in (403, 404)
    assert engagement_settings(community).points_check_in == 1


def test_the_points_page_shows_the_level_the_way_to_the_next_and_the_badges(client, community, owner, member):
    from engagement import levels

    levels.levels_set(actor=owner, levels=[("Newbie", 0), ("Regular", 10)])
    give(member, 1, amount=4)
    client.force_login(member.user)
    html = client.get(page(community)).content.decode()
    assert 'data-level>Newbie<' in html and "6 more points to reach Regular." in html
    assert html.count("data-badge=") == len(levels.BADGES)
    give(member, 3, amount=4)  # the same keys: nothing new
    points.points_award(community_id=community.pk, member_id=member.user_id, amount=20, reason="event", key="more")
    html = client.get(page(community)).content.decode()
    assert 'data-level>Regular<' in html and "You are at the top level." in html


def test_the_leaderboard_ranks_the_week_and_the_branch_in_one_query(client, community, owner, member,
                                                                     django_assert_max_num_queries):
    from communities.models import Membership

    from tests.branches import make_branch

    west = make_branch(owner, "West")
    Membership.objects.filter(pk=member.pk).update(branch=west)
    give(member, 2, amount=5)
    points.points_award(community_id=community.pk, member_id=owner.user_id, amount=30, reason="event", key="o")
    client.force_login(member.user)
    html = client.get(reverse("engagement:leaderboard", kwargs={"slug": community.slug})).content.decode()
    assert html.index(f'data-member="{owner.user_id}"') < html.index(f'data-member="{member.user_id}"')
    branch = client.get(reverse("engagement:leaderboard", kwargs={"slug": community.slug}),
                        {"period": "month", "scope": "branch"}).content.decode()
    assert f'data-member="{member.user_id}"' in branch and f'data-member="{owner.user_id}"' not in branch
    for value, status in (("x" * 5000, 200), ("٣", 200), ("\x00", 400)):  # the site refuses NUL bytes
        assert client.get(reverse("engagement:leaderboard", kwargs={"slug": community.slug}),
                          {"period": value, "scope": value}).status_code == status
    with django_assert_max_num_queries(6):
        client.get(reverse("engagement:leaderboard", kwargs={"slug": community.slug}), {"period": "all"})
