"""REST API for points (积分): my balance, lifetime points and streak; my ledger (append-only, so a
client that keeps a copy asks for ``since_id``); the daily check-in (签到).

Thin views over engagement.point_selectors (reads, scoped to the caller's own account in this
community) and engagement.points (the check-in: 409 ``checked_in_today`` the second time a day).
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from communities.permissions import Perm
from core.api import error_responses as errors
from core.filters import FILTER_BACKENDS, IdFilter
from core.idempotency import KEY_PARAMETER, idempotent
from engagement import point_selectors as selectors
from engagement import points as services
from engagement.models import PointsEntry
from orders.api.serializers import NamedChoiceField
from orders.api.views import JSONAPIView

TAG = "points"


class PointsSummarySerializer(serializers.Serializer):
    balance = serializers.IntegerField(read_only=True, help_text=_lazy("Points I have now"))
    lifetime = serializers.IntegerField(read_only=True, help_text=_lazy("Points I ever earned here"))
    streak = serializers.IntegerField(read_only=True,
                                      help_text=_lazy("Days in a row checked in, up to today (or yesterday)"))
    checked_in_today = serializers.BooleanField(read_only=True,
                                                help_text=_lazy("Today's check-in (the community's day) is done"))


class PointsEntrySerializer(serializers.ModelSerializer):
    reason = NamedChoiceField(enum_name="PointsReasonEnum", choices=PointsEntry.Reason.choices, read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True,
                                           help_text=_lazy("The reason in words, in the caller's language"))
    amount = serializers.IntegerField(read_only=True, help_text=_lazy("Positive: earned; negative: taken back"))

    class Meta:
        model = PointsEntry
        fields = ["id", "amount", "reason", "reason_display", "note", "created_at"]
        read_only_fields = fields


class DailyCheckInSerializer(serializers.Serializer):
    day = serializers.DateField(read_only=True, help_text=_lazy("The community's calendar day"))
    streak = serializers.IntegerField(read_only=True, help_text=_lazy("Days in a row, this one included"))
    earned = serializers.IntegerField(read_only=True, help_text=_lazy("Points this check-in earned (bonus included)"))
    balance = serializers.IntegerField(read_only=True, help_text=_lazy("My points after it"))


class PointsEntryFilter(django_filters.FilterSet):
    since_id = IdFilter(field_name="id", lookup_expr="gt",
                        label=_lazy("Only lines written after this one (the ledger is append-only: ids only grow)"))

    class Meta:
        model = PointsEntry
        fields = []


class PointsView(JSONAPIView):
    """My balance, lifetime points and streak in this community, and whether today's check-in is done."""

    permission = Perm.VIEW

    @extend_schema(responses={200: PointsSummarySerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("My points"))
    def get(self, request, slug):
        return Response(PointsSummarySerializer(selectors.summary(self.membership)).data)


class PointsEntryListView(JSONAPIView):
    """My points ledger here, newest first."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = PointsEntryFilter
    queryset = PointsEntry.objects.none()

    @extend_schema(responses={200: PointsEntrySerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("My points ledger"),
                   description=_lazy("Newest first. Lines are never changed or deleted: a client keeping a copy "
                                     "asks for since_id=<the highest id it has>."))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(selectors.ledger(self.membership)))
        return self.get_paginated_response(PointsEntrySerializer(page, many=True).data)


class PointsCheckInView(JSONAPIView):
    """The daily check-in (签到): the day, the streak and the points it earned."""

    permission = Perm.VIEW

    @extend_schema(request=None, parameters=[KEY_PARAMETER],
                   responses={201: DailyCheckInSerializer, **errors(403, 404, 409, 422)}, tags=[TAG],
                   summary=_lazy("Check in for today (签到)"),
                   description=_lazy("Once a calendar day in the community's timezone: 409 checked_in_today "
                                     "the second time. Every streak_bonus_every days in a row earns the bonus too."))
    def post(self, request, slug):
        def check_in():
            row, earned = services.daily_check_in(membership=self.membership)
            return Response(DailyCheckInSerializer({"day": row.day, "streak": row.streak, "earned": earned,
                                               "balance": services.account_of(self.membership).balance}).data,
                            status=status.HTTP_201_CREATED)
        return idempotent(request, f"points-check-in:{self.community.pk}", check_in)
