"""The orders lists' filters (core.filters: django-filter, 400 on a bad value).

Each view starts from the rows the caller may see (a leader: their branch's) and only then filters:
a filter narrows what the caller sees, it never widens it.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.exceptions import ValidationFailed
from core.filters import (BooleanFilter, ChoiceFilter, DecimalFilter, IdFilter, OrderingFilter, SearchFilter,
                          SyncFilterSet)
from core.money import MAX_AMOUNT
from orders import selectors, services
from orders.addresses import place_sort_key
from orders.models import Commission, GroupBuy, Order, PickupPoint
from payments.models import Refund, Wallet


class OrderFilter(SyncFilterSet):
    """A member's own orders."""

    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    group_buy = IdFilter(field_name="group_buy_id", label=_("A group-buy (round) id"))
    ordering = OrderingFilter(fields=(("created_at", "created_at"), ("updated_at", "updated_at")),
                              label=_("created_at or updated_at; a leading - reverses (default: newest first)"))

    class Meta:
        model = Order
        fields = []


class RefundFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=Refund.Status.choices, default=Refund.Status.TO_PAY_BACK,
                          label=_("Default: refunds still to pay back"))
    group_buy = IdFilter(field_name="charge__order__group_buy_id", label=_("A group-buy (round) id"))
    member = IdFilter(field_name="charge__member_id", label=_("A user id"))

    class Meta:
        model = Refund
        fields = []


BY_BUILDING = "building"
BY_BUILDING_MAX = 5000


class AdminOrderOrderingFilter(OrderingFilter):
    """The columns, plus ``building``: sorted here, in Python, after the other filters (see by_building)."""

    def build_choices(self, fields, labels):
        return [*super().build_choices(fields, labels), (BY_BUILDING, _("Building"))]

    def filter(self, qs, value):
        return qs if value and BY_BUILDING in value else super().filter(qs, value)


class AdminOrderFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        ordering = data.get("ordering") or []
        if BY_BUILDING in ordering:
            if len(ordering) > 1:
                self.add_error("ordering", _("Sorting by building cannot be combined with another order."))
            elif data.get("pickup_point") is None:
                self.add_error("ordering", _("Sorting by building needs a pickup_point."))
        return data


class AdminOrderFilter(SyncFilterSet):
    group_buy = IdFilter(field_name="group_buy_id", label=_("A group-buy (round) id"))
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    pickup_point = IdFilter(field_name="pickup_point_id", label=_("A pickup point id"))
    branch = IdFilter(field_name="branch_id", label=_("The buyer's branch (a community id)"))
    member = IdFilter(field_name="member_id", label=_("The buyer's user id"))
    paid = BooleanFilter(method="by_paid", label=_(
        "true: paid (and not refunded or cancelled since); false: awaiting payment"))
    open_rounds = BooleanFilter(method="in_open_rounds", label=_(
        "true: only orders to collect in the rounds still running (open, closed, succeeded), "
        "cancelled and refunded ones left out: a pickup point's list"))
    ordering = AdminOrderOrderingFilter(
        fields=(("created_at", "created_at"), ("total", "total"), ("updated_at", "updated_at")),
        label=_("created_at, total or updated_at, a leading - reverses (default: -created_at); or building: by "
                "building, unit and room read from the delivery address or the member's note "
                "(“3栋2单元1502”, “3-2-1502”, “Block 3 Unit 2”), unreadable ones last; needs pickup_point"))

    class Meta:
        model = Order
        fields = []
        form = AdminOrderFilterForm

    def by_paid(self, queryset, name, value):
        if value:
            return queryset.filter(status__in=services.PAID_STATUSES)
        return queryset.filter(status=Order.Status.PENDING_PAYMENT)

    def in_open_rounds(self, queryset, name, value):
        return selectors.orders_in_open_rounds(queryset) if value else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if BY_BUILDING in (self.form.cleaned_data.get("ordering") or []):
            return by_building(queryset)
        return queryset


def by_building(orders) -> "_LazyRows":
    """The orders sorted by the building read from their text (PostgreSQL cannot read it): the ids
    and texts of one pickup point's orders are sorted here, and only the page asked for is loaded."""
    rows = list(orders.order_by("created_at", "id").values_list("pk", "delivery_address", "note")[:BY_BUILDING_MAX + 1])
    if len(rows) > BY_BUILDING_MAX:
        raise ValidationFailed(_("Too many orders to sort by building: add open_rounds=true or a group_buy."),
                               code="too_many_to_sort", fields={"ordering": [_("Narrow the list first.")]})
    ids = [pk for pk, _address, _note in sorted(rows, key=lambda row: place_sort_key(row[1] or row[2]))]
    return _LazyRows(orders, ids)


class _LazyRows:
    """A sorted list of order ids that loads only the slice a page asks for (in that order)."""

    def __init__(self, orders, ids):
        self.orders, self.ids = orders, ids

    def __len__(self):
        return len(self.ids)

    def count(self):
        return len(self.ids)

    def __getitem__(self, index):
        ids = self.ids[index]
        if not isinstance(index, slice):
            return self.orders.get(pk=ids)
        by_id = {order.pk: order for order in self.orders.filter(pk__in=ids)}
        return [by_id[pk] for pk in ids if pk in by_id]


class WalletFilter(django_filters.FilterSet):
    q = SearchFilter(lookups=("member__display_name__icontains", "member__phone__icontains"), max_length=100,
                     label=_("Part of the member's name or phone number"))
    min_balance = DecimalFilter(field_name="balance", lookup_expr="gte", max_digits=12, decimal_places=2,
                                min_value=Decimal("0"), max_value=MAX_AMOUNT, label=_("Only balances of at least this"))
    ordering = OrderingFilter(fields=(("member__display_name", "name"), ("balance", "balance")),
                              label=_("name or balance; a leading - reverses (default: name)"))

    class Meta:
        model = Wallet
        fields = []


class CommissionFilter(django_filters.FilterSet):
    leader = IdFilter(field_name="leader_id", label=_(
        "A leader's user id (admins; a leader sees only their own)"))

    class Meta:
        model = Commission
        fields = []


class AdminGroupBuyFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=GroupBuy.Status.choices,
                                         label=_("Only rounds in this state (drafts included)"))

    class Meta:
        model = GroupBuy
        fields = []


class PickupPointFilter(django_filters.FilterSet):
    is_active = BooleanFilter(field_name="is_active", label=_("true: in use; false: retired"))
    branch = IdFilter(field_name="branch_id", label=_("A branch id"))

    class Meta:
        model = PickupPoint
        fields = []
