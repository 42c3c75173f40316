"""Reads for the partner API: what a partner may see of a community it is connected to.

Everything starts from the partner's active ``Connection`` (partners.api.auth.connection_for) and
keeps to the connection's supplier: its products, the rounds selling them (with only its items),
the order lines for them and the purchase sheet summing them. Another supplier's rows in the same
community never appear.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Sum

from catalog.models import Product, ProductImage
from orders.models import GroupBuy, GroupBuyItem, Order, OrderLine, PickupPoint
from partners.models import ApiKey, Connection

# Orders whose goods the partner must supply (counted in the purchase sheet).
SUPPLIED_STATUSES = (Order.Status.PAID, Order.Status.CONFIRMED, Order.Status.READY, Order.Status.SHIPPED,
                     Order.Status.COMPLETED)
# Lines listed to the partner: those, and refunded ones (flagged) so a synced copy can drop them.
LISTED_STATUSES = (*SUPPLIED_STATUSES, Order.Status.REFUNDED)


def partner_connections(api_key: ApiKey):
    """The partner's active connections this key may reach."""
    connections = (Connection.objects.select_related("community")
                   .filter(partner_id=api_key.partner_id, status=Connection.Status.ACTIVE)
                   .order_by("community_id", "pk"))
    if api_key.community_ids:
        connections = connections.filter(community_id__in=api_key.community_ids)
    return connections


def partner_products(connection: Connection):
    """The connection's supplier's products in its community, oldest change first (for syncing)."""
    return (Product.objects.filter(community_id=connection.community_id, supplier_id=connection.supplier_id)
            .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
            .order_by("updated_at", "pk"))


def _partner_items(connection: Connection):
    return (GroupBuyItem.objects.filter(community_id=connection.community_id,
                                        product__supplier_id=connection.supplier_id)
            .select_related("product").order_by("position", "pk"))


def partner_rounds(connection: Connection):
    """Rounds of the community (published: not drafts) with at least one of the partner's products;
    each carries ``partner_items`` (only the partner's) and its pickup points."""
    sells = GroupBuyItem.objects.filter(group_buy=OuterRef("pk"), community_id=connection.community_id,
                                        product__supplier_id=connection.supplier_id)
    return (GroupBuy.objects.filter(community_id=connection.community_id)
            .exclude(status=GroupBuy.Status.DRAFT)
            .filter(Exists(sells))
            .prefetch_related(Prefetch("items", queryset=_partner_items(connection), to_attr="partner_items"),
                              Prefetch("pickup_points", queryset=PickupPoint.objects.order_by("pk")))
            .order_by("updated_at", "pk"))


def partner_round(connection: Connection, round_id: int) -> GroupBuy | None:
    return partner_rounds(connection).filter(pk=round_id).first()


def partner_lines(connection: Connection, group_buy: GroupBuy):
    """The partner's order lines in the round's paid-or-later orders (refunded ones too), with
    their order, pickup point, member and product in the same query."""
    return (OrderLine.objects.filter(community_id=connection.community_id, order__group_buy_id=group_buy.pk,
                                     product__supplier_id=connection.supplier_id,
                                     order__status__in=LISTED_STATUSES)
            .select_related("order", "order__pickup_point", "order__member", "product")
            .order_by("order__updated_at", "order_id", "pk"))


def purchase_sheet(connection: Connection, group_buy: GroupBuy) -> dict:
    """What the partner must supply for a round: per product (its items in the round, sold or not)
    the total, and per pickup point and for delivery the quantities. Two queries."""
    lines = OrderLine.objects.filter(community_id=connection.community_id, order__group_buy_id=group_buy.pk,
                                     product__supplier_id=connection.supplier_id,
                                     order__status__in=SUPPLIED_STATUSES)
    by_place = (lines.values("product_id", "product__supplier_sku", "product__name", "product__unit",
                             "order__fulfilment", "order__pickup_point_id", "order__pickup_point__name",
                             "order__pickup_point__address")
                .annotate(quantity=Sum("quantity"))
                .order_by("product_id", "order__fulfilment", "order__pickup_point_id"))

    def entry(product_id, sku, name, unit) -> dict:
        return products.setdefault(product_id, {
            "product_id": product_id, "sku": sku, "name": name, "unit": unit,
            "total_quantity": 0, "pickup_points": [], "delivery_quantity": 0})

    products: dict[int, dict] = {}
    for item in _partner_items(connection).filter(group_buy_id=group_buy.pk):
        entry(item.product_id, item.product.supplier_sku, item.product.name, item.product.unit)
    for row in by_place:
        product = entry(row["product_id"], row["product__supplier_sku"], row["product__name"], row["product__unit"])
        quantity = row["quantity"] or 0
        product["total_quantity"] += quantity
        if row["order__fulfilment"] == Order.Fulfilment.DELIVERY:
            product["delivery_quantity"] += quantity
        elif row["order__pickup_point_id"] is not None:
            product["pickup_points"].append({"id": row["order__pickup_point_id"],
                                             "name": row["order__pickup_point__name"],
                                             "address": row["order__pickup_point__address"], "quantity": quantity})
    return {"round_id": group_buy.pk, "status": group_buy.status, "products": list(products.values())}
