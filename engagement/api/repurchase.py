"""REST API for repurchase prompts (定时复购提醒): a member's own prompts (with the link that opens
the round with the product in the basket), and the console's list and numbers (sent, opened,
followed by an order within 7 days) — the same reads as engagement/repurchase_console.py.

Reads only: prompts are written by the hourly sweep (engagement.repurchase), never by a client.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from communities.permissions import Perm
from core.api import error_responses as errors
from core.filters import FILTER_BACKENDS, BooleanFilter, DateTimeFilter
from crowdfunding.api.collection_serializers import PersonSerializer  # one "Person" in the schema
from engagement import repurchase as services
from engagement.models import RepurchasePrompt
from orders.api.views import JSONAPIView

TAG = "repurchase prompts"
TAG_CONSOLE = "repurchase prompts console"


class PromptProductSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)


class PromptRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)


class RepurchasePromptSerializer(serializers.ModelSerializer):
    product = PromptProductSerializer(read_only=True)
    group_buy = PromptRoundSerializer(read_only=True, help_text=_lazy("The open round the prompt pointed to"))
    item = serializers.IntegerField(source="item_id", read_only=True,
                                    help_text=_lazy("The round's item of the product (its id)"))
    last_order = serializers.IntegerField(source="last_order_id", read_only=True,
                                          help_text=_lazy("The purchase the prompt follows (an order id)"))
    converted_order = serializers.IntegerField(
        source="converted_order_id", read_only=True, allow_null=True,
        help_text=_lazy("The order of the product placed within 7 days after the prompt, once completed; "
                        "null for none"))
    open_url = serializers.SerializerMethodField(
        help_text=_lazy("The prompt's link: marks it opened and lands on the round with the product in the "
                        "basket"))

    class Meta:
        model = RepurchasePrompt
        fields = ["id", "product", "group_buy", "item", "last_order", "due_on", "sent_at", "opened_at",
                  "converted_order", "open_url"]
        read_only_fields = fields

    def get_open_url(self, prompt) -> str:
        return services.open_url(prompt, self.context["community"])


class AdminRepurchasePromptSerializer(RepurchasePromptSerializer):
    member = PersonSerializer(read_only=True)
    held_out = serializers.BooleanField(
        read_only=True, help_text=_lazy("In the holdout: recorded when it would have been sent, never sent to the "
                                        "member (its conversion is measured alike)"))

    class Meta(RepurchasePromptSerializer.Meta):
        fields = ["id", "member", "held_out", *RepurchasePromptSerializer.Meta.fields]
        read_only_fields = fields


class RepurchaseDaySerializer(serializers.Serializer):
    day = serializers.DateField(read_only=True, help_text=_lazy("A calendar day in the community's timezone"))
    sent = serializers.IntegerField(read_only=True)
    opened = serializers.IntegerField(read_only=True)
    converted = serializers.IntegerField(read_only=True)


class RepurchaseSummarySerializer(serializers.Serializer):
    days = serializers.IntegerField(read_only=True, help_text=_lazy("How many days the numbers cover (today included)"))
    since = serializers.DateField(read_only=True, help_text=_lazy("The first day covered"))
    sent = serializers.IntegerField(read_only=True, help_text=_lazy("Prompts sent"))
    opened = serializers.IntegerField(read_only=True, help_text=_lazy("Of them, opened by the member"))
    converted = serializers.IntegerField(read_only=True,
                                         help_text=_lazy("Of them, followed by an order of the product within 7 days"))
    open_rate = serializers.IntegerField(read_only=True, help_text=_lazy("opened ÷ sent, in percent (rounded)"))
    conversion_rate = serializers.IntegerField(read_only=True,
                                               help_text=_lazy("converted ÷ sent, in percent (rounded)"))
    per_day = RepurchaseDaySerializer(many=True, read_only=True, help_text=_lazy("Newest day first"))


class PromptFilter(django_filters.FilterSet):
    sent_since = DateTimeFilter(field_name="sent_at", lookup_expr="gte",
                                label=_lazy("Only prompts sent at or after this time (ISO 8601)"))
    opened = BooleanFilter(field_name="opened_at", lookup_expr="isnull", exclude=True,
                           label=_lazy("true: only prompts the member opened; false: only those not opened"))
    converted = BooleanFilter(field_name="converted_order", lookup_expr="isnull", exclude=True,
                              label=_lazy("true: only prompts followed by an order; false: only the others"))

    class Meta:
        model = RepurchasePrompt
        fields = []


class MyRepurchasePromptListView(JSONAPIView):
    """Prompts I received in this community, newest first."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = PromptFilter
    queryset = RepurchasePrompt.objects.none()

    @extend_schema(responses={200: RepurchasePromptSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("My repurchase prompts"),
                   description=_lazy("Each with the link that opens the round with the product in the basket."))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(services.my_prompts(self.membership)))
        return self.get_paginated_response(
            RepurchasePromptSerializer(page, many=True, context={"community": self.community}).data)


class AdminRepurchasePromptListView(JSONAPIView):
    """The community's repurchase prompts, newest first: who, what, when sent and opened, and the
    order that followed within 7 days."""

    permission = Perm.MANAGE_LOYALTY
    filter_backends = FILTER_BACKENDS
    filterset_class = PromptFilter
    queryset = RepurchasePrompt.objects.none()

    @extend_schema(responses={200: AdminRepurchasePromptSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Repurchase prompts sent"))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(services.prompts_for_console(self.community)))
        return self.get_paginated_response(
            AdminRepurchasePromptSerializer(page, many=True, context={"community": self.community}).data)


class AdminRepurchaseSummaryView(JSONAPIView):
    """Prompts sent, opened and followed by an order over the last 30 days, in all and per day."""

    permission = Perm.MANAGE_LOYALTY

    @extend_schema(responses={200: RepurchaseSummarySerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Repurchase prompts: the numbers"),
                   description=_lazy("The community's calendar days, today included; a prompt converts when an "
                                     "order of its product placed within 7 days after it completes."))
    def get(self, request, slug):
        data = services.summary(self.community, now=timezone.now())
        return Response(RepurchaseSummarySerializer(data).data)
