"""Template helpers for the catalog: money in the community's currency."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "HKD": "HK$", "TWD": "NT$", "USD": "US$", "EUR": "€", "SGD": "S$"}


@register.filter
def money(amount, currency="CNY"):
    """12.5, "CNY" → "¥12.50": two decimals (rounded half up, once, here) and the currency's sign."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}" if symbol else f"{sign}{abs(value):,.2f} {currency}"
