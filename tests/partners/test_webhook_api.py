"""/api/v1/partner/webhooks/: endpoints (secret shown on create and rotation only), the delivery
log, redelivery and events, each the partner's own and behind the manage_webhooks scope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.events import SWEEP_NAME as EVENTS
from core.sweeps import sweep_run
from orders import services as orders
from partners import services
from partners.models import Scope, WebhookDelivery, WebhookEndpoint, WebhookEvent
from payments import services as payments
from tests.factories import UserFactory, make_group_buy

URL = "https://hooks.example.com/shequn"
pytestmark = pytest.mark.django_db


@pytest.fixture
def client(make_key, key_client):
    return key_client(make_key(scopes=[Scope.MANAGE_WEBHOOKS])[1])


def url(name, **kwargs):
    return reverse(f"api-partner-{name}", kwargs=kwargs)


@pytest.fixture
def paid(community, owner, member, partner_product, connection):
    """paid(n) → n paid orders of the partner's product, their events passed on (deliveries waiting)."""

    def _paid(n=1):
        round_ = make_group_buy(owner, products=[partner_product(f"SKU-{timezone.now().timestamp()}")])
        payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("100") * n)
        for i in range(n):
            order, _ = orders.order_place(member=member, group_buy=round_, lines=[(round_.items.first().pk, 1)],
                                          idempotency_key=f"{round_.pk}-{i}",
                                          pickup_point_id=round_.pickup_points.first().pk)
            orders.order_pay_with_wallet(member=member, order=order)
        sweep_run(EVENTS)

    return _paid


def test_an_endpoint_is_created_with_its_secret_shown_once(client, partner):
    response = client.post(url("webhook-endpoints"), {"url": URL, "events": ["order.paid", "round.closed"],
                                                      "description": "ERP"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(partner=partner)
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert body["events"] == ["order.paid", "round.closed"] and body["is_active"] is True
    listed = client.get(url("webhook-endpoints")).json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    one = client.get(url("webhook-endpoint", endpoint_id=endpoint.pk)).json()
    assert one["url"] == URL and "secret" not in one


def test_rotating_shows_the_new_secret_and_keeps_the_old_one_signing_a_while(client, staff):
    endpoint = services.endpoint_create(actor=staff, url=URL, events=["order.paid"])
    response = client.post(url("webhook-endpoint-rotate-secret", endpoint_id=endpoint.pk))
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert response.json()["secret"] == endpoint.secret and endpoint.previous_secret
    assert response.json()["previous_secret_expires_at"] is not None


def test_an_endpoint_is_changed_switched_off_and_on_and_deleted(client, staff):
    endpoint = services.endpoint_create(actor=staff, url=URL, events=["order.paid"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, consecutive_failures=10,
                                                          disabled_at=timezone.now(), disabled_reason="HTTP 500")
    response = client.patch(url("webhook-endpoint", endpoint_id=endpoint.pk),
                            {"events": ["order.refunded"], "is_active": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["events"] == ["order.refunded"] and response.json()["is_active"] is True
    assert response.json()["consecutive_failures"] == 0 and response.json()["disabled_at"] is None
    assert client.patch(url("webhook-endpoint", endpoint_id=endpoint.pk), {"is_active": False},
                        format="json").json()["is_active"] is False
    assert client.delete(url("webhook-endpoint", endpoint_id=endpoint.pk)).status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("data, field", [
    ({"url": URL, "events": ["order.shipped"]}, "events.0"),
    ({"url": URL, "events": []}, "events"),
    ({"url": "https://hooks.example.com/\x00", "events": ["order.paid"]}, "url"),
    ({"url": "https://" + "a" * 500 + ".com", "events": ["order.paid"]}, "url"),
    ({"url": "not a url", "events": ["order.paid"]}, "url"),
    ({"events": ["order.paid"]}, "url"),
    ({"url": URL, "events": ["order.paid"], "description": "x" * 121}, "description"),
])
def test_bad_input_is_a_400_naming_the_field(client, data, field):
    response = client.post(url("webhook-endpoints"), data, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


@override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False)
def test_a_private_address_is_refused_in_production(client):
    response = client.post(url("webhook-endpoints"), {"url": "https://127.0.0.1/h", "events": ["order.paid"]},
                           format="json")
    assert response.status_code == 400 and "url" in response.json()["fields"]


def test_the_scope_is_required(make_key, key_client, staff):
    endpoint = services.endpoint_create(actor=staff, url=URL, events=["order.paid"])
    client = key_client(make_key(scopes=[s for s in Scope.values if s != Scope.MANAGE_WEBHOOKS])[1])
    for method, path in [("get", url("webhook-endpoints")), ("post", url("webhook-endpoints")),
                         ("patch", url("webhook-endpoint", endpoint_id=endpoint.pk)),
                         ("post", url("webhook-endpoint-rotate-secret", endpoint_id=endpoint.pk)),
                         ("get", url("webhook-deliveries")), ("get", url("webhook-events"))]:
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 403, path
        assert response.json()["code"] == "missing_scope" and "manage_webhooks" in response.json()["message"]
    assert APIClient().get(url("webhook-endpoints")).status_code == 401


def test_another_partners_endpoints_and_deliveries_are_not_found(client, staff, paid):
    other = services.partner_create(user=UserFactory(), name="Other farm")
    theirs = services.endpoint_create(actor=other.staff.get(), url=URL, events=["order.paid"])
    mine = services.endpoint_create(actor=staff, url=URL, events=["order.paid"])
    paid(1)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(endpoint=theirs, partner=other)
    for method, path in [("get", url("webhook-endpoint", endpoint_id=theirs.pk)),
                         ("patch", url("webhook-endpoint", endpoint_id=theirs.pk)),
                         ("delete", url("webhook-endpoint", endpoint_id=theirs.pk)),
                         ("post", url("webhook-endpoint-rotate-secret", endpoint_id=theirs.pk)),
                         ("get", url("webhook-delivery", delivery_id=delivery.pk)),
                         ("post", url("webhook-redeliver", delivery_id=delivery.pk))]:
        assert getattr(client, method)(path, {}, format="json").status_code == 404, path
    assert [e["id"] for e in client.get(url("webhook-endpoints")).json()["results"]] == [mine.pk]
    assert client.get(url("webhook-deliveries")).json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.is_active


@pytest.mark.parametrize("raw", ["٣", "99999999999999999999999", "0", "-1", "abc"])
def test_ids_that_are_not_ids_are_not_found(client, raw):
    assert client.get(url("webhook-endpoint", endpoint_id=raw)).status_code == 404
    assert client.get(url("webhook-delivery", delivery_id=raw)).status_code == 404


def test_the_delivery_log_filters_newest_first_and_shows_one_delivery(client, staff, paid):
    a = services.endpoint_create(actor=staff, url=URL, events=["order.paid"])
    services.endpoint_create(actor=staff, url=URL + "/b", events=["order.paid", "round.opened"])
    paid(2)
    WebhookDelivery.objects.filter(endpoint=a).update(status="failed", next_attempt_at=None, response_status=500,
                                                      attempts=11)
    everything = client.get(url("webhook-deliveries")).json()
    ids = [d["id"] for d in everything["results"]]
    assert everything["count"] == WebhookDelivery.objects.count() == 5 and ids == sorted(ids, reverse=True)
    assert {d["endpoint"] for d in client.get(url("webhook-deliveries"), {"endpoint": a.pk}).json()["results"]} \
        == {a.pk}
    failed = client.get(url("webhook-deliveries"), {"status": "failed"}).json()
    assert failed["count"] == 2 and {d["status"] for d in failed["results"]} == {"failed"}
    opened = client.get(url("webhook-deliveries"), {"event_type": "round.opened"}).json()
    assert opened["count"] == 1 and opened["results"][0]["event"]["type"] == "round.opened"
    assert client.get(url("webhook-deliveries"), {"status": "lost"}).status_code == 400
    assert client.get(url("webhook-deliveries"), {"endpoint": "٣"}).status_code == 400
    assert client.get(url("webhook-deliveries"), {"page_size": 2}).json()["next"]
    one = client.get(url("webhook-delivery", delivery_id=ids[0])).json()
    assert one["event"]["id"].startswith("evt_") and "data" in one["event"] and "response_body" in one


def test_redelivery_queues_the_delivery_again(client, staff, paid):
    endpoint = services.endpoint_create(actor=staff, url=URL, events=["order.paid"])
    paid(1)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None, attempts=11)
    response = client.post(url("webhook-redeliver", delivery_id=delivery.pk))
    assert response.status_code == 202, response.content
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.next_attempt_at <= timezone.now()
    assert response.json()["status"] == "pending"
    # A switched-off endpoint: switch it on first.
    services.endpoint_update(actor=staff, endpoint=endpoint, is_active=False)
    response = client.post(url("webhook-redeliver", delivery_id=delivery.pk))
    assert response.status_code == 409 and response.json()["code"] == "endpoint_disabled"


def test_events_are_listed_once_each_newest_first(client, staff, paid):
    services.endpoint_create(actor=staff, url=URL, events=["order.paid"])
    services.endpoint_create(actor=staff, url=URL + "/b", events=["order.paid"])
    paid(2)
    events = client.get(url("webhook-events")).json()
    assert events["count"] == WebhookEvent.objects.count() == 2
    assert [e["type"] for e in events["results"]] == ["order.paid", "order.paid"]
    assert events["results"][0]["id"].startswith("evt_") and events["results"][0]["data"]["order"]["lines"]
    assert client.get(url("webhook-events"), {"type": "round.closed"}).json()["count"] == 0
    assert client.get(url("webhook-events"), {"type": "nope"}).status_code == 400


def test_a_key_limited_to_other_communities_reads_none_of_this_ones_and_cannot_change_endpoints(
        make_key, key_client, staff, paid, connection):
    from tests.factories import CommunityFactory, MembershipFactory
    from communities.models import Role

    services.endpoint_create(actor=staff, url=URL, events=["order.paid"])
    paid(1)
    elsewhere = CommunityFactory()
    boss = MembershipFactory(community=elsewhere, role=Role.OWNER)
    services.connection_decide(actor=boss, connection=services.connection_request(actor=staff, community=elsewhere),
                               accept=True)
    limited = key_client(make_key(scopes=[Scope.MANAGE_WEBHOOKS], community_ids=[elsewhere.pk])[1])
    assert limited.get(url("webhook-deliveries")).json()["count"] == 0
    assert limited.get(url("webhook-events")).json()["count"] == 0
    delivery = WebhookDelivery.objects.get()
    assert limited.get(url("webhook-delivery", delivery_id=delivery.pk)).status_code == 404
    response = limited.post(url("webhook-endpoints"), {"url": URL, "events": ["order.paid"]}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "key_limited"
    here = key_client(make_key(scopes=[Scope.MANAGE_WEBHOOKS], community_ids=[connection.community_id])[1])
    assert here.get(url("webhook-deliveries")).json()["count"] == 1
