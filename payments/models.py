"""Money: charges (anything a member pays for), payments by method, the wallet (储值) ledger, refunds.

This app knows nothing of what is sold. A selling app (orders today; pledges, split-bill shares
and event tickets next) creates a ``Charge`` for what the member owes and points to it; payments,
refunds and wallet lines reference the charge. Counters that a race could break (a wallet's
balance, a charge's paid and refunded amounts) change only by guarded updates in
``payments.services``, and database constraints back each of them.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class Charge(models.Model):
    """What one member owes for one thing (an order, a pledge...), and what came in and went back."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="charges")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charges")
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    # What it is for, in the selling app's words: "order", later "pledge", "share", "ticket".
    purpose = models.CharField(max_length=20)
    description = models.CharField(max_length=200)
    # Where the member sees what they paid for (links in notices and in the wallet's ledger).
    url = models.CharField(max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    paid_amount = models.DecimalField(default=0, **MONEY)
    refunded_amount = models.DecimalField(default=0, **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(paid_amount__gte=0) & Q(refunded_amount__gte=0),
                                   name="pay_charge_amounts_not_negative"),
            models.CheckConstraint(condition=Q(refunded_amount__lte=F("paid_amount")),
                                   name="pay_charge_refund_within_paid"),
        ]
        indexes = [models.Index(fields=["community", "member", "-created_at"])]

    def __str__(self):
        return self.description

    @property
    def balance_due(self):
        return self.amount - self.paid_amount


class Payment(models.Model):
    """One attempt to pay a charge, by one method."""

    class Method(models.TextChoices):
        WALLET = "wallet", _("Wallet balance")
        MANUAL = "manual", _("Transfer or cash (confirmed by an admin)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        SUCCEEDED = "succeeded", _("Received")
        DECLINED = "declined", _("Not received")
        CANCELLED = "cancelled", _("Cancelled")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="payments")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When the admins were reminded that this reported transfer waits for them (once).
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pay_payment_amount_positive"),
            # At most one successful payment per charge: a double "mark paid" cannot charge twice.
            models.UniqueConstraint(fields=["charge"], condition=Q(status="succeeded"),
                                    name="pay_one_successful_payment"),
            # At most one transfer report waiting per charge.
            models.UniqueConstraint(fields=["charge"], condition=Q(status="pending"), name="pay_one_pending_payment"),
        ]
        indexes = [
            models.Index(fields=["community", "status", "created_at"]),
            # The reminder sweep: reports still waiting, oldest first.
            models.Index(fields=["created_at"], condition=Q(status="pending", reminded_at__isnull=True),
                         name="pay_payment_waiting_reminder"),
        ]


class Wallet(models.Model):
    """储值: a member's prepaid balance in one community. The ledger explains every cent of it."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="wallets")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallets")
    balance = models.DecimalField(default=0, **MONEY)
    currency = models.CharField(max_length=3, default="CNY")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "member"], name="pay_uniq_wallet"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="pay_wallet_never_negative"),
        ]


class WalletEntry(models.Model):
    """Append-only ledger line. ``key`` makes each business event writable once (refunds above all)."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)  # signed: credits positive, debits negative
    balance_after = models.DecimalField(**MONEY)
    key = models.CharField(max_length=160)
    charge = models.ForeignKey(Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="wallet_entries")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="pay_uniq_wallet_entry_key"),
            models.CheckConstraint(condition=~Q(amount=0), name="pay_wallet_entry_not_zero"),
        ]
        indexes = [models.Index(fields=["community", "wallet", "-created_at"])]


# Why money goes back, in words for admins and members (selling apps pass the reason code).
REFUND_REASONS = {
    "tier_price": _("Tier price difference"),
    "group_buy_failed": _("The group-buy did not reach its goal"),
    "group_buy_cancelled": _("The group-buy was cancelled"),
    "cancelled": _("Cancelled by the member"),
    "admin": _("Refunded by an admin"),
    "team_failed": _("The team did not fill up"),
    "team_full": _("The team filled up before this payment"),
    "cancelled_before_confirmed": _("The transfer arrived after the order was cancelled"),
    "campaign_failed": _("The campaign did not reach its goal"),
    "campaign_cancelled": _("The campaign was cancelled"),
    "collection_refunded": _("The organizer closed the collection and refunded it"),
    "arrived_too_late": _("The transfer arrived after it was no longer due"),
    "event_cancelled": _("The event was cancelled"),
    "out_of_stock": _("Out of stock at the supplier"),
}


class Refund(models.Model):
    """Money going back to a member, written once per key: credited to the wallet at once (done), or
    owed "to pay back by hand" (the member paid by transfer) until an admin records it paid back."""

    class Status(models.TextChoices):
        DONE = "done", _("Refunded")
        TO_PAY_BACK = "to_pay_back", _("To pay back by hand")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="refunds")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=10, choices=Payment.Method.choices)
    status = models.CharField(max_length=12, choices=Status.choices)
    reason = models.CharField(max_length=40)
    # What the admin wrote when refunding by hand ("mangoes bruised"), shown to the member.
    note = models.CharField(max_length=200, blank=True)
    key = models.CharField(max_length=120)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_back_at = models.DateTimeField(null=True, blank=True)
    paid_back_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    paid_back_reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="pay_uniq_refund_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="pay_refund_amount_positive"),
            models.CheckConstraint(condition=Q(status="done") | Q(paid_back_at__isnull=True),
                                   name="pay_refund_paid_back_only_when_done"),
        ]
        indexes = [models.Index(fields=["community", "status", "-created_at"]),
                   # Analytics: refunds made in a period (the daily rollups).
                   models.Index(fields=["community", "created_at"], name="refund_created")]

    @property
    def reason_label(self):
        return REFUND_REASONS.get(self.reason, self.reason)
