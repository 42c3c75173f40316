"""Output shapes of the analytics API's crowdfunding and leaders figures (money as strings)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.api.serializers import MONEY, AnalyticsPeriodSerializer, AnalyticsSpanSerializer

RATE = {"max_digits": 6, "decimal_places": 3, "coerce_to_string": True}
PERCENT = {"max_digits": 12, "decimal_places": 1, "coerce_to_string": True}


class CrowdfundingTotalsSerializer(serializers.Serializer):
    ended = serializers.IntegerField(help_text=_("Campaigns settled in the period (succeeded + failed)."))
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    success_rate = serializers.DecimalField(allow_null=True, help_text=_("succeeded / ended (null: none ended)."),
                                            **RATE)
    pledged = serializers.DecimalField(help_text=_("Pledges paid in the period, not refunded or cancelled since."),
                                       **MONEY)
    pledges = serializers.IntegerField()
    backers = serializers.IntegerField(help_text=_("Distinct members behind those pledges."))
    shares_paid = serializers.IntegerField(help_text=_("Collection shares paid in the period, not refunded."))
    collected = serializers.DecimalField(help_text=_("What those shares amount to."), **MONEY)


class CrowdfundingChangesSerializer(serializers.Serializer):
    ended = serializers.DecimalField(allow_null=True, **PERCENT)
    succeeded = serializers.DecimalField(allow_null=True, **PERCENT)
    failed = serializers.DecimalField(allow_null=True, **PERCENT)
    pledged = serializers.DecimalField(allow_null=True, **PERCENT)
    pledges = serializers.DecimalField(allow_null=True, **PERCENT)
    backers = serializers.DecimalField(allow_null=True, **PERCENT)
    shares_paid = serializers.DecimalField(allow_null=True, **PERCENT)
    collected = serializers.DecimalField(allow_null=True, **PERCENT)


class OpenCampaignSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    title = serializers.CharField()
    branch = serializers.CharField(help_text=_("The branch's name; empty for a community-wide campaign."))
    goal = serializers.DecimalField(**MONEY)
    pledged = serializers.DecimalField(**MONEY)
    percent = serializers.DecimalField(allow_null=True, help_text=_("Pledged over goal, in percent."), **PERCENT)
    backers = serializers.IntegerField()
    deadline = serializers.DateField(help_text=_("The deadline's local day."))
    days_left = serializers.IntegerField(help_text=_("Local days from today to the deadline's day (0 on it)."))
    funding_model = serializers.CharField()


class EndedCampaignSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    title = serializers.CharField()
    branch = serializers.CharField()
    status = serializers.ChoiceField(choices=["succeeded", "failed"])
    succeeded = serializers.BooleanField()
    settled_on = serializers.DateField()
    goal = serializers.DecimalField(**MONEY)
    raised = serializers.DecimalField(help_text=_("As it stood at the deadline."), **MONEY)
    backers = serializers.IntegerField()
    percent = serializers.DecimalField(allow_null=True, **PERCENT)


class CrowdfundingSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    previous = AnalyticsSpanSerializer()
    totals = CrowdfundingTotalsSerializer()
    previous_totals = CrowdfundingTotalsSerializer()
    changes = CrowdfundingChangesSerializer()
    open = OpenCampaignSerializer(many=True, help_text=_("Live campaigns now (at most 100, ending first first)."))
    ended = EndedCampaignSerializer(many=True, help_text=_("Campaigns settled in the period (at most 100)."))


class CollectionFiguresSerializer(serializers.Serializer):
    collection_id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "completed", "closed"])
    organizer = serializers.CharField()
    created_on = serializers.DateField()
    total = serializers.DecimalField(**MONEY)
    shares = serializers.IntegerField()
    shares_paid = serializers.IntegerField()
    paid = serializers.DecimalField(**MONEY)
    refunded_shares = serializers.IntegerField()
    outstanding = serializers.DecimalField(help_text=_("Unpaid shares' amounts."), **MONEY)


class CollectionsSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    collections = CollectionFiguresSerializer(many=True, help_text=_("Created in the period (at most 100)."))


class LeaderFiguresSerializer(serializers.Serializer):
    branch_id = serializers.IntegerField()
    branch = serializers.CharField()
    leader_id = serializers.IntegerField(allow_null=True)
    leader = serializers.CharField(help_text=_("Empty when the branch has no leader."))
    members = serializers.IntegerField(help_text=_("Active members now."))
    joined = serializers.IntegerField()
    left = serializers.IntegerField()
    orders_paid = serializers.IntegerField()
    gmv = serializers.DecimalField(**MONEY)
    orders_completed = serializers.IntegerField(
        help_text=_("The branch's orders picked up or delivered in the period."))
    commission_earned = serializers.DecimalField(**MONEY)
    commission_reversed = serializers.DecimalField(**MONEY)
    commission = serializers.DecimalField(
        help_text=_("Earned minus reversed in the period, on the branch's orders (whoever received it)."), **MONEY)
    commission_rate = serializers.DecimalField(
        allow_null=True, max_digits=8, decimal_places=2, coerce_to_string=True,
        help_text=_("Effective rate in percent: commission earned over the order totals it was earned on."))


class LeadersSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    leaders = LeaderFiguresSerializer(many=True)


class RecipientFiguresSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    orders = serializers.IntegerField(help_text=_("Orders that earned them commission in the period."))
    commission_earned = serializers.DecimalField(**MONEY)
    commission_reversed = serializers.DecimalField(**MONEY)
    commission = serializers.DecimalField(help_text=_("Earned minus reversed, created in the period."), **MONEY)


class RecipientsSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    recipients = RecipientFiguresSerializer(many=True, help_text=_("The 20 who received most."))
