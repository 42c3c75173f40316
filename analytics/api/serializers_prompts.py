"""Output shapes of the analytics API for the repurchase prompts page (money as strings)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from analytics.api.serializers import MONEY

RATE = {"max_digits": 5, "decimal_places": 1, "coerce_to_string": True, "allow_null": True}


class PromptsGroupSerializer(serializers.Serializer):
    prompts = serializers.IntegerField(help_text=_("Prompts due in the period (held out: recorded, not sent)"))
    members = serializers.IntegerField(help_text=_("Distinct members"))
    opened = serializers.IntegerField(help_text=_("Opened by the member (never, for the holdout)"))
    converted = serializers.IntegerField(help_text=_("Followed by an order of the product within 7 days"))
    conversion = serializers.DecimalField(help_text=_("converted ÷ prompts, in percent; null for none"), **RATE)
    open_rate = serializers.DecimalField(help_text=_("opened ÷ prompts, in percent; null for the holdout"), **RATE)
    gmv = serializers.DecimalField(help_text=_("Total of the orders that followed (each once)"), **MONEY)


class PromptsGroupsSerializer(serializers.Serializer):
    prompted = PromptsGroupSerializer()
    holdout = PromptsGroupSerializer()


class PromptsTotalsSerializer(serializers.Serializer):
    prompts = serializers.IntegerField()
    opened = serializers.IntegerField()
    converted = serializers.IntegerField()
    conversion = serializers.DecimalField(**RATE)
    gmv = serializers.DecimalField(**MONEY)
    held_out = serializers.IntegerField()
    held_out_converted = serializers.IntegerField()
    held_out_conversion = serializers.DecimalField(**RATE)
    lift = serializers.DecimalField(max_digits=5, decimal_places=1, coerce_to_string=True, allow_null=True)


class PromptsChangesSerializer(serializers.Serializer):
    """Counts and GMV: percent change; rates and the lift: change in percentage points."""

    prompts = serializers.DecimalField(**RATE)
    opened = serializers.DecimalField(**RATE)
    converted = serializers.DecimalField(**RATE)
    conversion = serializers.DecimalField(**RATE)
    gmv = serializers.DecimalField(**RATE)
    held_out = serializers.DecimalField(**RATE)
    held_out_converted = serializers.DecimalField(**RATE)
    held_out_conversion = serializers.DecimalField(**RATE)
    lift = serializers.DecimalField(**RATE)


class PromptsProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    sent = serializers.IntegerField()
    opened = serializers.IntegerField()
    converted = serializers.IntegerField()
    conversion = serializers.DecimalField(**RATE)
    held_out = serializers.IntegerField()
    held_out_converted = serializers.IntegerField()
    held_out_conversion = serializers.DecimalField(**RATE)


class PromptsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    groups = PromptsGroupsSerializer()
    previous_groups = PromptsGroupsSerializer(help_text=_("The same for the period before"))
    lift = serializers.DecimalField(
        max_digits=5, decimal_places=1, coerce_to_string=True, allow_null=True,
        help_text=_("Prompted conversion − holdout conversion, in percentage points; null while fewer than "
                    "min_holdout members were held out"))
    enough_holdout = serializers.BooleanField()
    min_holdout = serializers.IntegerField(help_text=_("Held-out members needed before the lift is given"))
    totals = PromptsTotalsSerializer()
    previous_totals = PromptsTotalsSerializer()
    changes = PromptsChangesSerializer()
    products = PromptsProductSerializer(many=True, help_text=_("The products prompted most, with their conversion"))


class PromptsDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    sent = serializers.IntegerField()
    converted = serializers.IntegerField()
    held_out = serializers.IntegerField()
    held_out_converted = serializers.IntegerField()


class PromptsDailySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = PromptsDaySerializer(many=True)
