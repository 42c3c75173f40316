"""/api/v1/partner/webhooks/: a partner system manages its webhook endpoints and reads its
delivery log and events (with the ``manage_webhooks`` scope).

Endpoints, events and deliveries are the partner's, not a community's. A key limited to some
communities reads only those communities' events and deliveries, and cannot change endpoints
(an endpoint hears of every connected community): that takes a key without a limit.
Writes go through ``partners.services`` (endpoints) and ``partners.webhooks.redeliver``.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from core.api import error_responses as errors
from core.exceptions import Forbidden, NotFound
from core.filters import FILTER_BACKENDS, ChoiceFilter, IdFilter
from core.inputs import parse_id
from partners import services, webhooks
from partners.api.auth import PartnerAPIMixin
from partners.models import EventType, PartnerStaff, Scope, WebhookDelivery, WebhookEndpoint, WebhookEvent

TAG = "partner webhooks"


# Serializers -----------------------------------------------------------------------------------

# The schema describes these choices by a pattern, not an enum: drf-spectacular names enums by
# field name, and the event types appear as "events", "type" and "event_type" (and "status" means
# other things elsewhere). ENUM_NAME_OVERRIDES entries in settings would allow enums here.
def _choice_schema(values, description: str) -> dict:
    return {"type": "string", "pattern": "^(" + "|".join(v.replace(".", "\\.") for v in values) + ")$",
            "description": description}


@extend_schema_field(_choice_schema(EventType.values, "One of: " + ", ".join(EventType.values)))
class EventTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=EventType.choices, **kwargs)


@extend_schema_field(_choice_schema(WebhookDelivery.Status.values, "pending (to try, or waiting out a backoff), "
                                                                   "succeeded, or failed (gave up)"))
class DeliveryStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=WebhookDelivery.Status.choices, **kwargs)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=EventTypeField(), read_only=True)
    consecutive_failures = serializers.IntegerField(
        read_only=True, help_text=_lazy("Failed deliveries in a row; at the threshold the endpoint is switched off"))
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                            help_text=_lazy("When it was switched off after failing; null when on"))
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text=_lazy("After a rotation: until then the old secret signs too (a second v1 signature)"))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "is_active", "consecutive_failures", "disabled_at",
                  "disabled_reason", "previous_secret_expires_at", "created_at", "updated_at"]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text=_lazy(
        "The signing secret (whsec_…): shown only when the endpoint is created and when it is rotated"))

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text=_lazy("An https:// address on the public internet"))
    events = serializers.ListField(child=EventTypeField(), min_length=1,
                                   max_length=len(EventType.values))
    description = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    events = serializers.ListField(child=EventTypeField(), min_length=1,
                                   max_length=len(EventType.values), required=False)
    description = serializers.CharField(max_length=120, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False, help_text=_lazy(
        "false switches it off; true switches it back on and clears its failure count"))


class WebhookEventSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True,
                               help_text=_lazy("evt_…: the webhook-id header; receivers dedupe on it"))
    type = EventTypeField(read_only=True)
    community = serializers.IntegerField(source="community_id", read_only=True)
    data = serializers.JSONField(read_only=True, help_text=_lazy("The body's data, as sent"))

    class Meta:
        model = WebhookEvent
        fields = ["id", "type", "community", "created_at", "data"]
        read_only_fields = fields


class WebhookDeliveryEventSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    type = EventTypeField(read_only=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = WebhookDeliveryEventSerializer(read_only=True)
    endpoint = serializers.IntegerField(source="endpoint_id", read_only=True)
    community = serializers.IntegerField(source="community_id", read_only=True)
    status = DeliveryStatusField(read_only=True)
    next_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                                help_text=_lazy("When the next try is due; null once settled"))
    response_status = serializers.IntegerField(read_only=True, allow_null=True,
                                               help_text=_lazy("The last try's HTTP status; null for none"))
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "endpoint", "community", "status", "attempts", "next_attempt_at",
                  "last_attempt_at", "response_status", "error", "duration_ms", "delivered_at", "created_at"]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    event = WebhookEventSerializer(read_only=True)
    response_body = serializers.CharField(read_only=True, help_text=_lazy("The start of the last answer's body"))

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "response_body"]
        read_only_fields = fields


# Filters ---------------------------------------------------------------------------------------

class DeliveryFilter(django_filters.FilterSet):
    endpoint = IdFilter(field_name="endpoint_id", label=_lazy("Only deliveries to this endpoint (its id)"))
    community = IdFilter(field_name="community_id", label=_lazy("Only deliveries of this community's events"))
    status = ChoiceFilter(choices=WebhookDelivery.Status.choices, label=_lazy("Only deliveries in this state"))
    event_type = ChoiceFilter(field_name="event__type", choices=EventType.choices,
                              label=_lazy("Only deliveries of this event type"))

    class Meta:
        model = WebhookDelivery
        fields = []


class EventFilter(django_filters.FilterSet):
    type = ChoiceFilter(choices=EventType.choices, label=_lazy("Only events of this type"))
    community = IdFilter(field_name="community_id", label=_lazy("Only this community's events"))

    class Meta:
        model = WebhookEvent
        fields = []


# Views -----------------------------------------------------------------------------------------

class WebhookAPIView(PartnerAPIMixin, GenericAPIView):
    required_scopes = {"*": Scope.MANAGE_WEBHOOKS}
    parser_classes = [JSONParser]

    @property
    def partner_id(self) -> int:
        return self.request.auth.partner_id

    def actor(self) -> PartnerStaff:
        """The services' actor for a key: the partner's side, no person (endpoints need only the partner)."""
        self._check_unlimited()
        return PartnerStaff(partner=self.request.user.partner, role=PartnerStaff.Role.STAFF)

    def _check_unlimited(self) -> None:
        if self.request.auth.community_ids:
            raise Forbidden(_("A key limited to some communities cannot change webhook endpoints: an endpoint "
                              "hears of every community. Use a key without a limit."), code="key_limited")

    def endpoints(self):
        return WebhookEndpoint.objects.filter(partner_id=self.partner_id)

    def endpoint(self, raw) -> WebhookEndpoint:
        found = self.endpoints().filter(pk=parse_id(raw)).first() if parse_id(raw) else None
        if found is None:
            raise NotFound(_("Webhook endpoint not found."), code="endpoint_not_found")
        return found

    def deliveries(self):
        qs = WebhookDelivery.objects.filter(partner_id=self.partner_id)
        if self.request.auth.community_ids:
            qs = qs.filter(community_id__in=self.request.auth.community_ids)
        return qs

    def delivery(self, raw) -> WebhookDelivery:
        pk = parse_id(raw)
        found = self.deliveries().select_related("event").filter(pk=pk).first() if pk else None
        if found is None:
            raise NotFound(_("Delivery not found."), code="delivery_not_found")
        return found


class EndpointListView(WebhookAPIView):
    """The partner's webhook endpoints, newest first."""

    queryset = WebhookEndpoint.objects.none()

    @extend_schema(responses={200: WebhookEndpointSerializer(many=True), **errors(400, 401, 403)}, tags=[TAG],
                   summary=_lazy("Webhook endpoints"))
    def get(self, request):
        page = self.paginate_queryset(self.endpoints().order_by("-created_at", "-id"))
        return self.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    @extend_schema(request=WebhookEndpointCreateSerializer, responses={201: WebhookEndpointWithSecretSerializer,
                                                                **errors(400, 401, 403, 409)},
                   tags=[TAG], summary=_lazy("Add a webhook endpoint"),
                   description=_lazy("The answer shows the signing secret: keep it, it is not shown again "
                                     "(rotate it to get a new one)."))
    def post(self, request):
        actor = self.actor()
        data = _valid(WebhookEndpointCreateSerializer, request.data)
        endpoint = services.endpoint_create(actor=actor, url=data["url"], events=data["events"],
                                            description=data.get("description", ""))
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(WebhookAPIView):
    """One webhook endpoint: read, change (switch off or back on), delete."""

    @extend_schema(responses={200: WebhookEndpointSerializer, **errors(401, 403, 404)}, tags=[TAG],
                   summary=_lazy("A webhook endpoint"))
    def get(self, request, endpoint_id):
        return Response(WebhookEndpointSerializer(self.endpoint(endpoint_id)).data)

    @extend_schema(request=WebhookEndpointUpdateSerializer, responses={200: WebhookEndpointSerializer, **errors(400, 401, 403, 404)},
                   tags=[TAG], summary=_lazy("Change a webhook endpoint"),
                   description=_lazy("Only the fields given change. is_active=true switches an endpoint that was "
                                     "switched off back on; redeliver what it missed from the delivery log."))
    def patch(self, request, endpoint_id):
        endpoint = self.endpoint(endpoint_id)
        actor = self.actor()
        data = _valid(WebhookEndpointUpdateSerializer, request.data)
        endpoint = services.endpoint_update(actor=actor, endpoint=endpoint, url=data.get("url"),
                                            events=data.get("events"), description=data.get("description"),
                                            is_active=data.get("is_active"))
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={204: OpenApiResponse(description=_lazy("Deleted")),
                                            **errors(401, 403, 404)},
                   tags=[TAG], summary=_lazy("Delete a webhook endpoint"),
                   description=_lazy("Its pending deliveries are dropped with it."))
    def delete(self, request, endpoint_id):
        endpoint = self.endpoint(endpoint_id)
        services.endpoint_delete(actor=self.actor(), endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateSecretView(WebhookAPIView):
    @extend_schema(request=None, responses={200: WebhookEndpointWithSecretSerializer, **errors(401, 403, 404)}, tags=[TAG],
                   summary=_lazy("Rotate an endpoint's signing secret"),
                   description=_lazy("A new secret signs from now on; the old one signs too for 24 hours (each "
                                     "delivery then carries two v1 signatures), so the receiver can switch with "
                                     "no gap. The answer shows the new secret, once."))
    def post(self, request, endpoint_id):
        endpoint = self.endpoint(endpoint_id)
        endpoint = services.endpoint_rotate_secret(actor=self.actor(), endpoint=endpoint)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class DeliveryListView(WebhookAPIView):
    """The delivery log: each event sent (or to send) to each endpoint, newest first."""

    filter_backends = FILTER_BACKENDS
    filterset_class = DeliveryFilter
    queryset = WebhookDelivery.objects.none()

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True), **errors(400, 401, 403)}, tags=[TAG],
                   summary=_lazy("Webhook deliveries"))
    def get(self, request):
        qs = self.filter_queryset(self.deliveries().select_related("event").order_by("-id"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class DeliveryDetailView(WebhookAPIView):
    @extend_schema(responses={200: WebhookDeliveryDetailSerializer, **errors(401, 403, 404)}, tags=[TAG],
                   summary=_lazy("A webhook delivery"),
                   description=_lazy("With the event as sent and the start of the last answer."))
    def get(self, request, delivery_id):
        return Response(WebhookDeliveryDetailSerializer(self.delivery(delivery_id)).data)


class DeliveryRedeliverView(WebhookAPIView):
    @extend_schema(request=None, responses={202: WebhookDeliverySerializer, **errors(401, 403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Send a delivery again"),
                   description=_lazy("Queued at once with the same event id (webhook-id): receivers that already "
                                     "have it ignore it. 409 endpoint_disabled when its endpoint is switched off."))
    def post(self, request, delivery_id):
        delivery = webhooks.redeliver(self.delivery(delivery_id))
        return Response(WebhookDeliverySerializer(self.delivery(delivery.pk)).data, status=status.HTTP_202_ACCEPTED)


class EventListView(WebhookAPIView):
    """The events the partner was told of (each once, whatever the number of endpoints), newest first."""

    filter_backends = FILTER_BACKENDS
    filterset_class = EventFilter
    queryset = WebhookEvent.objects.none()

    @extend_schema(responses={200: WebhookEventSerializer(many=True), **errors(400, 401, 403)}, tags=[TAG],
                   summary=_lazy("Webhook events"))
    def get(self, request):
        qs = WebhookEvent.objects.filter(partner_id=self.partner_id)
        if request.auth.community_ids:
            qs = qs.filter(community_id__in=request.auth.community_ids)
        page = self.paginate_queryset(self.filter_queryset(qs.order_by("-id")))
        return self.get_paginated_response(WebhookEventSerializer(page, many=True).data)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
