"""Numbers typed by people (query strings, form fields), read safely.

``str.isdigit()`` is True for "²" and "٣", but ``int("²")`` raises and ``int("٣")`` is 3: user
input goes through these helpers instead, which accept ASCII digits only and the columns' ranges,
and answer None for anything else (the caller decides whether that means "no filter" or 404).
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1  # bigint primary keys
MAX_INT = 2**31 - 1  # integer columns

_INTEGER = re.compile(r"[+-]?[0-9]{1,20}", re.ASCII)


def parse_int(value, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """``value`` (an int, or a string of ASCII digits with an optional sign) within the bounds, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def parse_id(value) -> int | None:
    """A primary key from user input (1 to the bigint maximum), else None."""
    return parse_int(value, minimum=1, maximum=MAX_ID)
