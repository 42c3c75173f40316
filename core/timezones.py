"""Timezone names in the reader's language: "北京时间（上海）" rather than "Asia/Shanghai".

Python ships no localised zone names (that would take Babel/CLDR for a handful of strings), so the
zones communities here actually pick are named below, translatably; any other zone reads as its
IANA name with spaces ("America/Port of Spain").
"""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

NAMES = {
    "Asia/Shanghai": _("China time (Shanghai)"),
    "Asia/Urumqi": _("Xinjiang time (Urumqi)"),
    "Asia/Hong_Kong": _("Hong Kong time"),
    "Asia/Macau": _("Macau time"),
    "Asia/Taipei": _("Taipei time"),
    "Asia/Singapore": _("Singapore time"),
    "Asia/Kuala_Lumpur": _("Malaysia time (Kuala Lumpur)"),
    "Asia/Bangkok": _("Thailand time (Bangkok)"),
    "Asia/Tokyo": _("Japan time (Tokyo)"),
    "Asia/Seoul": _("Korea time (Seoul)"),
    "Europe/London": _("UK time (London)"),
    "Europe/Paris": _("Central European time (Paris)"),
    "Europe/Berlin": _("Central European time (Berlin)"),
    "America/New_York": _("US Eastern time (New York)"),
    "America/Los_Angeles": _("US Pacific time (Los Angeles)"),
    "America/Toronto": _("Eastern time (Toronto)"),
    "America/Vancouver": _("Pacific time (Vancouver)"),
    "Australia/Sydney": _("Australian Eastern time (Sydney)"),
    "Australia/Melbourne": _("Australian Eastern time (Melbourne)"),
    "Pacific/Auckland": _("New Zealand time (Auckland)"),
}


def timezone_name(zone: str) -> str:
    """The zone's name in the active language."""
    name = NAMES.get(zone)
    return str(name) if name is not None else (zone or "").replace("_", " ")


timezone_name_lazy = lazy(timezone_name, str)


def timezone_choices(zones) -> list[tuple[str, str]]:
    """Form choices for ``zones`` labelled in the reader's language, the named ones first."""
    named = [(zone, timezone_name_lazy(zone)) for zone in NAMES if zone in set(zones)]
    return named + [(zone, timezone_name_lazy(zone)) for zone in zones if zone not in NAMES]
