"""The audit log: who did what to whom, when (``audit_record``), and how each entry reads to an admin.

Each app registers the sentences of its own actions in its AppConfig.ready()
(``register_audit_sentences``), so core never imports the apps above it. A sentence is either a
translatable template (``%(actor)s``, ``%(target)s``, ``%(id)s`` and the entry's data keys) or a
function of the entry; an action nobody registered, or an entry whose data does not fit its
template, still reads as a sentence (``audit_sentence`` never raises).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.models import AuditLog

logger = logging.getLogger(__name__)

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


def audit_entry(*, community, actor, action: str, target_user=None, obj=None, **data) -> AuditLog:
    """An audit row, not saved yet: ``audit_record`` saves one, ``audit_record_many`` a batch."""
    return AuditLog(
        community=community,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_user=target_user,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        data=data,
    )


def audit_record(*, community, actor, action: str, target_user=None, obj=None, **data) -> AuditLog:
    entry = audit_entry(community=community, actor=actor, action=action, target_user=target_user, obj=obj, **data)
    entry.save()
    return entry


def audit_record_many(entries: list[AuditLog]) -> None:
    """Rows of ``audit_entry`` in one statement (a settlement's thousands of state changes)."""
    AuditLog.objects.bulk_create(entries)


# Sentences -------------------------------------------------------------------------------------

Sentence = Promise | str | Callable[[AuditLog], str]
_SENTENCES: dict[str, Sentence] = {}


def register_audit_sentences(sentences: dict[str, Sentence]) -> None:
    """Called by each app's ready(): how its actions read in the log (last registration wins)."""
    _SENTENCES.update(sentences)


def actor_name(entry: AuditLog) -> str:
    """Who did it; the site itself for what a periodic job did (closing rounds, expiring orders)."""
    return entry.actor.display_name if entry.actor_id and entry.actor else _("Shequn (automatic)")


def target_name(entry: AuditLog) -> str:
    return entry.target_user.display_name if entry.target_user_id and entry.target_user else _("a member")


def sentence_context(entry: AuditLog) -> dict:
    data = {key: "" if value is None else value for key, value in (entry.data or {}).items()
            if isinstance(key, str)}
    return {**data, "actor": actor_name(entry), "target": target_name(entry), "id": entry.object_id or ""}


def by_member_or_admin(by_member, by_admin, by_site):
    """A sentence that reads one way when the member did it themselves, another when an admin did
    it for them, a third when the site did (a sweep)."""

    def render(entry) -> str:
        context = sentence_context(entry)
        if not entry.actor_id:
            return str(by_site) % context
        if entry.actor_id == entry.target_user_id:
            return str(by_member) % context
        return str(by_admin) % context

    return render


def _fallback(entry: AuditLog) -> str:
    label = ACTION_LABELS.get(entry.action)
    if label is not None:
        return _("%(actor)s: %(action)s") % {"actor": actor_name(entry), "action": label}
    return _("%(actor)s: %(action)s (#%(id)s)") % {"actor": actor_name(entry), "action": entry.action,
                                                  "id": entry.object_id or "—"}


def audit_sentence(entry: AuditLog) -> str:
    """The entry in words an admin reads ("王店长 marked order #12 of 张三 paid")."""
    sentence = _SENTENCES.get(entry.action)
    if sentence is None:
        return _fallback(entry)
    try:
        if callable(sentence) and not isinstance(sentence, (str, Promise)):
            return str(sentence(entry))
        return str(sentence) % sentence_context(entry)
    except Exception:  # a row written before its data had today's keys must still be shown
        logger.warning("audit entry %s (%s) does not fit its sentence", entry.pk, entry.action, exc_info=True)
        return _fallback(entry)
