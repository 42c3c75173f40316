"""REST API for points (积分): my balance, lifetime points and streak; my ledger (append-only, so a
client that keeps a copy asks for ``since_id``); the daily check-in (签到); the leaderboard; and
the console's levels (Perm.MANAGE_LOYALTY).

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
from crowdfunding.api.serializers import AsciiIntegerField
from engagement import levels
from engagement import point_selectors as selectors
from engagement import points as services
from engagement.models import PointsEntry
from orders.api.serializers import NamedChoiceField
from orders.api.views import JSONAPIView

TAG = "points"
TAG_CONSOLE = "points console"


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


# Leaderboard (members) ---------------------------------------------------------------------------

class LeaderboardQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=["week", "month", "all"], default="week", required=False,
                                     help_text=_lazy("This week (from Monday), this month or all time, in the "
                                                     "community's days"))
    scope = serializers.ChoiceField(choices=["community", "branch"], default="community", required=False,
                                    help_text=_lazy("The whole community, or the caller's branch (a member with no "
                                                    "branch gets the whole community)"))


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(read_only=True)
    member_id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    points = serializers.IntegerField(read_only=True, help_text=_lazy("Points earned in the period"))
    me = serializers.BooleanField(read_only=True, help_text=_lazy("This row is the caller"))


class LeaderboardSerializer(serializers.Serializer):
    period = serializers.CharField(read_only=True)
    scope = serializers.CharField(read_only=True, help_text=_lazy("The scope used: community or branch"))
    branch_id = serializers.IntegerField(read_only=True, allow_null=True)
    rows = LeaderboardRowSerializer(many=True, read_only=True)


def leaderboard_data(community, membership, *, period: str, scope: str) -> dict:
    """The top 20, like the member leaderboard page (engagement.point_views.leaderboard)."""
    in_branch = scope == "branch" and membership.branch_id is not None
    rows = services.leaderboard(community, period=period, branch=membership.branch if in_branch else None)
    return {"period": period, "scope": "branch" if in_branch else "community",
            "branch_id": membership.branch_id if in_branch else None,
            "rows": [{"rank": rank, "member_id": row.member_id, "display_name": row.member.display_name,
                      "points": row.points, "me": row.member_id == membership.user_id}
                     for rank, row in enumerate(rows, start=1)]}


class LeaderboardView(JSONAPIView):
    """排行榜: the top 20 for the week, the month or all time, in the whole community or in my branch."""

    permission = Perm.VIEW

    @extend_schema(parameters=[LeaderboardQuerySerializer],
                   responses={200: LeaderboardSerializer, **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Leaderboard"),
                   description=_lazy("Read from running totals (one indexed query), so it stays fast for large "
                                     "communities."))
    def get(self, request, slug):
        query = LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(LeaderboardSerializer(leaderboard_data(
            self.community, self.membership, **query.validated_data)).data)


# Levels (console) --------------------------------------------------------------------------------

class LevelInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=20, trim_whitespace=True,
                                 help_text=_lazy("1 to 20 characters, its own in the community"))
    min_points = AsciiIntegerField(min_value=0, max_value=levels.MAX_POINTS,
                                   help_text=_lazy("From this many lifetime points (the first level: 0)"))


class LevelsInSerializer(serializers.Serializer):
    levels = LevelInSerializer(many=True, min_length=1, max_length=levels.MAX_LEVELS,
                               help_text=_lazy("1 to 10 levels, rising; they replace the current ones"))


class LevelOutSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    min_points = serializers.IntegerField(read_only=True)
    members = serializers.IntegerField(read_only=True, help_text=_lazy("Active members at this level now"))


class LevelsOutSerializer(serializers.Serializer):
    custom = serializers.BooleanField(read_only=True,
                                      help_text=_lazy("False: the community has not named its levels (the defaults)"))
    levels = LevelOutSerializer(many=True, read_only=True)


def _levels_data(community) -> dict:
    current = levels.levels_of(community)
    return {"custom": levels.has_own_levels(community),
            "levels": [{"name": level.name, "min_points": level.min_points, "members": count}
                       for level, count in levels.members_per_level(community, current)]}


class AdminLevelsView(JSONAPIView):
    """The community's levels (from lifetime points) with how many members are at each now."""

    permission = Perm.MANAGE_LOYALTY

    @extend_schema(responses={200: LevelsOutSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Levels"))
    def get(self, request, slug):
        return Response(LevelsOutSerializer(_levels_data(self.community)).data)

    @extend_schema(request=LevelsInSerializer, responses={200: LevelsOutSerializer, **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Replace the levels"),
                   description=_lazy("1 to 10 levels, the first from 0 points, names of 1 to 20 characters, each "
                                     "its own, thresholds rising. A refused list changes nothing."))
    def put(self, request, slug):
        body = LevelsInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        levels.levels_set(actor=self.membership, levels=[(row["name"], row["min_points"])
                                                         for row in body.validated_data["levels"]])
        return Response(LevelsOutSerializer(_levels_data(self.community)).data)
