"""Superusers' view of partner shops: suspend a partner (is_active), look at keys and deliveries.
Keys are made in the partner console (shown once); the admin never shows a key or a secret."""

from django.contrib import admin

from partners.models import ApiKey, Connection, Partner, PartnerStaff, WebhookDelivery, WebhookEndpoint


class StaffInline(admin.TabularInline):
    model = PartnerStaff
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "contact_email", "contact_phone", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "contact_email", "contact_phone"]
    inlines = [StaffInline]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["partner", "community", "status", "review_products", "updated_at"]
    list_filter = ["status"]
    search_fields = ["partner__name", "community__name", "community__slug"]
    raw_id_fields = ["partner", "community", "supplier", "requested_by", "decided_by"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "key_id", "scopes", "last_used_at", "expires_at", "revoked_at"]
    search_fields = ["name", "key_id", "partner__name"]
    readonly_fields = ["partner", "key_id", "scopes", "community_ids", "created_by", "created_at", "last_used_at"]
    exclude = ["key_hash"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "partner", "is_active", "consecutive_failures", "disabled_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "partner__name"]
    exclude = ["secret", "previous_secret"]
    raw_id_fields = ["partner"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "partner", "endpoint", "status", "attempts", "response_status", "last_attempt_at"]
    list_filter = ["status"]
    raw_id_fields = ["event", "endpoint", "partner", "community"]
    readonly_fields = ["attempts", "response_status", "response_body", "error", "duration_ms", "delivered_at"]
