"""The levels console page and its API (Perm.MANAGE_LOYALTY): edit up to ten levels, see how many
members are at each level now (one query) and the week's leaderboard; the member leaderboard API
(period and scope like the leaderboard page)."""

import pytest
from django.urls import reverse

from communities.models import Membership, Role
from engagement import levels, points
from engagement.models import LoyaltyLevel, PointsEntry
from tests.api import assert_error, url
from tests.branches import make_branch
from tests.factories import CommunityFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def give(membership, amount, key=None):
    points.points_award(community_id=membership.community_id, member_id=membership.user_id, amount=amount,
                        reason=PointsEntry.Reason.EVENT, key=key or f"test:{membership.user_id}:{amount}")


def page(community):
    return reverse("engagement_console:levels", args=[community.slug])


def login(client, membership):
    client.force_login(membership.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def other_owner():
    owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    return Membership.objects.select_related("community", "user").get(pk=owner.pk)


def level_counts(html: str) -> dict:
    import re

    return {name: int(n) for name, n in re.findall(
        r'<tr data-level="([^"]+)"><td>[^<]*</td><td class="num">\d+</td><td class="num" data-count>(\d+)</td>', html)}


def test_admins_see_the_levels_with_members_at_each_and_the_week_board(client, community, owner, admin_member,
                                                                       leader, member, new_member):
    levels.levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 100), ("核心", 1000)])
    give(member, 150)
    give(leader, 1200)
    spender = new_member("Spender")
    give(spender, 120, key="earn")
    give(spender, -120, key="spend")  # spending keeps the level: lifetime points count
    html = login(client, admin_member).get(page(community)).content.decode()
    # 新人: the owner and the admin (no points); 铁粉: the member and the spender; 核心: the leader
    assert level_counts(html) == {"新人": 2, "铁粉": 2, "核心": 1}
    board = html[html.index("data-week-board"):]
    assert board.index(leader.user.display_name) < board.index(member.user.display_name)


def test_the_level_counts_are_one_query_whatever_the_levels_and_members(community, owner, new_member,
                                                                         django_assert_num_queries):
    levels.levels_set(actor=owner, levels=[(f"L{i}", i * 10) for i in range(10)])
    for i in range(12):
        give(new_member(), i * 9 + 1)
    current = levels.levels_of(community)
    with django_assert_num_queries(1):
        counts = levels.members_per_level(community, current)
    assert sum(n for _level, n in counts) == Membership.objects.filter(community=community, status="active").count()
    # the same as reading each member's level one by one
    expected = {}
    for membership in Membership.objects.filter(community=community, status="active"):
        lifetime = points.account_of(membership).lifetime
        expected.setdefault(levels.level_for(lifetime, current)[0].name, 0)
        expected[levels.level_for(lifetime, current)[0].name] += 1
    assert {level.name: n for level, n in counts if n} == expected


def test_an_admin_changes_the_levels_from_the_page(client, community, admin_member):
    c = login(client, admin_member)
    data = {"name_0": "新人", "points_0": "0", "name_1": "铁粉", "points_1": "300", "name_2": "", "points_2": ""}
    response = c.post(page(community), data)
    assert response.status_code == 302
    assert list(LoyaltyLevel.objects.filter(community=community).values_list("name", "min_points")) == [
        ("新人", 0), ("铁粉", 300)]
    assert 'value="铁粉"' in c.get(page(community)).content.decode()


@pytest.mark.parametrize("data,message", [
    ({"name_0": "A", "points_0": "5"}, "The first level starts at 0 points."),
    ({"name_0": "A", "points_0": "0", "name_1": "B", "points_1": "0"}, "more points than the one before"),
    ({"name_0": "A", "points_0": "0", "name_1": "A", "points_1": "10"}, "its own name"),
    ({"name_0": "A", "points_0": "0", "name_1": "B", "points_1": "１０"}, "whole number"),
    ({"name_0": "A", "points_0": "0", "name_1": "B", "points_1": "-3"}, "whole number"),
    ({"name_0": "A", "points_0": "0", "name_1": "", "points_1": "10"}, "name of 1 to 20"),
    ({"name_0": "A\x00", "points_0": "0"}, ""),
    ({"name_0": "x" * 21, "points_0": "0"}, ""),
    ({}, "Give between 1 and 10 levels."),
])
def test_bad_levels_are_shown_on_the_page_and_change_nothing(client, community, owner, admin_member, data, message):
    levels.levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 100)])
    response = login(client, admin_member).post(page(community), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(LoyaltyLevel.objects.filter(community=community).values_list("name", flat=True)) == ["新人", "铁粉"]


def test_only_admins_reach_the_levels_page(client, community, leader, member):
    for who in (leader, member):
        assert login(client, who).get(page(community)).status_code == 403
        assert login(client, who).post(page(community), {"name_0": "X", "points_0": "0"}).status_code == 403
    assert login(client, other_owner()).get(page(community)).status_code == 404
    assert not LoyaltyLevel.objects.exists()


def test_the_console_nav_links_to_the_levels_page(client, community, admin_member):
    html = login(client, admin_member).get(page(community)).content.decode()
    assert f'href="{page(community)}" aria-current="page"' in html


# API: levels ------------------------------------------------------------------------------------

def levels_route(community):
    return url(community.slug, "admin", "levels")


def test_the_api_reads_and_replaces_the_levels(api_as, community, admin_member, member):
    give(member, 600)
    client = api_as(admin_member.user)
    body = client.get(levels_route(community)).json()
    assert body["custom"] is False
    assert [(r["min_points"], r["members"]) for r in body["levels"]] == [(0, 3), (500, 1), (2000, 0)]
    response = client.put(levels_route(community), {"levels": [{"name": "新人", "min_points": 0},
                                                                {"name": "核心", "min_points": "700"}]},
                          format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"custom": True, "levels": [{"name": "新人", "min_points": 0, "members": 4},
                                                          {"name": "核心", "min_points": 700, "members": 0}]}


@pytest.mark.parametrize("body", [
    {}, {"levels": []}, {"levels": "x"}, {"levels": [{"name": "A", "min_points": 5}]},
    {"levels": [{"name": "A", "min_points": 0}, {"name": "B", "min_points": 0}]},
    {"levels": [{"name": "A", "min_points": 0}, {"name": "A", "min_points": 9}]},
    {"levels": [{"name": "A", "min_points": 0}, {"name": "B", "min_points": "٣"}]},
    {"levels": [{"name": "A", "min_points": 0}, {"name": "B", "min_points": 10 ** 12}]},
    {"levels": [{"name": "A\x00", "min_points": 0}]}, {"levels": [{"name": "x" * 21, "min_points": 0}]},
    {"levels": [{"name": "", "min_points": 0}]}, {"levels": [{"name": "A", "min_points": True}]},
    {"levels": [{"name": f"L{i}", "min_points": i} for i in range(11)]},
])
def test_bad_levels_are_400_and_change_nothing(api_as, community, owner, admin_member, body):
    levels.levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 100)])
    assert_error(api_as(admin_member.user).put(levels_route(community), body, format="json"), 400)
    assert list(LoyaltyLevel.objects.filter(community=community).values_list("name", flat=True)) == ["新人", "铁粉"]


def test_leaders_members_and_other_communities_cannot_use_the_levels_api(api_as, community, leader, member):
    body = {"levels": [{"name": "X", "min_points": 0}]}
    for who in (leader, member):
        assert_error(api_as(who.user).get(levels_route(community)), 403)
        assert_error(api_as(who.user).put(levels_route(community), body, format="json"), 403)
    stranger = other_owner()
    assert_error(api_as(stranger.user).put(levels_route(community), body, format="json"), 404)
    assert not LoyaltyLevel.objects.exists()


# API: the leaderboard ---------------------------------------------------------------------------

def board_route(community, query=""):
    return url(community.slug, "leaderboard") + query


def test_the_leaderboard_api_by_period_and_branch(api_as, community, owner, leader, member, new_member):
    east = make_branch(owner, "East", leader=leader, members=[member])
    outside = new_member("Outside")
    give(member, 30)
    give(outside, 50)
    give(leader, 10)
    client = api_as(member.user)
    body = client.get(board_route(community)).json()
    assert body["period"] == "week" and body["scope"] == "community" and body["branch_id"] is None
    assert [(r["rank"], r["member_id"], r["points"], r["me"]) for r in body["rows"]] == [
        (1, outside.user_id, 50, False), (2, member.user_id, 30, True), (3, leader.user_id, 10, False)]
    body = client.get(board_route(community, "?period=all&scope=branch")).json()
    assert body["scope"] == "branch" and body["branch_id"] == east.pk and body["period"] == "all"
    assert [r["member_id"] for r in body["rows"]] == [member.user_id, leader.user_id]
    # a member with no branch asking for the branch gets the whole community, said so
    body = api_as(outside.user).get(board_route(community, "?scope=branch&period=month")).json()
    assert body["scope"] == "community" and len(body["rows"]) == 3


@pytest.mark.parametrize("query", ["?period=year", "?scope=world", "?period=week\x00", "?period=%E2%91%A0"])
def test_bad_leaderboard_queries_are_400(api_as, community, member, query):
    assert_error(api_as(member.user).get(board_route(community, query)), 400)


def test_the_leaderboard_is_for_members_of_the_community(api_as, community, outsider):
    assert_error(api_as(outsider).get(board_route(community)), 404)
    assert_error(api_as(other_owner().user).get(board_route(community)), 404)
