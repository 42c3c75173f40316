"""Group-buys (团购/接龙), team purchases (拼团), orders, payments, wallets, refunds, commissions.

Every table carries its own community_id (the tenant). Counters that a race could break
(quantity sold, per-member quantities, wallet balances, team sizes) change only by guarded
updates in orders.services, and database constraints back each of them.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class PickupPoint(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="pickup_points")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="branch_pickup_points", verbose_name=_("branch"))
    name = models.CharField(_("name"), max_length=80)
    address = models.CharField(_("address"), max_length=200)
    hours = models.CharField(_("opening hours"), max_length=120, blank=True)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="pickup_points", verbose_name=_("leader in charge"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="uniq_pickup_point_name")]

    def __str__(self):
        return self.name


class GroupBuy(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    class Mode(models.TextChoices):
        NORMAL = "normal", _("Group-buy (接龙)")
        TEAM = "team", _("Team purchase (拼团)")

    class SuccessRule(models.TextChoices):
        NONE = "none", _("Always goes ahead")
        MIN_QUANTITY = "min_quantity", _("Minimum total quantity")
        MIN_AMOUNT = "min_amount", _("Minimum total amount")
        MIN_BUYERS = "min_buyers", _("Minimum number of buyers")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="group_buys")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.NORMAL)
    team_size = models.PositiveSmallIntegerField(_("team size"), null=True, blank=True)
    team_window_hours = models.PositiveSmallIntegerField(_("team window (hours)"), default=24)
    # Empty: the whole community (every branch) sees it.
    branches = models.ManyToManyField("communities.Community", blank=True, related_name="branch_group_buys",
                                      verbose_name=_("branches"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    expected_pickup_at = models.DateTimeField(_("expected pickup"), null=True, blank=True)
    pickup_points = models.ManyToManyField(PickupPoint, blank=True, related_name="group_buys",
                                           verbose_name=_("pickup points"))
    allows_delivery = models.BooleanField(_("delivery"), default=False)
    delivery_fee = models.DecimalField(_("delivery fee"), default=0, **MONEY)
    success_rule = models.CharField(_("success rule"), max_length=16, choices=SuccessRule.choices,
                                    default=SuccessRule.NONE)
    success_threshold = models.DecimalField(_("threshold"), default=0, **MONEY)
    commission_rate = models.DecimalField(_("commission rate"), max_digits=5, decimal_places=4, default=0,
                                          help_text=_("Share of each completed order, e.g. 0.05 for 5%."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    closing_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("group-buy")
        verbose_name_plural = _("group-buys")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="group_buy_closes_after_opening"),
            models.CheckConstraint(condition=Q(success_threshold__gte=0), name="group_buy_threshold_not_negative"),
            models.CheckConstraint(condition=Q(commission_rate__gte=0) & Q(commission_rate__lte=1),
                                   name="group_buy_commission_rate_range"),
            models.CheckConstraint(condition=~Q(mode="team") | Q(team_size__gte=2), name="team_size_at_least_two"),
        ]
        indexes = [
            # The sweeps: rounds due to open, rounds due to close.
            models.Index(fields=["status", "opens_at"], name="group_buy_due_open"),
            models.Index(fields=["status", "closes_at"], name="group_buy_due_close"),
            models.Index(fields=["community", "status"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("orders:group_buy", kwargs={"slug": self.community.slug, "pk": self.pk})


class GroupBuyItem(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="group_buy_items")
    group_price = models.DecimalField(_("group price"), **MONEY)
    quantity_on_offer = models.PositiveIntegerField(_("quantity on offer"))
    # Units held by live orders (pending payment, paid, confirmed...). Changed only by guarded updates.
    quantity_sold = models.PositiveIntegerField(default=0)
    per_member_limit = models.PositiveIntegerField(_("limit per member"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Mirrors "the round is open" on the row that every order updates: opening and closing flip it
    # under the item's row lock, so an order racing the close either lands before the tally or fails.
    is_open = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_sold__lte=F("quantity_on_offer")), name="item_never_oversold"),
            models.CheckConstraint(condition=Q(group_price__gte=0), name="item_price_not_negative"),
            models.CheckConstraint(condition=Q(per_member_limit__isnull=True) | Q(per_member_limit__gt=0),
                                   name="item_limit_positive"),
            models.UniqueConstraint(fields=["group_buy", "product"], name="uniq_item_product"),
        ]
        indexes = [models.Index(fields=["community", "group_buy"])]

    def __str__(self):
        return f"{self.product} @ {self.group_price}"

    @property
    def remaining(self) -> int:
        return self.quantity_on_offer - self.quantity_sold


class PriceTier(models.Model):
    """阶梯价: once the item's sold quantity reaches min_quantity, everyone pays ``price``."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(GroupBuyItem, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.PositiveIntegerField(_("from quantity"))
    price = models.DecimalField(_("price"), **MONEY)

    class Meta:
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["item", "min_quantity"], name="uniq_tier_quantity"),
            models.CheckConstraint(condition=Q(price__gte=0), name="tier_price_not_negative"),
        ]


class MemberAllowance(models.Model):
    """How many units of an item a member holds, with the limit copied in: the database refuses more."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(GroupBuyItem, on_delete=models.CASCADE, related_name="allowances")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=0)
    limit = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="uniq_allowance"),
            models.CheckConstraint(condition=Q(quantity__lte=F("limit")), name="allowance_within_limit"),
        ]


class Team(models.Model):
    """拼团: opened by a member's paid order; succeeds when ``size`` members have paid in time."""

    class Status(models.TextChoices):
        FORMING = "forming", _("Forming")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="teams")
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="teams")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="led_teams")
    code = models.CharField(max_length=12, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FORMING)
    size = models.PositiveSmallIntegerField()
    # Orders in the team (pending or paid) and paid ones; both changed by guarded updates.
    member_count = models.PositiveSmallIntegerField(default=0)
    paid_count = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(member_count__lte=F("size")), name="team_never_overfull"),
            models.CheckConstraint(condition=Q(paid_count__lte=F("member_count")), name="team_paid_within_members"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="team_due")]

    def get_absolute_url(self):
        return reverse("orders:team", kwargs={"slug": self.community.slug, "code": self.code})


def new_pickup_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def new_team_code() -> str:
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CONFIRMED = "confirmed", _("Confirmed")
        READY = "ready", _("Ready for pickup")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    class Fulfilment(models.TextChoices):
        PICKUP = "pickup", _("Pickup")
        DELIVERY = "delivery", _("Delivery")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="orders")
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.PROTECT, related_name="orders")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="branch_orders")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT)
    fulfilment = models.CharField(_("fulfilment"), max_length=10, choices=Fulfilment.choices,
                                  default=Fulfilment.PICKUP)
    pickup_point = models.ForeignKey(PickupPoint, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="orders", verbose_name=_("pickup point"))
    delivery_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    currency = models.CharField(max_length=3, default="CNY")
    total = models.DecimalField(_("total"), **MONEY)
    paid_amount = models.DecimalField(default=0, **MONEY)
    refunded_amount = models.DecimalField(default=0, **MONEY)
    pickup_code = models.CharField(max_length=6, default=new_pickup_code)
    idempotency_key = models.CharField(max_length=100)
    request_fingerprint = models.CharField(max_length=64)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_reminder_sent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "member", "idempotency_key"], name="uniq_order_idempotency"),
            models.CheckConstraint(condition=Q(total__gte=0) & Q(paid_amount__gte=0) & Q(refunded_amount__gte=0),
                                   name="order_amounts_not_negative"),
            models.CheckConstraint(condition=Q(refunded_amount__lte=F("paid_amount")), name="order_refund_within_paid"),
            models.CheckConstraint(condition=~Q(fulfilment="pickup") | Q(pickup_point__isnull=False),
                                   name="pickup_order_has_point"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="order_due_expiry"),
            models.Index(fields=["community", "group_buy", "status"]),
            models.Index(fields=["community", "member", "-created_at"]),
            # Not unique: a leader typing a code sees every ready order with it (a clash is rare) and
            # picks by name.
            models.Index(fields=["community", "pickup_code"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.member} {self.total}"

    def get_absolute_url(self):
        return reverse("orders:order", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def balance_due(self):
        return self.total - self.paid_amount


class OrderLine(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(GroupBuyItem, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    # Snapshots: what the member saw when ordering.
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=16)
    unit_price = models.DecimalField(**MONEY)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "item"], name="uniq_line_item"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
        ]
        indexes = [models.Index(fields=["community", "item"])]


class Payment(models.Model):
    class Method(models.TextChoices):
        WALLET = "wallet", _("Wallet balance")
        MANUAL = "manual", _("Transfer or cash (confirmed by an admin)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        SUCCEEDED = "succeeded", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="payments")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # At most one successful payment per order: a double "mark paid" cannot charge twice.
            models.UniqueConstraint(fields=["order"], condition=Q(status="succeeded"), name="one_successful_payment"),
        ]
        indexes = [models.Index(fields=["community", "status"])]


class Wallet(models.Model):
    """储值: a member's prepaid balance in one community. The ledger explains every cent of it."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="wallets")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallets")
    balance = models.DecimalField(default=0, **MONEY)
    currency = models.CharField(max_length=3, default="CNY")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "member"], name="uniq_wallet"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_never_negative"),
        ]


class WalletEntry(models.Model):
    """Append-only ledger line. ``key`` makes each business event writable once (refunds above all)."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        PAYMENT = "payment", _("Order payment")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)  # signed: credits positive, debits negative
    balance_after = models.DecimalField(**MONEY)
    key = models.CharField(max_length=120)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="wallet_entries")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="uniq_wallet_entry_key"),
            models.CheckConstraint(condition=~Q(amount=0), name="wallet_entry_not_zero"),
        ]
        indexes = [models.Index(fields=["community", "wallet", "-created_at"])]


class Refund(models.Model):
    """Money going back to a member. Written once per key (failed round, tier difference, team...)."""

    class Status(models.TextChoices):
        DONE = "done", _("Refunded")
        TO_PAY_BACK = "to_pay_back", _("To pay back by hand")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="refunds")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=10, choices=Payment.Method.choices)
    status = models.CharField(max_length=12, choices=Status.choices)
    reason = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="uniq_refund_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]


class Commission(models.Model):
    """A leader's earning on a completed order, or its reversal after a refund (one of each at most)."""

    class Kind(models.TextChoices):
        EARNED = "earned", _("Earned")
        REVERSED = "reversed", _("Reversed")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="commissions")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commissions")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="commissions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    rate = models.DecimalField(max_digits=5, decimal_places=4)
    base_amount = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)  # signed: reversals are negative
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="uniq_commission_per_kind")]
        indexes = [models.Index(fields=["community", "leader", "-created_at"])]
