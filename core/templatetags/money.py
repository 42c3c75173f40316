"""Money in a community's currency: {{ amount|money:community.currency }} → "¥12.50"."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "HKD": "HK$", "TWD": "NT$", "USD": "US$", "EUR": "€", "SGD": "S$"}


@register.filter
def money(amount, currency="CNY"):
    """Two decimals (rounded half up, once, here) and the currency's sign; "" for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}" if symbol else f"{sign}{abs(value):,.2f} {currency}"
