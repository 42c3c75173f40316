from django.contrib import admin

from communities.models import Community, Invite, JoinRequest, Membership


class BranchInline(admin.TabularInline):
    model = Community
    fk_name = "parent"
    fields = ["name", "slug", "leader"]
    raw_id_fields = ["leader"]
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "join_policy", "parent", "created_at"]
    list_filter = ["kind", "join_policy"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["parent", "leader"]
    inlines = [BranchInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "role", "status", "branch", "invited_by", "joined_at"]
    list_filter = ["role", "status"]
    search_fields = ["user__display_name", "user__phone", "user__email", "community__name"]
    raw_id_fields = ["user", "community", "branch", "invited_by", "invite"]
    # Role and status changes go through the console or API so they are checked and audited.
    readonly_fields = ["role", "status"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["code", "community", "created_by", "uses_count", "max_uses", "expires_at", "revoked_at"]
    search_fields = ["code", "community__name"]
    raw_id_fields = ["community", "created_by", "branch"]


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    raw_id_fields = ["user", "community", "decided_by"]
    readonly_fields = ["status", "decided_by", "decided_at"]
