"""Fulfilment reported by suppliers (partner shops' systems, through partners/api/fulfilment.py).

A supplier reports on a round that sells its products, about its own products only:

- ``dispatched`` to a pickup point (carrier, tracking): recorded; members whose orders at that
  point hold the supplier's lines are told. No status changes.
- ``arrived`` at a pickup point: confirmed pickup orders there become ready, as when an admin marks
  the goods arrived (the same ``services._mark_ready``), but only once every supplier of the order
  has reported arrival there (see ``_waiting``).
- ``out_of_stock``: units of one product (in the round, at one pickup point or in one order) will
  not come. The last orders placed lose them first; each member is refunded for the units
  (``services._refund`` through payments/, keyed per line and per count of units short, so a
  replayed, doubled or concurrent report refunds once) and told. An order left with nothing to
  deliver is refunded in full and cancelled (its coupon use comes back here, its points through
  ``order.cancelled``).
- ``shipped`` / ``delivered`` for a delivery order: as the console's ``order_ship`` and the
  completion of a delivery (``services._ship`` / ``services._complete``: commission,
  ``order.completed``), once every supplier of the order has reported it.

**When does an order with lines of several suppliers move?** When every supplier whose lines in
it are still to be delivered (not wholly out of stock) has reported the step: for a pickup order,
``arrived`` at the order's pickup point in this round; for a delivery order, ``shipped`` (then
``delivered``) for that order. A line of a product with no supplier has nobody to report it, so
such an order waits for an admin (who may mark the goods arrived at any time, whatever the
suppliers reported: the console's action is unchanged).

Every report carries the client's ``request_id``: the same id again answers the first report
(``Shipment.outcome`` keeps what it did) and changes nothing; the same id with another body is
refused (422). Locks as in orders.services: the round (FOR NO KEY UPDATE, like an admin's
round-wide action) → orders by id → charge (payments) → wallet; the report's row is inserted
before any of them, so a concurrent copy of the same request waits on its unique key, holding
nothing, and then answers as a replay.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import emit
from core.exceptions import Conflict, NotFound, Unprocessable, ValidationFailed
from core.money import money
from core.notifications import in_language_of, notify
from core.templatetags.money import money as format_money
from orders import coupons, services
from orders.models import GroupBuy, GroupBuyItem, Order, OrderLine, PickupPoint, Shipment
from payments.models import Refund

Kind = Shipment.Kind

# Orders a supplier's report may still change: confirmed by the round's success, not yet handed over.
OPEN_STATUSES = (Order.Status.CONFIRMED, Order.Status.READY, Order.Status.SHIPPED)
MAX_UNITS = 1_000_000
# What must be given with each kind (the API answers 400 naming the field otherwise).
REQUIRED = {Kind.DISPATCHED: "pickup_point", Kind.ARRIVED: "pickup_point", Kind.OUT_OF_STOCK: "product",
            Kind.SHIPPED: "order", Kind.DELIVERED: "order"}
# What each kind may name besides (an out-of-stock report may narrow to a pickup point or an order).
USED = {Kind.DISPATCHED: {"pickup_point_id"}, Kind.ARRIVED: {"pickup_point_id"},
        Kind.OUT_OF_STOCK: {"sku", "pickup_point_id", "order_id", "quantity"},
        Kind.SHIPPED: {"order_id"}, Kind.DELIVERED: {"order_id"}}
# The fields that make a report what it is: a request_id sent again must carry the same.
_SAME = ("kind", "group_buy_id", "pickup_point_id", "order_id", "product_id", "quantity", "carrier", "tracking",
         "note")


def supplier_rounds(*, community, supplier):
    """The community's rounds that sell at least one of the supplier's products."""
    return community.group_buys.filter(
        Exists(GroupBuyItem.objects.filter(group_buy=OuterRef("pk"), product__supplier=supplier)))


def supplier_reports(*, group_buy: GroupBuy, supplier):
    """A round's reports by this supplier, newest first."""
    return (Shipment.objects.filter(community_id=group_buy.community_id, group_buy=group_buy, supplier=supplier)
            .select_related("product").order_by("-created_at", "-id"))


def _supplier_lines(supplier):
    """Lines of the supplier's products still to be delivered (not wholly out of stock)."""
    return OrderLine.objects.filter(product__supplier=supplier).exclude(quantity_short=F("quantity"))


def _check(*, community, supplier, group_buy, kind, pickup_point, order, product, quantity) -> GroupBuyItem | None:
    """What a report names must be the supplier's, in this community and round (else 404)."""
    if kind not in Kind.values:
        raise ValidationFailed(_("Unknown kind of report."), fields={"kind": [_("Unknown kind of report.")]})
    given = {"pickup_point_id": pickup_point, "order_id": order, "sku": product, "quantity": quantity}
    required = {"pickup_point": "pickup_point_id", "order": "order_id", "product": "sku"}[REQUIRED[kind]]
    if given[required] is None:
        raise ValidationFailed(_("This report needs %(field)s.") % {"field": required},
                               fields={required: [_("This field is required.")]})
    unused = [name for name, value in given.items() if value is not None and name not in USED[kind]]
    if unused:
        raise ValidationFailed(_("This kind of report does not take %(fields)s.") % {"fields": ", ".join(unused)},
                               fields={name: [_("Not used by this kind of report.")] for name in unused})
    if quantity is not None and not 1 <= quantity <= MAX_UNITS:
        raise ValidationFailed(_("The quantity must be between 1 and 1,000,000."),
                               fields={"quantity": [_("Between 1 and 1,000,000.")]})
    if (supplier.community_id != community.pk or group_buy.community_id != community.pk
            or not supplier_rounds(community=community, supplier=supplier).filter(pk=group_buy.pk).exists()):
        raise NotFound(_("Group-buy not found."), code="round_not_found")
    if pickup_point is not None and not group_buy.pickup_points.filter(pk=pickup_point.pk).exists():
        raise NotFound(_("This group-buy has no such pickup point."), code="pickup_point_not_found",
                       fields={"pickup_point_id": [_("Not a pickup point of this group-buy.")]})
    if order is not None and (order.group_buy_id != group_buy.pk or not OrderLine.objects.filter(
            order_id=order.pk, product__supplier=supplier).exists()):
        raise NotFound(_("No order of this group-buy holds your products with this id."), code="order_not_found",
                       fields={"order_id": [_("No such order.")]})
    item = None
    if product is not None:
        item = (GroupBuyItem.objects.filter(group_buy=group_buy, product=product, product__supplier=supplier)
                .select_related("product").first())
        if item is None:
            raise NotFound(_("This group-buy sells none of your products with this SKU."), code="product_not_found",
                           fields={"sku": [_("No such product in this group-buy.")]})
    return item


def supplier_report(*, community, supplier, group_buy: GroupBuy, kind: str, request_id: str,
                    pickup_point: PickupPoint | None = None, order: Order | None = None, product=None,
                    quantity: int | None = None, carrier: str = "", tracking: str = "",
                    note: str = "") -> tuple[Shipment, bool]:
    """Record a supplier's report and move the orders it concerns: (the report, whether it is new).

    Raises NotFound (what it names is not the supplier's, or not in this round), ValidationFailed
    (a field the kind needs is missing), Conflict (the round or order is not at that step; the
    codes say which), Unprocessable (``request_id`` already used for another report).
    """
    item = _check(community=community, supplier=supplier, group_buy=group_buy, kind=kind, pickup_point=pickup_point,
                  order=order, product=product, quantity=quantity)
    report = Shipment(community_id=community.pk, group_buy=group_buy, supplier=supplier, kind=kind,
                      pickup_point=pickup_point, order=order, product=product, quantity=quantity,
                      carrier=(carrier or "").strip()[:60], tracking=(tracking or "").strip()[:100],
                      note=(note or "").strip()[:200], request_id=request_id)
    earlier = Shipment.objects.filter(community_id=community.pk, supplier=supplier, request_id=request_id).first()
    if earlier is not None:
        return _replay(earlier, report), False
    with transaction.atomic():
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            # The same request at the same time: it waited for the first one's commit.
            earlier = Shipment.objects.filter(community_id=community.pk, supplier=supplier,
                                              request_id=request_id).first()
            if earlier is None:
                raise
            return _replay(earlier, report), False
        services._lock_round(group_buy.pk, share=False)
        locked_round = GroupBuy.objects.select_related("community").get(pk=group_buy.pk)
        if locked_round.status not in (GroupBuy.Status.SUCCEEDED, GroupBuy.Status.FULFILLED):
            raise Conflict(_("This group-buy has not succeeded (it is %(status)s): nothing is to be delivered yet.")
                           % {"status": locked_round.get_status_display()}, code="not_succeeded")
        report.group_buy = locked_round
        report.outcome = _APPLY[kind](report, item)
        report.save(update_fields=["outcome"])
    return report, True


def _replay(earlier: Shipment, asked: Shipment) -> Shipment:
    if any(getattr(earlier, name) != getattr(asked, name) for name in _SAME):
        raise Unprocessable(_("This request_id was used for another report: send a new request_id for a new "
                              "report."), code="request_id_reused", fields={"request_id": [_("Already used.")]})
    return earlier


def _lock_orders(queryset) -> list[Order]:
    return list(queryset.select_for_update(of=("self",)).select_related("member", "pickup_point", "charge")
                .order_by("pk"))


def _waiting(group_buy: GroupBuy, orders: list[Order], kind: str) -> dict[int, set]:
    """Per order, the suppliers of its lines still to deliver that have not reported ``kind`` (for
    arrival: at the order's pickup point in this round; for shipping and delivery: for the order).
    None stands for lines with no supplier (an admin's to move)."""
    ids = [o.pk for o in orders]
    waiting: dict[int, set] = {pk: set() for pk in ids}
    open_lines = (OrderLine.objects.filter(order_id__in=ids).exclude(quantity_short=F("quantity"))
                  .values_list("order_id", "order__pickup_point_id", "product__supplier_id"))
    reports = Shipment.objects.filter(group_buy=group_buy, kind=kind)
    if kind == Kind.ARRIVED:
        done = set(reports.values_list("pickup_point_id", "supplier_id"))
        for order_id, point_id, supplier_id in open_lines:
            if supplier_id is None or (point_id, supplier_id) not in done:
                waiting[order_id].add(supplier_id)
    else:
        done = set(reports.filter(order_id__in=ids).values_list("order_id", "supplier_id"))
        for order_id, _point_id, supplier_id in open_lines:
            if supplier_id is None or (order_id, supplier_id) not in done:
                waiting[order_id].add(supplier_id)
    return waiting


def _by(report: Shipment) -> dict:
    """What the audit rows of the orders a report moved record about it."""
    return {"supplier": report.supplier.name, "report": report.pk}


def _advance(report: Shipment, orders: list[Order]) -> None:
    """Move the (locked) orders as far as the suppliers' reports allow: a pickup order to ready, a
    delivery order to shipped, then to completed."""
    group_buy = report.group_buy
    pickup = [o for o in orders if o.fulfilment == Order.Fulfilment.PICKUP and o.status == Order.Status.CONFIRMED]
    if pickup:
        waiting = _waiting(group_buy, pickup, Kind.ARRIVED)
        services._mark_ready(group_buy, [o for o in pickup if not waiting[o.pk]], **_by(report))
    delivery = [o for o in orders if o.fulfilment == Order.Fulfilment.DELIVERY and o.status == Order.Status.CONFIRMED]
    if delivery:
        waiting = _waiting(group_buy, delivery, Kind.SHIPPED)
        for order in delivery:
            if not waiting[order.pk]:
                services._ship(order, tracking=report.tracking, carrier=report.carrier, **_by(report))
    shipped = [o for o in orders if o.fulfilment == Order.Fulfilment.DELIVERY and o.status == Order.Status.SHIPPED]
    if shipped:
        waiting = _waiting(group_buy, shipped, Kind.DELIVERED)
        for order in shipped:
            if not waiting[order.pk]:
                order.group_buy = group_buy
                services._complete(order, **_by(report))


def _moved(orders: list[Order]) -> list[dict]:
    return [{"order_id": o.pk, "status": o.status} for o in orders]


# Goods on the way to a pickup point and arrived there ---------------------------------------------

def _orders_at_point(report: Shipment, statuses) -> list[Order]:
    return _lock_orders(Order.objects.filter(
        Exists(_supplier_lines(report.supplier).filter(order_id=OuterRef("pk"))),
        group_buy=report.group_buy, fulfilment=Order.Fulfilment.PICKUP, pickup_point=report.pickup_point,
        status__in=statuses))


def _tell_on_the_way(report: Shipment, order: Order) -> None:
    group_buy = report.group_buy
    with in_language_of(order.member):
        if order.fulfilment == Order.Fulfilment.PICKUP:
            body = _("%(supplier)s sent the goods to %(point)s.") % {
                "supplier": report.supplier.name, "point": order.pickup_point.name}
        else:
            body = _("%(supplier)s sent your goods.") % {"supplier": report.supplier.name}
        if report.carrier or report.tracking:
            body += " " + _("Carrier: %(carrier)s, tracking number: %(tracking)s.") % {
                "carrier": report.carrier or "—", "tracking": report.tracking or "—"}
        notify(recipient=order.member, community=group_buy.community, kind="order_dispatched",
               title=_("Your order from %(title)s is on its way") % {"title": group_buy.title}, body=body,
               url=order.get_absolute_url(), dedupe_key=f"dispatched:{report.pk}:{order.pk}")


def _dispatched(report: Shipment, item) -> dict:
    orders = _orders_at_point(report, (Order.Status.CONFIRMED,))
    for order in orders:
        _tell_on_the_way(report, order)
    return {"orders": _moved(orders)}


def _arrived(report: Shipment, item) -> dict:
    orders = _orders_at_point(report, (Order.Status.CONFIRMED,))
    _advance(report, orders)
    return {"orders": _moved(orders)}


# Delivery orders ---------------------------------------------------------------------------------

def _delivery_order(report: Shipment) -> Order:
    order = _lock_orders(Order.objects.filter(pk=report.order_id))[0]
    if order.fulfilment != Order.Fulfilment.DELIVERY:
        raise Conflict(_("Order #%(id)s is collected at a pickup point: report the goods dispatched to and arrived "
                         "at its pickup point instead.") % {"id": order.pk}, code="not_delivery")
    if not _supplier_lines(report.supplier).filter(order_id=order.pk).exists():
        raise Conflict(_("Nothing of yours is left to deliver in order #%(id)s (out of stock).") % {"id": order.pk},
                       code="nothing_to_deliver")
    return order


def _shipped(report: Shipment, item) -> dict:
    order = _delivery_order(report)
    if order.status not in (Order.Status.CONFIRMED, Order.Status.SHIPPED):
        raise Conflict(_("Only confirmed delivery orders can be shipped (order #%(id)s is %(status)s).") % {
            "id": order.pk, "status": order.get_status_display()}, code="not_shippable")
    _advance(report, [order])
    _tell_on_the_way(report, order)
    return {"orders": _moved([order])}


def _delivered(report: Shipment, item) -> dict:
    order = _delivery_order(report)
    shipped_by_supplier = Shipment.objects.filter(group_buy=report.group_buy, order=order, supplier=report.supplier,
                                                  kind=Kind.SHIPPED).exists()
    if not (order.status == Order.Status.SHIPPED
            or (order.status == Order.Status.CONFIRMED and shipped_by_supplier)):
        raise Conflict(_("Order #%(id)s has not been shipped (it is %(status)s): report it shipped first.") % {
            "id": order.pk, "status": order.get_status_display()}, code="not_shipped")
    _advance(report, [order])
    return {"orders": _moved([order])}


# Out of stock -----------------------------------------------------------------------------------

def line_refund_amount(order: Order, line: OrderLine, units: int, *, goods: Decimal) -> Decimal:
    """What a member gets back for ``units`` of a line that will not come.

    The line's share of what the order's goods cost the member in money: the order's goods
    (``goods``: the sum of its lines, after tier prices) less what a coupon and points took off,
    times ``unit price × units / goods``. A coupon or points discount is thus shared by every line
    in proportion to its price, and the member is never paid back in money what points paid (those
    points stay spent for a partial shortage; a wholly undelivered order gives them back through
    ``order.cancelled``). The delivery fee is not a line's: it comes back only with the whole order.
    Rounded once, half up, and never more than what was paid less what was already refunded
    (payments.services.refund caps it again under the charge's lock).
    """
    if goods <= 0 or units <= 0:
        return Decimal("0.00")
    paid_for_goods = max(goods - order.discount - order.points_discount, Decimal("0"))
    share = money(paid_for_goods * line.unit_price * units / goods)
    room = order.charge.paid_amount - order.charge.refunded_amount
    return max(min(share, room), Decimal("0.00"))


def _out_of_stock(report: Shipment, item: GroupBuyItem) -> dict:
    scope = OrderLine.objects.filter(order__group_buy=report.group_buy, item=item)
    if report.pickup_point_id:
        scope = scope.filter(order__pickup_point_id=report.pickup_point_id)
    if report.order_id:
        scope = scope.filter(order_id=report.order_id)
    orders = {o.pk: o for o in _lock_orders(Order.objects.filter(
        pk__in=scope.filter(order__status__in=OPEN_STATUSES).values("order_id")))}
    already = scope.aggregate(n=Sum("quantity_short"))["n"] or 0
    # The last orders placed go without first.
    open_lines = [line for line in scope.filter(order_id__in=list(orders)).exclude(quantity_short=F("quantity"))
                  .order_by("-order__created_at", "-order_id")]
    remaining = sum(line.quantity - line.quantity_short for line in open_lines)
    name = item.product.name
    if report.quantity is None and not remaining and not already:
        raise Conflict(_("No order still to be delivered holds %(name)s here.") % {"name": name}, code="no_open_lines")
    total = report.quantity if report.quantity is not None else already + remaining
    if total < already:
        raise Conflict(_("%(n)s units of %(name)s were already reported out of stock here; a report cannot take "
                         "units back.") % {"n": already, "name": name}, code="short_already_reported")
    if total - already > remaining:
        raise Conflict(_("Only %(n)s units of %(name)s are still to be delivered here: report at most %(max)s in "
                         "all.") % {"n": remaining, "name": name, "max": already + remaining}, code="too_many_short")
    need, now = total - already, timezone.now()
    taken: dict[int, list[tuple[OrderLine, int]]] = defaultdict(list)
    for line in open_lines:
        if need <= 0:
            break
        units = min(need, line.quantity - line.quantity_short)
        need -= units
        line.quantity_short += units
        line.out_of_stock_at = now
        line.save(update_fields=["quantity_short", "out_of_stock_at"])
        taken[line.order_id].append((line, units))
    refunds = []
    for order_id in sorted(taken):
        order = orders[order_id]
        order.group_buy = report.group_buy
        refunds.extend(_refund_lines(report, order, taken[order_id]))
    still_open = [orders[pk] for pk in sorted(taken) if orders[pk].status in OPEN_STATUSES]
    # An order that waited only for these goods may now move on.
    _advance(report, still_open)
    # Read again: a completion above may have fulfilled the round already.
    services._fulfil_if_done(GroupBuy.objects.select_related("community").get(pk=report.group_buy_id))
    return {"refunds": refunds}


def _refund_lines(report: Shipment, order: Order, taken: list[tuple[OrderLine, int]]) -> list[dict]:
    """Refund one order for its lines that will not come (order locked), and tell its member."""
    lines = list(OrderLine.objects.filter(order=order))
    everything_short = all(line.quantity_short == line.quantity for line in lines)
    rows = []
    if everything_short:
        refund = _cancel_undelivered(report, order)
        amount = refund.amount if refund is not None else Decimal("0.00")
        for line, units in taken:
            rows.append({"order_id": order.pk, "line_id": line.pk, "units": units, "amount": None})
        rows[-1]["amount"] = str(amount)
    else:
        goods = sum((line.line_total for line in lines), Decimal("0"))
        amount = Decimal("0.00")
        for line, units in taken:
            share = line_refund_amount(order, line, units, goods=goods)
            refund = None
            if share > 0:
                refund = services._refund(order, amount=share, reason="out_of_stock",
                                          key=f"out_of_stock:line:{line.pk}:{line.quantity_short}")
            if refund is not None:
                amount += refund.amount
                order.charge.refunded_amount += refund.amount
            rows.append({"order_id": order.pk, "line_id": line.pk, "units": units,
                         "amount": str(refund.amount if refund is not None else Decimal("0.00"))})
        if amount:
            # What the member owes for the order follows (as a tier price's refund): the commission
            # and the points of its completion count what was delivered.
            order.total = max(order.total - amount, Decimal("0.00"))
            order.save(update_fields=["total"])
            services.payments.charge_reprice(charge_id=order.charge_id, amount=order.total)
    for row in rows:
        row["order_status"] = order.status
    _tell_short(report, order, taken, amount)
    return rows


def _cancel_undelivered(report: Shipment, order: Order):
    """Nothing of the order will come: refunded in full and cancelled, as an admin's refund of a
    confirmed order (the round has closed, so no units go back to it): the coupon's use comes back,
    and the points spent with ``order.cancelled``."""
    previous = order.status
    coupons.coupon_release(order)
    refund = services._refund(order, amount=order.charge.paid_amount, reason="out_of_stock",
                              key=f"out_of_stock:order:{order.pk}")
    order.status, order.cancelled_at = Order.Status.REFUNDED, timezone.now()
    order.save(update_fields=["status", "cancelled_at"])
    services._transition(order, Order.Status.REFUNDED, from_status=previous, reason="out_of_stock", **_by(report))
    emit("order.cancelled", community_id=order.community_id, order_id=order.pk, member_id=order.member_id,
         reason="out_of_stock")
    return refund


def _tell_short(report: Shipment, order: Order, taken: list[tuple[OrderLine, int]], amount: Decimal) -> None:
    group_buy = report.group_buy
    what = "、".join(f"{line.name} × {units}" for line, units in taken)
    with in_language_of(order.member):
        if order.status == Order.Status.REFUNDED:
            title = _("Your order from %(title)s cannot be delivered") % {"title": group_buy.title}
            body = _("%(supplier)s ran out of %(what)s: the order is cancelled.") % {
                "supplier": report.supplier.name, "what": what}
        else:
            title = _("Part of your order from %(title)s is out of stock") % {"title": group_buy.title}
            body = _("%(supplier)s ran out of %(what)s; the rest of your order comes as planned.") % {
                "supplier": report.supplier.name, "what": what}
        if amount > 0:
            owed = order.charge.refunds.filter(key__startswith="out_of_stock:",
                                               status=Refund.Status.TO_PAY_BACK).exists()
            body += " " + (_("%(amount)s is owed back to you: an admin pays it back.") if owed else
                           _("%(amount)s was refunded to your wallet.")) % {
                "amount": format_money(amount, order.currency)}
        notify(recipient=order.member, community=group_buy.community, kind="order_line_out_of_stock",
               title=title, body=body, url=order.get_absolute_url(),
               dedupe_key=f"out_of_stock:{report.pk}:{order.pk}")


_APPLY = {Kind.DISPATCHED: _dispatched, Kind.ARRIVED: _arrived, Kind.OUT_OF_STOCK: _out_of_stock,
          Kind.SHIPPED: _shipped, Kind.DELIVERED: _delivered}
