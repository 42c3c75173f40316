"""The events console (desktop): the list, the event form, publishing and cancelling with a confirm
step, an event's attendance, attendees, waitlist history and CSV, and who may see what (owner,
admin, the leader of the event's branch and of another, a plain member, another community)."""

import csv
import io
import zoneinfo
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement import events as services
from engagement.models import RSVP, Event
from tests.branches import fresh, make_branch
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name, community, *args):
    return reverse(f"engagement_console:{name}", args=[community.slug, *args])


@pytest.fixture
def make_event(make_event):
    """The engagement fixture with the door open: make_event(actor, **fields) starts in an hour, no
    capacity unless told."""

    def _make(actor=None, *, days=0, hours=2, **fields):
        starts_in = timedelta(days=days, hours=1)
        fields.setdefault("capacity", None)
        fields.setdefault("ends_at", timezone.now() + starts_in + timedelta(hours=hours))
        return make_event(actor=actor, starts_in=starts_in, **fields)

    return _make


@pytest.fixture
def going(new_member):
    """going(community, event, name, guests=0) -> the RSVP of a new member."""

    def _going(community, event, name, guests=0, **kwargs):
        membership = new_member(name, **kwargs)
        return services.rsvp_create(membership=membership, event=Event.objects.get(pk=event.pk), guests=guests)

    return _going


@pytest.fixture
def as_user(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def login(membership):
        client.force_login(membership.user)
        return client

    return login


def body(response):
    return response.content.decode("utf-8-sig")


def local_input(community, value):
    return timezone.localtime(value, zoneinfo.ZoneInfo(community.timezone)).strftime("%Y-%m-%dT%H:%M")


def form_data(community, **fields):
    starts = timezone.now() + timedelta(days=3)
    data = {"kind": "tasting", "title": "Pu'er tasting", "description": "Six teas, one table.",
            "starts_at": local_input(community, starts), "ends_at": local_input(community, starts + timedelta(hours=2)),
            "rsvp_deadline": "", "address": "Clubhouse", "online_url": "", "capacity": "12", "max_guests": "1",
            "price": ""}
    data.update(fields)
    return data


# Who may see what --------------------------------------------------------------------------------

def _pages(community, event):
    return [url("events", community), url("event_new", community), url("event", community, event.pk),
            url("event_edit", community, event.pk), url("event_cancel", community, event.pk),
            url("attendees_csv", community, event.pk), url("check_in", community)]


def test_owner_and_admin_open_every_page(as_user, owner, admin_member, community, make_event):
    event = make_event(owner)
    for who in (owner, admin_member):
        client = as_user(who)
        for page in _pages(community, event):
            assert client.get(page).status_code == 200, page


def test_a_plain_member_is_refused(as_user, owner, member, community, make_event):
    event = make_event(owner)
    client = as_user(member)
    for page in _pages(community, event):
        assert client.get(page).status_code == 403, page
    for name in ("event_publish", "event_cancel", "rsvps_mark_received"):
        assert client.post(url(name, community, event.pk)).status_code == 403
    assert client.post(url("check_in", community), {"code": "ABCDEFGH"}).status_code == 403
    assert Event.objects.get(pk=event.pk).status == Event.Status.PUBLISHED


def test_another_community_sees_nothing(as_user, owner, community, make_event):
    event = make_event(owner)
    other = CommunityFactory()
    stranger = MembershipFactory(community=other, role="owner")
    client = as_user(stranger)
    for page in _pages(community, event):
        assert client.get(page).status_code == 404, page
    # Its own console, with this community's event id: not found either.
    for name in ("event", "event_edit", "event_cancel", "attendees_csv"):
        assert client.get(url(name, other, event.pk)).status_code == 404
    for name in ("event_publish", "event_cancel", "rsvps_mark_received"):
        assert client.post(url(name, other, event.pk), {"rsvp": "1"}).status_code == 404
    assert Event.objects.get(pk=event.pk).status == Event.Status.PUBLISHED


def test_a_leader_sees_their_branchs_events_and_changes_their_own(as_user, owner, leader, community, make_event):
    north = make_branch(owner, "North", leader=leader)
    south_leader = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="Leader Zhao"))
    make_branch(owner, "South", leader=south_leader)
    event = make_event(owner, branch=north, title="North tea")
    own = make_event(fresh(leader), title="Leader's walk")

    client = as_user(fresh(leader))
    assert "North tea" in body(client.get(url("events", community)))
    for name in ("event", "attendees_csv"):
        assert client.get(url(name, community, event.pk)).status_code == 200
    assert client.get(url("check_in", community)).status_code == 200
    page = body(client.get(url("event", community, event.pk)))
    assert url("event_edit", community, event.pk) not in page and url("event_cancel", community, event.pk) not in page
    # An admin's event is the admin's to change; the leader's own is theirs.
    assert client.get(url("event_edit", community, event.pk)).status_code == 404
    assert client.post(url("event_cancel", community, event.pk)).status_code == 404
    for page in _pages(community, own):
        assert client.get(page).status_code == 200, page
    assert Event.objects.get(pk=own.pk).branch == north
    # Money is the admins': a leader cannot confirm a transfer.
    assert client.post(url("rsvps_mark_received", community, event.pk), {"rsvp": "1"}).status_code == 403

    client = as_user(fresh(south_leader))
    assert "North tea" not in body(client.get(url("events", community)))
    for name in ("event", "event_edit", "event_cancel", "attendees_csv"):
        assert client.get(url(name, community, event.pk)).status_code == 404
    assert client.post(url("event_cancel", community, event.pk), {"reason": "no"}).status_code == 404
    assert Event.objects.get(pk=event.pk).status == Event.Status.PUBLISHED


# The list ----------------------------------------------------------------------------------------

def test_the_list_filters_and_shows_seats_and_waitlist(as_user, owner, community, make_event, going):
    full = make_event(owner, title="Small table", capacity=2, max_guests=1)
    going(community, full, "Ann", guests=1)
    going(community, full, "Bo")  # no seat left: waitlisted
    make_event(owner, title="Draft night", publish=False)
    cancelled = make_event(owner, title="Rained off")
    services.event_cancel(actor=owner, event=cancelled, reason="Rain")
    client = as_user(owner)

    upcoming = body(client.get(url("events", community)))
    assert "Small table" in upcoming and "Draft night" not in upcoming and "Rained off" not in upcoming
    row = upcoming.split(f'data-event="{full.pk}"')[1].split("</tr>")[0]
    assert "2 / 2" in row and 'data-waitlist>1' in row
    assert "Draft night" in body(client.get(url("events", community) + "?show=drafts"))
    assert "Rained off" in body(client.get(url("events", community) + "?show=cancelled"))
    # An unknown filter falls back to the upcoming events.
    assert "Small table" in body(client.get(url("events", community) + "?show=nope&page=９"))
    assert client.get(url("events", community) + "?show=%00").status_code == 400  # NUL: refused by the site


def test_the_lists_queries_do_not_grow_with_events(as_user, owner, community, django_assert_max_num_queries,
                                                   make_event, going):
    client = as_user(owner)
    make_event(owner, title="One")
    client.get(url("events", community))
    for n in range(8):
        event = make_event(owner, title=f"Event {n}", capacity=5)
        going(community, event, f"Member {n}")
    with django_assert_max_num_queries(12):
        response = client.get(url("events", community))
    assert body(response).count("data-event=") == 9


# The form ----------------------------------------------------------------------------------------

def test_an_admin_creates_an_event_in_local_time_then_publishes_it(as_user, admin_member, community):
    client = as_user(admin_member)
    data = form_data(community)
    response = client.post(url("event_new", community), data)
    event = Event.objects.get(community=community)
    assert response.status_code == 302 and response["Location"] == url("event", community, event.pk)
    assert event.status == Event.Status.DRAFT and event.capacity == 12 and event.max_guests == 1
    assert local_input(community, event.starts_at) == data["starts_at"]
    assert (event.address, event.title) == ("Clubhouse", "Pu'er tasting")

    page = body(client.get(response["Location"]))
    assert "Publish" in page and "A draft" in page
    client.post(url("event_publish", community, event.pk))
    assert Event.objects.get(pk=event.pk).status == Event.Status.PUBLISHED


def test_editing_keeps_what_was_not_touched(as_user, owner, community, make_event):
    event = make_event(owner, capacity=10)
    client = as_user(owner)
    page = client.get(url("event_edit", community, event.pk))
    assert page.status_code == 200 and 'value="10"' in body(page)
    data = form_data(community, title="Tea tasting, second round", capacity="15",
                     starts_at=local_input(community, event.starts_at), ends_at=local_input(community, event.ends_at),
                     rsvp_deadline=local_input(community, event.rsvp_deadline), address=event.address,
                     max_guests="0", description="")
    response = client.post(url("event_edit", community, event.pk), data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.capacity) == ("Tea tasting, second round", 15)


def test_once_members_answered_price_and_guests_are_greyed_out_and_kept(as_user, owner, community, make_event,
                                                                        going):
    event = make_event(owner, capacity=10, max_guests=1)
    going(community, event, "Ann", guests=1)
    client = as_user(owner)
    page = body(client.get(url("event_edit", community, event.pk)))
    assert "data-frozen-note" in page
    assert "disabled" in page.split('name="max_guests"')[1].split(">")[0]
    data = form_data(community, title="Tea tasting for two", capacity="12", price="99.00", max_guests="3",
                     starts_at=local_input(community, event.starts_at), ends_at=local_input(community, event.ends_at),
                     rsvp_deadline=local_input(community, event.rsvp_deadline), address=event.address,
                     description="")
    assert client.post(url("event_edit", community, event.pk), data).status_code == 302
    event.refresh_from_db()
    assert (event.title, event.capacity, event.price, event.max_guests) == ("Tea tasting for two", 12, 0, 1)


def test_a_leaders_event_is_for_their_branch(as_user, owner, leader, community):
    north = make_branch(owner, "North", leader=leader)
    client = as_user(fresh(leader))
    assert 'name="branch"' not in body(client.get(url("event_new", community)))
    client.post(url("event_new", community), form_data(community, branch=str(north.pk + 1000)))
    assert Event.objects.get(community=community).branch == north


@pytest.mark.parametrize("field,value", [
    ("title", "x" * 121),
    ("capacity", "１２"),
    ("capacity", "0"),
    ("capacity", "99999999999"),
    ("max_guests", "9"),
    ("price", "1e3"),
    ("price", "-5"),
    ("starts_at", "２０２６-12-01T10:00"),
    ("ends_at", "not a time"),
    ("online_url", "javascript:alert(1)"),
])
def test_bad_input_is_a_form_error_and_nothing_is_saved(as_user, owner, community, field, value):
    client = as_user(owner)
    response = client.post(url("event_new", community), form_data(community, **{field: value}))
    assert response.status_code == 400
    assert 'class="error"' in body(response) or "form-errors" in body(response)
    assert not Event.objects.filter(community=community).exists()


def test_a_nul_byte_is_refused_and_nothing_is_saved(as_user, owner, community):
    client = as_user(owner)
    for field in ("title", "starts_at", "capacity", "description"):
        response = client.post(url("event_new", community), form_data(community, **{field: "Tea\x00time"}))
        assert response.status_code == 400
    assert not Event.objects.filter(community=community).exists()


def test_a_service_refusal_shows_on_the_form(as_user, owner, community):
    client = as_user(owner)
    starts = timezone.now() + timedelta(days=3)
    response = client.post(url("event_new", community), form_data(
        community, starts_at=local_input(community, starts),
        ends_at=local_input(community, starts - timedelta(hours=1))))
    assert response.status_code == 400
    assert not Event.objects.filter(community=community).exists()


# The event ---------------------------------------------------------------------------------------

def test_the_event_page_shows_attendance_attendees_and_waitlist_history(as_user, owner, leader, community, make_event,
                                                                        going):
    event = make_event(owner, capacity=3, max_guests=2)
    ann = going(community, event, "Ann", guests=2)
    bo = going(community, event, "Bo")  # full: waitlisted
    services.ticket_check_in(actor=leader, code=ann.ticket_code)
    client = as_user(owner)
    page = body(client.get(url("event", community, event.pk)))
    assert 'data-count="going"><strong>1<' in page
    assert 'data-count="seats"><strong>3' in page
    assert 'data-count="checked_in"><strong>1<' in page
    assert 'data-count="waitlisted"><strong>1<' in page
    row = page.split(f'data-rsvp="{ann.pk}"')[1].split("</tr>")[0]
    assert "Ann" in row and "+2" in row and "by Leader of" in row
    assert ann.ticket_code not in page  # the console never shows a whole ticket code
    history = page.split('id="history"')[1]
    assert "Bo" in history and "joined the waitlist" in history
    assert bo.status == RSVP.Status.WAITLISTED


def test_the_event_pages_queries_do_not_grow_with_attendees(as_user, owner, community, django_assert_max_num_queries,
                                                            make_event, going):
    event = make_event(owner)
    going(community, event, "First")
    client = as_user(owner)
    client.get(url("event", community, event.pk))
    for n in range(10):
        going(community, event, f"Member {n}", guests=0)
    with django_assert_max_num_queries(25):
        response = client.get(url("event", community, event.pk))
    assert body(response).count('data-rsvp=') >= 11


def test_cancelling_asks_first_then_cancels_with_the_reason(as_user, owner, community, make_event, going):
    event = make_event(owner)
    rsvp = going(community, event, "Ann")
    client = as_user(owner)
    confirm = client.get(url("event_cancel", community, event.pk))
    assert confirm.status_code == 200
    assert "1 member going loses their seat" in body(confirm)
    assert Event.objects.get(pk=event.pk).status == Event.Status.PUBLISHED

    response = client.post(url("event_cancel", community, event.pk), {"reason": "The venue flooded"})
    assert response.status_code == 302
    assert Event.objects.get(pk=event.pk).status == Event.Status.CANCELLED
    assert RSVP.objects.get(pk=rsvp.pk).status == RSVP.Status.CANCELLED
    # Cancelled: no more editing, no second confirm page.
    assert client.get(url("event_edit", community, event.pk)).status_code == 302
    assert client.get(url("event_cancel", community, event.pk)).status_code == 302


def test_a_reason_too_long_is_a_form_error(as_user, owner, community, make_event):
    event = make_event(owner)
    response = as_user(owner).post(url("event_cancel", community, event.pk), {"reason": "x" * 500})
    assert response.status_code == 400
    assert Event.objects.get(pk=event.pk).status == Event.Status.PUBLISHED


# CSV ---------------------------------------------------------------------------------------------

def test_the_attendees_csv_masks_phones_and_defuses_formulas(as_user, owner, leader, community, make_event, going):
    event = make_event(owner, max_guests=2)
    ann = going(community, event, "Ann", guests=2)
    going(community, event, "=HYPERLINK(\"http://evil\")")
    services.ticket_check_in(actor=leader, code=ann.ticket_code)
    response = as_user(owner).get(url("attendees_csv", community, event.pk))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = body(response)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Member", "Phone", "Guests", "Seats", "Payment", "Status", "Checked in at", "Checked in by"]
    by_name = {row[0]: row for row in rows[1:]}
    phone = ann.member.phone
    assert by_name["Ann"][1] == f"{phone[:3]}····{phone[-4:]}" and phone not in text
    assert by_name["Ann"][2:6] == ["2", "3", "Free", "Checked in"]
    assert by_name["Ann"][7] == leader.user.display_name
    assert "'=HYPERLINK(\"http://evil\")" in by_name
    assert by_name["'=HYPERLINK(\"http://evil\")"][5] == "Going"


# Transfers (admins) ------------------------------------------------------------------------------

def _reported(new_member, event, name, reference="WeChat 12-01"):
    membership = new_member(name)
    rsvp = services.rsvp_create(membership=membership, event=Event.objects.get(pk=event.pk))
    assert rsvp.status == RSVP.Status.PENDING_PAYMENT
    return services.rsvp_report_transfer(membership=membership, rsvp=rsvp, reference=reference)


def test_an_admin_marks_reported_transfers_received_in_bulk(as_user, owner, admin_member, community, make_event,
                                                             new_member):
    event = make_event(owner, price="38.00", capacity=10)
    ann, bo, chen = (_reported(new_member, event, name) for name in ("Ann", "Bo", "Chen"))
    client = as_user(admin_member)
    page = body(client.get(url("event", community, event.pk)))
    transfers = page.split('id="transfers"')[1]
    assert "WeChat 12-01" in transfers and 'name="rsvp"' in transfers and "Not received" in transfers

    response = client.post(url("rsvps_mark_received", community, event.pk), {"rsvp": [str(ann.pk), str(bo.pk)]})
    assert response.status_code == 302
    assert {r.pk: r.status for r in RSVP.objects.filter(event=event)} == {
        ann.pk: RSVP.Status.GOING, bo.pk: RSVP.Status.GOING, chen.pk: RSVP.Status.PENDING_PAYMENT}
    page = body(client.get(url("event", community, event.pk)))
    assert page.split(f'data-rsvp="{ann.pk}"')[1].split("</tr>")[0].count("Paid") == 1

    client.post(url("rsvp_transfer_decline", community, chen.pk), {"note": "Nothing arrived"})
    chen.refresh_from_db()
    assert chen.status == RSVP.Status.PENDING_PAYMENT
    assert "transfer reported" not in body(client.get(url("event", community, event.pk))).split('id="transfers"')[1]


def test_marking_received_refuses_strange_ids_and_changes_nothing(as_user, owner, admin_member, community,
                                                                  make_event, new_member):
    event = make_event(owner, price="38.00", capacity=10)
    ann = _reported(new_member, event, "Ann")
    other_event = make_event(owner, title="Other", price="10.00")
    bo = _reported(new_member, other_event, "Bo")
    client = as_user(admin_member)
    for ids in ([str(bo.pk)], [str(ann.pk), "１"], ["9" * 30], [str(ann.pk), str(bo.pk)]):
        assert client.post(url("rsvps_mark_received", community, event.pk), {"rsvp": ids}).status_code == 404
    assert client.post(url("rsvps_mark_received", community, event.pk), {}).status_code == 302
    assert client.post(url("rsvp_transfer_decline", community, 10**12), {}).status_code == 404
    assert set(RSVP.objects.values_list("status", flat=True)) == {RSVP.Status.PENDING_PAYMENT}
