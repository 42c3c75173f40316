"""Django admin for superusers: read-mostly.

Money and state change only through orders.services (locks, ledgers, audit rows), so payments,
wallets, ledger lines, refunds, commissions, orders and teams are view-only here. Pickup points and
a round's wording may be corrected; a round's times, rules and items may not.
"""

from django.contrib import admin

from orders.models import (
    Commission,
    GroupBuy,
    GroupBuyItem,
    Order,
    OrderLine,
    Payment,
    PickupPoint,
    PriceTier,
    Refund,
    Team,
    Wallet,
    WalletEntry,
)


class ViewOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = False


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


class PaymentInline(ViewOnlyInline):
    model = Payment
    fields = ["method", "status", "amount", "reference", "confirmed_by", "created_at", "confirmed_at"]
    readonly_fields = fields


class RefundInline(ViewOnlyInline):
    model = Refund
    fields = ["amount", "method", "status", "reason", "created_by", "created_at", "paid_back_at"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "community", "group_buy", "member", "status", "fulfilment", "total", "paid_amount",
                    "refunded_amount", "created_at"]
    list_filter = ["status", "fulfilment"]
    search_fields = ["=id", "member__display_name", "member__phone", "group_buy__title", "community__name"]
    list_select_related = ["community", "group_buy", "member"]
    date_hierarchy = "created_at"
    raw_id_fields = ["community", "group_buy", "member", "branch", "team", "pickup_point"]
    inlines = [OrderLineInline, PaymentInline, RefundInline]


@admin.register(Payment)
class PaymentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "order", "community", "method", "status", "amount", "reference", "created_at"]
    list_filter = ["method", "status"]
    search_fields = ["=order__id", "reference"]
    list_select_related = ["order", "community"]


@admin.register(Team)
class TeamAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "group_buy", "leader", "status", "size", "member_count", "paid_count", "expires_at"]
    list_filter = ["status"]
    search_fields = ["code", "group_buy__title"]
    list_select_related = ["group_buy", "leader"]


class WalletEntryInline(ViewOnlyInline):
    model = WalletEntry
    fields = ["created_at", "kind", "amount", "balance_after", "order", "note", "created_by"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]


@admin.register(Wallet)
class WalletAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["member", "community", "balance", "currency"]
    search_fields = ["member__display_name", "member__phone", "community__name"]
    list_select_related = ["member", "community"]
    inlines = [WalletEntryInline]


@admin.register(WalletEntry)
class WalletEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "wallet", "kind", "amount", "balance_after", "key", "order"]
    list_filter = ["kind"]
    search_fields = ["key", "wallet__member__display_name"]
    list_select_related = ["wallet", "wallet__member"]


@admin.register(Refund)
class RefundAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "order", "community", "amount", "method", "status", "reason", "created_at"]
    list_filter = ["status", "method", "reason"]
    search_fields = ["=order__id", "key"]
    list_select_related = ["order", "community"]


@admin.register(Commission)
class CommissionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "leader", "order", "community", "kind", "rate", "base_amount", "amount"]
    list_filter = ["kind"]
    search_fields = ["leader__display_name", "=order__id"]
    list_select_related = ["leader", "order", "community"]
