from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from catalog.models import Product

from communities.models import Community, Membership
from communities.permissions import Perm, has_perm, orders_in_scope
from core.exceptions import NotFound
from orders.models import Commission, GroupBuy, GroupBuyItem, Order, PriceTier, Team
from payments.models import Payment, Refund, Wallet, WalletEntry

MEMBER_VISIBLE = (GroupBuy.Status.SCHEDULED, GroupBuy.Status.OPEN, GroupBuy.Status.CLOSED,
                  GroupBuy.Status.SUCCEEDED, GroupBuy.Status.FAILED, GroupBuy.Status.FULFILLED)


def _items_prefetch():
    return Prefetch("items", queryset=GroupBuyItem.objects.select_related("product").prefetch_related(
        Prefetch("tiers", queryset=PriceTier.objects.order_by("min_quantity")),
        "product__images"))


def group_buys_for_member(membership: Membership) -> QuerySet[GroupBuy]:
    """Rounds a member sees: the community's, limited to their branch when a round targets branches."""
    qs = membership.community.group_buys.filter(status__in=MEMBER_VISIBLE)
    if membership.role in ("member", "leader"):
        qs = qs.filter(Q(branches__isnull=True) | Q(branches=membership.branch_id)).distinct()
    return qs.prefetch_related(_items_prefetch(), "pickup_points").order_by("closes_at")


def group_buys_for_console(membership: Membership) -> QuerySet[GroupBuy]:
    """Rounds in the console, drafts included, newest opening first: an owner or admin sees all, a
    leader those aimed at their branch or the whole community, and their own."""
    from communities.permissions import rounds_in_view

    qs = rounds_in_view(membership, membership.community.group_buys.all())
    return qs.prefetch_related(_items_prefetch(), "pickup_points").order_by("-opens_at", "-id")


def group_buy_detail(community: Community, pk: int) -> GroupBuy:
    return (community.group_buys.select_related("community").prefetch_related(_items_prefetch(), "pickup_points")
            .get(pk=pk))


def my_orders(membership: Membership) -> QuerySet[Order]:
    return (membership.community.orders.filter(member_id=membership.user_id)
            .select_related("group_buy", "pickup_point", "team", "charge").prefetch_related("lines"))


def order_for_member(membership: Membership, pk: int) -> Order:
    return (membership.community.orders.filter(member_id=membership.user_id)
            .select_related("group_buy", "pickup_point", "team", "community", "charge")
            .prefetch_related("lines", Prefetch("charge__payments", queryset=Payment.objects.order_by("-created_at", "-id")),
                              Prefetch("charge__refunds", queryset=Refund.objects.order_by("-created_at", "-id")))
            .get(pk=pk))


def orders_for_console(actor: Membership) -> QuerySet[Order]:
    """The orders an admin (all) or a leader (their branch's) reads in the console and the API,
    with what a list renders, in a number of queries that does not grow with the rows."""
    return (orders_in_scope(actor, actor.community.orders.all())
            .select_related("member", "group_buy", "pickup_point", "team", "charge")
            .prefetch_related("lines"))


# Rounds still running at the pickup points: taking orders, closed and being settled, or succeeded
# with goods on their way or waiting to be collected.
OPEN_ROUND_STATUSES = (GroupBuy.Status.OPEN, GroupBuy.Status.CLOSED, GroupBuy.Status.SUCCEEDED)
# The orders a leader's list of a pickup point shows (cancelled and refunded ones are gone).
AT_POINT_STATUSES = (Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.CONFIRMED, Order.Status.READY,
                     Order.Status.COMPLETED)


def orders_in_open_rounds(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.filter(group_buy__status__in=OPEN_ROUND_STATUSES, status__in=AT_POINT_STATUSES)


def order_for_console(actor: Membership, pk: int) -> Order | None:
    """One order in the actor's scope with its lines, payment attempts and refunds."""
    return (orders_for_console(actor).select_related("community")
            .prefetch_related(Prefetch("charge__payments", queryset=Payment.objects.order_by("-created_at", "-id")),
                              Prefetch("charge__refunds", queryset=Refund.objects.order_by("-created_at", "-id")))
            .filter(pk=pk).first())


def wallet_balances(community: Community) -> QuerySet[Wallet]:
    """Members' wallets with their owners (orders.api.filters.WalletFilter narrows them)."""
    return community.wallets.select_related("member")


def wallet_of(membership: Membership) -> Wallet | None:
    return membership.community.wallets.filter(member_id=membership.user_id).first()


def wallet_entries(wallet: Wallet | None) -> QuerySet[WalletEntry]:
    if wallet is None:
        return WalletEntry.objects.none()
    return wallet.entries.select_related("charge__order").order_by("-created_at", "-id")


def sold_by_item(group_buy: GroupBuy) -> dict[int, int]:
    """Units held by paid orders, per item (tiers and the purchase sheet count these)."""
    from orders.services import PAID_STATUSES

    rows = (Order.objects.filter(group_buy=group_buy, status__in=PAID_STATUSES)
            .values("lines__item_id").annotate(q=Sum("lines__quantity")))
    return {row["lines__item_id"]: row["q"] for row in rows if row["lines__item_id"]}


def commission_statement(community: Community, *, leader=None) -> QuerySet[Commission]:
    qs = community.commissions.select_related("leader", "order", "order__member", "order__group_buy")
    if leader is not None:
        qs = qs.filter(leader=leader)
    return qs.order_by("-created_at", "-id")


def commission_total(qs) -> Decimal:
    return qs.aggregate(t=Sum("amount"))["t"] or Decimal("0")


def branch_scoped(membership: Membership) -> bool:
    # As selectors.group_buys_for_member: members and leaders see the rounds of their branch.
    return membership.role in ("member", "leader")


_ROUND_FIELDS = GroupBuy._meta.concrete_fields
_ITEM_FIELDS = GroupBuyItem._meta.concrete_fields
_PRODUCT_FIELDS = ["id", "name", "unit"]  # what an order line snapshots


@lru_cache(maxsize=8)
def _round_sql(*, by_team: bool, visible_only: bool, branch_scoped: bool) -> str:
    branches = GroupBuy.branches.through._meta
    branch_round = branches.get_field("groupbuy").column
    branch_community = branches.get_field("community").column
    item = GroupBuyItem._meta
    sql = [
        "SELECT " + ", ".join(f'g."{f.column}"' for f in _ROUND_FIELDS),
        "     , " + ", ".join(f'i."{f.column}"' for f in _ITEM_FIELDS),
        "     , " + ", ".join(f'p."{name}"' for name in _PRODUCT_FIELDS),
        f'FROM "{GroupBuy._meta.db_table}" g',
        f'JOIN "{item.db_table}" i ON i."group_buy_id" = g."id" AND i."community_id" = g."community_id"',
        f'JOIN "{item.get_field("product").related_model._meta.db_table}" p ON p."id" = i."product_id"',
        'WHERE g."community_id" = %(community)s',
    ]
    if by_team:
        sql.append(f'AND g."id" = (SELECT t."group_buy_id" FROM "{Team._meta.db_table}" t '
                   'WHERE t."code" = %(code)s AND t."community_id" = %(community)s)')
    else:
        sql.append('AND g."id" = %(pk)s')
    if visible_only:
        sql.append('AND g."status" = ANY(%(statuses)s)')
    if branch_scoped:
        sql.append(f'AND (NOT EXISTS (SELECT 1 FROM "{branches.db_table}" b WHERE b."{branch_round}" = g."id") '
                   f'OR EXISTS (SELECT 1 FROM "{branches.db_table}" b WHERE b."{branch_round}" = g."id" '
                   f'AND b."{branch_community}" = %(branch)s))')
    return "\n".join(sql + ['ORDER BY i."position", i."id"'])


def round_for_order(membership: Membership, *, pk: int | None = None,
                     team_code: str | None = None) -> tuple[GroupBuy, list[GroupBuyItem]]:
    """The round to order from (visible to the member) and its items with their products, in one query.

    The hot path of a flash sale: compiling the equivalent ORM query (three tables, the branch
    rule) costs about ten times what PostgreSQL spends answering it, so it is written out once
    here. The same rules as _visible_rounds, which the tests check through both.
    """
    visible_only = not has_perm(membership, Perm.MANAGE_GROUP_BUYS)
    sql = _round_sql(by_team=team_code is not None, visible_only=visible_only, branch_scoped=branch_scoped(membership))
    params = {"community": membership.community_id, "pk": pk, "code": team_code, "branch": membership.branch_id,
              "statuses": list(MEMBER_VISIBLE)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        raise NotFound(_("This group-buy does not exist."), code="group_buy_not_found")
    alias, rounds, items = connection.alias, len(_ROUND_FIELDS), len(_ROUND_FIELDS) + len(_ITEM_FIELDS)
    group_buy = GroupBuy.from_db(alias, [f.attname for f in _ROUND_FIELDS], rows[0][:rounds])
    loaded = []
    for row in rows:
        item = GroupBuyItem.from_db(alias, [f.attname for f in _ITEM_FIELDS], row[rounds:items])
        item.group_buy = group_buy
        item.product = Product.from_db(alias, _PRODUCT_FIELDS, row[items:])
        loaded.append(item)
    return group_buy, loaded


def shortfall_text(group_buy: GroupBuy, progress) -> str:
    """What a round still lacks to go ahead, in the members' words ("还差 8 件成团"); "" without a rule."""
    from django.utils.translation import ngettext

    from core.templatetags.money import money as format_money

    rule = group_buy.success_rule
    if rule == GroupBuy.SuccessRule.NONE:
        return ""
    if progress.reached:
        return _("Goal reached: this group-buy goes ahead.")
    if rule == GroupBuy.SuccessRule.MIN_AMOUNT:
        return _("%(amount)s more to reach the goal") % {
            "amount": format_money(progress.target - progress.amount, group_buy.community.currency)}
    if rule == GroupBuy.SuccessRule.MIN_BUYERS:
        n = int(progress.target) - progress.buyers
        return ngettext("%(n)s more buyer to reach the goal", "%(n)s more buyers to reach the goal", n) % {"n": n}
    n = int(progress.target) - progress.quantity
    return ngettext("%(n)s more unit to reach the goal", "%(n)s more units to reach the goal", n) % {"n": n}


def open_teams(group_buy: GroupBuy, *, exclude_member_id: int | None = None, limit: int = 5) -> list[Team]:
    """拼团 forming in a round that one can still join (seats left, window open), the fullest first;
    not those the member is in already. Each has ``still_needed``: paid members it lacks."""
    from django.utils import timezone

    from orders.services import LIVE_STATUSES, TEAM_SEATS_FACTOR

    qs = (group_buy.teams.filter(status=Team.Status.FORMING, expires_at__gt=timezone.now(),
                                 paid_count__lt=F("size"), member_count__lt=F("size") * TEAM_SEATS_FACTOR)
          .select_related("leader").order_by("-paid_count", "expires_at"))
    if exclude_member_id is not None:
        qs = qs.exclude(orders__member_id=exclude_member_id, orders__status__in=LIVE_STATUSES)
    teams = list(qs[:limit])
    for team in teams:
        team.still_needed = team.size - team.paid_count
    return teams
