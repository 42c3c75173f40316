"""Output shapes of the funnel page's API: the 接龙 funnel and the stored cohort table."""

from __future__ import annotations

from rest_framework import serializers

from analytics.api.serializers import AnalyticsPeriodSerializer

RATE = {"max_digits": 6, "decimal_places": 3, "coerce_to_string": True, "allow_null": True}


class FunnelStageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["saw", "ordered", "paid", "completed"])
    pairs = serializers.IntegerField(help_text="Distinct member × round pairs at this stage.")
    from_previous = serializers.DecimalField(help_text="Share of the stage before (null: first stage or 0).", **RATE)
    from_first = serializers.DecimalField(help_text="Share of those who saw (null: none saw).", **RATE)


class FunnelRoundSerializer(serializers.Serializer):
    group_buy_id = serializers.IntegerField()
    title = serializers.CharField()
    closes_at = serializers.DateTimeField()
    closes_on = serializers.DateField(help_text="The community's local day the round closed.")
    orders = serializers.IntegerField()
    saw = serializers.IntegerField()
    ordered = serializers.IntegerField()
    paid = serializers.IntegerField()
    completed = serializers.IntegerField()
    ordered_unseen = serializers.IntegerField(help_text="Members who ordered with no recorded view.")


class FunnelSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    rounds_closed = serializers.IntegerField()
    orders = serializers.IntegerField()
    ordered_without_view = serializers.IntegerField(
        help_text="Member × round pairs that ordered with no recorded view (views are recorded since the "
                  "feature shipped).")
    stages = FunnelStageSerializer(many=True)
    rounds = FunnelRoundSerializer(many=True, help_text="The 20 rounds with the most orders.")


class CohortCellSerializer(serializers.Serializer):
    month = serializers.DateField()
    offset = serializers.IntegerField()
    members = serializers.IntegerField()
    rate = serializers.DecimalField(**RATE)


class CohortRowSerializer(serializers.Serializer):
    month = serializers.DateField()
    members = serializers.IntegerField()
    later = CohortCellSerializer(many=True)


class CohortTableSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    refreshed_at = serializers.DateTimeField(allow_null=True)
    cohorts = CohortRowSerializer(many=True)
