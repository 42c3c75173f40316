"""Events under real concurrency (threads on PostgreSQL): seats, the waitlist, the door, reminders."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Notification
from core.sweeps import sweep_run
from engagement import events
from engagement.models import RSVP, Event
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_rsvps_never_exceed_capacity_with_guests(make_event, new_member):
    event = make_event(capacity=7, max_guests=2)
    members = [new_member() for _ in range(12)]

    def rsvp(i):
        return events.rsvp_create(membership=members[i], event=event, guests=i % 3)

    results = run_at_once(12, rsvp)
    assert not [r for r in results if isinstance(r, Exception)], results
    event.refresh_from_db()
    going = RSVP.objects.filter(event=event, status=RSVP.Status.GOING)
    seats = sum(r.seats for r in going)
    assert seats == event.seats_taken <= 7
    assert going.count() + RSVP.objects.filter(event=event, status=RSVP.Status.WAITLISTED).count() == 12


def test_concurrent_cancellations_promote_each_waiting_member_once_and_in_order(make_event, new_member):
    event = make_event(capacity=4)
    holders = [new_member() for _ in range(4)]
    seats = [events.rsvp_create(membership=m, event=event) for m in holders]
    waiting_members = [new_member() for _ in range(6)]
    queue = [events.rsvp_create(membership=m, event=event) for m in waiting_members]

    def cancel(i):
        return events.rsvp_cancel(membership=holders[i], rsvp=seats[i])

    results = run_at_once(4, cancel)
    assert not [r for r in results if isinstance(r, Exception)], results
    states = [RSVP.objects.get(pk=r.pk).status for r in queue]
    # The first four in line have an offer, the last two still wait.
    assert states == [RSVP.Status.OFFERED] * 4 + [RSVP.Status.WAITLISTED] * 2
    assert Notification.objects.filter(kind="event_offer").count() == 4
    assert sorted(Notification.objects.filter(kind="event_offer").values_list("recipient_id", flat=True)) == \
        sorted(m.user_id for m in waiting_members[:4])
    event.refresh_from_db()
    assert event.seats_taken == 4


def test_an_expired_offer_passes_to_the_next_exactly_once(make_event, new_member):
    event = make_event(capacity=1)
    holder = new_member()
    seat = events.rsvp_create(membership=holder, event=event)
    offered = events.rsvp_create(membership=new_member(), event=event)
    second, third = (events.rsvp_create(membership=new_member(), event=event) for _ in range(2))
    events.rsvp_cancel(membership=holder, rsvp=seat)
    offered.refresh_from_db()
    later = offered.offer_expires_at + timedelta(seconds=1)

    results = run_at_once(3, lambda i: sweep_run("engagement.expire_offers", now=later))
    assert sum(r.settled for r in results) == 1
    second.refresh_from_db(), third.refresh_from_db()
    assert second.status == RSVP.Status.OFFERED and third.status == RSVP.Status.WAITLISTED
    assert Notification.objects.filter(kind="event_offer", recipient=second.member).count() == 1


def test_two_scanners_on_one_ticket_check_in_once(make_event, leader, admin_member, member):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    scanners = [leader, admin_member, leader, admin_member]

    results = run_at_once(4, lambda i: events.ticket_check_in(actor=scanners[i], code=rsvp.ticket_code))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.first_time for r in results) == 1
    first = next(r for r in results if r.first_time)
    assert all(r.checked_in_at == first.checked_in_at for r in results)


def test_check_in_and_cancel_at_once_leave_one_outcome(make_event, leader, member):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)

    def act(i):
        if i == 0:
            return events.ticket_check_in(actor=leader, code=rsvp.ticket_code)
        return events.rsvp_cancel(membership=member, rsvp=rsvp)

    run_at_once(2, act)
    rsvp.refresh_from_db()
    assert (rsvp.status == RSVP.Status.GOING and rsvp.checked_in_at is not None) or \
        (rsvp.status == RSVP.Status.CANCELLED and rsvp.checked_in_at is None)


@pytest.mark.parametrize("which,name,before", [("day", "engagement.remind_day_before", timedelta(hours=20)),
                                                ("hour", "engagement.remind_hour_before", timedelta(minutes=50))])
def test_reminder_sweeps_at_once_send_each_reminder_once(make_event, new_member, which, name, before):
    event = make_event(capacity=5)
    members = [new_member() for _ in range(3)]
    for m in members:
        events.rsvp_create(membership=m, event=event)
    at = event.starts_at - before

    results = run_at_once(3, lambda i: sweep_run(name, now=at))
    assert sum(r.settled for r in results) == 1
    sweep_run(name, now=at)  # and a rerun later
    assert Notification.objects.filter(kind="event_reminder").count() == 3
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {m.user_id for m in members}
    marker = "reminded_day_at" if which == "day" else "reminded_hour_at"
    assert getattr(Event.objects.get(pk=event.pk), marker) is not None


def test_a_day_before_reminder_inside_the_last_hour_is_not_sent(make_event, member):
    event = make_event(starts_in=timedelta(minutes=40))
    events.rsvp_create(membership=member, event=event)
    sweep_run("engagement.remind_day_before", now=timezone.now())
    assert not Notification.objects.filter(kind="event_reminder").exists()
    sweep_run("engagement.remind_hour_before", now=timezone.now())
    assert Notification.objects.filter(kind="event_reminder").count() == 1
