"""REST API for handing a coupon out to a segment of members (admins, MANAGE_LOYALTY): GET counts
the segment's members now (the console's preview), POST hands the coupon to each of them in a new
batch (orders.coupons.coupon_batch_hand_out) and answers the batch.

Segments need levels, which live in engagement (engagement.segments); the coupon rows are orders'.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from communities.permissions import Perm
from core.api import IdField
from core.api import error_responses as errors
from core.exceptions import NotFound
from core.idempotency import KEY_PARAMETER, idempotent
from engagement import segments
from orders import coupons as coupon_services
from orders.api.coupon_admin import AsciiIntegerField, CouponBatchSerializer
from orders.api.serializers import NamedChoiceField
from orders.api.views import JSONAPIView, _valid
from orders.models import Coupon

TAG = "coupons console"


def _segment_field(**kwargs):
    return NamedChoiceField(enum_name="CouponSegmentEnum", choices=[(k, str(label)) for k, label in segments.KINDS],
                            **kwargs)


class SegmentSerializer(serializers.Serializer):
    segment = _segment_field(help_text=_lazy('"everyone": every active member; "branch": a branch\'s (branch_id); '
                                             '"level": a level\'s (level); "lapsed": no order in the last `days` '
                                             "days, including members who never ordered"))
    branch_id = IdField(required=False, allow_null=True, default=None,
                        help_text=_lazy('segment "branch": a branch of this community'))
    level = serializers.CharField(required=False, allow_blank=True, default="", max_length=segments.MAX_LEVEL_NAME,
                                  help_text=_lazy('segment "level": the level\'s name, as the community names it'))
    days = AsciiIntegerField(required=False, allow_null=True, default=None, min_value=segments.MIN_DAYS,
                             max_value=segments.MAX_DAYS,
                             help_text=_lazy('segment "lapsed": 1 to 365 days without an order (cancelled '
                                             'orders do not count)'))


class SegmentCountSerializer(serializers.Serializer):
    segment = _segment_field(read_only=True)
    description = serializers.CharField(read_only=True, help_text=_lazy("The segment in words"))
    members = serializers.IntegerField(read_only=True, help_text=_lazy("Active members in it now"))
    max_members = serializers.IntegerField(read_only=True,
                                           help_text=_lazy("At most this many in one hand-out (more: 400)"))


def _coupon(view, pk) -> Coupon:
    coupon = Coupon.objects.filter(community_id=view.community.pk, pk=pk).first()
    if coupon is None:
        raise NotFound(_("Coupon not found."), code="coupon_not_found")
    return coupon


def _segment(view, data) -> segments.Segment:
    values = _valid(SegmentSerializer, data)
    return segments.segment_parse(view.community, segment=values["segment"], branch_id=values["branch_id"],
                                  level=values["level"], days=values["days"])


class CouponHandOutView(JSONAPIView):
    permission = Perm.MANAGE_LOYALTY

    @extend_schema(parameters=[SegmentSerializer], responses={200: SegmentCountSerializer, **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Count a segment's members before handing a coupon out"),
                   description=_lazy("?segment=everyone|branch|level|lapsed with branch_id, level or days: how "
                                     "many active members would get one now."))
    def get(self, request, slug, pk):
        _coupon(self, pk)
        params = request.query_params
        chosen = _segment(self, {key: params.get(key) for key in ("segment", "branch_id", "level", "days")
                                 if params.get(key) not in (None, "")})
        return Response(SegmentCountSerializer({
            "segment": chosen.kind, "description": chosen.describe(),
            "members": segments.segment_count(self.community, chosen),
            "max_members": coupon_services.MAX_HAND_OUT}).data)

    @extend_schema(request=SegmentSerializer, parameters=[KEY_PARAMETER],
                   responses={201: CouponBatchSerializer, **errors(400, 403, 404, 409, 422)}, tags=[TAG],
                   summary=_lazy("Hand a coupon out to a segment"),
                   description=_lazy("Each active member of the segment gets one coupon (and a notification) in a "
                                     "new batch; handing it out again makes another batch. 409 coupon_inactive for "
                                     "a coupon switched off or ended; 400 segment_empty, segment_too_large."))
    def post(self, request, slug, pk):
        def hand_out():
            coupon = _coupon(self, pk)
            chosen = _segment(self, request.data)
            batch = coupon_services.coupon_batch_hand_out(
                actor=self.membership, coupon=coupon, member_ids=segments.segment_member_ids(self.community, chosen),
                segment=chosen.describe())
            batch.created_by = self.membership.user
            return Response(CouponBatchSerializer(batch).data, status=status.HTTP_201_CREATED)
        return idempotent(request, f"coupon-hand-out:{self.community.pk}:{pk}", hand_out)
