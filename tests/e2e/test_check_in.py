"""The door check-in in a browser: a leader types a member's ticket code at a laptop (1280×800) and
at a phone (390×844), sees the check-in confirmed, then "already used" for the same code; the
camera's reader decodes the ticket's QR (the link to the door page with the code)."""

import base64
import io
import os
from datetime import timedelta

import pytest
import qrcode
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from engagement import events as services
from engagement.models import RSVP, Event
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.e2e.test_selling import shop
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots-check-in")


def tasting():
    """A published tasting tonight with the member going (and a guest) and one more member going."""
    community, owner, leader, member, point = shop()
    starts = timezone.now() + timedelta(hours=1)
    event = services.event_create(actor=owner, title="Pu'er tasting", kind=Event.Kind.TASTING, starts_at=starts,
                                  ends_at=starts + timedelta(hours=2), pickup_point=point, max_guests=2, capacity=20)
    event = services.event_publish(actor=owner, event=event)
    ticket = services.rsvp_create(membership=member, event=Event.objects.get(pk=event.pk), guests=1)
    other = MembershipFactory(community=community, role="member", branch=member.branch,
                              user=UserFactory(display_name="Member Chen"))
    second = services.rsvp_create(membership=other, event=Event.objects.get(pk=event.pk))
    return community, leader, event, ticket, second


def door(community):
    return reverse("engagement_console:check_in", args=[community.slug])


def check(page, code):
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.click("form:has(input[name=code]) button.primary[type=submit]")


def test_a_leader_types_the_code_at_a_laptop(english):
    community, leader, event, ticket, second = tasting()
    page = english(DESKTOP)
    log_in(page, leader.user.email, PASSWORD)
    page.goto(door(community))
    expect(page.locator("#door-event")).to_have_value(str(event.pk))
    expect(page.locator("[data-counter]")).to_contain_text("Checked in 0 / going 2")

    check(page, ticket.ticket_code.lower())
    answer = page.locator("[data-outcome=checked_in]")
    expect(answer).to_contain_text("✓ Member Zhang")
    expect(answer).to_contain_text("+1 guest")
    expect(page.locator("[data-counter]")).to_contain_text("Checked in 1 / going 2")
    assert RSVP.objects.get(pk=ticket.pk).checked_in_by_id == leader.user_id

    check(page, ticket.ticket_code)
    used = page.locator("[data-outcome=already_used]")
    expect(used).to_contain_text("Already used at")
    expect(used).to_contain_text("by Leader Li")

    check(page, "ZZZZZZZZ")
    expect(page.locator("[data-outcome=ticket_not_found]")).to_contain_text("Not found")


def test_a_leader_checks_in_at_the_door_with_a_phone(english, phone):
    community, leader, event, ticket, second = tasting()
    page = english(PHONE)
    log_in(page, leader.user.email, PASSWORD)
    page.goto(door(community))
    box = page.locator("input[name=code]")
    expect(box).to_be_visible()
    assert box.bounding_box()["y"] < 400  # the code box is on the first screen, not under the console's menu
    check(page, ticket.ticket_code)
    expect(page.locator("[data-outcome=checked_in]")).to_contain_text("✓ Member Zhang")
    check(page, ticket.ticket_code)
    expect(page.locator("[data-outcome=already_used]")).to_contain_text("by Leader Li")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the door page scrolls sideways on a phone"

    # In Chinese (the phone fixture's language), the answer for the second member.
    os.makedirs(SHOTS, exist_ok=True)
    log_in(phone, leader.user.email, PASSWORD)
    phone.goto(door(community))
    check(phone, second.ticket_code)
    expect(phone.locator("[data-outcome=checked_in]")).to_contain_text("Member Chen")
    phone.screenshot(path=f"{SHOTS}/check-in-phone.png", full_page=True)


def test_the_camera_reader_decodes_the_tickets_qr(english):
    """The ticket's QR holds the door page's link with the code: the reader takes the code from it."""
    community, leader, event, ticket, second = tasting()
    page = english(DESKTOP)
    log_in(page, leader.user.email, PASSWORD)
    page.goto(door(community))
    expect(page.locator("[data-scan-start]")).to_be_visible()  # localhost is a secure context
    buffer = io.BytesIO()
    link = f"https://shequn.example{door(community)}?code={second.ticket_code}"
    qrcode.make(link, box_size=8, border=2).save(buffer, format="PNG")
    picture = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    with page.expect_navigation():
        assert page.evaluate("(src) => window.shequnCheckIn.scanImage(src)", picture) is True
    expect(page.locator("[data-outcome=checked_in]")).to_contain_text("✓ Member Chen")
    assert RSVP.objects.get(pk=second.pk).checked_in_at is not None
