"""REST API for 积分兑换: the coupons on offer for points and exchanging points for one (members);
putting coupons on offer (admins). Thin views over engagement.points_shop."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from communities.permissions import Perm
from core.api import IdField
from core.api import error_responses as errors
from core.idempotency import KEY_PARAMETER, idempotency_key
from engagement import points_shop as services
from engagement.models import PointsReward
from orders.coupons import describe
from orders.api.views import JSONAPIView, _valid

TAG = "points"


class OfferedCouponSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.SerializerMethodField(help_text=_lazy("What it takes off, in the caller's language"))
    ends_at = serializers.DateTimeField(read_only=True)

    def get_description(self, coupon) -> str:
        return describe(coupon)


class PointsRewardSerializer(serializers.ModelSerializer):
    coupon = OfferedCouponSerializer(read_only=True)

    class Meta:
        model = PointsReward
        fields = ["id", "coupon", "points", "per_member_limit", "is_active", "updated_at"]
        read_only_fields = fields


class PointsRewardInputSerializer(serializers.Serializer):
    coupon = IdField(help_text=_lazy("A coupon handed to members (handed_out_only) of this community"))
    # IdField: whole numbers typed in ASCII digits only.
    points = IdField(max_value=services.MAX_PRICE, help_text=_lazy("Price in points"))
    per_member_limit = IdField(max_value=100, default=1, help_text=_lazy("Exchanges per member"))
    is_active = serializers.BooleanField(default=True)


class ExchangeSerializer(serializers.Serializer):
    coupon = OfferedCouponSerializer(read_only=True)
    balance = serializers.IntegerField(read_only=True, help_text=_lazy("My points after the exchange"))


class PointsRewardListView(JSONAPIView):
    """The coupons members may take for points now."""

    permission = Perm.VIEW

    @extend_schema(responses={200: PointsRewardSerializer(many=True), **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Coupons on offer for points"))
    def get(self, request, slug):
        page = self.paginate_queryset(services.rewards_on_offer(self.community))
        return self.get_paginated_response(PointsRewardSerializer(page, many=True).data)


class PointsExchangeView(JSONAPIView):
    """Spend points on one use of an offered coupon."""

    permission = Perm.VIEW

    @extend_schema(request=None, parameters=[KEY_PARAMETER],
                   responses={201: ExchangeSerializer, 200: ExchangeSerializer, **errors(400, 403, 404, 409, 422)},
                   tags=[TAG], summary=_lazy("Take a coupon for points"),
                   description=_lazy("Idempotency-Key required: the same key answers with the first exchange "
                                     "(200) and spends nothing again; sent for another offer, 422 "
                                     "idempotency_key_reused. 409 not_enough_points, reward_limit, "
                                     "reward_unavailable (switched off, ended or used up)."))
    def post(self, request, slug, pk):
        from engagement.points import account_of

        reward = get_object_or_404(PointsReward.objects.select_related("coupon"), pk=pk,
                                   community_id=self.community.pk)
        grant, created = services.points_exchange(membership=self.membership, reward=reward,
                                                  idempotency_key=idempotency_key(request)[:64])
        return Response(ExchangeSerializer({"coupon": grant.coupon, "balance": account_of(self.membership).balance}).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AdminPointsRewardListView(JSONAPIView):
    """Every offer of the community (withdrawn ones included); POST puts a coupon on offer."""

    permission = Perm.MANAGE_LOYALTY

    @extend_schema(responses={200: PointsRewardSerializer(many=True), **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("Points shop offers (admins)"))
    def get(self, request, slug):
        rows = PointsReward.objects.filter(community_id=self.community.pk).select_related("coupon")
        page = self.paginate_queryset(rows.order_by("points", "pk"))
        return self.get_paginated_response(PointsRewardSerializer(page, many=True).data)

    @extend_schema(request=PointsRewardInputSerializer, responses={201: PointsRewardSerializer,
                                                                   **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Offer a coupon for points"))
    def post(self, request, slug):
        data = _valid(PointsRewardInputSerializer, request.data)
        reward = services.reward_save(actor=self.membership, coupon_id=data["coupon"], points=data["points"],
                                      per_member_limit=data["per_member_limit"], is_active=data["is_active"])
        return Response(PointsRewardSerializer(reward).data, status=status.HTTP_201_CREATED)


class AdminPointsRewardView(JSONAPIView):
    """One offer: change its price, limit, or withdraw it (is_active false)."""

    permission = Perm.MANAGE_LOYALTY

    @extend_schema(request=PointsRewardInputSerializer, responses={200: PointsRewardSerializer,
                                                                   **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Change a points shop offer"))
    def put(self, request, slug, pk):
        reward = get_object_or_404(PointsReward, pk=pk, community_id=self.community.pk)
        data = _valid(PointsRewardInputSerializer, request.data)
        reward = services.reward_save(actor=self.membership, reward=reward, coupon_id=data["coupon"],
                                      points=data["points"], per_member_limit=data["per_member_limit"],
                                      is_active=data["is_active"])
        return Response(PointsRewardSerializer(reward).data)
