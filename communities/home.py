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


# What each branch offers beside its name (its pickup points: orders knows them), for the page
# where a member chooses their branch. A function takes the parent community and returns
# {branch id: [lines of text]}.
_BRANCH_DETAILS: list[Callable] = []


def register_branch_details(details: Callable) -> None:
    if details not in _BRANCH_DETAILS:
        _BRANCH_DETAILS.append(details)


def branch_details(community) -> dict[int, list]:
    merged: dict[int, list] = {}
    for details in _BRANCH_DETAILS:
        for branch_id, lines in details(community).items():
            merged.setdefault(branch_id, []).extend(lines)
    return merged
