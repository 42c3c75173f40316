"""How the split-bill collections' actions read in the audit log (registered in CrowdfundingConfig.ready)."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import pgettext_lazy

from core.audit import sentence_context


def _with_money(template, *keys):
    """The template with the money keys shown with two decimals, whatever string the entry holds."""

    def render(entry) -> str:
        context = sentence_context(entry)
        for key in keys:
            try:
                context[key] = f"{Decimal(str(context[key])).quantize(Decimal('0.01'))}"
            except (KeyError, InvalidOperation):
                pass
        return str(template) % context

    return render


def _closed(entry) -> str:
    context = sentence_context(entry)
    if context.get("outcome") == "refunded":
        template = pgettext_lazy("audit log", "%(actor)s closed the collection “%(title)s” early and refunded it")
    else:
        template = pgettext_lazy("audit log", "%(actor)s closed the collection “%(title)s” early, keeping what was paid")
    return str(template) % context


SENTENCES = {
    "collection.created": _with_money(pgettext_lazy(
        "audit log", "%(actor)s started the collection “%(title)s”: ¥%(total)s among %(participants)s people"),
        "total"),
    "collection.share_paid": _with_money(pgettext_lazy(
        "audit log", "%(paid_by)s paid the share of %(target)s (¥%(amount)s) in “%(title)s”"), "amount"),
    "collection.completed": _with_money(pgettext_lazy(
        "audit log", "Everyone paid the collection “%(title)s” (¥%(total)s)"), "total"),
    "collection.closed": _closed,
}
