"""A partner reports fulfilment of a round that sells its products (orders.fulfilment does it).

POST ``communities/<community_id>/rounds/<round_id>/fulfilments/`` (``write_fulfillments``) records
one report and moves the orders it concerns; GET lists the round's reports by this partner
(``read_orders``). Only the partner's own products, in rounds that sell them, in communities it
is connected to: anything else reads as not found.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from core.api import IdField
from core.api import error_responses as errors
from core.exceptions import NotFound, ValidationFailed
from core.inputs import parse_id
from orders import fulfilment
from orders.models import Shipment
from partners.api.auth import PartnerAPIMixin, connection_for
from partners.models import Scope

TAG = "partner fulfilment"


class FulfilmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(Shipment.Kind.choices, help_text=_lazy(
        "dispatched / arrived (goods sent to, or arrived at, pickup_point_id); out_of_stock (units of sku that "
        "will not come: the members are refunded and told); shipped / delivered (the delivery order order_id)"))
    request_id = serializers.RegexField(
        r"\A[A-Za-z0-9._:-]{1,100}\Z", max_length=100, help_text=_lazy(
            "Your unique id for this report (letters, digits, . _ : -; at most 100): sending it again answers the "
            "first report and changes nothing; with another body, 422."))
    pickup_point_id = IdField(required=False, allow_null=True,
                              help_text=_lazy("dispatched, arrived; out_of_stock: only the orders collected there"))
    order_id = IdField(required=False, allow_null=True,
                       help_text=_lazy("shipped, delivered; out_of_stock: only this order"))
    sku = serializers.CharField(max_length=64, required=False, allow_null=True,
                                help_text=_lazy("out_of_stock: your SKU of the product"))
    quantity = IdField(max_value=fulfilment.MAX_UNITS, required=False, allow_null=True, help_text=_lazy(
        "out_of_stock: the units that will not come, in all (in the round, at the pickup point or in the order; "
        "a report of the same total changes nothing). Omitted: none of them comes."))
    carrier = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    tracking = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FulfilmentOrderSerializer(serializers.Serializer):
    order_id = serializers.IntegerField()
    status = serializers.CharField()


class FulfilmentRefundSerializer(serializers.Serializer):
    order_id = serializers.IntegerField()
    line_id = serializers.IntegerField()
    units = serializers.IntegerField(help_text=_lazy("Units of the line this report took out"))
    amount = serializers.CharField(allow_null=True, help_text=_lazy(
        "Refunded for it (a decimal string); for an order refunded in full, on its last line"))
    order_status = serializers.CharField()


class FulfilmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    request_id = serializers.CharField()
    round_id = serializers.IntegerField(source="group_buy_id")
    pickup_point_id = serializers.IntegerField(allow_null=True)
    order_id = serializers.IntegerField(allow_null=True)
    sku = serializers.SerializerMethodField()
    quantity = serializers.IntegerField(allow_null=True)
    carrier = serializers.CharField()
    tracking = serializers.CharField()
    note = serializers.CharField()
    orders = serializers.SerializerMethodField(help_text=_lazy("The orders the report concerned, as it left them"))
    refunds = serializers.SerializerMethodField(help_text=_lazy("out_of_stock: what each order got back"))
    created_at = serializers.DateTimeField()

    def get_sku(self, report) -> str | None:
        return report.product.supplier_sku if report.product_id else None

    def get_orders(self, report) -> FulfilmentOrderSerializer(many=True):
        return (report.outcome or {}).get("orders", [])

    def get_refunds(self, report) -> FulfilmentRefundSerializer(many=True):
        return (report.outcome or {}).get("refunds", [])


class RoundFulfilmentsView(PartnerAPIMixin, GenericAPIView):
    """A round's fulfilment reports by the partner: list them, or send one."""

    required_scopes = {"GET": Scope.READ_ORDERS, "POST": Scope.WRITE_FULFILLMENTS}
    parser_classes = [JSONParser]
    queryset = Shipment.objects.none()

    def _round(self, request, community_id, round_id):
        connection = connection_for(request, community_id)
        round_pk = parse_id(round_id)
        group_buy = (fulfilment.supplier_rounds(community=connection.community, supplier=connection.supplier)
                     .filter(pk=round_pk).first() if round_pk else None)
        if group_buy is None:
            raise NotFound(_("Group-buy not found."), code="round_not_found")
        return connection, group_buy

    @extend_schema(responses={200: FulfilmentSerializer(many=True), **errors(400, 401, 403, 404)}, tags=[TAG],
                   summary=_lazy("A round's fulfilment reports"))
    def get(self, request, community_id, round_id):
        connection, group_buy = self._round(request, community_id, round_id)
        page = self.paginate_queryset(fulfilment.supplier_reports(group_buy=group_buy, supplier=connection.supplier))
        return self.get_paginated_response(FulfilmentSerializer(page, many=True).data)

    @extend_schema(request=FulfilmentInputSerializer, responses={
        201: OpenApiResponse(FulfilmentSerializer, description=_lazy("Recorded; the orders moved")),
        200: OpenApiResponse(FulfilmentSerializer, description=_lazy("This request_id was sent before: its answer")),
        **errors(400, 401, 403, 404, 409, 422)}, tags=[TAG], summary=_lazy("Report fulfilment"),
        description=_lazy(
            "409 codes: not_succeeded (the round has not succeeded), not_delivery (a pickup order), not_shippable, "
            "not_shipped, nothing_to_deliver, no_open_lines, short_already_reported, too_many_short."))
    def post(self, request, community_id, round_id):
        connection, group_buy = self._round(request, community_id, round_id)
        data = FulfilmentInputSerializer(data=request.data)
        if not data.is_valid():
            fields = {name: [str(m) for m in messages] for name, messages in data.errors.items()}
            general = fields.pop("non_field_errors", None)
            raise ValidationFailed(general[0] if general else _("Some fields are not valid."), fields=fields)
        values = data.validated_data
        community, supplier = connection.community, connection.supplier
        point = order = product = None
        if values.get("pickup_point_id") is not None:
            point = community.pickup_points.filter(pk=values["pickup_point_id"]).first()
            if point is None:
                raise NotFound(_("Pickup point not found."), code="pickup_point_not_found",
                               fields={"pickup_point_id": [_("No such pickup point.")]})
        if values.get("order_id") is not None:
            order = community.orders.filter(pk=values["order_id"], group_buy=group_buy).first()
            if order is None:
                raise NotFound(_("No order of this group-buy holds your products with this id."),
                               code="order_not_found", fields={"order_id": [_("No such order.")]})
        if values.get("sku") is not None:
            product = community.products.filter(supplier=supplier, supplier_sku=values["sku"]).first()
            if product is None:
                raise NotFound(_("This group-buy sells none of your products with this SKU."),
                               code="product_not_found", fields={"sku": [_("No such product in this group-buy.")]})
        report, created = fulfilment.supplier_report(
            community=community, supplier=supplier, group_buy=group_buy, kind=values["kind"],
            request_id=values["request_id"], pickup_point=point, order=order, product=product,
            quantity=values.get("quantity"), carrier=values["carrier"], tracking=values["tracking"],
            note=values["note"])
        report = Shipment.objects.select_related("product").get(pk=report.pk)
        return Response(FulfilmentSerializer(report).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
