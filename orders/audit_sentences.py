"""How the selling actions read in the audit log (registered in OrdersConfig.ready)."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import pgettext_lazy

from core.audit import by_member_or_admin, sentence_context


# What a change to a round names, field by field (the service records {field: [old, new]}).
CHANGED_FIELDS = {
    "title": pgettext_lazy("audit log", "title"), "description": pgettext_lazy("audit log", "description"),
    "mode": pgettext_lazy("audit log", "mode"), "team_size": pgettext_lazy("audit log", "team size"),
    "team_window_hours": pgettext_lazy("audit log", "team window"),
    "opens_at": pgettext_lazy("audit log", "opening time"), "closes_at": pgettext_lazy("audit log", "closing time"),
    "expected_pickup_at": pgettext_lazy("audit log", "pickup time"),
    "pickup_point_ids": pgettext_lazy("audit log", "pickup points"),
    "allows_delivery": pgettext_lazy("audit log", "delivery"), "delivery_fee": pgettext_lazy("audit log", "delivery fee"),
    "success_rule": pgettext_lazy("audit log", "success rule"),
    "success_threshold": pgettext_lazy("audit log", "threshold"),
    "commission_rate": pgettext_lazy("audit log", "commission rate"),
    "branch_ids": pgettext_lazy("audit log", "branches"),
}
# Shown with their old and new values; the rest by name only.
SHOWN_WITH_VALUES = {"closes_at", "opens_at", "expected_pickup_at", "delivery_fee", "success_threshold", "team_size"}


def _shown_value(name, value) -> str:
    if value in (None, ""):
        return "—"
    if name.endswith("_at"):
        try:
            return timezone.localtime(datetime.fromisoformat(value)).strftime("%m-%d %H:%M")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _round_changed(entry) -> str:
    context = sentence_context(entry)
    parts = []
    for name, values in sorted((entry.data or {}).get("changes", {}).items()):
        label = str(CHANGED_FIELDS.get(name, name))
        if name in SHOWN_WITH_VALUES and isinstance(values, list) and len(values) == 2:
            label += f" {_shown_value(name, values[0])} → {_shown_value(name, values[1])}"
        parts.append(label)
    if (entry.data or {}).get("items_changed"):
        parts.append(str(pgettext_lazy("audit log", "items")))
    return str(pgettext_lazy("audit log", "%(actor)s changed group-buy #%(id)s: %(what)s")) % {
        **context, "what": "、".join(parts) or "—"}


SENTENCES = {
    "groupbuy.changed": _round_changed,
    "groupbuy.copied": pgettext_lazy("audit log", "%(actor)s copied group-buy #%(source)s into the draft #%(id)s"),
    "groupbuy.created": pgettext_lazy("audit log", "%(actor)s created the group-buy “%(title)s”"),
    "groupbuy.scheduled": pgettext_lazy("audit log", "%(actor)s published group-buy #%(id)s (opens later)"),
    "groupbuy.open": pgettext_lazy("audit log", "%(actor)s opened group-buy #%(id)s"),
    "groupbuy.closed": pgettext_lazy("audit log", "Group-buy #%(id)s closed"),
    "groupbuy.succeeded": pgettext_lazy("audit log", "Group-buy #%(id)s succeeded"),
    "groupbuy.failed": pgettext_lazy("audit log", "Group-buy #%(id)s failed: its orders were refunded"),
    "groupbuy.fulfilled": pgettext_lazy("audit log", "Every order of group-buy #%(id)s was handed over"),
    "groupbuy.cancelled": pgettext_lazy("audit log", "%(actor)s cancelled group-buy #%(id)s"),
    "order.paid": by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s paid order #%(id)s"),
        pgettext_lazy("audit log", "%(actor)s marked order #%(id)s of %(target)s paid"),
        pgettext_lazy("audit log", "Order #%(id)s of %(target)s was paid")),
    "order.transfer_reported": pgettext_lazy("audit log", "%(actor)s reported a transfer for order #%(id)s"),
    "order.confirmed": pgettext_lazy("audit log", "Order #%(id)s of %(target)s was confirmed"),
    "order.ready": pgettext_lazy("audit log", "%(actor)s marked the goods of order #%(id)s arrived"),
    "order.shipped": pgettext_lazy("audit log", "%(actor)s shipped order #%(id)s to %(target)s"),
    "order.completed": pgettext_lazy("audit log", "%(actor)s handed order #%(id)s over to %(target)s"),
    "order.cancelled": by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s cancelled order #%(id)s"),
        pgettext_lazy("audit log", "%(actor)s cancelled order #%(id)s of %(target)s"),
        pgettext_lazy("audit log", "Order #%(id)s of %(target)s was cancelled (unpaid in time or the round failed)")),
    "order.refunded": pgettext_lazy("audit log", "%(actor)s refunded order #%(id)s of %(target)s"),
    "team.succeeded": pgettext_lazy("audit log", "Team #%(id)s filled up"),
    "team.failed": pgettext_lazy("audit log", "Team #%(id)s did not fill in time"),
}
