from django.utils.translation import pgettext_lazy

from core.models import AuditLog

# What each action code reads as in the console's audit log.
ACTION_LABELS = {
    "community.created": pgettext_lazy("audit log", "created the community"),
    "community.updated": pgettext_lazy("audit log", "changed the settings"),
    "branch.created": pgettext_lazy("audit log", "created a branch"),
    "branch.updated": pgettext_lazy("audit log", "changed a branch"),
    "invite.created": pgettext_lazy("audit log", "created an invite link"),
    "invite.revoked": pgettext_lazy("audit log", "revoked an invite link"),
    "membership.joined": pgettext_lazy("audit log", "joined"),
    "membership.left": pgettext_lazy("audit log", "left"),
    "membership.role_changed": pgettext_lazy("audit log", "changed a role"),
    "membership.branch_moved": pgettext_lazy("audit log", "moved to a branch"),
    "membership.banned": pgettext_lazy("audit log", "banned"),
    "membership.unbanned": pgettext_lazy("audit log", "lifted a ban"),
    "join_request.approved": pgettext_lazy("audit log", "approved a join request"),
    "join_request.declined": pgettext_lazy("audit log", "declined a join request"),
}


def audit_record(*, community, actor, action: str, target_user=None, obj=None, **data) -> AuditLog:
    return AuditLog.objects.create(
        community=community,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_user=target_user,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        data=data,
    )
