"""Partner shops (suppliers with their own systems): staff, connections to communities, API keys,
webhook endpoints, and the events and deliveries sent to them.

A partner is an organisation of its own, not a community: its staff are users with a
``PartnerStaff`` row, and it sees a community only through an active ``Connection``. In a
connected community the partner is a ``catalog.Supplier`` (the connection's), and "its" products,
rounds and order lines are those of that supplier.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What an API key may do (Shopify's style: ``write_`` implies ``read_`` of the same thing)."""

    READ_PRODUCTS = "read_products", _("Read its products")
    WRITE_PRODUCTS = "write_products", _("Push products and stock")
    READ_ROUNDS = "read_rounds", _("Read rounds and purchase sheets")
    READ_ORDERS = "read_orders", _("Read order lines")
    WRITE_FULFILLMENTS = "write_fulfillments", _("Report fulfilment")
    MANAGE_WEBHOOKS = "manage_webhooks", _("Manage webhook endpoints")


# A write scope grants the read scope of the same resource.
IMPLIED_SCOPES = {
    Scope.WRITE_PRODUCTS: {Scope.READ_PRODUCTS},
    Scope.WRITE_FULFILLMENTS: {Scope.READ_ORDERS},
}


def effective_scopes(scopes) -> set[str]:
    granted = {str(s) for s in scopes}
    for scope in list(granted):
        granted |= {str(s) for s in IMPLIED_SCOPES.get(scope, ())}
    return granted


class EventType(models.TextChoices):
    """What a webhook endpoint can subscribe to."""

    ROUND_OPENED = "round.opened", _("A round selling its products opened")
    ROUND_CLOSED = "round.closed", _("Such a round closed")
    ROUND_SUCCEEDED = "round.succeeded", _("Such a round succeeded")
    ROUND_FAILED = "round.failed", _("Such a round failed")
    ORDER_PAID = "order.paid", _("An order with its products was paid")
    ORDER_CANCELLED = "order.cancelled", _("Such an order was cancelled")
    ORDER_REFUNDED = "order.refunded", _("Such an order was refunded")
    PRODUCT_APPROVED = "product.approved", _("A pushed product was approved")
    PRODUCT_LOW_STOCK = "product.low_stock", _("A product's stock ran low")


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("short name"), max_length=40, unique=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    description = models.TextField(_("about"), max_length=1000, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner shop")
        verbose_name_plural = _("partner shops")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class PartnerStaff(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_staff")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner staff")
        verbose_name_plural = _("partner staff")
        constraints = [models.UniqueConstraint(fields=["partner", "user"], name="uniq_partner_staff")]

    def __str__(self):
        return f"{self.user} @ {self.partner}"


class Connection(models.Model):
    """A partner and a community that deal with each other. Either side asks; the other decides."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Asked by the partner")
        INVITED = "invited", _("Invited by the community")
        ACTIVE = "active", _("Connected")
        REFUSED = "refused", _("Refused")
        ENDED = "ended", _("Ended")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="connections")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="partner_connections")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # The partner as the community's supplier: its products are this supplier's.
    supplier = models.OneToOneField("catalog.Supplier", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="partner_connection")
    # Products the partner pushes wait for an admin before they can be sold.
    review_products = models.BooleanField(_("review pushed products"), default=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("partner connection")
        verbose_name_plural = _("partner connections")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "community"], name="uniq_partner_connection"),
            models.CheckConstraint(condition=~Q(status="active") | Q(supplier__isnull=False),
                                   name="active_connection_has_supplier"),
        ]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self):
        return f"{self.partner} ↔ {self.community}"


KEY_PREFIX = "sqp_live_"
# The visible part after the prefix: it names the key in lists and logs without revealing it.
KEY_ID_LENGTH = 8


class ApiKey(models.Model):
    """A partner system's key: ``sqp_live_<8-char id>_<secret>``, shown once.

    Only the SHA-256 of the whole key is stored (a random 256-bit secret needs no slow hash, and
    the check stays one indexed lookup); the id part is kept to name it.
    """

    # last_used_at is written at most this often per key (a guarded UPDATE), not on every call.
    LAST_USED_RESOLUTION = timedelta(minutes=1)

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=60)
    key_id = models.CharField(max_length=KEY_ID_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(models.CharField(max_length=24, choices=Scope.choices), verbose_name=_("scopes"))
    # Empty: every community the partner is connected to.
    community_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(scopes__len__gt=0), name="api_key_has_scope")]

    def __str__(self):
        return f"{self.name} ({self.display})"

    @property
    def display(self) -> str:
        return f"{KEY_PREFIX}{self.key_id}_…"

    @staticmethod
    def new_key() -> tuple[str, str]:
        """(key id, full key)."""
        key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
        return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    def allows_community(self, community_id: int) -> bool:
        return not self.community_ids or community_id in self.community_ids


def new_webhook_secret() -> str:
    """``whsec_`` + standard base64 of 32 random bytes (what Standard Webhooks libraries decode)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True)
    events = ArrayField(models.CharField(max_length=32, choices=EventType.choices), verbose_name=_("events"))
    secret = models.CharField(max_length=64, default=new_webhook_secret)
    # After a rotation the old secret signs too, until it expires: receivers switch with no gap.
    previous_secret = models.CharField(max_length=64, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Failed deliveries in a row (a success resets it); at the threshold the endpoint is disabled.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(events__len__gt=0), name="webhook_endpoint_has_event")]
        indexes = [models.Index(fields=["partner", "is_active"])]

    def __str__(self):
        return self.url


class WebhookEvent(models.Model):
    """One thing a partner is told, rendered once (``evt_…`` is the id receivers dedupe on)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhook_events")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=32, choices=EventType.choices)
    # The core.DomainEvent it came from: the handler that renders it runs at least once.
    source_event_id = models.BigIntegerField()
    data = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["partner", "source_event_id", "type"],
                                               name="uniq_webhook_event_source")]
        indexes = [models.Index(fields=["partner", "-created_at"]), models.Index(fields=["community", "-created_at"])]

    def __str__(self):
        return self.public_id

    @property
    def public_id(self) -> str:
        return f"evt_{self.uid.hex}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: tried until it succeeds, gives up, or the endpoint is disabled."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")  # gave up (4xx, or retries exhausted), or the endpoint was disabled

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the next try is due (NULL once settled). A try in flight holds it a lease ahead, so a
    # worker killed mid-request leaves it due again, and it is sent again with the same event id.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="uniq_webhook_delivery"),
            models.CheckConstraint(condition=Q(status="pending") | Q(next_attempt_at__isnull=True),
                                   name="settled_delivery_not_due"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False),
                         name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-id"]),
            models.Index(fields=["partner", "-id"]),
            models.Index(fields=["community", "-id"]),
        ]

    def __str__(self):
        return f"{self.event_id} → {self.endpoint_id}"
