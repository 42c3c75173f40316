"""The catalog lists' filters (core.filters: django-filter, 400 on a bad value)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Product, Supplier
from core.filters import BooleanFilter, IdOrNoneFilter, OrderingFilter, SearchFilter, SyncFilterSet


class ProductFilter(SyncFilterSet):
    q = SearchFilter(lookups=("name__icontains", "description__icontains", "unit__iexact"), max_length=100,
                     label=_("Part of the name or description"))
    category = IdOrNoneFilter(field_name="category", label=_('A category id, or "none" for products without one'))
    supplier = IdOrNoneFilter(field_name="supplier", label=_('A supplier id, or "none" for products without one'))
    active = BooleanFilter(field_name="is_active", label=_(
        "Catalog managers only: on sale (true) or off sale (false). Members always see products on sale only."))
    ordering = OrderingFilter(fields=(("name", "name"), ("updated_at", "updated_at"),
                                                     ("list_price", "list_price")),
                                             label=_("name, updated_at or list_price; a leading - reverses"))

    class Meta:
        model = Product
        fields = []


class CategoryFilter(SyncFilterSet):
    ordering = OrderingFilter(fields=(("position", "position"), ("name", "name"),
                                                     ("updated_at", "updated_at")),
                                             label=_("position, name or updated_at; a leading - reverses"))

    class Meta:
        model = Category
        fields = []


class SupplierFilter(SyncFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=80,
                                  label=_("Part of the name"))
    ordering = OrderingFilter(fields=(("name", "name"), ("updated_at", "updated_at")),
                                             label=_("name or updated_at; a leading - reverses"))

    class Meta:
        model = Supplier
        fields = []
