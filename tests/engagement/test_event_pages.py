"""Member pages for events: the list, answering an event (RSVP, waitlist, offers, paying,
cancelling), the ticket with its QR, my events; tenancy, bad input, and pages that stay light."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement import events as services
from engagement.models import RSVP, Event
from orders.models import PickupPoint
from payments import services as payments_services
from tests.branches import fresh, make_branch
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAGE_BUDGET = 60 * 1024


def url(name, obj=None, slug=None):
    args = [slug or obj.community.slug] + ([obj.pk] if obj is not None else [])
    return reverse(f"engagement:{name}", args=args)


def joiner(community, name="Joiner"):
    return fresh(MembershipFactory(community=community, role="member", user=UserFactory(display_name=name)))


def rsvp_post(client, event, guests="0"):
    return client.post(url("event", event), {"guests": guests}, **EN)


# The list -----------------------------------------------------------------------------------

def test_the_list_shows_upcoming_events_first_with_time_place_price_and_seats(client, make_event, member, community):
    point = PickupPoint.objects.create(community=community, name="North gate", address="1 North Road")
    make_event(title="Later tasting", kind=Event.Kind.TASTING, starts_in=timedelta(days=9), pickup_point=point,
               price="38", capacity=20)
    full = make_event(title="Sooner meetup", starts_in=timedelta(days=2), capacity=1)
    services.rsvp_create(membership=joiner(community), event=full)
    make_event(title="Online class", kind=Event.Kind.ONLINE_CLASS, starts_in=timedelta(days=4),
               online_url="https://meet.example.com/x", address="")
    make_event(title="Draft one", publish=False)
    client.force_login(member.user)
    page = client.get(url("events", slug=community.slug), **EN)
    text = page.content.decode()
    assert page.status_code == 200
    assert text.index("Sooner meetup") < text.index("Online class") < text.index("Later tasting")
    assert "Draft one" not in text
    assert "North gate" in text and "¥38.00" in text and "20 seats left" in text
    assert "Full · join the waitlist" in text and "Online" in text and "meet.example.com" not in text
    zh = client.get(url("events", slug=community.slug), **ZH).content.decode()
    assert "品鉴会" in zh and "Sooner meetup" in zh


def test_the_list_query_count_does_not_grow_with_events(client, make_event, member, community,
                                                        django_assert_max_num_queries):
    point = PickupPoint.objects.create(community=community, name="Gate", address="Road 1")
    services.rsvp_create(membership=member, event=make_event(title="One", pickup_point=point))
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as few:
        client.get(url("events", slug=community.slug))
    for n in range(6):
        event = make_event(title=f"More {n}", pickup_point=point, starts_in=timedelta(days=3 + n))
        services.rsvp_create(membership=member, event=event)
    with django_assert_max_num_queries(len(few)):
        page = client.get(url("events", slug=community.slug))
    assert page.content.decode().count("data-event=") == 7


def test_my_events_query_count_does_not_grow_and_lists_mine_only(client, make_event, member, leader, community,
                                                                 django_assert_max_num_queries):
    point = PickupPoint.objects.create(community=community, name="Gate", address="Road 1")
    mine = services.rsvp_create(membership=member, event=make_event(title="Mine", pickup_point=point))
    theirs = services.rsvp_create(membership=leader, event=make_event(title="Theirs", pickup_point=point))
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url("my_events", slug=community.slug), **EN)
    text = page.content.decode()
    assert page.status_code == 200 and mine.get_absolute_url() in text and "Theirs" not in text
    assert theirs.get_absolute_url() not in text
    for n in range(6):
        services.rsvp_create(membership=member, event=make_event(title=f"More {n}", pickup_point=point))
    with django_assert_max_num_queries(len(few)):
        page = client.get(url("my_events", slug=community.slug), **ZH)
    assert page.content.decode().count("data-rsvp=") == 7


# Answering ----------------------------------------------------------------------------------

def test_a_free_rsvp_goes_straight_to_going_and_a_double_tap_answers_once(client, make_event, member):
    event = make_event(capacity=10, max_guests=2)
    client.force_login(member.user)
    page = client.get(url("event", event), **EN)
    assert page.status_code == 200 and "I am going" in page.content.decode()
    first = rsvp_post(client, event, guests="1")
    second = rsvp_post(client, event, guests="1")
    assert first.status_code == second.status_code == 302
    rsvp = RSVP.objects.get()
    assert rsvp.status == RSVP.Status.GOING and rsvp.guests == 1
    event.refresh_from_db()
    assert event.seats_taken == 2
    text = client.get(url("event", event), **EN).content.decode()
    assert 'data-rsvp-status="going"' in text and rsvp.get_absolute_url() in text and "8 seats left" in text
    assert 'name="guests"' not in text  # answered: no second form


def test_a_full_event_waitlists_then_the_offer_is_accepted_and_the_ticket_shows(client, make_event, member, leader):
    event = make_event(capacity=1)
    holder = services.rsvp_create(membership=leader, event=event)
    client.force_login(member.user)
    assert "Join the waitlist" in client.get(url("event", event), **EN).content.decode()
    rsvp_post(client, event)
    mine = RSVP.objects.get(member=member.user)
    assert mine.status == RSVP.Status.WAITLISTED
    text = client.get(url("event", event), **EN).content.decode()
    assert 'data-rsvp-status="waitlisted"' in text and "No. 1" in text
    assert client.get(url("rsvp_qr", mine)).status_code == 404  # no seat, no QR

    services.rsvp_cancel(membership=leader, rsvp=holder)
    text = client.get(url("event", event), **EN).content.decode()
    assert 'data-rsvp-status="offered"' in text and "Accept the seat" in text
    first = client.post(url("rsvp_accept", mine), **EN)
    second = client.post(url("rsvp_accept", mine), **EN)  # a double tap
    assert first.status_code == second.status_code == 302
    mine.refresh_from_db()
    assert mine.status == RSVP.Status.GOING
    page = client.get(url("rsvp", mine), **EN)
    text = page.content.decode()
    assert page.status_code == 200 and "data-ticket-qr" in text
    assert f"<span>{mine.ticket_code[:4]}</span><span>{mine.ticket_code[4:]}</span>" in text
    png = client.get(url("rsvp_qr", mine))
    assert png.status_code == 200 and png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    messages = [str(m) for m in second.wsgi_request._messages]
    assert not any("No offer" in m for m in messages)


def test_declining_an_offer_passes_the_seat_on(client, make_event, member, leader, community):
    event = make_event(capacity=1)
    holder = services.rsvp_create(membership=leader, event=event)
    mine = services.rsvp_create(membership=member, event=event)
    services.rsvp_cancel(membership=leader, rsvp=holder)
    client.force_login(member.user)
    response = client.post(url("rsvp_decline", mine), **EN)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == RSVP.Status.DECLINED
    text = client.get(url("event", event), **EN).content.decode()
    assert 'data-was="declined"' in text


def test_cancelling_frees_the_seat_and_a_cancelled_ticket_shows_no_qr(client, make_event, member):
    event = make_event(capacity=5)
    rsvp_post_client = client
    client.force_login(member.user)
    rsvp_post(rsvp_post_client, event)
    rsvp = RSVP.objects.get()
    old_code = rsvp.ticket_code
    assert client.post(url("rsvp_cancel", rsvp), **EN).status_code == 302
    assert client.post(url("rsvp_cancel", rsvp), **EN).status_code == 302  # a double tap
    rsvp.refresh_from_db()
    event.refresh_from_db()
    assert rsvp.status == RSVP.Status.CANCELLED and event.seats_taken == 0
    page = client.get(url("rsvp", rsvp), **EN)
    text = page.content.decode()
    assert page.status_code == 200 and "data-ticket-cancelled" in text
    assert "data-ticket-qr" not in text and "qr.png" not in text
    assert client.get(url("rsvp_qr", rsvp)).status_code == 404
    # Coming back: a new code, the old one is gone from the page.
    rsvp_post(client, event)
    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING and rsvp.ticket_code != old_code
    assert old_code not in client.get(url("rsvp", rsvp)).content.decode()


def test_a_used_ticket_says_when_it_was_checked_in(client, make_event, member, leader):
    event = make_event()
    rsvp = services.rsvp_create(membership=member, event=event)
    services.ticket_check_in(actor=leader, code=rsvp.ticket_code, now=event.starts_at)
    client.force_login(member.user)
    text = client.get(url("rsvp", rsvp), **EN).content.decode()
    assert "data-used" in text and "Checked in at" in text and "data-ticket-qr" not in text


def test_a_paid_event_holds_the_seat_until_paid_from_the_wallet(client, make_event, member, owner):
    event = make_event(price="25.00", capacity=10, max_guests=1)
    client.force_login(member.user)
    rsvp_post(client, event, guests="1")
    rsvp = RSVP.objects.get()
    assert rsvp.status == RSVP.Status.PENDING_PAYMENT
    text = client.get(url("event", event), **EN).content.decode()
    assert 'data-rsvp-status="pending_payment"' in text and "¥50.00" in text and "data-wallet-short" in text
    assert "Pay by transfer" in text
    payments_services.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("60.00"))
    first = client.post(url("rsvp_pay", rsvp), {"method": "wallet"}, **EN)
    second = client.post(url("rsvp_pay", rsvp), {"method": "wallet"}, **EN)
    assert first.status_code == second.status_code == 302
    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING
    assert member.community.wallets.get(member=member.user).balance == Decimal("10.00")
    assert "data-ticket-qr" in client.get(url("rsvp", rsvp)).content.decode()


def test_a_transfer_is_reported_and_a_bad_note_is_a_form_error(client, make_event, member):
    event = make_event(price="25.00", capacity=10)
    client.force_login(member.user)
    rsvp_post(client, event)
    rsvp = RSVP.objects.get()
    bad = client.post(url("rsvp_pay", rsvp), {"method": "manual", "reference": "x" * 101}, **EN)
    assert bad.status_code == 400 and 'data-field="reference"' in bad.content.decode()
    good = client.post(url("rsvp_pay", rsvp), {"method": "manual", "reference": "WeChat 1234"}, **EN)
    assert good.status_code == 302
    text = client.get(url("event", event), **EN).content.decode()
    assert "data-reported" in text and "WeChat 1234" in text


@pytest.mark.parametrize("guests", ["３", "-1", "999", "1.5", "abc", "2", "bad\x00"])
def test_bad_guest_counts_are_form_errors_not_500(client, make_event, member, guests):
    event = make_event(max_guests=1, capacity=10)
    client.force_login(member.user)
    response = rsvp_post(client, event, guests=guests)
    assert response.status_code == 400
    if "\x00" not in guests:  # a NUL byte is refused before the view (core's bad-request page)
        assert "guests" in response.context["form"].errors
        assert 'data-field="guests"' in response.content.decode()
    assert not RSVP.objects.exists()


def test_a_service_refusal_shows_on_the_form(client, make_event, member, monkeypatch):
    from core.exceptions import Conflict

    event = make_event()

    def refuse(**kwargs):
        raise Conflict("RSVPs closed for this one.", code="rsvp_closed")

    monkeypatch.setattr(services, "rsvp_create", refuse)
    client.force_login(member.user)
    response = rsvp_post(client, event)
    assert response.status_code == 400 and "RSVPs closed for this one." in response.content.decode()


def test_an_event_past_its_rsvp_deadline_takes_no_rsvp(client, make_event, member):
    event = make_event(starts_in=timedelta(hours=5), rsvp_deadline=timezone.now() + timedelta(hours=1))
    Event.objects.filter(pk=event.pk).update(rsvp_deadline=timezone.now() - timedelta(minutes=1))
    client.force_login(member.user)
    text = client.get(url("event", event), **EN).content.decode()
    assert "data-closed" in text and 'name="guests"' not in text
    assert rsvp_post(client, event).status_code == 302
    assert not RSVP.objects.exists()


def test_times_read_in_the_communitys_timezone(client, make_event, member, community):
    community.timezone = "Asia/Shanghai"
    community.save(update_fields=["timezone"])
    starts = (timezone.now() + timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)  # 20:00 there
    make_event(title="Evening tea", starts_in=starts - timezone.now(), ends_at=starts + timedelta(hours=2))
    client.force_login(member.user)
    for headers in (EN, ZH):
        text = client.get(url("events", slug=community.slug), **headers).content.decode()
        assert "20:00–22:00" in text and "12:00–14:00" not in text


def test_the_online_link_shows_only_to_members_going(client, make_event, member):
    event = make_event(kind=Event.Kind.LIVESTREAM, online_url="https://live.example.com/room-7", address="")
    client.force_login(member.user)
    assert "live.example.com/room-7" not in client.get(url("event", event), **EN).content.decode()
    rsvp_post(client, event)
    assert "live.example.com/room-7" in client.get(url("event", event), **EN).content.decode()


def test_a_cancelled_event_tells_the_members_who_answered(client, make_event, member, owner):
    event = make_event()
    rsvp = services.rsvp_create(membership=member, event=event)
    services.event_cancel(actor=owner, event=event, reason="Storm")
    client.force_login(member.user)
    page = client.get(url("event", event), **EN)
    assert page.status_code == 200 and "data-event-cancelled" in page.content.decode()
    assert 'name="guests"' not in page.content.decode()
    ticket = client.get(url("rsvp", rsvp), **EN).content.decode()
    assert "data-event-cancelled" in ticket and "data-ticket-qr" not in ticket
    assert client.get(url("rsvp_qr", rsvp)).status_code == 404


# Who sees what ------------------------------------------------------------------------------

def test_other_branches_other_communities_and_outsiders_are_not_found(client, make_event, owner, member, leader,
                                                                      outsider, community):
    north = make_branch(owner, "North", leader=leader)
    for_north = make_event(actor=fresh(leader), title="North only", branch=north)
    everyone = make_event(title="For all")
    elsewhere = CommunityFactory()
    stranger = MembershipFactory(community=elsewhere, role="owner", user=UserFactory())

    client.force_login(member.user)  # a member of no branch
    assert client.get(url("event", for_north)).status_code == 404
    assert rsvp_post(client, for_north).status_code == 404
    assert "North only" not in client.get(url("events", slug=community.slug)).content.decode()
    assert client.get(url("event", everyone, slug=elsewhere.slug)).status_code == 404

    south_leader = fresh(MembershipFactory(community=community, role="leader", user=UserFactory()))
    make_branch(owner, "South", leader=south_leader)
    client.force_login(south_leader.user)
    assert client.get(url("event", for_north)).status_code == 404

    client.force_login(stranger.user)
    assert client.get(url("event", everyone)).status_code == 404
    assert client.get(url("events", slug=community.slug)).status_code == 404
    assert rsvp_post(client, everyone).status_code == 404

    client.force_login(outsider)
    assert client.get(url("event", everyone)).status_code == 404
    client.logout()
    assert client.get(url("event", everyone)).status_code == 302  # to the login page
    assert not RSVP.objects.exists()

    client.force_login(leader.user)  # the branch's own leader sees it
    assert client.get(url("event", for_north)).status_code == 200


def test_someone_elses_rsvp_is_not_found_anywhere(client, make_event, member, leader, community):
    event = make_event(price="10.00", capacity=1)
    theirs = services.rsvp_create(membership=leader, event=event)
    client.force_login(member.user)
    for name in ("rsvp", "rsvp_qr"):
        assert client.get(url(name, theirs)).status_code == 404
    for name in ("rsvp_pay", "rsvp_cancel", "rsvp_accept", "rsvp_decline"):
        assert client.post(url(name, theirs), {"method": "wallet"}).status_code == 404
    elsewhere = CommunityFactory()
    MembershipFactory(community=elsewhere, role="member", user=member.user)
    assert client.get(url("rsvp", theirs, slug=elsewhere.slug)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RSVP.Status.PENDING_PAYMENT


def test_actions_answer_only_to_post(client, make_event, member):
    event = make_event()
    rsvp = services.rsvp_create(membership=member, event=event)
    client.force_login(member.user)
    assert client.get(url("rsvp_cancel", rsvp)).status_code == 405
    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING


def test_pages_stay_under_60_kb(client, make_event, member, community):
    point = PickupPoint.objects.create(community=community, name="Gate", address="Road 1")
    for n in range(50):
        event = make_event(title=f"Event {n} " + "茶" * 100, pickup_point=point, starts_in=timedelta(days=2 + n),
                           description="很长的介绍。" * 800)
        services.rsvp_create(membership=member, event=event)
    client.force_login(member.user)
    rsvp = RSVP.objects.first()
    for name, obj in (("events", None), ("my_events", None), ("event", event), ("rsvp", rsvp)):
        page = client.get(url(name, obj, slug=community.slug), **ZH)
        assert page.status_code == 200 and len(page.content) < PAGE_BUDGET, name
