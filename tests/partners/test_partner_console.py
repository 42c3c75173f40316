"""The partner console (/partner/): sign up, ask to connect, staff, API keys (shown once), webhook
endpoints and their delivery log. Every page is the partner's own: 404 for anyone not on its staff,
and nothing changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import Notification
from partners import services
from partners.models import (
    ApiKey, Connection, Partner, PartnerStaff, WebhookDelivery, WebhookEndpoint, WebhookEvent,
)
from tests.factories import CommunityFactory, UserFactory


def url(name, partner=None, **kwargs):
    if partner is not None:
        kwargs["partner_slug"] = partner.slug
    return reverse(f"partners:{name}", kwargs=kwargs)


def browser(user=None, **kwargs) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **kwargs)
    if user is not None:
        client.force_login(user)
    return client


def make_delivery(endpoint: WebhookEndpoint, community, *, status="failed", source=1) -> WebhookDelivery:
    event = WebhookEvent.objects.create(partner=endpoint.partner, community=community, type="order.paid",
                                        source_event_id=source, data={"order": {"id": source}})
    return WebhookDelivery.objects.create(event=event, endpoint=endpoint, partner=endpoint.partner,
                                          community=community, status=status, attempts=3, response_status=500,
                                          last_attempt_at=timezone.now(), duration_ms=42)


@pytest.fixture
def owner_client(partner_owner):
    return browser(partner_owner)


@pytest.fixture
def other_partner(db):
    return services.partner_create(user=UserFactory(display_name="Rival owner"), name="Rival Farm")


@pytest.fixture
def endpoint(staff, receiver):
    return services.endpoint_create(actor=staff, url=receiver.url, events=["order.paid"], description="ERP")


# Sign up and the list ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_user_signs_up_a_partner_and_becomes_its_owner():
    user = UserFactory()
    client = browser(user)
    assert client.get(url("signup")).status_code == 200
    response = client.post(url("signup"), {"name": "Hill Orchard", "contact_email": "a@example.com",
                                           "contact_phone": "13800001111", "description": "Apples"})
    partner = Partner.objects.get(name="Hill Orchard")
    assert response.status_code == 302 and response["Location"] == url("partner", partner)
    assert PartnerStaff.objects.get(partner=partner).user == user
    assert PartnerStaff.objects.get(partner=partner).role == "owner"
    listing = client.get(url("home")).content.decode()
    assert "Hill Orchard" in listing


@pytest.mark.django_db
def test_the_list_shows_only_my_partners(partner, other_partner, partner_owner):
    page = browser(partner_owner).get(url("home")).content.decode()
    assert partner.name in page and other_partner.name not in page


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_sign_up_with_bad_input_shows_form_errors(name):
    client = browser(UserFactory())
    response = client.post(url("signup"), {"name": name})
    assert response.status_code == 200 and b'class="error"' in response.content
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_nul_in_a_form_is_refused_and_nothing_is_made():
    response = browser(UserFactory()).post(url("signup"), {"name": "Bad\x00Farm"})
    assert response.status_code == 400
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_pages_need_a_login(partner):
    response = Client().get(url("partner", partner))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# Cross-partner matrix ------------------------------------------------------------------------------

def _all_routes(partner, connection, api_key, endpoint, delivery, staff_row):
    gets = [url(n, partner) for n in ("partner", "staff", "keys", "key_new", "endpoints", "endpoint_new")] + [
        url("key_created", partner, pk=api_key.pk), url("endpoint", partner, pk=endpoint.pk)]
    posts = [
        (url("connect", partner), {"community": connection.community.slug}),
        (url("connection_answer", partner, pk=connection.pk), {"accept": "1"}),
        (url("connection_end", partner, pk=connection.pk), {}),
        (url("staff", partner), {"login": "x@example.com"}),
        (url("staff_remove", partner, pk=staff_row.pk), {}),
        (url("key_new", partner), {"name": "Stolen", "scopes": ["read_products"]}),
        (url("key_revoke", partner, pk=api_key.pk), {}),
        (url("endpoint_new", partner), {"url": "http://127.0.0.1:9/x", "events": ["order.paid"]}),
        (url("endpoint", partner, pk=endpoint.pk), {"url": "http://127.0.0.1:9/y", "events": ["order.paid"]}),
        (url("endpoint_rotate", partner, pk=endpoint.pk), {}),
        (url("endpoint_toggle", partner, pk=endpoint.pk), {"active": "0"}),
        (url("endpoint_delete", partner, pk=endpoint.pk), {}),
        (url("delivery_redeliver", partner, pk=endpoint.pk, delivery_pk=delivery.pk), {}),
    ]
    return gets, posts


def _state():
    return (list(Connection.objects.values_list("pk", "status").order_by("pk")),
            list(PartnerStaff.objects.values_list("pk", "role").order_by("pk")),
            list(ApiKey.objects.values_list("pk", "revoked_at").order_by("pk")),
            list(WebhookEndpoint.objects.values_list("pk", "url", "secret", "is_active").order_by("pk")),
            list(WebhookDelivery.objects.values_list("pk", "status", "next_attempt_at").order_by("pk")))


@pytest.mark.django_db
def test_every_partner_page_is_a_404_for_whoever_is_not_on_its_staff(partner, staff, connection, make_key, endpoint,
                                                                     other_partner, community, owner, member):
    api_key, _ = make_key()
    delivery = make_delivery(endpoint, community)
    helper = services.staff_add(actor=staff, user=UserFactory())
    gets, posts = _all_routes(partner, connection, api_key, endpoint, delivery, helper)
    rival = other_partner.staff.get().user
    before = _state()
    for intruder in (rival, owner.user, member.user, UserFactory()):
        client = browser(intruder)
        for page in gets:
            assert client.get(page).status_code == 404, page
        for page, data in posts:
            assert client.post(page, data).status_code == 404, page
    assert _state() == before


@pytest.mark.django_db
def test_another_partners_objects_are_404_under_my_own_partner(partner, staff, connection, make_key, endpoint,
                                                               other_partner, community, owner_client):
    """My partner's address with another partner's key, endpoint, delivery, staff or connection ids."""
    rival_staff = other_partner.staff.get()
    rival_key, _ = services.api_key_create(actor=rival_staff, name="Theirs", scopes=["read_products"])
    rival_endpoint = services.endpoint_create(actor=rival_staff, url="http://127.0.0.1:9/r", events=["order.paid"])
    rival_connection = services.connection_request(actor=rival_staff, community=community)
    rival_delivery = make_delivery(rival_endpoint, community, source=99)
    mine = make_delivery(endpoint, community, source=98)
    before = _state()
    for page in (url("key_created", partner, pk=rival_key.pk), url("endpoint", partner, pk=rival_endpoint.pk)):
        assert owner_client.get(page).status_code == 404
    for page in (url("key_revoke", partner, pk=rival_key.pk), url("endpoint_rotate", partner, pk=rival_endpoint.pk),
                 url("endpoint_toggle", partner, pk=rival_endpoint.pk),
                 url("endpoint_delete", partner, pk=rival_endpoint.pk),
                 url("staff_remove", partner, pk=rival_staff.pk),
                 url("connection_answer", partner, pk=rival_connection.pk),
                 url("connection_end", partner, pk=rival_connection.pk),
                 url("delivery_redeliver", partner, pk=endpoint.pk, delivery_pk=rival_delivery.pk),
                 url("delivery_redeliver", partner, pk=rival_endpoint.pk, delivery_pk=mine.pk)):
        assert owner_client.post(page, {"accept": "1"}).status_code == 404, page
    assert _state() == before


@pytest.mark.django_db
def test_posts_need_the_csrf_token(partner, partner_owner, make_key):
    api_key, _ = make_key()
    client = browser(partner_owner, enforce_csrf_checks=True)
    assert client.post(url("key_revoke", partner, pk=api_key.pk)).status_code == 403
    assert client.post(url("key_new", partner), {"name": "X", "scopes": ["read_products"]}).status_code == 403
    api_key.refresh_from_db()
    assert api_key.revoked_at is None and ApiKey.objects.count() == 1


# Connections ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_asking_to_connect_tells_the_communitys_admins(partner, owner_client, community, owner, admin_member, leader,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url("connect", partner), {"community": community.slug, "message": "Hi!"})
    assert response.status_code == 302
    connection = Connection.objects.get(partner=partner, community=community)
    assert connection.status == "requested" and connection.message == "Hi!"
    told = set(Notification.objects.filter(kind="partner_request").values_list("recipient_id", flat=True))
    assert told == {owner.user_id, admin_member.user_id}
    page = owner_client.get(url("partner", partner)).content.decode()
    assert community.name in page and "Asked by the partner" in page


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["", "no-such-place", "x" * 61, "bad slug!"])
def test_asking_an_unknown_community_is_a_form_error(partner, owner_client, slug):
    response = owner_client.post(url("connect", partner), {"community": slug})
    assert response.status_code == 400 and b'class="error"' in response.content
    assert not Connection.objects.exists()


@pytest.mark.django_db
def test_the_partner_accepts_an_invitation(partner, staff, owner_client, community, owner):
    invitation = services.connection_invite(actor=owner, partner=partner)
    page = owner_client.get(url("partner", partner)).content.decode()
    assert f'data-invitation="{invitation.pk}"' in page
    owner_client.post(url("connection_answer", partner, pk=invitation.pk), {"accept": "1"})
    invitation.refresh_from_db()
    assert invitation.status == "active" and invitation.supplier_id


@pytest.mark.django_db
def test_the_partner_ends_a_connection(partner, connection, owner_client):
    owner_client.post(url("connection_end", partner, pk=connection.pk))
    connection.refresh_from_db()
    assert connection.status == "ended"


# Staff ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_owner_adds_staff_by_phone_or_email_and_removes_them(partner, owner_client):
    by_phone, by_email = UserFactory(phone="13912345678"), UserFactory(email="helper@example.com")
    assert owner_client.post(url("staff", partner), {"login": "13912345678"}).status_code == 302
    assert owner_client.post(url("staff", partner), {"login": "Helper@Example.com"}).status_code == 302
    rows = PartnerStaff.objects.filter(partner=partner, role="staff")
    assert set(rows.values_list("user_id", flat=True)) == {by_phone.pk, by_email.pk}
    row = rows.get(user=by_phone)
    owner_client.post(url("staff_remove", partner, pk=row.pk))
    assert not PartnerStaff.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("login", ["", "nobody@example.com", "12", "x" * 300])
def test_adding_unknown_people_is_a_form_error(partner, owner_client, login):
    response = owner_client.post(url("staff", partner), {"login": login})
    assert response.status_code == 400 and b'class="error"' in response.content
    assert PartnerStaff.objects.filter(partner=partner).count() == 1


@pytest.mark.django_db
def test_plain_staff_cannot_add_or_remove_staff(partner, staff):
    helper = services.staff_add(actor=staff, user=UserFactory())
    other = services.staff_add(actor=staff, user=UserFactory())
    client = browser(helper.user)
    assert client.get(url("staff", partner)).status_code == 200
    assert client.post(url("staff", partner), {"login": UserFactory().email}).status_code == 403
    client.post(url("staff_remove", partner, pk=other.pk))
    assert PartnerStaff.objects.filter(pk=other.pk).exists()
    assert PartnerStaff.objects.filter(partner=partner).count() == 3


# API keys ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_key_is_shown_once(partner, owner_client, connection, community):
    page = owner_client.get(url("key_new", partner)).content.decode()
    assert "Push products and stock" in page and community.name in page
    response = owner_client.post(url("key_new", partner), {
        "name": "ERP", "scopes": ["write_products", "read_rounds"], "communities": [str(community.pk)],
        "expires_on": (date.today() + timedelta(days=30)).isoformat()})
    api_key = ApiKey.objects.get()
    assert response.status_code == 302 and response["Location"] == url("key_created", partner, pk=api_key.pk)
    shown = owner_client.get(response["Location"])
    assert "no-store" in shown["Cache-Control"]  # no browser or proxy keeps the key
    first = shown.content.decode()
    start = first.index("sqp_live_" + api_key.key_id + "_")
    full = first[start:first.index('"', start)]
    assert ApiKey.hash_key(full) == api_key.key_hash
    assert api_key.scopes == ["read_rounds", "write_products"] and api_key.community_ids == [community.pk]
    assert api_key.expires_at is not None
    second = owner_client.get(response["Location"]).content.decode()
    assert full not in second and "data-key-gone" in second
    listing = owner_client.get(url("keys", partner)).content.decode()
    assert full not in listing and api_key.display in listing and "Read rounds and purchase sheets" in listing


@pytest.mark.django_db
def test_the_new_key_is_not_shown_to_other_staff(partner, staff, owner_client):
    owner_client.post(url("key_new", partner), {"name": "ERP", "scopes": ["read_products"]})
    api_key = ApiKey.objects.get()
    helper = services.staff_add(actor=staff, user=UserFactory())
    page = browser(helper.user).get(url("key_created", partner, pk=api_key.pk)).content.decode()
    assert "data-key-gone" in page and "data-full-key" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("data", [
    {"name": "", "scopes": ["read_products"]},
    {"name": "x" * 61, "scopes": ["read_products"]},
    {"name": "ERP", "scopes": []},
    {"name": "ERP", "scopes": ["drop_tables"]},
    {"name": "ERP", "scopes": ["read_products"], "expires_on": "2001-01-01"},
    {"name": "ERP", "scopes": ["read_products"], "expires_on": "9999-12-31"},
    {"name": "ERP", "scopes": ["read_products"], "expires_on": "٢٠٣٠-01-01"},
    {"name": "ERP", "scopes": ["read_products"], "communities": ["999999"]},
])
def test_bad_key_input_is_a_form_error(partner, owner_client, data):
    response = owner_client.post(url("key_new", partner), data)
    assert response.status_code == 400 and b'class="error"' in response.content
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_a_key_cannot_be_limited_to_a_community_the_partner_is_not_connected_to(partner, owner_client, connection):
    elsewhere = CommunityFactory()
    response = owner_client.post(url("key_new", partner), {"name": "ERP", "scopes": ["read_products"],
                                                          "communities": [str(elsewhere.pk)]})
    assert response.status_code == 400 and not ApiKey.objects.exists()


@pytest.mark.django_db
def test_revoking_a_key_stops_it(partner, owner_client, make_key, key_client, connection):
    api_key, full = make_key()
    assert owner_client.post(url("key_revoke", partner, pk=api_key.pk)).status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert "data-revoked" in owner_client.get(url("keys", partner)).content.decode()


# Webhook endpoints ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_owner_adds_edits_and_deletes_an_endpoint(partner, owner_client, receiver):
    response = owner_client.post(url("endpoint_new", partner), {"url": receiver.url, "description": "ERP",
                                                                "events": ["order.paid", "round.closed"]})
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == url("endpoint", partner, pk=endpoint.pk)
    assert endpoint.events == ["order.paid", "round.closed"]
    page = owner_client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "24 hours" in page
    owner_client.post(url("endpoint", partner, pk=endpoint.pk), {"url": receiver.url + "/v2",
                                                                 "events": ["product.approved"]})
    endpoint.refresh_from_db()
    assert endpoint.url.endswith("/v2") and endpoint.events == ["product.approved"]
    owner_client.post(url("endpoint_toggle", partner, pk=endpoint.pk), {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    owner_client.post(url("endpoint_toggle", partner, pk=endpoint.pk), {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active
    owner_client.post(url("endpoint_delete", partner, pk=endpoint.pk))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("data", [
    {"url": "", "events": ["order.paid"]},
    {"url": "ftp://example.com/x", "events": ["order.paid"]},
    {"url": "http://127.0.0.1:9/" + "x" * 600, "events": ["order.paid"]},
    {"url": "http://127.0.0.1:9/x", "events": []},
    {"url": "http://127.0.0.1:9/x", "events": ["order.eaten"]},
    {"url": "http://127.0.0.1:9/x", "events": ["order.paid"], "description": "d" * 121},
])
def test_bad_endpoint_input_is_a_form_error(partner, owner_client, data):
    response = owner_client.post(url("endpoint_new", partner), data)
    assert response.status_code == 400 and b'class="error"' in response.content
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_production_refuses_private_addresses(partner, owner_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = owner_client.post(url("endpoint_new", partner), {"url": "https://127.0.0.1/x",
                                                                "events": ["order.paid"]})
    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_rotating_keeps_the_old_secret_for_a_day(partner, owner_client, endpoint):
    old = endpoint.secret
    owner_client.post(url("endpoint_rotate", partner, pk=endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert timedelta(hours=23) < endpoint.previous_secret_expires_at - timezone.now() <= timedelta(hours=24)


@pytest.mark.django_db
def test_plain_staff_neither_see_nor_rotate_the_secret(partner, staff, endpoint):
    helper = services.staff_add(actor=staff, user=UserFactory())
    client = browser(helper.user)
    page = client.get(url("endpoint", partner, pk=endpoint.pk)).content.decode()
    assert endpoint.secret not in page
    assert client.post(url("endpoint_rotate", partner, pk=endpoint.pk)).status_code == 403
    endpoint.refresh_from_db()
    assert not endpoint.previous_secret


@pytest.mark.django_db
def test_the_delivery_log_and_redelivery(partner, owner_client, endpoint, community, connection):
    delivery = make_delivery(endpoint, community)
    page = owner_client.get(url("endpoint", partner, pk=endpoint.pk)).content.decode()
    assert delivery.event.public_id in page and "order.paid" in page and "42 ms" in page and ">500<" in page
    response = owner_client.post(url("delivery_redeliver", partner, pk=endpoint.pk, delivery_pk=delivery.pk))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.next_attempt_at is not None
    assert owner_client.get(url("delivery_redeliver", partner, pk=endpoint.pk,
                                delivery_pk=delivery.pk)).status_code == 405


@pytest.mark.django_db
def test_a_partner_named_new_does_not_hide_behind_the_sign_up_page():
    client = browser(UserFactory())
    client.post(url("signup"), {"name": "New"})
    partner = Partner.objects.get()
    assert partner.slug != "new"
    assert client.get(url("partner", partner)).status_code == 200
