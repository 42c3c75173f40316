"""How the communities' actions read in the audit log (registered in CommunitiesConfig.ready)."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core.audit import actor_name, target_name


def _role(value) -> str:
    from communities.models import Role

    return str(Role(value).label) if value in Role.values else str(value or "—")


def _role_changed(entry) -> str:
    data = entry.data or {}
    return _("%(actor)s made %(target)s %(to)s (was %(from)s)") % {
        "actor": actor_name(entry), "target": target_name(entry), "to": _role(data.get("to")),
        "from": _role(data.get("from"))}


def _branch_moved(entry) -> str:
    data = entry.data or {}
    if data.get("to"):
        return _("%(actor)s moved %(target)s to the branch %(to)s") % {
            "actor": actor_name(entry), "target": target_name(entry), "to": data["to"]}
    return _("%(actor)s took %(target)s out of the branch %(from)s") % {
        "actor": actor_name(entry), "target": target_name(entry), "from": data.get("from") or "—"}


def _field_label(name: str) -> str:
    from communities.models import Community

    try:
        return str(Community._meta.get_field(name).verbose_name)
    except Exception:
        return name


def _settings_changed(entry) -> str:
    data = entry.data or {}
    changes = data.get("changes")
    actor = actor_name(entry)
    if not isinstance(changes, dict) or not changes:
        names = ", ".join(_field_label(name) for name in data.get("changed") or [])
        return _("%(actor)s changed the settings (%(fields)s)") % {"actor": actor, "fields": names or "—"}
    parts = []
    for name, values in sorted(changes.items()):
        old, new = (list(values) + ["", ""])[:2] if isinstance(values, (list, tuple)) else ("", values)
        if name == "payment_window_minutes":
            parts.append(_("the payment window from %(old)s to %(new)s minutes") % {"old": old, "new": new})
        elif name in ("cover", "payment_qr") or len(str(old)) > 40 or len(str(new)) > 40:
            parts.append(_("the %(field)s") % {"field": _field_label(name)})
        else:
            parts.append(_("the %(field)s from “%(old)s” to “%(new)s”") % {
                "field": _field_label(name), "old": old, "new": new})
    return _("%(actor)s changed %(changes)s") % {"actor": actor, "changes": _("; ").join(parts)}


SENTENCES = {
    "community.created": pgettext_lazy("audit log", "%(actor)s created the community"),
    "community.updated": _settings_changed,
    "branch.created": pgettext_lazy("audit log", "%(actor)s created the branch “%(name)s”"),
    "branch.updated": pgettext_lazy("audit log", "%(actor)s changed the branch “%(name)s”"),
    "branch.retired": pgettext_lazy("audit log", "%(actor)s retired the branch “%(name)s”"),
    "branch.restored": pgettext_lazy("audit log", "%(actor)s put the branch “%(name)s” back in use"),
    "invite.created": pgettext_lazy("audit log", "%(actor)s created an invite link"),
    "invite.revoked": pgettext_lazy("audit log", "%(actor)s revoked an invite link"),
    "membership.joined": pgettext_lazy("audit log", "%(actor)s joined"),
    "membership.left": pgettext_lazy("audit log", "%(actor)s left"),
    "membership.role_changed": _role_changed,
    "membership.branch_moved": _branch_moved,
    "membership.banned": pgettext_lazy("audit log", "%(actor)s banned %(target)s"),
    "membership.unbanned": pgettext_lazy("audit log", "%(actor)s lifted the ban on %(target)s"),
    "join_request.approved": pgettext_lazy("audit log", "%(actor)s let %(target)s in"),
    "join_request.declined": pgettext_lazy("audit log", "%(actor)s declined %(target)s’s request to join"),
    "join_request.withdrawn": pgettext_lazy("audit log", "%(actor)s withdrew their request to join"),
}
