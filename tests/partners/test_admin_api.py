"""The community admin's API for partner shops (/api/v1/communities/<slug>/partners/…): what the
console's partner pages do. MANAGE_PARTNERS only; another community's objects are 404; bad input
is a 400 with fields; replays are 409; nothing changes on a refusal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Product
from partners import services
from partners.models import Connection, WebhookDelivery
from tests.partners.test_community_console import _state, pending_product
from tests.partners.test_partner_console import make_delivery


def api_url(name, community, **kwargs):
    return reverse(name, kwargs={"slug": community.slug, **kwargs})


@pytest.fixture
def as_user(api_as):
    def make(user):
        client = api_as(user)
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        return client

    return make




@pytest.mark.django_db
def test_list_filter_and_accept(asked, admin_member, community, as_user):
    client = as_user(admin_member.user)
    body = client.get(api_url("api-admin-partner-connections", community), {"status": "requested"}).json()
    assert body["count"] == 1 and body["results"][0]["id"] == asked.pk
    assert body["results"][0]["partner"]["name"] == "Green Farm" and body["results"][0]["message"] == "Fresh pears"
    assert client.get(api_url("api-admin-partner-connections", community), {"status": "active"}).json()["count"] == 0
    response = client.post(api_url("api-admin-partner-connection-accept", community, pk=asked.pk),
                           {"review_products": False}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "active" and response.json()["review_products"] is False
    assert response.json()["supplier"] == Connection.objects.get().supplier_id
    again = client.post(api_url("api-admin-partner-connection-accept", community, pk=asked.pk), {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_decided"


@pytest.mark.django_db
def test_refuse_toggle_end(asked, connection, admin_member, community, as_user):
    client = as_user(admin_member.user)
    # ``connection`` fixture accepted the request already: refuse is a replay.
    assert client.post(api_url("api-admin-partner-connection-refuse", community, pk=asked.pk)).status_code == 409
    response = client.patch(api_url("api-admin-partner-connection", community, pk=connection.pk),
                            {"review_products": False}, format="json")
    assert response.status_code == 200 and response.json()["review_products"] is False
    response = client.post(api_url("api-admin-partner-connection-end", community, pk=connection.pk))
    assert response.status_code == 200 and response.json()["status"] == "ended"


@pytest.mark.django_db
def test_refusing_a_request(asked, owner, community, as_user):
    response = as_user(owner.user).post(api_url("api-admin-partner-connection-refuse", community, pk=asked.pk))
    assert response.status_code == 200 and response.json()["status"] == "refused"


@pytest.mark.django_db
def test_directory_and_invite(partner, admin_member, community, as_user):
    client = as_user(admin_member.user)
    found = client.get(api_url("api-admin-partner-directory", community), {"q": "Green"}).json()
    assert [p["id"] for p in found["results"]] == [partner.pk]
    response = client.post(api_url("api-admin-partner-connections", community), {"partner": partner.pk},
                           format="json")
    assert response.status_code == 201 and response.json()["status"] == "invited"
    assert client.get(api_url("api-admin-partner-directory", community), {"q": "Green"}).json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"partner": None}, {"partner": "abc"}, {"partner": "٣"}, {"partner": 0},
                                  {"partner": 999999}, {"partner": 1, "review_products": "maybe"}])
def test_bad_invites_are_400(admin_member, community, as_user, body):
    response = as_user(admin_member.user).post(api_url("api-admin-partner-connections", community), body,
                                               format="json")
    assert response.status_code == 400 and response.json()["code"] and "fields" in response.json()
    assert not Connection.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 81}])
def test_bad_directory_queries_are_400(admin_member, community, as_user, params):
    response = as_user(admin_member.user).get(api_url("api-admin-partner-directory", community), params)
    assert response.status_code == 400 and "q" in response.json()["fields"]


@pytest.mark.django_db
def test_bad_filters_and_bodies_are_400(connection, admin_member, community, as_user):
    client = as_user(admin_member.user)
    assert client.get(api_url("api-admin-partner-connections", community), {"status": "x"}).status_code == 400
    for body in ({}, {"review_products": "sometimes"}, {"review_products": None}):
        response = client.patch(api_url("api-admin-partner-connection", community, pk=connection.pk), body,
                                format="json")
        assert response.status_code == 400, body
    product = pending_product(connection)
    for note in ("x" * 201, "bad\x00note"):
        response = client.post(api_url("api-admin-partner-product-reject", community, pk=product.pk), {"note": note},
                               format="json")
        assert response.status_code == 400
    product.refresh_from_db()
    assert product.review == "pending"


@pytest.mark.django_db
def test_products_to_review(connection, admin_member, community, as_user):
    pear, plum = pending_product(connection, "PEAR-1"), pending_product(connection, "PLUM-1")
    client = as_user(admin_member.user)
    body = client.get(api_url("api-admin-partner-products", community)).json()
    assert [p["supplier_sku"] for p in body["results"]] == ["PEAR-1", "PLUM-1"]
    approved = client.post(api_url("api-admin-partner-product-approve", community, pk=pear.pk))
    assert approved.status_code == 200 and approved.json()["review"] == "approved" and approved.json()["is_active"]
    rejected = client.post(api_url("api-admin-partner-product-reject", community, pk=plum.pk), {"note": "dear"},
                           format="json")
    assert rejected.status_code == 200 and rejected.json()["review"] == "rejected"
    again = client.post(api_url("api-admin-partner-product-approve", community, pk=plum.pk))
    assert again.status_code == 409 and again.json()["code"] == "not_pending"
    assert client.get(api_url("api-admin-partner-products", community)).json()["count"] == 0


@pytest.mark.django_db
def test_deliveries_and_redeliver(connection, staff, admin_member, community, as_user):
    endpoint = services.endpoint_create(actor=staff, url="http://127.0.0.1:9/x", events=["order.paid"])
    delivery = make_delivery(endpoint, community)
    client = as_user(admin_member.user)
    body = client.get(api_url("api-admin-partner-deliveries", community)).json()
    row = body["results"][0]
    assert body["count"] == 1 and row["event_id"] == delivery.event.public_id and row["status"] == "failed"
    assert row["response_status"] == 500 and row["attempts"] == 3 and row["partner_name"] == "Green Farm"
    response = client.post(api_url("api-admin-partner-delivery-redeliver", community, pk=delivery.pk))
    assert response.status_code == 202 and response.json()["status"] == "pending"


def _routes(community, connection, product, delivery):
    pk = {"pk": connection.pk}
    return [
        ("get", api_url("api-admin-partner-connections", community), None),
        ("post", api_url("api-admin-partner-connections", community), {"partner": connection.partner_id}),
        ("get", api_url("api-admin-partner-connection", community, **pk), None),
        ("patch", api_url("api-admin-partner-connection", community, **pk), {"review_products": False}),
        ("post", api_url("api-admin-partner-connection-accept", community, **pk), {}),
        ("post", api_url("api-admin-partner-connection-refuse", community, **pk), {}),
        ("post", api_url("api-admin-partner-connection-end", community, **pk), {}),
        ("get", api_url("api-admin-partner-directory", community) + "?q=Farm", None),
        ("get", api_url("api-admin-partner-products", community), None),
        ("post", api_url("api-admin-partner-product-approve", community, pk=product.pk), {}),
        ("post", api_url("api-admin-partner-product-reject", community, pk=product.pk), {}),
        ("get", api_url("api-admin-partner-deliveries", community), None),
        ("post", api_url("api-admin-partner-delivery-redeliver", community, pk=delivery.pk), {}),
    ]


@pytest.mark.django_db
def test_leaders_members_partners_and_strangers_are_kept_out(asked, staff, community, leader, member, partner_owner,
                                                             elsewhere, as_user, api):
    from tests.factories import UserFactory

    product = pending_product(services.connection_decide(actor=community.memberships.get(role="owner"),
                                                         connection=asked, accept=True))
    endpoint = services.endpoint_create(actor=staff, url="http://127.0.0.1:9/x", events=["order.paid"])
    delivery = make_delivery(endpoint, community)
    _far, far_admin, _c = elsewhere
    before = _state()
    for client, status in ((as_user(leader.user), 403), (as_user(member.user), 403), (as_user(partner_owner), 404),
                           (as_user(far_admin.user), 404), (as_user(UserFactory()), 404), (api, 401)):
        for method, path, body in _routes(community, asked, product, delivery):
            response = getattr(client, method)(path, body, format="json") if body is not None else client.get(path)
            assert response.status_code == status, (method, path, response.status_code)
    assert _state() == before


@pytest.mark.django_db
def test_another_communitys_objects_are_404(connection, admin_member, community, elsewhere, as_user):
    far, _far_admin, far_connection = elsewhere
    far_product = pending_product(far_connection, "FAR-1")
    far_endpoint = services.endpoint_create(actor=far_connection.partner.staff.get(), url="http://127.0.0.1:9/f",
                                            events=["order.paid"])
    far_delivery = make_delivery(far_endpoint, far, source=5)
    client = as_user(admin_member.user)
    before = _state()
    for method, path, body in _routes(community, far_connection, far_product, far_delivery):
        if "{" in path or method == "get" and "<" in path:
            continue
        if path.endswith("/connections/") or "directory" in path or path.endswith("/products/") \
                or path.endswith("/deliveries/"):
            continue  # lists of my own community (checked below)
        response = getattr(client, method)(path, body, format="json") if body is not None else client.get(path)
        assert response.status_code == 404, (method, path)
    assert _state() == before
    listed = client.get(api_url("api-admin-partner-deliveries", community)).json()
    assert far_delivery.pk not in [d["id"] for d in listed["results"]]
    assert far_product.pk not in [p["id"] for p in client.get(api_url("api-admin-partner-products",
                                                                       community)).json()["results"]]
    assert Product.objects.get(pk=far_product.pk).review == "pending"
    assert WebhookDelivery.objects.get(pk=far_delivery.pk).status == "failed"
