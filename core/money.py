"""Money is Decimal, rounded once, here: to the cent, half up. Amounts fit numeric(12, 2)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.exceptions import ValidationFailed

CENT = Decimal("0.01")
# numeric(12, 2) holds up to 9,999,999,999.99; a single amount entered by a person stays well below,
# so that sums of a few of them (a balance, a round's total) still fit the column.
MAX_AMOUNT = Decimal("1000000.00")


def money(value) -> Decimal:
    """The one place amounts are rounded: to the cent, half up."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(value, *, field: str, maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """An amount a person typed: the digits 0-9 (Decimal would read "１２" or "٣" too; the site refuses
    them everywhere), at most two decimals, not negative, at most ``maximum``."""
    text = str(value).strip()
    if not text.isascii():
        raise ValidationFailed(_("Type the amount with the digits 0 to 9."),
                               fields={field: [_("Type the amount with the digits 0 to 9.")]})
    if not re.fullmatch(r"-?[0-9]*\.?[0-9]*", text):  # no exponents ("1e3"), NaN or Infinity
        raise ValidationFailed(_("Enter an amount such as 12.50."), fields={field: [_("Not an amount.")]})
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Enter an amount such as 12.50."), fields={field: [_("Not an amount.")]})
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise ValidationFailed(_("Enter an amount of at most two decimals, not negative."),
                               fields={field: [_("Not a valid amount.")]})
    if amount > maximum:
        raise ValidationFailed(_("The amount can be at most %(max)s.") % {"max": maximum},
                               fields={field: [_("Too large.")]})
    return amount
