from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminPasswordChangeForm
from accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["display_name", "phone", "email", "is_staff", "date_joined"]
    search_fields = ["display_name", "phone", "email"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = [
        (None, {"fields": ["phone", "email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["phone", "email", "display_name", "password1", "password2"]})]
    # Through accounts.services.user_set_password: a new password revokes the user's API tokens.
    change_password_form = AdminPasswordChangeForm


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be looked at and revoked (deleted) here; only their owner sees a key, once."""

    list_display = ["user", "name", "created_at", "last_used_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["user__display_name", "user__phone", "user__email", "name"]
    readonly_fields = ["user", "name", "created_at", "last_used_at", "expires_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False
