"""The points API: my points, my ledger (since_id), the daily check-in (201, then 409), the rules."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from engagement import points
from engagement.common import engagement_settings
from engagement.models import DailyCheckIn, EngagementSettings, PointsEntry
from tests.api import assert_error, url
from tests.engagement.test_points_pages import give
from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db


def test_a_member_checks_in_and_reads_points(api_as, community, member):
    points.daily_check_in(membership=member, now=timezone.now() - timedelta(days=1))
    client = api_as(member.user)
    assert client.get(url(community.slug, "points")).json() == {
        "balance": 1, "lifetime": 1, "streak": 1, "checked_in_today": False}
    response = client.post(url(community.slug, "check-in"))
    assert response.status_code == 201
    body = response.json()
    assert body["streak"] == 2 and body["earned"] == 1 and body["balance"] == 2
    assert client.get(url(community.slug, "points")).json() == {
        "balance": 2, "lifetime": 2, "streak": 2, "checked_in_today": True}
    entries = client.get(url(community.slug, "points", "entries"), HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert [(e["amount"], e["reason"]) for e in entries] == [(1, "check_in"), (1, "check_in")]
    assert entries[0]["reason_display"] == "Daily check-in"


def test_a_second_check_in_is_409_and_one_row(api_as, community, member):
    client = api_as(member.user)
    assert client.post(url(community.slug, "check-in")).status_code == 201
    assert_error(client.post(url(community.slug, "check-in")), 409, "checked_in_today")
    assert DailyCheckIn.objects.count() == 1 and PointsEntry.objects.count() == 1


def test_an_idempotent_retry_replays_the_check_in(api_as, community, member):
    client = api_as(member.user)
    first = client.post(url(community.slug, "check-in"), HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(url(community.slug, "check-in"), HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert DailyCheckIn.objects.count() == 1


def test_entries_since_id_and_pages(api_as, community, member, django_assert_max_num_queries):
    give(member, 5)
    client = api_as(member.user)
    with django_assert_max_num_queries(20) as few:
        client.get(url(community.slug, "points", "entries"))
    give(member, 60, amount=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url(community.slug, "points", "entries") + "?page_size=100").json()
    assert body["count"] == 60 and len(body["results"]) == 60
    ids = sorted(e["id"] for e in body["results"])
    newer = client.get(url(community.slug, "points", "entries") + f"?since_id={ids[-3]}").json()
    assert sorted(e["id"] for e in newer["results"]) == ids[-2:]
    for bad in ("３", "-1", "abc", "9" * 30, "1\x00"):
        assert_error(client.get(url(community.slug, "points", "entries"), {"since_id": bad}), 400)


def test_scope_other_community_outsider_and_other_members(api_as, community, member, leader, outsider):
    give(leader, 3, amount=50)
    other = CommunityFactory()
    client = api_as(member.user)
    assert client.get(url(community.slug, "points")).json()["balance"] == 0
    assert client.get(url(community.slug, "points", "entries")).json()["results"] == []
    for path in (("points",), ("points", "entries")):
        assert_error(client.get(url(other.slug, *path)), 404)
        assert_error(api_as(outsider).get(url(community.slug, *path)), 404)
    assert_error(client.post(url(other.slug, "check-in")), 404)
    assert_error(api_as(outsider).post(url(community.slug, "check-in")), 404)
    assert not DailyCheckIn.objects.exists()


# The rules in the settings route ----------------------------------------------------------------

def settings_route(community):
    return url(community.slug, "admin", "engagement-settings")


def test_an_admin_reads_and_changes_the_points_rules(api_as, community, admin_member):
    client = api_as(admin_member.user)
    body = client.get(settings_route(community)).json()
    assert body["points_per_yuan"] == "1.00" and body["streak_bonus_every"] == 7
    response = client.patch(settings_route(community), {
        "points_per_yuan": "2.5", "points_event_attended": 0, "points_check_in": 3, "streak_bonus_every": 2,
        "streak_bonus_points": 100000}, format="json")
    assert response.status_code == 200, response.json()
    rules = EngagementSettings.objects.get(community=community)
    assert (rules.points_per_yuan, rules.points_event_attended, rules.points_check_in, rules.streak_bonus_every,
            rules.streak_bonus_points) == (Decimal("2.5"), 0, 3, 2, 100000)


@pytest.mark.parametrize("body", [
    {"points_per_yuan": "1\x00"}, {"points_per_yuan": "３"}, {"points_per_yuan": "-1"},
    {"points_per_yuan": "1000.01"}, {"points_per_yuan": "0.001"}, {"points_per_yuan": "NaN"},
    {"points_per_yuan": "1e3"}, {"points_per_yuan": 10 ** 40},
    {"points_check_in": "３"}, {"points_check_in": -1}, {"points_check_in": 100001}, {"points_check_in": 10 ** 40},
    {"points_check_in": "1\x00"}, {"points_event_attended": -1}, {"streak_bonus_points": 100001},
    {"streak_bonus_every": 1}, {"streak_bonus_every": 366}, {"streak_bonus_every": True},
    {"points_check_in": 5, "streak_bonus_every": 0},  # one bad field: the good one is not saved either
])
def test_bad_rules_are_400_and_nothing_is_saved(api_as, community, admin_member, body):
    before = engagement_settings(community)
    response = api_as(admin_member.user).patch(settings_route(community), body, format="json")
    assert_error(response, 400)
    after = EngagementSettings.objects.get(community=community)
    assert [getattr(after, f) for f in body] == [getattr(before, f) for f in body]
    assert after.points_check_in == before.points_check_in


def test_leaders_and_members_cannot_change_the_rules(api_as, community, leader, member):
    for who in (leader, member):
        assert_error(api_as(who.user).patch(settings_route(community), {"points_check_in": 9}, format="json"), 403)
    assert engagement_settings(community).points_check_in == 1
