"""Sheets and exports for the console: the supplier's purchase sheet, per-pickup-point sheets,
commission statements. Each sheet is built once and shown as a printable page or as CSV.

CSV is UTF-8 with a byte-order mark (Excel on Windows otherwise reads Chinese as mojibake), and
text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from orders import selectors, services
from orders.models import GroupBuy, Order, PickupPoint

# Orders that will be collected at a pickup point (paid before close, confirmed after, ready, done).
PICKUP_SHEET_STATUSES = (Order.Status.PAID, Order.Status.CONFIRMED, Order.Status.READY, Order.Status.COMPLETED)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return value


def csv_response(filename: str, header: list, rows: Iterable[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_cell(str(h)) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return response


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def lines_text(order: Order) -> str:
    """'Mango ×2 box; Pear ×1 kg' from prefetched lines."""
    return "; ".join(f"{line.name} ×{line.quantity} {line.unit}".strip() for line in order.lines.all())


# Purchase sheet ---------------------------------------------------------------------------------

@dataclass
class PurchaseLine:
    product_name: str
    unit: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass
class SupplierBlock:
    name: str
    contact: str
    has_supplier: bool = True
    lines: list[PurchaseLine] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))


def purchase_sheet(group_buy: GroupBuy) -> list[SupplierBlock]:
    """Per supplier, the units of each product held by paid orders at the price the tiers reached."""
    sold = selectors.sold_by_item(group_buy)
    blocks: dict[object, SupplierBlock] = {}
    for item in group_buy.items.select_related("product", "product__supplier").prefetch_related("tiers"):
        quantity = sold.get(item.pk, 0)
        if not quantity:
            continue
        supplier = item.product.supplier
        key = supplier.pk if supplier else None
        if key not in blocks:
            contact = " ".join(filter(None, [supplier.contact_name, supplier.phone])) if supplier else ""
            blocks[key] = SupplierBlock(name=supplier.name if supplier else _("No supplier"), contact=contact,
                                        has_supplier=supplier is not None)
        price = services.current_tier_price(item, quantity)
        blocks[key].lines.append(PurchaseLine(product_name=item.product.name, unit=item.product.unit,
                                              quantity=quantity, unit_price=price,
                                              amount=services.money(price * quantity)))
    # Named suppliers alphabetically, products without one last.
    return sorted(blocks.values(), key=lambda b: (not b.has_supplier, b.name))


def purchase_sheet_csv(group_buy: GroupBuy, blocks: list[SupplierBlock]) -> HttpResponse:
    rows = [[block.name, block.contact, line.product_name, line.unit, line.quantity, line.unit_price, line.amount]
            for block in blocks for line in block.lines]
    rows.append([_("Total"), "", "", "", sum(line.quantity for b in blocks for line in b.lines), "",
                 sum((b.amount for b in blocks), Decimal("0"))])
    return csv_response(f"purchase-sheet-{group_buy.pk}.csv",
                        [_("Supplier"), _("Contact"), _("Product"), _("Unit"), _("Quantity"), _("Unit price"),
                         _("Amount")], rows)


# Pickup sheet -----------------------------------------------------------------------------------

def pickup_sheet_orders(community: Community, group_buy: GroupBuy, point: PickupPoint) -> QuerySet[Order]:
    return (community.orders.filter(group_buy=group_buy, pickup_point=point, fulfilment=Order.Fulfilment.PICKUP,
                                    status__in=PICKUP_SHEET_STATUSES)
            .select_related("member").prefetch_related("lines").order_by("member__display_name", "pk"))


def pickup_sheet_csv(group_buy: GroupBuy, point: PickupPoint, orders: list[Order]) -> HttpResponse:
    rows = [[order.pk, order.member.display_name, order.member.phone or "", order.pickup_code, lines_text(order),
             order.get_status_display(), ""] for order in orders]
    return csv_response(f"pickup-sheet-{group_buy.pk}-{point.pk}.csv",
                        [_("Order"), _("Member"), _("Phone"), _("Pickup code"), _("Items"), _("Status"),
                         _("Signature")], rows)


# Commissions ------------------------------------------------------------------------------------

def commissions_csv(community: Community, commissions: Iterable) -> HttpResponse:
    rows = [[_local(c.created_at), c.leader.display_name, c.leader.phone or "", c.order_id,
             c.order.group_buy.title, c.order.member.display_name, c.get_kind_display(), c.base_amount,
             (c.rate * 100).quantize(Decimal("0.01")), c.amount] for c in commissions]
    return csv_response(f"commissions-{community.slug}-{timezone.localdate():%Y%m%d}.csv",
                        [_("Date"), _("Leader"), _("Phone"), _("Order"), _("Group-buy"), _("Buyer"), _("Kind"),
                         _("Base amount"), _("Rate (%)"), _("Amount")], rows)
