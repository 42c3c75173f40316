"""REST API for members' coupons (优惠券): the ones I can use and the ones I used or that ended;
what a code would take off a basket before I order (the round page's "Apply").

Thin views over orders.coupon_selectors (reads only). The code is redeemed when the order is
placed (POST …/orders/ with ``coupon_code``), in the order's transaction (orders.coupons).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from communities.permissions import Perm
from core.api import ErrorSerializer
from core.api import error_responses as errors
from core.exceptions import NotFound, Unprocessable, ValidationFailed
from core.inputs import parse_id
from orders import coupon_selectors, selectors
from orders.api.serializers import (
    GroupBuyRefSerializer, IdField, LineInputSerializer, MoneyField, NamedChoiceField,
)
from orders.api.views import JSONAPIView, _valid
from orders.models import Coupon, Order
from orders.services import MAX_LINES

TAG = "coupons"
STATES = [("usable", _lazy("Usable now")), ("not_yet", _lazy("Usable later (not started yet)")),
          *coupon_selectors.STATE_LABELS.items()]


class CouponRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True, help_text=_lazy('What it takes off, in words: "¥10 off on '
                                                                        '¥30 or more"'))


class MyCouponSerializer(serializers.Serializer):
    code = serializers.CharField(source="coupon.code", read_only=True)
    name = serializers.CharField(source="coupon.name", read_only=True)
    description = serializers.CharField(read_only=True, help_text=_lazy("What it takes off, in words"))
    kind = NamedChoiceField(enum_name="CouponKindEnum", choices=Coupon.Kind.choices, source="coupon.kind",
                            read_only=True)
    amount_off = MoneyField(source="coupon.amount_off", allow_null=True)
    percent_off = serializers.IntegerField(source="coupon.percent_off", read_only=True, allow_null=True)
    min_spend = MoneyField(source="coupon.min_spend")
    starts_at = serializers.DateTimeField(source="coupon.starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="coupon.ends_at", read_only=True, help_text=_lazy("Valid until"))
    state = NamedChoiceField(enum_name="MyCouponStateEnum", choices=STATES, read_only=True)
    state_label = serializers.CharField(read_only=True, help_text=_lazy("Why it is not usable, in words (empty "
                                                                        "when it is)"))
    uses_left = serializers.IntegerField(source="left", read_only=True, help_text=_lazy("Orders I can still use it on"))
    group_buy = GroupBuyRefSerializer(source="coupon.group_buy", read_only=True, allow_null=True,
                                      help_text=_lazy("Only in this group-buy (null: in any)"))
    products = serializers.ListField(child=serializers.CharField(), read_only=True,
                                     help_text=_lazy("Only on these products (the first five; empty: on any)"))
    more_products = serializers.IntegerField(read_only=True, help_text=_lazy("How many more products it is for"))
    new_members_only = serializers.BooleanField(source="coupon.new_members_only", read_only=True,
                                                help_text=_lazy("Only on a member's first order"))


class MyCouponsSerializer(serializers.Serializer):
    usable = MyCouponSerializer(many=True, read_only=True,
                                help_text=_lazy("Handed to me and not used, or public codes valid now; soonest "
                                                "ending first"))
    past = MyCouponSerializer(many=True, read_only=True, help_text=_lazy("Used, expired or withdrawn; the latest 30"))


class QuoteInputSerializer(serializers.Serializer):
    group_buy = IdField(help_text=_lazy("A group-buy I can see"))
    lines = LineInputSerializer(many=True, min_length=1, max_length=MAX_LINES, help_text=_lazy("1 to 50 lines"))
    coupon_code = serializers.CharField(max_length=coupon_selectors.CODE_MAX, allow_blank=True,
                                        help_text=_lazy("As typed: case and surrounding spaces do not matter"))
    fulfilment = serializers.ChoiceField(choices=Order.Fulfilment.choices, default=Order.Fulfilment.PICKUP,
                                         help_text=_lazy("Delivery adds the group-buy's delivery fee to the total"))


class QuoteSerializer(serializers.Serializer):
    subtotal = MoneyField(help_text=_lazy("The lines at their group prices"))
    discount = MoneyField(help_text=_lazy("What the coupon takes off"))
    delivery_fee = MoneyField()
    total = MoneyField(help_text=_lazy("What the order would cost: subtotal − discount + delivery fee"))
    coupon = CouponRefSerializer(read_only=True)


class MyCouponsView(JSONAPIView):
    """My coupons here: usable ones, then used or ended ones."""

    permission = Perm.VIEW

    @extend_schema(parameters=[OpenApiParameter("group_buy", OpenApiTypes.INT, description=_lazy(
                       "Only the usable coupons that apply in this group-buy (the chips beside the coupon field)"))],
                   responses={200: MyCouponsSerializer, **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("My coupons"))
    def get(self, request, slug):
        raw = request.query_params.get("group_buy")
        if raw is not None:
            pk = parse_id(raw)
            if pk is None:
                message = _("Enter a valid id.")
                raise ValidationFailed(message, fields={"group_buy": [message]})
            round_ = selectors.group_buys_for_member(self.membership).filter(pk=pk).first()
            if round_ is None:
                raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
            usable, past = coupon_selectors.coupons_for_round(self.membership, round_), []
        else:
            usable, past = coupon_selectors.my_coupons(self.membership)
        return Response(MyCouponsSerializer({"usable": usable, "past": past}).data)


class CouponQuoteView(JSONAPIView):
    """What a coupon code takes off these lines of a group-buy, before ordering."""

    permission = Perm.VIEW

    @extend_schema(request=QuoteInputSerializer,
                   responses={200: QuoteSerializer,
                              422: OpenApiResponse(ErrorSerializer, description=_lazy(
                                  "The coupon does not apply: code coupon_unknown, coupon_not_valid_now, "
                                  "coupon_other_round, coupon_used_up, coupon_not_yours, coupon_member_limit, "
                                  "coupon_first_order_only, coupon_other_products or coupon_min_spend, the reason "
                                  "in fields.coupon")),
                              **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("What a coupon takes off"),
                   description=_lazy("Reads only: nothing is reserved. Placing the order with the same "
                                     "coupon_code takes the same discount, unless the coupon is used up meanwhile."))
    def post(self, request, slug):
        data = _valid(QuoteInputSerializer, request.data)
        group_buy, items = selectors.round_for_order(self.membership, pk=data["group_buy"])
        try:
            quote = coupon_selectors.basket_quote(
                member=self.membership, group_buy=group_buy, items=items, code=data["coupon_code"],
                lines=[(line["item"], line["quantity"]) for line in data["lines"]],
                delivery=data["fulfilment"] == Order.Fulfilment.DELIVERY)
        except ValidationFailed as refused:
            if "coupon" not in refused.fields:
                raise
            raise Unprocessable(refused.message, code=refused.code, fields=refused.fields)
        return Response(QuoteSerializer({
            "subtotal": quote.subtotal, "discount": quote.discount, "delivery_fee": quote.delivery_fee,
            "total": quote.total,
            "coupon": {"code": quote.coupon.code, "name": quote.coupon.name, "description": quote.description},
        }).data)
