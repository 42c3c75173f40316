"""How the payments' actions read in the audit log (registered in PaymentsConfig.ready)."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import pgettext_lazy

from core.audit import sentence_context


def _with_money(template):
    """The template with ``amount`` shown as money (¥12.50), whatever string the entry holds."""

    def render(entry) -> str:
        context = sentence_context(entry)
        try:
            context["amount"] = f"{Decimal(str(context['amount'])).quantize(Decimal('0.01'))}"
        except (KeyError, InvalidOperation):
            pass
        return str(template) % context

    return render


SENTENCES = {
    "wallet.top_up": _with_money(pgettext_lazy("audit log", "%(actor)s recorded a top-up of ¥%(amount)s for %(target)s")),
    "payment.declined": _with_money(pgettext_lazy(
        "audit log", "%(actor)s marked the transfer of ¥%(amount)s from %(target)s not received")),
    "refund.paid_back": _with_money(pgettext_lazy("audit log", "%(actor)s paid ¥%(amount)s back to %(target)s")),
}
