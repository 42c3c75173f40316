"""Coupons (优惠券): created by admins, handed to members (batches by segment, rewards, points),
and redeemed inside order placement.

A coupon is priced into an order in ``orders.services._place``: ``coupon_quote`` checks what
needs no lock (window, round, products, minimum spend, first order only) and works out the
discount; ``coupon_redeem`` then runs in the order's transaction, after the member's allowances
and before the hot item rows, and takes the member's use (a guarded upsert on ``MemberCoupon``)
and the coupon's use (a guarded UPDATE, backed by the CHECK ``uses <= total_limit``). Under any
number of concurrent orders the limits hold; a refused use rolls the whole order back.

Uses count only orders that are not cancelled: ``coupon_release`` gives the use back, once (the
redemption's ``released_at`` guards it), when an order is cancelled, expires, or is refunded before
it was completed. A refund after completion keeps the use spent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.permissions import Perm, check_perm
from core.audit import audit_record
from core.exceptions import Conflict, NotFound, ValidationFailed
from core.money import MAX_AMOUNT, money
from core.notifications import Notice, in_language_of, notify_many
from orders.models import (
    Coupon, CouponBatch, CouponGrant, CouponRedemption, GroupBuy, GroupBuyItem, MemberCoupon, Order,
)

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,19}")
MAX_PRODUCTS = 200
MAX_LIMIT = 1_000_000
MAX_HAND_OUT = 100_000  # members in one batch
FIRST_ORDER_LOCK = 0x4F31 << 48  # + the member's id: the advisory lock of a first-order coupon being taken


def normalize_code(text) -> str:
    """A code as members type it: case and surrounding spaces do not matter."""
    return str(text or "").strip().upper()


# Admins: creating and editing -------------------------------------------------------------------

def coupon_save(*, actor: Membership, coupon: Coupon | None = None, code: str, name: str, kind: str,
                amount_off: Decimal | None = None, percent_off: int | None = None,
                min_spend: Decimal = Decimal("0"), starts_at: datetime, ends_at: datetime,
                total_limit: int | None = None, per_member_limit: int = 1, handed_out_only: bool = False,
                new_members_only: bool = False, group_buy_id: int | None = None,
                product_ids: list[int] | None = None, is_active: bool = True) -> Coupon:
    """Create a coupon, or change one. Orders placed already keep the discount they got."""
    check_perm(actor, Perm.MANAGE_LOYALTY)
    if coupon is not None and coupon.community_id != actor.community_id:
        raise NotFound()
    errors: dict[str, list] = {}
    code = normalize_code(code)
    if not code.isascii() or not CODE_PATTERN.fullmatch(code):
        errors["code"] = [_("3 to 20 letters A-Z, digits, '-' or '_'.")]
    name = str(name or "").strip()
    if not name or len(name) > 60 or "\x00" in name:
        errors["name"] = [_("Give the coupon a name of 1 to 60 characters.")]
    if kind == Coupon.Kind.AMOUNT:
        percent_off = None
        if amount_off is None or not Decimal("0.01") <= amount_off <= MAX_AMOUNT:
            errors["amount_off"] = [_("Enter an amount from 0.01 to %(max)s.") % {"max": MAX_AMOUNT}]
    elif kind == Coupon.Kind.PERCENT:
        amount_off = None
        if percent_off is None or not 1 <= percent_off <= 100:
            errors["percent_off"] = [_("Enter a percent from 1 to 100.")]
    else:
        errors["kind"] = [_("Choose an amount or a percent off.")]
    if min_spend is None or not Decimal("0") <= min_spend <= MAX_AMOUNT:
        errors["min_spend"] = [_("Enter an amount from 0 to %(max)s.") % {"max": MAX_AMOUNT}]
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        errors["ends_at"] = [_("The coupon must end after it starts.")]
    if total_limit is not None and not 1 <= total_limit <= MAX_LIMIT:
        errors["total_limit"] = [_("Enter a number from 1 to %(max)s, or leave it empty.") % {"max": MAX_LIMIT}]
    elif coupon is not None and total_limit is not None and total_limit < coupon.uses:
        errors["total_limit"] = [_("%(uses)s orders use this coupon already: the limit cannot be lower.") % {
            "uses": coupon.uses}]
    if per_member_limit is None or not 1 <= per_member_limit <= 100:
        errors["per_member_limit"] = [_("Enter a number from 1 to 100.")]
    group_buy = None
    if group_buy_id:
        group_buy = GroupBuy.objects.filter(pk=group_buy_id, community_id=actor.community_id).first()
        if group_buy is None:
            errors["group_buy"] = [_("Choose one of this community's group-buys.")]
    product_ids = sorted(set(product_ids or []))
    if len(product_ids) > MAX_PRODUCTS:
        errors["products"] = [_("At most %(max)s products.") % {"max": MAX_PRODUCTS}]
    elif product_ids:
        from catalog.models import Product

        if Product.objects.filter(pk__in=product_ids, community_id=actor.community_id).count() != len(product_ids):
            errors["products"] = [_("Choose this community's products.")]
    if not errors and Coupon.objects.filter(community_id=actor.community_id, code=code).exclude(
            pk=getattr(coupon, "pk", None)).exists():
        errors["code"] = [_("Another coupon has this code.")]
    if errors:
        raise ValidationFailed(_("Please correct the coupon."), fields=errors)
    values = dict(code=code, name=name, kind=kind, amount_off=amount_off, percent_off=percent_off,
                  min_spend=money(min_spend), starts_at=starts_at, ends_at=ends_at, total_limit=total_limit,
                  per_member_limit=per_member_limit, handed_out_only=handed_out_only,
                  new_members_only=new_members_only, group_buy=group_buy, is_active=is_active)
    with transaction.atomic():
        if coupon is None:
            coupon = Coupon.objects.create(community_id=actor.community_id, created_by=actor.user, **values)
            action = "coupon.created"
        else:
            # The uses counter is not the form's: it moves only with orders, under the row lock.
            locked = Coupon.objects.select_for_update().get(pk=coupon.pk)
            if total_limit is not None and total_limit < locked.uses:
                raise ValidationFailed(_("Please correct the coupon."), fields={"total_limit": [
                    _("%(uses)s orders use this coupon already: the limit cannot be lower.") % {"uses": locked.uses}]})
            for field, value in values.items():
                setattr(locked, field, value)
            locked.save()
            coupon = locked
            action = "coupon.changed"
        coupon.products.set(product_ids)
        audit_record(community=actor.community, actor=actor.user, action=action, obj=coupon, code=coupon.code)
    return coupon


# Handing out ---------------------------------------------------------------------------------------

def _hand_out(*, coupon: Coupon, member_ids: list[int], source: str, key_prefix: str,
              batch: CouponBatch | None = None) -> list[int]:
    """One coupon to each member, once per key; returns the members who got one now."""
    if not member_ids:
        return []
    grants, holders = CouponGrant._meta.db_table, MemberCoupon._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {grants} (community_id, coupon_id, member_id, batch_id, source, key, created_at)
                SELECT %s, %s, m, %s, %s, %s || m::text, now() FROM unnest(%s::bigint[]) AS m
                ON CONFLICT (community_id, key) DO NOTHING RETURNING member_id""",
            [coupon.community_id, coupon.pk, getattr(batch, "pk", None), source, key_prefix, list(member_ids)])
        given = [row[0] for row in cursor.fetchall()]
        if given:
            cursor.execute(
                f"""INSERT INTO {holders} (community_id, coupon_id, member_id, handed, used, created_at, updated_at)
                    SELECT %s, %s, m, 1, 0, now(), now() FROM unnest(%s::bigint[]) AS m
                    ON CONFLICT (coupon_id, member_id) DO UPDATE
                    SET handed = {holders}.handed + 1, updated_at = now()""",
                [coupon.community_id, coupon.pk, given])
    return given


def _tell_holders(coupon: Coupon, member_ids: list[int], *, key: str) -> None:
    from accounts.models import User

    url = reverse("orders:my_coupons", kwargs={"slug": coupon.community.slug})
    notices = []
    for user in User.objects.filter(pk__in=member_ids).only("pk", "email", "language"):
        with in_language_of(user):
            notices.append(Notice(recipient=user, kind="coupon_received", community=coupon.community, url=url,
                                  title=_("A coupon for you: %(name)s") % {"name": coupon.name},
                                  body=describe(coupon), dedupe_key=f"coupon:{coupon.pk}:{key}:{user.pk}"))
    notify_many(notices)


def coupon_hand_out(*, coupon: Coupon, member_id: int, key: str, source: str = CouponGrant.Source.REWARD,
                    tell: bool = True) -> bool:
    """Hand one coupon to a member for a reason that happens once (a reward, points spent): the key
    says which, so handing it again for the same reason gives nothing. Call inside a transaction."""
    given = _hand_out(coupon=coupon, member_ids=[member_id], source=source, key_prefix=f"{key}:")
    if given and tell:
        transaction.on_commit(lambda: _tell_holders(coupon, given, key=key[:60]))
    return bool(given)


def coupon_batch_hand_out(*, actor: Membership, coupon: Coupon, member_ids: list[int], segment: str) -> CouponBatch:
    """Hand a coupon to a segment of members the console chose (only the community's active
    members get one), and tell each of them."""
    check_perm(actor, Perm.MANAGE_LOYALTY)
    if coupon.community_id != actor.community_id:
        raise NotFound()
    if not coupon.is_active or coupon.ends_at <= timezone.now():
        raise Conflict(_("This coupon is not active or has ended: it cannot be handed out."), code="coupon_inactive")
    member_ids = sorted(set(Membership.objects.filter(
        community_id=actor.community_id, user_id__in=list(member_ids)[:MAX_HAND_OUT],
        status=Membership.Status.ACTIVE).values_list("user_id", flat=True)))
    if not member_ids:
        raise ValidationFailed(_("No member is in this segment."), code="segment_empty",
                               fields={"segment": [_("No member matches.")]})
    with transaction.atomic():
        batch = CouponBatch.objects.create(community_id=actor.community_id, coupon=coupon,
                                           segment=str(segment)[:200], created_by=actor.user)
        given = _hand_out(coupon=coupon, member_ids=member_ids, source=CouponGrant.Source.BATCH,
                          key_prefix=f"batch:{batch.pk}:", batch=batch)
        batch.member_count = len(given)
        batch.save(update_fields=["member_count"])
        audit_record(community=actor.community, actor=actor.user, action="coupon.handed_out", obj=coupon,
                     code=coupon.code, segment=batch.segment, members=len(given))
        # Telling tens of thousands of members is the worker's, not the admin's request's. robust: a
        # broker that is down must not turn a committed hand-out into an error page.
        from orders.tasks import tell_coupon_batch

        transaction.on_commit(partial(tell_coupon_batch.delay, batch.pk), robust=True)
    return batch


TELL_CHUNK = 2000


def coupon_batch_tell(batch_id: int) -> int:
    """Tell each member of a batch that a coupon is theirs (one notice each: the dedupe key makes a
    rerun of the task send nothing twice); returns how many were told now or before."""
    batch = CouponBatch.objects.select_related("coupon__community").filter(pk=batch_id).first()
    if batch is None:
        return 0
    member_ids = list(batch.grants.order_by("member_id").values_list("member_id", flat=True))
    for start in range(0, len(member_ids), TELL_CHUNK):
        _tell_holders(batch.coupon, member_ids[start:start + TELL_CHUNK], key=f"batch:{batch.pk}")
    return len(member_ids)


# Pricing and redeeming -------------------------------------------------------------------------------

def describe(coupon: Coupon) -> str:
    """"¥10 off from ¥50", "15% off", as a member reads it."""
    value = (_("¥%(amount)s off") % {"amount": coupon.amount_off} if coupon.kind == Coupon.Kind.AMOUNT
             else _("%(percent)s%% off") % {"percent": coupon.percent_off})
    if coupon.min_spend:
        value = _("%(value)s on ¥%(min)s or more") % {"value": value, "min": coupon.min_spend}
    return value


def _refuse(message, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"coupon": [message]})


@dataclass
class Quote:
    coupon: Coupon
    discount: Decimal


def coupon_quote(*, member: Membership, group_buy: GroupBuy, code: str, lines: dict[int, int],
                 items: dict[int, GroupBuyItem], now: datetime | None = None) -> Quote:
    """What a coupon takes off these lines (before delivery), or a 422 saying why it does not
    apply. Reads only: the uses are taken by ``coupon_redeem`` in the order's transaction."""
    code = normalize_code(code)
    if not code.isascii() or not CODE_PATTERN.fullmatch(code):
        raise _refuse(_("There is no coupon with this code."), "coupon_unknown")
    now = now or timezone.now()
    coupon = Coupon.objects.filter(community_id=member.community_id, code=code, is_active=True).first()
    if coupon is None:
        raise _refuse(_("There is no coupon with this code."), "coupon_unknown")
    if not coupon.starts_at <= now < coupon.ends_at:
        raise _refuse(_("This coupon is not valid now (from %(start)s to %(end)s).") % {
            "start": timezone.localtime(coupon.starts_at).strftime("%Y-%m-%d %H:%M"),
            "end": timezone.localtime(coupon.ends_at).strftime("%Y-%m-%d %H:%M")}, "coupon_not_valid_now")
    if coupon.group_buy_id and coupon.group_buy_id != group_buy.pk:
        raise _refuse(_("This coupon is for another group-buy."), "coupon_other_round")
    if coupon.total_limit is not None and coupon.uses >= coupon.total_limit:
        raise _refuse(_("This coupon has been used up."), "coupon_used_up")
    holder = MemberCoupon.objects.filter(coupon=coupon, member_id=member.user_id).first()
    used, handed = (holder.used, holder.handed) if holder else (0, 0)
    if coupon.handed_out_only and used >= handed:
        raise _refuse(_("This coupon was not handed to you, or you have used it."), "coupon_not_yours")
    if not coupon.handed_out_only and used >= coupon.per_member_limit:
        raise _refuse(_("You have used this coupon as many times as it allows."), "coupon_member_limit")
    if coupon.new_members_only and Order.objects.filter(
            community_id=member.community_id, member_id=member.user_id).exclude(
            status=Order.Status.CANCELLED).exists():
        raise _refuse(_("This coupon is for a member's first order."), "coupon_first_order_only")
    product_ids = set(coupon.products.values_list("pk", flat=True))
    eligible = money(sum(items[i].group_price * q for i, q in lines.items()
                         if not product_ids or items[i].product_id in product_ids))
    if not eligible:
        raise _refuse(_("This coupon does not apply to these products."), "coupon_other_products")
    if eligible < coupon.min_spend:
        raise _refuse(_("Spend at least ¥%(min)s to use this coupon (¥%(more)s more).") % {
            "min": coupon.min_spend, "more": coupon.min_spend - eligible}, "coupon_min_spend")
    if coupon.kind == Coupon.Kind.AMOUNT:
        discount = min(coupon.amount_off, eligible)
    else:
        discount = min(money(eligible * coupon.percent_off / 100), eligible)
    return Quote(coupon=coupon, discount=discount)


def coupon_take_member_use(quote: Quote, member_id: int) -> None:
    """The member's use, in the order's transaction: a guarded upsert (a handed-out coupon needs
    one handed and not used; a public code stays within its per-member limit)."""
    coupon, table = quote.coupon, MemberCoupon._meta.db_table
    with connection.cursor() as cursor:
        if coupon.new_members_only:
            # "No order yet" was read before the transaction: two first-order codes tapped at once
            # both saw it. One first-order coupon at a time per member (the lock lasts to the
            # commit), and the check again now that any other one has committed.
            cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [FIRST_ORDER_LOCK + member_id])
            if Order.objects.filter(community_id=coupon.community_id, member_id=member_id).exclude(
                    status=Order.Status.CANCELLED).exists():
                raise _refuse(_("This coupon is for a member's first order."), "coupon_first_order_only")
        if coupon.handed_out_only:
            cursor.execute(f"UPDATE {table} SET used = used + 1, updated_at = now() "
                           f"WHERE coupon_id = %s AND member_id = %s AND used < handed RETURNING id",
                           [coupon.pk, member_id])
        else:
            cursor.execute(
                f"""INSERT INTO {table} (community_id, coupon_id, member_id, handed, used, created_at, updated_at)
                    VALUES (%s, %s, %s, 0, 1, now(), now())
                    ON CONFLICT (coupon_id, member_id) DO UPDATE SET used = {table}.used + 1, updated_at = now()
                    WHERE {table}.used + 1 <= %s RETURNING id""",
                [coupon.community_id, coupon.pk, member_id, coupon.per_member_limit])
        if cursor.fetchone() is None:
            raise _refuse(_("You have used this coupon as many times as it allows."), "coupon_member_limit")


def coupon_redeem(quote: Quote, order: Order) -> None:
    """Record the redemption and take the coupon's use (a guarded UPDATE: the total limit holds
    under races). Last before the item rows: the coupon's row is hot in a promotion."""
    CouponRedemption.objects.create(community_id=order.community_id, coupon=quote.coupon, order=order,
                                    member_id=order.member_id, amount=quote.discount)
    taken = Coupon.objects.filter(Q(total_limit__isnull=True) | Q(uses__lt=F("total_limit")),
                                  pk=quote.coupon.pk, is_active=True).update(uses=F("uses") + 1)
    if not taken:
        raise Conflict(_("Sorry, this coupon has just been used up."), code="coupon_used_up",
                       fields={"coupon": [_("Used up.")]})


def coupon_release(order: Order) -> bool:
    """Give an order's coupon use back (the order was cancelled, expired, or refunded before it was
    completed), once: the redemption's ``released_at`` guards it. Under the caller's order lock."""
    if not order.discount:
        return False  # no coupon: no query
    redemption = CouponRedemption.objects.filter(order_id=order.pk, released_at__isnull=True).first()
    if redemption is None:
        return False
    if not CouponRedemption.objects.filter(pk=redemption.pk, released_at__isnull=True).update(
            released_at=timezone.now()):
        return False
    MemberCoupon.objects.filter(coupon_id=redemption.coupon_id, member_id=redemption.member_id, used__gt=0).update(
        used=F("used") - 1, updated_at=timezone.now())
    Coupon.objects.filter(pk=redemption.coupon_id, uses__gt=0).update(uses=F("uses") - 1)
    return True
