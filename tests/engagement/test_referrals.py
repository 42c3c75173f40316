"""Referral rewards (邀请有礼): a join by a member's link records who invited whom (once); the
invitee's first completed order makes the reward due once its refund window passes; the sweep pays
it exactly once (run twice, or twice at once); nothing for self-referral, later orders, a refund
inside the window, or beyond the weekly cap. Time is controlled."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from communities import services as communities
from core.events import emit
from core.models import DomainEvent, Notification
from engagement import points, referrals
from engagement.common import engagement_settings
from engagement.models import PointsEntry, Referral
from orders import services as orders
from tests.concurrency import run_at_once
from tests.engagement.referral_helpers import (
    ADDRESS, complete_order, deliver, join_by_link, pay_rewards, referral_of, referrers_invite,
)
from tests.factories import MembershipFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2027, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Tuesday


def referral_points(member):
    return PointsEntry.objects.filter(community_id=member.community_id, member_id=member.user_id,
                                      reason=PointsEntry.Reason.REFERRAL)


def rewarded_notices(member):
    return Notification.objects.filter(recipient_id=member.user_id, kind="referral_rewarded")


# Who invited whom --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_join_by_a_members_link_records_the_referral_with_the_address(member):
    invitee = join_by_link(member)
    referral = referral_of(invitee)
    assert referral.referrer_id == member.user_id and referral.status == Referral.Status.JOINED
    assert referral.join_address == ADDRESS
    # The member's own link is reused, not made again, and joining records who invited.
    assert referrers_invite(member).pk == invitee.invite_id and invitee.invited_by_id == member.user_id


@pytest.mark.django_db
def test_membership_joined_is_emitted_once_per_join_and_rejoining_makes_no_second_referral(member):
    invitee = join_by_link(member)
    invite = referrers_invite(member)
    # A second tap on the link: already a member, nothing emitted.
    communities.membership_join_by_code(user=invitee.user, code=invite.code, address=ADDRESS)
    events = DomainEvent.objects.filter(name="membership.joined", payload__user_id=invitee.user_id)
    assert events.count() == 1
    assert events.get().payload == {"user_id": invitee.user_id, "invited_by_id": member.user_id,
                                    "invite_id": invite.pk, "join_address": ADDRESS, "rejoined": False}
    # Left and came back by the link: a second event (rejoined), still one referral.
    communities.membership_leave(user=invitee.user, community=invitee.community)
    join_by_link(member, user=invitee.user)  # a request by the link, approved (admins review newcomers)
    assert events.count() == 2 and events.order_by("pk").last().payload["rejoined"] is True
    assert Referral.objects.filter(invitee_id=invitee.user_id).count() == 1


@pytest.mark.django_db
def test_someone_who_was_a_member_before_earns_their_inviter_nothing(community, member):
    old_timer = UserFactory()
    MembershipFactory(community=community, user=old_timer, status="left")
    join_by_link(member, user=old_timer)
    assert referral_of(community.memberships.get(user=old_timer)) is None


@pytest.mark.django_db
def test_a_handler_run_twice_or_an_inviter_named_as_invitee_makes_no_second_row(community, member):
    invitee = join_by_link(member)
    event = DomainEvent.objects.filter(name="membership.joined", payload__user_id=invitee.user_id).get()
    referrals.on_member_joined(event)  # a retried delivery
    emit("membership.joined", community_id=community.pk, user_id=member.user_id, invited_by_id=member.user_id,
         invite_id=None, join_address=None, rejoined=False)
    deliver()
    assert Referral.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("same", ["phone", "email"])
def test_self_referral_by_a_second_account_with_the_same_phone_or_email_is_rejected(owner, admin_member, member,
                                                                                     same):
    referrer = member.user
    fields = ({"phone": "+86" + referrer.phone} if same == "phone"
              else {"email": referrer.email.replace("@", "+second@")})
    invitee = join_by_link(member, **fields)
    referral = referral_of(invitee)
    assert referral.status == Referral.Status.REJECTED and referral.outcome == "self_referral"
    complete_order(owner, admin_member, invitee)
    pay_rewards(now=timezone.now() + timedelta(days=30))
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REJECTED and not referral_points(member).exists()


# The first order, the refund window, the sweep -------------------------------------------------------

@pytest.mark.django_db
def test_the_reward_is_paid_after_the_refund_window_exactly_once(owner, admin_member, member):
    rules = engagement_settings(member.community)
    with time_machine.travel(T0, tick=False):
        invitee = join_by_link(member)
        order = complete_order(owner, admin_member, invitee)
    referral = referral_of(invitee)
    assert referral.status == Referral.Status.DUE and referral.order_id == order.pk
    assert referral.due_at == order.completed_at + timedelta(days=rules.referral_refund_window_days)
    # Inside the window nothing is paid.
    assert pay_rewards(now=referral.due_at - timedelta(minutes=1)).settled == 0
    assert not referral_points(member).exists()
    # After it: paid once, however often the sweep runs.
    after = referral.due_at + timedelta(minutes=5)
    pay_rewards(now=after)
    pay_rewards(now=after)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REWARDED and referral.points == rules.referral_points
    assert [e.amount for e in referral_points(member)] == [rules.referral_points]
    assert rewarded_notices(member).count() == 1
    assert points.account_of(member).balance == rules.referral_points


@pytest.mark.django_db
def test_a_second_order_earns_nothing_more(owner, admin_member, member):
    with time_machine.travel(T0, tick=False):
        invitee = join_by_link(member)
        first = complete_order(owner, admin_member, invitee, key="first")
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        complete_order(owner, admin_member, invitee, key="second")
    referral = referral_of(invitee)
    assert referral.order_id == first.pk
    pay_rewards(now=T0 + timedelta(days=30))
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        complete_order(owner, admin_member, invitee, key="third")
    pay_rewards(now=T0 + timedelta(days=60))
    assert referral_points(member).count() == 1
    assert Referral.objects.filter(invitee_id=invitee.user_id).count() == 1


@pytest.mark.django_db
def test_a_refund_inside_the_window_means_no_reward(owner, admin_member, member):
    with time_machine.travel(T0, tick=False):
        invitee = join_by_link(member)
        order = complete_order(owner, admin_member, invitee)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        orders.order_refund(actor=admin_member, order=order, reason="bruised")
        deliver()
    referral = referral_of(invitee)
    assert referral.status == Referral.Status.REJECTED and referral.outcome == "refunded"
    pay_rewards(now=T0 + timedelta(days=30))
    assert not referral_points(member).exists() and not rewarded_notices(member).exists()
    # A later order (not the first) does not revive it.
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        complete_order(owner, admin_member, invitee, key="again")
    pay_rewards(now=T0 + timedelta(days=60))
    assert not referral_points(member).exists()


@pytest.mark.django_db
def test_a_refund_not_yet_delivered_when_the_sweep_runs_still_stops_the_reward(owner, admin_member, member):
    with time_machine.travel(T0, tick=False):
        invitee = join_by_link(member)
        order = complete_order(owner, admin_member, invitee)
        orders.order_refund(actor=admin_member, order=order, reason="bruised")  # event not delivered yet
    pay_rewards(now=T0 + timedelta(days=30))
    referral = referral_of(invitee)
    assert referral.status == Referral.Status.REJECTED and referral.outcome == "refunded"
    assert not referral_points(member).exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_pay_once(community, owner, admin_member, member):
    with time_machine.travel(T0, tick=False):
        invitees = [join_by_link(member) for _ in range(3)]
        for i, invitee in enumerate(invitees):
            complete_order(owner, admin_member, invitee, key=f"o{i}")
    later = T0 + timedelta(days=30)
    results = run_at_once(2, lambda i: pay_rewards(now=later))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r.settled for r in results) == 3
    rules = engagement_settings(community)
    assert referral_points(member).count() == 3
    assert points.account_of(member).balance == 3 * rules.referral_points
    assert rewarded_notices(member).count() == 3
    assert Referral.objects.filter(status=Referral.Status.REWARDED).count() == 3


@pytest.mark.django_db
def test_the_weekly_cap_counts_the_communitys_calendar_week(owner, admin_member, member):
    rules = engagement_settings(member.community)
    rules.referral_weekly_cap = 2
    rules.save()
    with time_machine.travel(T0, tick=False):
        invitees = [join_by_link(member) for _ in range(3)]
        for i, invitee in enumerate(invitees):
            complete_order(owner, admin_member, invitee, key=f"o{i}")
    sunday_night = datetime(2027, 3, 14, 23, 0, tzinfo=SHANGHAI)  # the same week (Mon 8th - Sun 14th)
    pay_rewards(now=sunday_night)
    statuses = sorted(Referral.objects.values_list("status", "outcome"))
    assert statuses == [("rejected", "weekly_cap"), ("rewarded", ""), ("rewarded", "")]
    # The next Monday (Shanghai) is a new week: a fourth invitee's reward is paid.
    with time_machine.travel(sunday_night - timedelta(days=10), tick=False):
        fourth = join_by_link(member)
        complete_order(owner, admin_member, fourth, key="o4")
    pay_rewards(now=datetime(2027, 3, 15, 0, 30, tzinfo=SHANGHAI))
    assert referral_of(fourth).status == Referral.Status.REWARDED
    assert referral_points(member).count() == 3


@pytest.mark.django_db
def test_the_coupon_is_handed_out_with_the_points_once(owner, admin_member, member):
    from orders.models import Coupon, MemberCoupon

    coupon = Coupon.objects.create(community=member.community, code="THANKS", name="Thank-you ¥5",
                                   amount_off="5.00", starts_at=T0 - timedelta(days=1),
                                   ends_at=T0 + timedelta(days=90), handed_out_only=True)
    rules = engagement_settings(member.community)
    rules.referral_coupon = coupon
    rules.save()
    with time_machine.travel(T0, tick=False):
        invitee = join_by_link(member)
        complete_order(owner, admin_member, invitee)
    pay_rewards(now=T0 + timedelta(days=10))
    pay_rewards(now=T0 + timedelta(days=11))
    referral = referral_of(invitee)
    assert referral.status == Referral.Status.REWARDED and referral.outcome == f"coupon:{coupon.pk}"
    assert MemberCoupon.objects.get(coupon=coupon, member_id=member.user_id).handed == 1


@pytest.mark.django_db
def test_an_inviter_who_left_earns_nothing(owner, admin_member, member):
    with time_machine.travel(T0, tick=False):
        invitee = join_by_link(member)
        complete_order(owner, admin_member, invitee)
    communities.membership_leave(user=member.user, community=member.community)
    pay_rewards(now=T0 + timedelta(days=30))
    referral = referral_of(invitee)
    assert referral.status == Referral.Status.REJECTED and referral.outcome == "referrer_gone"
    assert not referral_points(member).exists()
