"""What a partner is shown of a community's rows: only its own products, items and order lines.

Plain dicts (JSON-ready), used by webhook events; the API's serializers show the same fields.
"""

from __future__ import annotations

from catalog.models import Product
from orders.models import GroupBuy, GroupBuyItem, Order, OrderLine


def community_ref(community) -> dict:
    return {"id": community.pk, "slug": community.slug, "name": community.name}


def product_data(product: Product) -> dict:
    return {"id": product.pk, "sku": product.supplier_sku, "name": product.name, "unit": product.unit,
            "list_price": str(product.list_price), "stock": product.stock, "review": product.review,
            "is_active": product.is_active, "low_stock_threshold": product.low_stock_threshold,
            "updated_at": product.updated_at.isoformat()}


def round_data(group_buy: GroupBuy, supplier_id: int) -> dict:
    items = (GroupBuyItem.objects.filter(group_buy=group_buy, product__supplier_id=supplier_id)
             .select_related("product").order_by("position", "pk"))
    return {
        "id": group_buy.pk, "title": group_buy.title, "status": group_buy.status,
        "opens_at": group_buy.opens_at.isoformat(), "closes_at": group_buy.closes_at.isoformat(),
        "expected_pickup_at": group_buy.expected_pickup_at.isoformat() if group_buy.expected_pickup_at else None,
        "items": [{"item_id": item.pk, "product_id": item.product_id, "sku": item.product.supplier_sku,
                   "name": item.product.name, "unit": item.product.unit, "group_price": str(item.group_price),
                   "quantity_on_offer": item.quantity_on_offer, "quantity_sold": item.quantity_sold}
                  for item in items],
    }


def order_data(order: Order, supplier_id: int) -> dict:
    lines = (OrderLine.objects.filter(order=order, product__supplier_id=supplier_id)
             .select_related("product").order_by("pk"))
    point = order.pickup_point
    return {
        "id": order.pk, "round_id": order.group_buy_id, "status": order.status, "fulfilment": order.fulfilment,
        "pickup_point": {"id": point.pk, "name": point.name, "address": point.address} if point else None,
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "lines": [{"line_id": line.pk, "product_id": line.product_id, "sku": line.product.supplier_sku,
                   "name": line.name, "unit": line.unit, "quantity": line.quantity,
                   "unit_price": str(line.unit_price), "line_total": str(line.line_total),
                   "quantity_short": line.quantity_short} for line in lines],
    }
