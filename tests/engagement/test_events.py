"""Events: creating, RSVPs, the waitlist, paid seats and check-in, as members and admins see them."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from communities.models import Community, Role
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from core.models import AuditLog, DomainEvent, Notification
from engagement import events
from engagement.event_selectors import (attendance, events_for_member, rsvp_of, waitlist_position,
                                        waitlist_history)
from engagement.models import RSVP, Event
from payments.models import Charge, Refund, WalletEntry
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_free_rsvp_takes_a_seat_and_a_ticket(make_event, member):
    event = make_event(capacity=3)
    rsvp = events.rsvp_create(membership=member, event=event, guests=0)
    event.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING and event.seats_taken == 1
    assert len(rsvp.ticket_code) == 8
    assert DomainEvent.objects.filter(name="event.rsvped", payload__rsvp_id=rsvp.pk).exists()


def test_guests_take_seats_and_are_bounded_by_the_event(make_event, member, new_member):
    event = make_event(capacity=3, max_guests=2)
    events.rsvp_create(membership=member, event=event, guests=2)
    event.refresh_from_db()
    assert event.seats_taken == 3
    with pytest.raises(ValidationFailed) as error:
        events.rsvp_create(membership=new_member(), event=event, guests=3)
    assert "guests" in error.value.fields


@pytest.mark.parametrize("guests", ["３", "-1", "999", "1\x00", "", None])
def test_odd_guest_numbers_are_refused_or_read_as_none(make_event, member, guests):
    event = make_event(capacity=3, max_guests=2)
    if guests in ("", None):
        assert events.rsvp_create(membership=member, event=event, guests=guests).guests == 0
        return
    with pytest.raises(ValidationFailed):
        events.rsvp_create(membership=member, event=event, guests=guests)
    assert not RSVP.objects.exists()


def test_a_second_rsvp_returns_the_first(make_event, member):
    event = make_event()
    first = events.rsvp_create(membership=member, event=event)
    again = events.rsvp_create(membership=member, event=event)
    event.refresh_from_db()
    assert again.pk == first.pk and again.ticket_code == first.ticket_code and event.seats_taken == 1


def test_full_event_waitlists_and_a_cancellation_offers_the_seat_in_order(make_event, member, new_member):
    event = make_event(capacity=1)
    holder = new_member("Holder")
    seat = events.rsvp_create(membership=holder, event=event)
    first, second = new_member("First"), new_member("Second")
    waiting_1 = events.rsvp_create(membership=first, event=event)
    waiting_2 = events.rsvp_create(membership=second, event=event)
    assert waiting_1.status == waiting_2.status == RSVP.Status.WAITLISTED
    assert waitlist_position(waiting_1) == 1 and waitlist_position(waiting_2) == 2

    events.rsvp_cancel(membership=holder, rsvp=seat)
    waiting_1.refresh_from_db(), waiting_2.refresh_from_db()
    assert waiting_1.status == RSVP.Status.OFFERED and waiting_2.status == RSVP.Status.WAITLISTED
    assert waiting_1.offer_expires_at <= event.starts_at
    assert Notification.objects.filter(recipient=first.user, kind="event_offer").count() == 1
    event.refresh_from_db()
    assert event.seats_taken == 1  # the offer holds the seat

    taken = events.rsvp_accept_offer(membership=first, rsvp=waiting_1)
    assert taken.status == RSVP.Status.GOING
    actions = [entry.action for entry in waitlist_history(event)]
    assert actions == ["rsvp.going", "rsvp.waitlisted", "rsvp.waitlisted", "rsvp.cancelled", "rsvp.offered",
                       "rsvp.accepted"]


def test_newcomers_do_not_jump_the_queue(make_event, new_member):
    event = make_event(capacity=1)
    holder = new_member()
    seat = events.rsvp_create(membership=holder, event=event)
    waiting = events.rsvp_create(membership=new_member(), event=event)
    events.rsvp_cancel(membership=holder, rsvp=seat)
    late = events.rsvp_create(membership=new_member(), event=event)
    waiting.refresh_from_db()
    assert waiting.status == RSVP.Status.OFFERED and late.status == RSVP.Status.WAITLISTED


def test_a_party_that_does_not_fit_is_skipped_not_blocking(make_event, new_member):
    event = make_event(capacity=2, max_guests=2)
    holder = new_member()
    seat = events.rsvp_create(membership=holder, event=event, guests=0)
    events.rsvp_create(membership=new_member(), event=event, guests=0)  # full now
    big = events.rsvp_create(membership=new_member(), event=event, guests=1)  # needs 2
    small = events.rsvp_create(membership=new_member(), event=event, guests=0)
    events.rsvp_cancel(membership=holder, rsvp=seat)
    big.refresh_from_db(), small.refresh_from_db()
    assert big.status == RSVP.Status.WAITLISTED and small.status == RSVP.Status.OFFERED


def test_declining_an_offer_passes_it_on(make_event, new_member):
    event = make_event(capacity=1)
    holder, first, second = new_member(), new_member(), new_member()
    seat = events.rsvp_create(membership=holder, event=event)
    offer = events.rsvp_create(membership=first, event=event)
    nxt = events.rsvp_create(membership=second, event=event)
    events.rsvp_cancel(membership=holder, rsvp=seat)
    offer.refresh_from_db()
    events.rsvp_decline_offer(membership=first, rsvp=offer)
    offer.refresh_from_db(), nxt.refresh_from_db()
    assert offer.status == RSVP.Status.DECLINED and nxt.status == RSVP.Status.OFFERED


def test_an_expired_offer_passes_to_the_next_through_the_sweep(make_event, new_member):
    from core.sweeps import sweep_run

    event = make_event(capacity=1)
    holder, first, second = new_member(), new_member(), new_member()
    seat = events.rsvp_create(membership=holder, event=event)
    offer = events.rsvp_create(membership=first, event=event)
    nxt = events.rsvp_create(membership=second, event=event)
    events.rsvp_cancel(membership=holder, rsvp=seat)
    offer.refresh_from_db()
    later = offer.offer_expires_at + timedelta(seconds=1)
    assert sweep_run("engagement.expire_offers", now=later).settled == 1
    assert sweep_run("engagement.expire_offers", now=later).settled == 0
    offer.refresh_from_db(), nxt.refresh_from_db()
    assert offer.status == RSVP.Status.EXPIRED and nxt.status == RSVP.Status.OFFERED
    with pytest.raises(Conflict):
        events.rsvp_accept_offer(membership=first, rsvp=offer)


def test_the_offer_window_is_the_communitys_and_never_past_the_start(make_event, community, new_member):
    from engagement.common import engagement_settings

    settings = engagement_settings(community)
    settings.offer_window_hours = 2
    settings.save()
    event = make_event(capacity=1, starts_in=timedelta(hours=1, minutes=30))
    holder, waiting = new_member(), new_member()
    seat = events.rsvp_create(membership=holder, event=event)
    offer = events.rsvp_create(membership=waiting, event=event)
    events.rsvp_cancel(membership=holder, rsvp=seat)
    offer.refresh_from_db()
    assert offer.offer_expires_at == event.starts_at


def test_raising_the_capacity_offers_the_new_seats(make_event, owner, new_member):
    event = make_event(capacity=1)
    events.rsvp_create(membership=new_member(), event=event)
    waiting = events.rsvp_create(membership=new_member(), event=event)
    events.event_update(actor=owner, event=event, capacity=2)
    waiting.refresh_from_db()
    assert waiting.status == RSVP.Status.OFFERED


def test_capacity_cannot_drop_below_the_seats_taken(make_event, owner, new_member):
    event = make_event(capacity=3)
    events.rsvp_create(membership=new_member(), event=event)
    events.rsvp_create(membership=new_member(), event=event)
    with pytest.raises(ValidationFailed) as error:
        events.event_update(actor=owner, event=event, capacity=1)
    assert "capacity" in error.value.fields
    event.refresh_from_db()
    assert event.capacity == 3


def test_price_is_frozen_once_someone_answered(make_event, owner, member):
    event = make_event(price="20.00")
    events.rsvp_create(membership=member, event=event)
    with pytest.raises(Conflict) as error:
        events.event_update(actor=owner, event=event, price="10.00")
    assert error.value.code == "frozen"


def test_a_new_time_tells_the_members_going_and_resets_reminders(make_event, owner, member):
    event = make_event()
    events.rsvp_create(membership=member, event=event)
    Event.objects.filter(pk=event.pk).update(reminded_day_at=timezone.now())
    later = event.starts_at + timedelta(days=1)
    events.event_update(actor=owner, event=event, starts_at=later, ends_at=later + timedelta(hours=2))
    event.refresh_from_db()
    assert event.reminded_day_at is None
    assert Notification.objects.filter(recipient=member.user, kind="event_changed").count() == 1


def test_paid_seat_is_held_then_paid_from_the_wallet(make_event, member, top_up):
    event = make_event(price="30.00")
    rsvp = events.rsvp_create(membership=member, event=event, guests=0)
    assert rsvp.status == RSVP.Status.PENDING_PAYMENT and rsvp.charge.amount == Decimal("30.00")
    top_up(member, "50.00")
    paid = events.rsvp_pay_with_wallet(membership=member, rsvp=rsvp)
    again = events.rsvp_create(membership=member, event=event)
    assert paid.status == RSVP.Status.GOING and again.status == RSVP.Status.GOING
    assert WalletEntry.objects.filter(charge=rsvp.charge, kind="payment").count() == 1
    with pytest.raises(Conflict):
        events.rsvp_pay_with_wallet(membership=member, rsvp=rsvp)  # a double tap pays once


def test_guests_pay_for_their_seats(make_event, member):
    event = make_event(price="30.00", capacity=5, max_guests=2)
    rsvp = events.rsvp_create(membership=member, event=event, guests=2)
    assert rsvp.charge.amount == Decimal("90.00")


def test_cancelling_a_paid_seat_refunds_the_wallet(make_event, member, top_up):
    event = make_event(price="30.00")
    top_up(member, "30.00")
    rsvp = events.rsvp_pay_with_wallet(membership=member, rsvp=events.rsvp_create(membership=member, event=event))
    events.rsvp_cancel(membership=member, rsvp=rsvp)
    refund = Refund.objects.get(charge=rsvp.charge)
    assert refund.amount == Decimal("30.00") and refund.status == Refund.Status.DONE
    event.refresh_from_db()
    assert event.seats_taken == 0


def test_an_unpaid_seat_is_released_after_the_window_unless_a_transfer_waits(make_event, member, new_member):
    from core.sweeps import sweep_run

    event = make_event(price="30.00", capacity=2)
    unpaid = events.rsvp_create(membership=member, event=event)
    reported_by = new_member()
    reported = events.rsvp_create(membership=reported_by, event=event)
    events.rsvp_report_transfer(membership=reported_by, rsvp=reported, reference="wx 123")
    later = unpaid.expires_at + timedelta(seconds=1)
    sweep_run("engagement.expire_unpaid_rsvps", now=later)
    unpaid.refresh_from_db(), reported.refresh_from_db()
    assert unpaid.status == RSVP.Status.CANCELLED
    assert Charge.objects.get(pk=unpaid.charge_id).status == Charge.Status.CANCELLED
    assert reported.status == RSVP.Status.PENDING_PAYMENT
    event.refresh_from_db()
    assert event.seats_taken == 1


def test_admins_confirm_transfers_and_a_late_one_is_owed_back(make_event, owner, member, new_member):
    event = make_event(price="30.00", capacity=3)
    rsvp = events.rsvp_create(membership=member, event=event)
    events.rsvp_report_transfer(membership=member, rsvp=rsvp)
    marked = events.rsvps_mark_received(actor=owner, rsvps=[rsvp])
    assert [r.pk for r in marked] == [rsvp.pk]
    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING
    late_member = new_member()
    late = events.rsvp_create(membership=late_member, event=event)
    events.rsvp_report_transfer(membership=late_member, rsvp=late)
    events.rsvp_cancel(membership=late_member, rsvp=late)
    assert events.rsvps_mark_received(actor=owner, rsvps=[late]) == []
    assert Refund.objects.get(charge_id=late.charge_id).reason == "arrived_too_late"


def test_decline_gives_the_window_again(make_event, owner, member):
    event = make_event(price="30.00")
    rsvp = events.rsvp_create(membership=member, event=event)
    events.rsvp_report_transfer(membership=member, rsvp=rsvp)
    events.rsvp_transfer_decline(actor=owner, rsvp=rsvp, note="not found")
    assert Notification.objects.filter(recipient=member.user, kind="transfer_declined").exists()
    with pytest.raises(Conflict):
        events.rsvp_transfer_decline(actor=owner, rsvp=rsvp)


def test_cancelling_an_event_refunds_and_tells_everyone(make_event, owner, member, new_member, top_up):
    event = make_event(price="30.00", capacity=1)
    top_up(member, "30.00")
    paid = events.rsvp_pay_with_wallet(membership=member, rsvp=events.rsvp_create(membership=member, event=event))
    waiting_member = new_member()
    waiting = events.rsvp_create(membership=waiting_member, event=event)
    events.event_cancel(actor=owner, event=event, reason="Rain")
    paid.refresh_from_db(), waiting.refresh_from_db(), event.refresh_from_db()
    assert paid.status == waiting.status == RSVP.Status.CANCELLED
    assert event.status == Event.Status.CANCELLED and event.seats_taken == 0
    assert Refund.objects.get(charge_id=paid.charge_id).reason == "event_cancelled"
    assert Notification.objects.filter(kind="event_changed").count() == 2
    with pytest.raises(Conflict):
        events.rsvp_create(membership=new_member(), event=event)


def test_rsvp_after_cancelling_gets_a_new_ticket(make_event, member):
    event = make_event()
    first = events.rsvp_create(membership=member, event=event)
    old_code = first.ticket_code
    events.rsvp_cancel(membership=member, rsvp=first)
    again = events.rsvp_create(membership=member, event=event)
    assert again.pk == first.pk and again.status == RSVP.Status.GOING and again.ticket_code != old_code


def test_rsvps_close_at_the_deadline(make_event, member):
    event = make_event(rsvp_deadline=timezone.now() + timedelta(hours=1))
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        with pytest.raises(Conflict) as error:
            events.rsvp_create(membership=member, event=event)
    assert error.value.code == "rsvp_closed"


def test_no_cancelling_after_the_start(make_event, member):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    with pytest.raises(Conflict):
        events.rsvp_cancel(membership=member, rsvp=rsvp, now=event.starts_at + timedelta(minutes=1))


# Check-in ----------------------------------------------------------------------------------------

def test_a_ticket_checks_in_once_and_says_when_and_by_whom(make_event, leader, member):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    typed = " ".join([rsvp.ticket_code[:4].lower(), rsvp.ticket_code[4:]])
    first = events.ticket_check_in(actor=leader, code=typed, event=event)
    second = events.ticket_check_in(actor=leader, code=rsvp.ticket_code)
    assert first.first_time and not second.first_time
    assert second.checked_in_at == first.checked_in_at and second.checked_in_by == leader.user
    assert DomainEvent.objects.filter(name="event.attended", payload__rsvp_id=rsvp.pk).count() == 1
    assert attendance(event, now=event.starts_at + timedelta(minutes=1))["checked_in"] == 1


def test_a_cancelled_rsvps_ticket_no_longer_checks_in(make_event, leader, member):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    code = rsvp.ticket_code
    events.rsvp_cancel(membership=member, rsvp=rsvp)
    with pytest.raises(NotFound):
        events.ticket_check_in(actor=leader, code=code)
    events.rsvp_create(membership=member, event=event)  # back again: the old code stays dead
    with pytest.raises(NotFound):
        events.ticket_check_in(actor=leader, code=code)


def test_waitlisted_and_unpaid_tickets_are_not_valid(make_event, leader, member, new_member):
    event = make_event(capacity=1, price="10.00", starts_in=timedelta(hours=1))
    unpaid = events.rsvp_create(membership=member, event=event)
    waiting = events.rsvp_create(membership=new_member(), event=event)
    for rsvp in (unpaid, waiting):
        with pytest.raises(Conflict) as error:
            events.ticket_check_in(actor=leader, code=rsvp.ticket_code)
        assert error.value.code == "ticket_not_valid"


def test_a_ticket_for_another_event_says_so(make_event, leader, member):
    event = make_event(starts_in=timedelta(hours=1))
    other = make_event(title="Meetup", starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    with pytest.raises(Conflict) as error:
        events.ticket_check_in(actor=leader, code=rsvp.ticket_code, event=other)
    assert error.value.code == "wrong_event"


@pytest.mark.parametrize("code", ["", "x" * 10000, "ABCD\x00EFG", "１２３４５６７８", "ABCDEFGH"])
def test_odd_codes_are_not_found(make_event, leader, code):
    with pytest.raises(NotFound):
        events.ticket_check_in(actor=leader, code=code)


def test_check_in_is_closed_long_before_the_start(make_event, leader, member):
    event = make_event(starts_in=timedelta(days=3))
    rsvp = events.rsvp_create(membership=member, event=event)
    with pytest.raises(Conflict) as error:
        events.ticket_check_in(actor=leader, code=rsvp.ticket_code)
    assert error.value.code == "check_in_closed"


def test_no_shows_are_counted_after_the_start(make_event, leader, new_member):
    event = make_event(capacity=3, starts_in=timedelta(hours=1))
    came = events.rsvp_create(membership=new_member(), event=event)
    events.rsvp_create(membership=new_member(), event=event)
    events.ticket_check_in(actor=leader, code=came.ticket_code)
    assert attendance(event)["no_shows"] == 0
    after = attendance(event, now=event.ends_at + timedelta(minutes=1))
    assert after["going"] == 2 and after["checked_in"] == 1 and after["no_shows"] == 1


# Scope -------------------------------------------------------------------------------------------

def test_members_cannot_manage_events(member):
    with pytest.raises(Forbidden):
        events.event_create(actor=member, title="x", kind="meetup", starts_at=timezone.now() + timedelta(days=1),
                            ends_at=timezone.now() + timedelta(days=1, hours=1), address="here")


def test_members_cannot_check_in(make_event, member):
    with pytest.raises(Forbidden):
        events.ticket_check_in(actor=member, code="ABCDEFGH")


def test_another_community_sees_nothing(make_event, member):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    other = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    with pytest.raises(NotFound):
        events.rsvp_create(membership=other, event=event)
    with pytest.raises(NotFound):
        events.ticket_check_in(actor=other, code=rsvp.ticket_code)
    with pytest.raises(NotFound):
        events.event_cancel(actor=other, event=event)
    with pytest.raises(NotFound):
        events.rsvp_cancel(membership=other, rsvp=rsvp)


def test_a_branch_event_is_for_its_branch(community, owner, make_event, new_member):
    north = Community.objects.create(name="North", slug=f"{community.slug}-north", parent=community)
    south = Community.objects.create(name="South", slug=f"{community.slug}-south", parent=community)
    north_leader = MembershipFactory(community=community, role=Role.LEADER, branch=north, user=UserFactory())
    south_leader = MembershipFactory(community=community, role=Role.LEADER, branch=south, user=UserFactory())
    event = make_event(actor=north_leader, starts_in=timedelta(hours=1))
    assert event.branch_id == north.pk
    northerner, southerner = new_member(branch=north), new_member(branch=south)
    rsvp = events.rsvp_create(membership=northerner, event=event)
    with pytest.raises(NotFound):
        events.rsvp_create(membership=southerner, event=event)
    assert event not in events_for_member(southerner)
    with pytest.raises(NotFound):
        events.ticket_check_in(actor=south_leader, code=rsvp.ticket_code)
    with pytest.raises(NotFound):
        events.event_update(actor=south_leader, event=event, title="Mine")
    assert events.ticket_check_in(actor=north_leader, code=rsvp.ticket_code).first_time


def test_another_members_rsvp_cannot_be_touched(make_event, member, new_member):
    event = make_event()
    rsvp = events.rsvp_create(membership=member, event=event)
    intruder = new_member()
    for action in (events.rsvp_cancel, events.rsvp_accept_offer, events.rsvp_decline_offer,
                   events.rsvp_pay_with_wallet):
        with pytest.raises(NotFound):
            action(membership=intruder, rsvp=rsvp)
    assert rsvp_of(member, event).status == RSVP.Status.GOING


# Validation --------------------------------------------------------------------------------------

def test_event_fields_are_checked_together(owner):
    now = timezone.now()
    with pytest.raises(ValidationFailed) as error:
        events.event_create(actor=owner, title="", kind="party", starts_at=now - timedelta(hours=1),
                            ends_at=now - timedelta(hours=2), capacity="0", max_guests=9, price="-1")
    assert {"title", "kind", "capacity", "max_guests", "price"} <= set(error.value.fields)
    with pytest.raises(ValidationFailed) as error:
        events.event_create(actor=owner, title="Online", kind="livestream", starts_at=now + timedelta(days=1),
                            ends_at=now + timedelta(days=1, hours=1), online_url="javascript:alert(1)")
    assert "online_url" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        events.event_create(actor=owner, title="Nowhere", kind="meetup", starts_at=now + timedelta(days=1),
                            ends_at=now + timedelta(days=1, hours=1))
    assert "address" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        events.event_create(actor=owner, title="x" * 121, kind="meetup", starts_at=now + timedelta(days=1),
                            ends_at=now + timedelta(days=1, hours=1), address="a\x00b",
                            rsvp_deadline=now + timedelta(days=2))
    assert {"title", "rsvp_deadline"} <= set(error.value.fields)
    assert not Event.objects.exists()


def test_state_changes_leave_audit_rows(make_event, owner, member):
    event = make_event()
    events.rsvp_create(membership=member, event=event)
    events.event_cancel(actor=owner, event=event)
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"event.created", "event.published", "rsvp.going", "rsvp.cancelled", "event.cancelled"} <= actions
    for entry in AuditLog.objects.all():
        assert entry.sentence  # every action reads as a sentence
