"""Django admin for superusers: read-mostly.

State changes only through orders.services (locks, ledgers, audit rows), so commissions, orders
and teams are view-only here (money is in payments/admin.py, view-only too). Pickup points and
a round's wording may be corrected; a round's times, rules and items may not.
"""

from django.contrib import admin

from core.admin import ViewOnlyInline, ViewOnlyMixin
from orders.models import Commission, GroupBuy, GroupBuyItem, Order, OrderLine, PickupPoint, PriceTier, Team


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "address", "leader", "branch", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "address", "community__name"]
    raw_id_fields = ["community", "branch", "leader"]

    def has_delete_permission(self, request, obj=None):
        return False  # orders point at it (PROTECT); switch it off instead


class GroupBuyItemInline(ViewOnlyInline):
    model = GroupBuyItem
    fields = ["product", "group_price", "quantity_on_offer", "quantity_sold", "per_member_limit", "is_open"]
    readonly_fields = fields


@admin.register(GroupBuy)
class GroupBuyAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "status", "mode", "opens_at", "closes_at", "success_rule"]
    list_filter = ["status", "mode", "success_rule"]
    search_fields = ["title", "community__name"]
    date_hierarchy = "opens_at"
    raw_id_fields = ["community", "created_by"]
    inlines = [GroupBuyItemInline]
    exclude = ["branches", "pickup_points"]
    readonly_fields = ["community", "status", "mode", "team_size", "team_window_hours", "opens_at", "closes_at",
                       "expected_pickup_at", "allows_delivery", "delivery_fee", "success_rule", "success_threshold",
                       "commission_rate", "created_by", "created_at", "settled_at", "arrived_at",
                       "closing_reminder_sent_at"]

    def has_add_permission(self, request):
        return False  # rounds are created in the console (stock reservation, audit)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PriceTier)
class PriceTierAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["item", "min_quantity", "price", "community"]
    raw_id_fields = ["item", "community"]


class OrderLineInline(ViewOnlyInline):
    model = OrderLine
    fields = ["name", "unit", "unit_price", "quantity", "line_total"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "community", "group_buy", "member", "status", "fulfilment", "total", "created_at"]
    list_filter = ["status", "fulfilment"]
    search_fields = ["=id", "member__display_name", "member__phone", "group_buy__title", "community__name"]
    list_select_related = ["community", "group_buy", "member"]
    date_hierarchy = "created_at"
    raw_id_fields = ["community", "group_buy", "member", "branch", "team", "pickup_point", "charge"]
    inlines = [OrderLineInline]


@admin.register(Team)
class TeamAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "group_buy", "leader", "status", "size", "member_count", "paid_count", "expires_at"]
    list_filter = ["status"]
    search_fields = ["code", "group_buy__title"]
    list_select_related = ["group_buy", "leader"]


@admin.register(Commission)
class CommissionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "leader", "order", "community", "kind", "rate", "base_amount", "amount"]
    list_filter = ["kind"]
    search_fields = ["leader__display_name", "=order__id"]
    list_select_related = ["leader", "order", "community"]
