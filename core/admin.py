from django.contrib import admin

from core.models import AuditLog, Notification, SweepFailure


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "community", "actor", "action", "target_user"]
    list_filter = ["action"]
    raw_id_fields = ["community", "actor", "target_user"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at", "email_attempts",
                    "email_failed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "community"]


@admin.register(SweepFailure)
class SweepFailureAdmin(admin.ModelAdmin):
    """Rows periodic jobs keep failing on, across communities (for the site's operators)."""

    list_display = ["job", "object_id", "community", "attempts", "last_failed_at", "next_try_at"]
    list_filter = ["job"]
    raw_id_fields = ["community"]
    readonly_fields = ["job", "object_id", "community", "object_repr", "object_url", "attempts", "last_error",
                       "first_failed_at", "last_failed_at"]


class ViewOnlyMixin:
    """Rows that change only through services (locks, ledgers, audit rows): superusers look, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = False
