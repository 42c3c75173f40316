"""Suspicious referrals are held for an admin: many invitees from one address in a short time, an
inviter most of whose earlier invitees never ordered. Admins are told once a day; they approve
(paid as the sweep would, or later when not due yet) or refuse. Only admins of the community: a
leader gets 403, another community's referral is a 404, a replay is 409."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from core.exceptions import Conflict, Forbidden, NotFound
from core.models import Notification
from engagement import referrals
from engagement.models import PointsEntry, Referral
from tests.branches import fresh
from tests.engagement.referral_helpers import complete_order, join_by_link, pay_rewards, referral_of
from tests.factories import CommunityFactory, MembershipFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2027, 3, 2, 10, 0, tzinfo=SHANGHAI)
EARLY = datetime(2027, 3, 2, 1, 0, tzinfo=SHANGHAI)  # 01:00: twenty hours later is still the same day


def held_notices():
    return Notification.objects.filter(kind="referral_held")


def console(community, name="referrals", **kwargs):
    return reverse(f"engagement_console:{name}", kwargs={"slug": community.slug, **kwargs})


# Holding ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_five_joins_from_one_address_within_a_day_are_all_held_and_admins_told_once(community, member, owner,
                                                                                    admin_member):
    with time_machine.travel(EARLY, tick=False):
        first_four = [join_by_link(member, address="198.51.100.9") for _ in range(4)]
        assert {referral_of(m).status for m in first_four} == {"joined"}
        other_address = join_by_link(member, address="198.51.100.10")
    with time_machine.travel(EARLY + timedelta(hours=20), tick=False):
        fifth = join_by_link(member, address="198.51.100.9")
    held = Referral.objects.filter(status=Referral.Status.HELD)
    assert set(held.values_list("invitee_id", flat=True)) == {m.user_id for m in [*first_four, fifth]}
    assert all(r.held_reason == "address_burst" for r in held)
    assert referral_of(other_address).status == Referral.Status.JOINED
    # One notice per admin (owner and admin), not per held referral; a sixth the same day adds none.
    assert sorted(held_notices().values_list("recipient_id", flat=True)) == sorted([owner.user_id,
                                                                                   admin_member.user_id])
    with time_machine.travel(EARLY + timedelta(hours=21), tick=False):
        join_by_link(member, address="198.51.100.9")
        assert held_notices().count() == 2
    # A day later (Shanghai): told again.
    with time_machine.travel(EARLY + timedelta(days=1, hours=2), tick=False):
        for _ in range(5):
            join_by_link(member, address="198.51.100.77")
    assert held_notices().count() == 4


@pytest.mark.django_db
def test_joins_from_one_address_spread_over_more_than_a_day_are_not_held(member):
    for hours in range(0, 5 * 25, 25):
        with time_machine.travel(T0 + timedelta(hours=hours), tick=False):
            join_by_link(member, address="198.51.100.9")
    assert not Referral.objects.filter(status=Referral.Status.HELD).exists()


@pytest.mark.django_db
def test_an_inviter_whose_earlier_invitees_never_ordered_has_the_next_one_held(owner, admin_member, member):
    with time_machine.travel(T0 - timedelta(days=20), tick=False):
        for i in range(5):
            join_by_link(member, address=f"192.0.2.{i}")
    with time_machine.travel(T0, tick=False):
        newcomer = join_by_link(member, address="192.0.2.99")
    referral = referral_of(newcomer)
    assert referral.status == Referral.Status.HELD and referral.held_reason == "idle_invitees"
    # Its first order is recorded while it waits; the sweep does not pay it.
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        complete_order(owner, admin_member, newcomer)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.HELD and referral.order_id is not None
    pay_rewards(now=T0 + timedelta(days=30))
    assert not PointsEntry.objects.filter(reason="referral").exists()
    from django.utils import translation

    with translation.override("en"):
        page = referrals.held_reasons(referral)
    assert len(page) == 1 and "never ordered" in page[0]


@pytest.mark.django_db
def test_a_referrer_most_of_whose_invitees_ordered_is_not_held(owner, admin_member, member):
    with time_machine.travel(T0 - timedelta(days=20), tick=False):
        invitees = [join_by_link(member, address=f"192.0.2.{i}") for i in range(5)]
        for i, invitee in enumerate(invitees[:3]):
            complete_order(owner, admin_member, invitee, key=f"o{i}")
    with time_machine.travel(T0, tick=False):
        newcomer = join_by_link(member, address="192.0.2.99")
    assert referral_of(newcomer).status == Referral.Status.JOINED


# Reviewing ----------------------------------------------------------------------------------------

def _held_with_order(owner, admin_member, member):
    """An invitee's referral held (address burst) whose first order completed at T0 + 1h."""
    with time_machine.travel(T0, tick=False):
        burst = [join_by_link(member, address="198.51.100.9") for _ in range(5)]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        complete_order(owner, admin_member, burst[0])
    return burst


@pytest.mark.django_db
def test_approving_a_held_referral_past_its_window_pays_it_at_once_and_a_replay_is_409(owner, admin_member, member):
    burst = _held_with_order(owner, admin_member, member)
    referral = referral_of(burst[0])
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        approved = referrals.referral_approve(actor=fresh(admin_member), referral=referral)
        with pytest.raises(Conflict) as replay:
            referrals.referral_approve(actor=fresh(admin_member), referral=referral)
    assert approved.status == Referral.Status.REWARDED and approved.reviewed_by_id == admin_member.user_id
    assert replay.value.code == "not_held"
    assert PointsEntry.objects.filter(reason="referral", member_id=member.user_id).count() == 1
    # Approving one with no order yet sends it back to waiting for its first order, and it is paid
    # (not held again) once that order's window passes.
    second = referral_of(burst[1])
    referrals.referral_approve(actor=fresh(owner), referral=second)
    second.refresh_from_db()
    assert second.status == Referral.Status.JOINED
    with time_machine.travel(T0 + timedelta(days=11), tick=False):
        complete_order(owner, admin_member, burst[1], key="later")
    pay_rewards(now=T0 + timedelta(days=30))
    second.refresh_from_db()
    assert second.status == Referral.Status.REWARDED


@pytest.mark.django_db
def test_refusing_a_held_referral_means_no_reward_ever(owner, admin_member, member):
    burst = _held_with_order(owner, admin_member, member)
    referral = referral_of(burst[0])
    referrals.referral_reject(actor=fresh(admin_member), referral=referral, note="same building, same phone shop")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REJECTED and referral.outcome == "rejected"
    pay_rewards(now=T0 + timedelta(days=30))
    assert not PointsEntry.objects.filter(reason="referral").exists()
    with pytest.raises(Conflict):
        referrals.referral_approve(actor=fresh(admin_member), referral=referral)


@pytest.mark.django_db
def test_only_admins_of_the_same_community_review(owner, admin_member, leader, member):
    burst = _held_with_order(owner, admin_member, member)
    referral = referral_of(burst[0])
    with pytest.raises(Forbidden):
        referrals.referral_approve(actor=fresh(leader), referral=referral)
    with pytest.raises(Forbidden):
        referrals.referral_reject(actor=fresh(member), referral=referral)
    other = fresh(MembershipFactory(community=CommunityFactory(), role="owner"))
    with pytest.raises(NotFound):
        referrals.referral_approve(actor=other, referral=referral)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.HELD


# The console page -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_console_lists_held_first_with_reasons_numbers_and_top_inviters(client, owner, admin_member, member):
    burst = _held_with_order(owner, admin_member, member)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(admin_member.user)
    page = client.get(console(member.community))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("data-held-referral=") == 5
    assert "from one address within 24 hours" in html
    assert f'data-top-referrer="{member.user_id}"' in html
    numbers = page.context["numbers"]
    assert numbers["invited"] == 5 and numbers["ordered"] == 1 and numbers["held"] == 5
    filtered = client.get(console(member.community), {"status": "joined"})
    assert 'data-referral=' not in filtered.content.decode().split("data-all")[1]
    # Bad filters are ignored, never a 500 (a NUL byte is refused by the site as a bad request).
    for bad in ({"page": "٣"}, {"page": "9" * 30}, {"status": "rewarded" * 50}, {"status": "héld"}):
        assert client.get(console(member.community), bad).status_code == 200
    assert client.get(console(member.community), {"status": "held\x00"}).status_code == 400
    # Approve from the page (POST): its window has not passed yet, so it is paid when due.
    done = client.post(console(member.community, "referral_approve", pk=referral_of(burst[0]).pk), follow=True)
    again = client.post(console(member.community, "referral_approve", pk=referral_of(burst[0]).pk), follow=True)
    assert b"will be paid when it falls due" in done.content and b"not waiting for review" in again.content
    assert referral_of(burst[0]).status == Referral.Status.DUE
    rejected = client.post(console(member.community, "referral_reject", pk=referral_of(burst[1]).pk),
                           {"note": "x" * 201}, follow=True)
    assert b"under 200 characters" in rejected.content
    assert referral_of(burst[1]).status == Referral.Status.HELD
    client.post(console(member.community, "referral_reject", pk=referral_of(burst[1]).pk), {"note": "bots"})
    assert referral_of(burst[1]).status == Referral.Status.REJECTED
    assert client.get(console(member.community, "referral_approve", pk=referral_of(burst[2]).pk)).status_code == 405


@pytest.mark.django_db
def test_console_is_for_admins_of_this_community_only(client, owner, admin_member, leader, member):
    burst = _held_with_order(owner, admin_member, member)
    pk = referral_of(burst[0]).pk
    client.force_login(leader.user)
    assert client.get(console(member.community)).status_code == 403
    assert client.post(console(member.community, "referral_approve", pk=pk)).status_code == 403
    other = MembershipFactory(community=CommunityFactory(), role="owner")
    client.force_login(other.user)
    assert client.post(console(other.community, "referral_approve", pk=pk)).status_code == 404
    assert client.post(console(member.community, "referral_approve", pk=pk)).status_code == 404
    assert referral_of(burst[0]).status == Referral.Status.HELD
