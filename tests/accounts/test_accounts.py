import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from accounts import services
from accounts.models import User
from core.exceptions import Conflict, ValidationFailed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login_request():
    # The login limits (django-axes) need the request: they count failures per client address.
    return RequestFactory().post("/accounts/login/")


def test_sign_up_with_phone_or_email_and_log_in_with_either():
    by_phone = services.user_sign_up(login="138 0013 8000", display_name="Li", password=PASSWORD)
    by_email = services.user_sign_up(login="Mei@Example.COM", display_name="Mei", password=PASSWORD)

    assert by_phone.phone == "13800138000" and by_phone.email is None
    assert by_email.email == "mei@example.com" and by_email.phone is None
    assert authenticate(login_request(), login="13800138000", password=PASSWORD) == by_phone
    assert authenticate(login_request(), login="MEI@example.com", password=PASSWORD) == by_email
    assert authenticate(login_request(), login="13800138000", password="wrong-password") is None


@pytest.mark.parametrize("login, password, field", [
    ("not-a-phone", PASSWORD, "login"),
    ("bad@", PASSWORD, "login"),
    ("13900000000", "12345678", "password"),
    ("13900000000", "short", "password"),
])
def test_sign_up_refuses_bad_input(login, password, field):
    with pytest.raises(ValidationFailed) as excinfo:
        services.user_sign_up(login=login, display_name="X", password=password)
    assert field in excinfo.value.fields
    assert not User.objects.exists()


def test_sign_up_twice_is_a_conflict():
    services.user_sign_up(login="a@example.com", display_name="A", password=PASSWORD)
    with pytest.raises(Conflict):
        services.user_sign_up(login="A@EXAMPLE.com", display_name="B", password=PASSWORD)
    assert User.objects.count() == 1


def test_sign_up_page_logs_in_and_follows_next(client):
    response = client.post(reverse("accounts:signup") + "?next=/communities/",
                           {"login": "13700000000", "display_name": "Wang", "password": PASSWORD,
                            "next": "/communities/"})
    assert response.status_code == 302 and response["Location"] == "/communities/"
    assert client.get("/communities/").status_code == 200


def test_sign_up_page_ignores_foreign_next(client):
    response = client.post(reverse("accounts:signup"), {"login": "13700000001", "display_name": "W",
                                                        "password": PASSWORD, "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_login_page_with_phone(client):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    bad = client.post(reverse("accounts:login"), {"username": user.phone, "password": "nope"})
    assert bad.status_code == 200 and bad.context["form"].errors


def test_password_reset_by_email(client):
    user = UserFactory(email="reset@example.com")
    client.post(reverse("accounts:password_reset"), {"email": "reset@example.com"})
    assert len(mail.outbox) == 1 and "reset@example.com" in mail.outbox[0].to
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    response = client.post(form_page.redirect_chain[-1][0],
                           {"new_password1": "a-brand-new-pass-9", "new_password2": "a-brand-new-pass-9"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-pass-9")


def test_profile_update_and_notification_opt_out(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile"), {"form": "profile", "display_name": "New Name",
                                                "email": "new@example.com", "phone": "+85291234567",
                                                "language": "en"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.email, user.phone, user.language) == (
        "New Name", "new@example.com", "+85291234567", "en")
    client.post(reverse("profile"), {"form": "notifications", "inbox_join_request_digest": "on"})
    from core.notifications import KINDS

    # Kept: the digest in the inbox (not by e-mail). Everything left unticked is switched off.
    assert set(user.notification_opt_outs.values_list("kind", "channel")) == {("join_request_digest", "email")} | {
        (kind, "all") for kind in KINDS if kind != "join_request_digest"}


def test_profile_refuses_someone_elses_phone(client):
    other = UserFactory()
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile"), {"form": "profile", "display_name": "X", "email": "",
                                                "phone": other.phone, "language": ""})
    assert response.status_code == 200 and response.context["profile_form"].errors
    user.refresh_from_db()
    assert user.phone != other.phone
