"""Failed logins are limited per account and per client address, on the page, the API and the admin.

Defaults (config/settings/base.py): 5 failures per account, 20 per address, 15 minutes of cool-off.
Requests say Accept-Language: en so the messages are checked in one language.
"""

import random
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.net import client_ip
from tests.api import assert_error
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
WRONG = "not-the-password"


def some_ip():
    # The token endpoint also has a per-address request rate (in Redis, shared by test runs).
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def page_login(client, login, password, **extra):
    return client.post(reverse("accounts:login"), {"username": login, "password": password}, **EN, **extra)


def api_login(api, login, password, ip, **extra):
    return api.post("/api/v1/auth/token/", {"login": login, "password": password}, format="json",
                    REMOTE_ADDR=ip, **EN, **extra)


def is_logged_in(client):
    return client.get(reverse("profile")).status_code == 200


# Per account ---------------------------------------------------------------------------------

def test_page_refuses_the_sixth_attempt_even_with_the_right_password(client):
    user = UserFactory(phone="13900000001", email="li@example.com")

    # The phone, the e-mail in any case and the phone with spaces are one account.
    for login in ["13900000001", "LI@example.com", "139 0000 0001", "li@EXAMPLE.COM"]:
        response = page_login(client, login, WRONG)
        assert response.status_code == 200
        assert response.context["form"].has_error("__all__", "invalid_login")
    fifth = page_login(client, "li@example.com", WRONG)
    sixth = page_login(client, "13900000001", PASSWORD)

    for response in (fifth, sixth):
        assert response.status_code == 429
        assert response.context["form"].has_error("__all__", "too_many_attempts")
        assert "Too many failed attempts. Try again in 15 minutes." in response.content.decode()
        assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert not is_logged_in(client)
    assert AccessAttempt.objects.filter(username=f"user:{user.pk}").count() == 1


def test_api_refuses_the_sixth_attempt_with_429_and_retry_after(api):
    user = UserFactory()
    ip = some_ip()
    for attempt in range(4):
        assert_error(api_login(api, user.email if attempt % 2 else user.phone, WRONG, ip), 400, "invalid_credentials")
    assert_error(api_login(api, user.email.upper(), WRONG, ip), 429, "too_many_attempts")

    response = api_login(api, user.phone, PASSWORD, ip)

    body = assert_error(response, 429, "too_many_attempts")
    assert body["message"] == "Too many failed attempts. Try again in 15 minutes."
    assert body["fields"] == {}
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert not user.api_tokens.exists()


def test_page_and_api_count_the_same_failures(client, api):
    user = UserFactory()
    ip = some_ip()
    for _ in range(3):
        page_login(client, user.phone, WRONG, REMOTE_ADDR=ip)
    for _ in range(2):
        api_login(api, user.email, WRONG, some_ip())

    assert_error(api_login(api, user.email, PASSWORD, some_ip()), 429, "too_many_attempts")
    assert page_login(client, user.phone, PASSWORD, REMOTE_ADDR=some_ip()).status_code == 429


def test_a_login_that_matches_no_account_is_limited_too(api):
    ip = some_ip()
    for login in ["ghost@example.com", "GHOST@example.com", "Ghost@Example.com", "ghost@example.com"]:
        assert_error(api_login(api, login, WRONG, ip), 400, "invalid_credentials")
    assert_error(api_login(api, "ghost@example.COM", WRONG, ip), 429, "too_many_attempts")


def test_a_success_clears_the_account_count(client):
    user = UserFactory()
    for _ in range(4):
        page_login(client, user.phone, WRONG)
    assert page_login(client, user.phone, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        page_login(client, user.phone, WRONG)

    assert page_login(client, user.phone, PASSWORD).status_code == 302


def test_logging_in_to_ones_own_account_keeps_the_guesses_at_others(client):
    attacker = UserFactory()
    victims = UserFactory.create_batch(5)
    for victim in victims[:4]:
        for _ in range(4):
            page_login(client, victim.phone, WRONG)
    for _ in range(3):
        page_login(client, attacker.phone, WRONG)
    assert page_login(client, attacker.phone, PASSWORD).status_code == 302  # 19 failures, 3 of them cleared
    client.logout()
    for _ in range(4):
        page_login(client, victims[4].phone, WRONG)  # 16 + 4: the address's limit

    assert page_login(client, attacker.phone, PASSWORD).status_code == 429


def test_admin_login_is_limited_with_the_same_message(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post("/admin/login/", {"username": staff.email, "password": WRONG}, **EN)

    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD}, **EN)

    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert client.get("/admin/").status_code == 302


# Cool-off ------------------------------------------------------------------------------------

def test_after_the_cool_off_the_user_gets_in(api):
    user = UserFactory()
    ip = some_ip()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            api_login(api, user.phone, WRONG, ip)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        response = api_login(api, user.phone, PASSWORD, ip)
        body = assert_error(response, 429, "too_many_attempts")
        assert body["message"] == "Too many failed attempts. Try again in 1 minute."
        assert int(response["Retry-After"]) == 60
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        response = api_login(api, user.phone, PASSWORD, ip)

    assert response.status_code == 200, response.content
    assert response.json()["user_id"] == user.pk
    assert not AccessAttempt.objects.filter(username=f"user:{user.pk}").exists()


def test_after_the_cool_off_the_page_lets_the_user_in(client):
    user = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(6):
            page_login(client, user.email, WRONG)
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert page_login(client, user.email, PASSWORD).status_code == 302
        assert is_logged_in(client)


# Per address ---------------------------------------------------------------------------------

def test_an_address_is_refused_after_20_failures_across_accounts(client):
    victims = UserFactory.create_batch(5)
    for victim in victims:  # 4 failures each: no account reaches its own limit
        for _ in range(4):
            assert page_login(client, victim.phone, WRONG, REMOTE_ADDR="198.51.100.7").status_code in (200, 429)
    someone = UserFactory()

    refused = page_login(client, someone.phone, PASSWORD, REMOTE_ADDR="198.51.100.7")
    elsewhere = page_login(client, someone.phone, PASSWORD, REMOTE_ADDR="198.51.100.8")

    assert refused.status_code == 429
    assert "Try again in 15 minutes" in refused.content.decode()
    assert elsewhere.status_code == 302


def test_a_forged_x_forwarded_for_does_not_reset_the_address_count(api, settings):
    settings.TRUSTED_PROXIES = []
    ip = some_ip()
    for n in range(20):
        api_login(api, f"nobody{n}@example.com", WRONG, ip, HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}")
    user = UserFactory()

    response = api_login(api, user.phone, PASSWORD, ip, HTTP_X_FORWARDED_FOR="203.0.113.200")

    assert_error(response, 429, "too_many_attempts")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ip}


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(client, settings):
    settings.TRUSTED_PROXIES = ["10.250.0.0/16"]
    proxy = {"REMOTE_ADDR": "10.250.3.4"}
    for n in range(20):
        page_login(client, f"nobody{n}@example.com", WRONG, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    user = UserFactory()

    # The same client through the proxy is refused, even if it prepends a made-up address...
    refused = page_login(client, user.phone, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9", **proxy)
    # ...another client through the same proxy is not.
    other = page_login(client, user.phone, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy)

    assert refused.status_code == 429
    assert other.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


@pytest.mark.parametrize("trusted, remote, forwarded, client", [
    ([], "192.0.2.10", "203.0.113.1", "192.0.2.10"),                            # no proxy trusted: header ignored
    (["10.0.0.0/8"], "192.0.2.10", "203.0.113.1", "192.0.2.10"),                # not from the proxy: ignored
    (["10.0.0.0/8"], "10.1.2.3", "203.0.113.1", "203.0.113.1"),                  # from the proxy: believed
    (["10.0.0.0/8"], "10.1.2.3", "6.6.6.6, 203.0.113.1", "203.0.113.1"),         # client's own prefix skipped
    (["10.0.0.0/8"], "10.1.2.3", "203.0.113.1, 10.9.9.9", "203.0.113.1"),        # two proxies in a row
    (["10.1.2.3", "10.9.9.9"], "10.1.2.3", "203.0.113.1, 10.9.9.9", "203.0.113.1"),  # single addresses
    (["10.0.0.0/8"], "10.1.2.3", "", "10.1.2.3"),                                # proxy sent no header
    (["10.0.0.0/8"], "10.1.2.3", "garbage", "10.1.2.3"),                         # unreadable: stop at the proxy
    (["10.0.0.0/8"], "10.1.2.3", "203.0.113.1:5555", "203.0.113.1"),             # with a port
    (["fd00::/8"], "fd00::1", "2001:db8::5", "2001:db8::5"),                     # IPv6
])
def test_client_ip_believes_x_forwarded_for_only_from_trusted_proxies(settings, trusted, remote, forwarded, client):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


def _api_views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if isinstance(view, type) and issubclass(view, APIView):
                yield view


def test_no_throttle_keys_on_a_header_the_client_can_forge(settings):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.1")
    throttles = {throttle for view in _api_views(get_resolver().url_patterns) for throttle in view.throttle_classes}
    throttles |= set(api_settings.DEFAULT_THROTTLE_CLASSES)

    assert throttles  # the token endpoint has one at least
    for throttle in throttles:
        assert throttle().get_ident(request) == "192.0.2.10", throttle
