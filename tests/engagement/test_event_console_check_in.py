"""The door check-in page: each answer a leader can get (checked in, already used and by whom, not
found, not valid, wrong event), the counter, and bad input that must never be a 500."""

import pytest
from django.urls import reverse

from engagement import events as services
from engagement.models import RSVP, Event
from tests.engagement.test_event_console import as_user, body, going, make_event  # noqa: F401 (fixtures)
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def door(community):
    return reverse("engagement_console:check_in", args=[community.slug])


def answer(response) -> str:
    """The answer section's data-outcome code."""
    text = body(response)
    assert response.status_code == 200
    return text.split('data-outcome="')[1].split('"')[0] if 'data-outcome="' in text else ""


def test_first_scan_checks_in_then_the_second_says_when_and_by_whom(as_user, owner, leader, community, make_event,
                                                                    going):
    event = make_event(owner, max_guests=2)
    rsvp = going(community, event, "Ann", guests=2)
    client = as_user(leader)
    page = client.get(door(community))
    assert f'value="{event.pk}" selected' in body(page)  # the only event on: chosen already

    first = client.post(door(community), {"event": str(event.pk), "code": rsvp.ticket_code.lower()})
    assert answer(first) == "checked_in"
    text = body(first)
    assert "✓" in text and "Ann" in text and "+2 guests" in text
    assert "Checked in <strong>1</strong> / going <strong>1</strong>" in text
    assert RSVP.objects.get(pk=rsvp.pk).checked_in_by == leader.user

    second = client.post(door(community), {"event": str(event.pk), "code": f" {rsvp.ticket_code} "})
    assert answer(second) == "already_used"
    text = body(second)
    assert f"by {leader.user.display_name}" in text and "Already used at" in text and "Ann" in text


def test_the_tickets_link_read_by_a_scanner_works_as_the_code(as_user, owner, leader, community, make_event, going):
    event = make_event(owner)
    rsvp = going(community, event, "Ann")
    client = as_user(leader)
    link = f"http://testserver{door(community)}?code={rsvp.ticket_code}"
    assert answer(client.post(door(community), {"event": str(event.pk), "code": link})) == "checked_in"
    # Opened by a phone's own camera: the code waits in the box for one tap, nothing is checked in yet.
    other = going(community, event, "Bo")
    opened = client.get(door(community) + f"?code={other.ticket_code}")
    assert f'value="{other.ticket_code}"' in body(opened)
    assert RSVP.objects.get(pk=other.pk).checked_in_at is None


def test_a_cancelled_ticket_is_not_found(as_user, owner, leader, community, make_event, going):
    event = make_event(owner)
    rsvp = going(community, event, "Ann")
    code = rsvp.ticket_code
    services.rsvp_cancel(membership=community.memberships.get(user=rsvp.member), rsvp=rsvp)
    response = as_user(leader).post(door(community), {"event": str(event.pk), "code": code})
    assert answer(response) == "ticket_not_found"
    assert RSVP.objects.get(pk=rsvp.pk).checked_in_at is None


def test_a_ticket_for_another_event_is_the_wrong_event(as_user, owner, leader, community, make_event, going):
    tonight = make_event(owner, title="Tonight", hours=5)
    later = make_event(owner, title="Late show", hours=3)
    rsvp = going(community, later, "Ann")
    response = as_user(leader).post(door(community), {"event": str(tonight.pk), "code": rsvp.ticket_code})
    assert answer(response) == "wrong_event"
    assert RSVP.objects.get(pk=rsvp.pk).checked_in_at is None
    # With "any event", the same ticket checks in (and the answer names its event).
    response = as_user(leader).post(door(community), {"event": "all", "code": rsvp.ticket_code})
    assert answer(response) == "checked_in" and "Late show" in body(response)


def test_a_waitlisted_ticket_is_not_valid(as_user, owner, leader, community, make_event, going):
    event = make_event(owner, capacity=1)
    going(community, event, "Ann")
    waiting = going(community, event, "Bo")
    assert waiting.status == RSVP.Status.WAITLISTED
    response = as_user(leader).post(door(community), {"event": str(event.pk), "code": waiting.ticket_code})
    assert answer(response) == "ticket_not_valid"


def test_another_communitys_code_is_not_found(as_user, owner, leader, community, make_event):
    make_event(owner)
    other = CommunityFactory()
    other_owner = MembershipFactory(community=other, role="owner")
    elsewhere = make_event(other_owner)
    stranger = MembershipFactory(community=other, role="member", user=UserFactory(display_name="Stranger"))
    ticket = services.rsvp_create(membership=stranger, event=Event.objects.get(pk=elsewhere.pk))
    response = as_user(leader).post(door(community), {"event": "all", "code": ticket.ticket_code})
    assert answer(response) == "ticket_not_found"
    assert "Stranger" not in body(response)
    assert RSVP.objects.get(pk=ticket.pk).checked_in_at is None


@pytest.mark.parametrize("code", ["", "   ", "A" * 100_000, "１２３４５６７８", "٣٣٣٣٣٣٣٣",
                                  "ÅBCDEFGH", "'; DROP TABLE engagement_rsvp; --", "?code=", "%00"])
def test_bad_input_is_an_answer_never_a_500(as_user, owner, leader, community, code, make_event, going):
    event = make_event(owner)
    going(community, event, "Ann")
    response = as_user(leader).post(door(community), {"event": str(event.pk), "code": code})
    assert answer(response) in ("ticket_not_found", "empty")
    assert not RSVP.objects.filter(checked_in_at__isnull=False).exists()


def test_a_nul_byte_is_refused_and_nothing_checks_in(as_user, owner, leader, community, make_event, going):
    event = make_event(owner)
    rsvp = going(community, event, "Ann")
    client = as_user(leader)
    code = rsvp.ticket_code[:4] + "\x00" + rsvp.ticket_code[4:]
    response = client.post(door(community), {"event": str(event.pk), "code": code})
    assert response.status_code == 400
    assert client.get(door(community), {"event": "\x00"}).status_code == 400
    assert RSVP.objects.get(pk=rsvp.pk).checked_in_at is None


@pytest.mark.parametrize("choice", ["１", "99999999999999999999999", "-1", "all"])
def test_a_strange_event_choice_never_breaks_the_page(as_user, owner, leader, community, choice, make_event, going):
    event = make_event(owner)
    rsvp = going(community, event, "Ann")
    client = as_user(leader)
    assert client.get(door(community), {"event": choice}).status_code == 200
    assert answer(client.post(door(community), {"event": choice, "code": rsvp.ticket_code})) == "checked_in"


def test_another_communitys_event_cannot_be_chosen(as_user, owner, leader, community, make_event):
    mine = make_event(owner, title="Ours")
    other_owner = MembershipFactory(community=CommunityFactory(), role="owner")
    theirs = make_event(other_owner, title="Theirs")
    page = body(as_user(leader).get(door(community), {"event": str(theirs.pk)}))
    assert "Theirs" not in page and f'value="{mine.pk}" selected' in page
