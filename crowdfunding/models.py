"""Crowdfunding (众筹): reward campaigns and donation drives, and split-bill collections (AA收款).

What a backer or a participant pays is a charge in payments/ (paid from the wallet or by a
transfer an admin or the organizer confirms); this app points to it. Every table carries its own
community_id (the tenant). Counters a race could break (units taken of a limited tier) change
only by guarded updates in crowdfunding.services, and database constraints back each of them.

Equity and debt crowdfunding are not offered: a campaign never promises interest, dividends or
repayment (the creation form says so, and the services refuse words that promise them).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONEY = {"max_digits": 12, "decimal_places": 2}


def new_pickup_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class Campaign(models.Model):
    class Kind(models.TextChoices):
        REWARD = "reward", _("Reward (pre-sale of a batch)")
        DONATION = "donation", _("Donation (support the group's cause)")

    class FundingModel(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        KEEP_WHAT_YOU_RAISE = "keep_what_you_raise", _("Keep what you raise")

    class Status(models.TextChoices):
        # In a campaign's own words (a round "succeeded" reads 已成团 in Chinese; a campaign 众筹成功).
        DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
        LIVE = "live", pgettext_lazy("campaign status", "Live")
        SETTLING = "settling", pgettext_lazy("campaign status", "Settling")
        SUCCEEDED = "succeeded", pgettext_lazy("campaign status", "Succeeded")
        FAILED = "failed", pgettext_lazy("campaign status", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("campaign status", "Cancelled")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="campaigns")
    # Empty: the whole community sees it; a leader's campaign is for their branch.
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="branch_campaigns", verbose_name=_("branch"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REWARD)
    title = models.CharField(_("title"), max_length=120)
    story = models.TextField(_("story"), blank=True)
    goal = models.DecimalField(_("goal"), **MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    # The end of the chosen day in the community's timezone, stored as an instant.
    deadline = models.DateTimeField(_("deadline"))
    funding_model = models.CharField(_("funding model"), max_length=20, choices=FundingModel.choices,
                                     default=FundingModel.ALL_OR_NOTHING)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    cover = models.ImageField(upload_to="campaigns/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    # What the public saw at the deadline: shown while the campaign settles, so that a transfer
    # confirmed afterwards does not move the figure before the outcome is known.
    deadline_raised = models.DecimalField(null=True, blank=True, **MONEY)
    deadline_backers = models.PositiveIntegerField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    ending_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(goal__gt=0), name="cf_campaign_goal_positive"),
            models.CheckConstraint(condition=Q(kind__in=["reward", "donation"]), name="cf_campaign_kind_valid"),
            models.CheckConstraint(condition=Q(funding_model__in=["all_or_nothing", "keep_what_you_raise"]),
                                   name="cf_campaign_funding_model_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "live", "settling", "succeeded", "failed", "cancelled"]),
                name="cf_campaign_status_valid"),
        ]
        indexes = [
            # The sweeps: live campaigns due to settle, live campaigns ending soon.
            models.Index(fields=["status", "deadline"], name="cf_campaign_due"),
            models.Index(fields=["community", "status", "-created_at"]),
            # Analytics: campaigns ended in a period.
            models.Index(fields=["community", "settled_at"], name="cf_campaign_settled"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("crowdfunding:campaign", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED)


class CampaignImage(models.Model):
    """A photo of the story: validated and re-encoded without EXIF."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="campaigns/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["community", "campaign"])]


class RewardTier(models.Model):
    class Fulfilment(models.TextChoices):
        PICKUP = "pickup", _("Pickup at a pickup point")
        SHIPPING = "shipping", _("Shipping")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tiers")
    title = models.CharField(_("title"), max_length=80)
    description = models.CharField(_("description"), max_length=500, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    # None: unlimited. Units held by pending and paid pledges; changed only by guarded updates.
    quantity_limit = models.PositiveIntegerField(_("limited quantity"), null=True, blank=True)
    quantity_taken = models.PositiveIntegerField(default=0)
    estimated_delivery = models.DateField(_("estimated delivery"), null=True, blank=True)
    fulfilment = models.CharField(_("fulfilment"), max_length=10, choices=Fulfilment.choices,
                                  default=Fulfilment.PICKUP)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cf_tier_amount_positive"),
            models.CheckConstraint(condition=Q(quantity_limit__isnull=True) | Q(quantity_limit__gt=0),
                                   name="cf_tier_limit_positive"),
            models.CheckConstraint(condition=Q(quantity_limit__isnull=True) | Q(quantity_taken__lte=F("quantity_limit")),
                                   name="cf_tier_never_oversold"),
            models.CheckConstraint(condition=Q(fulfilment__in=["pickup", "shipping"]), name="cf_tier_fulfilment_valid"),
        ]
        indexes = [models.Index(fields=["community", "campaign"])]

    def __str__(self):
        return self.title

    @property
    def remaining(self) -> int | None:
        return None if self.quantity_limit is None else max(self.quantity_limit - self.quantity_taken, 0)


class TierPriceStep(models.Model):
    """阶梯价: once ``min_quantity`` units of the tier are backed, every backer pays ``price`` (the
    difference is refunded at settlement)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey(RewardTier, on_delete=models.CASCADE, related_name="price_steps")
    min_quantity = models.PositiveIntegerField(_("from quantity"))
    price = models.DecimalField(_("price"), **MONEY)

    class Meta:
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "min_quantity"], name="cf_uniq_price_step"),
            models.CheckConstraint(condition=Q(price__gt=0), name="cf_price_step_positive"),
            models.CheckConstraint(condition=Q(min_quantity__gte=2), name="cf_price_step_from_two"),
        ]
        indexes = [models.Index(fields=["community", "tier"])]


class Pledge(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        COLLECTED = "collected", _("Collected")  # the campaign succeeded: the money is the campaign's
        HANDED_OUT = "handed_out", _("Reward handed out")
        SHIPPED = "shipped", _("Reward shipped")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="pledges")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="pledges")
    # None: a gift without a reward (donations, or "just support" on a reward campaign).
    tier = models.ForeignKey(RewardTier, null=True, blank=True, on_delete=models.PROTECT, related_name="pledges")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledges")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    charge = models.OneToOneField("payments.Charge", on_delete=models.PROTECT, related_name="pledge")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT)
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.DecimalField(default=0, **MONEY)  # the tier's price when pledged (0 without a tier)
    extra_support = models.DecimalField(_("extra support"), default=0, **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)  # unit_amount × quantity + extra_support
    anonymous = models.BooleanField(_("anonymous"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    pickup_point = models.ForeignKey("orders.PickupPoint", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    shipping_address = models.CharField(_("shipping address"), max_length=300, blank=True)
    pickup_code = models.CharField(max_length=6, default=new_pickup_code)
    tracking = models.CharField(_("tracking number"), max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100)
    request_fingerprint = models.CharField(max_length=64)
    expires_at = models.DateTimeField(null=True, blank=True)  # unpaid pledges release their unit then
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    handed_out_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "member", "idempotency_key"], name="cf_uniq_pledge_idempotency"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="cf_pledge_amount_positive"),
            models.CheckConstraint(condition=Q(extra_support__gte=0) & Q(unit_amount__gte=0),
                                   name="cf_pledge_parts_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cf_pledge_quantity_positive"),
            models.CheckConstraint(condition=Q(amount=F("unit_amount") * F("quantity") + F("extra_support")),
                                   name="cf_pledge_amount_adds_up"),
            models.CheckConstraint(
                condition=Q(status__in=["pending_payment", "paid", "collected", "handed_out", "shipped", "cancelled",
                                        "refunded"]),
                name="cf_pledge_status_valid"),
        ]
        indexes = [
            models.Index(fields=["community", "campaign", "status"]),
            models.Index(fields=["community", "member", "-created_at"]),
            models.Index(fields=["community", "pickup_code"]),
            # The expiry sweep: unpaid pledges, oldest window first.
            models.Index(fields=["expires_at"], condition=Q(status="pending_payment"), name="cf_pledge_unpaid_due"),
            # Analytics: pledges paid in a period.
            models.Index(fields=["community", "paid_at"], name="cf_pledge_paid"),
        ]

    def __str__(self):
        return f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("crowdfunding:pledge", kwargs={"slug": self.community.slug, "pk": self.pk})


class CampaignUpdate(models.Model):
    """News from the creator ("the mooncakes are in the oven"): every backer is told."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "campaign", "-created_at"])]


class Collection(models.Model):
    """AA收款: a total split evenly (the remainder spread cent by cent) or a per-head amount, over a
    list of participants; everyone sees who has paid."""

    class Split(models.TextChoices):
        EVEN = "even", _("Split a total evenly")
        PER_HEAD = "per_head", _("Same amount per person")

    class Status(models.TextChoices):
        OPEN = "open", _("Collecting")
        COMPLETED = "completed", _("Everyone has paid")
        CLOSED = "closed", _("Closed early")

    class Outcome(models.TextChoices):
        KEPT = "kept", _("What was paid is kept")
        REFUNDED = "refunded", _("What was paid is refunded")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="collections")
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    description = models.CharField(_("description"), max_length=1000, blank=True)
    split = models.CharField(_("split"), max_length=10, choices=Split.choices, default=Split.EVEN)
    total = models.DecimalField(_("total"), **MONEY)  # what the shares add up to
    per_head = models.DecimalField(_("per person"), null=True, blank=True, **MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    idempotency_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When unpaid participants are reminded next (once automatically; the organizer may remind again).
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("split-bill collection")
        verbose_name_plural = _("split-bill collections")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "organizer", "idempotency_key"],
                                    name="cf_uniq_collection_idempotency"),
            models.CheckConstraint(condition=Q(total__gt=0), name="cf_collection_total_positive"),
            models.CheckConstraint(condition=Q(split="even") | Q(per_head__gt=0), name="cf_collection_per_head_set"),
            models.CheckConstraint(condition=Q(status__in=["open", "completed", "closed"]),
                                   name="cf_collection_status_valid"),
            models.CheckConstraint(condition=Q(status="open") | Q(closed_at__isnull=False),
                                   name="cf_collection_closed_has_time"),
        ]
        indexes = [
            models.Index(fields=["community", "status", "-created_at"]),
            models.Index(fields=["remind_at"], condition=Q(status="open"), name="cf_collection_remind_due"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("crowdfunding:collection", kwargs={"slug": self.community.slug, "pk": self.pk})


class CollectionShare(models.Model):
    class Status(models.TextChoices):
        UNPAID = "unpaid", _("Not paid yet")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        WAIVED = "waived", _("No longer due")  # the collection closed before it was paid

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="shares")
    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("share"), **MONEY)
    # Owed by whoever pays it: the participant, or the member paying for them (代付).
    charge = models.OneToOneField("payments.Charge", on_delete=models.PROTECT, related_name="share")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UNPAID)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "participant"], name="cf_uniq_share_participant"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="cf_share_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=["unpaid", "paid", "refunded", "waived"]),
                                   name="cf_share_status_valid"),
            models.CheckConstraint(condition=Q(status="unpaid") | Q(status="waived") | Q(paid_by__isnull=False),
                                   name="cf_share_paid_has_payer"),
        ]
        indexes = [models.Index(fields=["community", "collection"]),
                   models.Index(fields=["community", "participant"]),
                   # Analytics: shares paid in a period.
                   models.Index(fields=["community", "paid_at"], name="cf_share_paid")]
