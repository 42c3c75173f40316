"""Segments of a community's members that admins hand coupons to: everyone active, a branch, a
level (from lifetime points), or the lapsed (no order in the last N days, including those who
never ordered).

Each segment is one SQL query over the active memberships (an indexed EXISTS for the lapsed, a
lifetime range on ``PointsAccount`` for a level), never a Python loop over the members. Levels
live here in engagement, which is why segments do and orders does not: the console and the API
pick the members here and hand them to ``orders.coupons.coupon_batch_hand_out``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Community, Membership
from core.exceptions import ValidationFailed
from core.inputs import parse_id, parse_int
from engagement.levels import levels_of
from engagement.models import PointsAccount
from orders.coupons import MAX_HAND_OUT
from orders.models import Order

EVERYONE, BRANCH, LEVEL, LAPSED = "everyone", "branch", "level", "lapsed"
KINDS = (
    (EVERYONE, gettext_lazy("Every active member")),
    (BRANCH, gettext_lazy("A branch")),
    (LEVEL, gettext_lazy("A level")),
    (LAPSED, gettext_lazy("No order in the last N days (including members who never ordered)")),
)
MIN_DAYS, MAX_DAYS = 1, 365
MAX_LEVEL_NAME = 20


@dataclass(frozen=True)
class Segment:
    kind: str
    branch: Community | None = None
    level: str = ""
    level_min: int = 0
    level_max: int | None = None  # exclusive; None: the top level
    days: int | None = None

    def describe(self) -> str:
        """The segment in words, as the batch records it."""
        if self.kind == BRANCH:
            return _("Branch: %(name)s") % {"name": self.branch.name}
        if self.kind == LEVEL:
            return _("Level: %(name)s") % {"name": self.level}
        if self.kind == LAPSED:
            return _("No order in the last %(days)s days (including never)") % {"days": self.days}
        return _("Every active member")


def _refuse(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, code="segment_invalid", fields={field: [message]})


def segment_parse(community: Community, *, segment, branch_id=None, level=None, days=None) -> Segment:
    """A segment from what an admin sent (a form or a JSON body), or a 400 naming the field."""
    kind = segment if isinstance(segment, str) else ""
    if kind not in dict(KINDS):
        raise _refuse("segment", _("Choose everyone, a branch, a level or the lapsed."))
    if kind == BRANCH:
        number = branch_id if isinstance(branch_id, int) and not isinstance(branch_id, bool) else parse_id(branch_id)
        branch = community.active_branches().filter(pk=number).first() if number else None
        if branch is None:
            raise _refuse("branch_id", _("Choose a branch of this community."))
        return Segment(kind, branch=branch)
    if kind == LEVEL:
        name = level.strip() if isinstance(level, str) else ""
        levels = levels_of(community)
        for index, known in enumerate(levels):
            if name and known.name == name and "\x00" not in name:
                top = levels[index + 1].min_points if index + 1 < len(levels) else None
                return Segment(kind, level=known.name, level_min=known.min_points, level_max=top)
        raise _refuse("level", _("Choose one of this community's levels."))
    if kind == LAPSED:
        number = parse_int(days, minimum=MIN_DAYS, maximum=MAX_DAYS) if not isinstance(days, bool) else None
        if number is None:
            raise _refuse("days", _("Enter a number of days from %(min)s to %(max)s.") % {
                "min": MIN_DAYS, "max": MAX_DAYS})
        return Segment(kind, days=number)
    return Segment(kind)


def segment_queryset(community: Community, segment: Segment, *, now: datetime | None = None):
    """The active memberships of the segment (one query, filtered in SQL)."""
    qs = Membership.objects.filter(community_id=community.pk, status=Membership.Status.ACTIVE)
    if segment.kind == BRANCH:
        qs = qs.filter(branch_id=segment.branch.pk)
    elif segment.kind == LEVEL:
        accounts = PointsAccount.objects.filter(community_id=community.pk)
        if segment.level_min > 0:
            # A member without an account has 0 lifetime points: only the first level has them.
            reached = accounts.filter(lifetime__gte=segment.level_min)
            if segment.level_max is not None:
                reached = reached.filter(lifetime__lt=segment.level_max)
            qs = qs.filter(Exists(reached.filter(member_id=OuterRef("user_id"))))
        elif segment.level_max is not None:
            qs = qs.exclude(Exists(accounts.filter(member_id=OuterRef("user_id"), lifetime__gte=segment.level_max)))
    elif segment.kind == LAPSED:
        since = (now or timezone.now()) - timedelta(days=segment.days)
        # Orders that were cancelled (or expired unpaid) do not count as ordering.
        recent = Order.objects.filter(community_id=community.pk, member_id=OuterRef("user_id"),
                                      created_at__gte=since).exclude(status=Order.Status.CANCELLED)
        qs = qs.exclude(Exists(recent))
    return qs


def segment_count(community: Community, segment: Segment, *, now: datetime | None = None) -> int:
    """How many members the segment has now (what the console shows before confirming)."""
    return segment_queryset(community, segment, now=now).count()


def segment_member_ids(community: Community, segment: Segment, *, now: datetime | None = None) -> list[int]:
    """The user ids of the segment's members, at most ``MAX_HAND_OUT`` of them: a larger segment is
    refused (400 segment_too_large) rather than cut at an arbitrary member."""
    ids = list(segment_queryset(community, segment, now=now).order_by("user_id")
               .values_list("user_id", flat=True)[:MAX_HAND_OUT + 1])
    if len(ids) > MAX_HAND_OUT:
        message = _("This segment has more than %(max)s members: choose a smaller one.") % {"max": MAX_HAND_OUT}
        raise ValidationFailed(message, code="segment_too_large", fields={"segment": [message]})
    return ids
