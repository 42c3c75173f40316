"""Webhooks to partner shops, end to end: from a paid order to a signed POST at a real local
receiver (tests/partners/conftest.py), sent at least once, after commit, with retries.

Celery runs tasks eagerly in the tests; the autouse ``broker`` fixture puts a queue back in
between (as a real broker does), so each test decides when the sweeps run, as a worker would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection as db_connection
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from catalog.models import Supplier
from core.events import SWEEP_NAME as EVENTS
from core.exceptions import ValidationFailed
from core.models import DomainEvent, Notification
from core.sweeps import sweep_run
from core.tasks import run_sweep
from orders import services as orders
from partners import services, webhooks
from partners.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from payments import services as payments
from tests.factories import ProductFactory, make_group_buy

TX = pytest.mark.django_db(transaction=True)


# The receiver's check, as README shows it ------------------------------------------------------

def verify_webhook(secret: str, headers: dict, body: bytes, now: float | None = None) -> bool:
    """True when one of the webhook-signature's v1 signatures is ours and the timestamp is fresh."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs((now if now is not None else time.time()) - int(timestamp)) > 5 * 60:
        return False  # older (or newer) than five minutes: a replay
    raw = secret.removeprefix("whsec_")
    key = base64.b64decode(raw)
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return any(hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split())


# Fixtures and helpers --------------------------------------------------------------------------

class Broker:
    """Tasks queued (by name of the sweep they run), run when the test says (``drain``)."""

    def __init__(self):
        self.queue: list[str] = []

    def drain(self) -> None:
        while self.queue:
            sweep_run(self.queue.pop(0))


@pytest.fixture(autouse=True)
def broker(monkeypatch):
    queued = Broker()
    monkeypatch.setattr(run_sweep, "delay", queued.queue.append)
    return queued


def deliver() -> None:
    """What the worker does: pass on the domain events, then send the due deliveries."""
    sweep_run(EVENTS)
    sweep_run(webhooks.SWEEP_NAME)


@pytest.fixture
def shop(community, owner, member, staff, connection, partner_product):
    """A round selling the partner's EGG-12 and a member with money in the wallet: shop.pay() → a paid order."""

    class Shop:
        round = make_group_buy(owner, products=[partner_product("EGG-12")])
        item = round.items.first()
        point = round.pickup_points.first()
        keys = iter(range(10_000))

        def place(self, quantity=2, lines=None):
            order, _ = orders.order_place(member=member, group_buy=self.round,
                                          lines=lines or [(self.item.pk, quantity)],
                                          idempotency_key=f"k{next(self.keys)}", pickup_point_id=self.point.pk)
            return order

        def pay(self, quantity=2, lines=None):
            return orders.order_pay_with_wallet(member=member, order=self.place(quantity, lines))

    payments.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("1000"))
    return Shop()


def endpoint_for(staff, receiver, events=("order.paid",), **kwargs) -> WebhookEndpoint:
    return services.endpoint_create(actor=staff, url=receiver.url, events=list(events), **kwargs)


def delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("event", "endpoint").get()


# Signature ---------------------------------------------------------------------------------------

@TX
def test_a_receiver_verifies_the_signature_as_readme_shows(staff, shop, receiver):
    endpoint = endpoint_for(staff, receiver)
    shop.pay()
    deliver()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert headers["webhook-id"] == WebhookEvent.objects.get().public_id == request["json"]["id"]
    assert headers["shequn-event-type"] == request["json"]["type"] == "order.paid"
    assert len(headers["webhook-signature"].split()) == 1
    assert verify_webhook(endpoint.secret, headers, body)
    assert webhooks.verify(endpoint.secret, headers, body)
    # Anything else does not verify: another body, another id, another secret.
    assert not verify_webhook(endpoint.secret, headers, body.replace(b"EGG-12", b"EGG-13"))
    assert not verify_webhook(endpoint.secret, {**headers, "webhook-id": "evt_other"}, body)
    assert not verify_webhook("whsec_" + base64.urlsafe_b64encode(b"x" * 32).decode(), headers, body)


@TX
def test_a_rotated_secret_verifies_with_the_old_and_the_new_during_the_overlap(staff, shop, receiver):
    endpoint = endpoint_for(staff, receiver)
    old = endpoint.secret
    rotated = services.endpoint_rotate_secret(actor=staff, endpoint=endpoint)
    assert rotated.secret != old
    shop.pay()
    deliver()
    headers, body = receiver.requests[0]["headers"], receiver.requests[0]["body"]
    assert len(headers["webhook-signature"].split()) == 2  # one v1 signature per active secret
    assert verify_webhook(old, headers, body) and verify_webhook(rotated.secret, headers, body)
    # After the overlap the old secret no longer signs (the delivery sent again then).
    with time_machine.travel(timezone.now() + services.SECRET_OVERLAP + timedelta(minutes=1), tick=False):
        webhooks.redeliver(delivery())
        sweep_run(webhooks.SWEEP_NAME)
    headers, body = receiver.requests[1]["headers"], receiver.requests[1]["body"]
    assert len(headers["webhook-signature"].split()) == 1
    assert verify_webhook(rotated.secret, headers, body, now=int(headers["webhook-timestamp"]))
    assert not verify_webhook(old, headers, body, now=int(headers["webhook-timestamp"]))


@TX
def test_a_replay_older_than_five_minutes_is_refused_by_the_documented_check(staff, shop, receiver):
    endpoint = endpoint_for(staff, receiver)
    shop.pay()
    deliver()
    headers, body = receiver.requests[0]["headers"], receiver.requests[0]["body"]
    sent = int(headers["webhook-timestamp"])
    assert abs(sent - time.time()) < 60
    assert verify_webhook(endpoint.secret, headers, body, now=sent + 299)
    assert not verify_webhook(endpoint.secret, headers, body, now=sent + 301)
    assert not verify_webhook(endpoint.secret, headers, body, now=sent - 301)
    assert not webhooks.verify(endpoint.secret, headers, body, now=sent + 301)
    # The attacker cannot refresh the timestamp: the signature covers it.
    assert not verify_webhook(endpoint.secret, {**headers, "webhook-timestamp": str(sent + 301)}, body,
                              now=sent + 301)


# Retries ---------------------------------------------------------------------------------------------

@TX
def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(staff, shop, receiver, monkeypatch):
    endpoint = endpoint_for(staff, receiver)
    monkeypatch.setattr(webhooks, "TIMEOUT", (0.5, 0.3))
    receiver.statuses = [500]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        shop.pay()
        deliver()  # 1st try: 500
        row = delivery()
        assert (row.status, row.attempts, row.response_status) == ("pending", 1, 500)
        assert row.next_attempt_at == timezone.now() + webhooks.RETRY_SCHEDULE[0]
        clock.shift(webhooks.RETRY_SCHEDULE[0] - timedelta(seconds=1))
        sweep_run(webhooks.SWEEP_NAME)
        assert len(receiver.requests) == 1  # not before its time

        clock.shift(timedelta(seconds=1))
        receiver.delay = 1.0  # 2nd try: answers too late
        sweep_run(webhooks.SWEEP_NAME)
        row = delivery()
        assert (row.status, row.attempts, row.error, row.response_status) == ("pending", 2, "timeout", None)
        assert row.next_attempt_at == timezone.now() + webhooks.RETRY_SCHEDULE[1]

        receiver.delay = 0
        clock.shift(webhooks.RETRY_SCHEDULE[1])
        sweep_run(webhooks.SWEEP_NAME)  # 3rd try: 200
    row = delivery()
    assert (row.status, row.attempts, row.response_status, row.next_attempt_at) == ("succeeded", 3, 200, None)
    assert len(receiver.requests) == 3
    # Every try carries the same event id: the receiver dedupes on it.
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {row.event.public_id}
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.is_active


@TX
@pytest.mark.parametrize("status, retried", [(400, False), (404, False), (410, False), (429, True), (500, True),
                                             (503, True)])
def test_only_timeouts_429_and_5xx_are_retried(staff, shop, receiver, status, retried):
    endpoint_for(staff, receiver)
    receiver.statuses = [status]
    shop.pay()
    deliver()
    row = delivery()
    assert row.attempts == 1 and row.response_status == status
    if retried:
        assert row.status == "pending" and row.next_attempt_at > timezone.now()
    else:
        assert row.status == "failed" and row.next_attempt_at is None
        with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
            sweep_run(webhooks.SWEEP_NAME)
        assert len(receiver.requests) == 1


@TX
@override_settings(WEBHOOK_DISABLE_AFTER=100)
def test_the_schedule_spans_about_three_days_then_gives_up(staff, shop, receiver):
    endpoint_for(staff, receiver)
    receiver.statuses = [500] * 50
    with time_machine.travel(timezone.now(), tick=False) as clock:
        shop.pay()
        deliver()
        first = timezone.now()
        while (row := delivery()).status == "pending":
            clock.move_to(row.next_attempt_at)
            sweep_run(webhooks.SWEEP_NAME)
        last = timezone.now()
        clock.shift(timedelta(days=30))
        sweep_run(webhooks.SWEEP_NAME)
    assert row.status == "failed" and row.attempts == webhooks.MAX_ATTEMPTS == 11
    assert len(receiver.requests) == 11
    assert timedelta(days=2.5) < last - first == sum(webhooks.RETRY_SCHEDULE, timedelta()) < timedelta(days=3.5)


# Dedupe --------------------------------------------------------------------------------------------

@TX
def test_a_redelivery_carries_the_same_webhook_id(staff, shop, receiver):
    endpoint_for(staff, receiver)
    shop.pay()
    deliver()
    webhooks.redeliver(delivery())
    sweep_run(webhooks.SWEEP_NAME)
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == first["json"]["id"]
    assert first["json"] == second["json"]
    row = delivery()
    assert (row.status, row.attempts) == ("succeeded", 2)


@pytest.mark.django_db
def test_the_fan_out_run_twice_writes_one_event_and_one_delivery_per_endpoint(staff, shop, receiver):
    a = endpoint_for(staff, receiver)
    b = endpoint_for(staff, receiver, events=["order.paid", "order.refunded"])
    endpoint_for(staff, receiver, events=["round.opened"])  # not subscribed
    order = shop.pay()
    event = DomainEvent.objects.get(name="order.paid", payload__order_id=order.pk)
    webhooks.fan_out(event)
    webhooks.fan_out(event)
    # And the events sweep after a worker died before marking it dispatched: it runs again.
    sweep_run(EVENTS)
    assert WebhookEvent.objects.filter(type="order.paid").count() == 1
    assert sorted(WebhookDelivery.objects.filter(event__type="order.paid").values_list("endpoint_id", flat=True)) \
        == sorted([a.pk, b.pk])


# Disabling -------------------------------------------------------------------------------------

@TX
@override_settings(WEBHOOK_DISABLE_AFTER=3)
def test_an_endpoint_that_keeps_failing_is_switched_off_and_its_partner_told(staff, shop, receiver, partner):
    endpoint = endpoint_for(staff, receiver)
    receiver.statuses = [500] * 10
    with time_machine.travel(timezone.now(), tick=False) as clock:
        shop.pay()
        shop.pay()
        deliver()
        steps = 0
        while WebhookEndpoint.objects.get(pk=endpoint.pk).is_active and steps < 20:
            due = WebhookDelivery.objects.filter(status="pending").order_by("next_attempt_at").first()
            clock.move_to(due.next_attempt_at)
            sweep_run(webhooks.SWEEP_NAME)
            steps += 1
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None and "500" in endpoint.disabled_reason
    # One request per step while it failed, not one per event; then nothing is left to send.
    assert len(receiver.requests) == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    assert WebhookDelivery.objects.filter(next_attempt_at__isnull=False).count() == 0
    notices = Notification.objects.filter(kind="webhook_disabled")
    assert [n.recipient_id for n in notices] == [staff.user_id]
    assert receiver.url in notices[0].title

    # The partner fixes it and switches it back on; redelivering what it missed works.
    services.endpoint_update(actor=staff, endpoint=endpoint, is_active=True)
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0 and endpoint.disabled_at is None
    receiver.statuses = []
    for row in WebhookDelivery.objects.all():
        webhooks.redeliver(row)
    sweep_run(webhooks.SWEEP_NAME)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert len(receiver.requests) == 5
    shop.pay()
    deliver()
    assert len(receiver.requests) == 6


# Transactions, workers, requests -------------------------------------------------------------

@TX
def test_a_rolled_back_transaction_sends_nothing(staff, shop, receiver, broker):
    endpoint_for(staff, receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        shop.pay()
        assert DomainEvent.objects.filter(name="order.paid").exists()
        raise RuntimeError("something after the payment failed")
    broker.drain()
    deliver()
    assert not DomainEvent.objects.filter(name="order.paid").exists()
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert receiver.requests == [] and broker.queue == []


@TX
def test_a_worker_killed_mid_delivery_sends_again_with_the_same_event_id(staff, shop, receiver, monkeypatch):
    endpoint_for(staff, receiver)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        shop.pay()
        sweep_run(EVENTS)
        # The sweep leases the delivery and commits; the worker dies before its POST.
        with monkeypatch.context() as m:
            m.setattr(webhooks, "send", lambda delivery_id, attempt: None)
            sweep_run(webhooks.SWEEP_NAME)
        row = delivery()
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, timezone.now() + webhooks.LEASE)
        sweep_run(webhooks.SWEEP_NAME)  # held by the lease
        assert receiver.requests == []

        clock.shift(webhooks.LEASE + timedelta(seconds=1))
        sweep_run(webhooks.SWEEP_NAME)
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["headers"]["webhook-id"] == row.event.public_id
    row = delivery()
    assert (row.status, row.attempts) == ("succeeded", 2)
    # The dead worker's try answers late (it was attempt 1): nothing changes.
    assert webhooks.record(row, attempt=1, status=500, body="late", error="", duration_ms=5) is None
    after = delivery()
    assert (after.status, after.attempts, after.response_status, after.response_body) == ("succeeded", 2, 200, "ok")
    assert WebhookEndpoint.objects.get().consecutive_failures == 0


@TX
def test_sending_happens_only_after_the_lease_commits_never_in_a_transaction(staff, shop, receiver, monkeypatch):
    endpoint_for(staff, receiver)
    shop.pay()
    sweep_run(EVENTS)
    seen = []
    post = webhooks._post

    def watching_post(url, headers, body):
        # Another connection (another thread) already sees the lease: it was committed.
        pk = int(headers["shequn-delivery"])
        result = {}

        def look():
            result["attempts"] = WebhookDelivery.objects.get(pk=pk).attempts
            db_connection.close()

        thread = threading.Thread(target=look)
        thread.start()
        thread.join()
        seen.append((db_connection.in_atomic_block, result["attempts"]))
        return post(url, headers, body)

    monkeypatch.setattr(webhooks, "_post", watching_post)
    sweep_run(webhooks.SWEEP_NAME)
    assert seen == [(False, 1)] and len(receiver.requests) == 1
    # Called inside a transaction, send refuses and sends nothing.
    row = delivery()
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            webhooks.send(row.pk, row.attempts)
    assert len(receiver.requests) == 1


@TX
def test_a_members_request_makes_no_webhook_request(staff, shop, receiver, member, api_as, broker):
    """Paying over HTTP commits the outbox row and queues a task: the POST comes from a worker."""
    endpoint_for(staff, receiver)
    order = shop.place()
    response = api_as(member.user).post(
        reverse("api-order-pay", kwargs={"slug": member.community.slug, "pk": order.pk}), {"method": "wallet"},
        format="json")
    assert response.status_code == 200, response.content
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()
    assert EVENTS in broker.queue
    broker.drain()  # the worker: events sweep, which queues the deliveries sweep
    assert len(receiver.requests) == 1 and receiver.requests[0]["json"]["data"]["order"]["id"] == order.pk


# Who gets what ---------------------------------------------------------------------------------

@TX
def test_an_order_event_shows_only_the_partners_own_lines(staff, shop, receiver, owner, community):
    endpoint_for(staff, receiver)
    other_supplier = Supplier.objects.create(community=community, name="Someone else")
    round_ = make_group_buy(owner, products=[shop.item.product, ProductFactory(community=community, name="Pears",
                                                                               supplier=other_supplier)])
    shop.round, shop.point = round_, round_.pickup_points.first()
    mine, theirs = round_.items.order_by("pk")
    shop.pay(lines=[(mine.pk, 1), (theirs.pk, 3)])
    deliver()
    order = receiver.requests[0]["json"]["data"]["order"]
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("EGG-12", 1)]
    assert "Pears" not in receiver.requests[0]["body"].decode()
    assert receiver.requests[0]["json"]["data"]["community"]["id"] == community.pk


@TX
def test_an_ended_connection_gets_nothing_even_what_was_queued(staff, shop, receiver, connection):
    endpoint_for(staff, receiver)
    shop.pay()
    sweep_run(EVENTS)
    assert WebhookDelivery.objects.count() == 1
    services.connection_end(connection=connection, by_staff=staff)
    sweep_run(webhooks.SWEEP_NAME)
    shop.pay()
    deliver()
    assert receiver.requests == []
    assert WebhookEvent.objects.count() == 1
    assert delivery().status == "failed"


@TX
def test_inactive_or_unsubscribed_endpoints_get_nothing(staff, shop, receiver):
    from tests.partners.conftest import Receiver

    others = [Receiver(), Receiver()]
    try:
        off = endpoint_for(staff, others[0])
        services.endpoint_update(actor=staff, endpoint=off, is_active=False)
        endpoint_for(staff, others[1], events=["round.closed", "order.refunded"])
        on = endpoint_for(staff, receiver)
        shop.pay()
        deliver()
        assert [r.requests for r in others] == [[], []]
        assert len(receiver.requests) == 1
        assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [on.pk]
        # Switched off with a delivery waiting: it is not sent.
        shop.pay()
        sweep_run(EVENTS)
        services.endpoint_update(actor=staff, endpoint=on, is_active=False)
        sweep_run(webhooks.SWEEP_NAME)
        assert len(receiver.requests) == 1
        assert WebhookDelivery.objects.filter(status="failed").count() == 1
    finally:
        for r in others:
            r.close()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hooks", "https://127.0.0.1/hooks", "https://localhost/h",
                                 "https://10.0.0.7/h", "https://[::1]/h", "https://169.254.169.254/latest",
                                 "http://example.com/hooks", "https://user:pw@example.com/h", "ftp://example.com/h"])
def test_private_loopback_and_plain_http_urls_are_refused_in_production(staff, url):
    with override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False), pytest.raises(ValidationFailed) as refused:
        services.endpoint_create(actor=staff, url=url, events=["order.paid"])
    assert "url" in refused.value.fields


@TX
def test_a_url_that_turned_private_is_refused_at_send_time(staff, shop, receiver):
    endpoint_for(staff, receiver)  # allowed in tests
    shop.pay()
    with override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False):
        deliver()
    assert receiver.requests == []
    row = delivery()
    assert row.status == "failed" and row.error.startswith("refused:")
