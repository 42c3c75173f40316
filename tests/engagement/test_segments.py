"""Segments an admin hands coupons to pick exactly the right members: everyone active, a branch, a
level (lifetime points against the community's thresholds), the lapsed (no order in the last N
days, including members who never ordered) with a controlled clock; bad choices are field errors."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from communities.models import Membership, Role
from core.exceptions import ValidationFailed
from engagement import segments
from engagement.levels import levels_set
from engagement.models import PointsAccount
from orders import services
from tests.branches import make_branch
from tests.factories import CommunityFactory, MembershipFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db


def ids(community, **choice):
    return set(segments.segment_member_ids(community, segments.segment_parse(community, **choice)))


def users(*memberships):
    return {m.user_id for m in memberships}


@pytest.fixture
def staff(community):
    return set(community.memberships.values_list("user_id", flat=True))


def order(membership, group_buy, key):
    fresh = Membership.objects.select_related("community", "user", "branch").get(pk=membership.pk)
    placed, _ = services.order_place(member=fresh, group_buy=group_buy, lines=[(group_buy.items.first().pk, 1)],
                                     idempotency_key=key, pickup_point_id=group_buy.pickup_points.get().pk)
    return placed


def test_everyone_is_every_active_member_of_this_community_only(community, staff, new_member):
    a, b = new_member("A"), new_member("B")
    left, banned = new_member("Left"), new_member("Banned")
    Membership.objects.filter(pk=left.pk).update(status=Membership.Status.LEFT, left_at=timezone.now())
    Membership.objects.filter(pk=banned.pk).update(status=Membership.Status.BANNED, left_at=timezone.now())
    MembershipFactory(community=CommunityFactory())  # someone elsewhere
    chosen = ids(community, segment="everyone")
    assert chosen == staff | users(a, b)
    assert segments.segment_count(community, segments.segment_parse(community, segment="everyone")) == len(chosen)


def test_a_branch_is_its_members_only(community, owner, new_member):
    east_people = [new_member("E1"), new_member("E2")]
    west_person = new_member("W1")
    east = make_branch(owner, "East", members=east_people)
    make_branch(owner, "West", members=[west_person])
    assert ids(community, segment="branch", branch_id=east.pk) == users(*east_people)
    assert ids(community, segment="branch", branch_id=str(east.pk)) == users(*east_people)


def test_a_level_is_the_members_whose_lifetime_points_reach_it_and_not_the_next(community, owner, staff, new_member):
    levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 500), ("核心", 2000)])
    people = {points: new_member(f"P{points}") for points in (0, 499, 500, 1999, 2000, 10**6)}
    no_account = new_member("No account")
    for points, membership in people.items():
        PointsAccount.objects.create(community=community, member=membership.user, lifetime=points,
                                     balance=min(points, 10))
    # Another community's points count for nothing here.
    PointsAccount.objects.create(community=CommunityFactory(), member=no_account.user, lifetime=5000)

    assert ids(community, segment="level", level="新人") == staff | users(people[0], people[499], no_account)
    assert ids(community, segment="level", level="铁粉") == users(people[500], people[1999])
    assert ids(community, segment="level", level=" 核心 ") == users(people[2000], people[10**6])


def test_default_levels_work_before_the_community_names_its_own(community, staff, new_member):
    fan = new_member("Fan")
    PointsAccount.objects.create(community=community, member=fan.user, lifetime=600)
    names = [level.name for level in segments.levels_of(community)]
    assert ids(community, segment="level", level=names[1]) == users(fan)
    assert ids(community, segment="level", level=names[0]) == staff


def test_lapsed_members_have_no_order_not_cancelled_in_the_last_n_days_including_never(community, owner, staff,
                                                                                        new_member):
    start = timezone.now()
    recent, old, never, cancelled_only = (new_member("Recent"), new_member("Old"), new_member("Never"),
                                          new_member("Cancelled"))
    elsewhere = CommunityFactory()
    MembershipFactory(community=elsewhere, user=never.user, role=Role.OWNER)
    with time_machine.travel(start, tick=False):
        round_then = make_group_buy(owner)
        order(old, round_then, "old")
        cancelled = order(cancelled_only, round_then, "c")
        services.order_cancel(member=Membership.objects.select_related("community", "user").get(pk=cancelled_only.pk),
                              order=cancelled)
    with time_machine.travel(start + timedelta(days=25), tick=False):
        order(recent, make_group_buy(owner, title="Later"), "recent")
    # An order in another community does not make a member active here.
    with time_machine.travel(start + timedelta(days=26), tick=False):
        theirs = Membership.objects.select_related("community", "user").get(community=elsewhere, user=never.user)
        order(theirs, make_group_buy(theirs), "elsewhere")

    with time_machine.travel(start + timedelta(days=40), tick=False):
        assert ids(community, segment="lapsed", days=30) == staff | users(old, never, cancelled_only)
        assert ids(community, segment="lapsed", days="14") == staff | users(old, never, cancelled_only, recent)
        assert ids(community, segment="lapsed", days=365) == staff | users(never, cancelled_only)
        # Exactly at the boundary: the old order was 40 days ago.
        assert old.user_id in ids(community, segment="lapsed", days=39)
        assert old.user_id not in ids(community, segment="lapsed", days=41)


@pytest.mark.parametrize("choice, field", [
    ({"segment": "all"}, "segment"),
    ({"segment": None}, "segment"),
    ({"segment": ["everyone"]}, "segment"),
    ({"segment": "branch"}, "branch_id"),
    ({"segment": "branch", "branch_id": "１"}, "branch_id"),
    ({"segment": "branch", "branch_id": 2**70}, "branch_id"),
    ({"segment": "branch", "branch_id": True}, "branch_id"),
    ({"segment": "level", "level": "Nobody"}, "level"),
    ({"segment": "level", "level": "新人\x00"}, "level"),
    ({"segment": "level"}, "level"),
    ({"segment": "lapsed"}, "days"),
    ({"segment": "lapsed", "days": 0}, "days"),
    ({"segment": "lapsed", "days": 366}, "days"),
    ({"segment": "lapsed", "days": "１２"}, "days"),
    ({"segment": "lapsed", "days": "٣"}, "days"),
    ({"segment": "lapsed", "days": True}, "days"),
    ({"segment": "lapsed", "days": "10\x00"}, "days"),
])
def test_a_bad_segment_is_a_field_error(community, owner, choice, field):
    levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 500)])
    with pytest.raises(ValidationFailed) as refused:
        segments.segment_parse(community, **choice)
    assert field in refused.value.fields


def test_another_communitys_branch_is_refused(community):
    other_owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    other_owner = Membership.objects.select_related("community", "user").get(pk=other_owner.pk)
    theirs = make_branch(other_owner, "Theirs")
    with pytest.raises(ValidationFailed) as refused:
        segments.segment_parse(community, segment="branch", branch_id=theirs.pk)
    assert "branch_id" in refused.value.fields


def test_a_segment_larger_than_one_hand_out_is_refused_not_cut(community, staff, monkeypatch):
    monkeypatch.setattr(segments, "MAX_HAND_OUT", len(staff) - 1)
    with pytest.raises(ValidationFailed) as refused:
        ids(community, segment="everyone")
    assert refused.value.code == "segment_too_large"
    monkeypatch.setattr(segments, "MAX_HAND_OUT", len(staff))
    assert ids(community, segment="everyone") == staff


def test_the_segments_are_counted_in_sql_not_per_member(community, owner, new_member, django_assert_max_num_queries):
    levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 500)])
    for n in range(30):
        membership = new_member(f"M{n}")
        PointsAccount.objects.create(community=community, member=membership.user, lifetime=n * 40)
    UserFactory()
    for choice in ({"segment": "everyone"}, {"segment": "level", "level": "铁粉"}, {"segment": "lapsed", "days": 30}):
        chosen = segments.segment_parse(community, **choice)
        with django_assert_max_num_queries(1):
            count = segments.segment_count(community, chosen)
        with django_assert_max_num_queries(1):
            assert len(segments.segment_member_ids(community, chosen)) == count
