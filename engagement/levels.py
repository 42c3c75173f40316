"""Levels from lifetime points (community-named thresholds) and badges for milestones.

Levels are the community's own (the console sets them; until it does, three default ones).
Badges are read from what the member did (orders completed, events attended, a 30-day check-in
streak, friends invited whose referral was rewarded), so they cannot drift from the facts; a
handful of indexed counts per page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Membership
from communities.permissions import Perm, check_perm
from core.audit import audit_record
from core.exceptions import ValidationFailed
from core.inputs import parse_int
from engagement.models import RSVP, DailyCheckIn, LoyaltyLevel, PointsAccount, Referral

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


def has_own_levels(community) -> bool:
    """Whether the community named its levels (else the defaults apply)."""
    return LoyaltyLevel.objects.filter(community_id=community.pk).exists()


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
    check_perm(actor, Perm.MANAGE_LOYALTY)
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


def members_per_level(community, levels: list[Level]) -> list[tuple[Level, int]]:
    """How many active members are at each level now, from their lifetime points (members with no
    points yet are at the first level): one query, whatever the number of levels."""
    lifetime = Subquery(PointsAccount.objects.filter(community_id=community.pk, member_id=OuterRef("user_id"))
                        .values("lifetime")[:1])
    counts = {}
    for position, level in enumerate(levels):
        below = levels[position + 1].min_points if position + 1 < len(levels) else None
        conditions = [Q(points__gte=level.min_points)] if position else []  # the first level takes everyone below
        if below is not None:
            conditions.append(Q(points__lt=below))
        counts[f"level_{position}"] = Count("pk", filter=Q(*conditions)) if conditions else Count("pk")
    if not counts:
        return []
    row = (Membership.objects.filter(community_id=community.pk, status=Membership.Status.ACTIVE)
           .annotate(points=Coalesce(lifetime, 0)).aggregate(**counts))
    return [(level, row[f"level_{position}"]) for position, level in enumerate(levels)]


# Badges ------------------------------------------------------------------------------------------

TOP_REFERRER_AT = 3  # rewarded referrals (a lasting badge, not "the most this month", which would come and go)
STREAK_BADGE_DAYS = 30

BADGES = (
    ("first_order", gettext_lazy("First order")),
    ("tenth_order", gettext_lazy("Ten orders")),
    ("event_regular", gettext_lazy("Event regular (5 events)")),
    ("top_referrer", gettext_lazy("Top referrer (3 friends invited who ordered)")),
    ("streak_30", gettext_lazy("30-day check-in streak")),
)


def badges_of(membership: Membership) -> list[dict]:
    """Every badge with whether the member has earned it: four small indexed reads (completed
    orders, attended events, a 30-day streak ever reached, rewarded referrals)."""
    from orders.models import Order

    community_id, member_id = membership.community_id, membership.user_id
    orders = (Order.objects.filter(community_id=community_id, member_id=member_id, status=Order.Status.COMPLETED)
              .values("pk")[:10].count())
    attended = (RSVP.objects.filter(community_id=community_id, member_id=member_id, checked_in_at__isnull=False)
                .values("pk")[:5].count())
    streak = DailyCheckIn.objects.filter(community_id=community_id, member_id=member_id,
                                         streak__gte=STREAK_BADGE_DAYS).exists()
    referred = (Referral.objects.filter(community_id=community_id, referrer_id=member_id,
                                        status=Referral.Status.REWARDED).values("pk")[:TOP_REFERRER_AT].count())
    earned = {"first_order": orders >= 1, "tenth_order": orders >= 10, "event_regular": attended >= 5,
              "top_referrer": referred >= TOP_REFERRER_AT, "streak_30": streak}
    return [{"code": code, "name": str(name), "earned": earned[code]} for code, name in BADGES]
