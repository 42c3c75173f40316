"""The events API: what a member's app and the console's scripts can do, and what they cannot."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from communities.models import Community, Role
from core.models import IdempotentRequest
from engagement import events
from engagement.models import RSVP, Event
from payments.models import Payment, WalletEntry
from tests.api import assert_error, url
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def ev(slug, *parts):
    return url(slug, "events", *parts)


def my(slug, *parts):
    return url(slug, "rsvps", *parts)


def ticket(slug, pk):
    return my(slug, pk) + "ticket.png"


def admin(slug, *parts):
    return url(slug, "admin", *parts)


def post(client, path, body=None, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, body if body is not None else {}, format="json", **extra)


def event_body(**overrides):
    starts = timezone.now() + timedelta(days=5)
    body = {"title": "Oolong tasting", "kind": "tasting", "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(), "address": "3 Tea Lane", "capacity": 10,
            "max_guests": 2, "price": "25.00", "description": "Three oolongs from Anxi."}
    body.update(overrides)
    return body


# Members: events and RSVPs -----------------------------------------------------------------------

def test_a_member_lists_events_with_seats_and_their_answer(api_as, community, member, make_event):
    soon = make_event(capacity=3, title="Soon")
    make_event(title="Draft", publish=False)
    events.rsvp_create(membership=member, event=soon)
    response = api_as(member.user).get(ev(community.slug))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["title"] for r in rows] == ["Soon"]
    assert rows[0]["seats_left"] == 2 and rows[0]["my_rsvp_status"] == "going"
    assert rows[0]["price"] == "0.00"
    assert parse_datetime(rows[0]["starts_at"]).utcoffset() is not None


def test_event_filters(api_as, community, member, make_event):
    make_event(title="Meetup", kind="meetup")
    make_event(title="Tasting")
    client = api_as(member.user)
    assert [r["title"] for r in client.get(ev(community.slug), {"kind": "meetup"}).json()["results"]] == ["Meetup"]
    assert len(client.get(ev(community.slug), {"upcoming": "true"}).json()["results"]) == 2
    assert client.get(ev(community.slug), {"upcoming": "false"}).json()["results"] == []
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.get(ev(community.slug), {"updated_since": later}).json()["results"] == []
    for bad in ({"upcoming": "maybe"}, {"kind": "party"}, {"updated_since": "yesterday\x00"}):
        assert_error(client.get(ev(community.slug), bad), 400)


def test_the_events_list_costs_the_same_queries_for_more_rows(api_as, community, member, make_event,
                                                              django_assert_max_num_queries):
    client = api_as(member.user)
    for _ in range(2):
        events.rsvp_create(membership=member, event=make_event())
    with django_assert_max_num_queries(8) as few:
        client.get(ev(community.slug))
    for _ in range(6):
        events.rsvp_create(membership=member, event=make_event())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(ev(community.slug)).json()["results"]) == 8
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        assert len(client.get(my(community.slug)).json()["results"]) == 8


def test_rsvp_then_again_then_the_event_page_shows_the_ticket(api_as, community, member, make_event):
    event = make_event(capacity=3, max_guests=1)
    client = api_as(member.user)
    first = post(client, ev(community.slug, event.pk, "rsvp"), {"guests": 1})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == "going" and body["seats"] == 2 and len(body["ticket_code"]) == 8
    again = post(client, ev(community.slug, event.pk, "rsvp"), {"guests": 1})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again.json()["ticket_code"] == body["ticket_code"]
    page = client.get(ev(community.slug, event.pk)).json()
    assert page["seats_left"] == 1
    assert page["my_rsvp"]["status"] == "going" and page["my_rsvp"]["ticket_code"] == body["ticket_code"]
    png = client.get(body["ticket_png_url"])
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")


def test_rsvp_with_an_idempotency_key_replays_the_first_answer(api_as, community, member, make_event):
    event = make_event()
    client = api_as(member.user)
    first = post(client, ev(community.slug, event.pk, "rsvp"), {"guests": 0}, key="k-1")
    again = post(client, ev(community.slug, event.pk, "rsvp"), {"guests": 0}, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert_error(post(client, ev(community.slug, event.pk, "rsvp"), {"guests": 1}, key="k-1"), 422,
                 "idempotency_key_reused")
    assert RSVP.objects.count() == 1


@pytest.mark.parametrize("guests", ["３", -1, 10**9, "1e9", "1\x00", "one", 1.5])
def test_odd_guests_are_refused(api_as, community, member, make_event, guests):
    event = make_event(capacity=5, max_guests=2)
    response = post(api_as(member.user), ev(community.slug, event.pk, "rsvp"), {"guests": guests})
    assert_error(response, 400, fields=["guests"])
    assert not RSVP.objects.exists()


def test_too_many_guests_for_the_event_is_a_field_error(api_as, community, member, make_event):
    event = make_event(capacity=5, max_guests=1)
    assert_error(post(api_as(member.user), ev(community.slug, event.pk, "rsvp"), {"guests": 2}), 400,
                 fields=["guests"])


def test_waitlist_position_offer_accept_and_decline(api_as, community, make_event, new_member):
    event = make_event(capacity=1)
    holder, first, second = new_member("Holder"), new_member("First"), new_member("Second")
    seat = post(api_as(holder.user), ev(community.slug, event.pk, "rsvp")).json()
    one = post(api_as(first.user), ev(community.slug, event.pk, "rsvp")).json()
    two = post(api_as(second.user), ev(community.slug, event.pk, "rsvp")).json()
    assert (one["status"], one["waitlist_position"], one["ticket_code"]) == ("waitlisted", 1, None)
    assert two["waitlist_position"] == 2
    assert api_as(second.user).get(ev(community.slug, event.pk)).json()["my_rsvp"]["waitlist_position"] == 2
    assert_error(api_as(first.user).get(ticket(community.slug, one["id"])), 409, "no_ticket")

    cancelled = post(api_as(holder.user), my(community.slug, seat["id"], "cancel"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = post(api_as(holder.user), my(community.slug, seat["id"], "cancel"))
    assert again.status_code == 200 and again.json()["status"] == "cancelled"  # a double tap
    offer = api_as(first.user).get(my(community.slug, one["id"])).json()
    assert offer["status"] == "offered" and offer["offer_expires_at"]

    declined = post(api_as(first.user), my(community.slug, one["id"], "decline"))
    assert declined.json()["status"] == "declined"
    assert api_as(second.user).get(my(community.slug, two["id"])).json()["status"] == "offered"
    accepted = post(api_as(second.user), my(community.slug, two["id"], "accept"))
    assert accepted.status_code == 200 and accepted.json()["status"] == "going"
    assert post(api_as(second.user), my(community.slug, two["id"], "accept")).json()["status"] == "going"
    assert_error(post(api_as(first.user), my(community.slug, one["id"], "accept")), 409, "offer_closed")
    event.refresh_from_db()
    assert event.seats_taken == 1


def test_a_paid_seat_paid_twice_is_paid_once(api_as, community, member, make_event, top_up):
    event = make_event(capacity=2, price="30")
    top_up(member, "100")
    client = api_as(member.user)
    rsvp = post(client, ev(community.slug, event.pk, "rsvp")).json()
    assert rsvp["status"] == "pending_payment" and rsvp["amount"] == "30.00" and rsvp["expires_at"]
    assert rsvp["ticket_code"] is None
    for _ in range(2):
        paid = post(client, my(community.slug, rsvp["id"], "pay"), {"method": "wallet"})
        assert paid.status_code == 200, paid.content
        assert paid.json()["status"] == "going" and paid.json()["paid"] is True
    assert WalletEntry.objects.filter(wallet__member=member.user, kind="payment").count() == 1


def test_a_transfer_reported_twice_is_one_payment(api_as, community, member, make_event):
    event = make_event(capacity=2, price="30")
    client = api_as(member.user)
    rsvp = post(client, ev(community.slug, event.pk, "rsvp")).json()
    for _ in range(2):
        answer = post(client, my(community.slug, rsvp["id"], "pay"), {"method": "transfer", "reference": "8841"})
        assert answer.status_code == 200
        assert answer.json()["transfer_reported"] is True and answer.json()["status"] == "pending_payment"
    assert Payment.objects.filter(status=Payment.Status.PENDING).count() == 1
    for bad in ({"method": "card"}, {"method": "transfer", "reference": "x" * 101},
                {"method": "transfer", "reference": "a\x00"}, {}):
        assert_error(post(client, my(community.slug, rsvp["id"], "pay"), bad), 400)


def test_my_rsvps_list_and_filters(api_as, community, member, make_event):
    going = events.rsvp_create(membership=member, event=make_event(title="One"))
    events.rsvp_cancel(membership=member, rsvp=events.rsvp_create(membership=member, event=make_event(title="Two")))
    client = api_as(member.user)
    rows = client.get(my(community.slug)).json()["results"]
    assert {r["event"]["title"] for r in rows} == {"One", "Two"}
    only = client.get(my(community.slug), {"status": "going"}).json()["results"]
    assert [r["id"] for r in only] == [going.pk]
    assert_error(client.get(my(community.slug), {"event": "٣"}), 400)


def test_another_members_rsvp_is_not_found(api_as, community, member, make_event, new_member):
    rsvp = events.rsvp_create(membership=member, event=make_event())
    intruder = api_as(new_member().user)
    assert_error(intruder.get(my(community.slug, rsvp.pk)), 404, "rsvp_not_found")
    assert_error(intruder.get(ticket(community.slug, rsvp.pk)), 404)
    for action in ("cancel", "accept", "decline"):
        assert_error(post(intruder, my(community.slug, rsvp.pk, action)), 404)
    assert_error(post(intruder, my(community.slug, rsvp.pk, "pay"), {"method": "wallet"}), 404)
    rsvp.refresh_from_db()
    assert rsvp.status == RSVP.Status.GOING


@pytest.mark.parametrize("pk", ["0", "999999", str(2**63 - 1), str(10**30)])
def test_unknown_and_huge_ids_are_not_found(api_as, community, owner, member, pk):
    for client, path, method in ((api_as(member.user), ev(community.slug, pk), "get"),
                                 (api_as(member.user), ev(community.slug, pk, "rsvp"), "post"),
                                 (api_as(member.user), my(community.slug, pk), "get"),
                                 (api_as(member.user), my(community.slug, pk, "cancel"), "post"),
                                 (api_as(owner.user), admin(community.slug, "events", pk), "get"),
                                 (api_as(owner.user), admin(community.slug, "events", pk, "publish"), "post"),
                                 (api_as(owner.user), admin(community.slug, "rsvps", pk, "decline-transfer"),
                                  "post")):
        response = post(client, path) if method == "post" else client.get(path)
        assert_error(response, 404)


# The console ---------------------------------------------------------------------------------------

def test_create_publish_patch_and_cancel_an_event(api_as, community, owner, member, top_up):
    client = api_as(owner.user)
    created = post(client, admin(community.slug, "events"), event_body(), key="e-1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["price"] == "25.00" and body["created_by"]["id"] == owner.user_id
    replay = post(client, admin(community.slug, "events"), event_body(starts_at=body["starts_at"],
                                                                       ends_at=body["ends_at"]), key="e-1")
    assert replay.status_code in (201, 422)
    assert Event.objects.count() == 1
    assert api_as(member.user).get(ev(community.slug, body["id"])).status_code == 404  # a draft

    published = post(client, admin(community.slug, "events", body["id"], "publish"))
    assert published.json()["status"] == "published"
    assert post(client, admin(community.slug, "events", body["id"], "publish")).status_code == 200
    patched = client.patch(admin(community.slug, "events", body["id"]), {"title": "Oolong night", "capacity": 12},
                           format="json")
    assert patched.status_code == 200 and patched.json()["title"] == "Oolong night"
    assert patched.json()["capacity"] == 12

    top_up(member, "100")
    rsvp = post(api_as(member.user), ev(community.slug, body["id"], "rsvp")).json()
    post(api_as(member.user), my(community.slug, rsvp["id"], "pay"), {"method": "wallet"})
    assert_error(client.patch(admin(community.slug, "events", body["id"]), {"price": "30.00"}, format="json"),
                 409, "frozen")
    cancelled = post(client, admin(community.slug, "events", body["id"], "cancel"), {"reason": "Rain"})
    assert cancelled.json()["status"] == "cancelled"
    assert post(client, admin(community.slug, "events", body["id"], "cancel")).status_code == 200
    assert RSVP.objects.get(pk=rsvp["id"]).status == RSVP.Status.CANCELLED
    assert WalletEntry.objects.filter(wallet__member=member.user, kind="refund").count() == 1


def test_event_create_idempotency_key_makes_one_event(api_as, community, owner):
    client = api_as(owner.user)
    body = event_body()
    first = post(client, admin(community.slug, "events"), body, key="same")
    again = post(client, admin(community.slug, "events"), body, key="same")
    assert first.status_code == again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Event.objects.count() == 1 and IdempotentRequest.objects.count() == 1


@pytest.mark.parametrize("bad", [
    {"title": ""}, {"title": "x" * 121}, {"title": "a\x00b"}, {"capacity": "３"}, {"capacity": 10**12},
    {"capacity": 0}, {"max_guests": 9}, {"price": "-1"}, {"price": "１"}, {"price": "1e9"}, {"kind": "party"},
    {"starts_at": "tomorrow"}, {"starts_at": "1990-01-01T10:00:00+08:00"}, {"pickup_point": 10**30},
    {"pickup_point": 999999}, {"branch": 999999}, {"online_url": "javascript:alert(1)"}, {"address": ""},
])
def test_bad_event_input_is_a_field_error(api_as, community, owner, bad):
    response = post(api_as(owner.user), admin(community.slug, "events"), event_body(**bad))
    body = assert_error(response, 400)
    assert body["fields"], body
    assert not Event.objects.exists()


def test_cover_upload(api_as, community, owner, make_event, tmp_path, settings):
    import io

    from PIL import Image

    settings.MEDIA_ROOT = str(tmp_path)
    event = make_event()
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 40)).save(buffer, "PNG")
    buffer.name = "cover.png"
    buffer.seek(0)
    client = api_as(owner.user)
    response = client.put(admin(community.slug, "events", event.pk, "cover"), {"cover": buffer}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["cover_url"]
    bad = io.BytesIO(b"%PDF-1.4 not an image")
    bad.name = "cover.png"
    assert_error(client.put(admin(community.slug, "events", event.pk, "cover"), {"cover": bad}, format="multipart"),
                 400)


def test_console_lists_filter_and_cost_the_same_for_more_rows(api_as, community, owner, make_event, new_member,
                                                              django_assert_max_num_queries):
    client = api_as(owner.user)
    event = make_event(capacity=2, title="Full")
    make_event(publish=False, title="Draft")
    members = [new_member() for _ in range(6)]
    for m in members[:3]:
        events.rsvp_create(membership=m, event=event)
    paths = [admin(community.slug, "events"), admin(community.slug, "events", event.pk, "rsvps"),
             admin(community.slug, "events", event.pk, "attendees")]
    counts = []
    for path in paths:
        with django_assert_max_num_queries(15) as few:
            assert client.get(path).status_code == 200
        counts.append(len(few.captured_queries))
    for m in members[3:]:
        events.rsvp_create(membership=m, event=event)
    for _ in range(4):
        make_event()
    for path, count in zip(paths, counts):
        with django_assert_max_num_queries(count):
            client.get(path)
    statuses = client.get(admin(community.slug, "events"), {"status": "draft"}).json()["results"]
    assert [r["title"] for r in statuses] == ["Draft"]
    assert client.get(admin(community.slug, "events"), {"upcoming": "false"}).json()["results"] == []


def test_rsvps_in_waitlist_order_with_history_in_words(api_as, community, owner, make_event, new_member):
    event = make_event(capacity=1)
    holder = new_member("Holder")
    seat = events.rsvp_create(membership=holder, event=event)
    waiting = [events.rsvp_create(membership=new_member(f"Wait {i}"), event=event) for i in range(3)]
    events.rsvp_cancel(membership=holder, rsvp=seat)
    body = api_as(owner.user).get(admin(community.slug, "events", event.pk, "rsvps"),
                                  {"status": "waitlisted"}).json()
    assert [r["id"] for r in body["results"]] == [w.pk for w in waiting[1:]]
    assert [r["waitlist_position"] for r in body["results"]] == [1, 2]
    assert body["count"] == 2
    actions = [line["action"] for line in body["history"]]
    assert actions[:2] == ["rsvp.going", "rsvp.waitlisted"] and "rsvp.offered" in actions
    assert all(line["sentence"] for line in body["history"])
    everyone = api_as(owner.user).get(admin(community.slug, "events", event.pk, "rsvps")).json()
    assert everyone["count"] == 4


def test_attendees_and_counts(api_as, community, owner, leader, make_event, new_member):
    event = make_event(capacity=5, max_guests=1, starts_in=timedelta(hours=1))
    a, b = new_member("Ann"), new_member("Bo")
    ticket = events.rsvp_create(membership=a, event=event, guests=1)
    events.rsvp_create(membership=b, event=event)
    events.ticket_check_in(actor=leader, code=ticket.ticket_code)
    body = api_as(owner.user).get(admin(community.slug, "events", event.pk, "attendees")).json()
    assert body["attendance"]["going"] == 2 and body["attendance"]["seats"] == 3
    assert body["attendance"]["checked_in"] == 1
    ann = next(r for r in body["results"] if r["member"]["display_name"] == "Ann")
    assert ann["checked_in_by"]["id"] == leader.user_id and ann["seats"] == 2


def test_mark_paid_and_decline_transfer(api_as, community, owner, leader, make_event, new_member):
    event = make_event(capacity=3, price="20")
    payer, other = new_member(), new_member()
    one = events.rsvp_create(membership=payer, event=event)
    two = events.rsvp_create(membership=other, event=event)
    events.rsvp_report_transfer(membership=payer, rsvp=one, reference="x")
    events.rsvp_report_transfer(membership=other, rsvp=two, reference="y")
    client = api_as(owner.user)
    assert_error(post(api_as(leader.user), admin(community.slug, "rsvps", "mark-paid"), {"rsvp_ids": [one.pk]}),
                 403)
    done = post(client, admin(community.slug, "rsvps", "mark-paid"), {"rsvp_ids": [one.pk], "reference": "bank"})
    assert done.status_code == 200 and done.json() == {"marked": [one.pk], "skipped": []}
    again = post(client, admin(community.slug, "rsvps", "mark-paid"), {"rsvp_ids": [one.pk]})
    assert again.json() == {"marked": [], "skipped": [one.pk]}
    assert RSVP.objects.get(pk=one.pk).status == RSVP.Status.GOING

    declined = post(client, admin(community.slug, "rsvps", two.pk, "decline-transfer"), {"note": "Not seen"})
    assert declined.status_code == 200 and declined.json()["transfer_reported"] is False
    assert_error(post(client, admin(community.slug, "rsvps", two.pk, "decline-transfer")), 409, "no_report")
    for bad in ({"rsvp_ids": []}, {"rsvp_ids": ["٣"]}, {"rsvp_ids": [10**30]}, {"rsvp_ids": "1"},
                {"rsvp_ids": [one.pk], "reference": "a\x00"}, {"rsvp_ids": list(range(1, 600))}):
        assert 400 <= post(client, admin(community.slug, "rsvps", "mark-paid"), bad).status_code < 500


def test_mark_paid_with_another_communitys_ids_is_not_found_and_changes_nothing(api_as, community, owner,
                                                                                make_event, member):
    event = make_event(capacity=3, price="20")
    mine = events.rsvp_create(membership=member, event=event)
    events.rsvp_report_transfer(membership=member, rsvp=mine)
    elsewhere = CommunityFactory()
    boss = MembershipFactory(community=elsewhere, role=Role.OWNER, user=UserFactory())
    boss.community = elsewhere
    start = timezone.now() + timedelta(days=2)
    theirs_event = events.event_publish(actor=boss, event=events.event_create(
        actor=boss, title="Theirs", kind="meetup", starts_at=start, ends_at=start + timedelta(hours=1),
        address="There", price=Decimal("20")))
    buyer = MembershipFactory(community=elsewhere, role=Role.MEMBER, user=UserFactory())
    buyer.community = elsewhere
    theirs = events.rsvp_create(membership=buyer, event=theirs_event)
    events.rsvp_report_transfer(membership=buyer, rsvp=theirs)
    body = assert_error(post(api_as(owner.user), admin(community.slug, "rsvps", "mark-paid"),
                             {"rsvp_ids": [mine.pk, theirs.pk]}), 404, "rsvp_not_found")
    assert body["fields"]["rsvp_ids"] == [str(theirs.pk)]
    assert RSVP.objects.get(pk=mine.pk).status == RSVP.Status.PENDING_PAYMENT
    assert RSVP.objects.get(pk=theirs.pk).status == RSVP.Status.PENDING_PAYMENT
    assert_error(post(api_as(owner.user), admin(community.slug, "rsvps", theirs.pk, "decline-transfer")), 404)


# Check-in ------------------------------------------------------------------------------------------

def test_check_in_twice_says_when_and_by_whom(api_as, community, leader, member, make_event):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    client = api_as(leader.user)
    typed = rsvp.ticket_code.lower()[:4] + " " + rsvp.ticket_code.lower()[4:]
    first = post(client, admin(community.slug, "check-in"), {"code": typed, "event_id": event.pk})
    assert first.status_code == 200, first.content
    assert first.json()["first_time"] is True and first.json()["member"]["id"] == member.user_id
    assert first.json()["event"]["id"] == event.pk
    second = post(client, admin(community.slug, "check-in"), {"code": rsvp.ticket_code})
    assert second.status_code == 200 and second.json()["first_time"] is False
    assert second.json()["checked_in_at"] == first.json()["checked_in_at"]
    assert second.json()["checked_in_by"]["id"] == leader.user_id


def test_check_in_refusals_are_json_4xx(api_as, community, leader, member, make_event, new_member):
    event = make_event(starts_in=timedelta(hours=1), capacity=1)
    other_event = make_event(starts_in=timedelta(hours=2))
    rsvp = events.rsvp_create(membership=member, event=event)
    waiting = events.rsvp_create(membership=new_member(), event=event)
    client = api_as(leader.user)
    check = admin(community.slug, "check-in")
    assert_error(post(client, check, {"code": "ZZZZZZZZ"}), 404, "ticket_not_found")
    assert_error(post(client, check, {"code": waiting.ticket_code}), 409, "ticket_not_valid")
    assert_error(post(client, check, {"code": rsvp.ticket_code, "event_id": other_event.pk}), 409, "wrong_event")
    for bad in ({"code": "AB\x00CD"}, {"code": "A" * 5000}, {"code": ""}, {},
                {"code": rsvp.ticket_code, "event_id": 10**30}, {"code": rsvp.ticket_code, "event_id": "٣"}):
        response = post(client, check, bad)
        assert 400 <= response.status_code < 500
        assert_error(response, response.status_code)
    assert_error(post(client, check, {"code": rsvp.ticket_code, "event_id": 999999}), 404)
    events.rsvp_cancel(membership=member, rsvp=rsvp)
    assert_error(post(client, check, {"code": rsvp.ticket_code}), 404, "ticket_not_found")
    assert not RSVP.objects.filter(checked_in_at__isnull=False).exists()


# Scope: other communities, plain members, leaders of another branch ---------------------------------

def _member_routes(slug, event_pk, rsvp_pk):
    return [("get", ev(slug, event_pk), None), ("post", ev(slug, event_pk, "rsvp"), {}),
            ("get", my(slug, rsvp_pk), None), ("post", my(slug, rsvp_pk, "pay"), {"method": "wallet"}),
            ("post", my(slug, rsvp_pk, "cancel"), {}), ("post", my(slug, rsvp_pk, "accept"), {}),
            ("post", my(slug, rsvp_pk, "decline"), {}), ("get", ticket(slug, rsvp_pk), None)]


def _admin_routes(slug, event_pk, rsvp_pk, code):
    return [("get", admin(slug, "events", event_pk), None),
            ("patch", admin(slug, "events", event_pk), {"title": "Hijacked"}),
            ("put", admin(slug, "events", event_pk, "cover"), None),
            ("post", admin(slug, "events", event_pk, "publish"), {}),
            ("post", admin(slug, "events", event_pk, "cancel"), {}),
            ("get", admin(slug, "events", event_pk, "attendees"), None),
            ("get", admin(slug, "events", event_pk, "rsvps"), None),
            ("post", admin(slug, "rsvps", "mark-paid"), {"rsvp_ids": [rsvp_pk]}),
            ("post", admin(slug, "rsvps", rsvp_pk, "decline-transfer"), {}),
            ("post", admin(slug, "check-in"), {"code": code})]


def _call(client, method, path, body):
    if method == "get":
        return client.get(path)
    if method == "put":
        return client.put(path, {}, format="multipart")
    return getattr(client, method)(path, body, format="json")


def _snapshot():
    return (list(Event.objects.order_by("pk").values_list("title", "status", "seats_taken")),
            list(RSVP.objects.order_by("pk").values_list("status", "checked_in_at")))


def test_every_route_covered_by_the_walks():
    from engagement.api.event_urls import urlpatterns

    walked = {"api-events", "api-event", "api-event-rsvp", "api-rsvps", "api-rsvp", "api-rsvp-pay", "api-rsvp-cancel",
              "api-rsvp-accept", "api-rsvp-decline", "api-rsvp-ticket", "api-admin-events", "api-admin-event",
              "api-admin-event-cover", "api-admin-event-publish", "api-admin-event-cancel",
              "api-admin-event-attendees", "api-admin-event-rsvps", "api-admin-rsvps-mark-paid",
              "api-admin-rsvp-decline-transfer", "api-admin-check-in"}
    assert {p.name for p in urlpatterns} == walked


def test_another_communitys_member_gets_404_everywhere(api_as, community, owner, member, make_event):
    event = make_event(price="10", starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    elsewhere = CommunityFactory()
    stranger = MembershipFactory(community=elsewhere, role=Role.OWNER, user=UserFactory())
    client = api_as(stranger.user)
    before = _snapshot()
    # Their own community's URLs with our ids.
    for method, path, body in (_member_routes(elsewhere.slug, event.pk, rsvp.pk)
                               + _admin_routes(elsewhere.slug, event.pk, rsvp.pk, rsvp.ticket_code)):
        response = _call(client, method, path, body)
        assert response.status_code in (400, 404), (path, response.status_code)
        assert response.status_code == 404 or method == "put" or "check-in" in path, (path, response.content)
    # Our community's URLs.
    for method, path, body in (_member_routes(community.slug, event.pk, rsvp.pk)
                               + _admin_routes(community.slug, event.pk, rsvp.pk, rsvp.ticket_code)):
        assert_error(_call(client, method, path, body), 404)
    assert_error(client.get(ev(community.slug)), 404)
    assert _snapshot() == before


def test_a_plain_member_gets_403_on_admin_routes(api_as, community, member, make_event):
    event = make_event(starts_in=timedelta(hours=1))
    rsvp = events.rsvp_create(membership=member, event=event)
    before = _snapshot()
    client = api_as(member.user)
    for method, path, body in _admin_routes(community.slug, event.pk, rsvp.pk, rsvp.ticket_code):
        assert_error(_call(client, method, path, body), 403)
    assert_error(client.get(admin(community.slug, "events")), 403)
    assert_error(post(client, admin(community.slug, "events"), event_body()), 403)
    assert _snapshot() == before


def test_a_leader_of_another_branch_gets_404_on_a_branch_event(api_as, community, owner, make_event, new_member,
                                                              top_up):
    north = Community.objects.create(name="North", slug=f"{community.slug}-north", parent=community)
    south = Community.objects.create(name="South", slug=f"{community.slug}-south", parent=community)
    north_leader = MembershipFactory(community=community, role=Role.LEADER, branch=north, user=UserFactory())
    south_leader = MembershipFactory(community=community, role=Role.LEADER, branch=south, user=UserFactory())
    north_leader.community = community
    event = make_event(actor=north_leader, starts_in=timedelta(hours=1), price="10")
    northerner, southerner = new_member(branch=north), new_member(branch=south)
    rsvp = events.rsvp_create(membership=northerner, event=event)
    top_up(northerner, "10")
    events.rsvp_pay_with_wallet(membership=northerner, rsvp=rsvp)
    before = _snapshot()
    client = api_as(south_leader.user)
    for method, path, body in _admin_routes(community.slug, event.pk, rsvp.pk, rsvp.ticket_code):
        assert_error(_call(client, method, path, body), 404)
    assert event.pk not in [r["id"] for r in client.get(admin(community.slug, "events")).json()["results"]]
    # A member of the other branch does not see it either.
    southern = api_as(southerner.user)
    assert_error(southern.get(ev(community.slug, event.pk)), 404)
    assert_error(post(southern, ev(community.slug, event.pk, "rsvp")), 404)
    assert event.pk not in [r["id"] for r in southern.get(ev(community.slug)).json()["results"]]
    assert _snapshot() == before
    # Its own leader checks the ticket in.
    done = post(api_as(north_leader.user), admin(community.slug, "check-in"), {"code": rsvp.ticket_code})
    assert done.status_code == 200 and done.json()["first_time"] is True


def test_a_leader_sees_but_cannot_change_an_event_of_the_whole_community(api_as, community, owner, leader,
                                                                         make_event):
    event = make_event(title="Owner's")
    client = api_as(leader.user)
    assert client.get(admin(community.slug, "events", event.pk)).status_code == 200
    assert_error(client.patch(admin(community.slug, "events", event.pk), {"title": "Mine"}, format="json"), 404)
    assert_error(post(client, admin(community.slug, "events", event.pk, "cancel")), 404)
    assert Event.objects.get(pk=event.pk).title == "Owner's"


def test_the_ticket_route_name_is_the_one_the_serializer_links(community):
    assert reverse("api-rsvp-ticket", kwargs={"slug": community.slug, "pk": 3}).endswith("/rsvps/3/ticket.png")
