"""Bad input anywhere gets a clear 4xx, never a 500: NUL bytes, odd digits, odd page numbers, OPTIONS."""

import pytest
from django.utils import translation

from tests.api import assert_error, url
from tests.factories import InviteFactory, make_group_buy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# OPTIONS ---------------------------------------------------------------------------------------

def test_options_on_api_endpoints_describes_them_instead_of_crashing(api_as, owner):
    client = api_as(owner.user)
    for path in ("/api/v1/join/", url(owner.community.slug, "invites"), url(owner.community.slug, "products"),
                 url(owner.community.slug, "members", owner.pk)):
        response = client.options(path)
        assert response.status_code == 200, (path, response.content)
        assert response.json()["name"]


# NUL bytes -------------------------------------------------------------------------------------

def test_a_nul_byte_in_an_invite_link_is_a_400_page(client, community, leader):
    InviteFactory(community=community, created_by=leader.user, code="abc2345678")

    for path in ("/i/abc%00def/", "/i/abc%00def/qr.png"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, path
        assert "not valid" in response.content.decode()


def test_a_nul_byte_in_the_api_is_a_400_in_the_error_shape(api_as, owner, member):
    client = api_as(member.user)
    body = assert_error(client.post("/api/v1/join/", {"code": "abc\x00def"}), 400)
    assert body["code"] == "nul_character" and body["fields"] == {"code": [body["fields"]["code"][0]]}
    # As JSON, DRF's own character fields refuse it.
    assert_error(client.post("/api/v1/join/", {"code": "abc\x00def"}, format="json"), 400, fields=["code"])
    assert_error(client.get(url(owner.community.slug, "teams", "abc%00def")), 400, "nul_character")
    assert_error(client.get(url(owner.community.slug, "products") + "?q=a%00b"), 400, "nul_character",
                 fields=["q"])


def test_a_nul_byte_in_a_team_code_is_a_400(client, api_as, owner, member):
    group_buy = make_group_buy(owner, mode="team", team_size=2)
    client.force_login(member.user)

    assert client.get(f"/c/{owner.community.slug}/teams/ab%00cd/").status_code == 400
    assert client.get(f"/c/{owner.community.slug}/buy/{group_buy.pk}/?team=ab%00cd").status_code == 400
    assert_error(api_as(member.user).post(url(owner.community.slug, "teams", "ab%00cd", "join"), {}, format="json",
                                          HTTP_IDEMPOTENCY_KEY="k1"), 400, "nul_character")


def test_a_nul_byte_in_the_console_member_search_is_a_400(client, owner):
    client.force_login(owner.user)

    response = client.get(f"/console/{owner.community.slug}/members/?q=a%00b")

    assert response.status_code == 400
    assert client.get(f"/console/{owner.community.slug}/members/?q=ab").status_code == 200


def test_a_nul_byte_in_a_posted_form_field_is_a_400(client, owner):
    client.force_login(owner.user)

    response = client.post(f"/console/{owner.community.slug}/requests/1/decline/", {"note": "no\x00pe"})

    assert response.status_code == 400


def test_a_nul_byte_in_a_header_or_cookie_is_a_400_not_a_database_error(client, community):
    assert_error(client.get("/api/v1/communities/", HTTP_AUTHORIZATION="Token abc\x00def"), 400, "nul_character")
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/communities/").status_code == 400


# Digits that are not ASCII digits ---------------------------------------------------------------

@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999", "-1", "1.5", "abc"])
def test_console_member_filters_take_any_text(client, owner, value):
    client.force_login(owner.user)

    for key in ("branch", "invited_by", "page"):
        response = client.get(f"/console/{owner.community.slug}/members/", {key: value})
        assert response.status_code == 200, (key, value)


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999"])
def test_console_branch_move_with_an_odd_branch_id_is_a_404(client, owner, member, value):
    client.force_login(owner.user)

    response = client.post(f"/console/{owner.community.slug}/members/{member.pk}/branch/", {"branch": value})

    assert response.status_code in (302, 404)
    member.refresh_from_db()
    assert member.branch is None


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999"])
def test_api_member_filters_refuse_odd_digits_with_a_400(api_as, owner, value):
    client = api_as(owner.user)

    for key in ("branch", "invited_by"):
        response = client.get(url(owner.community.slug, "members"), {key: value})
        assert_error(response, 400, fields=[key])


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999"])
def test_catalog_console_filters_and_ids_take_any_text(client, owner, value):
    client.force_login(owner.user)
    slug = owner.community.slug

    for key in ("category", "supplier", "page"):
        assert client.get(f"/console/{slug}/products/", {key: value}).status_code == 200, key
    response = client.post(f"/console/{slug}/categories/", {"action": "rename", "pk": value, "name": "x"})
    assert response.status_code == 404
    response = client.post(f"/console/{slug}/categories/", {"action": "delete", "pk": value})
    assert response.status_code == 404


def test_catalog_console_category_position_with_odd_digits_is_refused(client, owner):
    from catalog.models import Category

    category = Category.objects.create(community=owner.community, name="Fruit", position=3)
    client.force_login(owner.user)

    for value in ("²", "٣"):
        response = client.post(f"/console/{owner.community.slug}/categories/",
                               {"action": "rename", "pk": category.pk, "name": "Fruit", "position": value})
        assert response.status_code == 302
    category.refresh_from_db()
    assert category.position == 3


# Page numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["null", "abc", "²", "0", "-1", "1.5"])
def test_an_invalid_page_number_is_a_400(api_as, owner, page):
    client = api_as(owner.user)

    for path in ("/api/v1/communities/", url(owner.community.slug, "members"), url(owner.community.slug, "products")):
        assert_error(client.get(path, {"page": page}), 400, "invalid", fields=["page"])


def test_a_page_past_the_last_is_a_404_and_last_works(api_as, owner):
    client = api_as(owner.user)

    assert_error(client.get(url(owner.community.slug, "members"), {"page": 99}), 404)
    assert client.get(url(owner.community.slug, "members"), {"page": "last"}).status_code == 200
    assert client.get(url(owner.community.slug, "members"), {"page": "1"}).status_code == 200


# Error shape -----------------------------------------------------------------------------------

def test_nested_field_errors_are_flattened_into_the_error_shape():
    from rest_framework import serializers

    from core.api import exception_handler

    exc = serializers.ValidationError({"lines": [{"quantity": ["Too many."]}, {}], "note": {"text": ["Bad."]},
                                       "non_field_errors": ["Nope."]})
    response = exception_handler(exc, {})

    assert response.status_code == 400
    assert response.data == {"code": "invalid", "message": "Nope.",
                              "fields": {"lines.0.quantity": ["Too many."], "note.text": ["Bad."]}}


def test_an_api_url_that_matches_nothing_is_a_json_404(api_as, owner):
    client = api_as(owner.user)

    assert_error(client.get(url(owner.community.slug, "products", "abc")), 404, "not_found")
    assert_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")


# The schema -----------------------------------------------------------------------------------

def test_every_operation_documents_its_error_answers_in_the_error_shape(api):
    schema = api.get("/api/schema/?format=json").json()
    error = {"$ref": "#/components/schemas/Error"}

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400"} | ({"401"} if path != "/api/v1/auth/token/" else {"429"})
            if "{" in path or any(p["name"] == "page" for p in operation.get("parameters", [])):
                expected.add("404")
            if "requestBody" in operation:
                expected |= {"415"} | ({"403"} if path != "/api/v1/auth/token/" else set())
            assert expected <= set(responses), (method, path, sorted(responses))
            for code, answer in responses.items():
                if code.startswith("4"):
                    assert answer["content"]["application/json"]["schema"] == error, (method, path, code)
    page = next(p for p in schema["paths"]["/api/v1/communities/"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_a_supplier_without_an_email_reads_null_as_the_schema_says(api, api_as, owner):
    from catalog.models import Supplier

    Supplier.objects.create(community=owner.community, name="Farm", email="")
    Supplier.objects.create(community=owner.community, name="Shop", email="shop@example.com")

    rows = api_as(owner.user).get(url(owner.community.slug, "suppliers")).json()["results"]

    assert [(row["name"], row["email"]) for row in rows] == [("Farm", None), ("Shop", "shop@example.com")]
    email = api.get("/api/schema/?format=json").json()["components"]["schemas"]["Supplier"]["properties"]["email"]
    assert email["format"] == "email" and email["nullable"] is True
