"""Member pages (mobile web): group-buys, ordering, paying, my orders, pickup code, teams, wallet."""

import io
import uuid

import qrcode
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.permissions import Perm, has_perm, rounds_in_view
from core.exceptions import DomainError
from core.forms import add_domain_error
from communities.pages import community_page
from orders import selectors, services
from orders.forms import OrderForm, TransferForm
from orders.models import GroupBuy, Order, Team


def _item_rows(group_buy, sold, form):
    rows = []
    for item in group_buy.items.all():
        tiers = list(item.tiers.all())
        count = sold.get(item.pk, 0)
        rows.append({
            "item": item, "tiers": tiers, "sold": count,
            "price_now": services.current_tier_price(item, count),
            "next_tier": next((t for t in tiers if t.min_quantity > count), None),
            "remaining": item.remaining,
            "qty": form.data.get(f"qty_{item.pk}", 0) if form.is_bound else 0,
        })
    return rows


@community_page(Perm.VIEW)
def group_buys(request, community, membership):
    rounds = list(selectors.group_buys_for_member(membership))
    now = timezone.now()
    open_rounds = [g for g in rounds if g.status == GroupBuy.Status.OPEN and g.closes_at > now]
    upcoming = [g for g in rounds if g.status == GroupBuy.Status.SCHEDULED]
    past = [g for g in rounds if g not in open_rounds and g not in upcoming][:10]
    return render(request, "orders/group_buys.html", {
        "community": community, "membership": membership, "open_rounds": open_rounds, "upcoming": upcoming,
        "past": past})


@community_page(Perm.VIEW)
def group_buy(request, community, membership, pk):
    try:
        round_ = selectors.group_buy_detail(community, pk)
    except GroupBuy.DoesNotExist:
        raise Http404
    manages = has_perm(membership, Perm.MANAGE_GROUP_BUYS)
    if round_.status == GroupBuy.Status.DRAFT and not manages:
        raise Http404
    if not selectors.group_buys_for_member(membership).filter(pk=round_.pk).exists() \
            and not (manages and rounds_in_view(membership, community.group_buys).filter(pk=round_.pk).exists()):
        raise Http404  # a round published to other branches (a leader sees those of their own and their own)
    items = list(round_.items.all())
    form = OrderForm(request.POST or None, items=items,
                     initial={"token": uuid.uuid4().hex, "team": request.GET.get("team", ""),
                              "pickup_point": _default_point(round_, membership)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order, _created = services.order_place(
                member=membership, group_buy=round_, lines=form.chosen_lines(), idempotency_key=data["token"],
                fulfilment=data["fulfilment"], pickup_point_id=data["pickup_point"],
                delivery_address=data["delivery_address"], note=data["note"],
                team_code=data["team"] if data["team_action"] == "join" else None,
                open_team=data["team_action"] == "open")
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect(order.get_absolute_url())
    progress = services.group_buy_progress(round_)
    sold = selectors.sold_by_item(round_)
    team = None
    if request.GET.get("team") or request.POST.get("team"):
        team = community.teams.filter(code=request.GET.get("team") or request.POST.get("team"),
                                      group_buy=round_).select_related("leader").first()
    open_teams = []
    if round_.mode == GroupBuy.Mode.TEAM:
        open_teams = list(round_.teams.filter(status=Team.Status.FORMING, expires_at__gt=timezone.now())
                          .select_related("leader").order_by("expires_at")[:5])
    return render(request, "orders/group_buy.html", {
        "community": community, "membership": membership, "group_buy": round_, "form": form, "progress": progress,
        "rows": _item_rows(round_, sold, form), "team": team, "open_teams": open_teams,
        "is_open": round_.status == GroupBuy.Status.OPEN and round_.opens_at <= timezone.now() < round_.closes_at,
        "points": list(round_.pickup_points.all()),
        "my_orders": list(community.orders.filter(group_buy=round_, member=request.user)
                          .exclude(status__in=["cancelled"]).order_by("-created_at")[:5]),
    }, status=400 if request.method == "POST" else 200)


def _default_point(round_, membership):
    points = list(round_.pickup_points.all())
    for point in points:
        if membership.branch_id and point.branch_id == membership.branch_id:
            return point.pk
    return points[0].pk if len(points) == 1 else None


@community_page(Perm.VIEW)
def my_orders(request, community, membership):
    orders = list(selectors.my_orders(membership)[:100])
    return render(request, "orders/my_orders.html", {"community": community, "membership": membership,
                                                     "orders": orders})


def _load_order(membership, pk):
    try:
        return selectors.order_for_member(membership, pk)
    except Order.DoesNotExist:
        raise Http404


@community_page(Perm.VIEW)
def order(request, community, membership, pk):
    order = _load_order(membership, pk)
    wallet = selectors.wallet_of(membership)
    return render(request, "orders/order.html", {
        "community": community, "membership": membership, "order": order, "wallet": wallet,
        "transfer_form": TransferForm(),
        "reported": any(p.method == "manual" and p.status == "pending" for p in order.charge.payments.all()),
        "can_cancel": order.status in ("pending_payment", "paid") and order.group_buy.status == "open"
        and timezone.now() < order.group_buy.closes_at and not (order.team and order.team.status == "succeeded"),
        "show_code": order.status in ("paid", "confirmed", "ready") and order.fulfilment == "pickup",
    })


@require_POST
@community_page(Perm.VIEW)
def order_pay(request, community, membership, pk):
    order = _load_order(membership, pk)
    try:
        if request.POST.get("method") == "wallet":
            services.order_pay_with_wallet(member=membership, order=order)
            messages.success(request, _("Paid from your wallet. Thank you!"))
        else:
            form = TransferForm(request.POST)
            form.is_valid()
            services.order_report_transfer(member=membership, order=order,
                                           reference=form.cleaned_data.get("reference", ""))
            messages.success(request, _("Thank you! An admin will confirm your transfer."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(order.get_absolute_url())


@require_POST
@community_page(Perm.VIEW)
def order_cancel(request, community, membership, pk):
    order = _load_order(membership, pk)
    try:
        services.order_cancel(member=membership, order=order)
        messages.success(request, _("Your order was cancelled."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(order.get_absolute_url())


@community_page(Perm.VIEW)
def pickup_qr(request, community, membership, pk):
    """The order's pickup QR: a signed code naming the community, the order and its pickup code
    (services.pickup_qr_code), which the pickup desk's camera reads."""
    order = _load_order(membership, pk)
    image = qrcode.make(services.pickup_qr_code(order), box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@community_page(Perm.VIEW)
def team(request, community, membership, code):
    team = community.teams.filter(code=code).select_related("group_buy", "leader").first()
    if team is None:
        raise Http404
    members = list(team.orders.filter(status__in=services.LIVE_STATUSES).select_related("member").order_by("created_at"))
    return render(request, "orders/team.html", {
        "community": community, "membership": membership, "team": team, "members": members,
        "mine": any(o.member_id == request.user.pk for o in members),
        "share_url": request.build_absolute_uri(team.get_absolute_url()),
    })


@community_page(Perm.VIEW)
def wallet(request, community, membership):
    wallet = selectors.wallet_of(membership)
    entries = list(selectors.wallet_entries(wallet)[:200])
    return render(request, "orders/wallet.html", {"community": community, "membership": membership,
                                                  "wallet": wallet, "entries": entries})
