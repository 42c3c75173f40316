"""What a community's home page shows beyond the community itself.

communities knows nothing of selling: the apps above it (orders today; campaigns and events next)
register a function here in their AppConfig.ready(), and the home page adds what each returns to
its template context.
"""

from __future__ import annotations

from collections.abc import Callable

from communities.models import Membership

_SECTIONS: list[Callable[[Membership], dict]] = []


def register_home_section(section: Callable[[Membership], dict]) -> None:
    if section not in _SECTIONS:
        _SECTIONS.append(section)


def home_sections(membership: Membership) -> dict:
    context: dict = {}
    for section in _SECTIONS:
        context.update(section(membership))
    return context
