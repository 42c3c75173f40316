"""积分兑换: members spend points on coupons the community offers for points.

An offer (``PointsReward``) names a handed-out coupon (orders) and its price in points. An exchange
locks the member's points account (so one member's two taps are taken one after the other and the
per-member limit holds), takes the points by a guarded update, writes the ledger line under the
request's key (a replay hands nothing twice and charges nothing twice), and hands one use of the
coupon (orders.coupons.coupon_hand_out) in the same transaction.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.permissions import Perm, check_perm
from core.audit import audit_record
from core.exceptions import Conflict, NotFound, Unprocessable, ValidationFailed
from engagement.models import PointsAccount, PointsEntry, PointsReward
from engagement.points_checkout import ledger_line, take_from_balance
from orders import coupons
from orders.coupon_selectors import ROUND_LIVE
from orders.models import Coupon, CouponGrant

MAX_OFFERS = 50
MAX_PRICE = 10_000_000


def _bad(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def reward_save(*, actor: Membership, reward: PointsReward | None = None, coupon_id, points, per_member_limit=1,
                is_active: bool = True) -> PointsReward:
    """Offer a coupon for points, or change the offer. The coupon must be one handed to members
    (not a public code: a public code needs no points)."""
    check_perm(actor, Perm.MANAGE_LOYALTY)
    if reward is not None and reward.community_id != actor.community_id:
        raise NotFound()
    coupon = Coupon.objects.filter(pk=coupon_id, community_id=actor.community_id).first() if coupon_id else None
    if coupon is None:
        raise _bad("coupon", _("Choose one of this community's coupons."))
    if not coupon.handed_out_only:
        raise _bad("coupon", _("Choose a coupon that is handed to members: a public code needs no points."))
    if not isinstance(points, int) or not 1 <= points <= MAX_PRICE:
        raise _bad("points", _("Enter a price from 1 to %(max)s points.") % {"max": MAX_PRICE})
    if not isinstance(per_member_limit, int) or not 1 <= per_member_limit <= 100:
        raise _bad("per_member_limit", _("Enter a number from 1 to 100."))
    others = PointsReward.objects.filter(community_id=actor.community_id).exclude(pk=getattr(reward, "pk", None))
    if others.filter(coupon=coupon).exists():
        raise _bad("coupon", _("This coupon is on offer already."))
    if reward is None and others.count() >= MAX_OFFERS:
        raise _bad("coupon", _("At most %(max)s coupons can be on offer.") % {"max": MAX_OFFERS})
    with transaction.atomic():
        if reward is None:
            reward = PointsReward(community_id=actor.community_id)
        reward.coupon, reward.points, reward.per_member_limit, reward.is_active = (
            coupon, points, per_member_limit, bool(is_active))
        reward.save()
        audit_record(community=actor.community, actor=actor.user, action="points.reward_saved", obj=reward,
                     code=coupon.code, points=points, active=reward.is_active)
    return reward


def rewards_on_offer(community):
    """What members may take for points now: active offers of coupons still valid, handed to members
    (a coupon made a public code since needs no points) and not used up."""
    now = timezone.now()
    return (PointsReward.objects.filter(Q(coupon__total_limit__isnull=True) | Q(coupon__uses__lt=F("coupon__total_limit")),
                                        Q(coupon__group_buy__isnull=True) | Q(coupon__group_buy__status__in=ROUND_LIVE,
                                                                              coupon__group_buy__closes_at__gt=now),
                                        community_id=community.pk, is_active=True, coupon__is_active=True,
                                        coupon__handed_out_only=True, coupon__ends_at__gt=now)
            .select_related("coupon").order_by("points", "pk"))


def _unavailable(coupon: Coupon) -> bool:
    """Points must not buy a coupon nobody can use: switched off, ended, made a public code, used up,
    or only for a group-buy that has closed."""
    now = timezone.now()
    round_ = coupon.group_buy
    return (not coupon.is_active or coupon.ends_at <= now or not coupon.handed_out_only
            or (coupon.total_limit is not None and coupon.uses >= coupon.total_limit)
            or (round_ is not None and (round_.status not in ROUND_LIVE or round_.closes_at <= now)))


def _exchanges(reward: PointsReward, member_id: int) -> int:
    return CouponGrant.objects.filter(community_id=reward.community_id, coupon_id=reward.coupon_id,
                                      member_id=member_id, source=CouponGrant.Source.POINTS,
                                      key__startswith=f"points:{reward.pk}:").count()


def points_exchange(*, membership: Membership, reward: PointsReward, idempotency_key: str) -> tuple[CouponGrant, bool]:
    """Spend points on one use of the offer's coupon: (the grant, created). The same key again
    answers with the first exchange and charges nothing."""
    check_perm(membership, Perm.VIEW)
    if reward.community_id != membership.community_id:
        raise NotFound()
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64 or not key.isascii() or "\x00" in key:
        raise _bad("idempotency_key", _("A request key (Idempotency-Key) of 1 to 64 characters is required."))
    ledger_key = f"exchange:{membership.user_id}:{key}"
    done = PointsEntry.objects.filter(community_id=membership.community_id, key=ledger_key).first()
    if done is not None:
        return _replayed(done, membership, reward), False
    with transaction.atomic():
        account = (PointsAccount.objects.select_for_update()
                   .filter(community_id=membership.community_id, member_id=membership.user_id).first())
        if PointsEntry.objects.filter(community_id=membership.community_id, key=ledger_key).exists():
            done = PointsEntry.objects.get(community_id=membership.community_id, key=ledger_key)
            return _replayed(done, membership, reward), False  # the same request, a moment ago
        # The offer and its coupon as they are now (an admin may have changed them since the page).
        reward = PointsReward.objects.select_related("coupon__group_buy").get(pk=reward.pk)
        coupon = reward.coupon
        if not reward.is_active or _unavailable(coupon):
            raise Conflict(_("This coupon is no longer on offer."), code="reward_unavailable")
        if _exchanges(reward, membership.user_id) >= reward.per_member_limit:
            raise Conflict(_("You have taken this coupon as many times as it allows."), code="reward_limit")
        with connection.cursor() as cursor:
            if account is None or not take_from_balance(cursor, community_id=membership.community_id,
                                                        member_id=membership.user_id, points=reward.points):
                raise Conflict(_("You need %(points)s points for this coupon.") % {"points": reward.points},
                               code="not_enough_points", fields={"points": [_("Not enough points.")]})
            ledger_line(cursor, community_id=membership.community_id, member_id=membership.user_id,
                        amount=-reward.points, reason=PointsEntry.Reason.COUPON, key=ledger_key, note=coupon.name)
        entry = PointsEntry.objects.get(community_id=membership.community_id, key=ledger_key)
        coupons.coupon_hand_out(coupon=coupon, member_id=membership.user_id, key=f"points:{reward.pk}:{entry.pk}",
                                source=CouponGrant.Source.POINTS, tell=False)
    return _grant_for(entry, membership), True


def _replayed(entry: PointsEntry, membership: Membership, reward: PointsReward) -> CouponGrant:
    """The first exchange of this request key; the key sent again for another offer is refused."""
    grant = _grant_for(entry, membership)
    if not grant.key.startswith(f"points:{reward.pk}:"):
        raise Unprocessable(_("This request key was already used for another coupon: reload the page."),
                            code="idempotency_key_reused", fields={"idempotency_key": [_("Used for another coupon.")]})
    return grant


def _grant_for(entry: PointsEntry, membership: Membership) -> CouponGrant:
    return (CouponGrant.objects.select_related("coupon")
            .get(community_id=membership.community_id, member_id=membership.user_id, source=CouponGrant.Source.POINTS,
                 key__regex=rf"^points:[0-9]+:{entry.pk}:"))
