"""Webhooks to partner shops: from the outbox to a signed HTTP POST, at least once.

1. The services write a ``core.DomainEvent`` in their own transaction (the outbox): nothing
   exists for a transaction that rolled back, and nothing is lost if a worker dies.
2. ``fan_out`` (a handler of the ``core.domain_events`` sweep) finds the partners whose products
   the event concerns, renders one ``WebhookEvent`` per partner (its own lines only, ``evt_…`` id)
   and one ``WebhookDelivery`` per subscribed endpoint, due now. It runs at least once; the
   unique keys make a second run write nothing.
3. The ``partners.webhook_deliveries`` sweep claims due deliveries (``SKIP LOCKED``), leases
   each (its next try moves a lease ahead, the attempt is counted), and after that transaction
   commits sends the POST (``_send``): never inside a transaction, never in a member's request.
   The answer is recorded in a short transaction of its own, guarded by the attempt number.
   A worker killed mid-request leaves the delivery due when the lease ends: it is sent again,
   with the same event id, and the receiver dedupes on it.

Retries: timeouts, connection errors, 5xx and 429 are retried on ``RETRY_SCHEDULE`` (about three
days); other answers are final. A failure also holds back the endpoint's other due deliveries for
the same wait (one dead endpoint costs one request per step, not one per event), and an endpoint
failing ``WEBHOOK_DISABLE_AFTER`` times in a row is disabled and its partner told.

Signing (the Standard Webhooks scheme): ``webhook-signature: v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">`` — one ``v1,…`` per active secret, space-separated, so a rotated
secret verifies with no gap; receivers refuse timestamps more than five minutes off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from functools import partial

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Product
from core.events import subscribe
from core.models import DomainEvent
from core.sweeps import Sweep, register
from orders.models import GroupBuy, GroupBuyItem, Order, OrderLine
from partners import payloads
from partners.models import Connection, EventType, PartnerStaff, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

SWEEP_NAME = "partners.webhook_deliveries"
# Waits after the 1st, 2nd... failed attempt: 11 attempts over about three days, then it gives up.
RETRY_SCHEDULE = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                  timedelta(hours=5), timedelta(hours=10), timedelta(hours=10), timedelta(hours=14),
                  timedelta(hours=14), timedelta(hours=14)]
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# A try in flight holds its delivery this long; past it, the delivery is due again.
LEASE = timedelta(minutes=2)
TIMEOUT = (3.05, 10)  # connect, read (seconds)
USER_AGENT = "Shequn-Webhooks/1"
# How far a receiver lets the timestamp be off before refusing (documented in README).
TOLERANCE = timedelta(minutes=5)

# Domain event → partner event type (a cancelled round is a failed one for its suppliers).
_TYPES = {
    "group_buy.open": EventType.ROUND_OPENED,
    "group_buy.closed": EventType.ROUND_CLOSED,
    "group_buy.succeeded": EventType.ROUND_SUCCEEDED,
    "group_buy.failed": EventType.ROUND_FAILED,
    "group_buy.cancelled": EventType.ROUND_FAILED,
    "order.paid": EventType.ORDER_PAID,
    "order.cancelled": EventType.ORDER_CANCELLED,
    "order.refunded": EventType.ORDER_REFUNDED,
    "product.approved": EventType.PRODUCT_APPROVED,
    "product.low_stock": EventType.PRODUCT_LOW_STOCK,
}


def disable_after() -> int:
    return getattr(settings, "WEBHOOK_DISABLE_AFTER", 10)


# Fan-out ---------------------------------------------------------------------------------------

def _suppliers_and_render(event: DomainEvent):
    """(supplier ids the event concerns, render(supplier_id) → data) or (set(), None) when gone."""
    payload = event.payload
    if event.name.startswith("group_buy."):
        group_buy = GroupBuy.objects.filter(pk=payload.get("group_buy_id")).first()
        if group_buy is None:
            return set(), None
        suppliers = set(GroupBuyItem.objects.filter(group_buy=group_buy, product__supplier__isnull=False)
                        .values_list("product__supplier_id", flat=True))
        extra = {"reason": "cancelled"} if event.name == "group_buy.cancelled" else {}
        return suppliers, lambda supplier_id: {**payloads.round_data(group_buy, supplier_id), **extra}
    if event.name.startswith("order."):
        order = Order.objects.select_related("pickup_point").filter(pk=payload.get("order_id")).first()
        if order is None:
            return set(), None
        suppliers = set(OrderLine.objects.filter(order=order, product__supplier__isnull=False)
                        .values_list("product__supplier_id", flat=True))
        extra = {key: payload[key] for key in ("reason", "amount") if key in payload}
        return suppliers, lambda supplier_id: {**payloads.order_data(order, supplier_id), **extra}
    product = Product.objects.filter(pk=payload.get("product_id")).first()
    if product is None or product.supplier_id is None:
        return set(), None
    return {product.supplier_id}, lambda supplier_id: payloads.product_data(product)


def fan_out(event: DomainEvent) -> None:
    """Turn one committed domain event into the webhook events and deliveries it causes."""
    event_type = _TYPES[event.name]
    suppliers, render = _suppliers_and_render(event)
    if not suppliers:
        return
    connections = list(Connection.objects.filter(community_id=event.community_id, status=Connection.Status.ACTIVE,
                                                 supplier_id__in=suppliers, partner__is_active=True)
                       .select_related("community"))
    if not connections:
        return
    endpoints = {}
    for endpoint in WebhookEndpoint.objects.filter(partner__in=[c.partner_id for c in connections], is_active=True,
                                                   events__contains=[event_type]):
        endpoints.setdefault(endpoint.partner_id, []).append(endpoint)
    now, created = timezone.now(), 0
    for conn in connections:
        if conn.partner_id not in endpoints:
            continue
        data = {"community": payloads.community_ref(conn.community), event_type.split(".")[0]: render(conn.supplier_id)}
        webhook_event, _new = WebhookEvent.objects.get_or_create(
            partner_id=conn.partner_id, source_event_id=event.pk, type=event_type,
            defaults={"community_id": event.community_id, "data": data})
        created += len(WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(event=webhook_event, endpoint=endpoint, partner_id=conn.partner_id,
                             community_id=event.community_id, next_attempt_at=now)
             for endpoint in endpoints[conn.partner_id]], ignore_conflicts=True))
    if created:
        transaction.on_commit(kick, robust=True)


def kick() -> None:
    """Ask a worker to send what is due. A round settling a thousand orders fans out thousands of
    events, each kicking on commit: one task per ``WEBHOOK_KICK_DEBOUNCE`` seconds is enough, since
    a sweep run reads due rows until none is left (and beat runs it every 30 s anyway)."""
    from django.core.cache import cache

    from core.tasks import run_sweep

    debounce = getattr(settings, "WEBHOOK_KICK_DEBOUNCE", 1)
    if debounce and not cache.add("partners:webhook-kick", 1, timeout=debounce):
        return
    run_sweep.delay(SWEEP_NAME)


def connect() -> None:
    """Called by PartnersConfig.ready: listen to the events partners can hear of."""
    for name in _TYPES:
        subscribe(name, fan_out)


# Signing ---------------------------------------------------------------------------------------

def _secret_bytes(secret: str) -> bytes:
    """The HMAC key: the base64 after ``whsec_`` decoded (the Standard Webhooks convention)."""
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        return raw.encode()


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``."""
    message = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(endpoint: WebhookEndpoint, now) -> list[str]:
    secrets_ = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets_.append(endpoint.previous_secret)
    return secrets_


def verify(secret: str, headers, body: bytes, *, now: float | None = None) -> bool:
    """The receiver's check (as in README): a signature made with ``secret``, at most five minutes off."""
    try:
        event_id, timestamp = headers["webhook-id"], int(headers["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE.total_seconds():
        return False
    expected = sign(secret, event_id, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in headers.get("webhook-signature", "").split())


def body_of(webhook_event: WebhookEvent) -> bytes:
    return json.dumps({"id": webhook_event.public_id, "type": webhook_event.type,
                       "created_at": webhook_event.created_at.isoformat(), "data": webhook_event.data},
                      cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def request_for(delivery: WebhookDelivery, now) -> tuple[dict, bytes]:
    webhook_event, endpoint = delivery.event, delivery.endpoint
    body, timestamp = body_of(webhook_event), int(now.timestamp())
    signatures = " ".join(sign(s, webhook_event.public_id, timestamp, body) for s in signing_secrets(endpoint, now))
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": webhook_event.public_id,
               "webhook-timestamp": str(timestamp), "webhook-signature": signatures,
               "shequn-event-type": webhook_event.type, "shequn-delivery": str(delivery.pk)}
    return headers, body


# Sending ---------------------------------------------------------------------------------------

_session = None


def _http():
    global _session
    if _session is None:
        _session = requests.Session()
        _session.trust_env = False  # no proxy or netrc from the environment
    return _session


def _post(url: str, headers: dict, body: bytes) -> tuple[int | None, str, str]:
    """(status or None, body head, error). Never raises."""
    from partners.services import check_webhook_url

    problem = check_webhook_url(url)  # again at send time: a name may now resolve elsewhere
    if problem:
        return None, "", f"refused: {problem}"[:300]
    try:
        response = _http().post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False,
                                stream=True)
        try:
            head = response.raw.read(500, decode_content=True) or b""
        finally:
            response.close()
        return response.status_code, head.decode("utf-8", "replace")[:500], ""
    except requests.Timeout:
        return None, "", "timeout"
    except Exception as exc:  # requests' errors, and urllib3's from reading the body
        if "timed out" in str(exc).lower():
            return None, "", "timeout"
        return None, "", f"{type(exc).__name__}: {exc}"[:300]


def _retryable(status: int | None, error: str) -> bool:
    if error.startswith("refused:"):
        return False
    return status is None or status >= 500 or status in (408, 429)


def send(delivery_id: int, attempt: int) -> str | None:
    """Make try number ``attempt`` of a leased delivery and record the answer; the outcome, or
    None when another try has taken over. Runs outside any transaction."""
    if db_connection.in_atomic_block:
        raise RuntimeError("A webhook is never sent inside a database transaction.")
    delivery = (WebhookDelivery.objects.select_related("event", "endpoint")
                .filter(pk=delivery_id, attempts=attempt, status=WebhookDelivery.Status.PENDING).first())
    if delivery is None:
        return None
    now = timezone.now()
    headers, body = request_for(delivery, now)
    started = time.monotonic()
    status, head, error = _post(delivery.endpoint.url, headers, body)
    duration = int((time.monotonic() - started) * 1000)
    return record(delivery, attempt=attempt, status=status, body=head, error=error, duration_ms=duration)


def record(delivery: WebhookDelivery, *, attempt: int, status: int | None, body: str, error: str,
           duration_ms: int) -> str | None:
    """Store try ``attempt``'s answer (once: a later try or a settled delivery wins)."""
    now = timezone.now()
    ok = status is not None and 200 <= status < 300
    fields = {"response_status": status, "response_body": body.replace("\x00", "")[:500], "error": error[:300],
              "duration_ms": min(duration_ms, 2**31 - 1), "last_attempt_at": now}
    with transaction.atomic():
        if ok:
            # The common case takes no endpoint lock (parallel senders to one endpoint do not
            # queue) and does not wait for the disk.
            _no_wait_for_flush()
            fields.update(status=WebhookDelivery.Status.SUCCEEDED, next_attempt_at=None, delivered_at=now)
            if not WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt,
                                                  status=WebhookDelivery.Status.PENDING).update(**fields):
                return None
            if delivery.endpoint.consecutive_failures:
                WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(consecutive_failures=0)
            return WebhookDelivery.Status.SUCCEEDED
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        if _retryable(status, error) and attempt < MAX_ATTEMPTS and endpoint.is_active:
            outcome = WebhookDelivery.Status.PENDING
            wait = RETRY_SCHEDULE[min(max(attempt, endpoint.consecutive_failures + 1), len(RETRY_SCHEDULE)) - 1]
            fields.update(next_attempt_at=now + wait)
        else:
            outcome = WebhookDelivery.Status.FAILED
            fields.update(status=outcome, next_attempt_at=None)
        if not WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt,
                                              status=WebhookDelivery.Status.PENDING).update(**fields):
            return None
        failures = endpoint.consecutive_failures + 1
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
        if outcome == WebhookDelivery.Status.PENDING:
            # The endpoint's other due deliveries wait as long: one request per step, not one per event.
            WebhookDelivery.objects.filter(endpoint_id=endpoint.pk, status=WebhookDelivery.Status.PENDING,
                                           next_attempt_at__lt=fields["next_attempt_at"]).exclude(
                pk=delivery.pk).exclude(next_attempt_at__gt=now + LEASE / 2).update(
                next_attempt_at=fields["next_attempt_at"])
        if endpoint.is_active and failures >= disable_after():
            _disable(endpoint, now, reason=error or f"HTTP {status}")
    return outcome


def _no_wait_for_flush() -> None:
    """This transaction's commit does not wait for the WAL flush (``synchronous_commit`` off).

    Only for a delivery's lease and its answer: if PostgreSQL itself crashes, the last few
    milliseconds of those may be lost, and the delivery is then sent again with the same event id
    (which receivers dedupe on, as for any retry). Each delivery saves two disk flushes."""
    with db_connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _disable(endpoint: WebhookEndpoint, now, *, reason: str) -> None:
    from core.notifications import in_language_of, notify

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_at=now,
                                                          disabled_reason=reason[:200], updated_at=now)
    WebhookDelivery.objects.filter(endpoint_id=endpoint.pk, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None, error=_("endpoint disabled")[:300])
    for staff in PartnerStaff.objects.filter(partner_id=endpoint.partner_id).select_related("user"):
        with in_language_of(staff.user):
            notify(recipient=staff.user, kind="webhook_disabled",
                   title=_("Webhook endpoint switched off: %(url)s") % {"url": endpoint.url[:120]},
                   body=_("It failed %(count)s times in a row (last: %(reason)s). Fix it, switch it back on, "
                          "and redeliver what it missed from the delivery log.") % {
                       "count": disable_after(), "reason": reason[:100]},
                   url=reverse("partners:endpoint", kwargs={"partner_slug": endpoint.partner.slug,
                                                            "pk": endpoint.pk}),
                   dedupe_key=f"webhook_disabled:{endpoint.pk}:{int(now.timestamp())}")


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (the partner or the community's admin asked): a new try, same event id.

    Whatever its state: a delivered one is sent again, a failed one gets one more try (and the
    retries left in its schedule, if any), one waiting out a backoff is brought forward, one in
    flight is leased again (the earlier try's late answer is then ignored). A switched-off
    endpoint is refused: switch it back on first."""
    from core.exceptions import Conflict

    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        if not locked.endpoint.is_active:
            raise Conflict(_("This endpoint is switched off: switch it back on, then redeliver."),
                           code="endpoint_disabled")
        locked.status, locked.next_attempt_at = WebhookDelivery.Status.PENDING, timezone.now()
        locked.save(update_fields=["status", "next_attempt_at"])
        transaction.on_commit(kick, robust=True)
    return locked


@register
class WebhookDeliverySweep(Sweep):
    name = SWEEP_NAME
    label = gettext_lazy("Sending webhooks to partner shops")
    batch = 200

    def due(self, now):
        return WebhookDelivery.objects.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "id")

    def settle(self, delivery, now):
        # Still wanted? An endpoint switched off (by its partner, or after failing), a suspended
        # partner, or a connection that ended since the event: given up, nothing sent.
        wanted = WebhookEndpoint.objects.filter(
            pk=delivery.endpoint_id, is_active=True, partner__is_active=True,
            partner__connections__community_id=delivery.community_id,
            partner__connections__status=Connection.Status.ACTIVE).exists()
        if not wanted:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDelivery.Status.FAILED, next_attempt_at=None,
                error=_("endpoint switched off, or no longer connected to the community")[:300])
            return
        attempt = delivery.attempts + 1
        _no_wait_for_flush()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=attempt, next_attempt_at=now + LEASE,
                                                               last_attempt_at=now)
        # After this row's transaction commits: the POST is made outside any transaction. Robust:
        # whatever goes wrong there, the lease runs out and the delivery is tried again.
        transaction.on_commit(partial(send, delivery.pk, attempt), robust=True)

    def describe(self, delivery):
        return f"webhook delivery #{delivery.pk}"


__all__ = ["connect", "fan_out", "redeliver", "send", "sign", "verify"]
