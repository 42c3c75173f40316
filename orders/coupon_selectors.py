"""Coupons as a member reads them: the ones I can use (here, or in this round), the ones I used or
that ended, and what a code would take off a basket before I order.

Reads only. Redemption happens in orders.services.order_place (orders.coupons); the quote here
runs the same rules (orders.coupons.coupon_quote) on the same lines, so what the member is told
before ordering is what the order then takes off, unless the coupon is used up in between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from communities.models import Membership
from core.exceptions import ValidationFailed
from core.money import money
from orders import coupons, selectors
from orders.models import Coupon, GroupBuy, GroupBuyItem, MemberCoupon, Order
from orders.services import MAX_LINES, MAX_QUANTITY

CODE_MAX = Coupon._meta.get_field("code").max_length  # 20
PAST_SHOWN = 30  # used or ended coupons listed under the usable ones
PUBLIC_SHOWN = 50  # public codes listed at once (a community rarely runs more)
PRODUCTS_NAMED = 5  # "on apples, pears and 3 more"

# Why a coupon of mine is no longer usable, in words.
STATE_LABELS = {
    "used": _lazy("Used"),
    "expired": _lazy("Expired"),
    "used_up": _lazy("All taken"),
    "ended": _lazy("Withdrawn"),
    "round_over": _lazy("Group-buy over"),
}
ROUND_LIVE = (GroupBuy.Status.SCHEDULED, GroupBuy.Status.OPEN)


def clean_code(text) -> str | None:
    """A code as typed (spaces and case do not matter), or None when it cannot be one: not ASCII,
    a NUL, longer than a code can be. ``""`` when nothing was typed."""
    code = coupons.normalize_code(text)
    if "\x00" in code or not code.isascii() or len(code) > CODE_MAX:
        return None
    return code


@dataclass
class MyCoupon:
    coupon: Coupon
    state: str  # "usable", "not_yet", or one of STATE_LABELS
    left: int  # uses I have left (handed and unused, or the per-member limit less my uses)
    description: str
    products: list[str] = field(default_factory=list)
    more_products: int = 0

    @property
    def usable(self) -> bool:
        return self.state in ("usable", "not_yet")

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, ""))


def _state(coupon: Coupon, holder: MemberCoupon | None, now: datetime, ordered_before: bool) -> tuple[str, int]:
    used, handed = (holder.used, holder.handed) if holder else (0, 0)
    left = max(0, handed - used) if coupon.handed_out_only else max(0, coupon.per_member_limit - used)
    if not left:
        return "used", 0
    if not coupon.is_active:
        return "ended", left
    if coupon.ends_at <= now:
        return "expired", left
    if coupon.total_limit is not None and coupon.uses >= coupon.total_limit:
        return "used_up", left
    if coupon.group_buy_id and (coupon.group_buy.status not in ROUND_LIVE or coupon.group_buy.closes_at <= now):
        return "round_over", left
    if coupon.new_members_only and ordered_before:
        return "used", 0  # a first-order coupon after the first order: as good as used
    return ("not_yet" if coupon.starts_at > now else "usable"), left


def _row(coupon, holder, now, ordered_before) -> MyCoupon:
    state, left = _state(coupon, holder, now, ordered_before)
    names = [p.name for p in coupon.products.all()]
    return MyCoupon(coupon=coupon, state=state, left=left, description=coupons.describe(coupon),
                    products=names[:PRODUCTS_NAMED], more_products=max(0, len(names) - PRODUCTS_NAMED))


def my_coupons(membership: Membership, *, now: datetime | None = None) -> tuple[list[MyCoupon], list[MyCoupon]]:
    """(usable, past): coupons handed to me that I have not used and public codes valid now that I
    have not used up, soonest ending first; then those I used or that ended, latest first.

    A fixed number of queries: my holdings, the public codes, whether I ordered before."""
    now = now or timezone.now()
    holders = {h.coupon_id: h for h in MemberCoupon.objects.filter(
        community_id=membership.community_id, member_id=membership.user_id)
        .select_related("coupon__group_buy").prefetch_related("coupon__products")
        .order_by("-updated_at", "-id")[:500]}
    # A public code for a round aimed at another branch is not offered to me.
    visible_rounds = selectors.group_buys_for_member(membership).order_by().values("pk")
    public = list(Coupon.objects.filter(community_id=membership.community_id, handed_out_only=False, is_active=True,
                                        starts_at__lte=now, ends_at__gt=now)
                  .filter(Q(total_limit__isnull=True) | Q(uses__lt=F("total_limit")))
                  .filter(Q(group_buy__isnull=True) | Q(group_buy__status__in=ROUND_LIVE, group_buy__closes_at__gt=now,
                                                         group_buy__in=visible_rounds))
                  .exclude(pk__in=list(holders)).select_related("group_buy").prefetch_related("products")
                  .order_by("ends_at", "pk")[:PUBLIC_SHOWN])
    ordered_before = Order.objects.filter(community_id=membership.community_id, member_id=membership.user_id) \
        .exclude(status=Order.Status.CANCELLED).exists()
    rows = [_row(h.coupon, h, now, ordered_before) for h in holders.values()]
    rows += [_row(c, None, now, ordered_before) for c in public]
    usable = sorted((r for r in rows if r.usable), key=lambda r: (r.coupon.ends_at, r.coupon.pk))
    # Past: only coupons I held (a public code I never typed that ended is not mine to list).
    past = [r for r in rows if not r.usable and r.coupon.pk in holders][:PAST_SHOWN]
    return usable, past


def coupons_for_round(membership: Membership, group_buy: GroupBuy, *, now: datetime | None = None) -> list[MyCoupon]:
    """My usable coupons that can apply in this round (any round, or this one; on one of its
    products when limited to products): the chips beside the coupon field."""
    usable, _past = my_coupons(membership, now=now)
    product_ids = {i.product_id for i in group_buy.items.all()}
    return [r for r in usable if r.state == "usable"
            and (not r.coupon.group_buy_id or r.coupon.group_buy_id == group_buy.pk)
            and (not r.coupon.products.all() or {p.pk for p in r.coupon.products.all()} & product_ids)]


# What a code takes off a basket --------------------------------------------------------------

@dataclass
class BasketQuote:
    coupon: Coupon
    description: str
    subtotal: Decimal  # the lines at their group prices
    discount: Decimal
    delivery_fee: Decimal
    total: Decimal  # what the order would cost: subtotal − discount + delivery


def _refuse_lines(message) -> ValidationFailed:
    return ValidationFailed(message, code="invalid", fields={"lines": [message]})


def basket_quote(*, member: Membership, group_buy: GroupBuy, lines: list[tuple[int, int]], code: str,
                 delivery: bool = False, items: list[GroupBuyItem] | None = None) -> BasketQuote:
    """What ``code`` takes off these lines of ``group_buy`` (a round the caller checked the member
    may see), or the coupon's refusal (422, field "coupon"). The lines are checked as an order's."""
    if len(lines) > MAX_LINES:
        raise _refuse_lines(_("An order has at most %(max)s lines.") % {"max": MAX_LINES})
    merged: dict[int, int] = {}
    for item_id, quantity in lines:
        merged[item_id] = merged.get(item_id, 0) + quantity
    if not merged or any(not 1 <= q <= MAX_QUANTITY for q in merged.values()):
        raise _refuse_lines(_("Choose at least one product, with quantities from 1 to %(max)s.") % {
            "max": MAX_QUANTITY})
    known = items if items is not None else list(group_buy.items.select_related("product"))
    by_pk = {i.pk: i for i in known if i.pk in merged and i.group_buy_id == group_buy.pk}
    if len(by_pk) != len(merged):
        raise _refuse_lines(_("One of the products is not in this group-buy."))
    cleaned = clean_code(code)
    if not cleaned:
        message = _("Type a coupon code.") if cleaned == "" else _("There is no coupon with this code.")
        raise ValidationFailed(message, code="coupon_unknown" if cleaned is None else "coupon_required",
                               fields={"coupon": [message]})
    quote = coupons.coupon_quote(member=member, group_buy=group_buy, code=cleaned, lines=merged, items=by_pk)
    subtotal = money(sum(by_pk[i].group_price * q for i, q in merged.items()))
    fee = money(group_buy.delivery_fee) if delivery and group_buy.allows_delivery else money(0)
    return BasketQuote(coupon=quote.coupon, description=coupons.describe(quote.coupon), subtotal=subtotal,
                       discount=quote.discount, delivery_fee=fee, total=money(subtotal - quote.discount + fee))


# The basket link (?basket=12x2,13x1) -----------------------------------------------------------

BASKET_MAX_PAIRS = 20
BASKET_MAX_TEXT = 20 * 16  # twenty "2147483647x999," and change
BASKET_QTY_MAX = 999
_PAIR = re.compile(r"([0-9]{1,10})[xX]([0-9]{1,3})", re.ASCII)


def parse_basket(text) -> dict[int, int]:
    """``"12x2,13x1"`` → {12: 2, 13: 1}; quantities 1 to 999, at most 20 pairs, ASCII digits only.
    A pair that is not one (``"１x2"``, ``"1x0"``, ``"99999999999x1"``) is skipped; a value that is
    too long or holds a NUL is ignored whole. Which items are in the round is the caller's check."""
    text = str(text or "")
    if not text or len(text) > BASKET_MAX_TEXT or "\x00" in text or not text.isascii():
        return {}
    basket: dict[int, int] = {}
    for pair in text.split(",")[:BASKET_MAX_PAIRS]:
        match = _PAIR.fullmatch(pair.strip())
        if not match:
            continue
        item_id, quantity = int(match.group(1)), int(match.group(2))
        if 1 <= item_id < 2**31 and 1 <= quantity <= BASKET_QTY_MAX:
            basket[item_id] = quantity
    return basket
