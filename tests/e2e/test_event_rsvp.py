"""Answering events on a phone: a member RSVPs to a full event and is waitlisted; the seat holder
cancels; the member sees the offer, accepts it and shows the ticket (the QR and its code). And a
free RSVP that goes straight to "going".

Set E2E_SCREENSHOTS to a directory (e.g. /tmp) to save the pages looked at along the way."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from engagement import events as services
from engagement.models import RSVP, Event
from orders.models import PickupPoint
from tests.e2e.conftest import PHONE, log_in
from tests.e2e.test_money import MEMBER_PAGE_BUDGET, fits_the_phone, page_weight, shot
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def a_community():
    community = CommunityFactory(name="Sunny Garden")
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner Wang"))
    point = PickupPoint.objects.create(community=community, name="North gate tea room", address="1 North Road")
    return community, owner, point


def an_event(owner, point, **fields):
    starts = timezone.now() + timedelta(days=2)
    fields.setdefault("title", "Spring tea tasting")
    fields.setdefault("kind", Event.Kind.TASTING)
    event = services.event_create(actor=owner, starts_at=starts, ends_at=starts + timedelta(hours=2),
                                  pickup_point=point, description="Six teas from Anxi, with Aunt Li.", **fields)
    return services.event_publish(actor=owner, event=event)


def test_a_waitlisted_member_gets_the_freed_seat_and_shows_the_ticket(phone):
    community, owner, point = a_community()
    holder = MembershipFactory(community=community, role="member", user=UserFactory(display_name="Holder Li"))
    member = MembershipFactory(community=community, role="member", user=UserFactory(display_name="Member Zhang"))
    event = an_event(owner, point, capacity=1)
    seat = services.rsvp_create(membership=holder, event=event)

    log_in(phone, member.user.phone, PASSWORD)
    phone.goto(f"/c/{community.slug}/events/")
    shot(phone, "events-list")
    phone.click(f"a.event-card[data-event='{event.pk}']")
    expect(phone.locator("h1")).to_have_text("Spring tea tasting")
    assert fits_the_phone(phone) and page_weight(phone) < MEMBER_PAGE_BUDGET
    shot(phone, "event-full")
    phone.click("[data-rsvp]")
    expect(phone.locator("[data-rsvp-status]")).to_have_attribute("data-rsvp-status", "waitlisted")
    expect(phone.locator("[data-position]")).to_be_visible()
    shot(phone, "event-waitlisted")
    assert RSVP.objects.get(member=member.user).status == RSVP.Status.WAITLISTED

    services.rsvp_cancel(membership=holder, rsvp=seat)  # the seat holder cannot come after all

    phone.reload()
    expect(phone.locator("[data-rsvp-status]")).to_have_attribute("data-rsvp-status", "offered")
    expect(phone.locator("[data-offer-expires]")).to_be_visible()
    shot(phone, "event-offered")
    phone.click("[data-accept]")
    expect(phone.locator("[data-rsvp-status]")).to_have_attribute("data-rsvp-status", "going")
    shot(phone, "event-going")
    phone.click("[data-show-ticket]")
    qr = phone.locator("img[data-ticket-qr]")
    expect(qr).to_be_visible()
    phone.wait_for_function("document.querySelector('img[data-ticket-qr]').naturalWidth > 0")  # the PNG loaded
    code = RSVP.objects.get(member=member.user).ticket_code
    expect(phone.locator("[data-code]")).to_have_text(f"{code[:4]}{code[4:]}")
    assert fits_the_phone(phone) and page_weight(phone) < MEMBER_PAGE_BUDGET
    shot(phone, "ticket")


def test_a_free_rsvp_goes_straight_to_going(english):
    community, owner, point = a_community()
    member = MembershipFactory(community=community, role="member", user=UserFactory(display_name="Member Zhang"))
    event = an_event(owner, point, title="Neighbours' meetup", kind=Event.Kind.MEETUP, capacity=20, max_guests=2)
    phone = english(PHONE)
    errors = []
    phone.on("pageerror", lambda error: errors.append(error))
    log_in(phone, member.user.phone, PASSWORD)
    phone.goto(event.get_absolute_url())
    expect(phone.locator("[data-seats]")).to_contain_text("20 seats left")
    shot(phone, "en-event-open")
    phone.select_option("select[name=guests]", "1")
    phone.dblclick("[data-rsvp]")  # an impatient double tap answers once
    expect(phone.locator("[data-rsvp-status]")).to_have_attribute("data-rsvp-status", "going")
    expect(phone.locator("[data-seats]")).to_contain_text("18 seats left")
    assert fits_the_phone(phone)
    shot(phone, "en-event-going")
    phone.goto(f"/c/{community.slug}/my-events/")
    expect(phone.locator("[data-rsvp]")).to_have_count(1)
    shot(phone, "en-my-events")
    phone.click("[data-rsvp]")
    expect(phone.locator("img[data-ticket-qr]")).to_be_visible()
    shot(phone, "en-ticket")
    rsvp = RSVP.objects.get()
    assert rsvp.status == RSVP.Status.GOING and rsvp.guests == 1
    assert not errors
