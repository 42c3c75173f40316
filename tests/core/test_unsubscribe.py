"""One-click e-mail unsubscribe (RFC 8058): every notification e-mail carries a signed link for
(its recipient, its kind) and the List-Unsubscribe headers; GET shows what stops, POST stops it
without a login or a CSRF token (a mail client's one-click POST), once, and nothing else; a
tampered token is a 400 page. And the profile's notification settings, grouped."""

import re

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from core import notifications
from core.models import NotificationOptOut
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def link(user, kind="order_ready"):
    return reverse("unsubscribe", kwargs={"token": notifications.unsubscribe_token(user_id=user.pk, kind=kind)})


def csrf_client():
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    return client


def opt_outs(user):
    return set(NotificationOptOut.objects.filter(user=user).values_list("kind", "channel"))


def sent_email(django_capture_on_commit_callbacks, user, kind="order_ready"):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipient=user, kind=kind, title="Your order is ready", body="Pick it up",
                             url="/orders/1/")
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def test_every_notification_email_carries_the_one_click_headers_and_link(django_capture_on_commit_callbacks):
    user = UserFactory(language="en")
    message = sent_email(django_capture_on_commit_callbacks, user)
    header = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(r"<http://[^>]+/me/unsubscribe/[^/>]+/>", header), header
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert url in message.body and "Stop these e-mails (My order is ready for pickup)" in message.body
    assert message.message()["List-Unsubscribe"] == header  # in the message as sent, not only the object
    # the link works: it is the recipient's, for that kind
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = csrf_client().post("/" + path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert opt_outs(user) == {("order_ready", "email")}


def test_the_email_is_in_the_recipients_language(django_capture_on_commit_callbacks):
    message = sent_email(django_capture_on_commit_callbacks, UserFactory(language="zh-hans"))
    assert "我的订单可以取货了" in message.body  # the kind's label, in the recipient's language
    assert "不再接收此类邮件" in message.body


def test_get_shows_what_stops_and_changes_nothing(client):
    user = UserFactory(email="lily@example.com")
    response = client.get(link(user), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "My order is ready for pickup" in html and "l***@example.com" in html and "lily@" not in html
    assert "data-stop" in html and reverse("profile") + "#notifications" in html
    assert response["X-Robots-Tag"] == "noindex"
    assert opt_outs(user) == set()


def test_the_one_click_post_needs_no_login_nor_csrf_token_and_a_replay_changes_nothing():
    user = UserFactory()
    NotificationOptOut.objects.create(user=user, kind="announcement", channel="all")
    NotificationOptOut.objects.create(user=user, kind="event_reminder", channel="email")
    client = csrf_client()
    for _ in range(3):  # the reader's click, the mail client's retry, a replay
        response = client.post(link(user), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200 and "data-done" in response.content.decode()
    assert opt_outs(user) == {("announcement", "all"), ("event_reminder", "email"), ("order_ready", "email")}
    assert NotificationOptOut.objects.filter(user=user, kind="order_ready").count() == 1


def test_after_unsubscribing_the_inbox_keeps_the_kind_but_no_email_goes(django_capture_on_commit_callbacks):
    user = UserFactory()
    csrf_client().post(link(user))
    with django_capture_on_commit_callbacks(execute=True):
        notice = notifications.notify(recipient=user, kind="order_ready", title="Ready")
    assert notice is not None and mail.outbox == []


def test_a_kind_stopped_on_all_channels_stays_so(client):
    user = UserFactory()
    NotificationOptOut.objects.create(user=user, kind="order_ready", channel="all")
    assert client.post(link(user)).status_code == 200
    assert opt_outs(user) == {("order_ready", "all")}


def test_a_token_only_changes_its_own_user_and_kind(client):
    me, other = UserFactory(), UserFactory()
    client.force_login(other)  # logged in as someone else: the token still decides whose e-mails stop
    assert client.post(link(me, "poll_closed")).status_code == 200
    assert opt_outs(me) == {("poll_closed", "email")} and opt_outs(other) == set()


def swap_payload(token, **changes):
    """A token whose payload was edited but whose signature was kept (a forgery attempt)."""
    _payload, _sep, signature = token.rpartition(":")
    data = sign().unsign_object(token)
    data.update(changes)
    forged = sign().sign_object(data).rpartition(":")[0]
    return f"{forged}:{signature}"


def sign(salt=notifications.UNSUBSCRIBE_SALT):
    return signing.Signer(salt=salt)


@pytest.mark.parametrize("make", [
    lambda me, other: notifications.unsubscribe_token(user_id=me.pk, kind="order_ready")[:-2] + "xx",
    lambda me, other: swap_payload(notifications.unsubscribe_token(user_id=me.pk, kind="order_ready"), u=other.pk),
    lambda me, other: swap_payload(notifications.unsubscribe_token(user_id=me.pk, kind="order_ready"), k="announcement"),
    lambda me, other: sign("another.purpose").sign_object({"v": 1, "u": other.pk, "k": "order_ready"}),
    lambda me, other: signing.dumps({"v": 1, "u": other.pk, "k": "order_ready"}, salt=notifications.UNSUBSCRIBE_SALT),
    lambda me, other: sign().sign_object({"v": 2, "u": other.pk, "k": "order_ready"}),
    lambda me, other: sign().sign_object({"u": other.pk, "k": "order_ready"}),
    lambda me, other: sign().sign_object({"v": 1, "u": other.pk, "k": "no_such_kind"}),
    lambda me, other: sign().sign_object({"v": 1, "u": True, "k": "order_ready"}),
    lambda me, other: sign().sign_object({"v": 1, "u": 10 ** 12, "k": "order_ready"}),
    lambda me, other: sign().sign_object([1, other.pk]),
    lambda me, other: sign().sign("not json"),
    lambda me, other: "garbage",
    lambda me, other: "%E2%91%A0:abc",
    lambda me, other: "a" * 2000,
])
def test_a_tampered_or_foreign_token_is_a_400_page_and_changes_nothing(client, make):
    me, other = UserFactory(), UserFactory()
    url = reverse("unsubscribe", kwargs={"token": make(me, other)})
    for response in (client.get(url, HTTP_ACCEPT_LANGUAGE="en"), client.post(url)):
        assert response.status_code == 400
        assert 'data-code="bad_unsubscribe_link"' in response.content.decode()
    assert not NotificationOptOut.objects.exists()


def test_a_deactivated_account_is_a_400_page(client):
    user = UserFactory(is_active=False)
    assert client.post(link(user)).status_code == 400
    assert not NotificationOptOut.objects.exists()


def test_other_methods_are_refused(client):
    assert client.put(link(UserFactory())).status_code == 405


def test_a_nul_byte_in_the_path_is_not_a_500(client):
    assert client.get("/me/unsubscribe/abc%00def/").status_code in (400, 404)


# The profile's notification settings ------------------------------------------------------------

def test_the_profile_shows_every_kind_once_grouped_with_both_channels(client):
    user = UserFactory()
    client.force_login(user)
    html = client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    kinds = re.findall(r'<tr data-kind="([a-z_]+)">', html)
    assert sorted(kinds) == sorted(notifications.KINDS) and len(kinds) == len(set(kinds))
    for group in ("Orders and payments", "Campaigns and split bills", "Events and posts",
                  "Points, coupons and rewards", "For admins and leaders"):
        assert f"<legend>{group}</legend>" in html
    for kind in notifications.KINDS:
        assert f'name="inbox_{kind}"' in html and f'name="email_{kind}"' in html
    assert 'id="notifications"' in html


def test_a_kind_in_no_group_is_still_on_the_page(monkeypatch):
    monkeypatch.setitem(notifications.KINDS, "brand_new_kind", "Something new")
    groups = dict(notifications.kinds_grouped())
    assert groups[max(groups, key=lambda label: list(groups).index(label))] == ["brand_new_kind"]
    assert sum(len(kinds) for kinds in groups.values()) == len(notifications.KINDS)


def test_saving_the_grouped_settings_keeps_what_the_one_click_link_stopped(client):
    user = UserFactory()
    csrf_client().post(link(user, "campaign_update"))
    client.force_login(user)
    form = {"form": "notifications"}
    for kind in notifications.KINDS:
        form[f"inbox_{kind}"] = "on"
        if kind != "campaign_update":
            form[f"email_{kind}"] = "on"
    assert client.post(reverse("profile"), form).status_code == 302
    assert opt_outs(user) == {("campaign_update", "email")}
