"""API tokens: several per user, named, optionally expiring, hashed at rest, listed and revoked by
their owner (API and profile page), revoked when the password is reset or changed."""

import hashlib
import importlib
import random
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from tests.api import assert_error
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/auth/tokens/"


def some_ip():
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def exchange(api, user, **extra):
    return api.post("/api/v1/auth/token/", {"login": user.phone, "password": PASSWORD, **extra}, format="json",
                    REMOTE_ADDR=some_ip())


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# Making tokens -------------------------------------------------------------------------------

def test_each_exchange_makes_a_new_token_stored_only_as_a_hash(api):
    user = UserFactory()

    first = exchange(api, user, name="Shop sync", expires_in_days=30)
    second = exchange(api, user)

    assert first.status_code == second.status_code == 200
    one, two = first.json(), second.json()
    assert one["token"] != two["token"]
    assert one["name"] == "Shop sync" and two["name"] == ""
    assert one["user_id"] == user.pk and one["display_name"] == user.display_name
    expires = timezone.datetime.fromisoformat(one["expires_at"])
    assert timedelta(days=29, hours=23) < expires - timezone.now() <= timedelta(days=30)
    assert two["expires_at"] is None
    # Both work; the database holds their hashes, never the keys.
    for body in (one, two):
        assert client_with(body["token"]).get(TOKENS).status_code == 200
        row = ApiToken.objects.get(pk=body["id"])
        assert row.key_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert not ApiToken.objects.filter(key_hash__in=[one["token"], two["token"]]).exists()


@pytest.mark.parametrize("days", [0, 366, -1])
def test_expires_in_days_is_bounded(api, days):
    user = UserFactory()
    assert_error(exchange(api, user, expires_in_days=days), 400, "invalid", fields=["expires_in_days"])
    assert not user.api_tokens.exists()


def test_the_service_refuses_bad_input_too():
    from core.exceptions import ValidationFailed

    user = UserFactory()
    with pytest.raises(ValidationFailed):
        services.api_token_create(user=user, expires_in_days=400)
    with pytest.raises(ValidationFailed):
        services.api_token_create(user=user, name="x" * 61)


# Listing and revoking by API -----------------------------------------------------------------

def test_owner_lists_and_revokes_a_token_and_it_stops_working():
    user = UserFactory()
    kept, kept_key = services.api_token_create(user=user, name="Laptop")
    gone, gone_key = services.api_token_create(user=user, name="Old script")
    services.api_token_create(user=UserFactory(), name="Someone else's")
    me = client_with(kept_key)

    listed = me.get(TOKENS)
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [row["name"] for row in rows] == ["Old script", "Laptop"]
    assert set(rows[0]) == {"id", "name", "created_at", "last_used_at", "expires_at"}
    assert gone_key not in listed.content.decode() and kept_key not in listed.content.decode()

    assert me.delete(f"{TOKENS}{gone.pk}/").status_code == 204
    assert_error(client_with(gone_key).get(TOKENS), 401)
    assert [row["name"] for row in me.get(TOKENS).json()["results"]] == ["Laptop"]


def test_nobody_else_can_revoke_my_token():
    mine, my_key = services.api_token_create(user=UserFactory(), name="Mine")
    _theirs, their_key = services.api_token_create(user=UserFactory())

    assert_error(client_with(their_key).delete(f"{TOKENS}{mine.pk}/"), 404, "not_found")
    assert_error(client_with(their_key).delete(f"{TOKENS}999999999/"), 404, "not_found")

    assert client_with(my_key).get(TOKENS).status_code == 200


def test_token_endpoints_need_a_login():
    mine, _key = services.api_token_create(user=UserFactory())
    assert_error(APIClient().get(TOKENS), 401)
    assert_error(APIClient().delete(f"{TOKENS}{mine.pk}/"), 401)
    assert_error(client_with("not-a-key").get(TOKENS), 401)


# Expiry and last use -------------------------------------------------------------------------

def test_an_expired_token_is_refused_with_401():
    token, key = services.api_token_create(user=UserFactory(), expires_in_days=1)
    assert client_with(key).get(TOKENS).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        body = assert_error(client_with(key).get(TOKENS), 401, "token_expired")

    assert "expired" in body["message"].lower() or body["message"]


def test_last_used_is_stamped_at_most_every_five_minutes_within_the_one_auth_statement():
    token, key = services.api_token_create(user=UserFactory())
    assert token.last_used_at is None
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        with CaptureQueriesContext(connection) as queries:
            assert client_with(key).get(TOKENS).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == start
    auth = [q["sql"] for q in queries.captured_queries if "key_hash" in q["sql"]]
    assert len(auth) == 1 and auth[0].startswith("WITH touched AS (UPDATE")

    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        client_with(key).get(TOKENS)
        token.refresh_from_db()
        assert token.last_used_at == start
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        client_with(key).get(TOKENS)
        token.refresh_from_db()
        assert token.last_used_at == start + timedelta(minutes=6)


# Profile page --------------------------------------------------------------------------------

def test_profile_lists_my_tokens_and_revokes_them(client):
    user = UserFactory()
    token, key = services.api_token_create(user=user, name="Shop sync", expires_in_days=7)
    services.api_token_create(user=user)
    other, _ = services.api_token_create(user=UserFactory(), name="Not mine")
    client.force_login(user)

    page = client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Shop sync" in page and "Unnamed token" in page and "Not mine" not in page
    assert key not in page and token.key_hash not in page

    assert client.post(reverse("accounts:api_token_revoke", args=[other.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()
    response = client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#api-tokens")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert client.get(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 405


# Password reset and change revoke every token ------------------------------------------------

def test_password_reset_by_email_revokes_all_tokens(client):
    user = UserFactory(email="reset@example.com")
    _one, key_one = services.api_token_create(user=user)
    _two, key_two = services.api_token_create(user=user, name="Script")

    client.post(reverse("accounts:password_reset"), {"email": "reset@example.com"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    form_page = client.get(link.split("testserver", 1)[1], follow=True)
    response = client.post(form_page.redirect_chain[-1][0],
                           {"new_password1": "a-brand-new-pass-9", "new_password2": "a-brand-new-pass-9"})

    assert response.status_code == 302
    assert not user.api_tokens.exists()
    for key in (key_one, key_two):
        assert_error(client_with(key).get(TOKENS), 401)


def test_password_change_revokes_all_tokens_and_keeps_me_logged_in(client):
    user = UserFactory()
    _token, key = services.api_token_create(user=user)
    client.force_login(user)

    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "another-new-pass-7", "new_password2": "another-new-pass-7"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-new-pass-7")
    assert_error(client_with(key).get(TOKENS), 401)
    assert client.get(reverse("profile")).status_code == 200


def test_a_wrong_old_password_changes_nothing(client):
    user = UserFactory()
    _token, key = services.api_token_create(user=user)
    client.force_login(user)

    response = client.post(reverse("accounts:password_change"), {
        "old_password": "wrong", "new_password1": "another-new-pass-7", "new_password2": "another-new-pass-7"})

    assert response.status_code == 200 and response.context["form"].errors
    assert client_with(key).get(TOKENS).status_code == 200


def test_a_password_set_in_the_admin_revokes_the_users_tokens(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory()
    _token, key = services.api_token_create(user=user)
    client.force_login(admin)

    response = client.post(f"/admin/accounts/user/{user.pk}/password/", {
        "usable_password": "true", "password1": "set-by-admin-55", "password2": "set-by-admin-55"})

    assert response.status_code == 302, response.content[:500]
    assert_error(client_with(key).get(TOKENS), 401)


# Tokens from before (rest_framework.authtoken) -----------------------------------------------

def test_a_drf_token_carried_over_by_the_migration_still_authenticates():
    user = UserFactory()
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # DRF's format: 40 hex characters
    with connection.cursor() as cursor:  # the table as rest_framework.authtoken made it
        cursor.execute('CREATE TABLE "authtoken_token" ("key" varchar(40) PRIMARY KEY, '
                       '"created" timestamp with time zone NOT NULL, "user_id" bigint NOT NULL UNIQUE)')
        cursor.execute('INSERT INTO "authtoken_token" VALUES (%s, %s, %s)',
                       [old_key, timezone.now() - timedelta(days=90), user.pk])
    migration = importlib.import_module("accounts.migrations.0003_carry_over_drf_tokens")
    from django.apps import apps

    with connection.schema_editor() as editor:
        migration.carry_over_drf_tokens(apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()  # no key left in clear
    token = user.api_tokens.get()
    assert token.key_hash == ApiToken.hash_key(old_key)
    assert timezone.now() - token.created_at > timedelta(days=89)
    response = client_with(old_key).get(TOKENS)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [token.pk]


# Schema --------------------------------------------------------------------------------------

def test_the_schema_documents_the_token_endpoints_and_their_errors(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]

    exchange_op = paths["/api/v1/auth/token/"]["post"]
    assert {"200", "400", "429"} <= set(exchange_op["responses"])
    assert "Retry-After" in exchange_op["responses"]["429"].get("headers", {})
    body = exchange_op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"login", "password", "name", "expires_in_days"} <= set(schema["components"]["schemas"][body]["properties"])
    assert {"200", "401"} <= set(paths["/api/v1/auth/tokens/"]["get"]["responses"])
    delete = paths[next(p for p in paths if re.fullmatch(r"/api/v1/auth/tokens/\{\w+\}/", p))]["delete"]
    assert {"204", "401", "404"} <= set(delete["responses"])
