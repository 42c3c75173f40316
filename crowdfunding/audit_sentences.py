"""How crowdfunding's actions read in the audit log (registered in CrowdfundingConfig.ready)."""

from django.utils.translation import pgettext_lazy

from core.audit import by_member_or_admin, sentence_context


CHANGED_FIELDS = {
    "title": pgettext_lazy("audit log", "title"), "story": pgettext_lazy("audit log", "story"),
    "goal": pgettext_lazy("audit log", "goal"), "deadline": pgettext_lazy("audit log", "deadline"),
    "kind": pgettext_lazy("audit log", "kind"), "funding_model": pgettext_lazy("audit log", "funding model"),
    "branch": pgettext_lazy("audit log", "branch"),
}


def _campaign_changed(entry) -> str:
    context = sentence_context(entry)
    changes = (entry.data or {}).get("changes", {})
    parts = sorted({str(CHANGED_FIELDS.get(name, name)) for name in changes if not name.startswith("tier")})
    if any(name.startswith("tier") for name in changes):
        parts.append(str(pgettext_lazy("audit log", "reward tiers")))
    return str(pgettext_lazy("audit log", "%(actor)s changed campaign #%(id)s: %(what)s")) % {
        **context, "what": "、".join(parts) or "—"}


SENTENCES = {
    "campaign.created": pgettext_lazy("audit log", "%(actor)s created the campaign “%(title)s”"),
    "campaign.changed": _campaign_changed,
    "campaign.live": pgettext_lazy("audit log", "%(actor)s launched campaign #%(id)s"),
    "campaign.settling": pgettext_lazy("audit log", "Campaign #%(id)s reached its deadline with %(raised)s raised"),
    "campaign.succeeded": pgettext_lazy("audit log", "Campaign #%(id)s succeeded: %(raised)s collected"),
    "campaign.failed": pgettext_lazy("audit log", "Campaign #%(id)s failed: its pledges were refunded"),
    "campaign.cancelled": pgettext_lazy("audit log", "%(actor)s cancelled campaign #%(id)s"),
    "campaignupdate.posted": pgettext_lazy("audit log", "%(actor)s posted an update to “%(campaign)s”"),
    "pledge.paid": by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s paid pledge #%(id)s"),
        pgettext_lazy("audit log", "%(actor)s marked pledge #%(id)s of %(target)s paid"),
        pgettext_lazy("audit log", "Pledge #%(id)s of %(target)s was paid")),
    "pledge.transfer_reported": pgettext_lazy("audit log", "%(actor)s reported a transfer for pledge #%(id)s"),
    "pledge.collected": pgettext_lazy("audit log", "Pledge #%(id)s of %(target)s was collected"),
    "pledge.handed_out": pgettext_lazy("audit log", "%(actor)s handed the reward of pledge #%(id)s to %(target)s"),
    "pledge.shipped": pgettext_lazy("audit log", "%(actor)s shipped the reward of pledge #%(id)s to %(target)s"),
    "pledge.cancelled": by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s cancelled pledge #%(id)s"),
        pgettext_lazy("audit log", "%(actor)s cancelled pledge #%(id)s of %(target)s"),
        pgettext_lazy("audit log", "Pledge #%(id)s of %(target)s was released (unpaid in time)")),
    "pledge.refunded": by_member_or_admin(
        pgettext_lazy("audit log", "%(target)s cancelled pledge #%(id)s and was refunded"),
        pgettext_lazy("audit log", "%(actor)s refunded pledge #%(id)s of %(target)s"),
        pgettext_lazy("audit log", "Pledge #%(id)s of %(target)s was refunded")),
}
