"""REST API for group-buys, teams, orders, wallets and the console's order actions.

Each view: input serializer → rows from the community-scoped queryset → service → output
serializer. The community and the caller's membership come from the URL's slug
(communities.api.views.CommunityAPIView); services raise DomainErrors and check permissions again.

Placing an order is the hot path (a flash sale): the view spends one query on the round (its items
come along, to render the answer without reading the order back), and the rest is the service's.
"""

from __future__ import annotations


from django.db.models import Q, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from communities.api.views import CommunityAPIView
from communities.models import Membership
from communities.permissions import Perm, has_perm, orders_in_scope, pickup_points_in_scope, rounds_in_view
from core.api import error_responses as errors
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from core.filters import FILTER_BACKENDS
from core.idempotency import KEY_PARAMETER, idempotency_key, idempotent
from orders import exports, selectors, services
from orders.api import filters
from orders.api import serializers as s
from orders.models import Commission, GroupBuy, GroupBuyItem, Order, OrderLine, PickupPoint
from orders.seen import round_seen
from payments import services as payments
from payments.models import Payment, Refund, Wallet

class JSONAPIView(CommunityAPIView):
    """Orders' endpoints take JSON only: nested lines and nulls have no form encoding."""

    parser_classes = [JSONParser]


class CSVRenderer(BaseRenderer):
    """Lets ?format=csv through content negotiation; the view answers the CSV itself (orders.exports)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, (bytes, str)) else b""


class CSVAPIView(JSONAPIView):
    """A read answered as JSON, or as the console's CSV export with ?format=csv or Accept: text/csv."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    def wants_csv(self) -> bool:
        return self.request.accepted_renderer.format == "csv"

    def handle_exception(self, exc):
        # Errors keep the one JSON shape, whatever format was asked for.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)


TAG_ROUNDS = "group-buys"
TAG_ORDERS = "orders"
TAG_WALLET = "wallet"
TAG_CONSOLE = "orders console"

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 100}, OpenApiParameter.HEADER, required=True,
    description=_lazy("A unique key per order attempt (1 to 100 characters), e.g. a UUID. Sending it again "
                      "with the same body answers 200 with the same order; with another body, 422."))
OPTIONAL_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 100}, OpenApiParameter.HEADER, required=False,
    description=_lazy("Makes a retry harmless: the same key records the top-up once."))
ORDER_ANSWERS = {
    201: OpenApiResponse(s.OrderSerializer, description=_lazy("Order placed")),
    200: OpenApiResponse(s.OrderSerializer, description=_lazy("A retry with the same key: the same order")),
    **errors(400, 403, 404, 409, 422),
}


# Helpers -----------------------------------------------------------------------------------

def _dotted(errors, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as flat "lines.0.quantity" keys, so every answer has the Error shape."""
    if isinstance(errors, dict):
        flat = {}
        for key, value in errors.items():
            nested = prefix if key == "non_field_errors" and prefix else f"{prefix}.{key}" if prefix else str(key)
            flat.update(_dotted(value, nested))
        return flat
    if isinstance(errors, list) and any(isinstance(e, (dict, list)) for e in errors):
        flat = {}
        for index, value in enumerate(errors):
            if value:
                flat.update(_dotted(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(e) for e in (errors if isinstance(errors, list) else [errors])]}


def _valid(serializer_class, data, *, partial: bool = False, **context) -> dict:
    serializer = serializer_class(data=data, context=context, partial=partial)
    if not serializer.is_valid():
        fields = _dotted(serializer.errors)
        general = fields.pop("non_field_errors", None)
        raise ValidationFailed(general[0] if general else _("Some fields are not valid."), fields=fields)
    return serializer.validated_data


def _visible_rounds(membership: Membership):
    """The rounds a member may see and order from, without prefetching (a filter for other queries)."""
    qs = membership.community.group_buys.all()
    if not has_perm(membership, Perm.MANAGE_GROUP_BUYS):
        qs = qs.filter(status__in=selectors.MEMBER_VISIBLE)
    if selectors.branch_scoped(membership):
        qs = qs.filter(Q(branches__isnull=True) | Q(branches=membership.branch_id))
    return qs


def _prefetched(manager, rows: list):
    """A related manager's queryset already holding ``rows`` (what prefetch_related stores)."""
    qs = manager.all()
    qs._result_cache, qs._prefetch_done = rows, True
    return qs


def _known_lines(order: Order, group_buy: GroupBuy, items: list[GroupBuyItem], lines: list[dict]) -> None:
    """Attach the lines the service just wrote, from the request and the items read before it.

    They are the service's snapshots (product name and unit, group price) of the rows this request
    read a moment before; if an admin changed a price in between the totals disagree and the lines
    are read back instead.
    """
    if "lines" in getattr(order, "_prefetched_objects_cache", {}):
        return  # the service attached them already
    by_pk = {item.pk: item for item in items}
    merged: dict[int, int] = {}
    for line in lines:
        merged[line["item"]] = merged.get(line["item"], 0) + line["quantity"]
    known = [OrderLine(order=order, item_id=pk, product_id=by_pk[pk].product_id, name=by_pk[pk].product.name,
                       unit=by_pk[pk].product.unit, unit_price=by_pk[pk].group_price, quantity=quantity,
                       line_total=services.money(by_pk[pk].group_price * quantity))
             for pk, quantity in sorted(merged.items()) if pk in by_pk]
    # Net of the coupon (and of points, where orders have them), as the service priced it.
    total = sum((line.line_total for line in known), services.money(0)) - order.discount \
        - getattr(order, "points_discount", 0)
    if order.fulfilment == Order.Fulfilment.DELIVERY:
        total += group_buy.delivery_fee
    if len(known) == len(merged) and services.money(total) == order.total:
        order._prefetched_objects_cache = {"lines": _prefetched(order.lines, known)}


def _place_order(view: CommunityAPIView, round_: tuple[GroupBuy, list[GroupBuyItem]], data: dict, key: str,
                 **team) -> Response:
    group_buy, items = round_
    order, created = services.order_place(
        member=view.membership, group_buy=group_buy, lines=[(line["item"], line["quantity"]) for line in data["lines"]],
        idempotency_key=key, fulfilment=data["fulfilment"], pickup_point_id=data.get("pickup_point"),
        delivery_address=data["delivery_address"], note=data["note"], items=items,
        coupon_code=data.get("coupon_code", ""), use_points=data.get("use_points", False), **team)
    if created:
        _known_lines(order, group_buy, items, data["lines"])
        if "lines" not in getattr(order, "_prefetched_objects_cache", {}):
            order = selectors.my_orders(view.membership).get(pk=order.pk)
        return Response(s.OrderSerializer(order).data, status=status.HTTP_201_CREATED)
    # A retry: the order as stored, rendered exactly as the first answer was.
    return Response(s.OrderSerializer(selectors.my_orders(view.membership).get(pk=order.pk)).data)


def _sold_by_items(group_buys) -> dict[int, int]:
    """Units in paid orders per item, for several rounds in one query (the tier price)."""
    rows = (OrderLine.objects.filter(order__group_buy__in=[g.pk for g in group_buys],
                                     order__status__in=services.PAID_STATUSES)
            .values("item_id").annotate(q=Sum("quantity")))
    return {row["item_id"]: row["q"] for row in rows}


def _my_order(view: CommunityAPIView, pk: int) -> Order:
    try:
        return selectors.order_for_member(view.membership, pk)
    except Order.DoesNotExist:
        raise NotFound(_("This order does not exist."), code="order_not_found")


def _all_or_404(queryset, ids: set[int], *, field: str, code: str, message: str) -> list:
    """The community's rows with these ids, or 404 naming the ids it does not have."""
    rows = list(queryset.filter(pk__in=ids))
    if len(rows) != len(ids):
        raise NotFound(message, code=code, fields={field: sorted(str(pk) for pk in ids - {r.pk for r in rows})})
    return rows


def _console_order(view: CommunityAPIView, pk: int) -> Order:
    order = (orders_in_scope(view.membership, view.community.orders).select_related("member", "group_buy", "pickup_point", "team", "community", "charge")
             .prefetch_related("lines").filter(pk=pk).first())
    if order is None:
        raise NotFound(_("This order does not exist."), code="order_not_found")
    return order


# Group-buys --------------------------------------------------------------------------------

class GroupBuyListView(JSONAPIView):
    """Rounds I can see: open, upcoming and past ones, soonest closing first."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.GroupBuySerializer(many=True), **errors(403, 404)}, tags=[TAG_ROUNDS],
                   summary=_lazy("Group-buys"))
    def get(self, request, slug):
        page = self.paginate_queryset(selectors.group_buys_for_member(self.membership))
        context = {"request": request, "sold": _sold_by_items(page)}
        return self.get_paginated_response(s.GroupBuySerializer(page, many=True, context=context).data)


class GroupBuyDetailView(JSONAPIView):
    """A round with its items, price tiers, current prices and pickup points."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.GroupBuySerializer, **errors(403, 404)}, tags=[TAG_ROUNDS],
                   summary=_lazy("A group-buy"))
    def get(self, request, slug, pk):
        if not _visible_rounds(self.membership).filter(pk=pk).exists():
            raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
        group_buy = selectors.group_buy_detail(self.community, pk)
        round_seen(membership=self.membership, group_buy=group_buy)  # the top of the funnel (analytics)
        context = {"request": request, "sold": selectors.sold_by_item(group_buy)}
        return Response(s.GroupBuySerializer(group_buy, context=context).data)


class GroupBuyProgressView(JSONAPIView):
    """Live progress of a round toward its success rule (paid orders count)."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.ProgressSerializer, **errors(403, 404)}, tags=[TAG_ROUNDS],
                   summary=_lazy("Progress of a group-buy"))
    def get(self, request, slug, pk):
        group_buy = _visible_rounds(self.membership).filter(pk=pk).first()
        if group_buy is None:
            raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
        return Response(s.ProgressSerializer(services.group_buy_progress(group_buy)).data)


# Teams -------------------------------------------------------------------------------------

class TeamOpenView(JSONAPIView):
    """Open a team (拼团) in a team purchase: places my order and starts the team around it."""

    permission = Perm.VIEW

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=s.OrderDetailsInputSerializer, responses=ORDER_ANSWERS,
                   tags=[TAG_ORDERS], summary=_lazy("Open a team"),
                   description=_lazy("The answer's team.code is the code to share; the team succeeds when "
                                     "its size of members have paid in time."))
    def post(self, request, slug, pk):
        key = idempotency_key(request)
        data = _valid(s.OrderDetailsInputSerializer, request.data)
        return _place_order(self, selectors.round_for_order(self.membership, pk=pk), data, key, open_team=True)


class TeamJoinView(JSONAPIView):
    """Join a forming team with my order."""

    permission = Perm.VIEW

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=s.OrderDetailsInputSerializer, responses=ORDER_ANSWERS,
                   tags=[TAG_ORDERS], summary=_lazy("Join a team"))
    def post(self, request, slug, code):
        key = idempotency_key(request)
        data = _valid(s.OrderDetailsInputSerializer, request.data)
        try:
            round_ = selectors.round_for_order(self.membership, team_code=code)
        except NotFound:
            raise NotFound(_("This team does not exist."), code="team_not_found")
        return _place_order(self, round_, data, key, team_code=code)


class TeamDetailView(JSONAPIView):
    """A team: its size, who has joined and paid, until when it is forming."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.TeamSerializer, **errors(403, 404)}, tags=[TAG_ORDERS], summary=_lazy("A team"))
    def get(self, request, slug, code):
        team = (self.community.teams.filter(code=code, group_buy__in=_visible_rounds(self.membership).values("pk"))
                .select_related("group_buy", "leader").first())
        if team is None:
            raise NotFound(_("This team does not exist."), code="team_not_found")
        members = list(team.orders.filter(status__in=services.LIVE_STATUSES).select_related("member")
                       .order_by("created_at", "pk"))
        context = {"request": request, "community": self.community, "members": members}
        return Response(s.TeamSerializer(team, context=context).data)


# Orders ------------------------------------------------------------------------------------

class OrderListView(JSONAPIView):
    """GET: my orders, newest first. POST: place an order (needs an Idempotency-Key header)."""

    permission = Perm.VIEW
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.OrderFilter
    queryset = Order.objects.none()  # the model, for the schema; rows come from the selector

    @extend_schema(responses={200: s.OrderSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_ORDERS],
                   summary=_lazy("My orders"),
                   description=_lazy("To sync, keep the newest updated_at seen and ask for updated_since with "
                                     "ordering=updated_at."))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(selectors.my_orders(self.membership)))
        return self.get_paginated_response(s.OrderSerializer(page, many=True).data)

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=s.OrderCreateSerializer, responses=ORDER_ANSWERS,
                   tags=[TAG_ORDERS], summary=_lazy("Place an order"),
                   description=_lazy("Never oversells: 409 sold_out when fewer units are left than asked for, "
                                     "409 member_limit over the per-member limit. Unpaid orders expire after "
                                     "the community's payment window. A coupon_code takes its discount off the "
                                     "total (the answer's discount); one that does not apply is refused with "
                                     "its reason in fields.coupon (codes coupon_*), and nothing is ordered."))
    def post(self, request, slug):
        key = idempotency_key(request)
        data = _valid(s.OrderCreateSerializer, request.data)
        return _place_order(self, selectors.round_for_order(self.membership, pk=data["group_buy"]), data, key)


class OrderDetailView(JSONAPIView):
    """One of my orders, with its payments and refunds."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.OrderDetailSerializer, **errors(403, 404)}, tags=[TAG_ORDERS],
                   summary=_lazy("One of my orders"))
    def get(self, request, slug, pk):
        return Response(s.OrderDetailSerializer(_my_order(self, pk)).data)


class OrderCancelView(JSONAPIView):
    """Cancel my order while the round is open; what was paid comes back."""

    permission = Perm.VIEW

    @extend_schema(request=None, responses={200: s.OrderDetailSerializer, **errors(403, 404, 409)},
                   tags=[TAG_ORDERS], summary=_lazy("Cancel my order"))
    def post(self, request, slug, pk):
        services.order_cancel(member=self.membership, order=_my_order(self, pk))
        return Response(s.OrderDetailSerializer(_my_order(self, pk)).data)


class OrderPayView(JSONAPIView):
    """Pay my order from my wallet, or say I paid by transfer (an admin then confirms it)."""

    permission = Perm.VIEW

    @extend_schema(request=s.PayInputSerializer, responses={200: s.OrderDetailSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_ORDERS], summary=_lazy("Pay my order"),
                   description=_lazy('"wallet" pays at once (409 insufficient_balance when short); "manual" '
                                     "records a transfer for an admin to confirm."))
    def post(self, request, slug, pk):
        data = _valid(s.PayInputSerializer, request.data)
        order = _my_order(self, pk)
        if data["method"] == "wallet":
            services.order_pay_with_wallet(member=self.membership, order=order)
        else:
            services.order_report_transfer(member=self.membership, order=order, reference=data["reference"])
        return Response(s.OrderDetailSerializer(_my_order(self, pk)).data)


# Wallet ------------------------------------------------------------------------------------

class WalletView(JSONAPIView):
    """My prepaid balance in this community."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.WalletSerializer, **errors(403, 404)}, tags=[TAG_WALLET],
                   summary=_lazy("My wallet"))
    def get(self, request, slug):
        wallet = selectors.wallet_of(self.membership)
        balance = wallet.balance if wallet else services.money(0)
        return Response(s.WalletSerializer({"balance": balance, "currency": self.community.currency}).data)


class WalletEntryListView(JSONAPIView):
    """My wallet's ledger, newest first: top-ups, payments, refunds."""

    permission = Perm.VIEW

    @extend_schema(responses={200: s.WalletEntrySerializer(many=True), **errors(403, 404)}, tags=[TAG_WALLET],
                   summary=_lazy("My wallet's ledger"))
    def get(self, request, slug):
        page = self.paginate_queryset(selectors.wallet_entries(selectors.wallet_of(self.membership)))
        return self.get_paginated_response(s.WalletEntrySerializer(page, many=True).data)


# Console actions ---------------------------------------------------------------------------

class MarkPaidView(JSONAPIView):
    """Confirm transfers or cash received, for one order or many (admins)."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(request=s.MarkPaidInputSerializer, responses={200: s.MarkPaidResultSerializer,
                   **errors(400, 403, 404)}, tags=[TAG_CONSOLE], summary=_lazy("Mark orders paid"))
    def post(self, request, slug):
        data = _valid(s.MarkPaidInputSerializer, request.data)
        ids = set(data["orders"])
        orders = _all_or_404(self.community.orders, ids, field="orders", code="order_not_found",
                             message=_("Some of these orders do not exist."))
        marked = {o.pk for o in services.payments_mark_received(actor=self.membership, orders=orders,
                                                                reference=data["reference"])}
        return Response(s.MarkPaidResultSerializer({"marked": sorted(marked), "skipped": sorted(ids - marked)}).data)


class GroupBuyArrivedView(JSONAPIView):
    """The goods arrived (everywhere or at one pickup point): confirmed orders become ready."""

    permission = Perm.MANAGE_GROUP_BUYS

    @extend_schema(request=s.ArrivedInputSerializer, responses={200: s.ArrivedResultSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Goods arrived"))
    def post(self, request, slug, pk):
        data = _valid(s.ArrivedInputSerializer, request.data)
        group_buy = rounds_in_view(self.membership, self.community.group_buys).filter(pk=pk).first()
        if group_buy is None:
            raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
        point = None
        if data.get("pickup_point") is not None:
            point = pickup_points_in_scope(self.membership, self.community.pickup_points).filter(
                pk=data["pickup_point"]).first()
            if point is None:
                raise NotFound(_("This pickup point does not exist."), code="pickup_point_not_found",
                               fields={"pickup_point": [_("Not a pickup point of this community.")]})
        ready = services.group_buy_mark_arrived(actor=self.membership, group_buy=group_buy, pickup_point=point)
        return Response(s.ArrivedResultSerializer({"ready": ready}).data)


PICKUP_ERRORS = _lazy("No ready order: 404 pickup_not_found (a wrong or forged code, or one of another community or "
                      "branch), 409 already_picked_up (the message says when and who handed it over), 409 "
                      "not_arrived (the goods are not marked arrived), 409 not_paid, 409 order_cancelled.")


class PickupView(JSONAPIView):
    """GET: the ready orders with a pickup code. POST: hand one over (it becomes completed)."""

    permission = Perm.CONFIRM_PICKUP

    @extend_schema(parameters=[s.PickupLookupSerializer], responses={200: s.AdminOrderSerializer(many=True),
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Find orders by pickup code"),
                   description=PICKUP_ERRORS)
    def get(self, request, slug):
        data = _valid(s.PickupLookupSerializer, request.query_params)
        orders = services.pickup_find(actor=self.membership, code=data["code"])
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(s.AdminOrderSerializer(page, many=True).data)

    @extend_schema(request=s.PickupInputSerializer, responses={200: s.AdminOrderSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Confirm a pickup"),
                   description=format_lazy("{} {}", _lazy("409 several_orders when more than one ready order has "
                                                          "the code: send the order id too."), PICKUP_ERRORS))
    def post(self, request, slug):
        data = _valid(s.PickupInputSerializer, request.data)
        found = services.pickup_find(actor=self.membership, code=data["code"])
        if data.get("order") is not None:
            found = [o for o in found if o.pk == data["order"]]
        if not found:
            raise NotFound(_("No order ready for pickup has this code."), code="pickup_not_found",
                           fields={"code": [_("No ready order with this code.")]})
        if len(found) > 1:
            names = ", ".join(f"#{o.pk} {o.member.display_name}" for o in found)
            raise Conflict(_("Several orders have this code; choose one: %(orders)s.") % {"orders": names},
                           code="several_orders", fields={"order": [_("Choose one of: %(orders)s.") % {
                               "orders": names}]})
        services.order_complete(actor=self.membership, order=found[0], code=data["code"])
        return Response(s.AdminOrderSerializer(_console_order(self, found[0].pk)).data)


class OrderRefundView(JSONAPIView):
    """Refund a paid order in full (admins); wallet payments are credited back at once."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(request=s.RefundInputSerializer, responses={200: s.AdminOrderSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Refund an order"))
    def post(self, request, slug, pk):
        data = _valid(s.RefundInputSerializer, request.data)
        services.order_refund(actor=self.membership, order=_console_order(self, pk), reason=data["reason"])
        return Response(s.AdminOrderSerializer(_console_order(self, pk)).data)


class TransferDeclineView(JSONAPIView):
    """The transfer a member reported for this order did not arrive (admins): the report is closed, the
    member is told, and an unpaid order gets its payment window again."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(request=s.DeclineInputSerializer, responses={200: s.AdminOrderSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Decline a reported transfer"))
    def post(self, request, slug, pk):
        data = _valid(s.DeclineInputSerializer, request.data)
        services.order_transfer_decline(actor=self.membership, order=_console_order(self, pk), note=data["note"])
        return Response(s.AdminOrderSerializer(_console_order(self, pk)).data)


class TransferReportListView(JSONAPIView):
    """Transfers members reported that wait for an admin, oldest first (whatever became of the order)."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(responses={200: s.TransferReportSerializer(many=True), **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Transfers to confirm"))
    def get(self, request, slug):
        qs = (self.community.payments.filter(status=Payment.Status.PENDING)
              .select_related("charge__member", "charge__order").order_by("created_at", "id"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.TransferReportSerializer(page, many=True).data)


class RefundListView(JSONAPIView):
    """Refunds (admins): by default those owed to members who paid by transfer, to pay back by hand."""

    permission = Perm.MANAGE_ORDERS
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.RefundFilter
    queryset = Refund.objects.none()

    @extend_schema(responses={200: s.AdminRefundSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Refunds owed"))
    def get(self, request, slug):
        qs = (self.community.refunds.select_related("charge__member", "charge__order").order_by("created_at", "id"))
        page = self.paginate_queryset(self.filter_queryset(qs))
        return self.get_paginated_response(s.AdminRefundSerializer(page, many=True).data)


class RefundsPaidBackView(JSONAPIView):
    """Record refunds paid back by hand (admins), one or many, with a reference; each member is told."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(request=s.PaidBackInputSerializer, responses={200: s.PaidBackResultSerializer,
                   **errors(400, 403, 404)}, tags=[TAG_CONSOLE], summary=_lazy("Record refunds paid back"))
    def post(self, request, slug):
        data = _valid(s.PaidBackInputSerializer, request.data)
        ids = set(data["refunds"])
        refunds = _all_or_404(self.community.refunds, ids, field="refunds", code="refund_not_found",
                              message=_("Some of these refunds do not exist."))
        changed = {r.pk for r in services.refunds_mark_paid_back(actor=self.membership, refunds=refunds,
                                                                 reference=data["reference"])}
        return Response(s.PaidBackResultSerializer({"paid_back": sorted(changed),
                                                    "skipped": sorted(ids - changed)}).data)


class WalletTopUpView(JSONAPIView):
    """Record money a member handed over (admins). With an Idempotency-Key, a retry records nothing."""

    permission = Perm.MANAGE_WALLETS

    @extend_schema(parameters=[OPTIONAL_KEY], request=s.TopUpInputSerializer,
                   responses={201: s.TopUpEntrySerializer, **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Top up a member's wallet"))
    def post(self, request, slug):
        key = idempotency_key(request, required=False)
        data = _valid(s.TopUpInputSerializer, request.data)
        target = (self.community.memberships.select_related("user")
                  .filter(user_id=data["member"], status=Membership.Status.ACTIVE).first())
        if target is None:
            raise NotFound(_("This person is not an active member."), code="member_not_found",
                           fields={"member": [_("Not an active member of this community.")]})
        entry = payments.wallet_top_up(actor=self.membership, member_user=target.user, amount=data["amount"],
                                       note=data["note"], key=key)
        return Response(s.TopUpEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


# Orders for admins and leaders -------------------------------------------------------------

def _console_order_detail(view: CommunityAPIView, pk: int) -> Order:
    order = selectors.order_for_console(view.membership, pk)
    if order is None:
        raise NotFound(_("This order does not exist."), code="order_not_found")
    return order


class AdminOrderListView(JSONAPIView):
    """The community's orders (admins), or those of the leader's branch, newest first by default."""

    permission = Perm.VIEW_CONSOLE
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.AdminOrderFilter
    queryset = Order.objects.none()

    @extend_schema(responses={200: s.AdminOrderRowSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Orders (admins and leaders)"),
                   description=_lazy("A leader sees the orders of their branch's members and of their "
                                     "branch's pickup points. To sync, keep the newest updated_at seen and "
                                     "ask for updated_since with ordering=updated_at."))
    def get(self, request, slug):
        # The leader's branch scope first (the selector): the filters narrow it, never widen it.
        orders = selectors.orders_for_console(self.membership).order_by("-created_at", "-id")
        page = self.paginate_queryset(self.filter_queryset(orders))
        return self.get_paginated_response(s.AdminOrderRowSerializer(page, many=True).data)


class AdminOrderDetailView(JSONAPIView):
    """One order (admins; leaders within their branch) with its payment attempts and refunds."""

    permission = Perm.VIEW_CONSOLE

    @extend_schema(responses={200: s.AdminOrderDetailSerializer, **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("An order (admins and leaders)"))
    def get(self, request, slug, pk):
        return Response(s.AdminOrderDetailSerializer(_console_order_detail(self, pk)).data)


class OrderShipView(JSONAPIView):
    """A confirmed delivery order left with the carrier (admins); the tracking number is recorded."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(request=s.ShipInputSerializer, responses={200: s.AdminOrderDetailSerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_CONSOLE], summary=_lazy("Ship an order"))
    def post(self, request, slug, pk):
        data = _valid(s.ShipInputSerializer, request.data)
        services.order_ship(actor=self.membership, order=_console_order(self, pk), tracking=data["tracking"])
        return Response(s.AdminOrderDetailSerializer(_console_order_detail(self, pk)).data)


class OrderDeliverView(JSONAPIView):
    """A shipped delivery order reached its member (admins): it becomes completed."""

    permission = Perm.MANAGE_ORDERS

    @extend_schema(request=None, responses={200: s.AdminOrderDetailSerializer, **errors(403, 404, 409)},
                   tags=[TAG_CONSOLE], summary=_lazy("Confirm a delivery"),
                   description=_lazy("409 not_delivery for a pickup order: those are handed over with their "
                                     "pickup code (admin/pickup/)."))
    def post(self, request, slug, pk):
        order = _console_order(self, pk)
        if order.fulfilment != Order.Fulfilment.DELIVERY:
            raise Conflict(_("This order is picked up, not delivered: confirm it with its pickup code."),
                           code="not_delivery")
        services.order_complete(actor=self.membership, order=order, code=None)
        return Response(s.AdminOrderDetailSerializer(_console_order_detail(self, pk)).data)


# Money for admins --------------------------------------------------------------------------

class AdminWalletListView(JSONAPIView):
    """Members' wallets and their balances (admins), by name or by balance."""

    permission = Perm.MANAGE_WALLETS
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.WalletFilter
    queryset = Wallet.objects.none()

    @extend_schema(responses={200: s.AdminWalletSerializer(many=True), **errors(400, 403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("Members' wallets"))
    def get(self, request, slug):
        wallets = selectors.wallet_balances(self.community).order_by("member__display_name", "id")
        page = self.paginate_queryset(self.filter_queryset(wallets))
        return self.get_paginated_response(s.AdminWalletSerializer(page, many=True).data)


class AdminWalletEntryListView(JSONAPIView):
    """One member's wallet ledger (admins), newest first: top-ups, payments, refunds."""

    permission = Perm.MANAGE_WALLETS

    @extend_schema(responses={200: s.WalletEntrySerializer(many=True), **errors(403, 404)}, tags=[TAG_CONSOLE],
                   summary=_lazy("A member's wallet ledger"))
    def get(self, request, slug, member_id):
        if not self.community.memberships.filter(user_id=member_id).exists():
            raise NotFound(_("This person is not a member of this community."), code="member_not_found")
        wallet = self.community.wallets.filter(member_id=member_id).first()
        page = self.paginate_queryset(selectors.wallet_entries(wallet))
        return self.get_paginated_response(s.WalletEntrySerializer(page, many=True).data)


class CommissionListView(CSVAPIView):
    """Commission statements: a leader's own; admins everyone's (filter by leader) and the CSV export."""

    permission = Perm.VIEW_COMMISSIONS
    filter_backends = FILTER_BACKENDS
    filterset_class = filters.CommissionFilter
    queryset = Commission.objects.none()

    @extend_schema(responses={(200, "application/json"): s.CommissionSerializer(many=True),
                              (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_lazy("CSV file")),
                              **errors(400, 403, 404)},
                   tags=[TAG_CONSOLE], summary=_lazy("Commissions"),
                   description=_lazy("?format=csv (admins) answers the statement as a CSV file, the "
                                     "console's export."))
    def get(self, request, slug):
        everyone = has_perm(self.membership, Perm.EXPORT_COMMISSIONS)
        # A leader's own lines first: ?leader= narrows them (to none for another leader), never widens.
        lines = self.filter_queryset(selectors.commission_statement(self.community,
                                                                    leader=None if everyone else request.user))
        if self.wants_csv():
            if not everyone:
                raise Forbidden(_("Only admins export everyone's commissions."))
            return exports.commissions_csv(self.community, lines)
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(s.CommissionSerializer(page, many=True).data)



# Rounds and pickup points for admins and leaders ----------------------------------------------------

TAG_ROUNDS_CONSOLE = "group-buys console"
CSV_ANSWER = OpenApiResponse(OpenApiTypes.STR, description=_lazy("CSV file (UTF-8 with a byte-order mark)"))


def _round_in_view(view: CommunityAPIView, pk: int) -> GroupBuy:
    """A round the caller sees in the console (a leader: aimed at the whole community, their branch, or theirs)."""
    group_buy = rounds_in_view(view.membership, view.community.group_buys).filter(pk=pk).first()
    if group_buy is None:
        raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
    return group_buy


def _round_answer(view: CommunityAPIView, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    group_buy = selectors.group_buy_detail(view.community, pk)
    context = {"request": view.request, "sold": selectors.sold_by_item(group_buy)}
    return Response(s.AdminGroupBuySerializer(group_buy, context=context).data, status=status_code)


def _item_specs(items: list[dict]) -> list[services.ItemSpec]:
    return [services.ItemSpec(product_id=item["product"], group_price=item["group_price"],
                              quantity_on_offer=item["quantity_on_offer"], per_member_limit=item["per_member_limit"],
                              tiers=tuple((t["min_quantity"], t["price"]) for t in item["tiers"]),
                              item_id=item.get("id"))
            for item in items]



class AdminGroupBuyCreateView(JSONAPIView):
    """GET: the console's rounds, drafts included (a leader: those in view). POST: create a round with
    its items and price tiers; published at once unless publish is false."""

    permission = Perm.MANAGE_GROUP_BUYS

    filter_backends = FILTER_BACKENDS
    filterset_class = filters.AdminGroupBuyFilter
    queryset = GroupBuy.objects.none()

    @extend_schema(responses={200: s.AdminGroupBuySerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Group-buys in the console"))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(selectors.group_buys_for_console(self.membership)))
        context = {"request": request, "sold": _sold_by_items(page)}
        return self.get_paginated_response(s.AdminGroupBuySerializer(page, many=True, context=context).data)

    @extend_schema(request=s.GroupBuyCreateSerializer, parameters=[KEY_PARAMETER],
                   responses={201: OpenApiResponse(s.AdminGroupBuySerializer, description=_lazy("Group-buy created")),
                              **errors(400, 403, 404, 422)},
                   tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Create a group-buy"),
                   description=_lazy("A leader's round reaches their own branch and is collected at their "
                                     "branch's pickup points; only owners and admins set a commission rate. "
                                     "Errors name the field, e.g. items.0 for the first item."))
    def post(self, request, slug):
        return idempotent(request, f"group-buy-create:{self.community.pk}", self._create)

    def _create(self):
        data = _valid(s.GroupBuyCreateSerializer, self.request.data)
        items = _item_specs(data["items"])
        group_buy = services.group_buy_create(
            actor=self.membership, title=data["title"], description=data["description"], mode=data["mode"],
            team_size=data["team_size"], team_window_hours=data["team_window_hours"], opens_at=data["opens_at"],
            closes_at=data["closes_at"], expected_pickup_at=data["expected_pickup_at"],
            pickup_point_ids=data["pickup_points"], allows_delivery=data["allows_delivery"],
            delivery_fee=data["delivery_fee"], success_rule=data["success_rule"],
            success_threshold=data["success_threshold"], commission_rate=data["commission_rate"],
            branch_ids=data["branches"], items=items, publish=data["publish"])
        return _round_answer(self, group_buy.pk, status_code=status.HTTP_201_CREATED)


class AdminGroupBuyDetailView(JSONAPIView):
    """GET: a round as the console sees it (drafts too). PATCH: change it (see the description)."""

    permission = Perm.MANAGE_GROUP_BUYS

    @extend_schema(responses={200: s.AdminGroupBuySerializer, **errors(403, 404)}, tags=[TAG_ROUNDS_CONSOLE],
                   summary=_lazy("A group-buy in the console"))
    def get(self, request, slug, pk):
        return _round_answer(self, _round_in_view(self, pk).pk)

    @extend_schema(request=s.GroupBuyUpdateSerializer, responses={200: s.AdminGroupBuySerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Change a group-buy"),
                   description=_lazy(
                       "Only the fields sent change. A draft changes in everything. Once published, the "
                       "closing time may be extended, items and units added, texts and the pickup time "
                       "fixed; what would hurt members who already ordered (a lower price, a worse tier, "
                       "fewer units than ordered, a higher threshold, removing an ordered item or a pickup "
                       "point in use) is refused with 409 hurts_buyers, the reason in fields. Once closed, "
                       "only title, description and expected_pickup_at change (409 round_closed). Buyers "
                       "are told of a new closing or pickup time."))
    def patch(self, request, slug, pk):
        data = _valid(s.GroupBuyUpdateSerializer, request.data)
        items = _item_specs(data.pop("items")) if "items" in data else None
        changes = {services.ROUND_FIELD_ALIASES.get(name, name): value for name, value in data.items()}
        services.group_buy_update(actor=self.membership, group_buy=_round_in_view(self, pk), items=items, **changes)
        return _round_answer(self, pk)


class AdminGroupBuyCopyView(JSONAPIView):
    """Copy a round into a new draft (the weekly 接龙)."""

    permission = Perm.MANAGE_GROUP_BUYS

    @extend_schema(request=None, parameters=[KEY_PARAMETER],
                   responses={201: OpenApiResponse(s.AdminGroupBuySerializer, description=_lazy("The new draft")),
                              **errors(400, 403, 404, 422)}, tags=[TAG_ROUNDS_CONSOLE],
                   summary=_lazy("Copy a group-buy"),
                   description=_lazy("Same items, prices, tiers and settings; its times moved on by whole weeks "
                                     "until it opens in the future. Products no longer on sale and pickup points "
                                     "no longer in use are left out (400 nothing_to_copy when no product is left)."))
    def post(self, request, slug, pk):
        def copy():
            new = services.group_buy_copy(actor=self.membership, group_buy=_round_in_view(self, pk))
            return _round_answer(self, new.pk, status_code=status.HTTP_201_CREATED)
        return idempotent(request, f"group-buy-copy:{self.community.pk}:{pk}", copy)


class AdminGroupBuyPublishView(JSONAPIView):
    """Publish a draft: stock is reserved and the round opens (or is scheduled for its opening time)."""

    permission = Perm.MANAGE_GROUP_BUYS

    @extend_schema(request=None, responses={200: s.AdminGroupBuySerializer, **errors(403, 404, 409)},
                   tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Publish a group-buy"),
                   description=_lazy("409 not_draft when it was published already; 409 closed when its "
                                     "closing time has passed."))
    def post(self, request, slug, pk):
        services.group_buy_publish(actor=self.membership, group_buy=_round_in_view(self, pk))
        return _round_answer(self, pk)


class AdminGroupBuyCancelView(JSONAPIView):
    """Cancel a round that has not been settled: every order is cancelled and refunded."""

    permission = Perm.MANAGE_GROUP_BUYS

    @extend_schema(request=s.GroupBuyCancelSerializer, responses={200: s.AdminGroupBuySerializer,
                   **errors(400, 403, 404, 409)}, tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Cancel a group-buy"),
                   description=_lazy("409 not_cancellable once it has closed."))
    def post(self, request, slug, pk):
        data = _valid(s.GroupBuyCancelSerializer, request.data)
        services.group_buy_cancel(actor=self.membership, group_buy=_round_in_view(self, pk), reason=data["reason"])
        return _round_answer(self, pk)


class PurchaseSheetView(CSVAPIView):
    """What to buy from each supplier: the units held by paid orders, at the price the tiers reached."""

    permission = Perm.MANAGE_GROUP_BUYS

    @extend_schema(responses={(200, "application/json"): s.PurchaseSheetSerializer,
                              (200, "text/csv"): CSV_ANSWER, **errors(403, 404)},
                   tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Purchase sheet"),
                   description=_lazy("?format=csv (or Accept: text/csv) answers the console's CSV export."))
    def get(self, request, slug, pk):
        group_buy = _round_in_view(self, pk)
        blocks = exports.purchase_sheet(group_buy)
        if self.wants_csv():
            return exports.purchase_sheet_csv(group_buy, blocks)
        return Response(s.PurchaseSheetSerializer({
            "group_buy": group_buy, "suppliers": blocks,
            "total_quantity": sum(line.quantity for block in blocks for line in block.lines),
            "total_amount": sum((block.amount for block in blocks), services.money(0))}).data)


class PickupSheetView(CSVAPIView):
    """The orders to hand over at one pickup point: member, phone, pickup code, items."""

    permission = Perm.CONFIRM_PICKUP

    @extend_schema(responses={(200, "application/json"): s.PickupSheetSerializer,
                              (200, "text/csv"): CSV_ANSWER, **errors(403, 404)},
                   tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Pickup sheet"),
                   description=_lazy("A leader gets the sheets of their branch's pickup points, with the "
                                     "orders in their scope. ?format=csv (or Accept: text/csv) answers the "
                                     "console's CSV export."))
    def get(self, request, slug, pk, point_pk):
        group_buy = _round_in_view(self, pk)
        point = pickup_points_in_scope(self.membership, self.community.pickup_points).filter(pk=point_pk).first()
        if point is None:
            raise NotFound(_("This pickup point does not exist."), code="pickup_point_not_found")
        orders = list(orders_in_scope(self.membership, exports.pickup_sheet_orders(self.community, group_buy, point)))
        if self.wants_csv():
            return exports.pickup_sheet_csv(group_buy, point, orders)
        for order in orders:
            order.lines_text = exports.lines_text(order)
        return Response(s.PickupSheetSerializer({"group_buy": group_buy, "pickup_point": point,
                                                 "orders": orders}).data)


def _point_choices(view: CommunityAPIView, data: dict) -> dict:
    """The leader (a user) and branch the ids name, or field errors; the service decides who may choose them."""
    chosen, fields = {}, {}
    if "leader" in data:
        chosen["leader"] = None
        if data["leader"] is not None:
            membership = view.community.memberships.select_related("user").filter(user_id=data["leader"]).first()
            if membership is None:
                fields["leader"] = [_("Not a member of this community.")]
            else:
                chosen["leader"] = membership.user
    if "branch" in data:
        chosen["branch"] = None
        if data["branch"] is not None:
            chosen["branch"] = view.community.active_branches().filter(pk=data["branch"]).first()
            if chosen["branch"] is None:
                fields["branch"] = [_("Choose a branch of this community.")]
    if fields:
        raise ValidationFailed(next(iter(fields.values()))[0], fields=fields)
    return chosen


def _points(view: CommunityAPIView):
    return pickup_points_in_scope(view.membership, view.community.pickup_points).select_related("leader")


class PickupPointListView(JSONAPIView):
    """GET: the pickup points the caller runs (a leader: their branch's). POST: add one."""

    permission = Perm.MANAGE_GROUP_BUYS

    filter_backends = FILTER_BACKENDS
    filterset_class = filters.PickupPointFilter
    queryset = PickupPoint.objects.none()

    @extend_schema(responses={200: s.AdminPickupPointSerializer(many=True), **errors(400, 403, 404)},
                   tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Pickup points"))
    def get(self, request, slug):
        page = self.paginate_queryset(self.filter_queryset(_points(self).order_by("-is_active", "name", "id")))
        return self.get_paginated_response(s.AdminPickupPointSerializer(page, many=True).data)

    @extend_schema(request=s.PickupPointInputSerializer,
                   responses={201: s.AdminPickupPointSerializer, **errors(400, 403, 404, 409)},
                   tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Add a pickup point"),
                   description=_lazy("A leader's pickup point belongs to their own branch. 409 when the "
                                     "name is taken."))
    def post(self, request, slug):
        data = _valid(s.PickupPointInputSerializer, request.data)
        data.update(_point_choices(self, data))
        point = services.pickup_point_save(actor=self.membership, **data)
        return Response(s.AdminPickupPointSerializer(point).data, status=status.HTTP_201_CREATED)


class PickupPointDetailView(JSONAPIView):
    """Change a pickup point the caller runs; is_active=false retires it (rounds no longer offer it)."""

    permission = Perm.MANAGE_GROUP_BUYS

    @extend_schema(request=s.PickupPointInputSerializer(partial=True),
                   responses={200: s.AdminPickupPointSerializer, **errors(400, 403, 404, 409)},
                   tags=[TAG_ROUNDS_CONSOLE], summary=_lazy("Change or retire a pickup point"))
    def patch(self, request, slug, pk):
        data = _valid(s.PickupPointInputSerializer, request.data, partial=True)
        point = _points(self).select_related("branch").filter(pk=pk).first()
        if point is None:
            raise NotFound(_("This pickup point does not exist."), code="pickup_point_not_found")
        current = {"name": point.name, "address": point.address, "hours": point.hours, "leader": point.leader,
                   "branch": point.branch, "is_active": point.is_active}
        current.update({k: v for k, v in data.items() if k not in ("leader", "branch")})
        current.update(_point_choices(self, data))
        point = services.pickup_point_save(actor=self.membership, pickup_point=point, **current)
        return Response(s.AdminPickupPointSerializer(point).data)
