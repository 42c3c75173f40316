"""Partner API: the rounds selling the partner's products, their order lines and purchase sheets.

Only rounds with at least one of the partner's products (never drafts) exist for it; in each it
sees its own items and lines only. Lists are ordered by updated_at (then id) so a partner syncs
with ``updated_since`` and the last time it saw.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api import error_responses as errors
from core.exceptions import NotFound
from core.filters import FILTER_BACKENDS, DateTimeFilter, SyncFilterSet
from core.inputs import parse_id
from orders.models import GroupBuy, OrderLine
from partners import selectors
from partners.api import serializers as s
from partners.api.catalog import COMMUNITY, TAG, PartnerView
from partners.models import Scope

ROUND = OpenApiParameter("round_id", int, OpenApiParameter.PATH,
                         description=_lazy("A round selling the partner's products"))
LISTED_ROUND_STATUSES = [(value, label) for value, label in GroupBuy.Status.choices if value != GroupBuy.Status.DRAFT]


class RoundFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=LISTED_ROUND_STATUSES, label=_lazy("Only rounds in this state"))

    class Meta:
        model = GroupBuy
        fields = []


class LineFilter(django_filters.FilterSet):
    updated_since = DateTimeFilter(
        field_name="order__updated_at", lookup_expr="gte",
        label=_lazy("Only lines of orders changed at or after this time (ISO 8601), for clients that sync"))

    class Meta:
        model = OrderLine
        fields = []


class RoundView(PartnerView):
    def get_round(self, round_id) -> GroupBuy:
        round_id = parse_id(round_id)
        group_buy = selectors.partner_round(self.connection, round_id) if round_id is not None else None
        if group_buy is None:
            raise NotFound(_lazy("Round not found."), code="round_not_found")
        return group_buy


class RoundListView(RoundView):
    """Rounds of the community that sell the partner's products, with only its items."""

    required_scopes = {"GET": Scope.READ_ROUNDS}
    filter_backends = FILTER_BACKENDS
    filterset_class = RoundFilter
    queryset = GroupBuy.objects.none()

    @extend_schema(parameters=[COMMUNITY],
                   responses={200: s.PartnerRoundSerializer(many=True), **errors(400, 401, 403, 404, 429)},
                   tags=[TAG], summary=_lazy("Rounds selling the partner's products"))
    def get(self, request, community_id):
        page = self.paginate_queryset(self.filter_queryset(selectors.partner_rounds(self.connection)))
        return self.get_paginated_response(s.PartnerRoundSerializer(page, many=True).data)


class RoundDetailView(RoundView):
    required_scopes = {"GET": Scope.READ_ROUNDS}

    @extend_schema(parameters=[COMMUNITY, ROUND],
                   responses={200: s.PartnerRoundSerializer, **errors(400, 401, 403, 404, 429)},
                   tags=[TAG], summary=_lazy("A round selling the partner's products"))
    def get(self, request, community_id, round_id):
        return Response(s.PartnerRoundSerializer(self.get_round(round_id)).data)


class RoundLineListView(RoundView):
    """The partner's order lines in the round's paid (or later) orders; refunded ones flagged."""

    required_scopes = {"GET": Scope.READ_ORDERS}
    filter_backends = FILTER_BACKENDS
    filterset_class = LineFilter
    queryset = OrderLine.objects.none()

    @extend_schema(parameters=[COMMUNITY, ROUND],
                   responses={200: s.PartnerOrderLineSerializer(many=True), **errors(400, 401, 403, 404, 429)},
                   tags=[TAG],
                   summary=_lazy("Order lines of a round"),
                   description=_lazy("Lines of orders paid, confirmed, ready, shipped or completed, and of "
                                     "refunded ones (refunded: true; nothing to supply). Ordered by the order's "
                                     "updated_at."))
    def get(self, request, community_id, round_id):
        group_buy = self.get_round(round_id)
        page = self.paginate_queryset(self.filter_queryset(selectors.partner_lines(self.connection, group_buy)))
        return self.get_paginated_response(s.PartnerOrderLineSerializer(page, many=True).data)


class PurchaseSheetView(RoundView):
    """What the partner supplies for a round: per product, per pickup point, and for delivery."""

    required_scopes = {"GET": Scope.READ_ROUNDS}

    @extend_schema(parameters=[COMMUNITY, ROUND],
                   responses={200: s.PartnerPurchaseSheetSerializer, **errors(400, 401, 403, 404, 429)},
                   tags=[TAG], summary=_lazy("Purchase sheet of a round"),
                   description=_lazy("Counted from orders paid, confirmed, ready, shipped or completed. Every "
                                     "product of the partner in the round is listed, sold or not."))
    def get(self, request, community_id, round_id):
        group_buy = self.get_round(round_id)
        return Response(s.PartnerPurchaseSheetSerializer(selectors.purchase_sheet(self.connection, group_buy)).data)
