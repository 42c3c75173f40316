"""How long a campaign has left, in words a phone screen fits: "3 days left", "5 hours left"."""

from django import template
from django.utils import timezone
from django.utils.translation import ngettext

from core.templatetags.money import CURRENCY_SYMBOLS

register = template.Library()


@register.filter
def time_left(deadline, now=None) -> str:
    """Whole days from two days out, hours under that, minutes in the last hour; "" once passed."""
    if deadline is None:
        return ""
    seconds = int((deadline - (now or timezone.now())).total_seconds())
    if seconds <= 0:
        return ""
    if seconds >= 2 * 86400:
        days = seconds // 86400
        return ngettext("%(n)s day left", "%(n)s days left", days) % {"n": days}
    if seconds >= 3600:
        hours = seconds // 3600
        return ngettext("%(n)s hour left", "%(n)s hours left", hours) % {"n": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(n)s minute left", "%(n)s minutes left", minutes) % {"n": minutes}


@register.filter
def percent_width(percent) -> int:
    """A progress bar's width: the percent, capped at 100 (a campaign may raise 250%)."""
    try:
        return max(0, min(int(percent), 100))
    except (TypeError, ValueError):
        return 0


@register.filter
def money_symbol(currency) -> str:
    """The sign shown before an amount field: "¥" for CNY (the currency's code when it has none)."""
    return CURRENCY_SYMBOLS.get(currency, currency or "")
