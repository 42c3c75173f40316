"""A member's own things through the API: profile, notification preferences, inbox (/api/v1/me/).

Each is the caller's alone: another user reads and changes only their own, an anonymous caller
gets 401, and bad input is a 400 with field errors that leaves everything as it was.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.models import Notification, NotificationOptOut
from core.notifications import KINDS, notify
from tests.api import assert_error
from tests.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
PREFERENCES = "/api/v1/me/notification-preferences/"
INBOX = "/api/v1/me/inbox/"
MARK_READ = "/api/v1/me/inbox/mark-read/"


def _snapshot(user):
    user.refresh_from_db()
    return (user.display_name, user.email, user.phone, user.language)


# Anonymous -------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, body", [
    ("get", ME, None), ("patch", ME, {"display_name": "X"}), ("get", PREFERENCES, None),
    ("put", PREFERENCES, {"kinds": []}), ("get", INBOX, None), ("post", MARK_READ, {"all": True}),
])
def test_anonymous_callers_get_401(api, method, path, body):
    response = getattr(api, method)(path, body, format="json") if body is not None else getattr(api, method)(path)
    assert_error(response, 401)


def test_a_bad_token_gets_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert_error(api.get(ME), 401)


# Profile ---------------------------------------------------------------------------------------

def test_i_read_my_profile_and_no_one_elses(api_as):
    me, other = UserFactory(display_name="我", language="zh-hans"), UserFactory(display_name="Other")

    mine = api_as(me).get(ME)
    theirs = api_as(other).get(ME)

    assert mine.status_code == 200
    assert mine.json() | {"date_joined": None} == {"id": me.pk, "display_name": "我", "email": me.email,
                                                  "phone": me.phone, "language": "zh-hans", "date_joined": None}
    assert theirs.json()["id"] == other.pk and theirs.json()["display_name"] == "Other"


def test_patch_changes_what_is_sent_and_keeps_the_rest(api_as):
    me, other = UserFactory(), UserFactory()
    before_other = _snapshot(other)
    phone = me.phone

    response = api_as(me).patch(ME, {"display_name": "  New Name ", "email": "NEW@Example.com", "language": "en"},
                                format="json")

    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "New Name"
    assert _snapshot(me) == ("New Name", "new@example.com", phone, "en")
    assert _snapshot(other) == before_other  # the caller's profile only


def test_patch_normalises_the_phone_like_the_page_and_may_drop_the_email(api_as):
    me = UserFactory()

    response = api_as(me).patch(ME, {"phone": "+852 9123-4567", "email": None}, format="json")

    assert response.status_code == 200, response.content
    assert _snapshot(me)[1:3] == (None, "+85291234567")


@pytest.mark.parametrize("body, field", [
    ({"display_name": "x" * 61}, "display_name"),
    ({"display_name": ""}, "display_name"),
    ({"display_name": "a\x00b"}, "display_name"),
    ({"language": "klingon"}, "language"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "a" * 250 + "@example.com"}, "email"),
    ({"phone": "12ab"}, "phone"),
    ({"phone": "1" * 21}, "phone"),
    ({"display_name": ["a list"]}, "display_name"),
])
def test_bad_profile_input_is_a_field_error_and_changes_nothing(api_as, body, field):
    me = UserFactory()
    before = _snapshot(me)

    response = api_as(me).patch(ME, {"language": "en", **body}, format="json")

    assert_error(response, 400, "invalid", fields=[field])
    assert _snapshot(me) == before


def test_a_profile_must_keep_a_way_to_log_in(api_as):
    me = UserFactory()
    before = _snapshot(me)

    response = api_as(me).patch(ME, {"email": "", "phone": None}, format="json")

    assert_error(response, 400, "invalid")
    assert _snapshot(me) == before


def test_someone_elses_phone_or_email_is_refused(api_as):
    me, other = UserFactory(), UserFactory()
    before = _snapshot(me)

    by_phone = api_as(me).patch(ME, {"phone": other.phone}, format="json")
    by_email = api_as(me).patch(ME, {"email": other.email.upper()}, format="json")

    assert_error(by_phone, 400, fields=["phone"])
    assert_error(by_email, 400, fields=["email"])
    assert _snapshot(me) == before


# Notification preferences ----------------------------------------------------------------------

def test_preferences_list_every_kind_on_by_default(api_as):
    response = api_as(UserFactory()).get(PREFERENCES)

    assert response.status_code == 200
    kinds = response.json()["kinds"]
    assert [entry["kind"] for entry in kinds] == list(KINDS)
    assert all(entry["inbox"] and entry["email"] and entry["label"] for entry in kinds)


def test_put_replaces_my_preferences_and_notify_respects_them(api_as):
    me, other = UserFactory(), UserFactory()
    NotificationOptOut.objects.create(user=me, kind="order_unpaid", channel="all")  # left out below: back on
    NotificationOptOut.objects.create(user=other, kind="order_ready", channel="all")

    response = api_as(me).put(PREFERENCES, {"kinds": [
        {"kind": "order_ready", "inbox": False, "email": True},
        {"kind": "group_buy_closing", "inbox": True, "email": False},
        {"kind": "refund_owed", "inbox": True, "email": True},
    ]}, format="json")

    assert response.status_code == 200, response.content
    by_kind = {entry["kind"]: entry for entry in response.json()["kinds"]}
    assert (by_kind["order_ready"]["inbox"], by_kind["order_ready"]["email"]) == (False, False)
    assert (by_kind["group_buy_closing"]["inbox"], by_kind["group_buy_closing"]["email"]) == (True, False)
    assert by_kind["order_unpaid"]["inbox"] and by_kind["order_unpaid"]["email"]
    assert set(me.notification_opt_outs.values_list("kind", "channel")) == {
        ("order_ready", "all"), ("group_buy_closing", "email")}
    assert set(other.notification_opt_outs.values_list("kind", "channel")) == {("order_ready", "all")}
    assert notify(recipient=me, kind="order_ready", title="Ready") is None
    assert notify(recipient=me, kind="group_buy_closing", title="Closing").email_due_at is None


@pytest.mark.parametrize("body, field", [
    ({"kinds": [{"kind": "no_such_kind", "inbox": False, "email": False}]}, "kinds.0.kind"),
    ({"kinds": [{"kind": "order_ready\x00", "inbox": False, "email": False}]}, "kinds.0.kind"),
    ({"kinds": [{"kind": "order_ready", "inbox": "maybe", "email": False}]}, "kinds.0.inbox"),
    ({"kinds": [{"kind": "order_ready", "inbox": False, "email": False},
                {"kind": "order_ready", "inbox": True, "email": True}]}, "kinds"),
    ({}, "kinds"),
])
def test_bad_preferences_are_field_errors_and_change_nothing(api_as, body, field):
    me = UserFactory()
    NotificationOptOut.objects.create(user=me, kind="refund_owed", channel="email")

    response = api_as(me).put(PREFERENCES, body, format="json")

    assert_error(response, 400, "invalid", fields=[field])
    assert set(me.notification_opt_outs.values_list("kind", "channel")) == {("refund_owed", "email")}


# Inbox -----------------------------------------------------------------------------------------

def _notice(user, title, community=None, read=False):
    notice = Notification.objects.create(recipient=user, kind="order_ready", title=title, community=community)
    if read:
        Notification.objects.filter(pk=notice.pk).update(read_at=timezone.now())
    return notice


def test_inbox_lists_mine_newest_first_and_filters(api_as):
    me, other = UserFactory(), UserFactory()
    community, elsewhere = CommunityFactory(), CommunityFactory()
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=2), tick=False):
        old = _notice(me, "old", community, read=True)
    with time_machine.travel(start - timedelta(days=1), tick=False):
        middle = _notice(me, "middle", elsewhere)
    new = _notice(me, "new", community)
    _notice(other, "not mine", community)

    client = api_as(me)
    everything = client.get(INBOX).json()
    unread = client.get(INBOX, {"unread": "true"}).json()
    read = client.get(INBOX, {"unread": "false"}).json()
    in_community = client.get(INBOX, {"community": community.slug}).json()
    recent = client.get(INBOX, {"since": (start - timedelta(hours=36)).isoformat()}).json()

    assert everything["count"] == 3
    assert [row["title"] for row in everything["results"]] == ["new", "middle", "old"]
    first = everything["results"][0]
    assert first | {"created_at": None} == {
        "id": new.pk, "kind": "order_ready", "title": "new", "body": "", "url": "", "community": community.slug,
        "read": False, "read_at": None, "created_at": None}
    assert everything["results"][1]["community"] == elsewhere.slug
    assert [row["id"] for row in unread["results"]] == [new.pk, middle.pk]
    assert [row["id"] for row in read["results"]] == [old.pk]
    assert [row["id"] for row in in_community["results"]] == [new.pk, old.pk]
    assert [row["id"] for row in recent["results"]] == [new.pk, middle.pk]


def test_updated_since_finds_notices_created_or_read_since(api_as):
    me = UserFactory()
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=2), tick=False):
        old_unread = _notice(me, "old unread")
        old_read_since = _notice(me, "old, read since")
    _notice(me, "new")
    Notification.objects.filter(pk=old_read_since.pk).update(read_at=start)

    response = api_as(me).get(INBOX, {"updated_since": (start - timedelta(hours=1)).isoformat()})

    ids = [row["id"] for row in response.json()["results"]]
    assert old_read_since.pk in ids and old_unread.pk not in ids and len(ids) == 2


@pytest.mark.parametrize("params, field", [
    ({"unread": "perhaps"}, "unread"), ({"since": "yesterday"}, "since"),
    ({"updated_since": "2024-13-01T00:00:00Z"}, "updated_since"), ({"community": "no spaces"}, "community"),
    ({"page": "0"}, "page"),
])
def test_bad_inbox_filters_are_field_errors(api_as, params, field):
    assert_error(api_as(UserFactory()).get(INBOX, params), 400, "invalid", fields=[field])


def test_mark_read_by_ids_ignores_other_users_notices(api_as):
    me, other = UserFactory(), UserFactory()
    mine, also_mine = _notice(me, "one"), _notice(me, "two")
    theirs = _notice(other, "theirs")

    response = api_as(me).post(MARK_READ, {"ids": [mine.pk, theirs.pk, 987654321]}, format="json")

    assert response.status_code == 200 and response.json() == {"marked": 1}
    mine.refresh_from_db(), also_mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.read_at is not None and also_mine.read_at is None
    assert theirs.read_at is None  # ignored: another user's id marks nothing and says nothing of it


def test_mark_all_read_marks_only_mine(api_as):
    me, other = UserFactory(), UserFactory()
    _notice(me, "one"), _notice(me, "two"), _notice(me, "done", read=True)
    theirs = _notice(other, "theirs")

    response = api_as(me).post(MARK_READ, {"all": True}, format="json")
    again = api_as(me).post(MARK_READ, {"all": True}, format="json")

    assert response.json() == {"marked": 2} and again.json() == {"marked": 0}
    assert not me.notifications.filter(read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("body, field", [
    ({}, "ids"), ({"all": True, "ids": [1]}, "ids"), ({"all": False}, "ids"), ({"ids": ["x"]}, "ids.0"),
    ({"ids": [0]}, "ids.0"), ({"ids": list(range(1, 502))}, "ids"), ({"ids": "1"}, "ids"),
])
def test_bad_mark_read_input_is_a_field_error_and_marks_nothing(api_as, body, field):
    me = UserFactory()
    notice = _notice(me, "unread")

    assert_error(api_as(me).post(MARK_READ, body, format="json"), 400, "invalid", fields=[field])
    notice.refresh_from_db()
    assert notice.read_at is None


# The schema ------------------------------------------------------------------------------------

def test_every_me_operation_is_documented_with_its_401(api):
    schema = api.get("/api/schema/?format=json").json()
    operations = {(path, method): schema["paths"][path][method] for path, method in [
        ("/api/v1/me/", "get"), ("/api/v1/me/", "patch"), ("/api/v1/me/notification-preferences/", "get"),
        ("/api/v1/me/notification-preferences/", "put"), ("/api/v1/me/inbox/", "get"),
        ("/api/v1/me/inbox/mark-read/", "post"), ("/api/v1/auth/tokens/", "get"),
        ("/api/v1/auth/tokens/{token_id}/", "delete")]}
    for (path, method), operation in operations.items():
        assert "401" in operation["responses"], (path, method)
        assert "400" in operation["responses"], (path, method)
    assert {p["name"] for p in operations[("/api/v1/me/inbox/", "get")]["parameters"]} >= {
        "unread", "community", "since", "updated_since", "page"}
