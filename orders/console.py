"""Admin console for selling (desktop): group-buys, sheets, orders, the pickup desk, wallets,
commissions and pickup points.

Views stay thin: every query starts from the community, every change goes through
orders.services, and a DomainError becomes a form error or a message. Times are read and shown
in the community's timezone (``console_page`` activates it for the whole request).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from communities.permissions import (
    Perm,
    acts_community_wide,
    check_in_scope,
    has_perm,
    orders_in_scope,
    pickup_points_in_scope,
    rounds_in_scope,
    rounds_in_view,
)
from core.exceptions import DomainError, Forbidden, NotFound
from core.models import AuditLog
from core.forms import add_domain_error
from communities.pages import console_context, console_page
from orders import exports, selectors, services
from orders.addresses import order_place_text, place_sort_key, read_place
from orders.console_forms import GroupBuyForm, PickupPointForm, TopUpForm, item_formset_class, item_initial
from orders.models import GroupBuy, Order, Shipment
from payments import services as payments
from payments.models import Payment, Refund, WalletEntry

PAGE_SIZE = 50
CANCELLABLE = (GroupBuy.Status.DRAFT, GroupBuy.Status.SCHEDULED, GroupBuy.Status.OPEN)
ARRIVABLE = (GroupBuy.Status.SUCCEEDED, GroupBuy.Status.FULFILLED)
PAYMENT_FILTERS = {
    "wallet": Q(method=Payment.Method.WALLET, status=Payment.Status.SUCCEEDED),
    "manual": Q(method=Payment.Method.MANUAL, status=Payment.Status.SUCCEEDED),
    "reported": Q(method=Payment.Method.MANUAL, status=Payment.Status.PENDING),
}


_ctx = console_context


def _back(request, fallback: str) -> str:
    """The page the form came from (``next``), if it is a path on this site."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _int(value, default=None):
    """A positive id from user input, else ``default`` (ASCII digits only: "²".isdigit() is True)."""
    value = str(value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else default


def _in_scope(membership, obj, narrow) -> bool:
    try:
        check_in_scope(membership, obj, narrow)
    except NotFound:
        return False
    return True


def _detail_url(community, group_buy_id) -> str:
    return reverse("orders_console:group_buy", kwargs={"slug": community.slug, "pk": group_buy_id})


# Group-buys --------------------------------------------------------------------------------------

@require_safe
@console_page(Perm.MANAGE_GROUP_BUYS)
def group_buys(request, community, membership):
    status = request.GET.get("status", "")
    rounds = rounds_in_view(membership, community.group_buys).annotate(
        live_orders=Count("orders", filter=Q(orders__status__in=services.LIVE_STATUSES)),
        paid_orders=Count("orders", filter=Q(orders__status__in=services.PAID_STATUSES)),
    ).order_by("-opens_at", "-id")
    if status in GroupBuy.Status.values:
        rounds = rounds.filter(status=status)
    page = Paginator(rounds, 20).get_page(request.GET.get("page"))
    # Two small aggregate queries per round on a page of 20 (the service is the one definition of progress).
    progress = services.group_buy_progress_many(page.object_list)
    rows = [{"group_buy": g, "progress": progress[g.pk]} for g in page.object_list]
    counts = dict(rounds_in_view(membership, community.group_buys).values_list("status").annotate(n=Count("id"))
                  .order_by())
    tiles = [(value, label, counts.get(value, 0)) for value, label in GroupBuy.Status.choices
             if value in (GroupBuy.Status.DRAFT, GroupBuy.Status.SCHEDULED, GroupBuy.Status.OPEN,
                          GroupBuy.Status.SUCCEEDED)]
    return render(request, "orders/console/group_buys.html", _ctx(
        community, membership, "group_buys", page=page, rows=rows, tiles=tiles, status=status,
        statuses=GroupBuy.Status.choices, filters={"status": status}))


def _place_errors(error: DomainError, form, formset, rows: list[int]) -> list[str]:
    """Put a service error next to its field or item row ("items.2" is the third filled row)."""
    items_errors, placed = [], False
    product_id = getattr(error, "product_id", None)  # catalog's InsufficientStock names the product
    if product_id is not None:
        for index in rows:
            product = formset.forms[index].cleaned_data.get("product")
            if product is not None and product.pk == product_id:
                formset.forms[index].add_error(None, error.message)
                placed = True
    for key, messages_ in (error.fields or {}).items():
        if key in form.fields:
            for message in messages_:
                form.add_error(key, message)
            placed = True
        elif key.startswith("items.") and (spec := _int(key.partition(".")[2])) is not None and spec < len(rows):
            for message in messages_:
                formset.forms[rows[spec]].add_error(None, message)
            placed = True
        elif key == "items":
            items_errors.extend(messages_)
            placed = True
    if not placed:
        form.add_error(None, error.message)
    return items_errors


def _round_form_page(request, community, membership, *, group_buy=None):
    """The round form: a new round, or changing ``group_buy`` (its items as rows with a remove box)."""
    editing = group_buy is not None
    products = community.products.filter(Q(is_active=True) | Q(group_buy_items__group_buy=group_buy) if editing
                                         else Q(is_active=True)).distinct().order_by("name", "id")
    extra = _int(request.GET.get("rows"), 2 if editing else 5)
    if editing:
        initial = GroupBuyForm.initial_of(group_buy)
    else:
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial = {"opens_at": now, "closes_at": (now + timedelta(days=1)).replace(hour=20, minute=0),
                   "expected_pickup_at": (now + timedelta(days=2)).replace(hour=16, minute=0)}
    form = GroupBuyForm(request.POST or None, community=community, membership=membership, initial=initial,
                        group_buy=group_buy)
    formset = item_formset_class(extra, removable=editing)(
        request.POST or None, products=products, prefix="items", initial=item_initial(group_buy) if editing else None)
    items_errors = []
    if request.method == "POST":
        valid = form.is_valid()
        valid = formset.is_valid() and valid
        if valid:
            rows = [index for index, _row in formset.filled()]
            try:
                if editing:
                    result = services.group_buy_update(actor=membership, group_buy=group_buy, items=formset.specs(),
                                                       **form.changes())
                else:
                    result = services.group_buy_create(actor=membership, items=formset.specs(),
                                                       **form.service_kwargs())
            except DomainError as error:
                items_errors = _place_errors(error, form, formset, rows)
            else:
                message = (_("“%(title)s” was saved.") if editing else _("“%(title)s” was created (%(status)s)."))
                messages.success(request, message % {"title": result.title, "status": result.get_status_display()})
                return redirect(_detail_url(community, result.pk))
        else:
            items_errors = list(formset.non_form_errors())
    return render(request, "orders/console/group_buy_new.html", _ctx(
        community, membership, "group_buys", form=form, formset=formset, items_errors=items_errors,
        group_buy=group_buy, has_products=products.exists(),
        has_points=pickup_points_in_scope(membership, community.pickup_points.filter(is_active=True)).exists(),
        more_rows=min(len(formset.forms) + 5, 50)), status=400 if request.method == "POST" else 200)


@console_page(Perm.MANAGE_GROUP_BUYS)
def group_buy_new(request, community, membership):
    return _round_form_page(request, community, membership)


@console_page(Perm.MANAGE_GROUP_BUYS)
def group_buy_edit(request, community, membership, pk):
    """Change a round: everything while a draft; once published, what does not hurt buyers (the
    service refuses the rest, with the reason next to the field)."""
    group_buy = get_object_or_404(rounds_in_scope(membership, community.group_buys), pk=pk)
    return _round_form_page(request, community, membership, group_buy=group_buy)


@require_POST
@console_page(Perm.MANAGE_GROUP_BUYS)
def group_buy_copy(request, community, membership, pk):
    """Copy a round into a new draft (the weekly 接龙) and open it to be checked and published."""
    group_buy = get_object_or_404(rounds_in_view(membership, community.group_buys), pk=pk)
    try:
        copy = services.group_buy_copy(actor=membership, group_buy=group_buy)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_detail_url(community, group_buy.pk))
    messages.success(request, _("A copy was saved as a draft: check its times and publish it."))
    return redirect("orders_console:group_buy_edit", slug=community.slug, pk=copy.pk)


SUPPLIER_REPORTS_SHOWN = 50


def _supplier_reports(membership, round_, orders_in_view) -> list:
    """What the round's suppliers reported through the partner API (read only), newest first; a
    leader sees the reports about their branch's pickup points and orders."""
    reports = Shipment.objects.filter(community_id=round_.community_id, group_buy=round_)
    if not acts_community_wide(membership):
        points = pickup_points_in_scope(membership, round_.pickup_points.all())
        reports = reports.filter(Q(pickup_point__in=points) | Q(order__in=orders_in_view)
                                 | Q(pickup_point__isnull=True, order__isnull=True))
    reports = list(reports.select_related("supplier", "pickup_point", "product")
                   .order_by("-created_at", "-id")[:SUPPLIER_REPORTS_SHOWN])
    labels = dict(Order.Status.choices)
    for report in reports:
        report.moved = [(row.get("order_id"), labels.get(row.get("status"), row.get("status")))
                        for row in (report.outcome or {}).get("orders", [])]
    return reports


@require_safe
@console_page(Perm.MANAGE_GROUP_BUYS)
def group_buy(request, community, membership, pk):
    try:
        round_ = selectors.group_buy_detail(community, pk)
    except GroupBuy.DoesNotExist:
        raise Http404
    if not _in_scope(membership, round_, rounds_in_view):
        raise Http404
    progress = services.group_buy_progress(round_)
    sold = selectors.sold_by_item(round_)
    items = []
    for item in round_.items.all():
        paid = sold.get(item.pk, 0)
        items.append({"item": item, "paid": paid, "price_now": services.current_tier_price(item, paid),
                      "tiers": list(item.tiers.all())})
    status = request.GET.get("status", "")
    # A leader reads the orders of their branch (and of its pickup points) only.
    in_scope = orders_in_scope(membership, community.orders.filter(group_buy=round_))
    orders = (in_scope
              .select_related("member", "branch", "pickup_point", "charge").prefetch_related("lines", "charge__payments")
              .order_by("-created_at", "-id"))
    if status in Order.Status.values:
        orders = orders.filter(status=status)
    page = Paginator(orders, 100).get_page(request.GET.get("page"))
    status_counts = dict(in_scope.values_list("status").annotate(n=Count("id")).order_by())
    waiting = dict(in_scope.filter(status=Order.Status.CONFIRMED, fulfilment=Order.Fulfilment.PICKUP)
                   .values_list("pickup_point").annotate(n=Count("id")).order_by())
    points = [{"point": p, "waiting": waiting.get(p.pk, 0)}
              for p in pickup_points_in_scope(membership, round_.pickup_points.all())]
    mine = _in_scope(membership, round_, rounds_in_scope)
    return render(request, "orders/console/group_buy.html", _ctx(
        community, membership, "group_buys", group_buy=round_, progress=progress, items=items, page=page,
        supplier_reports=_supplier_reports(membership, round_, in_scope),
        commission_percent=round_.commission_rate * 100,
        status=status, filters={"status": status}, statuses=Order.Status.choices,
        status_counts=[(value, label, status_counts[value]) for value, label in Order.Status.choices
                       if status_counts.get(value)],
        points=points, waiting_total=sum(waiting.values()),
        can_publish=mine and round_.status == GroupBuy.Status.DRAFT, can_cancel=mine and round_.status in CANCELLABLE,
        can_edit=mine and round_.status != GroupBuy.Status.CANCELLED,
        can_arrive=round_.status in ARRIVABLE and bool(waiting), paid_statuses=services.PAID_STATUSES))


def _round_action(request, community, pk, act, success, *, rounds):
    group_buy = get_object_or_404(rounds, pk=pk)
    try:
        result = act(group_buy)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return redirect(_detail_url(community, group_buy.pk))


@require_POST
@console_page(Perm.MANAGE_GROUP_BUYS)
def group_buy_publish(request, community, membership, pk):
    return _round_action(request, community, pk,
                         lambda g: services.group_buy_publish(actor=membership, group_buy=g),
                         lambda g: _("Published: the group-buy is %(status)s.") % {"status": g.get_status_display()},
                         rounds=rounds_in_scope(membership, community.group_buys))


@require_POST
@console_page(Perm.MANAGE_GROUP_BUYS)
def group_buy_cancel(request, community, membership, pk):
    reason = request.POST.get("reason", "").strip()[:200]
    return _round_action(request, community, pk,
                         lambda g: services.group_buy_cancel(actor=membership, group_buy=g, reason=reason),
                         _("The group-buy was cancelled; every order in it was cancelled and refunded."),
                         rounds=rounds_in_scope(membership, community.group_buys))


@require_POST
@console_page(Perm.MANAGE_GROUP_BUYS)
def group_buy_arrived(request, community, membership, pk):
    point_id = request.POST.get("pickup_point", "")
    point = (get_object_or_404(pickup_points_in_scope(membership, community.pickup_points), pk=_int(point_id, -1))
             if point_id else None)

    def success(count):
        return ngettext("%(n)s order is ready for pickup; the member was notified.",
                        "%(n)s orders are ready for pickup; the members were notified.", count) % {"n": count}

    return _round_action(request, community, pk,
                         lambda g: services.group_buy_mark_arrived(actor=membership, group_buy=g, pickup_point=point),
                         success, rounds=rounds_in_view(membership, community.group_buys))


def _order_action(request, community, pk, act, success):
    order = get_object_or_404(community.orders, pk=pk)
    try:
        act(order)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success % {"id": order.pk, "name": order.member.display_name})
    return redirect(_back(request, _detail_url(community, order.group_buy_id)))


@require_POST
@console_page(Perm.MANAGE_ORDERS)
def order_ship(request, community, membership, pk):
    tracking = request.POST.get("tracking", "").strip()[:100]
    return _order_action(request, community, pk,
                         lambda o: services.order_ship(actor=membership, order=o, tracking=tracking),
                         _("Order #%(id)s for %(name)s is on its way."))


@require_POST
@console_page(Perm.MANAGE_ORDERS)
def order_refund(request, community, membership, pk):
    reason = request.POST.get("reason", "").strip()[:200]

    def refund(order):
        services.order_refund(actor=membership, order=order, reason=reason)
        if community.refunds.filter(charge_id=order.charge_id, status=Refund.Status.TO_PAY_BACK).exists():
            messages.warning(request, _("%(name)s paid by transfer: pay the money back by hand, then record it "
                                        "under Refunds owed.") % {"name": order.member.display_name})

    return _order_action(request, community, pk, refund, _("Order #%(id)s of %(name)s was refunded."))


# Sheets ------------------------------------------------------------------------------------------

@require_safe
@console_page(Perm.MANAGE_GROUP_BUYS)
def purchase_sheet(request, community, membership, pk):
    group_buy = get_object_or_404(rounds_in_view(membership, community.group_buys), pk=pk)
    blocks = exports.purchase_sheet(group_buy)
    if request.GET.get("format") == "csv":
        return exports.purchase_sheet_csv(group_buy, blocks)
    return render(request, "orders/console/purchase_sheet.html", _ctx(
        community, membership, "group_buys", group_buy=group_buy, blocks=blocks,
        total_quantity=sum(line.quantity for block in blocks for line in block.lines),
        total_amount=sum(block.amount for block in blocks), printed_at=timezone.now()))


@require_safe
@console_page(Perm.CONFIRM_PICKUP)
def pickup_sheet(request, community, membership, pk, point_pk):
    group_buy = get_object_or_404(rounds_in_view(membership, community.group_buys), pk=pk)
    point = get_object_or_404(pickup_points_in_scope(membership, community.pickup_points.select_related("leader")),
                              pk=point_pk)
    orders = list(orders_in_scope(membership, exports.pickup_sheet_orders(community, group_buy, point)))
    if request.GET.get("format") == "csv":
        return exports.pickup_sheet_csv(group_buy, point, orders)
    for order in orders:
        order.lines_text = exports.lines_text(order)
    return render(request, "orders/console/pickup_sheet.html", _ctx(
        community, membership, "group_buys", group_buy=group_buy, point=point, orders=orders,
        printed_at=timezone.now()))


# Orders and payments -----------------------------------------------------------------------------

@require_safe
@console_page(Perm.MANAGE_ORDERS)
def orders(request, community, membership):
    filters = {key: request.GET.get(key, "").strip() for key in ("group_buy", "status", "method", "q", "pickup_point")}
    qs = (community.orders.select_related("member", "group_buy", "pickup_point", "branch", "charge")
          .prefetch_related("lines", Prefetch("charge__payments", queryset=Payment.objects.order_by("-created_at", "-id")))
          .order_by("-created_at", "-id"))
    if (group_buy_id := _int(filters["group_buy"])) is not None:
        qs = qs.filter(group_buy_id=group_buy_id)
    if filters["status"] in Order.Status.values:
        qs = qs.filter(status=filters["status"])
    if (point_id := _int(filters["pickup_point"])) is not None:
        qs = qs.filter(pickup_point_id=point_id)
    if filters["method"] in PAYMENT_FILTERS:
        qs = qs.filter(Exists(Payment.objects.filter(PAYMENT_FILTERS[filters["method"]], charge_id=OuterRef("charge_id"))))
    if filters["q"]:
        q = filters["q"]
        match = Q(member__display_name__icontains=q) | Q(member__phone__icontains=q)
        if (order_id := _int(q.lstrip("#"))) is not None:
            match |= Q(pk=order_id)
        qs = qs.filter(match)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page.object_list:
        payments = list(order.charge.payments.all())
        order.reported = [p for p in payments if p.method == Payment.Method.MANUAL
                          and p.status == Payment.Status.PENDING]
        order.received = next((p for p in payments if p.status == Payment.Status.SUCCEEDED), None)
    waiting = community.orders.aggregate(unpaid=Count("id", filter=Q(status=Order.Status.PENDING_PAYMENT)))
    # Every report waiting, whatever became of its order: money that arrives must be recorded.
    waiting["reported"] = community.payments.filter(status=Payment.Status.PENDING).count()
    waiting["owed"] = community.refunds.filter(status=Refund.Status.TO_PAY_BACK).count()
    return render(request, "orders/console/orders.html", _ctx(
        community, membership, "orders", page=page, filters=filters, waiting=waiting,
        group_buys=community.group_buys.only("id", "title").order_by("-opens_at", "-id")[:200],
        statuses=Order.Status.choices, points=community.pickup_points.only("id", "name").order_by("name", "id")[:200],
        page_points=sorted({o.pickup_point for o in page.object_list if o.pickup_point_id}, key=lambda p: p.name),
        methods=[("wallet", _("Paid from wallet")), ("manual", _("Paid by transfer or cash")),
                 ("reported", _("Transfer reported, not confirmed"))]))


@require_POST
@console_page(Perm.MANAGE_ORDERS)
def orders_mark_paid(request, community, membership):
    back = _back(request, reverse("orders_console:orders", kwargs={"slug": community.slug}))
    raw = [request.POST["only"]] if request.POST.get("only") else request.POST.getlist("order")
    ids = {_int(value, -1) for value in raw}
    if not ids:
        messages.error(request, _("Tick the orders whose payment you received."))
        return redirect(back)
    chosen = list(community.orders.filter(pk__in=ids))
    if len(chosen) != len(ids):
        raise Http404
    started = timezone.now()
    try:
        marked = services.payments_mark_received(actor=membership, orders=chosen,
                                                 reference=request.POST.get("reference", "").strip())
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    if marked:
        messages.success(request, ngettext("%(n)s order marked as paid.", "%(n)s orders marked as paid.",
                                           len(marked)) % {"n": len(marked)})
    late = community.refunds.filter(charge_id__in=[o.charge_id for o in chosen],
                                    reason="cancelled_before_confirmed", created_at__gte=started).count()
    if late:
        messages.warning(request, ngettext(
            "%(n)s transfer arrived for an order already cancelled: it is recorded and listed under refunds owed.",
            "%(n)s transfers arrived for orders already cancelled: they are recorded and listed under refunds owed.",
            late) % {"n": late})
    skipped = len(chosen) - len(marked) - late
    if skipped:
        messages.warning(request, ngettext("%(n)s order was not waiting for payment and was left as it is.",
                                           "%(n)s orders were not waiting for payment and were left as they are.",
                                           skipped) % {"n": skipped})
    return redirect(back)


@require_POST
@console_page(Perm.MANAGE_ORDERS)
def order_transfer_decline(request, community, membership, pk):
    note = request.POST.get("note", "").strip()[:200]
    return _order_action(request, community, pk,
                         lambda o: services.order_transfer_decline(actor=membership, order=o, note=note),
                         _("The transfer reported for order #%(id)s of %(name)s was marked not received."))


# Refunds owed ------------------------------------------------------------------------------------

@console_page(Perm.MANAGE_ORDERS)
def refunds(request, community, membership):
    """Refunds owed to members who paid by transfer: pay them back by hand, then record it here."""
    filters = {key: request.GET.get(key, "").strip() for key in ("status", "group_buy", "q")}
    filters["status"] = filters["status"] if filters["status"] in Refund.Status.values + ["all"] else "to_pay_back"
    back = request.get_full_path()
    if request.method == "POST":
        ids = {_int(v, -1) for v in request.POST.getlist("refund")}
        chosen = list(community.refunds.filter(pk__in=ids))
        if not ids:
            messages.error(request, _("Tick the refunds you paid back."))
        elif len(chosen) != len(ids):
            raise Http404
        else:
            try:
                changed = services.refunds_mark_paid_back(actor=membership, refunds=chosen,
                                                          reference=request.POST.get("reference", ""))
            except DomainError as error:
                messages.error(request, error.message)
            else:
                if changed:
                    messages.success(request, ngettext("%(n)s refund recorded as paid back; the member was told.",
                                                       "%(n)s refunds recorded as paid back; the members were told.",
                                                       len(changed)) % {"n": len(changed)})
                if len(changed) < len(chosen):
                    messages.warning(request, _("Some of the ticked refunds had been recorded already; they were "
                                                "left as they are."))
        return redirect(_back(request, back))
    qs = (community.refunds.select_related("charge__member", "charge__order__group_buy", "paid_back_by")
          .order_by("created_at", "id"))
    if filters["status"] != "all":
        qs = qs.filter(status=filters["status"])
    if filters["status"] == "done":
        qs = qs.filter(method=Payment.Method.MANUAL).order_by("-paid_back_at", "-id")
    if (group_buy_id := _int(filters["group_buy"])) is not None:
        qs = qs.filter(charge__order__group_buy_id=group_buy_id)
    if filters["q"]:
        q = filters["q"]
        match = Q(charge__member__display_name__icontains=q) | Q(charge__member__phone__icontains=q)
        if (order_id := _int(q.lstrip("#"))) is not None:
            match |= Q(charge__order__pk=order_id)
        qs = qs.filter(match)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    owed = community.refunds.filter(status=Refund.Status.TO_PAY_BACK).aggregate(n=Count("id"), total=Sum("amount"))
    return render(request, "orders/console/refunds.html", _ctx(
        community, membership, "refunds", page=page, filters=filters, owed=owed,
        group_buys=community.group_buys.only("id", "title").order_by("-opens_at", "-id")[:200],
        statuses=[("to_pay_back", _("To pay back")), ("done", _("Paid back")), ("all", _("All"))]))


# Pickup desk -------------------------------------------------------------------------------------

# What the desk shows for each answer of services.pickup_find: a class for the colour and a heading.
PICKUP_OUTCOMES = {
    "pickup_not_found": ("wrong", _lazy("Wrong code")),
    "invalid": ("wrong", _lazy("Wrong code")),
    "already_picked_up": ("done", _lazy("Already picked up")),
    "not_arrived": ("waiting", _lazy("Goods not arrived yet")),
    "not_paid": ("unpaid", _lazy("Not paid")),
    "order_cancelled": ("wrong", _lazy("Nothing to hand over")),
    "not_pickup": ("wrong", _lazy("Nothing to hand over")),
}


def _desk_url(community, code: str = "") -> str:
    desk = reverse("orders_console:pickup", kwargs={"slug": community.slug})
    return f"{desk}?{urlencode({'code': code})}" if code else desk


@require_safe
@console_page(Perm.CONFIRM_PICKUP)
def pickup(request, community, membership):
    """The pickup desk: a code typed or scanned (the member's QR, read by the camera in the browser)
    finds the ready order to hand over, or says plainly why there is none."""
    code = request.GET.get("code", "").strip()[:services.PICKUP_CODE_MAX_LENGTH]
    found, outcome = [], None
    if code:
        try:
            found = services.pickup_find(actor=membership, code=code)
        except DomainError as error:
            kind, heading = PICKUP_OUTCOMES.get(error.code, ("wrong", _("Wrong code")))
            outcome = {"code": error.code, "kind": kind, "heading": heading, "message": error.message}
    desk_orders = orders_in_scope(membership, community.orders)
    shipped = list(desk_orders.filter(status=Order.Status.SHIPPED, fulfilment=Order.Fulfilment.DELIVERY)
                   .select_related("member", "group_buy").prefetch_related("lines").order_by("created_at", "id")[:100])
    recent = list(desk_orders.filter(status=Order.Status.COMPLETED, completed_at__isnull=False)
                  .select_related("member", "pickup_point").order_by("-completed_at", "-id")[:10])
    handed_by = dict(AuditLog.objects.filter(community=community, object_type="order", action="order.completed",
                                             object_id__in=[o.pk for o in recent])
                     .values_list("object_id", "actor__display_name"))
    for order in recent:
        order.handed_over_by = handed_by.get(order.pk) or ""
    return render(request, "orders/console/pickup.html", _ctx(
        community, membership, "pickup", code=code, found=found, scanned=":" in code, outcome=outcome, shipped=shipped,
        recent=recent, code_max=services.PICKUP_CODE_MAX_LENGTH,
        points=pickup_points_in_scope(membership, community.pickup_points.filter(is_active=True)).order_by("name")))


@require_POST
@console_page(Perm.CONFIRM_PICKUP)
def pickup_complete(request, community, membership, pk):
    order = get_object_or_404(orders_in_scope(membership, community.orders.select_related("member")), pk=pk)
    # A pickup is always checked against the code typed or scanned at the desk; only a delivery has none.
    code = None if order.fulfilment == Order.Fulfilment.DELIVERY else \
        request.POST.get("code", "").strip()[:services.PICKUP_CODE_MAX_LENGTH]
    try:
        services.order_complete(actor=membership, order=order, code=code)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_desk_url(community, code or ""))
    if code is None:
        messages.success(request, _("Order #%(id)s for %(name)s is delivered.") % {
            "id": order.pk, "name": order.member.display_name})
    else:
        messages.success(request, _("Handed over: order #%(id)s to %(name)s.") % {
            "id": order.pk, "name": order.member.display_name})
    return redirect(_desk_url(community))


# A pickup point's orders across open rounds (the leader's list, printable) ---------------------------

POINT_ORDER_SORTS = {
    "building": lambda o: place_sort_key(o.place_text),
    "member": lambda o: (o.member.display_name, o.pk),
    "round": lambda o: (o.group_buy.closes_at, o.group_buy_id, place_sort_key(o.place_text)),
}
POINT_ORDERS_MAX = 2000  # one printout; a point with more open orders than this is read through the API


@require_safe
@console_page(Perm.CONFIRM_PICKUP)
def pickup_point_orders(request, community, membership, pk):
    """Every order to collect at one pickup point across the rounds still running, sorted by
    building and unit (read from the member's note or address), ready to print and tick off."""
    points = list(pickup_points_in_scope(membership, community.pickup_points.filter(is_active=True))
                  .order_by("name", "id"))
    point = get_object_or_404(pickup_points_in_scope(membership, community.pickup_points.select_related("leader")),
                              pk=pk)
    sort = request.GET.get("sort", "building")
    sort = sort if sort in POINT_ORDER_SORTS else "building"
    orders = list(selectors.orders_in_open_rounds(selectors.orders_for_console(membership).filter(pickup_point=point))
                  .order_by("created_at", "id")[:POINT_ORDERS_MAX + 1])
    truncated = len(orders) > POINT_ORDERS_MAX
    orders = orders[:POINT_ORDERS_MAX]
    for order in orders:
        order.place_text = order_place_text(order)
        order.place = read_place(order.place_text)
    orders.sort(key=POINT_ORDER_SORTS[sort])
    to_collect = [o for o in orders if o.status != Order.Status.COMPLETED]
    totals: dict[tuple[str, str], int] = {}
    for order in to_collect:
        for line in order.lines.all():
            totals[(line.name, line.unit)] = totals.get((line.name, line.unit), 0) + line.quantity
    return render(request, "orders/console/pickup_point_orders.html", _ctx(
        community, membership, "pickup", point=point, points=points, orders=orders, sort=sort,
        truncated=truncated, limit=POINT_ORDERS_MAX, to_collect=len(to_collect),
        totals=sorted(totals.items()), printed_at=timezone.now(),
        sorts=[("building", _("Building and unit")), ("member", _("Member")), ("round", _("Group-buy"))]))


# Wallets -----------------------------------------------------------------------------------------

@console_page(Perm.MANAGE_WALLETS)
def wallets(request, community, membership):
    # The token is the top-up's key: a double submit (or a reload of the POST) records it once.
    form = TopUpForm(request.POST or None, community=community, initial={"token": uuid.uuid4().hex,
                                                                          "member": request.GET.get("member", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = payments.wallet_top_up(actor=membership, member_user=data["member"], amount=data["amount"],
                                           note=data["note"], key=data["token"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Recorded %(amount)s for %(name)s; the balance is now %(balance)s.") % {
                "amount": entry.amount, "name": data["member"].display_name, "balance": entry.balance_after})
            return redirect("orders_console:wallets", slug=community.slug)
    q = request.GET.get("q", "").strip()
    balances = community.wallets.select_related("member").order_by("member__display_name", "id")
    if q:
        balances = balances.filter(Q(member__display_name__icontains=q) | Q(member__phone__icontains=q))
    page = Paginator(balances, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = (WalletEntry.objects.filter(community=community)
               .select_related("wallet__member", "created_by", "charge").order_by("-created_at", "-id")[:20])
    return render(request, "orders/console/wallets.html", _ctx(
        community, membership, "wallets", form=form, page=page, entries=entries, filters={"q": q},
        total=community.wallets.aggregate(t=Sum("balance"))["t"] or 0))


# Commissions -------------------------------------------------------------------------------------

@require_safe
@console_page(Perm.VIEW_COMMISSIONS)
def commissions(request, community, membership):
    everyone = has_perm(membership, Perm.EXPORT_COMMISSIONS)
    if request.GET.get("format") == "csv":
        if not everyone:
            raise Forbidden(_("Only admins export everyone's commissions."))
        return exports.commissions_csv(community, selectors.commission_statement(community))
    lines = selectors.commission_statement(community, leader=None if everyone else request.user)
    leader_id = _int(request.GET.get("leader")) if everyone else None
    if leader_id is not None:
        lines = lines.filter(leader_id=leader_id)
    per_leader = []
    if everyone:
        per_leader = list(community.commissions.values("leader_id", "leader__display_name", "leader__phone")
                          .annotate(earned=Sum("amount", filter=Q(kind="earned")),
                                    reversed=Sum("amount", filter=Q(kind="reversed")),
                                    total=Sum("amount"), orders=Count("order", distinct=True))
                          .order_by("-total", "leader__display_name"))
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    for line in page.object_list:
        line.percent = line.rate * 100
    return render(request, "orders/console/commissions.html", _ctx(
        community, membership, "commissions", page=page, everyone=everyone, per_leader=per_leader,
        total=selectors.commission_total(lines), leader_id=leader_id,
        filters={"leader": leader_id or ""}))


# Pickup points -----------------------------------------------------------------------------------

def _save_point(request, community, membership, form, point=None):
    try:
        saved = services.pickup_point_save(actor=membership, pickup_point=point, **form.cleaned_data)
    except DomainError as error:
        add_domain_error(form, error)
        return None
    messages.success(request, _("Pickup point “%(name)s” saved.") % {"name": saved.name})
    return redirect("orders_console:pickup_points", slug=community.slug)


@console_page(Perm.MANAGE_GROUP_BUYS)
def pickup_points(request, community, membership):
    form = PickupPointForm(request.POST or None, community=community, membership=membership)
    if request.method == "POST" and form.is_valid():
        if response := _save_point(request, community, membership, form):
            return response
    points = (pickup_points_in_scope(membership, community.pickup_points).select_related("leader", "branch")
              .annotate(rounds=Count("group_buys", distinct=True)).order_by("-is_active", "name"))
    return render(request, "orders/console/pickup_points.html", _ctx(
        community, membership, "pickup_points", form=form, points=points),
        status=400 if request.method == "POST" else 200)


@console_page(Perm.MANAGE_GROUP_BUYS)
def pickup_point_edit(request, community, membership, pk):
    point = get_object_or_404(pickup_points_in_scope(membership, community.pickup_points), pk=pk)
    initial = {"name": point.name, "address": point.address, "hours": point.hours, "is_active": point.is_active,
               "leader": str(point.leader_id or ""), "branch": str(point.branch_id or "")}
    form = PickupPointForm(request.POST or None, community=community, membership=membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        if response := _save_point(request, community, membership, form, point):
            return response
    return render(request, "orders/console/pickup_point_edit.html", _ctx(
        community, membership, "pickup_points", form=form, point=point),
        status=400 if request.method == "POST" else 200)
