from decimal import Decimal

from django import template

register = template.Library()

SYMBOLS = {"CNY": "¥", "HKD": "HK$", "TWD": "NT$", "USD": "$", "EUR": "€", "SGD": "S$"}


@register.filter
def money(amount, currency="CNY"):
    """12.5 → '¥12.50' in the community's currency."""
    if amount in (None, ""):
        amount = Decimal("0")
    return f"{SYMBOLS.get(currency, currency + ' ')}{Decimal(amount):,.2f}"
