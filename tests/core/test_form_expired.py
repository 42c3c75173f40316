"""An expired CSRF token or a lost session: a friendly page that keeps what was entered."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order
from tests.factories import PASSWORD, make_group_buy

pytestmark = pytest.mark.django_db

HOST = "testserver"


def _round_post(group_buy, **extra):
    item = group_buy.items.first()
    data = {"token": "kept-1", f"qty_{item.pk}": "2", "fulfilment": "pickup",
            "pickup_point": group_buy.pickup_points.first().pk, "note": "放门口，谢谢"}
    data.update(extra)
    return data


def test_an_expired_csrf_token_gets_a_friendly_page_that_sends_the_form_again(owner, member):
    group_buy = make_group_buy(owner)
    url = reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get(url)
    client.cookies["csrftoken"] = "x" * 32  # the cookie the form's token belonged to is gone

    refused = client.post(url, {**_round_post(group_buy), "csrfmiddlewaretoken": "y" * 32},
                          HTTP_ORIGIN=f"http://{HOST}", HTTP_REFERER=f"http://{HOST}{url}")

    html = refused.content.decode()
    assert refused.status_code == 403 and "CSRF" not in html and "data-resend" in html
    assert 'value="放门口，谢谢"' in html and f'action="{url}"' in html
    assert not Order.objects.exists()
    # The page carries a fresh token: "send again" goes through.
    token = refused.cookies["csrftoken"].value if "csrftoken" in refused.cookies else client.cookies["csrftoken"].value
    resent = client.post(url, {**_round_post(group_buy), "csrfmiddlewaretoken": token},
                         HTTP_ORIGIN=f"http://{HOST}")
    assert resent.status_code == 302
    assert Order.objects.get().note == "放门口，谢谢"


def test_a_form_posted_by_another_site_is_refused_and_not_offered_again(owner, member):
    group_buy = make_group_buy(owner)
    url = reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)

    refused = client.post(url, _round_post(group_buy), HTTP_ORIGIN="https://evil.example")

    html = refused.content.decode()
    assert refused.status_code == 403 and "data-resend" not in html and "放门口" not in html


def test_a_lost_session_keeps_the_form_through_the_log_in(owner, member):
    group_buy = make_group_buy(owner)
    url = reverse("orders:group_buy", args=[owner.community.slug, group_buy.pk])
    client = Client()  # logged out: the session ended while the page was open

    kept = client.post(url, _round_post(group_buy), HTTP_ORIGIN=f"http://{HOST}", HTTP_REFERER=f"http://{HOST}{url}")

    html = kept.content.decode()
    assert kept.status_code == 403 and "data-login-again" in html and "password" not in html.lower().split("<form")[0]
    login = client.post(reverse("accounts:login") + "?next=" + reverse("resume_form"),
                        {"username": member.user.phone, "password": PASSWORD, "next": reverse("resume_form")})
    assert login.status_code == 302 and login["Location"] == reverse("resume_form")
    resume = client.get(reverse("resume_form"))
    assert resume.status_code == 200 and 'value="放门口，谢谢"' in resume.content.decode()
    assert client.post(url, _round_post(group_buy)).status_code == 302
    assert Order.objects.get().member == member.user


def test_passwords_are_never_kept(owner, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    refused = client.post(reverse("accounts:password_change"), {"old_password": "secret-1", "new_password1": "x"},
                          HTTP_ORIGIN=f"http://{HOST}")
    assert refused.status_code == 403 and "secret-1" not in refused.content.decode()


def test_under_the_api_a_csrf_failure_answers_in_the_api_error_shape(rf):
    from core.views import csrf_failure

    response = csrf_failure(rf.post("/api/v1/anything/"), reason="CSRF token missing.")
    assert response.status_code == 403 and json.loads(response.content)["code"] == "csrf_failed"
