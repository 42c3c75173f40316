"""How the selling actions read in the audit log (registered in OrdersConfig.ready)."""

from django.utils.translation import pgettext_lazy

from core.audit import sentence_context


def _by_member_or_admin(by_member, by_admin, by_site):
    """One sentence when the member did it themselves, another when an admin did, a third for the site."""

    def render(entry) -> str:
        context = sentence_context(entry)
        if not entry.actor_id:
            return str(by_site) % context
        if entry.actor_id == entry.target_user_id:
            return str(by_member) % context
        return str(by_admin) % context

    return render


SENTENCES = {
    "groupbuy.created": pgettext_lazy("audit log", "%(actor)s created the group-buy “%(title)s”"),
    "groupbuy.scheduled": pgettext_lazy("audit log", "%(actor)s published group-buy #%(id)s (opens later)"),
    "groupbuy.open": pgettext_lazy("audit log", "%(actor)s opened group-buy #%(id)s"),
    "groupbuy.closed": pgettext_lazy("audit log", "Group-buy #%(id)s closed"),
    "groupbuy.succeeded": pgettext_lazy("audit log", "Group-buy #%(id)s succeeded"),
    "groupbuy.failed": pgettext_lazy("audit log", "Group-buy #%(id)s failed: its orders were refunded"),
    "groupbuy.fulfilled": pgettext_lazy("audit log", "Every order of group-buy #%(id)s was handed over"),
    "groupbuy.cancelled": pgettext_lazy("audit log", "%(actor)s cancelled group-buy #%(id)s"),
    "order.paid": _by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s paid order #%(id)s"),
        pgettext_lazy("audit log", "%(actor)s marked order #%(id)s of %(target)s paid"),
        pgettext_lazy("audit log", "Order #%(id)s of %(target)s was paid")),
    "order.transfer_reported": pgettext_lazy("audit log", "%(actor)s reported a transfer for order #%(id)s"),
    "order.confirmed": pgettext_lazy("audit log", "Order #%(id)s of %(target)s was confirmed"),
    "order.ready": pgettext_lazy("audit log", "%(actor)s marked the goods of order #%(id)s arrived"),
    "order.shipped": pgettext_lazy("audit log", "%(actor)s shipped order #%(id)s to %(target)s"),
    "order.completed": pgettext_lazy("audit log", "%(actor)s handed order #%(id)s over to %(target)s"),
    "order.cancelled": _by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s cancelled order #%(id)s"),
        pgettext_lazy("audit log", "%(actor)s cancelled order #%(id)s of %(target)s"),
        pgettext_lazy("audit log", "Order #%(id)s of %(target)s was cancelled (unpaid in time or the round failed)")),
    "order.refunded": pgettext_lazy("audit log", "%(actor)s refunded order #%(id)s of %(target)s"),
    "team.succeeded": pgettext_lazy("audit log", "Team #%(id)s filled up"),
    "team.failed": pgettext_lazy("audit log", "Team #%(id)s did not fill in time"),
}
