"""Points for a featured comment: an admin pins (features) a member's comment → the domain event
"comment.featured" → the author earns points_featured_comment once per comment; unpinning keeps
them and pinning again earns nothing more. Badges: top referrer and the 30-day streak."""

import datetime

import pytest
from django.utils import timezone

from communities.services import membership_leave
from core.models import DomainEvent
from core.sweeps import sweep_run
from engagement import levels, points
from engagement import posts as services
from engagement.common import engagement_settings
from engagement.models import DailyCheckIn, PointsAccount, PointsEntry, PointsTotal, Referral
from tests.concurrency import run_at_once
from tests.engagement.test_posts import make_post

pytestmark = pytest.mark.django_db


def deliver_events():
    sweep_run("core.domain_events")


def featured_points(membership):
    return list(PointsEntry.objects.filter(community_id=membership.community_id, member_id=membership.user_id,
                                           reason=PointsEntry.Reason.FEATURED).values_list("amount", flat=True))


def test_a_featured_comment_earns_its_author_points_once(admin_member, member):
    post = make_post(admin_member)
    comment, _ = services.comment_add(member=member, post=post, body="The lychees were great")
    services.comment_pin(actor=admin_member, comment=comment, pinned=True)
    event = DomainEvent.objects.get(name="comment.featured")
    assert event.community_id == member.community_id
    assert (event.payload["comment_id"], event.payload["member_id"]) == (comment.pk, member.user_id)
    deliver_events()
    deliver_events()
    assert featured_points(member) == [20] and points.account_of(member).balance == 20
    # unpinning keeps the points; pinning again earns nothing more
    services.comment_pin(actor=admin_member, comment=comment, pinned=False)
    services.comment_pin(actor=admin_member, comment=comment, pinned=True)
    services.comment_pin(actor=admin_member, comment=comment, pinned=True)  # already pinned: no new event
    deliver_events()
    assert featured_points(member) == [20] and points.account_of(member).balance == 20
    assert DomainEvent.objects.filter(name="comment.featured").count() == 2


def test_each_featured_comment_earns_by_the_communitys_rule(admin_member, member):
    rules = engagement_settings(member.community)
    rules.points_featured_comment = 7
    rules.save()
    post = make_post(admin_member)
    for body in ("one", "two"):
        comment, _ = services.comment_add(member=member, post=post, body=body)
        services.comment_pin(actor=admin_member, comment=comment)
    deliver_events()
    assert featured_points(member) == [7, 7]


def test_nothing_when_the_rule_is_off_for_an_admins_own_comment_or_an_author_who_left(admin_member, member,
                                                                                     new_member):
    post = make_post(admin_member)
    own, _ = services.comment_add(member=admin_member, post=post, body="Order by Friday")
    services.comment_pin(actor=admin_member, comment=own)
    gone = new_member("Gone")
    left, _ = services.comment_add(member=gone, post=post, body="Bye")
    membership_leave(user=gone.user, community=gone.community)
    services.comment_pin(actor=admin_member, comment=left)
    deliver_events()
    assert featured_points(admin_member) == [] and featured_points(gone) == []
    rules = engagement_settings(member.community)
    rules.points_featured_comment = 0
    rules.save()
    comment, _ = services.comment_add(member=member, post=post, body="Nice")
    services.comment_pin(actor=admin_member, comment=comment)
    deliver_events()
    assert featured_points(member) == []


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_write_one_line(admin_member, member):
    post = make_post(admin_member)
    comment, _ = services.comment_add(member=member, post=post, body="Great")
    services.comment_pin(actor=admin_member, comment=comment)
    event = DomainEvent.objects.get(name="comment.featured")
    # The commit may have delivered it already (eager tasks): start from no points.
    for model in (PointsEntry, PointsAccount, PointsTotal):
        model.objects.filter(community_id=member.community_id).delete()

    def handle(_i):
        from django.db import transaction

        with transaction.atomic():
            points.on_comment_featured(event)

    results = run_at_once(2, handle)
    assert not [r for r in results if isinstance(r, Exception)]
    assert featured_points(member) == [20] and points.account_of(member).balance == 20


def test_comment_featured_is_a_handler_of_the_points_area():
    assert points.HANDLERS["comment.featured"] is points.on_comment_featured


# Badges -----------------------------------------------------------------------------------------

def badges(membership):
    return {b["code"]: b["earned"] for b in levels.badges_of(membership)}


def test_every_milestone_badge_exists():
    assert [code for code, _name in levels.BADGES] == [
        "first_order", "tenth_order", "event_regular", "top_referrer", "streak_30"]


def test_the_top_referrer_badge_takes_three_rewarded_referrals(member, new_member):
    now = timezone.now()
    invitees = [new_member(f"Friend {i}") for i in range(4)]
    for invitee, status in zip(invitees, ["rewarded", "rewarded", "held", "rejected"]):
        Referral.objects.create(community_id=member.community_id, referrer=member.user, invitee=invitee.user,
                                status=status, joined_at=now)
    assert badges(member)["top_referrer"] is False
    Referral.objects.filter(invitee=invitees[2].user).update(status="rewarded")
    assert badges(member)["top_referrer"] is True
    assert badges(invitees[0])["top_referrer"] is False


def test_the_streak_badge_stays_once_thirty_days_in_a_row_were_reached(member):
    day = datetime.date(2026, 11, 1)
    DailyCheckIn.objects.create(community_id=member.community_id, member=member.user, day=day, streak=29)
    assert badges(member)["streak_30"] is False
    DailyCheckIn.objects.create(community_id=member.community_id, member=member.user,
                                day=day + datetime.timedelta(days=1), streak=30)
    DailyCheckIn.objects.create(community_id=member.community_id, member=member.user,
                                day=day + datetime.timedelta(days=5), streak=1)  # the streak broke since
    assert badges(member)["streak_30"] is True


def test_badges_are_a_few_queries(member, django_assert_num_queries):
    with django_assert_num_queries(4):
        levels.badges_of(member)
