"""Levels from lifetime points with the community's own names; badges from what members did."""

import pytest

from core.exceptions import Forbidden, ValidationFailed
from engagement import levels, points
from engagement.models import LoyaltyLevel

pytestmark = pytest.mark.django_db


def test_default_levels_until_the_community_names_its_own(community, owner):
    names = [level.min_points for level in levels.levels_of(community)]
    assert names == [0, 500, 2000]
    levels.levels_set(actor=owner, levels=[("新人", 0), ("铁粉", "100"), ("核心", 1000)])
    current, following = levels.level_for(150, levels.levels_of(community))
    assert (current.name, following.name) == ("铁粉", "核心")
    top, none = levels.level_for(5000, levels.levels_of(community))
    assert top.name == "核心" and none is None


def test_lifetime_points_not_the_balance_make_the_level(community, owner, member):
    levels.levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 2)])
    points.points_award(community_id=community.pk, member_id=member.user_id, amount=3, reason="event", key="a")
    points.points_award(community_id=community.pk, member_id=member.user_id, amount=-3, reason="order_reversed",
                        key="b")
    account = points.account_of(member)
    assert account.balance == 0 and levels.level_for(account.lifetime, levels.levels_of(community))[0].name == "铁粉"


@pytest.mark.parametrize("bad", [
    [],
    [("A", 5)],  # the first must start at 0
    [("A", 0), ("B", 0)],  # rising
    [("A", 0), ("A", 10)],  # own names
    [("", 0)],
    [("x" * 21, 0)],
    [("A", 0), ("B", "１０")],
    [("A", 0), ("B", "-5")],
    [("A\x00", 0), ("B", 10**12)],
    [(f"L{i}", i) for i in range(11)],
])
def test_bad_levels_are_refused_and_nothing_changes(community, owner, bad):
    levels.levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 100)])
    with pytest.raises(ValidationFailed):
        levels.levels_set(actor=owner, levels=bad)
    assert list(LoyaltyLevel.objects.values_list("name", flat=True)) == ["新人", "铁粉"]


def test_only_admins_set_levels(leader):
    with pytest.raises(Forbidden):
        levels.levels_set(actor=leader, levels=[("A", 0)])


def test_badges_follow_what_the_member_did(member):
    from engagement.models import DailyCheckIn
    import datetime

    assert not any(b["earned"] for b in levels.badges_of(member))
    DailyCheckIn.objects.create(community_id=member.community_id, member=member.user,
                                day=datetime.date(2026, 12, 1), streak=30)
    earned = {b["code"] for b in levels.badges_of(member) if b["earned"]}
    assert earned == {"streak_30"}
