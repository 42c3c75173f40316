"""Levels from lifetime points (community-named thresholds) and badges for milestones.

Levels are the community's own (the console sets them; until it does, three default ones).
Badges are read from what the member did (orders completed, events attended, the longest
check-in streak), so they cannot drift from the facts; a handful of indexed counts per page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Membership
from communities.permissions import Perm, check_perm
from core.audit import audit_record
from core.exceptions import ValidationFailed
from core.inputs import parse_int
from engagement.models import RSVP, DailyCheckIn, LoyaltyLevel

MAX_LEVELS = 10
MAX_POINTS = 100_000_000
DEFAULT_LEVELS = ((gettext_lazy("Newcomer"), 0), (gettext_lazy("Fan"), 500), (gettext_lazy("Core member"), 2000))


@dataclass
class Level:
    name: str
    min_points: int


def levels_of(community) -> list[Level]:
    rows = list(LoyaltyLevel.objects.filter(community_id=community.pk).order_by("min_points"))
    if rows:
        return [Level(r.name, r.min_points) for r in rows]
    return [Level(str(name), points) for name, points in DEFAULT_LEVELS]


def level_for(lifetime: int, levels: list[Level]) -> tuple[Level, Level | None]:
    """(the level reached, the next one or None at the top)."""
    current, following = levels[0], None
    for level in levels:
        if lifetime >= level.min_points:
            current = level
        elif following is None:
            following = level
    return current, following


def levels_set(*, actor: Membership, levels: list[tuple[str, object]]) -> list[Level]:
    """Replace the community's levels: 1–10 of them, the first from 0 points, names of 1–20
    characters, thresholds rising."""
    check_perm(actor, Perm.MANAGE_SETTINGS)
    errors, cleaned = [], []
    if not 1 <= len(levels) <= MAX_LEVELS:
        errors.append(_("Give between 1 and %(n)s levels.") % {"n": MAX_LEVELS})
    for position, (name, points) in enumerate(levels[:MAX_LEVELS]):
        name = str(name or "").replace("\x00", "").strip()
        number = parse_int(points, minimum=0, maximum=MAX_POINTS)
        if not name or len(name) > 20:
            errors.append(_("Level %(n)s: a name of 1 to 20 characters.") % {"n": position + 1})
        if number is None:
            errors.append(_("Level %(n)s: points as a whole number from 0.") % {"n": position + 1})
        cleaned.append((name, number))
    if not errors:
        if cleaned[0][1] != 0:
            errors.append(_("The first level starts at 0 points."))
        if any(b[1] <= a[1] for a, b in zip(cleaned, cleaned[1:])):
            errors.append(_("Each level needs more points than the one before."))
        if len({name for name, _points in cleaned}) != len(cleaned):
            errors.append(_("Each level needs its own name."))
    if errors:
        raise ValidationFailed(errors[0], fields={"levels": errors})
    with transaction.atomic():
        LoyaltyLevel.objects.filter(community_id=actor.community_id).delete()
        LoyaltyLevel.objects.bulk_create([LoyaltyLevel(community_id=actor.community_id, name=name, min_points=points)
                                          for name, points in cleaned])
        audit_record(community=actor.community, actor=actor.user, action="levels.changed",
                     levels=[f"{name} {points}" for name, points in cleaned])
    return [Level(name, points) for name, points in cleaned]


# Badges ------------------------------------------------------------------------------------------

BADGES = (
    ("first_order", gettext_lazy("First order")),
    ("tenth_order", gettext_lazy("Ten orders")),
    ("event_regular", gettext_lazy("Event regular (5 events)")),
    ("streak_30", gettext_lazy("30-day check-in streak")),
)


def badges_of(membership: Membership) -> list[dict]:
    """Every badge with whether the member has earned it (three indexed counts)."""
    from orders.models import Order

    orders = Order.objects.filter(community_id=membership.community_id, member_id=membership.user_id,
                                  status=Order.Status.COMPLETED).count()
    attended = RSVP.objects.filter(community_id=membership.community_id, member_id=membership.user_id,
                                   checked_in_at__isnull=False).count()
    streak = DailyCheckIn.objects.filter(community_id=membership.community_id,
                                         member_id=membership.user_id).aggregate(best=Max("streak"))["best"] or 0
    earned = {"first_order": orders >= 1, "tenth_order": orders >= 10, "event_regular": attended >= 5,
              "streak_30": streak >= 30}
    return [{"code": code, "name": str(name), "earned": earned[code]} for code, name in BADGES]
