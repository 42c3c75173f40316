"""Reads for polls: what a member sees, the console's lists, results (only where they may show).

Results are read only through ``results``, which answers None while they are hidden (a poll
showing results after closing, not closed yet): pages and API have nothing to leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.permissions import Perm, acts_community_wide, has_perm
from core.exceptions import NotFound
from engagement import polls as services
from engagement.models import Ballot, BallotChoice, Poll

NAMES_PER_OPTION = 200  # named polls: voters listed under each option, at most


def _not_found() -> NotFound:
    return NotFound(_("This poll does not exist."), code="poll_not_found")


def _with_my_ballot(qs: QuerySet, membership: Membership) -> QuerySet:
    now = timezone.now()
    return qs.annotate(
        voted=Exists(Ballot.objects.filter(poll_id=OuterRef("pk"), member_id=membership.user_id)),
        open_now=Case(When(status=Poll.Status.OPEN, closes_at__gt=now, then=Value(True)), default=Value(False),
                      output_field=BooleanField()))


def polls_for_member(membership: Membership) -> QuerySet:
    """Published polls of the member's community aimed at everyone or their branch: open ones
    first (closing soonest first), then closed ones (latest first). Each has ``voted``, ``open_now``."""
    qs = membership.community.polls.exclude(status=Poll.Status.DRAFT)
    if not acts_community_wide(membership):
        qs = qs.filter(Q(branch__isnull=True) | Q(branch_id=membership.branch_id))
    return _with_my_ballot(qs, membership).order_by("-open_now", Case(
        When(open_now=True, then="closes_at"), default=None), "-closes_at", "-pk")


def poll_for_member(membership: Membership, pk) -> Poll:
    poll = polls_for_member(membership).select_related("community").filter(pk=pk).first()
    if poll is None:
        raise _not_found()
    return poll


def open_polls_for_home(membership: Membership, *, limit: int = 3) -> list[Poll]:
    """Up to ``limit`` open polls the member sees, those not voted on yet first."""
    return list(polls_for_member(membership).filter(open_now=True).select_related("community")
                .order_by("voted", "closes_at", "pk")[:limit])


def polls_for_console(membership: Membership) -> QuerySet:
    """Polls in the console: every one for owners and admins; a leader's own and those for the
    whole community or their branch (the rest do not exist for them)."""
    if not has_perm(membership, Perm.MANAGE_POSTS):
        return Poll.objects.none()
    qs = membership.community.polls.all()
    if not acts_community_wide(membership):
        visible = Q(branch__isnull=True) | Q(created_by_id=membership.user_id)
        if membership.branch_id:
            visible |= Q(branch_id=membership.branch_id)
        qs = qs.filter(visible)
    return qs.select_related("community", "branch", "created_by").annotate(turnout=Count("ballots"))


def poll_for_console(membership: Membership, pk) -> Poll:
    poll = polls_for_console(membership).filter(pk=pk).first()
    if poll is None:
        raise _not_found()
    return poll


@dataclass
class OptionResult:
    option_id: int
    text: str
    count: int
    percent: int
    voters: list | None = None  # named polls: the users who chose it; None for anonymous polls


@dataclass
class Results:
    voters: int
    options: list[OptionResult] = field(default_factory=list)


def results(poll: Poll, *, now=None) -> Results | None:
    """Counts per option (in the options' own order, never by count) and the number of voters,
    with who chose what on named polls; None while the results are hidden."""
    if not services.results_visible(poll, now):
        return None
    options = list(poll.options.all())
    counts = dict(BallotChoice.objects.filter(poll_id=poll.pk).values("option_id")
                  .annotate(n=Count("pk")).values_list("option_id", "n"))
    voters = Ballot.objects.filter(poll_id=poll.pk).count()
    names: dict[int, list] = {}
    if not poll.anonymous:
        for choice in (BallotChoice.objects.filter(poll_id=poll.pk).select_related("ballot__member")
                       .order_by("option_id", "ballot__created_at", "pk")):
            listed = names.setdefault(choice.option_id, [])
            if len(listed) < NAMES_PER_OPTION:
                listed.append(choice.ballot.member)
    return Results(voters=voters, options=[
        OptionResult(option_id=o.pk, text=o.text, count=counts.get(o.pk, 0),
                     percent=round(counts.get(o.pk, 0) * 100 / voters) if voters else 0,
                     voters=None if poll.anonymous else names.get(o.pk, []))
        for o in options])


def turnout(poll: Poll) -> int:
    """How many members voted: for the console's admins only, shown even while results are hidden."""
    value = getattr(poll, "turnout", None)
    return value if value is not None else Ballot.objects.filter(poll_id=poll.pk).count()


def my_choices(poll: Poll, membership: Membership) -> list[int]:
    return list(BallotChoice.objects.filter(poll_id=poll.pk, ballot__member_id=membership.user_id)
                .order_by("option__position", "option_id").values_list("option_id", flat=True))


def my_choices_many(polls: list[Poll], membership: Membership) -> dict[int, list[int]]:
    mine: dict[int, list[int]] = {p.pk: [] for p in polls}
    for poll_id, option_id in (BallotChoice.objects.filter(poll_id__in=list(mine), ballot__member_id=membership.user_id)
                               .order_by("option__position", "option_id").values_list("poll_id", "option_id")):
        mine[poll_id].append(option_id)
    return mine
