from core.models import AuditLog


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
