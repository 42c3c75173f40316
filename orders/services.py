"""Writes for group-buys, teams, orders and commissions. Money goes through payments.services.

Lock order (the whole project's is written down in payments/services.py): group-buy row (FOR SHARE
for one order's change, FOR UPDATE for a sweep or an action on the whole round) → team rows (by id)
→ order rows (by id) → allowance rows → item rows (by id) → charge → wallet. Placing an order takes
no round lock: it may lock one team, then allowances, then items last; giving units back takes them
in the same order. Round-wide actions lock the round and its items FOR NO KEY UPDATE, never FOR
UPDATE: an order's foreign keys (to its round, to the items of its lines) are checked at commit
(Django's constraints are deferred), taking FOR KEY SHARE on those rows after the order's item
update, and a FOR UPDATE held there would deadlock with it. Counters change by guarded updates; ledgers (wallet entries, refunds,
commissions) carry unique keys so that a retried settlement writes nothing twice. Notices and
e-mails go through core.notifications (e-mail sent on commit).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, Membership
from communities.permissions import (
    Perm,
    acts_community_wide,
    branch_in_scope,
    check_in_scope,
    check_perm,
    orders_in_scope,
    pickup_points_in_scope,
    rounds_in_scope,
    rounds_in_view,
)
from core.audit import audit_record
from core.models import AuditLog
from core.events import emit
from core.exceptions import Conflict, DomainError, Forbidden, NotFound, Unprocessable, ValidationFailed
from core.money import CENT, MAX_AMOUNT, money, parse_money  # noqa: F401 (callers use services.money)
from core.notifications import in_language_of, notify
from core.templatetags.money import money as format_money
from orders.models import (
    Commission,
    GroupBuy,
    GroupBuyItem,
    MemberAllowance,
    Order,
    OrderLine,
    PickupPoint,
    PriceTier,
    Team,
    new_team_code,
)
from orders import coupons, discounts
from payments import services as payments
from payments.models import Charge, Payment, Refund

LIVE_STATUSES = (Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.CONFIRMED, Order.Status.READY,
                 Order.Status.SHIPPED, Order.Status.COMPLETED)
PAID_STATUSES = (Order.Status.PAID, Order.Status.CONFIRMED, Order.Status.READY, Order.Status.SHIPPED,
                 Order.Status.COMPLETED)
MAX_LINES = 50
MAX_QUANTITY = 9999
# What a round may offer of one product (quantities are integer columns; stock released at close
# adds back at most this much) and the largest threshold a round may set.
MAX_OFFER = 1_000_000
MAX_THRESHOLD = Decimal("1000000000")
MAX_TIERS = 20
# The years a round's times may fall in: outside them a time is a typo (and old years read in local
# mean time, e.g. +08:05:43 for Shanghai before 1901, which no API client expects).
YEARS = (2000, 2100)
# The rate of a round a leader publishes (only owners and admins set one): the community has no
# default rate of its own, so none.
DEFAULT_COMMISSION_RATE = Decimal("0")


def _transition(obj, to: str, *, actor=None, community=None, note: str = "", **data) -> None:
    """Record a state change (who, when, from, to) in the audit log."""
    audit_record(community=community or obj.community, actor=actor, action=f"{obj._meta.model_name}.{to}",
                 target_user=getattr(obj, "member", None), obj=obj,
                 **{"from": data.pop("from_status", None), "to": to, "note": note, **data})
    if isinstance(obj, GroupBuy) and to in _ROUND_EVENTS:
        # For the apps above (partner shops' webhooks): the round's suppliers hear of it.
        emit(f"group_buy.{to}", community_id=obj.community_id, group_buy_id=obj.pk)


_ROUND_EVENTS = {GroupBuy.Status.OPEN, GroupBuy.Status.CLOSED, GroupBuy.Status.SUCCEEDED, GroupBuy.Status.FAILED,
                 GroupBuy.Status.CANCELLED}


# Pickup points -------------------------------------------------------------------------------

def pickup_point_save(*, actor: Membership, pickup_point: PickupPoint | None = None, name: str, address: str,
                      hours: str = "", leader=None, branch: Community | None = None,
                      is_active: bool = True) -> PickupPoint:
    check_perm(actor, Perm.MANAGE_GROUP_BUYS)
    if pickup_point is not None:
        check_in_scope(actor, pickup_point, pickup_points_in_scope)
    branch = branch_in_scope(actor, branch)
    if branch is None and not acts_community_wide(actor):
        raise Forbidden(_("A leader keeps the pickup points of their own branch, and you lead none: ask an admin."),
                        code="no_branch")
    community = actor.community
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    if not (address or "").strip():
        errors["address"] = [_("This field is required.")]
    if branch is not None and branch.parent_id != community.pk:
        errors["branch"] = [_("Choose a branch of this community.")]
    elif branch is not None and branch.retired_at is not None:
        errors["branch"] = [_("This branch is retired: choose one in use.")]
    if leader is not None and not community.memberships.filter(user=leader, status="active",
                                                              role__in=["owner", "admin", "leader"]).exists():
        errors["leader"] = [_("The person in charge must be a leader or admin of the community.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    point = pickup_point or PickupPoint(community=community)
    if point.community_id != community.pk:
        raise NotFound()
    point.name, point.address, point.hours = name.strip(), address.strip(), (hours or "").strip()
    point.leader, point.branch, point.is_active = leader, branch, is_active
    try:
        with transaction.atomic():
            point.save()
    except IntegrityError:
        raise Conflict(_("A pickup point with this name exists."), fields={"name": [_("Already used.")]})
    return point


def branch_retire_check(branch: Community) -> str | None:
    """A branch may not retire while a published round is aimed at it (communities asks)."""
    titles = list(branch.branch_group_buys.filter(status__in=(GroupBuy.Status.SCHEDULED, GroupBuy.Status.OPEN))
                  .values_list("title", flat=True)[:3])
    if titles:
        return _("Group-buys are aimed at this branch: %(titles)s. Let them close, or cancel them, first.") % {
            "titles": "、".join(titles)}
    return None


def branch_retire_move(branch: Community, move_to: Community | None) -> None:
    """A retiring branch's pickup points go along with its members; drafts no longer aim at it."""
    PickupPoint.objects.filter(branch=branch).update(branch=move_to)
    GroupBuy.branches.through.objects.filter(community=branch, groupbuy__status=GroupBuy.Status.DRAFT).delete()


# Group-buys ----------------------------------------------------------------------------------

@dataclass
class ItemSpec:
    product_id: int
    group_price: Decimal
    quantity_on_offer: int
    per_member_limit: int | None = None
    tiers: tuple[tuple[int, Decimal], ...] = ()
    # Editing a round: the item this row changes (None: a new item).
    item_id: int | None = None


# What a round is made of besides its items, with a new round's defaults.
ROUND_FIELDS = {
    "title": "", "description": "", "mode": GroupBuy.Mode.NORMAL, "team_size": None, "team_window_hours": 24,
    "opens_at": None, "closes_at": None, "expected_pickup_at": None, "pickup_point_ids": (),
    "allows_delivery": False, "delivery_fee": Decimal("0"), "success_rule": GroupBuy.SuccessRule.NONE,
    "success_threshold": Decimal("0"), "commission_rate": None, "branch_ids": (),
}


# The names pages and the API give these fields (a round's pickup points, its branches).
ROUND_FIELD_ALIASES = {"pickup_points": "pickup_point_ids", "branches": "branch_ids"}


def _leader_limits(actor: Membership, values: dict) -> None:
    """A leader's round reaches their own branch, is collected at their branch's pickup points and
    earns the default commission rate; only owners and admins set a rate."""
    if acts_community_wide(actor):
        return
    rate = values["commission_rate"]
    if rate is not None and rate != DEFAULT_COMMISSION_RATE:
        raise Forbidden(_("Only the owner and admins set commission rates."), code="commission_rate",
                        fields={"commission_rate": [_("Set by the owner and admins only.")]})
    for branch in actor.community.branches.filter(pk__in=list(values["branch_ids"])):
        branch_in_scope(actor, branch, field="branches")
    values["branch_ids"] = list(values["branch_ids"]) or ([actor.branch_id] if actor.branch_id else [])
    in_scope = set(pickup_points_in_scope(actor, actor.community.pickup_points.all()).values_list("pk", flat=True))
    if set(values["pickup_point_ids"]) - in_scope:
        raise ValidationFailed(_("Choose pickup points of your own branch."), code="pickup_point_out_of_scope",
                               fields={"pickup_points": [_("Not a pickup point of your branch.")]})


def _round_errors(community: Community, values: dict, items: list[ItemSpec], *, closing_checked: bool,
                  kept_point_ids=()):
    """The rules every round keeps, new or changed: (errors by field, its pickup points, its branches)."""
    errors: dict[str, list] = {}
    v = values
    if not v["title"]:
        errors["title"] = [_("Give the group-buy a title.")]
    odd_years = {name: [_("Choose a date between %(first)s and %(last)s.") % {"first": YEARS[0], "last": YEARS[1]}]
                 for name in ("opens_at", "closes_at", "expected_pickup_at")
                 if v.get(name) is not None and not YEARS[0] <= v[name].year <= YEARS[1]}  # a typo: 1147
    errors.update(odd_years)  # times outside the years are not compared with each other
    if not odd_years and (v["opens_at"] is None or v["closes_at"] is None or v["closes_at"] <= v["opens_at"]):
        errors["closes_at"] = [_("The closing time must be after the opening time.")]
    elif not odd_years and closing_checked and v["closes_at"] <= timezone.now():
        errors["closes_at"] = [_("The closing time must be in the future.")]
    if v["mode"] not in GroupBuy.Mode.values:
        errors["mode"] = [_("Unknown mode.")]
    if v["mode"] == GroupBuy.Mode.TEAM and (v["team_size"] is None or not 2 <= v["team_size"] <= 100):
        errors["team_size"] = [_("A team needs 2 to 100 members.")]
    if not 1 <= (v["team_window_hours"] or 0) <= 720:
        errors["team_window_hours"] = [_("Between 1 and 720 hours.")]
    if v["success_rule"] not in GroupBuy.SuccessRule.values:
        errors["success_rule"] = [_("Unknown rule.")]
    elif v["success_rule"] != GroupBuy.SuccessRule.NONE and not v["success_threshold"] > 0:
        errors["success_threshold"] = [_("Set the threshold the group-buy must reach.")]
    elif not v["success_threshold"] <= MAX_THRESHOLD:
        errors["success_threshold"] = [_("The threshold can be at most %(max)s.") % {"max": MAX_THRESHOLD}]
    if v["delivery_fee"] is None or not Decimal("0") <= v["delivery_fee"] <= MAX_AMOUNT:
        errors["delivery_fee"] = [_("The delivery fee must be between 0 and %(max)s.") % {"max": MAX_AMOUNT}]
    if not Decimal("0") <= v["commission_rate"] <= Decimal("0.5"):
        errors["commission_rate"] = [_("The commission rate must be between 0 and 50%.")]
    point_ids = set(v["pickup_point_ids"])
    # A point retired after the round was published stays on it (its orders are collected there).
    points = list(community.pickup_points.filter(Q(is_active=True) | Q(pk__in=list(kept_point_ids)),
                                                 pk__in=point_ids))
    if len(points) != len(point_ids):
        errors["pickup_points"] = [_("Choose pickup points of this community.")]
    if not points and not v["allows_delivery"]:
        errors["pickup_points"] = [_("Offer at least one pickup point or delivery.")]
    branches = list(community.active_branches().filter(pk__in=set(v["branch_ids"])))
    if len(branches) != len(set(v["branch_ids"])):
        errors["branches"] = [_("Choose branches of this community.")]
    if not items:
        errors["items"] = [_("Add at least one product.")]
    products = {p.pk: p for p in community.products.filter(pk__in=[i.product_id for i in items])}
    seen = set()
    for index, spec in enumerate(items):
        where = f"items.{index}"
        if spec.product_id not in products:
            errors[where] = [_("Choose a product of this community.")]
        elif spec.product_id in seen:
            errors[where] = [_("Each product only once.")]
        elif spec.quantity_on_offer is None or not 1 <= spec.quantity_on_offer <= MAX_OFFER:
            errors[where] = [_("The quantity on offer must be between 1 and 1,000,000.")]
        elif spec.per_member_limit is not None and not 1 <= spec.per_member_limit <= MAX_OFFER:
            errors[where] = [_("The limit per member must be between 1 and 1,000,000.")]
        elif spec.group_price is None or not Decimal("0") <= spec.group_price <= MAX_AMOUNT:
            errors[where] = [_("The group price must be between 0 and %(max)s.") % {"max": MAX_AMOUNT}]
        elif len(spec.tiers) > MAX_TIERS:
            errors[where] = [_("At most %(max)s price tiers.") % {"max": MAX_TIERS}]
        else:
            previous_price = spec.group_price
            for min_quantity, price in sorted(spec.tiers):
                if not 1 <= min_quantity <= MAX_OFFER or price >= previous_price or price < 0:
                    errors[where] = [_("Each price tier needs a larger quantity and a lower price than the one before.")]
                    break
                previous_price = price
        seen.add(spec.product_id)
    return errors, points, branches


def _fail_on(errors: dict) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)


def _clean_round_values(values: dict) -> dict:
    values["title"] = (values["title"] or "").strip()
    values["description"] = (values["description"] or "").strip()
    values["commission_rate"] = (DEFAULT_COMMISSION_RATE if values["commission_rate"] is None
                                 else values["commission_rate"])
    if values["mode"] != GroupBuy.Mode.TEAM:
        values["team_size"] = None
    return values


def _item_create(group_buy: GroupBuy, spec: ItemSpec, position: int) -> GroupBuyItem:
    item = GroupBuyItem.objects.create(
        community_id=group_buy.community_id, group_buy=group_buy, product_id=spec.product_id,
        group_price=money(spec.group_price), quantity_on_offer=spec.quantity_on_offer,
        per_member_limit=spec.per_member_limit, position=position,
        is_open=group_buy.status == GroupBuy.Status.OPEN)
    _tiers_set(item, spec.tiers)
    return item


def _tiers_set(item: GroupBuyItem, tiers) -> None:
    PriceTier.objects.filter(item=item).delete()
    PriceTier.objects.bulk_create([PriceTier(community_id=item.community_id, item=item, min_quantity=q,
                                             price=money(p)) for q, p in sorted(tiers)])


def group_buy_create(*, actor: Membership, title: str, opens_at: datetime, closes_at: datetime,
                     items: list[ItemSpec], description: str = "", mode: str = GroupBuy.Mode.NORMAL,
                     team_size: int | None = None, team_window_hours: int = 24,
                     expected_pickup_at: datetime | None = None, pickup_point_ids: list[int] = (),
                     allows_delivery: bool = False, delivery_fee: Decimal = Decimal("0"),
                     success_rule: str = GroupBuy.SuccessRule.NONE, success_threshold: Decimal = Decimal("0"),
                     commission_rate: Decimal | None = None, branch_ids: list[int] = (),
                     publish: bool = True) -> GroupBuy:
    """Create a round with its items and tiers; published at once unless ``publish`` is False.

    A leader's round reaches their own branch, is collected at their branch's pickup points and
    earns the default commission rate (0: the community has no default); only owners and admins
    set a rate. ``commission_rate=None`` is that default.
    """
    check_perm(actor, Perm.MANAGE_GROUP_BUYS)
    values = {"title": title, "description": description, "mode": mode, "team_size": team_size,
              "team_window_hours": team_window_hours, "opens_at": opens_at, "closes_at": closes_at,
              "expected_pickup_at": expected_pickup_at, "pickup_point_ids": pickup_point_ids,
              "allows_delivery": allows_delivery, "delivery_fee": delivery_fee, "success_rule": success_rule,
              "success_threshold": success_threshold, "commission_rate": commission_rate, "branch_ids": branch_ids}
    _leader_limits(actor, values)
    values = _clean_round_values(values)
    community = actor.community
    errors, points, branches = _round_errors(community, values, items, closing_checked=True)
    _fail_on(errors)
    with transaction.atomic():
        group_buy = GroupBuy.objects.create(
            community=community, title=values["title"], description=values["description"], mode=mode,
            team_size=values["team_size"], team_window_hours=team_window_hours,
            opens_at=opens_at, closes_at=closes_at, expected_pickup_at=expected_pickup_at,
            allows_delivery=allows_delivery, delivery_fee=money(delivery_fee), success_rule=success_rule,
            success_threshold=success_threshold, commission_rate=values["commission_rate"], created_by=actor.user,
        )
        group_buy.pickup_points.set(points)
        group_buy.branches.set(branches)
        for position, spec in enumerate(items):
            _item_create(group_buy, spec, position)
        audit_record(community=community, actor=actor.user, action="groupbuy.created", obj=group_buy,
                     title=values["title"])
        if publish:
            _publish(actor=actor, group_buy=group_buy)
    return group_buy


def group_buy_publish(*, actor: Membership, group_buy: GroupBuy) -> GroupBuy:
    check_perm(actor, Perm.MANAGE_GROUP_BUYS)
    check_in_scope(actor, group_buy, rounds_in_scope)
    with transaction.atomic():
        locked = GroupBuy.objects.select_for_update(no_key=True).get(pk=group_buy.pk, community=actor.community)
        if locked.status != GroupBuy.Status.DRAFT:
            raise Conflict(_("Only a draft can be published."), code="not_draft")
        if locked.closes_at <= timezone.now():
            raise Conflict(_("The closing time has passed; change it before publishing."), code="closed")
        _publish(actor=actor, group_buy=locked)
    group_buy.refresh_from_db()
    return group_buy


def _publish(*, actor: Membership, group_buy: GroupBuy) -> None:
    """Reserve each product's stock for the quantity on offer, then schedule or open the round."""
    from catalog.services import product_reserve_stock

    for item in group_buy.items.order_by("product_id"):
        product_reserve_stock(product_id=item.product_id, quantity=item.quantity_on_offer)
    now = timezone.now()
    status = GroupBuy.Status.OPEN if group_buy.opens_at <= now else GroupBuy.Status.SCHEDULED
    GroupBuy.objects.filter(pk=group_buy.pk).update(status=status, updated_at=timezone.now())
    if status == GroupBuy.Status.OPEN:
        group_buy.items.update(is_open=True)
    group_buy.status = status
    _transition(group_buy, status, actor=actor.user, from_status=GroupBuy.Status.DRAFT)


def group_buy_open(group_buy: GroupBuy) -> None:
    """A scheduled round's time has come (the opening sweep holds its row lock)."""
    group_buy.status = GroupBuy.Status.OPEN
    group_buy.save(update_fields=["status"])
    group_buy.items.update(is_open=True)
    _transition(group_buy, GroupBuy.Status.OPEN, from_status=GroupBuy.Status.SCHEDULED)


# Changing and copying rounds -------------------------------------------------------------------

# Once a round has closed, only what buyers read may still change.
EDITABLE_AFTER_CLOSE = {"title", "description", "expected_pickup_at"}
# Told to the buyers when it changes after publishing.
TOLD_TO_BUYERS = ("closes_at", "expected_pickup_at")


def _round_values(group_buy: GroupBuy) -> dict:
    values = {name: getattr(group_buy, name) for name in ROUND_FIELDS if not name.endswith("_ids")}
    values["pickup_point_ids"] = sorted(group_buy.pickup_points.values_list("pk", flat=True))
    values["branch_ids"] = sorted(group_buy.branches.values_list("pk", flat=True))
    return values


def _spec_of(item: GroupBuyItem) -> ItemSpec:
    return ItemSpec(product_id=item.product_id, group_price=item.group_price,
                    quantity_on_offer=item.quantity_on_offer, per_member_limit=item.per_member_limit,
                    tiers=tuple((t.min_quantity, t.price) for t in item.tiers.all()), item_id=item.pk)


def _price_at(group_price: Decimal, tiers, quantity: int) -> Decimal:
    return min([group_price] + [price for min_quantity, price in tiers if quantity >= min_quantity])


def _item_refusal(item: GroupBuyItem, spec: ItemSpec, old_tiers) -> str | None:
    """Why a published item may not take this change (None: it may). Buyers who already ordered
    keep what they were promised: their price, the tiers they count on, their units."""
    sold = item.quantity_sold
    if spec.product_id != item.product_id:
        return _("The product of a published item cannot change; add a new item instead.")
    if spec.quantity_on_offer < sold:
        return _("%(sold)s units are already ordered: offer at least that many.") % {"sold": sold}
    if not sold:
        return None
    if spec.group_price < item.group_price:
        return _("%(sold)s units were ordered at ¥%(price)s: a lower price would charge them more than later "
                 "buyers. Add a price tier instead.") % {"sold": sold, "price": item.group_price}
    for min_quantity, price in old_tiers:
        if _price_at(spec.group_price, spec.tiers, min_quantity) > price:
            return _("Buyers count on ¥%(price)s from %(quantity)s units: a tier may be added or lowered, "
                     "not raised or removed.") % {"price": price, "quantity": min_quantity}
    if spec.per_member_limit != item.per_member_limit and (
            spec.per_member_limit is None or item.per_member_limit is None
            or spec.per_member_limit < item.per_member_limit):
        return _("Members have ordered under the limit of %(limit)s: it can only be raised.") % {
            "limit": item.per_member_limit or "—"}
    return None


def _round_refusals(locked: GroupBuy, before: dict, values: dict, changed: set) -> dict[str, list]:
    """Why a published round may not take these changes to its own fields (items aside)."""
    refusals: dict[str, list] = {}
    live = Order.objects.filter(group_buy=locked, status__in=LIVE_STATUSES)
    for name in changed & {"mode", "team_size"}:
        refusals[name] = [_("Fixed once the group-buy is published.")]
    if "opens_at" in changed and locked.status == GroupBuy.Status.OPEN:
        refusals["opens_at"] = [_("The group-buy is open already.")]
    if "closes_at" in changed and locked.status == GroupBuy.Status.OPEN and values["closes_at"] < before["closes_at"]:
        refusals["closes_at"] = [_("An open group-buy's closing time can only be extended.")]
    ordered = live.exists()
    if ordered and "success_rule" in changed:
        refusals["success_rule"] = [_("Members have ordered: the success rule stays.")]
    elif ordered and values["success_threshold"] > before["success_threshold"]:
        refusals["success_threshold"] = [_("Members have ordered: the threshold may be lowered, not raised.")]
    dropped = set(before["pickup_point_ids"]) - set(values["pickup_point_ids"])
    in_use = list(PickupPoint.objects.filter(pk__in=dropped, orders__in=live).distinct().values_list("name", flat=True))
    if in_use:
        refusals["pickup_points"] = [_("Orders are collected at %(points)s: keep it.") % {"points": "、".join(in_use)}]
    if before["allows_delivery"] and not values["allows_delivery"] and live.filter(
            fulfilment=Order.Fulfilment.DELIVERY).exists():
        refusals["allows_delivery"] = [_("Orders are to be delivered: delivery stays offered.")]
    old_branches, new_branches = set(before["branch_ids"]), set(values["branch_ids"])
    if new_branches and (not old_branches or not old_branches <= new_branches):  # none: the whole community
        refusals["branches"] = [_("A published group-buy may reach more branches, not fewer.")]
    return refusals


def group_buy_update(*, actor: Membership, group_buy: GroupBuy, items: list[ItemSpec] | None = None,
                     **changes) -> GroupBuy:
    """Change a round (fields named in ROUND_FIELDS; ``items``, when given, is the whole new list).

    A draft may change in everything. Once published (scheduled or open) the closing time may be
    extended, items and units added, texts and pickup time fixed; what would hurt buyers who
    already ordered is refused with the reason (see _item_refusal, _round_refusals). Once closed,
    only the title, description and expected pickup time change. Buyers are told of a new closing
    or pickup time; every change is audited.
    """
    from catalog.services import product_release_stock, product_reserve_stock

    unknown = set(changes) - set(ROUND_FIELDS)
    if unknown:
        raise TypeError(f"not a round field: {sorted(unknown)}")
    check_perm(actor, Perm.MANAGE_GROUP_BUYS)
    check_in_scope(actor, group_buy, rounds_in_scope)
    community = actor.community
    with transaction.atomic():
        locked = GroupBuy.objects.select_for_update(no_key=True).get(pk=group_buy.pk, community=community)
        before = _round_values(locked)
        values = {**before, **{k: (sorted(set(v)) if k.endswith("_ids") else v) for k, v in changes.items()}}
        if "commission_rate" not in changes or changes["commission_rate"] == before["commission_rate"]:
            values["commission_rate"] = before["commission_rate"]
            if not acts_community_wide(actor):  # a rate an admin set stays; the leader only may not set one
                values["commission_rate"] = None
        _leader_limits(actor, values)
        if values["commission_rate"] is None:
            values["commission_rate"] = before["commission_rate"]
        values = _clean_round_values(values)
        changed = {name for name in ROUND_FIELDS if values[name] != before[name]}
        current = {item.pk: item for item in locked.items.prefetch_related("tiers")}
        specs = [_spec_of(item) for item in current.values()] if items is None else list(items)
        errors, points, branches = _round_errors(
            community, values, specs, closing_checked="closes_at" in changed,
            kept_point_ids=before["pickup_point_ids"])
        for index, spec in enumerate(specs):
            if spec.item_id is not None and spec.item_id not in current:
                errors[f"items.{index}"] = [_("Not an item of this group-buy.")]
        _fail_on(errors)
        old_specs = {pk: _spec_of(item) for pk, item in current.items()}
        items_changed = items is not None and (
            [s.item_id for s in specs] != list(current)
            or any(spec != old_specs[spec.item_id] for spec in specs if spec.item_id is not None))
        status = locked.status
        published = status in (GroupBuy.Status.SCHEDULED, GroupBuy.Status.OPEN)
        if status != GroupBuy.Status.DRAFT and not published:
            if changed - EDITABLE_AFTER_CLOSE or items_changed:
                raise Conflict(_("The group-buy has closed: only its title, description and pickup time can "
                                 "change."), code="round_closed")
        refusals = _round_refusals(locked, before, values, changed) if published else {}
        kept = {spec.item_id for spec in specs if spec.item_id is not None}
        # Allowances before items (the lock order): a raised limit is copied into each member's row.
        for spec in specs:
            item = current.get(spec.item_id)
            if (item is not None and spec.per_member_limit is not None and item.per_member_limit is not None
                    and spec.per_member_limit > item.per_member_limit):
                MemberAllowance.objects.filter(item=item).update(limit=spec.per_member_limit)
        locked_items = {item.pk: item for item in
                        GroupBuyItem.objects.select_for_update(no_key=True).filter(group_buy=locked).order_by("pk")}
        if published:
            for index, spec in enumerate(specs):
                if spec.item_id is not None:
                    reason = _item_refusal(locked_items[spec.item_id], spec, old_specs[spec.item_id].tiers)
                    if reason:
                        refusals[f"items.{index}"] = [reason]
            for pk in set(locked_items) - kept:
                if locked_items[pk].quantity_sold or OrderLine.objects.filter(item_id=pk).exists():
                    refusals["items"] = [_("%(name)s has been ordered: it stays in the group-buy.") % {
                        "name": locked_items[pk].product.name}]
        if refusals:
            raise Conflict(next(iter(refusals.values()))[0], code="hurts_buyers", fields=refusals)

        for name in changed - {"pickup_point_ids", "branch_ids"}:
            setattr(locked, name, money(values[name]) if name == "delivery_fee" else values[name])
        locked.save()
        if "pickup_point_ids" in changed:
            locked.pickup_points.set(points)
        if "branch_ids" in changed:
            locked.branches.set(branches)
        stock: dict[int, int] = {}  # product id → units to reserve (negative: to give back)
        for pk in set(locked_items) - kept:
            item = locked_items[pk]
            stock[item.product_id] = stock.get(item.product_id, 0) - item.quantity_on_offer
            item.delete()
        for position, spec in enumerate(specs):
            item = locked_items.get(spec.item_id)
            if item is None:
                item = _item_create(locked, spec, position)
                stock[item.product_id] = stock.get(item.product_id, 0) + item.quantity_on_offer
                continue
            stock[item.product_id] = stock.get(item.product_id, 0) + spec.quantity_on_offer - item.quantity_on_offer
            if item.per_member_limit != spec.per_member_limit and not item.quantity_sold:
                MemberAllowance.objects.filter(item=item).delete()  # nobody holds any: start afresh
            item.product_id, item.group_price = spec.product_id, money(spec.group_price)
            item.quantity_on_offer, item.per_member_limit, item.position = (
                spec.quantity_on_offer, spec.per_member_limit, position)
            item.save()
            if spec.tiers != old_specs[item.pk].tiers:
                _tiers_set(item, spec.tiers)
        if status != GroupBuy.Status.DRAFT:
            for product_id in sorted(stock):
                if stock[product_id] > 0:
                    product_reserve_stock(product_id=product_id, quantity=stock[product_id])
                elif stock[product_id] < 0:
                    product_release_stock(product_id=product_id, quantity=-stock[product_id])
        if changed or items_changed:
            audit_record(community=community, actor=actor.user, action="groupbuy.changed", obj=locked,
                         changes={name: [_shown(before[name]), _shown(values[name])] for name in sorted(changed)},
                         items_changed=items_changed)
        told = [name for name in TOLD_TO_BUYERS if name in changed]
        if told and status != GroupBuy.Status.DRAFT:
            _tell_buyers_of_change(locked, told)
    group_buy.refresh_from_db()
    return group_buy


def _shown(value) -> str | list | None:
    if value is None or isinstance(value, (str, list, bool, int)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _tell_buyers_of_change(group_buy: GroupBuy, told: list[str]) -> None:
    tz = _tz(group_buy)
    orders = (Order.objects.filter(group_buy=group_buy, status__in=LIVE_STATUSES)
              .exclude(status=Order.Status.COMPLETED).select_related("member").order_by("pk"))
    stamp = "-".join(f"{name}={getattr(group_buy, name) and getattr(group_buy, name).timestamp()}" for name in told)
    for order in orders:
        with in_language_of(order.member):
            lines = []
            if "closes_at" in told:
                lines.append(_("It now closes at %(time)s.") % {
                    "time": timezone.localtime(group_buy.closes_at, tz).strftime("%Y-%m-%d %H:%M")})
            if "expected_pickup_at" in told:
                lines.append(_("Expected pickup: %(time)s.") % {
                    "time": timezone.localtime(group_buy.expected_pickup_at, tz).strftime("%Y-%m-%d %H:%M")}
                    if group_buy.expected_pickup_at else _("The pickup time will be announced."))
            notify(recipient=order.member, community=group_buy.community, kind="group_buy_changed",
                   title=_("%(title)s changed") % {"title": group_buy.title}, body="\n".join(lines),
                   url=order.get_absolute_url(), dedupe_key=f"changed:{order.pk}:{stamp}"[:200])


def group_buy_copy(*, actor: Membership, group_buy: GroupBuy, now: datetime | None = None) -> GroupBuy:
    """A new draft like ``group_buy`` (the weekly 接龙): same items, prices, tiers and settings, its
    times moved on by whole weeks until it opens in the future. Products no longer on sale and
    pickup points no longer in use are left out; a leader's copy is theirs (their branch, their
    pickup points, the default commission rate)."""
    check_perm(actor, Perm.MANAGE_GROUP_BUYS)
    check_in_scope(actor, group_buy, rounds_in_view)
    now = now or timezone.now()
    source = (GroupBuy.objects.prefetch_related("items__tiers", "items__product", "branches")
              .get(pk=group_buy.pk, community=actor.community))
    weeks = max(1, -(-(now - source.opens_at) // timedelta(weeks=1)))
    shift = timedelta(weeks=weeks)
    points = pickup_points_in_scope(actor, source.pickup_points.filter(is_active=True))
    items = [_spec_of(item) for item in source.items.all() if item.product.is_active]
    for spec in items:
        spec.item_id = None
    if not items:
        raise ValidationFailed(_("None of its products is on sale any more: nothing to copy."),
                               code="nothing_to_copy", fields={"items": [_("No product on sale.")]})
    wide = acts_community_wide(actor)
    with transaction.atomic():
        copy = group_buy_create(
            actor=actor, title=source.title, description=source.description, mode=source.mode,
            team_size=source.team_size, team_window_hours=source.team_window_hours,
            opens_at=source.opens_at + shift, closes_at=source.closes_at + shift,
            expected_pickup_at=source.expected_pickup_at and source.expected_pickup_at + shift,
            pickup_point_ids=list(points.values_list("pk", flat=True)), allows_delivery=source.allows_delivery,
            delivery_fee=source.delivery_fee, success_rule=source.success_rule,
            success_threshold=source.success_threshold, commission_rate=source.commission_rate if wide else None,
            branch_ids=[b.pk for b in source.branches.all()] if wide else [], items=items, publish=False)
        audit_record(community=actor.community, actor=actor.user, action="groupbuy.copied", obj=copy,
                     source=source.pk, title=source.title)
    return copy


def _run_sweep(name: str, now: datetime | None) -> int:
    """Run one of orders' sweeps (orders/sweeps.py) now; the number of rows settled."""
    from core.sweeps import sweep_run

    return sweep_run(name, now=now).settled


def group_buy_open_due(*, now: datetime | None = None) -> int:
    """Open the scheduled rounds whose time has come (what beat runs every minute)."""
    return _run_sweep("orders.open_group_buys", now)


@dataclass
class Progress:
    quantity: int
    amount: Decimal
    buyers: int
    target: Decimal
    reached: bool
    ratio: float


def group_buy_progress(group_buy: GroupBuy) -> Progress:
    return group_buy_progress_many([group_buy])[group_buy.pk]


def group_buy_progress_many(group_buys) -> dict[int, Progress]:
    """Live progress toward each round's success rule, counting paid orders (two queries in all)."""
    group_buys = list(group_buys)
    ids = [g.pk for g in group_buys]
    per_round = {row["group_buy_id"]: row for row in
                 Order.objects.filter(group_buy_id__in=ids, status__in=PAID_STATUSES).values("group_buy_id")
                 .annotate(amount=Sum("total"), buyers=Count("member_id", distinct=True))}
    quantities = dict(OrderLine.objects.filter(order__group_buy_id__in=ids, order__status__in=PAID_STATUSES)
                      .values("order__group_buy_id").annotate(q=Sum("quantity"))
                      .values_list("order__group_buy_id", "q"))
    result = {}
    for group_buy in group_buys:
        row = per_round.get(group_buy.pk, {})
        quantity, amount, buyers = quantities.get(group_buy.pk, 0), row.get("amount") or Decimal("0"), row.get("buyers", 0)
        rule = group_buy.success_rule
        value = {GroupBuy.SuccessRule.MIN_QUANTITY: Decimal(quantity), GroupBuy.SuccessRule.MIN_AMOUNT: amount,
                 GroupBuy.SuccessRule.MIN_BUYERS: Decimal(buyers)}.get(rule, Decimal("1"))
        target = group_buy.success_threshold if rule != GroupBuy.SuccessRule.NONE else Decimal("0")
        reached = rule == GroupBuy.SuccessRule.NONE or value >= target
        ratio = 1.0 if not target else min(1.0, float(value / target))
        result[group_buy.pk] = Progress(quantity=quantity, amount=amount, buyers=buyers, target=target,
                                        reached=reached, ratio=ratio)
    return result


def current_tier_price(item: GroupBuyItem, sold: int) -> Decimal:
    """The price everyone pays for ``item`` once ``sold`` units are sold (tiers must be prefetched or cheap)."""
    price = item.group_price
    for tier in item.tiers.all():
        if sold >= tier.min_quantity and tier.price < price:
            price = tier.price
    return price


# Placing orders ------------------------------------------------------------------------------

def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def order_place(*, member: Membership, group_buy: GroupBuy, lines: list[tuple[int, int]], idempotency_key: str,
                fulfilment: str = Order.Fulfilment.PICKUP, pickup_point_id: int | None = None,
                delivery_address: str = "", note: str = "", team_code: str | None = None,
                open_team: bool = False, items: list[GroupBuyItem] | None = None,
                coupon_code: str = "", use_points: bool = False) -> tuple[Order, bool]:
    """Place an order; returns (order, created). Never oversells; a retry returns the first order.

    One short transaction: a guarded update per item takes the units (``quantity_sold`` can never
    pass ``quantity_on_offer``: the update's WHERE and a CHECK constraint both say so), an upsert
    takes the member's allowance when the item has a per-member limit, then the order and its lines
    are inserted. The same idempotency key with a different request is refused with 422.
    ``items`` may carry the round's items with their products when the caller has read them already
    (the API's one-query round read); otherwise they are read here. A ``coupon_code`` takes its
    discount off the total, its uses taken in the same transaction (orders.coupons); ``use_points``
    pays what the community allows of the rest with the member's points (orders.discounts).
    """
    check_perm(member, Perm.VIEW)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ValidationFailed(_("A request key (Idempotency-Key) of 1 to 100 characters is required."),
                               code="idempotency_key_required", fields={"idempotency_key": [_("Required.")]})
    # Bounded before any work: a huge body of +1/-1 lines is refused, not merged.
    if len(lines) > MAX_LINES:
        raise ValidationFailed(_("An order has at most %(max)s lines.") % {"max": MAX_LINES},
                               fields={"lines": [_("Too many lines.")]})
    merged: dict[int, int] = {}
    try:
        for item_id, quantity in lines:
            item_id, quantity = int(item_id), int(quantity)
            if not (0 < item_id < 2**31 and -MAX_QUANTITY <= quantity <= MAX_QUANTITY):
                raise ValueError
            merged[item_id] = merged.get(item_id, 0) + quantity
    except (TypeError, ValueError):
        raise ValidationFailed(_("Choose at least one product, with quantities from 1 to %(max)s.") % {
            "max": MAX_QUANTITY}, fields={"lines": [_("Invalid quantities.")]})
    fingerprint = _fingerprint({"group_buy": group_buy.pk, "lines": sorted(merged.items()), "fulfilment": fulfilment,
                                "pickup_point": pickup_point_id, "address": (delivery_address or "").strip(),
                                "team": team_code or "", "open_team": bool(open_team),
                                "coupon": coupons.normalize_code(coupon_code)[:40], "points": bool(use_points)})
    try:
        return _place(member, group_buy, merged, key, fingerprint, fulfilment=fulfilment,
                      pickup_point_id=pickup_point_id, delivery_address=delivery_address, note=note,
                      team_code=team_code, open_team=open_team, known_items=items,
                      coupon_code=coupon_code, use_points=use_points), True
    except IntegrityError:
        # The same key was used by a concurrent request that committed first: theirs is the answer.
        existing = _order_for_key(member, key, fingerprint)
        if existing is None:
            raise
        return existing, False
    except DomainError:
        # A retry of an order that went through answers with that order, even if the round has
        # since sold out or closed. Looked up only here, so the first try costs no extra query.
        existing = _order_for_key(member, key, fingerprint)
        if existing is None:
            raise
        return existing, False


def _place(member, group_buy, merged, key, fingerprint, *, fulfilment, pickup_point_id, delivery_address, note,
           team_code, open_team, known_items, coupon_code="", use_points=False) -> Order:
    # Check: everything that needs no lock.
    if group_buy.community_id != member.community_id:
        raise NotFound()
    now = timezone.now()
    if group_buy.status != GroupBuy.Status.OPEN or not group_buy.opens_at <= now < group_buy.closes_at:
        raise Conflict(_("This group-buy is not taking orders."), code="group_buy_closed")
    if not merged or len(merged) > MAX_LINES or any(not 1 <= q <= MAX_QUANTITY for q in merged.values()):
        raise ValidationFailed(_("Choose at least one product, with quantities from 1 to %(max)s.") % {
            "max": MAX_QUANTITY}, fields={"lines": [_("Invalid quantities.")]})
    if known_items is not None:
        items = {i.pk: i for i in known_items if i.pk in merged and i.group_buy_id == group_buy.pk}
    else:
        items = {i.pk: i for i in group_buy.items.select_related("product").filter(pk__in=list(merged))}
    if len(items) != len(merged):
        raise ValidationFailed(_("One of the products is not in this group-buy."), fields={"lines": [_("Unknown item.")]})
    for item_id, quantity in merged.items():
        limit = items[item_id].per_member_limit
        if limit is not None and quantity > limit:
            raise Conflict(_("You can buy at most %(limit)s of %(name)s.") % {
                "limit": limit, "name": items[item_id].product.name}, code="member_limit",
                fields={"lines": [_("Over the limit per member.")]})
    pickup_point = None
    if fulfilment == Order.Fulfilment.PICKUP:
        pickup_point = _check_pickup_point(group_buy, pickup_point_id)
    elif fulfilment == Order.Fulfilment.DELIVERY:
        if not group_buy.allows_delivery:
            raise ValidationFailed(_("This group-buy has no delivery: choose a pickup point."),
                                   fields={"fulfilment": [_("Delivery is not offered.")]})
        if not (delivery_address or "").strip():
            raise ValidationFailed(_("Enter the delivery address."), fields={"delivery_address": [_("Required.")]})
    else:
        raise ValidationFailed(_("Choose pickup or delivery."), fields={"fulfilment": [_("Unknown choice.")]})
    is_team = group_buy.mode == GroupBuy.Mode.TEAM
    if is_team and not (open_team or team_code):
        raise ValidationFailed(_("Open a team or join one to buy in a team purchase."), code="team_required")
    if not is_team and (open_team or team_code):
        raise ValidationFailed(_("This group-buy is not a team purchase."), code="not_team")
    total = money(sum(items[i].group_price * q for i, q in merged.items()))
    quote = None
    if (coupon_code or "").strip():
        quote = coupons.coupon_quote(member=member, group_buy=group_buy, code=coupon_code, lines=merged, items=items,
                                     now=now)
        total = money(total - quote.discount)
    points = discounts.points_offer(member, total) if use_points else None
    if points is not None:
        total = money(total - points.discount)
    if fulfilment == Order.Fulfilment.DELIVERY:
        total = money(total + group_buy.delivery_fee)
    window = timedelta(minutes=member.community.payment_window_minutes)

    for item_id, quantity in merged.items():
        if items[item_id].remaining < quantity or not items[item_id].is_open:  # fail fast, no transaction
            raise _sold_out(items[item_id])

    with transaction.atomic():
        for item_id in sorted(merged):
            if items[item_id].per_member_limit is not None:
                _take_allowance(items[item_id], merged[item_id], member.user_id)
        if quote is not None:
            coupons.coupon_take_member_use(quote, member.user_id)
        team = _team_for_order(member, group_buy, team_code, open_team, now) if is_team else None
        charge = payments.charge_open(community_id=group_buy.community_id, member_id=member.user_id, amount=total,
                                      currency=member.community.currency, purpose="order",
                                      description=group_buy.title)
        order = Order.objects.create(
            community_id=group_buy.community_id, group_buy=group_buy, member_id=member.user_id,
            branch_id=member.branch_id, team=team, charge=charge, fulfilment=fulfilment, pickup_point=pickup_point,
            delivery_address=(delivery_address or "").strip()[:300], note=(note or "").strip()[:200],
            currency=member.community.currency, total=total, discount=quote.discount if quote else 0,
            points_discount=points.discount if points else 0, points_spent=points.points if points else 0,
            idempotency_key=key,
            request_fingerprint=fingerprint, expires_at=min(now + window, group_buy.closes_at),
        )
        OrderLine.objects.bulk_create([
            OrderLine(community_id=group_buy.community_id, order=order, item_id=item_id,
                      product_id=items[item_id].product_id, name=items[item_id].product.name,
                      unit=items[item_id].product.unit, unit_price=items[item_id].group_price,
                      quantity=quantity, line_total=money(items[item_id].group_price * quantity))
            for item_id, quantity in sorted(merged.items())
        ])
        if points is not None:
            discounts.points_spend(member, order.pk, points)
        if quote is not None:
            coupons.coupon_redeem(quote, order)
        # Last, so the hot item row stays locked only from this update to the commit. Items in a
        # fixed order: two multi-line orders cannot deadlock.
        for item_id in sorted(merged):
            _take_units(items[item_id], merged[item_id])
    return order


def _order_for_key(member: Membership, key: str, fingerprint: str) -> Order | None:
    order = Order.objects.filter(community_id=member.community_id, member_id=member.user_id,
                                 idempotency_key=key).first()
    if order is not None and order.request_fingerprint != fingerprint:
        raise Unprocessable(_("This request key was already used for a different order."),
                            code="idempotency_key_reused")
    return order


def _check_pickup_point(group_buy: GroupBuy, pickup_point_id) -> PickupPoint:
    point = None
    if pickup_point_id:
        point = _round_pickup_point(group_buy.pk, pickup_point_id)
    if point is None:
        raise ValidationFailed(_("Choose one of the group-buy's pickup points."),
                               fields={"pickup_point": [_("Choose a pickup point.")]})
    return point


def _round_pickup_point(group_buy_id: int, pickup_point_id) -> PickupPoint | None:
    """One of the round's active pickup points. Hand-written: it runs for every order of a flash
    sale, and building the ORM's many-to-many join cost more than PostgreSQL's answer."""
    try:
        pickup_point_id = int(pickup_point_id)
    except (TypeError, ValueError):
        return None
    point, link = PickupPoint._meta, GroupBuy.pickup_points.through._meta
    fields = [f.attname for f in point.concrete_fields]
    columns = ", ".join(f'p."{point.get_field(name).column}"' for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT {columns} FROM "{point.db_table}" p JOIN "{link.db_table}" m '
            f'ON m."{link.get_field("pickuppoint").column}" = p."id" '
            f'WHERE m."{link.get_field("groupbuy").column}" = %s AND p."id" = %s AND p."is_active"',
            [group_buy_id, pickup_point_id])
        row = cursor.fetchone()
    return PickupPoint.from_db(connection.alias, fields, row) if row else None


def _sold_out(item: GroupBuyItem) -> Conflict:
    return Conflict(_("Sorry, %(name)s is sold out (or fewer units are left than you asked for).") % {
        "name": item.product.name}, code="sold_out", fields={"lines": [_("Sold out.")]})


def _take_units(item: GroupBuyItem, quantity: int) -> None:
    """Take the units at the price the order was priced at: a price changed meanwhile (an admin
    lowering it before anyone ordered) refuses the order rather than charge it the old price."""
    taken = GroupBuyItem.objects.filter(
        pk=item.pk, is_open=True, group_price=item.group_price, quantity_sold__lte=F("quantity_on_offer") - quantity,
    ).update(quantity_sold=F("quantity_sold") + quantity)
    if not taken:
        price = GroupBuyItem.objects.filter(pk=item.pk).values_list("group_price", flat=True).first()
        if price is not None and price != item.group_price:
            raise Conflict(_("The price of %(name)s just changed to ¥%(price)s: look again and order.") % {
                "name": item.product.name, "price": price}, code="price_changed",
                fields={"lines": [_("The price changed.")]})
        raise _sold_out(item)


def _take_allowance(item: GroupBuyItem, quantity: int, member_id: int) -> None:
    """Count the units against the member's limit; the row's CHECK and the WHERE refuse more."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {MemberAllowance._meta.db_table} (community_id, item_id, member_id, quantity, "limit")
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (item_id, member_id) DO UPDATE
                SET quantity = {MemberAllowance._meta.db_table}.quantity + EXCLUDED.quantity
                WHERE {MemberAllowance._meta.db_table}.quantity + EXCLUDED.quantity
                      <= {MemberAllowance._meta.db_table}."limit"
                RETURNING id""",
            [item.community_id, item.pk, member_id, quantity, item.per_member_limit],
        )
        if cursor.fetchone() is None:
            raise Conflict(_("You can buy at most %(limit)s of %(name)s in this group-buy.") % {
                "limit": item.per_member_limit, "name": item.product.name}, code="member_limit",
                fields={"lines": [_("Over the limit per member.")]})


def _give_back_units(order: Order, *, release_coupon: bool = True) -> None:
    """Return an order's units to the member's allowances, its coupon use, then the units to the
    items (under the caller's lock).

    In the order placing takes them (allowances, coupon, items): a member's re-order racing the
    cancellation of their other order then waits instead of deadlocking.
    """
    lines = list(order.lines.order_by("item_id").values_list("item_id", "quantity"))
    for item_id, quantity in lines:
        MemberAllowance.objects.filter(item_id=item_id, member_id=order.member_id).update(
            quantity=F("quantity") - quantity)
    if release_coupon:
        coupons.coupon_release(order)
    for item_id, quantity in lines:
        GroupBuyItem.objects.filter(pk=item_id).update(quantity_sold=F("quantity_sold") - quantity)


# Teams (拼团) --------------------------------------------------------------------------------

TEAM_SEATS_FACTOR = 2

def _team_for_order(member: Membership, group_buy: GroupBuy, team_code, open_team, now) -> Team:
    if open_team:
        expires = min(now + timedelta(hours=group_buy.team_window_hours), group_buy.closes_at)
        return Team.objects.create(community_id=group_buy.community_id, group_buy=group_buy, leader_id=member.user_id,
                                   code=new_team_code(), size=group_buy.team_size, member_count=1, expires_at=expires)
    # The team row is locked first, so one member's two taps cannot both pass the "already in" check.
    team = Team.objects.select_for_update().filter(code=team_code, group_buy=group_buy).first()
    if team is None:
        raise NotFound(_("This team does not exist."), code="team_not_found")
    if Order.objects.filter(team=team, member_id=member.user_id, status__in=LIVE_STATUSES).exists():
        raise Conflict(_("You are already in this team."), code="already_in_team")
    # Seats go to those who pay: members may join while fewer than ``size`` have paid (up to twice the
    # size in all, so a crowd of non-payers cannot hold a team); when it fills, unpaid orders are
    # cancelled. One member who never pays cannot keep a team of two from forming.
    joined = Team.objects.filter(pk=team.pk, status=Team.Status.FORMING, expires_at__gt=now,
                                 paid_count__lt=F("size"), member_count__lt=F("size") * TEAM_SEATS_FACTOR,
                                 ).update(member_count=F("member_count") + 1)
    if not joined:
        raise Conflict(_("This team is full or no longer forming. Open a new team instead."), code="team_full")
    return team


def _team_leave(order: Order, *, was_paid: bool) -> None:
    """An order leaves its team (cancelled or expired): counts drop; the next member leads."""
    team = Team.objects.select_for_update().get(pk=order.team_id)
    team.member_count -= 1
    if was_paid:
        team.paid_count -= 1
    fields = ["member_count", "paid_count"]
    if team.status == Team.Status.FORMING:
        if team.member_count == 0:
            team.status, team.settled_at = Team.Status.CANCELLED, timezone.now()
            fields += ["status", "settled_at"]
        elif team.leader_id == order.member_id:
            successor = (Order.objects.filter(team=team, status__in=LIVE_STATUSES).exclude(pk=order.pk)
                         .order_by("created_at", "id").first())
            if successor is not None:
                team.leader_id = successor.member_id
                fields.append("leader")
    team.save(update_fields=fields)


def team_fail(team: Team, now: datetime) -> None:
    """A forming team's window ended (its round and team locked by the sweep): every order in it is refunded."""
    team.status, team.settled_at = Team.Status.FAILED, now
    team.save(update_fields=["status", "settled_at"])
    for order in (Order.objects.select_for_update(of=("self",)).select_related("charge")
                  .filter(team=team, status__in=LIVE_STATUSES).order_by("pk")):
        _cancel_and_refund(order, reason="team_failed", actor=None)
    audit_record(community=team.community, actor=None, action="team.failed", obj=team)


def team_settle_due(*, now: datetime | None = None) -> int:
    """Forming teams whose window has ended fail, and every order in them is refunded."""
    return _run_sweep("orders.settle_teams", now)


# Paying --------------------------------------------------------------------------------------

def _lock_round(group_buy_id: int, *, share: bool) -> None:
    """First lock of every change to a round's orders: shared by per-order changes, exclusive for
    sweeps and round-wide actions, so the two kinds never interleave (and cannot deadlock). The
    exclusive lock is FOR NO KEY UPDATE: it leaves new orders' deferred foreign-key checks (FOR KEY
    SHARE at their commit) free to pass."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT 1 FROM "{GroupBuy._meta.db_table}" WHERE id = %s '
                       f'FOR {"SHARE" if share else "NO KEY UPDATE"}', [group_buy_id])


def _lock_team(team_id: int | None) -> Team | None:
    return Team.objects.select_for_update().get(pk=team_id) if team_id else None


def _lock_order(order: Order) -> Order:
    return (Order.objects.select_for_update(of=("self",)).select_related("group_buy", "community", "charge")
            .get(pk=order.pk))


def _lock_for_member_payment(order: Order) -> Order:
    """Lock an order its member is paying (round shared → team → order) and check it can be paid."""
    _lock_round(order.group_buy_id, share=True)
    team = _lock_team(order.team_id)
    locked = _lock_order(order)
    if locked.status != Order.Status.PENDING_PAYMENT:
        raise Conflict(_("This order is not waiting for payment."), code="not_payable")
    if timezone.now() >= locked.group_buy.closes_at:
        raise Conflict(_("The group-buy has closed."), code="group_buy_closed")
    if team is not None and (team.status != Team.Status.FORMING or team.paid_count >= team.size):
        raise Conflict(_("This team has filled up or closed: open a new team instead."), code="team_full")
    return locked


def order_pay_with_wallet(*, member: Membership, order: Order) -> Order:
    """Pay an unpaid order from the member's wallet balance in one transaction (a free order: no money moves)."""
    if order.member_id != member.user_id or order.community_id != member.community_id:
        raise NotFound()
    with transaction.atomic():
        locked = _lock_for_member_payment(order)
        payments.pay_with_wallet(charge=locked.charge, actor=member.user)
        _mark_paid(locked, actor=member.user)
    order.refresh_from_db()
    return order


def order_report_transfer(*, member: Membership, order: Order, reference: str = "") -> Payment:
    """The member says they paid by transfer; an admin confirms it on receipt. Until then the order
    does not expire (the admins are reminded), and the round waits for it at closing time."""
    if order.member_id != member.user_id or order.community_id != member.community_id:
        raise NotFound()
    with transaction.atomic():
        locked = _lock_for_member_payment(order)
        payment = payments.transfer_report(charge=locked.charge, reference=reference)
        _transition(locked, "transfer_reported", actor=member.user, from_status=locked.status,
                    amount=str(payment.amount))
    return payment


def _lock_orders_for_payment(ids: list[int]):
    """Round (shared) → teams → orders, each by id: the lock order of per-order changes."""
    heads = list(Order.objects.filter(pk__in=ids).values_list("group_buy_id", "team_id"))
    for group_buy_id in sorted({g for g, _t in heads}):
        _lock_round(group_buy_id, share=True)
    for team_id in sorted({t for _g, t in heads if t}):
        _lock_team(team_id)
    return (Order.objects.select_for_update(of=("self",)).select_related("group_buy", "charge", "member", "community")
            .filter(pk__in=ids).order_by("pk"))


def _scoped_ids(actor: Membership, orders: list[Order]) -> list[int]:
    ids = sorted({o.pk for o in orders if o.community_id == actor.community_id})
    if len(ids) != len({o.pk for o in orders}):
        raise NotFound()
    return ids


def payments_mark_received(*, actor: Membership, orders: list[Order], reference: str = "") -> list[Order]:
    """Admins confirm transfers or cash, one order or many at once. Orders already paid are skipped.

    Money reported for an order that was cancelled meanwhile (the round closed, the team filled) is
    recorded too, and owed back to the member: nothing received is recorded nowhere.
    """
    check_perm(actor, Perm.MANAGE_ORDERS)
    ids = _scoped_ids(actor, orders)
    marked = []
    with transaction.atomic():
        for order in _lock_orders_for_payment(ids):
            # Fresh: paying one order of a team may have cancelled the team's other unpaid orders.
            order.refresh_from_db(fields=["status"])
            if order.status == Order.Status.PENDING_PAYMENT:
                payments.transfer_confirm(charge=order.charge, actor=actor.user, reference=reference)
                _mark_paid(order, actor=actor.user)
                _notify_payment_received(order)
                marked.append(order)
            elif order.status == Order.Status.CANCELLED and payments.has_pending_transfer(order.charge_id):
                payment = payments.transfer_confirm(charge=order.charge, actor=actor.user, reference=reference)
                if payment is not None:
                    payments.refund(charge=order.charge, amount=payment.amount, reason="cancelled_before_confirmed",
                                    key=f"late_transfer:order:{order.pk}", actor=actor.user)
                    _notify_refund_owed(order)
    return marked


def order_transfer_decline(*, actor: Membership, order: Order, note: str = "") -> Order:
    """An admin did not receive the transfer the member reported: the report is closed and the member
    is told; an unpaid order gets its payment window again (from now) to pay another way."""
    check_perm(actor, Perm.MANAGE_ORDERS)
    ids = _scoped_ids(actor, [order])
    with transaction.atomic():
        locked = _lock_orders_for_payment(ids).get()
        payment = payments.transfer_decline(charge=locked.charge, actor=actor.user, note=note)
        if payment is None:
            raise Conflict(_("There is no reported transfer waiting for this order."), code="no_report")
        if locked.status == Order.Status.PENDING_PAYMENT:
            window = timedelta(minutes=locked.community.payment_window_minutes)
            expires = min(max(locked.expires_at or timezone.now(), timezone.now() + window), locked.group_buy.closes_at)
            Order.objects.filter(pk=locked.pk).update(expires_at=expires, expiry_reminder_sent=False, updated_at=timezone.now())
        with in_language_of(locked.member):
            if locked.status == Order.Status.PENDING_PAYMENT:
                body = _("An admin could not find your transfer of %(amount)s. Pay again or contact them.")
            else:
                body = _("An admin could not find your transfer of %(amount)s. If you did send it, contact them.")
            notify(recipient=locked.member, community=locked.community, kind="transfer_declined",
                   title=_("Your transfer for %(title)s was not received") % {"title": locked.group_buy.title},
                   body=(body % {"amount": payment.amount}) + (f"\n{note.strip()[:200]}" if (note or "").strip() else ""),
                   url=locked.get_absolute_url(), dedupe_key=f"declined:{payment.pk}")
    order.refresh_from_db()
    return order


def _notify_refund_owed(order: Order) -> None:
    with in_language_of(order.member):
        notify(recipient=order.member, community=order.community, kind="refund_owed",
               title=_("Your order for %(title)s was cancelled") % {"title": order.group_buy.title},
               body=_("Your transfer arrived after the order was cancelled; an admin pays it back to you."),
               url=order.get_absolute_url(), dedupe_key=f"refund_owed:{order.pk}")


def _mark_paid(order: Order, *, actor) -> None:
    order.status = Order.Status.PAID
    order.paid_at = timezone.now()
    order.expires_at = None
    order.save(update_fields=["status", "paid_at", "expires_at"])
    _transition(order, Order.Status.PAID, actor=actor, from_status=Order.Status.PENDING_PAYMENT)
    emit("order.paid", community_id=order.community_id, order_id=order.pk, member_id=order.member_id,
         total=str(order.total))
    if order.team_id:
        team = Team.objects.select_for_update().get(pk=order.team_id)
        team.paid_count += 1
        team.save(update_fields=["paid_count"])
        if team.status == Team.Status.FORMING and team.paid_count >= team.size:
            team.status, team.settled_at = Team.Status.SUCCEEDED, timezone.now()
            team.save(update_fields=["status", "settled_at"])
            audit_record(community=order.community, actor=None, action="team.succeeded", obj=team)
            # The team is full: orders in it still unpaid give their seats and units back.
            for other in (Order.objects.select_for_update(of=("self",)).select_related("charge", "member")
                          .filter(team=team, status=Order.Status.PENDING_PAYMENT).order_by("pk")):
                _cancel_and_refund(other, reason="team_full")


# Refunds, cancellation, expiry -----------------------------------------------------------------

# Refunds whose member is told by the notice of what caused them (the round failed or was cancelled).
_REFUNDS_TOLD_ELSEWHERE = {"group_buy_failed", "group_buy_cancelled", "out_of_stock"}


def _refund(order: Order, *, amount: Decimal, reason: str, key: str, actor=None, note: str = "") -> Refund | None:
    """Give ``amount`` of the order's charge back once per key; a refund reverses the commission."""
    refund = payments.refund(charge=order.charge, amount=amount, reason=reason, key=key, actor=actor, note=note)
    if refund is not None:
        _reverse_commission(order)
        emit("order.refunded", community_id=order.community_id, order_id=order.pk, member_id=order.member_id,
             amount=str(refund.amount), reason=reason, completed=order.completed_at is not None)
        if refund.status == Refund.Status.DONE and reason not in _REFUNDS_TOLD_ELSEWHERE:
            _notify_refund_paid(order, refund)
    return refund


def _notify_refund_paid(order: Order, refund: Refund) -> None:
    """The money is back in the member's wallet (a refund by hand is told when it is paid back)."""
    with in_language_of(order.member):
        notify(recipient=order.member, community=order.community, kind="refund_paid",
               title=_("%(amount)s refunded to your wallet") % {"amount": format_money(refund.amount, order.currency)},
               body=_("For your order #%(order)s from %(title)s: %(reason)s.") % {
                   "order": order.pk, "title": order.group_buy.title, "reason": refund.reason_label},
               url=order.get_absolute_url(), dedupe_key=f"refund_paid:{refund.pk}")


def _notify_payment_received(order: Order) -> None:
    with in_language_of(order.member):
        notify(recipient=order.member, community=order.community, kind="payment_received",
               title=_("Payment received: %(amount)s") % {"amount": format_money(order.total, order.currency)},
               body=_("An admin confirmed your payment for order #%(order)s from %(title)s.") % {
                   "order": order.pk, "title": order.group_buy.title},
               url=order.get_absolute_url(), dedupe_key=f"payment_received:{order.pk}")


def _cancel_and_refund(order: Order, *, reason: str, actor=None) -> None:
    """Cancel a live order (locked by the caller): give back its units, refund what was paid."""
    was_paid = order.status in PAID_STATUSES
    previous = order.status
    if order.team_id:
        _team_leave(order, was_paid=was_paid)
    _give_back_units(order)
    if was_paid:
        _refund(order, amount=order.charge.paid_amount, reason=reason, key=f"{reason}:order:{order.pk}", actor=actor)
        order.status = Order.Status.REFUNDED
    else:
        order.status = Order.Status.CANCELLED
        payments.charge_cancel(charge_id=order.charge_id)
    order.cancelled_at = timezone.now()
    order.expires_at = None
    order.save(update_fields=["status", "cancelled_at", "expires_at"])
    _transition(order, order.status, actor=actor, from_status=previous, reason=reason)
    emit("order.cancelled", community_id=order.community_id, order_id=order.pk, member_id=order.member_id,
         reason=reason)


def order_cancel(*, member: Membership, order: Order) -> Order:
    """A member cancels their own order before the group-buy closes; what they paid comes back."""
    if order.member_id != member.user_id or order.community_id != member.community_id:
        raise NotFound()
    with transaction.atomic():
        _lock_round(order.group_buy_id, share=True)
        team = _lock_team(order.team_id)
        locked = _lock_order(order)
        if locked.status not in (Order.Status.PENDING_PAYMENT, Order.Status.PAID):
            raise Conflict(_("This order can no longer be cancelled."), code="not_cancellable")
        if locked.group_buy.status != GroupBuy.Status.OPEN or timezone.now() >= locked.group_buy.closes_at:
            raise Conflict(_("The group-buy has closed: ask an admin for a refund."), code="group_buy_closed")
        if team is not None and team.status == Team.Status.SUCCEEDED:
            raise Conflict(_("Your team has already succeeded: ask an admin for a refund."), code="team_succeeded")
        _cancel_and_refund(locked, reason="cancelled", actor=member.user)
    order.refresh_from_db()
    return order


def _transfer_waiting() -> Exists:
    """Orders whose member reported a transfer that no admin has confirmed or declined yet."""
    return Exists(Payment.objects.filter(charge_id=OuterRef("charge_id"), status=Payment.Status.PENDING))


def order_expire(order: Order) -> None:
    """An unpaid order's window passed (round, team and order locked by the sweep)."""
    _cancel_and_refund(order, reason="expired")


def order_expire_due(*, now: datetime | None = None) -> int:
    """Unpaid orders past their payment window are cancelled and give their units back."""
    return _run_sweep("orders.expire_unpaid", now)


def order_refund(*, actor: Membership, order: Order, reason: str = "") -> Order:
    """An admin refunds a paid order in full (before or after pickup); commission is reversed."""
    check_perm(actor, Perm.MANAGE_ORDERS)
    if order.community_id != actor.community_id:
        raise NotFound()
    with transaction.atomic():
        _lock_round(order.group_buy_id, share=False)
        _lock_team(order.team_id)
        locked = _lock_order(order)
        if locked.status not in PAID_STATUSES:
            raise Conflict(_("Only paid orders can be refunded."), code="not_refundable")
        previous = locked.status
        if locked.team_id and previous == Order.Status.PAID:
            _team_leave(locked, was_paid=True)
        # Refunded before it was completed, the coupon's use comes back; after, it stays spent.
        if locked.group_buy.status == GroupBuy.Status.OPEN:
            _give_back_units(locked, release_coupon=previous != Order.Status.COMPLETED)
        elif previous != Order.Status.COMPLETED:
            coupons.coupon_release(locked)
        if _refund(locked, amount=locked.paid_amount, reason="admin", key=f"admin:order:{locked.pk}",
                   actor=actor.user, note=reason) is None:
            # Nothing to pay back (points or a coupon paid it all): the apps above still hear of it,
            # so the points it spent come back (their handlers write under keys: once).
            emit("order.refunded", community_id=locked.community_id, order_id=locked.pk, member_id=locked.member_id,
                 amount="0.00", reason="admin", completed=locked.completed_at is not None)
        locked.status = Order.Status.REFUNDED
        locked.save(update_fields=["status"])
        _transition(locked, Order.Status.REFUNDED, actor=actor.user, from_status=previous, note=reason[:200])
        _fulfil_if_done(locked.group_buy)
    order.refresh_from_db()
    return order


def refunds_mark_paid_back(*, actor: Membership, refunds: list[Refund], reference: str = "") -> list[Refund]:
    """Admins paid members back by hand: recorded once each, and each member is told."""
    changed = payments.refunds_mark_paid_back(actor=actor, refunds=refunds, reference=reference)
    by_charge = {o.charge_id: o for o in Order.objects.filter(charge_id__in=[r.charge_id for r in changed])
                 .select_related("group_buy", "member", "community")}
    for refund in changed:
        order = by_charge.get(refund.charge_id)
        if order is None:  # a pledge's or a share's: told in the words its charge carries
            charge = refund.charge
            with in_language_of(charge.member):
                notify(recipient=charge.member, community=actor.community, kind="refund_paid_back",
                       title=_("%(amount)s was paid back to you") % {"amount": refund.amount},
                       body=_("The refund for %(title)s was paid back by hand.") % {"title": charge.description}
                       + (f" ({refund.paid_back_reference})" if refund.paid_back_reference else ""),
                       url=charge.url, dedupe_key=f"paid_back:{refund.pk}")
            continue
        with in_language_of(order.member):
            notify(recipient=order.member, community=order.community, kind="refund_paid_back",
                   title=_("%(amount)s was paid back to you") % {"amount": refund.amount},
                   body=_("The refund for your order from %(title)s was paid back by hand.") % {
                       "title": order.group_buy.title} + (f" ({refund.paid_back_reference})"
                                                           if refund.paid_back_reference else ""),
                   url=order.get_absolute_url(), dedupe_key=f"paid_back:{refund.pk}")
    return changed


# Closing a round -------------------------------------------------------------------------------

def _due_to_close(now: datetime) -> Q:
    """Open rounds past their close. A round waits for transfers its members reported before the close
    (admins confirm or decline them) for at most the community's payment window after it."""
    grace_end = ExpressionWrapper(
        F("closes_at") + F("community__payment_window_minutes") * Value(timedelta(minutes=1)),
        output_field=DateTimeField())
    reported = Exists(Payment.objects.filter(status=Payment.Status.PENDING, charge__order__group_buy=OuterRef("pk"),
                                             created_at__lt=OuterRef("closes_at")))
    return Q(status=GroupBuy.Status.OPEN, closes_at__lte=now) & (~reported | Q(pk__in=GroupBuy.objects.alias(
        grace_end=grace_end).filter(status=GroupBuy.Status.OPEN, grace_end__lte=now).values("pk")))


def group_buy_close_due(*, now: datetime | None = None) -> int:
    """Settle every open round whose closing time has passed. Safe with two workers at once."""
    return _run_sweep("orders.close_group_buys", now)


def group_buy_settle(group_buy: GroupBuy) -> None:
    """Close a round (locked by the closing sweep): succeed or fail it and settle every order."""
    _settle(group_buy)


def _settle(group_buy: GroupBuy) -> None:
    """Close a round (locked by the caller): succeed or fail it and settle every order."""
    from catalog.services import product_release_stock

    # Teams before items (an order joining a team holds the team, then wants the items).
    list(Team.objects.select_for_update().filter(group_buy=group_buy).order_by("pk").values_list("pk", flat=True))
    # Flipping is_open takes each item's row lock: orders in flight finish first, later ones fail.
    items = list(GroupBuyItem.objects.select_for_update(no_key=True).filter(group_buy=group_buy).order_by("pk"))
    GroupBuyItem.objects.filter(group_buy=group_buy).update(is_open=False)
    orders = list(Order.objects.select_for_update(of=("self",)).select_related("charge")
                  .filter(group_buy=group_buy, status__in=LIVE_STATUSES).order_by("pk"))
    for order in orders:
        if order.status == Order.Status.PENDING_PAYMENT:
            _cancel_and_refund(order, reason="unpaid_at_close")
    if group_buy.mode == GroupBuy.Mode.TEAM:
        for team in Team.objects.select_for_update().filter(group_buy=group_buy, status=Team.Status.FORMING):
            team.status, team.settled_at = Team.Status.FAILED, timezone.now()
            team.save(update_fields=["status", "settled_at"])
    paid = [o for o in orders if o.status in PAID_STATUSES]
    if group_buy.mode == GroupBuy.Mode.TEAM:
        succeeded_teams = set(Team.objects.filter(group_buy=group_buy, status=Team.Status.SUCCEEDED)
                              .values_list("pk", flat=True))
        for order in paid:
            if order.team_id not in succeeded_teams:
                _cancel_and_refund(order, reason="team_failed")
        paid = [o for o in paid if o.team_id in succeeded_teams]
    _transition(group_buy, GroupBuy.Status.CLOSED, from_status=GroupBuy.Status.OPEN)
    progress = group_buy_progress(group_buy)
    succeeded = progress.reached and (group_buy.mode != GroupBuy.Mode.TEAM or bool(paid))
    if succeeded:
        _apply_tiers(group_buy, items, paid)
        Order.objects.filter(pk__in=[o.pk for o in paid], status=Order.Status.PAID).update(
            status=Order.Status.CONFIRMED, updated_at=timezone.now())
        for order in paid:
            _transition(order, Order.Status.CONFIRMED, from_status=Order.Status.PAID)
    else:
        for order in paid:
            _cancel_and_refund(order, reason="group_buy_failed")
            with in_language_of(order.member):
                notify(recipient=order.member, community=group_buy.community, kind="group_buy_failed",
                       title=_("%(title)s did not reach its goal") % {"title": group_buy.title},
                       body=_("Your order was cancelled and %(amount)s %(currency)s was refunded.") % {
                           "amount": order.paid_amount, "currency": order.currency},
                       url=order.get_absolute_url(), dedupe_key=f"failed:{order.pk}")
    status = GroupBuy.Status.SUCCEEDED if succeeded else GroupBuy.Status.FAILED
    group_buy.status, group_buy.settled_at = status, timezone.now()
    group_buy.save(update_fields=["status", "settled_at"])
    _transition(group_buy, status, from_status=GroupBuy.Status.CLOSED, quantity=progress.quantity,
                amount=str(progress.amount), buyers=progress.buyers)
    sold = dict(GroupBuyItem.objects.filter(group_buy=group_buy).values_list("pk", "quantity_sold"))
    for item in sorted(items, key=lambda i: i.product_id):
        unsold = item.quantity_on_offer - sold[item.pk]
        if unsold > 0:
            product_release_stock(product_id=item.product_id, quantity=unsold)


def _apply_tiers(group_buy: GroupBuy, items: list[GroupBuyItem], paid: list[Order]) -> None:
    """阶梯价: reprice every paid line at the tier its item reached; refund each order the difference."""
    sold = {row["item_id"]: row["q"] for row in OrderLine.objects.filter(order__in=[o.pk for o in paid])
            .values("item_id").annotate(q=Sum("quantity"))}
    prices = {}
    for item in items:
        final = current_tier_price(item, sold.get(item.pk, 0))
        if final < item.group_price:
            prices[item.pk] = final
    if not prices:
        return
    by_order = {o.pk: o for o in paid}
    for line in OrderLine.objects.filter(order__in=list(by_order), item_id__in=list(prices)).order_by("pk"):
        if line.unit_price <= prices[line.item_id]:
            continue  # bought below the tier (before a price rise): never charged more
        line.unit_price = prices[line.item_id]
        line.line_total = money(line.unit_price * line.quantity)
        line.save(update_fields=["unit_price", "line_total"])
    for order in paid:
        lines_total = OrderLine.objects.filter(order=order).aggregate(t=Sum("line_total"))["t"] or 0
        # What a coupon and points took off stays what it was.
        new_total = money(max(lines_total - order.discount - order.points_discount, 0)
                          + (group_buy.delivery_fee if order.fulfilment == Order.Fulfilment.DELIVERY else 0))
        difference = order.charge.paid_amount - order.charge.refunded_amount - new_total
        Order.objects.filter(pk=order.pk).update(total=new_total, updated_at=timezone.now())
        payments.charge_reprice(charge_id=order.charge_id, amount=new_total)
        order.total = new_total
        if difference > 0:
            _refund(order, amount=difference, reason="tier_price", key=f"tier:order:{order.pk}")


def group_buy_cancel(*, actor: Membership, group_buy: GroupBuy, reason: str = "") -> GroupBuy:
    """Cancel a round that has not been settled: every order is cancelled and refunded."""
    from catalog.services import product_release_stock

    check_perm(actor, Perm.MANAGE_GROUP_BUYS)
    if group_buy.community_id != actor.community_id:
        raise NotFound()
    check_in_scope(actor, group_buy, rounds_in_scope)
    with transaction.atomic():
        locked = GroupBuy.objects.select_for_update(no_key=True).get(pk=group_buy.pk)
        if locked.status not in (GroupBuy.Status.DRAFT, GroupBuy.Status.SCHEDULED, GroupBuy.Status.OPEN):
            raise Conflict(_("Only a draft, scheduled or open group-buy can be cancelled."), code="not_cancellable")
        previous = locked.status
        list(Team.objects.select_for_update().filter(group_buy=locked).order_by("pk").values_list("pk", flat=True))
        items = list(GroupBuyItem.objects.select_for_update(no_key=True).filter(group_buy=locked).order_by("pk"))
        GroupBuyItem.objects.filter(group_buy=locked).update(is_open=False)
        for order in (Order.objects.select_for_update(of=("self",)).select_related("member", "charge")
                      .filter(group_buy=locked, status__in=LIVE_STATUSES).order_by("pk")):
            _cancel_and_refund(order, reason="group_buy_cancelled", actor=actor.user)
            with in_language_of(order.member):
                notify(recipient=order.member, community=actor.community, kind="group_buy_cancelled",
                       title=_("%(title)s was cancelled") % {"title": locked.title},
                       body=(_("Your order was cancelled and what you paid is refunded.")
                             + (f"\n{reason.strip()[:200]}" if reason.strip() else "")),
                       url=order.get_absolute_url(), dedupe_key=f"cancelled:{order.pk}")
        Team.objects.filter(group_buy=locked, status=Team.Status.FORMING).update(
            status=Team.Status.CANCELLED, settled_at=timezone.now())
        if previous != GroupBuy.Status.DRAFT:
            for item in sorted(items, key=lambda i: i.product_id):
                product_release_stock(product_id=item.product_id, quantity=item.quantity_on_offer)
        locked.status = GroupBuy.Status.CANCELLED
        locked.save(update_fields=["status"])
        _transition(locked, GroupBuy.Status.CANCELLED, actor=actor.user, from_status=previous, note=reason[:200])
    group_buy.refresh_from_db()
    return group_buy


# Fulfilment ------------------------------------------------------------------------------------

def group_buy_mark_arrived(*, actor: Membership, group_buy: GroupBuy,
                           pickup_point: PickupPoint | None = None) -> int:
    """The goods arrived (at one pickup point, or everywhere): confirmed pickup orders become ready."""
    check_perm(actor, Perm.MANAGE_GROUP_BUYS)
    if group_buy.community_id != actor.community_id:
        raise NotFound()
    check_in_scope(actor, group_buy, rounds_in_view)
    if pickup_point is not None:
        check_in_scope(actor, pickup_point, pickup_points_in_scope)
    # A leader's goods arrive at their branch's pickup points only.
    points_in_scope = pickup_points_in_scope(actor, actor.community.pickup_points.all())
    with transaction.atomic():
        group_buy = (GroupBuy.objects.select_for_update(of=("self",), no_key=True).select_related("community")
                     .get(pk=group_buy.pk))
        if group_buy.status not in (GroupBuy.Status.SUCCEEDED, GroupBuy.Status.FULFILLED):
            raise Conflict(_("Goods can arrive only for a group-buy that succeeded."), code="not_succeeded")
        orders = Order.objects.select_for_update(of=("self",)).select_related("member").filter(
            group_buy=group_buy, status=Order.Status.CONFIRMED, fulfilment=Order.Fulfilment.PICKUP)
        if pickup_point is not None:
            orders = orders.filter(pickup_point=pickup_point)
        if not acts_community_wide(actor):
            orders = orders.filter(pickup_point__in=points_in_scope)
        orders = list(orders.select_related("pickup_point").order_by("pk"))
        _mark_ready(group_buy, orders, actor=actor.user)
    return len(orders)


def _mark_ready(group_buy: GroupBuy, orders: list[Order], *, actor=None, **data) -> None:
    """Confirmed pickup orders (locked by the caller, with their member and pickup point) become
    ready and their members are told; the round records when goods first arrived. Shared by an
    admin marking goods arrived and a supplier reporting them (orders.fulfilment)."""
    now = timezone.now()
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(status=Order.Status.READY, updated_at=now)
    GroupBuy.objects.filter(pk=group_buy.pk, arrived_at__isnull=True).update(arrived_at=now, updated_at=now)
    for order in orders:
        order.status = Order.Status.READY
        _transition(order, Order.Status.READY, actor=actor, from_status=Order.Status.CONFIRMED, **data)
        with in_language_of(order.member):
            notify(recipient=order.member, community=group_buy.community, kind="order_ready",
                   title=_("Your order from %(title)s is ready") % {"title": group_buy.title},
                   body=_("Pick it up at %(point)s (%(address)s) and show your pickup code %(code)s.") % {
                       "point": order.pickup_point.name, "address": order.pickup_point.address,
                       "code": order.pickup_code},
                   url=order.get_absolute_url(), dedupe_key=f"ready:{order.pk}")


# The member's pickup QR carries the community, the order and its 6-digit code, signed with the
# site's key: a desk that scans it knows the order at once, and a forged or edited code (or one of
# another community) reads as a wrong code. The 6 digits typed by hand still work.
PICKUP_QR_SALT = "orders.pickup-qr"
PICKUP_CODE_MAX_LENGTH = 120


def pickup_qr_code(order: Order) -> str:
    """What the member's pickup QR holds, e.g. "7.1234.042917:<signature>"."""
    return signing.Signer(salt=PICKUP_QR_SALT).sign(f"{order.community_id}.{order.pk}.{order.pickup_code}")


def _wrong_code() -> NotFound:
    return NotFound(_("No order ready for pickup has this code. Check it, or ask the member to open the "
                      "order's QR code again."), code="pickup_not_found",
                    fields={"code": [_("No order of this community has this code.")]})


def _read_pickup_code(actor: Membership, code: str) -> tuple[int | None, str]:
    """(order id, 6 digits) from a scanned QR code, or (None, 6 digits) from typed digits."""
    code = (code or "").strip()
    if ":" in code:
        try:
            value = signing.Signer(salt=PICKUP_QR_SALT).unsign(code[:PICKUP_CODE_MAX_LENGTH])
            community_id, order_id, digits = value.split(".")
            community_id, order_id = int(community_id), int(order_id)
        except (signing.BadSignature, ValueError):
            raise _wrong_code() from None
        if community_id != actor.community_id:
            raise _wrong_code()
        return order_id, digits
    digits = "".join(ch for ch in code[:PICKUP_CODE_MAX_LENGTH] if ch.isascii() and ch.isdigit())
    if len(digits) != 6:
        raise ValidationFailed(_("A pickup code has 6 digits."), fields={"code": [_("6 digits.")]})
    return None, digits


def pickup_handed_over(order: Order) -> tuple[datetime | None, str]:
    """When the order was picked up and who handed it over (the audit log records it)."""
    row = (AuditLog.objects.filter(community_id=order.community_id, object_type="order", object_id=order.pk,
                                   action=f"order.{Order.Status.COMPLETED}")
           .select_related("actor").order_by("-created_at", "-id").first())
    who = row.actor.display_name if row is not None and row.actor is not None else ""
    return order.completed_at or (row.created_at if row else None), who


def _not_ready(order: Order) -> DomainError:
    """Why an order of this code cannot be handed over now, in the words the desk shows."""
    if order.status == Order.Status.COMPLETED:
        when, who = pickup_handed_over(order)
        local = timezone.localtime(when, _tz(order.group_buy)).strftime("%Y-%m-%d %H:%M") if when else ""
        if who:
            message = _("Order #%(id)s of %(name)s was already picked up on %(when)s, handed over by %(by)s.")
        else:
            message = _("Order #%(id)s of %(name)s was already picked up on %(when)s.")
        return Conflict(message % {"id": order.pk, "name": order.member.display_name, "when": local, "by": who},
                        code="already_picked_up")
    if order.status == Order.Status.PENDING_PAYMENT:
        return Conflict(_("Order #%(id)s of %(name)s is not paid yet: it can be picked up once the payment is "
                          "received.") % {"id": order.pk, "name": order.member.display_name}, code="not_paid")
    if order.status == Order.Status.PAID:  # the round has not succeeded yet: nothing is on its way
        return Conflict(_("The goods of “%(title)s” have not arrived yet: the group-buy has not closed and "
                          "succeeded.") % {"title": order.group_buy.title}, code="not_arrived")
    if order.status == Order.Status.CONFIRMED:
        return Conflict(_("The goods of “%(title)s” have not arrived at %(point)s yet: mark them arrived on the "
                          "group-buy's page first.") % {"title": order.group_buy.title,
                                                        "point": order.pickup_point.name if order.pickup_point else "—"},
                        code="not_arrived")
    if order.fulfilment != Order.Fulfilment.PICKUP:
        return Conflict(_("Order #%(id)s is delivered to the member, not picked up.") % {"id": order.pk},
                        code="not_pickup")
    return Conflict(_("Order #%(id)s of %(name)s is %(status)s: there is nothing to hand over.") % {
        "id": order.pk, "name": order.member.display_name, "status": order.get_status_display()},
        code="order_cancelled")


# Which reason a typed code's orders are reported with when none is ready: the likeliest first.
_NOT_READY_ORDER = {Order.Status.CONFIRMED: 0, Order.Status.PAID: 1, Order.Status.PENDING_PAYMENT: 2,
                    Order.Status.COMPLETED: 3}


def pickup_find(*, actor: Membership, code: str) -> list[Order]:
    """Ready orders with this pickup code (usually one) that the actor may hand over.

    ``code`` is the 6 digits typed at the desk or the signed code of the member's QR. When no order
    is ready, the error says why: a wrong code (or one of another community or branch:
    ``pickup_not_found``), ``already_picked_up`` (when, by whom), ``not_arrived``, ``not_paid``.
    """
    check_perm(actor, Perm.CONFIRM_PICKUP)
    order_id, digits = _read_pickup_code(actor, code)
    orders = orders_in_scope(actor, actor.community.orders.filter(pickup_code=digits))
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    else:
        # Six digits repeat over the years: only what could still be at (or just left) the desk.
        orders = orders.filter(fulfilment=Order.Fulfilment.PICKUP)
    orders = list(orders.select_related("member", "pickup_point", "group_buy__community").prefetch_related("lines")
                  .order_by("-created_at", "-id")[:50])
    ready = [o for o in orders if o.status == Order.Status.READY]
    if ready:
        return ready
    if not orders:
        raise _wrong_code()
    raise _not_ready(min(orders, key=lambda o: _NOT_READY_ORDER.get(o.status, 9)))


def _code_names(actor: Membership, order: Order, code: str) -> bool:
    try:
        order_id, digits = _read_pickup_code(actor, code)
    except DomainError:
        return False
    return order_id in (None, order.pk) and digits == order.pickup_code


def order_complete(*, actor: Membership, order: Order, code: str | None = None) -> Order:
    """Hand over a ready order (pickup, checked against its code: typed digits or the scanned QR's
    signed code) or confirm a delivery arrived. The audit row records who handed it over."""
    check_perm(actor, Perm.CONFIRM_PICKUP)
    if order.community_id != actor.community_id:
        raise NotFound()
    check_in_scope(actor, order, orders_in_scope)
    with transaction.atomic():
        _lock_round(order.group_buy_id, share=False)
        locked = _lock_order(order)
        if locked.fulfilment == Order.Fulfilment.PICKUP:
            if code is not None and not _code_names(actor, locked, code):
                raise ValidationFailed(_("The pickup code does not match this order."), code="wrong_code",
                                       fields={"code": [_("Wrong code.")]})
            if locked.status != Order.Status.READY:
                raise _not_ready(Order.objects.select_related("member", "pickup_point", "group_buy__community")
                                 .get(pk=locked.pk))
        elif locked.status != Order.Status.SHIPPED:
            raise Conflict(_("This order has not been shipped."), code="not_shipped")
        _complete(locked, actor=actor.user)
    order.refresh_from_db()
    return order


def _complete(locked: Order, *, actor=None, **data) -> None:
    """A ready order was picked up or a shipped one delivered (round and order locked by the caller):
    completed, the commission earned, the apps above told. Shared by the desk, the console and a
    supplier's delivery report (orders.fulfilment)."""
    previous = locked.status
    locked.status, locked.completed_at = Order.Status.COMPLETED, timezone.now()
    locked.save(update_fields=["status", "completed_at"])
    _transition(locked, Order.Status.COMPLETED, actor=actor, from_status=previous, **data)
    _earn_commission(locked)
    # For the apps above (points, referrals, webhooks): orders never imports them.
    emit("order.completed", community_id=locked.community_id, order_id=locked.pk, member_id=locked.member_id,
         total=str(locked.total), currency=locked.currency)
    _fulfil_if_done(locked.group_buy)


def order_ship(*, actor: Membership, order: Order, tracking: str = "") -> Order:
    check_perm(actor, Perm.MANAGE_ORDERS)
    if order.community_id != actor.community_id:
        raise NotFound()
    with transaction.atomic():
        locked = _lock_order(order)
        if locked.fulfilment != Order.Fulfilment.DELIVERY or locked.status != Order.Status.CONFIRMED:
            raise Conflict(_("Only confirmed delivery orders can be shipped."), code="not_shippable")
        _ship(locked, actor=actor.user, tracking=tracking)
    order.refresh_from_db()
    return order


def _ship(locked: Order, *, actor=None, tracking: str = "", **data) -> None:
    """A confirmed delivery order (locked by the caller) left for the member. Shared by the console
    and a supplier's report (orders.fulfilment, which adds the carrier)."""
    locked.status = Order.Status.SHIPPED
    locked.save(update_fields=["status"])
    _transition(locked, Order.Status.SHIPPED, actor=actor, from_status=Order.Status.CONFIRMED,
                tracking=tracking[:100], **data)


def _fulfil_if_done(group_buy: GroupBuy) -> None:
    waiting = Order.objects.filter(group_buy=group_buy, status__in=[
        Order.Status.CONFIRMED, Order.Status.READY, Order.Status.SHIPPED]).exists()
    if not waiting and group_buy.status == GroupBuy.Status.SUCCEEDED:
        GroupBuy.objects.filter(pk=group_buy.pk, status=GroupBuy.Status.SUCCEEDED).update(
            status=GroupBuy.Status.FULFILLED, updated_at=timezone.now())
        _transition(group_buy, GroupBuy.Status.FULFILLED, from_status=GroupBuy.Status.SUCCEEDED)


# Commission ------------------------------------------------------------------------------------

def _commission_recipient(order: Order):
    community = order.community
    if community.commission_recipient == Community.CommissionRecipient.REFERRER:
        membership = Membership.objects.filter(community=community, user_id=order.member_id).first()
        return membership.invited_by if membership else None
    if order.branch_id:
        return Community.objects.filter(pk=order.branch_id).values_list("leader", flat=True).first()
    return None


def _earn_commission(order: Order) -> None:
    rate = order.group_buy.commission_rate
    recipient = _commission_recipient(order)
    recipient_id = getattr(recipient, "pk", recipient)
    if not rate or recipient_id is None or recipient_id == order.member_id:
        return
    base = order.total  # after tier repricing: what the member finally paid for the order
    amount = money(base * rate)
    if amount <= 0:
        return
    with transaction.atomic():
        Commission.objects.get_or_create(order=order, kind=Commission.Kind.EARNED, defaults={
            "community_id": order.community_id, "leader_id": recipient_id, "rate": rate, "base_amount": base,
            "amount": amount})


def _reverse_commission(order: Order) -> None:
    earned = Commission.objects.filter(order=order, kind=Commission.Kind.EARNED).first()
    if earned is None:
        return
    Commission.objects.get_or_create(order=order, kind=Commission.Kind.REVERSED, defaults={
        "community_id": order.community_id, "leader_id": earned.leader_id, "rate": earned.rate,
        "base_amount": earned.base_amount, "amount": -earned.amount})


# Reminders ---------------------------------------------------------------------------------------

CLOSING_SOON = timedelta(hours=3)
EXPIRY_SOON = timedelta(minutes=10)


def group_buy_remind_closing(group_buy: GroupBuy, now: datetime) -> int:
    """Once per round (locked by the sweep): members who have not ordered hear that it closes soon."""
    group_buy.closing_reminder_sent_at = now
    group_buy.save(update_fields=["closing_reminder_sent_at"])
    audience = Membership.objects.filter(community=group_buy.community, status="active").exclude(
        user__orders__group_buy=group_buy).select_related("user")
    branch_ids = list(group_buy.branches.values_list("pk", flat=True))
    if branch_ids:
        audience = audience.filter(Q(branch_id__in=branch_ids) | Q(role__in=["owner", "admin"]))
    sent = 0
    for membership in audience:
        with in_language_of(membership.user):
            sent += notify(recipient=membership.user, community=group_buy.community, kind="group_buy_closing",
                           title=_("%(title)s closes soon") % {"title": group_buy.title},
                           body=_("Order before %(time)s if you want to join.") % {
                               "time": timezone.localtime(group_buy.closes_at, _tz(group_buy)).strftime("%H:%M")},
                           url=group_buy.get_absolute_url(),
                           dedupe_key=f"closing:{group_buy.pk}:{membership.user_id}") is not None
    return sent


def remind_closing_soon(*, now: datetime | None = None) -> int:
    """Rounds closing within three hours remind the members who have not ordered; rounds reminded."""
    return _run_sweep("orders.remind_closing", now)


def order_remind_unpaid(order: Order) -> None:
    """Once per order (locked by the sweep): its unpaid window ends in a few minutes."""
    Order.objects.filter(pk=order.pk).update(expiry_reminder_sent=True)
    with in_language_of(order.member):
        notify(recipient=order.member, community=order.community, kind="order_unpaid",
               title=_("Pay your order for %(title)s") % {"title": order.group_buy.title},
               body=_("It is cancelled if unpaid in a few minutes."),
               url=order.get_absolute_url(), dedupe_key=f"unpaid:{order.pk}")


def remind_unpaid(*, now: datetime | None = None) -> int:
    """Members whose unpaid order expires within ten minutes are told once; orders reminded."""
    return _run_sweep("orders.remind_unpaid", now)


TRANSFER_WAITING_REMINDER = timedelta(hours=1)


def transfer_remind_admins(payment: Payment, now: datetime) -> None:
    """A reported transfer has waited an hour (the sweep holds it): the community's admins hear once."""
    order = Order.objects.select_related("community", "group_buy", "member").get(charge_id=payment.charge_id)
    payments.payment_mark_reminded(payment=payment, now=now)
    url = reverse("orders_console:orders", kwargs={"slug": order.community.slug}) + "?method=reported"
    admins = Membership.objects.filter(community_id=order.community_id, status="active",
                                       role__in=["owner", "admin"]).select_related("user")
    for admin in admins:
        with in_language_of(admin.user):
            notify(recipient=admin.user, community=order.community, kind="transfer_waiting",
                   title=_("A transfer waits for your confirmation"),
                   body=_("%(name)s reported paying %(amount)s for order #%(id)s (%(title)s). Confirm it when it "
                          "arrives, or mark it not received.") % {
                       "name": order.member.display_name, "amount": payment.amount, "id": order.pk,
                       "title": order.group_buy.title},
                   url=url, dedupe_key=f"transfer_waiting:{payment.pk}:{admin.user_id}")


def remind_transfers(*, now: datetime | None = None) -> int:
    return _run_sweep("orders.remind_transfers", now)


def _tz(group_buy: GroupBuy):
    import zoneinfo

    return zoneinfo.ZoneInfo(group_buy.community.timezone)
