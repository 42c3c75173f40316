"""REST API for admins (MANAGE_LOYALTY): coupons (list, create, read, change), the batches they were
handed out in, and their redemptions. The console's coupon pages do the same (orders.coupon_console).

Each view: input serializer (types and bounds only: digits 0-9, no NUL, the columns' ranges) → the
community's coupon (another community's is a 404) → orders.coupons.coupon_save → output
serializer. Handing a coupon out to a segment needs levels, which live in engagement: that
endpoint is engagement.api.coupon_handout.
"""

from __future__ import annotations

import re
from decimal import Decimal

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from communities.permissions import Perm
from core.api import IdField, InstantField
from core.api import error_responses as errors
from core.exceptions import NotFound
from core.filters import FILTER_BACKENDS, BooleanFilter, OrderingFilter, SearchFilter, SyncFilterSet
from core.idempotency import KEY_PARAMETER, idempotent
from core.inputs import parse_int
from core.money import MAX_AMOUNT
from orders import coupons as services
from orders.api.serializers import GroupBuyRefSerializer, NamedChoiceField, UserRefSerializer
from orders.api.views import JSONAPIView, _valid
from orders.coupon_console import coupon_numbers
from orders.models import Coupon, CouponBatch, CouponRedemption, Order

TAG = "coupons console"


# Fields ------------------------------------------------------------------------------------------

class AsciiIntegerField(serializers.IntegerField):
    """A whole number; as a string only in ASCII digits ("１２" and "٣" are errors, not 12 and 3)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, str) and parse_int(data) is None):
            self.fail("invalid")
        if isinstance(data, float):
            self.fail("invalid")
        return super().to_internal_value(data)


class AsciiMoneyField(serializers.DecimalField):
    """An amount with at most two decimals, in ASCII digits (Decimal("１２") would be 12)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(max_digits=12, decimal_places=2, coerce_to_string=True, **kwargs)

    def to_internal_value(self, data):
        # Plain decimals only: "１２", "1e3", "NaN" and "Infinity" are not amounts a person typed.
        if isinstance(data, bool) or (isinstance(data, str) and not re.fullmatch(r"[0-9]{1,20}(\.[0-9]*)?",
                                                                                 data.strip(), re.ASCII)):
            self.fail("invalid")
        return super().to_internal_value(data)


def _kind_field(**kwargs):
    return NamedChoiceField(enum_name="CouponKindEnum", choices=Coupon.Kind.choices, **kwargs)


# Shapes ------------------------------------------------------------------------------------------

class CouponSerializer(serializers.ModelSerializer):
    kind = _kind_field(read_only=True)
    description = serializers.SerializerMethodField(help_text=_lazy('As members read it: "¥10 off on ¥50 or more"'))
    group_buy = GroupBuyRefSerializer(read_only=True, allow_null=True,
                                      help_text=_lazy("Only in this group-buy; null: any"))
    products = serializers.PrimaryKeyRelatedField(many=True, read_only=True,
                                                   help_text=_lazy("Only on these product ids; empty: every product"))
    uses = serializers.IntegerField(read_only=True, help_text=_lazy("Orders using it that are not cancelled"))

    class Meta:
        model = Coupon
        fields = ["id", "code", "name", "kind", "amount_off", "percent_off", "min_spend", "description",
                  "starts_at", "ends_at", "total_limit", "per_member_limit", "handed_out_only", "new_members_only",
                  "group_buy", "products", "is_active", "uses", "created_at", "updated_at"]
        read_only_fields = fields

    def get_description(self, coupon) -> str:
        return services.describe(coupon)


class CouponNumbersSerializer(serializers.Serializer):
    handed = serializers.IntegerField(read_only=True, help_text=_lazy("Coupons handed out (batches and rewards)"))
    handed_members = serializers.IntegerField(read_only=True, help_text=_lazy("Members they were handed to"))
    redemptions_live = serializers.IntegerField(read_only=True, help_text=_lazy("Orders using it now"))
    redemptions_released = serializers.IntegerField(
        read_only=True, help_text=_lazy("Uses given back by orders cancelled, expired or refunded before completion"))
    discount_given = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                              help_text=_lazy("Sum of the discounts of the orders using it now"))
    batches = serializers.IntegerField(read_only=True, help_text=_lazy("Hand-outs to segments"))


class CouponDetailSerializer(CouponSerializer):
    numbers = serializers.SerializerMethodField()

    class Meta(CouponSerializer.Meta):
        fields = CouponSerializer.Meta.fields + ["numbers"]
        read_only_fields = fields

    @extend_schema_field(CouponNumbersSerializer)
    def get_numbers(self, coupon) -> dict:
        return CouponNumbersSerializer(coupon_numbers(coupon)).data


class CouponWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text=_lazy("3 to 20 of A-Z, 0-9, '-' and '_'; case is ignored"))
    name = serializers.CharField(max_length=60)
    kind = _kind_field()
    amount_off = AsciiMoneyField(required=False, allow_null=True, default=None, min_value=Decimal("0.01"),
                                 help_text=_lazy('kind "amount": 0.01 to 1000000.00'))
    percent_off = AsciiIntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=100,
                                    help_text=_lazy('kind "percent": 1 to 100'))
    min_spend = AsciiMoneyField(required=False, default=Decimal("0"), min_value=Decimal("0"),
                                help_text=_lazy("On the eligible products, before delivery; 0: no minimum"))
    starts_at = InstantField()
    ends_at = InstantField(help_text=_lazy("After starts_at"))
    total_limit = AsciiIntegerField(required=False, allow_null=True, default=None, min_value=1,
                                    max_value=services.MAX_LIMIT, help_text=_lazy("null: no limit"))
    per_member_limit = AsciiIntegerField(required=False, default=1, min_value=1, max_value=100,
                                         help_text=_lazy("Public codes; a handed-out coupon is one use per coupon handed"))
    handed_out_only = serializers.BooleanField(required=False, default=False)
    new_members_only = serializers.BooleanField(required=False, default=False)
    group_buy = IdField(required=False, allow_null=True, default=None,
                        help_text=_lazy("A group-buy id of this community; null: any"))
    products = serializers.ListField(child=IdField(), required=False, default=list, max_length=services.MAX_PRODUCTS,
                                     help_text=_lazy("Product ids of this community; empty: every product"))
    is_active = serializers.BooleanField(required=False, default=True)


class CouponBatchSerializer(serializers.ModelSerializer):
    segment = serializers.CharField(read_only=True, help_text=_lazy("The segment in words, as the admin chose it"))
    member_count = serializers.IntegerField(read_only=True, help_text=_lazy("Members who got one"))
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CouponBatch
        fields = ["id", "coupon", "segment", "member_count", "created_at", "created_by"]
        read_only_fields = fields


class CouponRedemptionSerializer(serializers.ModelSerializer):
    member = UserRefSerializer(read_only=True)
    order = serializers.IntegerField(source="order_id", read_only=True)
    order_status = NamedChoiceField(enum_name="OrderStatusEnum", choices=Order.Status.choices, read_only=True,
                                    source="order.status")
    released_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                            help_text=_lazy("When the use was given back (the order was cancelled, "
                                                            "expired or refunded before completion); null: used"))

    class Meta:
        model = CouponRedemption
        fields = ["id", "order", "order_status", "member", "amount", "created_at", "released_at"]
        read_only_fields = fields


# Filters -----------------------------------------------------------------------------------------

COUPON_STATUSES = (("active", _lazy("Active now")), ("ended", _lazy("Ended")), ("off", _lazy("Switched off")))


class CouponFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=COUPON_STATUSES, method="by_status",
                                         label=_lazy("active: switched on and not ended; ended; off: switched off"))
    q = SearchFilter(lookups=("code__icontains", "name__icontains"), max_length=40,
                     label=_lazy("Part of the code or the name"))
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("updated_at", "updated_at"),
                                      ("ends_at", "ends_at")),
                              label=_lazy("created_at, updated_at or ends_at; a leading - reverses "
                                          "(default: newest first)"))

    class Meta:
        model = Coupon
        fields = []

    def by_status(self, queryset, name, value):
        now = timezone.now()
        return queryset.filter({"active": Q(is_active=True, ends_at__gt=now), "ended": Q(ends_at__lte=now),
                                "off": Q(is_active=False)}[value])


class RedemptionFilter(django_filters.FilterSet):
    released = BooleanFilter(field_name="released_at", lookup_expr="isnull", exclude=True,
                                            label=_lazy("true: only uses given back; false: only uses standing"))

    class Meta:
        model = CouponRedemption
        fields = []


# Helpers -----------------------------------------------------------------------------------------

def _coupons(view):
    return (Coupon.objects.filter(community_id=view.community.pk).select_related("group_buy")
            .prefetch_related("products"))


def _coupon(view, pk) -> Coupon:
    coupon = _coupons(view).filter(pk=pk).first()
    if coupon is None:
        raise NotFound(_("Coupon not found."), code="coupon_not_found")
    return coupon


def _answer(view, pk, *, code=status.HTTP_200_OK) -> Response:
    return Response(CouponDetailSerializer(_coupon(view, pk)).data, status=code)


def _save_kwargs(data: dict) -> dict:
    data = dict(data)
    data["group_buy_id"] = data.pop("group_buy")
    data["product_ids"] = data.pop("products")
    return data


def _current(coupon: Coupon) -> dict:
    """A coupon's values as the write serializer's (what a PATCH leaves unchanged)."""
    return {"code": coupon.code, "name": coupon.name, "kind": coupon.kind, "amount_off": coupon.amount_off,
            "percent_off": coupon.percent_off, "min_spend": coupon.min_spend, "starts_at": coupon.starts_at,
            "ends_at": coupon.ends_at, "total_limit": coupon.total_limit, "per_member_limit": coupon.per_member_limit,
            "handed_out_only": coupon.handed_out_only, "new_members_only": coupon.new_members_only,
            "group_buy": coupon.group_buy_id, "products": [p.pk for p in coupon.products.all()],
            "is_active": coupon.is_active}


# Views -------------------------------------------------------------------------------------------

class AdminCouponListView(JSONAPIView):
    """GET: the community's coupons, newest first. POST: a new coupon."""

    permission = Perm.MANAGE_LOYALTY
    filter_backends = FILTER_BACKENDS
    filterset_class = CouponFilter
    queryset = Coupon.objects.none()

    @extend_schema(responses={200: CouponSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Coupons"),
                   description=_lazy("Admins. ?updated_since= and ?ordering=updated_at to sync a copy."))
    def get(self, request, slug):
        qs = self.filter_queryset(_coupons(self).order_by("-created_at", "-pk"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CouponSerializer(page, many=True).data)

    @extend_schema(request=CouponWriteSerializer, parameters=[KEY_PARAMETER],
                   responses={201: CouponDetailSerializer, **errors(400, 403, 404, 422)}, tags=[TAG],
                   summary=_lazy("Create a coupon"),
                   description=_lazy("Amount or percent off, from a minimum spend, in a window, with a total and a "
                                     "per-member limit, optionally only in a group-buy, on products, for first "
                                     "orders, or for members it is handed to. 400 with fields for a code in use, "
                                     "an end before the start, a percent outside 1-100..."))
    def post(self, request, slug):
        def create():
            data = _valid(CouponWriteSerializer, request.data)
            coupon = services.coupon_save(actor=self.membership, **_save_kwargs(data))
            return _answer(self, coupon.pk, code=status.HTTP_201_CREATED)
        return idempotent(request, f"coupon-create:{self.community.pk}", create)


class AdminCouponDetailView(JSONAPIView):
    permission = Perm.MANAGE_LOYALTY

    @extend_schema(responses={200: CouponDetailSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("One coupon, with its numbers"))
    def get(self, request, slug, pk):
        return _answer(self, pk)

    def _change(self, request, pk, *, partial: bool) -> Response:
        coupon = _coupon(self, pk)
        data = _valid(CouponWriteSerializer, request.data, partial=partial)
        values = {**_current(coupon), **data} if partial else dict(data)
        services.coupon_save(actor=self.membership, coupon=coupon, **_save_kwargs(values))
        return _answer(self, pk)

    @extend_schema(request=CouponWriteSerializer, responses={200: CouponDetailSerializer, **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Change a coupon (the fields given)"),
                   description=_lazy("Orders placed already keep their discount. total_limit cannot go below the "
                                     "uses already made (400)."))
    def patch(self, request, slug, pk):
        return self._change(request, pk, partial=True)

    @extend_schema(request=CouponWriteSerializer, responses={200: CouponDetailSerializer, **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Replace a coupon's fields"),
                   description=_lazy("Fields left out take their defaults, as when creating."))
    def put(self, request, slug, pk):
        return self._change(request, pk, partial=False)


class AdminCouponRedemptionListView(JSONAPIView):
    permission = Perm.MANAGE_LOYALTY
    filter_backends = FILTER_BACKENDS
    filterset_class = RedemptionFilter
    queryset = CouponRedemption.objects.none()

    @extend_schema(responses={200: CouponRedemptionSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("A coupon's redemptions"),
                   description=_lazy("The orders that used it, newest first, with those given back "
                                     "(released_at set)."))
    def get(self, request, slug, pk):
        coupon = _coupon(self, pk)
        qs = self.filter_queryset(CouponRedemption.objects.filter(coupon_id=coupon.pk)
                                  .select_related("member", "order").order_by("-created_at", "-pk"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CouponRedemptionSerializer(page, many=True).data)


class AdminCouponBatchListView(JSONAPIView):
    permission = Perm.MANAGE_LOYALTY

    @extend_schema(responses={200: CouponBatchSerializer(many=True), **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("A coupon's hand-outs"),
                   description=_lazy("Each hand-out to a segment: the segment in words, how many members got one, "
                                     "when and by whom. Hand out with POST …/hand-out/."))
    def get(self, request, slug, pk):
        coupon = _coupon(self, pk)
        qs = CouponBatch.objects.filter(coupon_id=coupon.pk).select_related("created_by").order_by("-created_at", "-pk")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CouponBatchSerializer(page, many=True).data)
