from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from communities.models import Community, Membership
from orders.models import Commission, GroupBuy, GroupBuyItem, Order, PriceTier, Wallet, WalletEntry

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


def group_buy_detail(community: Community, pk: int) -> GroupBuy:
    return (community.group_buys.select_related("community").prefetch_related(_items_prefetch(), "pickup_points")
            .get(pk=pk))


def my_orders(membership: Membership) -> QuerySet[Order]:
    return (membership.community.orders.filter(member_id=membership.user_id)
            .select_related("group_buy", "pickup_point", "team").prefetch_related("lines"))


def order_for_member(membership: Membership, pk: int) -> Order:
    return (membership.community.orders.filter(member_id=membership.user_id)
            .select_related("group_buy", "pickup_point", "team", "community").prefetch_related("lines", "payments",
                                                                                                "refunds").get(pk=pk))


def wallet_of(membership: Membership) -> Wallet | None:
    return membership.community.wallets.filter(member_id=membership.user_id).first()


def wallet_entries(wallet: Wallet | None) -> QuerySet[WalletEntry]:
    if wallet is None:
        return WalletEntry.objects.none()
    return wallet.entries.select_related("order").order_by("-created_at", "-id")


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
