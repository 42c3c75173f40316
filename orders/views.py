"""Member pages (mobile web): group-buys, ordering, paying, my orders, pickup code, teams, wallet."""

import io
import uuid
from decimal import Decimal

import qrcode
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.permissions import Perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from communities.pages import community_page
from core.inputs import parse_int
from core.money import MAX_AMOUNT, money
from orders import coupon_selectors, coupons, selectors, services, sharing
from orders.forms import OrderForm, TransferForm
from catalog.services import MAX_IMAGES_PER_PRODUCT as MAX_PHOTOS
from orders.models import CouponRedemption, GroupBuy, MemberAllowance, Order
from orders.seen import round_seen
from orders.services import MAX_QUANTITY

from orders.discounts import points_offer

LIVE_SECONDS = 10  # how stale the round page's self-refreshing progress may be


def _item_limits(round_, items, user_id):
    """What this member may still take of each item, and why not more: (most, reason) by item id."""
    held = dict(MemberAllowance.objects.filter(item__group_buy=round_, member_id=user_id)
                .values_list("item_id", "quantity")) if any(i.per_member_limit for i in items) else {}
    limits = {}
    for item in items:
        most, reason = max(0, item.remaining), _("Only %(n)s left.") % {"n": max(0, item.remaining)}
        if item.per_member_limit is not None:
            allowed = max(0, item.per_member_limit - held.get(item.pk, 0))
            if allowed < most:
                most = allowed
                reason = (_("At most %(n)s each; you have %(held)s already.") % {
                    "n": item.per_member_limit, "held": held[item.pk]} if held.get(item.pk)
                    else _("At most %(n)s each.") % {"n": item.per_member_limit})
        limits[item.pk] = (min(most, MAX_QUANTITY), reason)
    return limits


def _item_rows(items, sold, form, limits):
    rows = []
    for item in items:
        tiers = list(item.tiers.all())
        count = sold.get(item.pk, 0)
        field = form[f"qty_{item.pk}"]
        rows.append({
            "item": item, "tiers": tiers, "sold": count,
            "price_now": services.current_tier_price(item, count),
            "next_tier": next((t for t in tiers if t.min_quantity > count), None),
            "remaining": item.remaining, "max": limits[item.pk][0],
            "photos": list(item.product.images.all())[:MAX_PHOTOS],
            "qty": field.value() if form.is_bound else form.initial.get(f"qty_{item.pk}", 0),
            "errors": field.errors,
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


def _initial_basket(request, items, limits, initial) -> None:
    """?basket=12x2,13x1 (a repurchase prompt's link) fills those quantities, within what the
    member may still take; ?coupon=CODE fills the coupon field. Anything else in them is ignored."""
    basket = coupon_selectors.parse_basket(request.GET.get("basket"))
    for item in items:
        if basket.get(item.pk) and limits[item.pk][0] > 0:
            initial[f"qty_{item.pk}"] = min(basket[item.pk], limits[item.pk][0])
    code = coupon_selectors.clean_code(request.GET.get("coupon"))
    if code and coupons.CODE_PATTERN.fullmatch(code):
        initial["coupon"] = code


def _apply_coupon(form, membership, round_, items):
    """"Apply" pressed (or a coupon chip, without JavaScript): what the code takes off the lines
    chosen, or why not, on the coupon field. Nothing is ordered."""
    data = form.cleaned_data
    if not data.get("coupon"):
        form.add_error("coupon", _("Type a coupon code."))
        return None
    try:
        return coupon_selectors.basket_quote(member=membership, group_buy=round_, lines=form.chosen_lines(),
                                             code=data["coupon"], delivery=data["fulfilment"] == "delivery",
                                             items=items)
    except DomainError as error:
        add_domain_error(form, error)
        return None


def _coupon_shown(form) -> str:
    """The code in the field: as the coupon reads it (" save10 " → "SAVE10"), or what was typed
    when it cannot be a code, so the member sees what to fix."""
    typed = form["coupon"].value() or ""
    return coupon_selectors.clean_code(typed) if coupon_selectors.clean_code(typed) is not None else typed


def _points_context(membership, rows, discount) -> dict:
    """The "pay part with points" choice, when the community allows it and the member has points:
    what the basket on the page would take (or, nothing chosen yet, the most it could)."""
    amount = money(sum(row["item"].group_price * (parse_int(str(row["qty"] or 0), minimum=0, maximum=MAX_QUANTITY)
                                                  or 0) for row in rows)) - (discount or 0)
    return {"points_offer": points_offer(membership, amount if amount > 0 else MAX_AMOUNT),
            "points_upto": amount <= 0}


@community_page(Perm.VIEW, stranger=sharing.group_buy_preview)
def group_buy(request, community, membership, pk):
    round_ = sharing.visible_round(community, membership, pk)
    if request.method == "GET":  # the top of the funnel (analytics): counted once per member
        round_seen(membership=membership, group_buy=round_)
    items = list(round_.items.all())
    limits = _item_limits(round_, items, request.user.pk)
    initial = {"token": uuid.uuid4().hex, "team": request.GET.get("team", "")[:12],
               "pickup_point": _default_point(round_, membership)}
    if round_.mode == GroupBuy.Mode.TEAM:  # 拼团: one unit of the (first) product unless changed
        first = next((i for i in items if limits[i.pk][0] > 0), None)
        if first is not None:
            initial[f"qty_{first.pk}"] = 1
    _initial_basket(request, items, limits, initial)
    data = request.POST or None
    applying = request.method == "POST" and ("apply_coupon" in request.POST or "coupon_chip" in request.POST)
    if applying and "coupon_chip" in request.POST:  # a chip tapped without JavaScript: that code, applied
        data = request.POST.copy()
        data["coupon"] = request.POST["coupon_chip"][:100]
    form = OrderForm(data, items=items, limits=limits, initial=initial)
    quote = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if applying:
            quote = _apply_coupon(form, membership, round_, items)
        else:
            if round_.mode == GroupBuy.Mode.TEAM and not data["team_action"] and "place" in request.POST:
                # Enter in a text field: what the big button says (join the team of the link, or start one).
                data["team_action"] = "join" if data["team"] else "open"
            # Points at checkout (orders.discounts), when this build has them and the member ticked it.
            with_points = {"use_points": True} if data.get("use_points") else {}
            try:
                order, _created = services.order_place(
                    member=membership, group_buy=round_, lines=form.chosen_lines(), idempotency_key=data["token"],
                    fulfilment=data["fulfilment"], pickup_point_id=data["pickup_point"],
                    delivery_address=data["delivery_address"], note=data["note"],
                    team_code=data["team"] if data["team_action"] == "join" else None,
                    open_team=data["team_action"] == "open", coupon_code=data["coupon"], **with_points)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect(order.get_absolute_url())
    progress = services.group_buy_progress(round_)
    sold = selectors.sold_by_item(round_)
    team = None
    team_code = (request.GET.get("team") or request.POST.get("team") or "")[:12]
    if team_code:
        team = community.teams.filter(code=team_code, group_buy=round_).select_related("leader").first()
    rows = _item_rows(items, sold, form, limits)
    is_open = round_.status == GroupBuy.Status.OPEN and round_.opens_at <= timezone.now() < round_.closes_at
    return render(request, "orders/group_buy.html", {
        "community": community, "membership": membership, "group_buy": round_, "form": form, "progress": progress,
        "shortfall": selectors.shortfall_text(round_, progress),
        "rows": rows, "team": team, "quote": quote, "coupon_value": _coupon_shown(form),
        "coupon_chips": coupon_selectors.coupons_for_round(membership, round_) if is_open else [],
        **(_points_context(membership, rows, quote.discount if quote else 0) if is_open else {}),
        "open_teams": selectors.open_teams(round_, exclude_member_id=request.user.pk)
        if round_.mode == GroupBuy.Mode.TEAM and team is None else [],
        "is_open": is_open,
        "points": list(round_.pickup_points.all()),
        "my_orders": list(community.orders.filter(group_buy=round_, member=request.user)
                          .exclude(status__in=["cancelled"]).order_by("-created_at")[:5]),
        **sharing.round_share_context(request, community, round_, user_id=request.user.pk, progress=progress),
    }, status=400 if request.method == "POST" and form.errors else 200)


@community_page(Perm.VIEW)
def group_buy_live(request, community, membership, pk):
    """What the round page refreshes by itself: progress and what is left of each item.

    Cheap: one query checks the member may see the round; the answer itself is shared by every
    member for a few seconds (a cache read), and building it costs four queries.
    """
    created = selectors.group_buys_for_member(membership).filter(pk=pk).values_list("created_at", flat=True).first()
    if created is None:
        raise Http404
    # The creation instant keeps two databases' round #7 apart when they share one cache (tests, staging).
    key = f"orders:live:{pk}:{created.timestamp()}:{translation.get_language()}"
    payload = cache.get(key)
    if payload is None:
        round_ = community.group_buys.select_related("community").get(pk=pk)
        progress = services.group_buy_progress(round_)
        payload = {
            "open": round_.status == GroupBuy.Status.OPEN and timezone.now() < round_.closes_at,
            "ratio": round(progress.ratio, 4), "reached": progress.reached,
            "quantity": progress.quantity, "buyers": progress.buyers, "amount": str(progress.amount),
            "text": selectors.shortfall_text(round_, progress),
            "remaining": {str(i): max(0, offer - sold) for i, offer, sold in
                          round_.items.values_list("pk", "quantity_on_offer", "quantity_sold")},
        }
        cache.set(key, payload, LIVE_SECONDS)
    response = JsonResponse(payload)
    response["Cache-Control"] = f"private, max-age={LIVE_SECONDS}"
    return response


def _default_point(round_, membership):
    points = list(round_.pickup_points.all())
    for point in points:
        if membership.branch_id and point.branch_id == membership.branch_id:
            return point.pk
    return points[0].pk if len(points) == 1 else None


@community_page(Perm.VIEW)
def my_orders(request, community, membership):
    orders = list(selectors.my_orders(membership).select_related("coupon_redemption__coupon")[:100])
    return render(request, "orders/my_orders.html", {"community": community, "membership": membership,
                                                     "orders": orders})


def _load_order(membership, pk):
    try:
        return selectors.order_for_member(membership, pk)
    except Order.DoesNotExist:
        raise Http404


def _order_page(request, community, membership, order, *, transfer_form=None, status=200):
    wallet = selectors.wallet_of(membership)
    balance = wallet.balance if wallet else Decimal("0")
    owed = order.charge.amount - order.charge.paid_amount
    return render(request, "orders/order.html", {
        "community": community, "membership": membership, "order": order, "wallet": wallet,
        "balance": balance, "wallet_short": owed - balance if balance < owed else None,
        "transfer_form": transfer_form or TransferForm(),
        "reported": any(p.method == "manual" and p.status == "pending" for p in order.charge.payments.all()),
        "can_cancel": order.status in ("pending_payment", "paid") and order.group_buy.status == "open"
        and timezone.now() < order.group_buy.closes_at and not (order.team and order.team.status == "succeeded"),
        "show_code": order.status in ("paid", "confirmed", "ready") and order.fulfilment == "pickup",
        "redemption": CouponRedemption.objects.filter(order=order).select_related("coupon").first()
        if order.discount else None,
    }, status=status)


@community_page(Perm.VIEW)
def order(request, community, membership, pk):
    return _order_page(request, community, membership, _load_order(membership, pk))


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
            if not form.is_valid():  # shown next to the field, the page otherwise as it was
                return _order_page(request, community, membership, order, transfer_form=form, status=400)
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


@community_page(Perm.VIEW, stranger=sharing.team_preview)
def team(request, community, membership, code):
    team = community.teams.filter(code=code).select_related("group_buy__community", "leader").first()
    if team is None:
        raise Http404
    members = sharing.team_members(team, community)
    return render(request, "orders/team.html", {
        "community": community, "membership": membership, "team": team, "members": members,
        "mine": any(o.member_id == request.user.pk for o in members),
        "still_needed": max(0, team.size - team.paid_count),
        "share_url": request.build_absolute_uri(team.get_absolute_url()),
        **sharing.team_share_context(request, community, team),
    })


@community_page(Perm.VIEW)
def wallet(request, community, membership):
    wallet = selectors.wallet_of(membership)
    entries = list(selectors.wallet_entries(wallet)[:200])
    return render(request, "orders/wallet.html", {"community": community, "membership": membership,
                                                  "wallet": wallet, "entries": entries})
