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
    "join_request.withdrawn": pgettext_lazy("audit log", "withdrew a join request"),
    "product.created": pgettext_lazy("audit log", "added a product"),
    "product.updated": pgettext_lazy("audit log", "changed a product"),
    "category.created": pgettext_lazy("audit log", "added a category"),
    "category.updated": pgettext_lazy("audit log", "changed a category"),
    "category.deleted": pgettext_lazy("audit log", "deleted a category"),
    "supplier.created": pgettext_lazy("audit log", "added a supplier"),
    "supplier.updated": pgettext_lazy("audit log", "changed a supplier"),
    "supplier.deleted": pgettext_lazy("audit log", "deleted a supplier"),
    "groupbuy.created": pgettext_lazy("audit log", "created a group-buy"),
    "groupbuy.scheduled": pgettext_lazy("audit log", "scheduled a group-buy"),
    "groupbuy.open": pgettext_lazy("audit log", "opened a group-buy"),
    "groupbuy.closed": pgettext_lazy("audit log", "closed a group-buy"),
    "groupbuy.succeeded": pgettext_lazy("audit log", "group-buy succeeded"),
    "groupbuy.failed": pgettext_lazy("audit log", "group-buy failed"),
    "groupbuy.fulfilled": pgettext_lazy("audit log", "group-buy fulfilled"),
    "groupbuy.cancelled": pgettext_lazy("audit log", "cancelled a group-buy"),
    "order.paid": pgettext_lazy("audit log", "order paid"),
    "order.confirmed": pgettext_lazy("audit log", "order confirmed"),
    "order.ready": pgettext_lazy("audit log", "order ready for pickup"),
    "order.shipped": pgettext_lazy("audit log", "order shipped"),
    "order.completed": pgettext_lazy("audit log", "order completed"),
    "order.cancelled": pgettext_lazy("audit log", "order cancelled"),
    "order.refunded": pgettext_lazy("audit log", "order refunded"),
    "team.succeeded": pgettext_lazy("audit log", "team succeeded"),
    "team.failed": pgettext_lazy("audit log", "team failed"),
    "wallet.top_up": pgettext_lazy("audit log", "recorded a top-up"),
    "order.transfer_reported": pgettext_lazy("audit log", "reported a transfer"),
    "payment.declined": pgettext_lazy("audit log", "marked a transfer not received"),
    "refund.paid_back": pgettext_lazy("audit log", "paid a refund back"),
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
