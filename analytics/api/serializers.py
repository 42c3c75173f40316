"""Output shapes of the analytics API (money as strings), and the export request's input."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.models_exports import AnalyticsExport
from analytics.selectors import PERIOD_CHOICES
from core.api import IdField

MONEY = {"max_digits": 16, "decimal_places": 2, "coerce_to_string": True}


class AnalyticsPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()


class AnalyticsSpanSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class AnalyticsFiguresSerializer(serializers.Serializer):
    members_joined = serializers.IntegerField()
    members_left = serializers.IntegerField()
    orders_paid = serializers.IntegerField()
    gmv = serializers.DecimalField(**MONEY)
    buyers = serializers.IntegerField()
    refunds = serializers.DecimalField(**MONEY)
    orders_refunded = serializers.IntegerField()
    orders_completed = serializers.IntegerField()
    commission_earned = serializers.DecimalField(help_text=_("Commission earned on orders (leaders', inviters')."),
                                                 **MONEY)
    commission_reversed = serializers.DecimalField(help_text=_("Commission reversed after refunds."), **MONEY)
    commission_base = serializers.DecimalField(help_text=_("Order totals the commission was earned on."), **MONEY)


class AnalyticsTotalsSerializer(AnalyticsFiguresSerializer):
    average_order_value = serializers.DecimalField(allow_null=True, **MONEY)


class AnalyticsChangesSerializer(serializers.Serializer):
    """Percent change from the period before; null when there was nothing before."""

    members_joined = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    members_left = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    orders_paid = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    gmv = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    buyers = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    refunds = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    orders_refunded = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    orders_completed = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    commission_earned = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    commission_reversed = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    commission_base = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    average_order_value = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)


class AnalyticsDaySerializer(AnalyticsFiguresSerializer):
    day = serializers.DateField()


class AnalyticsWeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text=_("The Monday of the ISO week"))
    members_joined = serializers.IntegerField()
    members_left = serializers.IntegerField()
    orders_paid = serializers.IntegerField()
    gmv = serializers.DecimalField(**MONEY)
    refunds = serializers.DecimalField(**MONEY)
    orders_refunded = serializers.IntegerField()
    orders_completed = serializers.IntegerField()
    commission_earned = serializers.DecimalField(**MONEY)
    commission_reversed = serializers.DecimalField(**MONEY)
    commission_base = serializers.DecimalField(**MONEY)


class AnalyticsOverviewSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    previous = AnalyticsSpanSerializer()
    totals = AnalyticsTotalsSerializer()
    previous_totals = AnalyticsTotalsSerializer()
    changes = AnalyticsChangesSerializer()
    series = AnalyticsDaySerializer(many=True)
    weekly = AnalyticsWeekSerializer(many=True)


class AnalyticsMembersSerializer(serializers.Serializer):
    members = serializers.IntegerField()
    ordered_7d = serializers.IntegerField()
    ordered_30d = serializers.IntegerField()
    conversion_30d = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True)


class AnalyticsBranchFiguresSerializer(serializers.Serializer):
    branch_id = serializers.IntegerField()
    name = serializers.CharField()
    members = serializers.IntegerField()
    joined = serializers.IntegerField()
    left = serializers.IntegerField()
    orders_paid = serializers.IntegerField()
    gmv = serializers.DecimalField(**MONEY)
    orders_completed = serializers.IntegerField()


class AnalyticsTopProductSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField(source="product__name")
    quantity = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    orders = serializers.IntegerField()


class AnalyticsRoundsSerializer(serializers.Serializer):
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    settled = serializers.IntegerField()
    success_rate = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True)


class AnalyticsRepurchaseSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()
    buyers = serializers.IntegerField()
    repeat_buyers = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True)


class AnalyticsInviterSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    joined = serializers.IntegerField()


class AnalyticsInviteSourceSerializer(serializers.Serializer):
    invite_id = serializers.IntegerField()
    label = serializers.CharField()
    code = serializers.CharField()
    joined = serializers.IntegerField()


class AnalyticsSourcesSerializer(serializers.Serializer):
    period = AnalyticsPeriodSerializer()
    joined = serializers.IntegerField()
    no_inviter = serializers.IntegerField()
    no_link = serializers.IntegerField()
    inviters = AnalyticsInviterSerializer(many=True)
    invites = AnalyticsInviteSourceSerializer(many=True)


class AnalyticsCohortMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    offset = serializers.IntegerField(help_text=_("Months after the first order"))
    members = serializers.IntegerField()


class AnalyticsCohortSerializer(serializers.Serializer):
    month = serializers.DateField()
    members = serializers.IntegerField(help_text=_("Members whose first paid order was in this month"))
    later = AnalyticsCohortMonthSerializer(many=True)


class AnalyticsCohortsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    cohorts = AnalyticsCohortSerializer(many=True)


# Exports -----------------------------------------------------------------------------------------

@extend_schema_field({"type": "string", "pattern": "^(" + "|".join(AnalyticsExport.Kind.values) + ")$",
                      "description": "orders or daily"})
class KindField(serializers.ChoiceField):
    """The export's kind. Described by a pattern, not an enum: enums become components named after
    the field, and other apps' "kind" choices already take that name."""

    def __init__(self, **kwargs):
        super().__init__(choices=AnalyticsExport.Kind.choices, **kwargs)


class AnalyticsExportRequestSerializer(serializers.Serializer):
    kind = KindField()
    period = serializers.ChoiceField(choices=list(PERIOD_CHOICES), default="30d")
    month = serializers.CharField(max_length=7, required=False, allow_blank=True)
    start = serializers.CharField(max_length=10, required=False, allow_blank=True)
    end = serializers.CharField(max_length=10, required=False, allow_blank=True)
    branch = IdField(required=False, allow_null=True)


class AnalyticsExportSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", default=None, allow_null=True)
    requested_by_name = serializers.CharField(source="requested_by.display_name", default=None, allow_null=True)
    kind = KindField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = AnalyticsExport
        fields = ["id", "kind", "period", "start", "end", "branch", "branch_name", "requested_by",
                  "requested_by_name", "status", "rows", "created_at", "finished_at", "download_url"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, export) -> str | None:
        if export.status != AnalyticsExport.Status.READY:
            return None
        slug = self.context.get("slug") or export.community.slug
        return reverse("api-analytics-export-download", kwargs={"slug": slug, "pk": export.pk})
