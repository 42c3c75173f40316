"""REST API for split-bill collections (AA收款).

Each view: input serializer → the collection from the community-scoped selectors (one the caller
neither organizes nor takes part in is a 404) → crowdfunding.collections → output serializer.
The services check again who may act (403 not_organizer for a participant asking what only the
organizer may do).
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from communities.api.views import CommunityAPIView
from communities.permissions import Perm, acts_community_wide
from core.api import error_responses as errors
from core.exceptions import Forbidden, ValidationFailed
from core.idempotency import KEY_PARAMETER, idempotency_key, idempotent
from crowdfunding import collection_selectors as selectors
from crowdfunding import collections as services
from crowdfunding.api import collection_serializers as s
from crowdfunding.models import Collection

TAG = "split-bill collections"


def _flat(errors, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(errors, dict):
        flat = {}
        for key, value in errors.items():
            flat.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(errors, list) and any(isinstance(e, (dict, list)) for e in errors):
        flat = {}
        for index, value in enumerate(errors):
            if value:
                flat.update(_flat(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(e) for e in (errors if isinstance(errors, list) else [errors])]}


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        fields = _flat(serializer.errors)
        general = fields.pop("non_field_errors", None)
        raise ValidationFailed(general[0] if general else _("Some fields are not valid."), fields=fields)
    return serializer.validated_data


class CollectionAPIView(CommunityAPIView):
    parser_classes = [JSONParser]
    permission = Perm.VIEW
    queryset = Collection.objects.none()  # the model, for the schema; rows come from the selectors

    def detail(self, pk, *, code=status.HTTP_200_OK) -> Response:
        collection = selectors.collection_for_member(self.membership, pk)
        return Response(s.CollectionDetailSerializer(collection).data, status=code)

    def share(self, pk, share_pk):
        return selectors.share_of(selectors.collection_for_member(self.membership, pk), share_pk)


class CollectionListView(CollectionAPIView):
    """GET: collections I organize or take part in. POST: start one."""

    @extend_schema(responses={200: s.CollectionSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("My split-bill collections"),
                   description=_lazy("Those I organize and those I have a share in, newest first."))
    def get(self, request, slug):
        page = self.paginate_queryset(selectors.collections_for_member(self.membership))
        return self.get_paginated_response(s.CollectionSerializer(page, many=True).data)

    @extend_schema(request=s.CollectionCreateSerializer, parameters=[KEY_PARAMETER],
                   responses={201: s.CollectionDetailSerializer, **errors(400, 403, 404, 422)}, tags=[TAG],
                   summary=_lazy("Start a split-bill collection"),
                   description=_lazy('split "even": the total is spread to the cent (the first shares carry the '
                                     'cents left over; each share at least 0.01). split "per_head": everyone owes '
                                     "per_head. Every participant is told."))
    def post(self, request, slug):
        def create():
            data = _valid(s.CollectionCreateSerializer, request.data)
            key = idempotency_key(request, required=False) or uuid.uuid4().hex
            collection = services.collection_create(
                organizer=self.membership, title=data["title"], description=data["description"], split=data["split"],
                total=data["total"], per_head=data["per_head"], participant_ids=data["participant_ids"],
                idempotency_key=key)
            return self.detail(collection.pk, code=status.HTTP_201_CREATED)
        return idempotent(request, f"collection-create:{self.community.pk}", create)


class CollectionDetailView(CollectionAPIView):
    """One collection I organize or take part in: its progress and who has paid."""

    @extend_schema(responses={200: s.CollectionDetailSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("One split-bill collection"))
    def get(self, request, slug, pk):
        return self.detail(pk)


class SharePayView(CollectionAPIView):
    """Pay a share: mine, or someone else's (代付), from my wallet or by a transfer the organizer confirms."""

    @extend_schema(request=s.SharePayInputSerializer, parameters=[KEY_PARAMETER],
                   responses={200: s.CollectionDetailSerializer, **errors(400, 403, 404, 409, 422)}, tags=[TAG],
                   summary=_lazy("Pay a share"),
                   description=_lazy('"wallet" pays at once (409 insufficient_balance when short); "transfer" '
                                     "records a transfer for the organizer to confirm. Paying someone else's share "
                                     "makes it mine to pay (a refund comes back to me). A share already paid: "
                                     "409 already_paid."))
    def post(self, request, slug, pk, share_pk):
        def pay():
            data = _valid(s.SharePayInputSerializer, request.data)
            share = self.share(pk, share_pk)
            if data["method"] == "wallet":
                services.share_pay_with_wallet(payer=self.membership, share=share)
            else:
                services.share_report_transfer(payer=self.membership, share=share, reference=data["reference"])
            return self.detail(pk)
        return idempotent(request, f"collection-share-pay:{share_pk}", pay)


class ShareConfirmView(CollectionAPIView):
    """The organizer received the transfer reported for a share."""

    @extend_schema(request=None, responses={200: s.CollectionDetailSerializer, **errors(403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Confirm a reported transfer (organizer)"),
                   description=_lazy("409 no_report when no transfer waits. Money arriving after the collection "
                                     "closed is recorded and owed back to its payer."))
    def post(self, request, slug, pk, share_pk):
        services.share_confirm_transfer(organizer=self.membership, share=self.share(pk, share_pk))
        return self.detail(pk)


class ShareDeclineView(CollectionAPIView):
    """The organizer did not receive the transfer reported for a share: it stays unpaid, the payer is told."""

    @extend_schema(request=None, responses={200: s.CollectionDetailSerializer, **errors(403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Decline a reported transfer (organizer)"))
    def post(self, request, slug, pk, share_pk):
        services.share_decline_transfer(organizer=self.membership, share=self.share(pk, share_pk))
        return self.detail(pk)


class CollectionCloseView(CollectionAPIView):
    """Close a collection early (organizer): unpaid shares are no longer due; what was paid is kept or refunded."""

    @extend_schema(request=s.CloseInputSerializer, responses={200: s.CollectionDetailSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Close early (organizer)"))
    def post(self, request, slug, pk):
        data = _valid(s.CloseInputSerializer, request.data)
        collection = selectors.collection_for_member(self.membership, pk)
        services.collection_close(actor=self.membership, collection=collection, outcome=data["outcome"])
        return self.detail(pk)


class CollectionRemindView(CollectionAPIView):
    """Remind those who have not paid (organizer; at most once an hour)."""

    @extend_schema(request=None, responses={200: s.RemindResultSerializer, **errors(403, 404, 409)}, tags=[TAG],
                   summary=_lazy("Remind unpaid participants (organizer)"),
                   description=_lazy("409 reminded_recently within an hour of the last reminder."))
    def post(self, request, slug, pk):
        collection = selectors.collection_for_member(self.membership, pk)
        count = services.collection_remind(actor=self.membership, collection=collection)
        return Response(s.RemindResultSerializer({"reminded": count}).data)


class AdminCollectionListView(CollectionAPIView):
    """Every collection of the community (owners and admins; leaders get 403)."""

    permission = Perm.VIEW_CONSOLE

    @extend_schema(responses={200: s.CollectionSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG],
                   summary=_lazy("All split-bill collections (owners and admins)"))
    def get(self, request, slug):
        if not acts_community_wide(self.membership):
            raise Forbidden()
        page = self.paginate_queryset(selectors.collections_for_console(self.membership))
        return self.get_paginated_response(s.CollectionSerializer(page, many=True).data)


class AdminCollectionDetailView(CollectionAPIView):
    """One collection of the community, with its shares (owners and admins)."""

    permission = Perm.VIEW_CONSOLE

    @extend_schema(responses={200: s.CollectionDetailSerializer, **errors(403, 404)}, tags=[TAG],
                   summary=_lazy("One split-bill collection (owners and admins)"))
    def get(self, request, slug, pk):
        if not acts_community_wide(self.membership):
            raise Forbidden()
        return Response(s.CollectionDetailSerializer(selectors.collection_for_console(self.membership, pk)).data)


class AdminCollectionCloseView(CollectionAPIView):
    """Close a collection early (owners and admins)."""

    permission = Perm.VIEW_CONSOLE

    @extend_schema(request=s.CloseInputSerializer, responses={200: s.CollectionDetailSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG], summary=_lazy("Close early (owners and admins)"))
    def post(self, request, slug, pk):
        if not acts_community_wide(self.membership):
            raise Forbidden()
        data = _valid(s.CloseInputSerializer, request.data)
        collection = selectors.collection_for_console(self.membership, pk)
        services.collection_close(actor=self.membership, collection=collection, outcome=data["outcome"])
        return Response(s.CollectionDetailSerializer(selectors.collection_for_console(self.membership, pk)).data)
