"""Shapes of the campaigns API (众筹): input serializers check types only, output serializers render.

Business rules (freeze rules, limited tiers, states, who may do what) live in crowdfunding.services;
a serializer here never decides anything beyond "is this a well-formed value". Money is rendered as
strings with two decimals; times as ISO 8601. Numbers typed by people are read in ASCII digits only
("１２" is not 12): Python's int() and Decimal() would read them.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import IdField
from core.inputs import parse_int
from core.money import MAX_AMOUNT
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge, RewardTier
from orders.api.serializers import (MoneyField, NamedChoiceField, PaymentSerializer, PickupPointRefSerializer,
                                    RefundSerializer, UserRefSerializer)

# The columns' range; the real rules (1 to 99 units, limits up to a million) are the service's,
# which says them in the user's words.
MAX_INT = 2**31 - 1
MAX_TEXT = services.MAX_STORY
# The member sees their pickup code while the reward is theirs to collect.
CODE_VISIBLE = (Pledge.Status.PAID, Pledge.Status.COLLECTED, Pledge.Status.HANDED_OUT)


class AsciiIntegerField(serializers.IntegerField):
    """An integer in ASCII digits ("１２" and "٣" are errors, as in core.inputs)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and parse_int(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class AsciiDecimalField(serializers.DecimalField):
    """An amount in ASCII digits: Decimal("１２") would be 12."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.strip().isascii():
            self.fail("invalid")
        return super().to_internal_value(data)


def AmountField(**kwargs):  # noqa: N802 - reads like a field class
    kwargs.setdefault("min_value", Decimal("0"))
    kwargs.setdefault("max_value", MAX_AMOUNT)
    return AsciiDecimalField(max_digits=12, decimal_places=2, **kwargs)


# Small references ----------------------------------------------------------------------------

class CampaignRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = NamedChoiceField(enum_name="CampaignStatusEnum", choices=Campaign.Status.choices, read_only=True)


class TierRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    fulfilment = NamedChoiceField(enum_name="TierFulfilmentEnum", choices=RewardTier.Fulfilment.choices,
                                  read_only=True)


# Campaigns -----------------------------------------------------------------------------------

class PriceStepSerializer(serializers.Serializer):
    min_quantity = serializers.IntegerField(read_only=True, help_text=_("From this many units backed"))
    price = MoneyField(help_text=_("What every backer of the tier pays from then on"))


class TierSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    amount = MoneyField(help_text=_("The price of one unit before any price step"))
    current_price = serializers.SerializerMethodField(
        help_text=_("The price of one unit at the units backed so far (price steps)"))
    quantity_limit = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("null: unlimited"))
    remaining = serializers.IntegerField(read_only=True, allow_null=True,
                                         help_text=_("Units still available (null: unlimited)"))
    estimated_delivery = serializers.DateField(read_only=True, allow_null=True)
    fulfilment = NamedChoiceField(enum_name="TierFulfilmentEnum", choices=RewardTier.Fulfilment.choices,
                                  read_only=True)
    price_steps = PriceStepSerializer(source="price_steps.all", many=True, read_only=True)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_current_price(self, tier):
        price = services.tier_price(tier, tier.quantity_taken, list(tier.price_steps.all()))
        return serializers.DecimalField(max_digits=12, decimal_places=2).to_representation(price)


class AdminTierSerializer(TierSerializer):
    quantity_taken = serializers.IntegerField(read_only=True, help_text=_("Units held by pending and paid pledges"))


class TotalsSerializer(serializers.Serializer):
    """Progress, from the campaign itself: it carries ``totals`` and ``percent`` (selectors.with_totals)."""

    raised = MoneyField(source="totals.raised", help_text=_("Paid pledges (while settling: at the deadline)"))
    backers = serializers.IntegerField(source="totals.backers", read_only=True,
                                       help_text=_("Members with a paid pledge"))
    goal = MoneyField()
    percent = serializers.IntegerField(read_only=True, help_text=_("Raised as a percentage of the goal"))
    days_left = serializers.SerializerMethodField(
        help_text=_("Days until the deadline, a part of a day counted as one (0 once it passed)"))

    def get_days_left(self, campaign) -> int:
        seconds = (campaign.deadline - timezone.now()).total_seconds()
        return max(math.ceil(seconds / 86400), 0)


class AdminTotalsSerializer(TotalsSerializer):
    pending = MoneyField(source="totals.pending", help_text=_("Pledged and awaiting payment"))


class CampaignSerializer(serializers.Serializer):
    """A campaign in a list, with its progress (selectors.with_totals)."""

    id = serializers.IntegerField(read_only=True)
    kind = NamedChoiceField(enum_name="CampaignKindEnum", choices=Campaign.Kind.choices, read_only=True)
    title = serializers.CharField(read_only=True)
    goal = MoneyField()
    currency = serializers.CharField(read_only=True)
    deadline = serializers.DateTimeField(read_only=True,
                                         help_text=_("The end of the last day in the community's timezone"))
    funding_model = NamedChoiceField(enum_name="CampaignFundingModelEnum", choices=Campaign.FundingModel.choices,
                                     read_only=True)
    status = NamedChoiceField(enum_name="CampaignStatusEnum", choices=Campaign.Status.choices, read_only=True)
    cover_url = serializers.SerializerMethodField()
    totals = TotalsSerializer(source="*", read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_cover_url(self, campaign) -> str | None:
        if not campaign.cover:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(campaign.cover.url) if request is not None else campaign.cover.url


class BackerSerializer(serializers.Serializer):
    """A paid pledge on the campaign's page: an anonymous backer shows no name."""

    name = serializers.SerializerMethodField(help_text=_("null for an anonymous backer"))
    anonymous = serializers.BooleanField(read_only=True)
    tier = serializers.CharField(source="tier.title", read_only=True, allow_null=True, default=None)
    paid_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_name(self, pledge) -> str | None:
        return None if pledge.anonymous else pledge.member.display_name


class CampaignUpdateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    author = serializers.CharField(source="author.display_name", read_only=True, allow_null=True, default=None)
    created_at = serializers.DateTimeField(read_only=True)


class CampaignDetailSerializer(CampaignSerializer):
    """A campaign's page: its story, tiers, progress, recent backers and latest updates
    (``context["backers"]`` and ``context["updates"]``)."""

    story = serializers.CharField(read_only=True)
    tiers = TierSerializer(source="tiers.all", many=True, read_only=True)
    recent_backers = serializers.SerializerMethodField()
    updates = serializers.SerializerMethodField(help_text=_("The latest updates (all: …/updates/)"))

    @extend_schema_field(BackerSerializer(many=True))
    def get_recent_backers(self, campaign):
        return BackerSerializer(self.context.get("backers", []), many=True).data

    @extend_schema_field(CampaignUpdateSerializer(many=True))
    def get_updates(self, campaign):
        return CampaignUpdateSerializer(self.context.get("updates", []), many=True).data


class AdminCampaignSerializer(CampaignSerializer):
    """A campaign in the console: drafts too, who made it and whom it reaches."""

    story = serializers.CharField(read_only=True)
    branch = serializers.IntegerField(source="branch_id", read_only=True, allow_null=True,
                                      help_text=_("The branch it is aimed at (a community id); null: everyone"))
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    tiers = AdminTierSerializer(source="tiers.all", many=True, read_only=True)
    totals = AdminTotalsSerializer(source="*", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    launched_at = serializers.DateTimeField(read_only=True, allow_null=True)
    settled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)


class TierPriceStepInputSerializer(serializers.Serializer):
    min_quantity = AsciiIntegerField(min_value=-MAX_INT, max_value=MAX_INT, help_text=_("2 or more units backed"))
    price = AmountField()


class RewardTierInputSerializer(serializers.Serializer):
    id = IdField(required=False, allow_null=True, default=None,
                 help_text=_("Editing: the tier this row changes; leave out for a new tier"))
    title = serializers.CharField(max_length=80)
    description = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    amount = AmountField()
    quantity_limit = AsciiIntegerField(required=False, allow_null=True, default=None, min_value=-MAX_INT,
                                       max_value=MAX_INT, help_text=_("null: unlimited"))
    estimated_delivery = serializers.DateField(required=False, allow_null=True, default=None)
    fulfilment = NamedChoiceField(enum_name="TierFulfilmentEnum", choices=RewardTier.Fulfilment.choices,
                                  required=False, default=RewardTier.Fulfilment.PICKUP)
    price_steps = TierPriceStepInputSerializer(many=True, required=False, default=list,
                                           max_length=services.MAX_PRICE_STEPS,
                                           help_text=_("阶梯价: lower prices from a larger quantity backed"))


class CampaignCreateSerializer(serializers.Serializer):
    kind = NamedChoiceField(enum_name="CampaignKindEnum", choices=Campaign.Kind.choices, required=False,
                            default=Campaign.Kind.REWARD)
    title = serializers.CharField(max_length=120)
    story = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")
    goal = AmountField()
    deadline = serializers.DateField(help_text=_("The last day (it ends at midnight in the community's timezone)"))
    funding_model = NamedChoiceField(enum_name="CampaignFundingModelEnum", choices=Campaign.FundingModel.choices,
                                     required=False, default=Campaign.FundingModel.ALL_OR_NOTHING)
    branch = IdField(required=False, allow_null=True, default=None,
                     help_text=_("A branch id (a leader's campaign is for their own branch); null: everyone"))
    tiers = RewardTierInputSerializer(many=True, required=False, default=list, max_length=services.MAX_TIERS,
                                help_text=_("Reward tiers (none for a donation drive)"))


class CampaignUpdateInputSerializer(serializers.Serializer):
    """Only the fields sent change. ``tiers``, when sent, is the whole new list: rows with an id change
    that tier, rows without one add a tier, tiers left out are removed."""

    kind = NamedChoiceField(enum_name="CampaignKindEnum", choices=Campaign.Kind.choices, required=False)
    title = serializers.CharField(max_length=120, required=False)
    story = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    goal = AmountField(required=False)
    deadline = serializers.DateField(required=False)
    funding_model = NamedChoiceField(enum_name="CampaignFundingModelEnum", choices=Campaign.FundingModel.choices,
                                     required=False)
    branch = IdField(required=False, allow_null=True)
    tiers = RewardTierInputSerializer(many=True, required=False, max_length=services.MAX_TIERS)


class CampaignCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                   help_text=_("Told to the backers"))


class UpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=services.MAX_UPDATE_BODY)


# Pledges ---------------------------------------------------------------------------------------

class PledgeCreateSerializer(serializers.Serializer):
    tier = IdField(required=False, allow_null=True, default=None,
                   help_text=_("A reward tier of this campaign; null: a gift without a reward"))
    quantity = AsciiIntegerField(required=False, default=1, min_value=-MAX_INT, max_value=MAX_INT,
                                 help_text=_("Units of the tier, 1 to 99"))
    extra_support = AmountField(required=False, default=Decimal("0"), help_text=_("Added on top of the tier"))
    amount = AmountField(required=False, allow_null=True, default=None,
                         help_text=_("The gift, without a tier (more than zero)"))
    anonymous = serializers.BooleanField(required=False, default=False,
                                         help_text=_("Hide my name in the list of backers"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    pickup_point = IdField(required=False, allow_null=True, default=None,
                           help_text=_("Required for a reward picked up"))
    shipping_address = serializers.CharField(required=False, allow_blank=True, max_length=300, default="",
                                             help_text=_("Required for a reward shipped"))


class PledgeSerializer(serializers.Serializer):
    """A pledge as its backer sees it (only ever answered to them)."""

    id = serializers.IntegerField(read_only=True)
    campaign = CampaignRefSerializer(read_only=True)
    tier = TierRefSerializer(read_only=True, allow_null=True)
    status = NamedChoiceField(enum_name="PledgeStatusEnum", choices=Pledge.Status.choices, read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    unit_amount = MoneyField(help_text=_("The tier's price when pledged (0 without a tier)"))
    extra_support = MoneyField()
    amount = MoneyField()
    currency = serializers.CharField(source="campaign.currency", read_only=True)
    anonymous = serializers.BooleanField(read_only=True)
    note = serializers.CharField(read_only=True)
    pickup_point = PickupPointRefSerializer(read_only=True, allow_null=True)
    shipping_address = serializers.CharField(read_only=True)
    pickup_code = serializers.SerializerMethodField(
        help_text=_("Shown at the pickup point; only once the pledge is paid"))
    tracking = serializers.CharField(read_only=True)
    transfer_reported = serializers.SerializerMethodField(
        help_text=_("A transfer reported and waiting for an admin's confirmation"))
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text=_("An unpaid pledge is released at this time"))
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_pickup_code(self, pledge) -> str | None:
        if pledge.status in CODE_VISIBLE and pledge.tier_id and pledge.tier.fulfilment == RewardTier.Fulfilment.PICKUP:
            return pledge.pickup_code
        return None

    def get_transfer_reported(self, pledge) -> bool:
        if hasattr(pledge, "transfer_reported"):
            return bool(pledge.transfer_reported)
        from payments.models import Payment

        return Payment.objects.filter(charge_id=pledge.charge_id, status=Payment.Status.PENDING).exists()


class PledgeDetailSerializer(PledgeSerializer):
    """One pledge with its payment attempts and refunds."""

    paid_at = serializers.DateTimeField(read_only=True, allow_null=True)
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    handed_out_at = serializers.DateTimeField(read_only=True, allow_null=True)
    shipped_at = serializers.DateTimeField(read_only=True, allow_null=True)
    payments = PaymentSerializer(many=True, read_only=True, source="charge.payments.all")
    refunds = RefundSerializer(many=True, read_only=True, source="charge.refunds.all")


class PledgePayInputSerializer(serializers.Serializer):
    method = NamedChoiceField(enum_name="PledgePayMethodEnum", choices=[("wallet", _("Wallet balance")),
                                              ("transfer", _("Transfer or cash (confirmed by an admin)"))])
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="",
                                      help_text=_("For a transfer: its note or last digits"))


class AdminPledgeSerializer(serializers.Serializer):
    """A pledge in the console: who backed, what and where; never the backer's pickup code."""

    id = serializers.IntegerField(read_only=True)
    member = UserRefSerializer(read_only=True)
    tier = TierRefSerializer(read_only=True, allow_null=True)
    status = NamedChoiceField(enum_name="PledgeStatusEnum", choices=Pledge.Status.choices, read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    amount = MoneyField()
    anonymous = serializers.BooleanField(read_only=True, help_text=_("Hidden from other members, not from admins"))
    note = serializers.CharField(read_only=True)
    pickup_point = PickupPointRefSerializer(read_only=True, allow_null=True)
    shipping_address = serializers.CharField(read_only=True)
    tracking = serializers.CharField(read_only=True)
    transfer_reported = serializers.BooleanField(read_only=True,
                                                 help_text=_("A transfer reported and waiting for confirmation"))
    branch = serializers.IntegerField(source="branch_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    paid_at = serializers.DateTimeField(read_only=True, allow_null=True)


class PledgesMarkPaidInputSerializer(serializers.Serializer):
    pledges = serializers.ListField(child=IdField(), allow_empty=False, max_length=500)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class PledgesMarkPaidResultSerializer(serializers.Serializer):
    marked = serializers.ListField(child=serializers.IntegerField(), help_text=_("Pledges now paid"))
    skipped = serializers.ListField(child=serializers.IntegerField(),
                                    help_text=_("Pledges not waiting for payment (paid already, cancelled...)"))


class PledgeDeclineInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                 help_text=_("Told to the member"))


# Rewards ---------------------------------------------------------------------------------------

class RewardRowSerializer(serializers.Serializer):
    """Units of one tier to hand out at one pickup point (or to ship)."""

    tier = serializers.IntegerField(source="tier_id", read_only=True)
    tier_title = serializers.CharField(source="tier__title", read_only=True)
    fulfilment = NamedChoiceField(enum_name="TierFulfilmentEnum", choices=RewardTier.Fulfilment.choices,
                                  source="tier__fulfilment", read_only=True)
    pickup_point = serializers.IntegerField(source="pickup_point_id", read_only=True, allow_null=True)
    pickup_point_name = serializers.CharField(source="pickup_point__name", read_only=True, allow_null=True)
    units = serializers.IntegerField(read_only=True)
    pledges = serializers.IntegerField(read_only=True)
    handed_out = serializers.IntegerField(read_only=True, help_text=_("Units handed out or shipped"))


class HandOutInputSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^[0-9 -]{6,20}$", max_length=20,
                                  help_text=_("The backer's 6-digit pickup code (spaces and dashes are ignored)"))


class RewardShipInputSerializer(serializers.Serializer):
    tracking = serializers.CharField(required=False, allow_blank=True, max_length=100, default="",
                                     help_text=_("The carrier's tracking number, told to the backer"))
