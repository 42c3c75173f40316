"""The events API under real concurrency (PostgreSQL, threads): two scanners, two taps."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from engagement import events
from engagement.models import RSVP
from tests.api import url
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_two_scanners_checking_one_ticket_at_once_let_it_in_once(community, leader, owner, member, make_event):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    scanners = [leader.user, owner.user]

    def scan(i):
        return _client(scanners[i]).post(url(community.slug, "admin", "check-in"), {"code": rsvp.ticket_code},
                                         format="json")

    answers = run_at_once(2, scan)
    assert [a.status_code for a in answers] == [200, 200], [getattr(a, "content", a) for a in answers]
    bodies = [a.json() for a in answers]
    assert sorted(b["first_time"] for b in bodies) == [False, True]
    assert bodies[0]["checked_in_at"] == bodies[1]["checked_in_at"]
    assert bodies[0]["checked_in_by"] == bodies[1]["checked_in_by"]
    assert RSVP.objects.get(pk=rsvp.pk).checked_in_at is not None


def test_a_double_tap_on_rsvp_makes_one_rsvp_and_takes_one_seat(community, member, make_event):
    event = make_event(capacity=3)

    def tap(i):
        return _client(member.user).post(url(community.slug, "events", event.pk, "rsvp"), {}, format="json")

    answers = run_at_once(2, tap)
    assert all(getattr(a, "status_code", 500) in (200, 201) for a in answers), answers
    assert len({a.json()["id"] for a in answers}) == 1
    event.refresh_from_db()
    assert RSVP.objects.filter(event=event).count() == 1 and event.seats_taken == 1
