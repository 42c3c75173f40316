"""My inbox and my notification preferences through the API (/api/v1/me/...).

Everything here is the caller's own: the queryset starts from the recipient, so another user's
notifications are never listed, and their ids are ignored when marking read (the answer counts
only the caller's notices that were marked).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from core.api import IdField, error_responses
from core.filters import FILTER_BACKENDS, InboxFilter
from core.models import Notification, NotificationOptOut
from core.notifications import KINDS, mark_read, set_opt_outs

TAG = "me"
MARK_READ_MAX_IDS = 500


# Inbox -----------------------------------------------------------------------------------------

class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField(help_text=_lazy("A path on the site, or empty"))
    community = serializers.CharField(source="community.slug", allow_null=True, default=None,
                                      help_text=_lazy("The slug of the community it is about, or null"))
    read = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class InboxView(GenericAPIView):
    """My notifications, newest first."""

    filter_backends = FILTER_BACKENDS
    filterset_class = InboxFilter
    queryset = Notification.objects.none()  # the model, for the schema; rows are the caller's own

    @extend_schema(tags=[TAG], summary=_lazy("My inbox"),
                   responses={200: NotificationSerializer(many=True), **error_responses(400, 401)})
    def get(self, request):
        notices = Notification.objects.filter(recipient=request.user).select_related("community")
        page = self.paginate_queryset(self.filter_queryset(notices.order_by("-created_at", "-id")))
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), required=False, max_length=MARK_READ_MAX_IDS,
                                help_text=_lazy("Notification ids to mark read (another user's are ignored)"))
    all = serializers.BooleanField(required=False, default=False, help_text=_lazy("true: mark every notice read"))

    def validate(self, attrs):
        if attrs.get("all") == ("ids" in attrs):
            message = _("Send either ids or \"all\": true.")
            raise serializers.ValidationError({"ids": [message]})
        return attrs


class MarkReadAnswerSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_lazy("How many of my unread notices were marked read now"))


class InboxMarkReadView(GenericAPIView):
    parser_classes = [JSONParser]
    filter_backends = []

    @extend_schema(tags=[TAG], summary=_lazy("Mark notices read"), request=MarkReadSerializer,
                   responses={200: MarkReadAnswerSerializer, **error_responses(400, 401)})
    def post(self, request):
        """Mark some of my notices read (`ids`), or all of them (`"all": true`). Ids of another
        user's notices, or of none, are ignored: `marked` counts only mine that were unread."""
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data.get("all") else data.validated_data["ids"]
        return Response({"marked": mark_read(user=request.user, notification_ids=ids)})


# Notification preferences ----------------------------------------------------------------------

class PreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(KINDS))
    label = serializers.CharField(read_only=True)
    inbox = serializers.BooleanField(help_text=_lazy("false: this kind is off entirely (no inbox, no e-mail)"))
    email = serializers.BooleanField(help_text=_lazy("false: no e-mail copy (ignored when inbox is false)"))


class PreferencesSerializer(serializers.Serializer):
    kinds = PreferenceSerializer(many=True, help_text=_lazy(
        "One entry per kind; a kind left out is on (inbox and e-mail)"))

    def validate_kinds(self, kinds):
        seen = [entry["kind"] for entry in kinds]
        if len(seen) != len(set(seen)):
            raise serializers.ValidationError(_("Each kind at most once."))
        return kinds


def _preferences(user) -> dict:
    opt_outs = set(NotificationOptOut.objects.filter(user=user).values_list("kind", "channel"))
    return {"kinds": [{
        "kind": kind, "label": str(label),
        "inbox": (kind, NotificationOptOut.Channel.ALL) not in opt_outs,
        "email": not opt_outs & {(kind, NotificationOptOut.Channel.ALL), (kind, NotificationOptOut.Channel.EMAIL)},
    } for kind, label in KINDS.items()]}


class NotificationPreferencesView(GenericAPIView):
    """Which notices I get, per kind: in the inbox at all, and also by e-mail (the profile page's settings)."""

    parser_classes = [JSONParser]
    filter_backends = []
    pagination_class = None

    @extend_schema(tags=[TAG], summary=_lazy("My notification preferences"),
                   responses={200: PreferencesSerializer, **error_responses(401)})
    def get(self, request):
        return Response(PreferencesSerializer(_preferences(request.user)).data)

    @extend_schema(tags=[TAG], summary=_lazy("Replace my notification preferences"), request=PreferencesSerializer,
                   responses={200: PreferencesSerializer, **error_responses(400, 401)})
    def put(self, request):
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kinds = data.validated_data["kinds"]
        set_opt_outs(user=request.user,
                     all_off={entry["kind"] for entry in kinds if not entry["inbox"]},
                     email_off={entry["kind"] for entry in kinds if not entry["email"]})
        return Response(PreferencesSerializer(_preferences(request.user)).data)
