"""Strings longer than their columns are a field error (4xx), never a database error (500)."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import User
from core.exceptions import ValidationFailed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONG_EMAIL = "a" * 250 + "@example.com"  # 262 characters: the column holds 254


@pytest.mark.parametrize("data, field", [
    ({"display_name": "x" * 61}, "display_name"),
    ({"email": LONG_EMAIL}, "email"),
    ({"phone": "1" * 21}, "phone"),
    ({"phone": "1" * 17}, "phone"),
])
def test_profile_refuses_overlong_values_on_their_field(client, data, field):
    user = UserFactory(display_name="Kept")
    client.force_login(user)

    response = client.post(reverse("profile"), {"form": "profile", "display_name": "Kept", "email": "",
                                                "phone": "", "language": "", **data})

    assert response.status_code == 200 and response.context["profile_form"].errors[field]
    user.refresh_from_db()
    assert user.display_name == "Kept"


@pytest.mark.parametrize("data, field", [
    ({"login": LONG_EMAIL}, "login"),
    ({"login": "1" * 255}, "login"),
    ({"display_name": "x" * 61}, "display_name"),
])
def test_sign_up_refuses_overlong_values_on_their_field(client, data, field):
    response = client.post(reverse("accounts:signup"), {"login": "13900001111", "display_name": "New",
                                                        "password": "long-enough-42", **data})

    assert response.status_code == 200 and response.context["form"].errors[field]
    assert not User.objects.exists()


def test_sign_up_service_refuses_an_overlong_email_or_name():
    with pytest.raises(ValidationFailed):
        services.user_sign_up(login="a" * 244 + "@example.com", display_name="New", password="long-enough-42")
    with pytest.raises(ValidationFailed):
        services.user_sign_up(login="13900001111", display_name="x" * 61, password="long-enough-42")
    assert not User.objects.exists()


def test_token_api_with_an_overlong_login_is_a_400(api):
    response = api.post("/api/v1/auth/token/", {"login": "a" * 5000 + "@example.com", "password": "x"},
                        format="json")
    assert response.status_code == 400
