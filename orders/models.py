"""Group-buys (团购/接龙), team purchases (拼团), orders, pickup points, commissions.

What a member pays for an order is a charge in payments/ (payments, wallet, refunds live there).

Every table carries its own community_id (the tenant). Counters that a race could break
(quantity sold, per-member quantities, team sizes) change only by guarded
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
    # For clients that sync (?updated_since=), partner systems among them: moved by every save()
    # (see save()) and by the services' queryset updates of the status.
    updated_at = models.DateTimeField(auto_now=True)

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
            models.Index(fields=["community", "updated_at"], name="group_buy_updated"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, update_fields=None, **kwargs):
        # auto_now fields are written only when named in update_fields (as Order.save).
        if update_fields is not None:
            update_fields = {*update_fields, "updated_at"}
        super().save(*args, update_fields=update_fields, **kwargs)

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


class RoundView(models.Model):
    """A member opened a round's page (counted once per member): the top of the 接龙 funnel, saw →
    ordered → paid → picked up (analytics)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="views")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group_buy", "member"], name="uniq_round_view")]
        indexes = [models.Index(fields=["community", "first_seen_at"], name="round_view_seen")]


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
            # Unpaid orders may wait beside the paid ones (at most twice the size in all); paid never pass it.
            models.CheckConstraint(condition=Q(paid_count__lte=F("size")), name="team_paid_never_overfull"),
            models.CheckConstraint(condition=Q(member_count__lte=F("size") * 2), name="team_seats_bounded"),
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
    # Taken off by a coupon when the order was placed (the total is already net of it).
    discount = models.DecimalField(_("discount"), default=0, **MONEY)
    # Taken off with the member's points (积分抵现), and the points it cost.
    points_discount = models.DecimalField(_("paid with points"), default=0, **MONEY)
    points_spent = models.PositiveIntegerField(default=0)
    # What the member owes for it, and what came in and went back (payments/).
    charge = models.OneToOneField("payments.Charge", on_delete=models.PROTECT, related_name="order")
    pickup_code = models.CharField(max_length=6, default=new_pickup_code)
    idempotency_key = models.CharField(max_length=100)
    request_fingerprint = models.CharField(max_length=64)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_reminder_sent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # For clients that sync (?updated_since=): moved by every save(), including the services'
    # save(update_fields=...) (see save()); a queryset .update() does not move it.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "member", "idempotency_key"], name="uniq_order_idempotency"),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="order_discount_not_negative"),
            models.CheckConstraint(condition=Q(points_discount__gte=0), name="order_points_discount_not_negative"),
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
            models.Index(fields=["community", "updated_at"], name="order_updated"),
            # Analytics: a period's paid orders (rollups, distinct buyers, top products).
            models.Index(fields=["community", "paid_at"], include=["member_id", "status", "branch_id"],
                         name="order_paid"),
            models.Index(fields=["community", "completed_at"], condition=Q(completed_at__isnull=False),
                         name="order_completed"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.member} {self.total}"

    def save(self, *args, update_fields=None, **kwargs):
        # auto_now fields are written only when named in update_fields: a partial save still
        # counts as a change for clients syncing by updated_at.
        if update_fields is not None:
            update_fields = {*update_fields, "updated_at"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def get_absolute_url(self):
        return reverse("orders:order", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def paid_amount(self):
        return self.charge.paid_amount

    @property
    def refunded_amount(self):
        return self.charge.refunded_amount

    @property
    def balance_due(self):
        return self.total - self.charge.paid_amount


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
    # Units the supplier reported it cannot deliver (out of stock), refunded to the member; never
    # more than the line holds (orders.fulfilment writes them under the order's lock).
    quantity_short = models.PositiveIntegerField(default=0, db_default=0)
    out_of_stock_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "item"], name="uniq_line_item"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_short__lte=F("quantity")), name="line_short_within_quantity"),
            models.CheckConstraint(condition=Q(quantity_short=0) | Q(out_of_stock_at__isnull=False),
                                   name="line_short_has_time"),
        ]
        indexes = [
            models.Index(fields=["community", "item"]),
            # Repurchase prompts: who bought the products on sale, how many (bench/repurchase_prompts.py).
            models.Index(fields=["product"], include=["order", "quantity"], name="orderline_product_cover"),
        ]


class Shipment(models.Model):
    """A supplier's fulfilment report for a round (a partner shop's system sends them): goods
    dispatched to or arrived at a pickup point, a product out of stock, a delivery order shipped or
    delivered. ``request_id`` is the client's key: a report sent again changes nothing and is
    answered as the first time (``outcome`` keeps what it did)."""

    class Kind(models.TextChoices):
        DISPATCHED = "dispatched", _("Dispatched to a pickup point")
        ARRIVED = "arrived", _("Arrived at a pickup point")
        OUT_OF_STOCK = "out_of_stock", _("Out of stock")
        SHIPPED = "shipped", _("Shipped to the member")
        DELIVERED = "delivered", _("Delivered to the member")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="shipments")
    supplier = models.ForeignKey("catalog.Supplier", on_delete=models.PROTECT, related_name="shipments")
    kind = models.CharField(_("report"), max_length=12, choices=Kind.choices)
    pickup_point = models.ForeignKey(PickupPoint, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="shipments", verbose_name=_("pickup point"))
    # A delivery order (shipped, delivered), or the one order an out-of-stock report is about.
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Out of stock: the units short in all (at the point, for the order, or in the round).
    quantity = models.PositiveIntegerField(null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking = models.CharField(_("tracking number"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    request_id = models.CharField(max_length=100)
    outcome = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supplier report")
        verbose_name_plural = _("supplier reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "supplier", "request_id"], name="uniq_shipment_request"),
            models.CheckConstraint(condition=~Q(kind__in=["dispatched", "arrived"]) | Q(pickup_point__isnull=False),
                                   name="shipment_to_a_point_has_point"),
            models.CheckConstraint(condition=~Q(kind__in=["shipped", "delivered"]) | Q(order__isnull=False),
                                   name="shipment_delivery_has_order"),
            models.CheckConstraint(condition=~Q(kind="out_of_stock") | Q(product__isnull=False),
                                   name="shipment_out_of_stock_has_product"),
            models.CheckConstraint(condition=Q(quantity__isnull=True) | Q(quantity__gt=0),
                                   name="shipment_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["community", "group_buy", "-created_at"], name="shipment_round"),
            models.Index(fields=["group_buy", "kind", "pickup_point"], name="shipment_arrivals"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


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
        indexes = [models.Index(fields=["community", "leader", "-created_at"]),
                   models.Index(fields=["community", "created_at"], name="commission_by_time")]  # analytics


# Coupons ---------------------------------------------------------------------------------------

COUPON_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_coupon_code() -> str:
    return "".join(secrets.choice(COUPON_CODE_ALPHABET) for _ in range(8))


class Coupon(models.Model):
    """A discount a member applies when ordering: an amount or a percent off, from a minimum spend,
    in a validity window, with a total and a per-member limit. A public code anyone may type, or
    (``handed_out_only``) usable only by members it was handed to (a batch, a reward), one use per
    coupon handed. Uses count only orders that are not cancelled: ``uses`` moves with them by
    guarded updates, and the CHECK holds it under the total limit whatever races."""

    class Kind(models.TextChoices):
        AMOUNT = "amount", _("Amount off")
        PERCENT = "percent", _("Percent off")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.AMOUNT)
    amount_off = models.DecimalField(_("amount off"), null=True, blank=True, **MONEY)
    percent_off = models.PositiveSmallIntegerField(_("percent off"), null=True, blank=True)
    min_spend = models.DecimalField(_("minimum spend"), default=0, **MONEY)
    starts_at = models.DateTimeField(_("valid from"))
    ends_at = models.DateTimeField(_("valid until"))
    total_limit = models.PositiveIntegerField(_("total uses"), null=True, blank=True)
    per_member_limit = models.PositiveSmallIntegerField(_("uses per member"), default=1)
    handed_out_only = models.BooleanField(_("only for members it is handed to"), default=False)
    new_members_only = models.BooleanField(_("only for a member's first order"), default=False)
    group_buy = models.ForeignKey(GroupBuy, null=True, blank=True, on_delete=models.CASCADE, related_name="coupons",
                                  verbose_name=_("only in this group-buy"))
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="coupons",
                                      verbose_name=_("only on these products"))
    is_active = models.BooleanField(_("active"), default=True)
    uses = models.PositiveIntegerField(default=0)  # redemptions by orders not cancelled
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="uniq_coupon_code"),
            models.CheckConstraint(
                condition=(Q(kind="amount", amount_off__gt=0, percent_off__isnull=True)
                           | Q(kind="percent", amount_off__isnull=True, percent_off__gte=1, percent_off__lte=100)),
                name="coupon_kind_has_value"),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="coupon_min_spend_not_negative"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="coupon_window_valid"),
            models.CheckConstraint(condition=Q(per_member_limit__gte=1), name="coupon_per_member_positive"),
            models.CheckConstraint(condition=Q(total_limit__isnull=True) | Q(uses__lte=F("total_limit")),
                                   name="coupon_uses_within_limit"),
        ]
        indexes = [models.Index(fields=["community", "updated_at"], name="coupon_updated")]

    def __str__(self):
        return f"{self.code} {self.name}"


class CouponBatch(models.Model):
    """Coupons handed out at once to a segment of members (a level, a branch, the lapsed...)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="batches")
    segment = models.CharField(_("segment"), max_length=200)  # what the admin chose, in words
    member_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "coupon"])]


class MemberCoupon(models.Model):
    """A member's standing with a coupon: how many were handed to them and how many their orders
    (not cancelled) use. For a public code ``handed`` stays 0 and the per-member limit bounds
    ``used``; for a handed-out one each coupon handed is one use. Both counters change only by the
    guarded statements in orders.coupons."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="holders")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    handed = models.PositiveIntegerField(default=0)
    used = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["coupon", "member"], name="uniq_member_coupon")]
        indexes = [models.Index(fields=["community", "member"])]


class CouponGrant(models.Model):
    """One coupon handed to a member, once per key (a batch, a referral reward, points spent), so a
    retried hand-out gives nothing twice."""

    class Source(models.TextChoices):
        BATCH = "batch", _("Handed out by an admin")
        REWARD = "reward", _("Reward")
        POINTS = "points", _("Bought with points")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="grants")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(CouponBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="grants")
    source = models.CharField(max_length=8, choices=Source.choices)
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["community", "key"], name="uniq_coupon_grant_key")]
        indexes = [models.Index(fields=["community", "member", "-created_at"])]


class CouponRedemption(models.Model):
    """A coupon used by an order (one per order). Released, once, when the order is cancelled or
    expires (or is refunded before it was completed): the use goes back to the coupon and member."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="coupon_redemption")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="coupon_redemption_positive")]
        indexes = [models.Index(fields=["community", "coupon", "-created_at"])]
