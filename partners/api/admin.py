"""The community admin's API for partner shops (what the console's partner pages do), under
/api/v1/communities/<slug>/partners/…: connections (list, invite, accept, refuse, end, the review
toggle), the directory of partner shops to invite from, pushed products waiting for review (approve,
reject), and the log of webhook deliveries of the community's events (redeliver).

MANAGE_PARTNERS (admins and the owner): a leader or a member gets 403, another community's
connection, product or delivery is a 404. Thin views over partners.services,
catalog.services.product_review and partners.webhooks.redeliver."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from catalog import services as catalog_services
from catalog.models import Product
from communities.permissions import Perm
from core.api import IdField
from core.api import error_responses as errors
from core.exceptions import NotFound, ValidationFailed
from core.inputs import parse_id
from orders.api.serializers import NamedChoiceField
from orders.api.views import JSONAPIView, _valid
from partners import console_selectors as selectors
from partners import services, webhooks
from partners.models import Connection, Partner, WebhookDelivery

TAG = "partner shops console"


# Shapes ------------------------------------------------------------------------------------------

def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise serializers.ValidationError(_lazy("Remove the NUL characters."))
    return value


class PartnerCardSerializer(serializers.ModelSerializer):
    # "" when the partner gave none: a plain string, not format "email".
    contact_email = serializers.CharField(read_only=True)

    class Meta:
        model = Partner
        fields = ["id", "name", "slug", "description", "contact_email", "contact_phone"]
        read_only_fields = fields


class CommunityPartnerConnectionSerializer(serializers.ModelSerializer):
    partner = PartnerCardSerializer(read_only=True)
    status = NamedChoiceField(enum_name="PartnerConnectionStatusEnum", choices=Connection.Status.choices,
                              read_only=True,
                              help_text=_lazy("requested (by the partner, waiting for an admin) · invited (by the "
                                              "community, waiting for the partner) · active · refused · ended"))
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True, allow_null=True,
                                        help_text=_lazy("The catalog supplier standing for the partner"))
    review_products = serializers.BooleanField(read_only=True,
                                               help_text=_lazy("Pushed products wait for an admin's approval"))

    class Meta:
        model = Connection
        fields = ["id", "partner", "status", "status_display", "supplier", "review_products", "message",
                  "decided_at", "created_at", "updated_at"]
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    partner = IdField(help_text=_lazy("The partner shop's id (from the directory)"))
    review_products = serializers.BooleanField(required=False, default=True)


class DecideSerializer(serializers.Serializer):
    review_products = serializers.BooleanField(required=False, allow_null=True, default=None,
                                               help_text=_lazy("Set the review choice at the same time; "
                                                               "omitted: unchanged"))


class ReviewToggleSerializer(serializers.Serializer):
    review_products = serializers.BooleanField()


class ReviewProductSerializer(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True, allow_null=True)
    supplier_name = serializers.SerializerMethodField()
    review = NamedChoiceField(enum_name="ProductReviewEnum", choices=Product.Review.choices, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "name", "description", "unit", "list_price", "supplier", "supplier_name", "supplier_sku",
                  "review", "is_active", "created_at", "updated_at"]
        read_only_fields = fields

    def get_supplier_name(self, product) -> str:
        return product.supplier.name if product.supplier_id else ""


class ProductRejectSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                 help_text=_lazy("Why (kept in the audit log)"), validators=[_no_nul])


class CommunityWebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.public_id", read_only=True, help_text=_lazy("evt_… (for dedupe)"))
    event_type = serializers.CharField(source="event.type", read_only=True)
    partner = serializers.IntegerField(source="partner_id", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    endpoint_url = serializers.CharField(source="endpoint.url", read_only=True)
    status = NamedChoiceField(enum_name="CommunityWebhookDeliveryStatusEnum", choices=WebhookDelivery.Status.choices,
                              read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event_id", "event_type", "partner", "partner_name", "endpoint_url", "status", "attempts",
                  "response_status", "error", "duration_ms", "last_attempt_at", "next_attempt_at", "delivered_at",
                  "created_at"]
        read_only_fields = fields


STATUS_PARAMETER = OpenApiParameter(
    "status", str, enum=Connection.Status.values,
    description=_lazy("Only connections in this status (requested: waiting for your decision)"))
QUERY_PARAMETER = OpenApiParameter("q", str, required=True,
                                   description=_lazy("Part of the partner shop's name or short name (1 to 80 characters)"))
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description=_lazy("A page number from 1 (or \"last\")")),
    OpenApiParameter("page_size", OpenApiTypes.INT, description=_lazy("1 to 200; 50 when not given")),
]


def _connection(view, pk) -> Connection:
    connection = selectors.community_connections(view.community).filter(pk=parse_id(pk) or 0).first()
    if connection is None:
        raise NotFound(_("Connection not found."), code="connection_not_found")
    return connection


def _answer(view, pk) -> Response:
    return Response(CommunityPartnerConnectionSerializer(_connection(view, pk)).data)


# Connections -------------------------------------------------------------------------------------

class ConnectionListView(JSONAPIView):
    """The community's partner connections, newest change first; POST invites a partner shop."""

    permission = Perm.MANAGE_PARTNERS
    queryset = Connection.objects.none()

    @extend_schema(parameters=[STATUS_PARAMETER, *PAGE_PARAMETERS],
                   responses={200: CommunityPartnerConnectionSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Partner shop connections"))
    def get(self, request, slug):
        status = request.query_params.get("status", "")
        if status and status not in Connection.Status.values:
            message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(Connection.Status.values)}
            raise ValidationFailed(message, fields={"status": [message]})
        page = self.paginate_queryset(selectors.community_connections(self.community, status or None))
        return self.get_paginated_response(CommunityPartnerConnectionSerializer(page, many=True).data)

    @extend_schema(request=InviteSerializer,
                   responses={201: CommunityPartnerConnectionSerializer, **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Invite a partner shop"),
                   description=_lazy("The partner is connected once it accepts; inviting a partner that asked "
                                     "already accepts its request. Inviting again changes nothing."))
    def post(self, request, slug):
        data = _valid(InviteSerializer, request.data)
        partner = Partner.objects.filter(pk=data["partner"], is_active=True).first()
        if partner is None:
            message = _("No partner shop has this id.")
            raise ValidationFailed(message, fields={"partner": [message]})
        connection = services.connection_invite(actor=self.membership, partner=partner,
                                                review_products=data["review_products"])
        return Response(CommunityPartnerConnectionSerializer(_connection(self, connection.pk)).data, status=201)


class ConnectionView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS
    queryset = Connection.objects.none()

    @extend_schema(responses={200: CommunityPartnerConnectionSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("A partner shop connection"))
    def get(self, request, slug, pk):
        return _answer(self, pk)

    @extend_schema(request=ReviewToggleSerializer,
                   responses={200: CommunityPartnerConnectionSerializer, **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Review the partner's pushed products, or not"),
                   description=_lazy("review_products true: products it pushes wait for an admin before sale."))
    def patch(self, request, slug, pk):
        data = _valid(ReviewToggleSerializer, request.data)
        services.connection_set_review(actor=self.membership, connection=_connection(self, pk),
                                       review_products=data["review_products"])
        return _answer(self, pk)


class ConnectionAcceptView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS

    @extend_schema(request=DecideSerializer,
                   responses={200: CommunityPartnerConnectionSerializer, **errors(400, 403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Accept a partner shop's request"),
                   description=_lazy("409 already_decided when the request is not waiting."))
    def post(self, request, slug, pk):
        data = _valid(DecideSerializer, request.data)
        services.connection_decide(actor=self.membership, connection=_connection(self, pk), accept=True,
                                   review_products=data["review_products"])
        return _answer(self, pk)


class ConnectionRefuseView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS

    @extend_schema(request=None, responses={200: CommunityPartnerConnectionSerializer, **errors(403, 404, 409)},
                   tags=[TAG], summary=_lazy("Refuse a partner shop's request"),
                   description=_lazy("It may ask again after 30 days. 409 already_decided when it is not waiting."))
    def post(self, request, slug, pk):
        services.connection_decide(actor=self.membership, connection=_connection(self, pk), accept=False)
        return _answer(self, pk)


class ConnectionEndView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS

    @extend_schema(request=None, responses={200: CommunityPartnerConnectionSerializer, **errors(403, 404)},
                   tags=[TAG], summary=_lazy("End a connection (or withdraw an invitation)"),
                   description=_lazy("The partner no longer sees the community; its products stay in the "
                                     "catalog as the supplier's. Ending an ended one changes nothing."))
    def post(self, request, slug, pk):
        services.connection_end(connection=_connection(self, pk), by_member=self.membership)
        return _answer(self, pk)


class DirectoryView(JSONAPIView):
    """Partner shops found by name, to invite (those connected, asking or invited already are left out)."""

    permission = Perm.MANAGE_PARTNERS
    queryset = Partner.objects.none()

    @extend_schema(parameters=[QUERY_PARAMETER, *PAGE_PARAMETERS],
                   responses={200: PartnerCardSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Find a partner shop to invite"))
    def get(self, request, slug):
        query = request.query_params.get("q", "").strip()
        if not query or len(query) > 80:
            message = _("Type 1 to 80 characters of the name.")
            raise ValidationFailed(message, fields={"q": [message]})
        page = self.paginate_queryset(selectors.partner_directory(self.community, query))
        return self.get_paginated_response(PartnerCardSerializer(page, many=True).data)


# Pushed products to review ------------------------------------------------------------------------

def _pending_product(view, pk) -> Product:
    product = Product.objects.filter(community=view.community, pk=parse_id(pk) or 0).select_related("supplier").first()
    if product is None:
        raise NotFound(_("Product not found."), code="product_not_found")
    return product


class ReviewProductListView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS
    queryset = Product.objects.none()

    @extend_schema(parameters=PAGE_PARAMETERS,
                   responses={200: ReviewProductSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("Pushed products waiting for review"),
                   description=_lazy("Oldest first. Only products partners pushed while their connection asks for "
                                     "review wait here."))
    def get(self, request, slug):
        page = self.paginate_queryset(selectors.products_to_review(self.community))
        return self.get_paginated_response(ReviewProductSerializer(page, many=True).data)


class ReviewProductApproveView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS

    @extend_schema(request=None, responses={200: ReviewProductSerializer, **errors(403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Approve a pushed product"),
                   description=_lazy("It goes on sale, and the partner hears product.approved. "
                                     "409 not_pending when it is not waiting."))
    def post(self, request, slug, pk):
        product = catalog_services.product_review(actor=self.membership, product=_pending_product(self, pk),
                                                  approve=True)
        return Response(ReviewProductSerializer(product).data)


class ReviewProductRejectView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS

    @extend_schema(request=ProductRejectSerializer,
                   responses={200: ReviewProductSerializer, **errors(400, 403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Reject a pushed product"),
                   description=_lazy("It stays off sale until the partner changes it. "
                                     "409 not_pending when it is not waiting."))
    def post(self, request, slug, pk):
        data = _valid(ProductRejectSerializer, request.data)
        product = catalog_services.product_review(actor=self.membership, product=_pending_product(self, pk),
                                                  approve=False, note=data.get("note", ""))
        return Response(ReviewProductSerializer(product).data)


# Webhook deliveries -------------------------------------------------------------------------------

class DeliveryListView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS
    queryset = WebhookDelivery.objects.none()

    @extend_schema(parameters=PAGE_PARAMETERS,
                   responses={200: CommunityWebhookDeliverySerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG], summary=_lazy("Webhook deliveries of the community's events"),
                   description=_lazy("Newest first: what was sent to partner shops' endpoints, with the answer."))
    def get(self, request, slug):
        page = self.paginate_queryset(selectors.community_deliveries(self.community))
        return self.get_paginated_response(CommunityWebhookDeliverySerializer(page, many=True).data)


class DeliveryRedeliverView(JSONAPIView):
    permission = Perm.MANAGE_PARTNERS

    @extend_schema(request=None, responses={202: CommunityWebhookDeliverySerializer, **errors(403, 404)},
                   tags=[TAG], summary=_lazy("Send a delivery again"),
                   description=_lazy("Queued now, with the same event id (receivers dedupe on it)."))
    def post(self, request, slug, pk):
        delivery = selectors.community_deliveries(self.community).filter(pk=parse_id(pk) or 0).first()
        if delivery is None:
            raise NotFound(_("Delivery not found."), code="delivery_not_found")
        webhooks.redeliver(delivery)
        delivery = selectors.community_deliveries(self.community).get(pk=delivery.pk)
        return Response(CommunityWebhookDeliverySerializer(delivery).data, status=202)
