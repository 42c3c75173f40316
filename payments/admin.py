"""Django admin for superusers: money is view-only here; it changes only through payments.services."""

from django.contrib import admin

from core.admin import ViewOnlyInline, ViewOnlyMixin
from payments.models import Charge, Payment, Refund, Wallet, WalletEntry


class PaymentInline(ViewOnlyInline):
    model = Payment
    fields = ["method", "status", "amount", "reference", "confirmed_by", "created_at", "confirmed_at"]
    readonly_fields = fields


class RefundInline(ViewOnlyInline):
    model = Refund
    fields = ["amount", "method", "status", "reason", "created_by", "created_at", "paid_back_at",
              "paid_back_reference"]
    readonly_fields = fields


@admin.register(Charge)
class ChargeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "community", "member", "purpose", "description", "amount", "paid_amount",
                    "refunded_amount", "status", "created_at"]
    list_filter = ["status", "purpose"]
    search_fields = ["=id", "description", "member__display_name", "member__phone"]
    list_select_related = ["community", "member"]
    inlines = [PaymentInline, RefundInline]


@admin.register(Payment)
class PaymentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "charge", "community", "method", "status", "amount", "reference", "created_at"]
    list_filter = ["method", "status"]
    search_fields = ["=charge__id", "reference"]
    list_select_related = ["charge", "community"]


class WalletEntryInline(ViewOnlyInline):
    model = WalletEntry
    fields = ["created_at", "kind", "amount", "balance_after", "charge", "note", "created_by"]
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
    list_display = ["created_at", "wallet", "kind", "amount", "balance_after", "key", "charge"]
    list_filter = ["kind"]
    search_fields = ["key", "wallet__member__display_name"]
    list_select_related = ["wallet", "wallet__member"]


@admin.register(Refund)
class RefundAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "charge", "community", "amount", "method", "status", "reason", "created_at", "paid_back_at"]
    list_filter = ["status", "method", "reason"]
    search_fields = ["=charge__id", "key", "paid_back_reference"]
    list_select_related = ["charge", "community"]
