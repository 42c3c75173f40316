"""Reads of the catalog, always starting from the community (the tenant)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from catalog.models import Category, Product, ProductImage, Supplier
from communities.models import Community
from core.inputs import parse_id


def _id(value) -> int | None:
    """An id from a filter value (int, digit string, or a row); None when empty or not an id."""
    if value is None or value == "":
        return None
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    pk = parse_id(str(value))
    return -1 if pk is None else pk


def product_list(community: Community, *, q: str = "", category=None, supplier=None,
                 active: bool | None = None) -> QuerySet[Product]:
    """The community's products with category, supplier and photos loaded (a fixed number of queries).

    ``category`` / ``supplier``: an id (or row); "none" lists the products without one.
    ``active``: True on sale only, False off sale only, None both.
    """
    qs = community.products.select_related("category", "supplier").prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q) | Q(unit__iexact=q))
    for field, value in (("category", category), ("supplier", supplier)):
        if value == "none":
            qs = qs.filter(**{f"{field}__isnull": True})
        elif (pk := _id(value)) is not None:
            qs = qs.filter(**{f"{field}_id": pk})
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("name", "id")


def category_list(community: Community, *, on_sale_only: bool = False) -> QuerySet[Category]:
    """Categories with their product counts (only products on sale when ``on_sale_only``)."""
    counted = Q(products__is_active=True) if on_sale_only else None
    return community.categories.annotate(product_count=Count("products", filter=counted)).order_by("position", "name")


def supplier_list(community: Community) -> QuerySet[Supplier]:
    return community.suppliers.annotate(product_count=Count("products")).order_by("name")
