"""Writes for polls: create, change, open, close early, delete; vote, change a vote, withdraw it.

Who may do what: MANAGE_POSTS (leaders and up) create polls; a leader's poll is for their branch
and a leader changes only their own polls; MODERATE (admins and up) changes anyone's. VIEW
(members) vote on the open polls they see (aimed at everyone or at their branch).

A poll is closed when its status is ``closed`` (closed early, or by the sweep once ``closes_at``
passed) or when ``closes_at`` has passed: ``is_closed`` is the one test.

Lock order: poll row → ballot row. A vote takes the poll row FOR SHARE (votes do not wait for
each other) and its ballot FOR UPDATE; closing, changing and deleting a poll take the poll FOR
NO KEY UPDATE, so a vote and a close never interleave: a vote either lands before the close or
sees the poll closed. One ballot per member is backed by the unique (poll, member) constraint:
two first votes at once make one ballot (the second waits on the index, then changes it if the
poll allows, or is refused).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, Membership
from communities.permissions import Perm, acts_community_wide, branch_in_scope, check_perm, has_perm
from core.audit import audit_record
from core.events import emit
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from core.inputs import parse_id
from core.notifications import Notice, in_language_of, notify_many
from engagement.models import Ballot, BallotChoice, Poll, PollOption

QUESTION_MAX = Poll._meta.get_field("question").max_length
DESCRIPTION_MAX = Poll._meta.get_field("description").max_length
OPTION_MAX = PollOption._meta.get_field("text").max_length
MIN_OPTIONS = 2
MAX_OPTIONS = 20

# What poll_update may change while nobody has voted (closes_at alone once someone has).
EDITABLE = ("question", "description", "options", "multiple", "max_choices", "anonymous", "results",
            "allow_change", "closes_at", "branch")


# Reading a poll's state -----------------------------------------------------------------------

def is_closed(poll: Poll, now: datetime | None = None) -> bool:
    return poll.status == Poll.Status.CLOSED or (poll.status == Poll.Status.OPEN
                                                  and poll.closes_at <= (now or timezone.now()))


def is_open(poll: Poll, now: datetime | None = None) -> bool:
    return poll.status == Poll.Status.OPEN and poll.closes_at > (now or timezone.now())


def results_visible(poll: Poll, now: datetime | None = None) -> bool:
    """Counts may be shown (to members and admins alike): always-visible polls once open, others
    only once closed. Nothing of the counts (not even the number of voters) shows before."""
    if poll.status == Poll.Status.DRAFT:
        return False
    return poll.results == Poll.Results.ALWAYS or is_closed(poll, now)


def can_see(membership: Membership, poll: Poll) -> bool:
    """A member sees a published poll of their community aimed at everyone or at their branch."""
    if poll.community_id != membership.community_id or not membership.is_active:
        return False
    if poll.status == Poll.Status.DRAFT:
        return False
    return poll.branch_id is None or poll.branch_id == membership.branch_id or acts_community_wide(membership)


def in_console_view(membership: Membership, poll: Poll) -> bool:
    """The console shows a leader the polls for everyone, for their branch, and their own."""
    if poll.community_id != membership.community_id or not has_perm(membership, Perm.MANAGE_POSTS):
        return False
    return (acts_community_wide(membership) or poll.created_by_id == membership.user_id
            or poll.branch_id is None or (membership.branch_id and poll.branch_id == membership.branch_id))


def may_manage(membership: Membership, poll: Poll) -> bool:
    return has_perm(membership, Perm.MODERATE) or (has_perm(membership, Perm.MANAGE_POSTS)
                                                   and poll.created_by_id == membership.user_id)


def _check_manager(actor: Membership, poll: Poll) -> None:
    check_perm(actor, Perm.MANAGE_POSTS)
    if not in_console_view(actor, poll):
        raise NotFound(_("This poll does not exist."), code="poll_not_found")
    if not may_manage(actor, poll):
        raise Forbidden(_("Only its author or an admin can change this poll."), code="not_author")


# Reading input -------------------------------------------------------------------------------

def _text(value, *, field: str, limit: int, required: bool, message: str = "") -> str:
    text = "" if value is None else value
    if not isinstance(text, str):
        raise ValidationFailed(_("Some fields are not valid."), fields={field: [_("Give text.")]})
    if "\x00" in text:
        raise ValidationFailed(_("The text contains a character that cannot be stored."),
                               fields={field: [_("Remove the invisible NUL character.")]})
    text = text.strip()
    if required and not text:
        raise ValidationFailed(message or _("Some fields are not valid."), fields={field: [_("Required.")]})
    if len(text) > limit:
        error = _("At most %(n)s characters.") % {"n": limit}
        raise ValidationFailed(error, fields={field: [error]})
    return text


def _options(values) -> list[str]:
    """2 to 20 options, each 1 to 100 characters, none twice (blank rows are skipped)."""
    if not isinstance(values, (list, tuple)):
        raise ValidationFailed(_("Give the options as a list."), fields={"options": [_("Give a list.")]})
    if len(values) > MAX_OPTIONS * 5:
        error = _("At most %(n)s options.") % {"n": MAX_OPTIONS}
        raise ValidationFailed(error, fields={"options": [error]})
    texts = [t for t in (_text(v, field="options", limit=OPTION_MAX, required=False) for v in values) if t]
    if len(texts) < MIN_OPTIONS:
        error = _("Give at least %(n)s options.") % {"n": MIN_OPTIONS}
        raise ValidationFailed(error, code="too_few_options", fields={"options": [error]})
    if len(texts) > MAX_OPTIONS:
        error = _("At most %(n)s options.") % {"n": MAX_OPTIONS}
        raise ValidationFailed(error, code="too_many_options", fields={"options": [error]})
    if len({t.casefold() for t in texts}) != len(texts):
        error = _("Each option can be given once.")
        raise ValidationFailed(error, code="duplicate_option", fields={"options": [error]})
    return texts


def _bool(value, *, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(_("Some fields are not valid."), fields={field: [_("Give true or false.")]})
    return value


def _closes_at(value, *, now: datetime) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValidationFailed(_("Give the closing time."), fields={"closes_at": [_("Required.")]})
    if value <= now:
        error = _("The closing time must be in the future.")
        raise ValidationFailed(error, code="closes_in_past", fields={"closes_at": [error]})
    if value.year > 9000:
        raise ValidationFailed(_("Give a real closing time."), fields={"closes_at": [_("Too far away.")]})
    return value


def _choices_rule(multiple: bool, max_choices, n_options: int) -> int | None:
    if not multiple:
        return None
    if max_choices in (None, ""):
        return None
    if isinstance(max_choices, bool) or not isinstance(max_choices, int) or not 1 <= max_choices <= n_options:
        error = _("Between 1 and the number of options (%(n)s).") % {"n": n_options}
        raise ValidationFailed(error, code="max_choices_range", fields={"max_choices": [error]})
    return max_choices


def _branch(actor: Membership, branch) -> Community | None:
    if branch is not None and (not isinstance(branch, Community) or branch.parent_id != actor.community_id):
        raise ValidationFailed(_("Choose a branch of this community."), fields={"branch": [_("Not a branch here.")]})
    return branch_in_scope(actor, branch)


def _clean(actor: Membership, *, now: datetime, **values) -> dict:
    """The poll's fields from what was given (every one of EDITABLE present)."""
    options = _options(values["options"])
    multiple = _bool(values["multiple"], field="multiple")
    return {
        "question": _text(values["question"], field="question", limit=QUESTION_MAX, required=True,
                          message=_("Ask a question.")),
        "description": _text(values["description"], field="description", limit=DESCRIPTION_MAX, required=False),
        "options": options,
        "multiple": multiple,
        "max_choices": _choices_rule(multiple, values["max_choices"], len(options)),
        "anonymous": _bool(values["anonymous"], field="anonymous"),
        "results": _result_rule(values["results"]),
        "allow_change": _bool(values["allow_change"], field="allow_change"),
        "closes_at": _closes_at(values["closes_at"], now=now),
        "branch": _branch(actor, values["branch"]),
    }


def _result_rule(value) -> str:
    if value not in Poll.Results.values:
        raise ValidationFailed(_("Choose when results are shown."), fields={"results": [_("Not a valid choice.")]})
    return value


# Create, change, open, close, delete -------------------------------------------------------

def poll_create(*, actor: Membership, question, options, closes_at, description="", multiple=False,
                max_choices=None, anonymous=True, results=Poll.Results.ALWAYS, allow_change=True,
                branch=None) -> Poll:
    """A draft poll with its options (members see it once opened). A leader's poll is for their branch."""
    check_perm(actor, Perm.MANAGE_POSTS)
    data = _clean(actor, now=timezone.now(), question=question, description=description, options=options,
                  multiple=multiple, max_choices=max_choices, anonymous=anonymous, results=results,
                  allow_change=allow_change, closes_at=closes_at, branch=branch)
    texts = data.pop("options")
    with transaction.atomic():
        poll = Poll.objects.create(community=actor.community, created_by=actor.user, **data)
        _write_options(poll, texts)
        audit_record(community=actor.community, actor=actor.user, action="poll.created", obj=poll,
                     question=poll.question)
    return poll


def _write_options(poll: Poll, texts: list[str]) -> None:
    PollOption.objects.bulk_create([PollOption(community_id=poll.community_id, poll=poll, text=text, position=i)
                                    for i, text in enumerate(texts)])


def _lock(poll_id: int) -> Poll:
    """The poll's row, FOR NO KEY UPDATE (ballots reference it: their key checks are not blocked)."""
    return Poll.objects.select_for_update(no_key=True, of=("self",)).select_related("community").get(pk=poll_id)


def _lock_shared(poll_id: int) -> Poll:
    """The poll's row FOR SHARE: votes go on side by side, a close waits for them (and they for it)."""
    table = Poll._meta.db_table
    rows = list(Poll.objects.raw(f'SELECT * FROM "{table}" WHERE "id" = %s FOR SHARE', [poll_id]))
    if not rows:
        raise NotFound(_("This poll does not exist."), code="poll_not_found")
    return rows[0]


def poll_update(*, actor: Membership, poll: Poll, **changes) -> Poll:
    """Change a poll nobody has voted on (any field of EDITABLE; ``options`` replaces them all).
    Once someone voted, only ``closes_at`` may change, and only later, while the poll is open."""
    _check_manager(actor, poll)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(_("Some fields cannot be changed."), fields={k: [_("Unknown field.")] for k in unknown})
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(poll.pk)
        if is_closed(locked, now):
            raise Conflict(_("This poll is closed: it can no longer change."), code="poll_closed")
        voted = Ballot.objects.filter(poll_id=locked.pk).exists()
        if voted:
            if set(changes) - {"closes_at"}:
                raise Conflict(_("Members have voted: only the closing time can change, and only to later."),
                               code="poll_has_votes")
            if "closes_at" in changes:
                closes_at = _closes_at(changes["closes_at"], now=now)
                if closes_at < locked.closes_at:
                    error = _("Members have voted: the closing time may only move later.")
                    raise ValidationFailed(error, code="closes_earlier", fields={"closes_at": [error]})
                old = locked.closes_at
                locked.closes_at = closes_at
                locked.save(update_fields=["closes_at", "updated_at"])
                audit_record(community=locked.community, actor=actor.user, action="poll.changed", obj=locked,
                             changes={"closes_at": [old.isoformat(), closes_at.isoformat()]})
            return locked
        current = {name: getattr(locked, name) for name in EDITABLE if name not in ("options", "branch")}
        current["branch"] = locked.branch
        current["options"] = list(locked.options.values_list("text", flat=True))
        data = _clean(actor, now=now, **{**current, **changes})
        if not acts_community_wide(actor) and "branch" not in changes:
            data["branch"] = locked.branch  # a leader's poll keeps its branch
        texts = data.pop("options")
        changed = sorted(name for name, value in data.items() if getattr(locked, name) != value)
        for name, value in data.items():
            setattr(locked, name, value)
        locked.save()
        if texts != current["options"]:
            changed.append("options")
            locked.options.all().delete()
            _write_options(locked, texts)
        if changed:
            audit_record(community=locked.community, actor=actor.user, action="poll.changed", obj=locked,
                         changes=changed)
    return locked


def poll_open(*, actor: Membership, poll: Poll) -> Poll:
    """Publish a draft: members who see it may vote until it closes."""
    _check_manager(actor, poll)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(poll.pk)
        if locked.status != Poll.Status.DRAFT:
            raise Conflict(_("This poll is already published."), code="poll_not_draft")
        if locked.closes_at <= now:
            error = _("The closing time has passed: set a later one first.")
            raise ValidationFailed(error, code="closes_in_past", fields={"closes_at": [error]})
        locked.status, locked.opened_at = Poll.Status.OPEN, now
        locked.save(update_fields=["status", "opened_at", "updated_at"])
        audit_record(community=locked.community, actor=actor.user, action="poll.opened", obj=locked,
                     question=locked.question)
    return locked


def poll_close(*, actor: Membership, poll: Poll) -> Poll:
    """Close an open poll early; its voters are told the results."""
    _check_manager(actor, poll)
    with transaction.atomic():
        locked = _lock(poll.pk)
        now = timezone.now()  # after the lock: votes that went first are older than the close
        if locked.status == Poll.Status.DRAFT:
            raise Conflict(_("A draft cannot be closed: delete it instead."), code="poll_not_open")
        if is_closed(locked, now):
            raise Conflict(_("This poll is already closed."), code="poll_closed")
        _close(locked, actor=actor.user, at=now)
    return locked


def _close(poll: Poll, *, actor, at: datetime) -> None:
    """Mark a locked poll closed, with its audit row, and tell its voters (each once)."""
    poll.status, poll.closed_at = Poll.Status.CLOSED, at
    poll.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(community=poll.community, actor=actor, action="poll.closed", obj=poll, question=poll.question)
    notices = []
    voters = Ballot.objects.filter(poll_id=poll.pk).select_related("member")
    for ballot in voters:
        with in_language_of(ballot.member):
            notices.append(Notice(
                recipient=ballot.member, community=poll.community, kind="poll_closed",
                title=_("Poll closed: %(question)s") % {"question": poll.question[:150]},
                body=_("See how everyone voted."), url=poll.get_absolute_url(),
                dedupe_key=f"poll_closed:{poll.pk}:{ballot.member_id}"))
    notify_many(notices)


def poll_close_due(*, poll_id: int, now: datetime) -> bool:
    """The sweep's close of a poll whose closing time passed (False when not due any more)."""
    locked = _lock(poll_id)
    if locked.status != Poll.Status.OPEN or locked.closes_at > now:
        return False
    _close(locked, actor=None, at=locked.closes_at)
    return True


def poll_delete(*, actor: Membership, poll: Poll) -> None:
    """Delete a draft, or a poll nobody has voted on."""
    _check_manager(actor, poll)
    with transaction.atomic():
        locked = _lock(poll.pk)
        if locked.status != Poll.Status.DRAFT and Ballot.objects.filter(poll_id=locked.pk).exists():
            raise Conflict(_("Members have voted on this poll: close it instead."), code="poll_has_votes")
        audit_record(community=locked.community, actor=actor.user, action="poll.deleted", obj=locked,
                     question=locked.question)
        locked.delete()


# Voting ----------------------------------------------------------------------------------------

def _option_ids(poll: Poll, option_ids) -> list[int]:
    """The chosen options: ids of this poll's options, each once, as many as the poll allows."""
    if not isinstance(option_ids, (list, tuple)) or not option_ids:
        raise ValidationFailed(_("Choose an option."), code="no_choice", fields={"option_ids": [_("Required.")]})
    if len(option_ids) > MAX_OPTIONS:
        error = _("Too many choices.")
        raise ValidationFailed(error, code="too_many_choices", fields={"option_ids": [error]})
    ids = []
    for value in option_ids:
        number = parse_id(value) if not isinstance(value, bool) else None
        if number is None:
            raise ValidationFailed(_("Choose among the poll's options."), code="unknown_option",
                                   fields={"option_ids": [_("Not an option id.")]})
        ids.append(number)
    if len(set(ids)) != len(ids):
        raise ValidationFailed(_("Each option can be chosen once."), code="duplicate_choice",
                               fields={"option_ids": [_("An option is chosen twice.")]})
    if not poll.multiple and len(ids) != 1:
        error = _("Choose exactly one option.")
        raise ValidationFailed(error, code="too_many_choices", fields={"option_ids": [error]})
    if poll.multiple and poll.max_choices and len(ids) > poll.max_choices:
        error = _("Choose at most %(n)s options.") % {"n": poll.max_choices}
        raise ValidationFailed(error, code="too_many_choices", fields={"option_ids": [error]})
    known = set(PollOption.objects.filter(poll_id=poll.pk, pk__in=ids).values_list("pk", flat=True))
    if known != set(ids):
        raise ValidationFailed(_("Choose among the poll's options."), code="unknown_option",
                               fields={"option_ids": [_("Not an option of this poll.")]})
    return ids


def _check_voter(member: Membership, poll: Poll) -> None:
    check_perm(member, Perm.VIEW)
    if not can_see(member, poll):
        raise NotFound(_("This poll does not exist."), code="poll_not_found")


def _check_open(poll: Poll, now: datetime) -> None:
    if not is_open(poll, now):
        raise Conflict(_("This poll is closed: votes are no longer taken."), code="poll_closed")


def poll_vote(*, member: Membership, poll: Poll, option_ids) -> Ballot:
    """Vote, or change one's vote where the poll allows it (the choices are replaced under the
    ballot's row lock). One ballot per member, whatever the races."""
    _check_voter(member, poll)
    now = timezone.now()
    _check_open(poll, now)
    ids = _option_ids(poll, option_ids)
    with transaction.atomic():
        locked = _lock_shared(poll.pk)
        _check_open(locked, timezone.now())
        ballot = Ballot.objects.select_for_update().filter(poll_id=poll.pk, member_id=member.user_id).first()
        created = False
        if ballot is None:
            try:
                with transaction.atomic():
                    ballot = Ballot.objects.create(community_id=poll.community_id, poll_id=poll.pk,
                                                   member_id=member.user_id)
                created = True
            except IntegrityError:
                # Another vote of the same member won the race: change that one (if allowed).
                ballot = Ballot.objects.select_for_update().get(poll_id=poll.pk, member_id=member.user_id)
        if not created:
            if not locked.allow_change:
                raise Conflict(_("You have voted already; this poll does not allow changing a vote."),
                               code="already_voted")
            BallotChoice.objects.filter(ballot_id=ballot.pk).delete()
            ballot.save(update_fields=["updated_at"])
        BallotChoice.objects.bulk_create([BallotChoice(community_id=poll.community_id, poll_id=poll.pk,
                                                       ballot_id=ballot.pk, option_id=i) for i in ids])
        if created:
            emit("poll.voted", community_id=poll.community_id, poll_id=poll.pk, member_id=member.user_id)
    return ballot


def poll_vote_withdraw(*, member: Membership, poll: Poll) -> None:
    """Take one's vote back, while the poll is open and allows changing votes."""
    _check_voter(member, poll)
    _check_open(poll, timezone.now())
    if not poll.allow_change:
        raise Conflict(_("This poll does not allow changing a vote."), code="change_not_allowed")
    with transaction.atomic():
        locked = _lock_shared(poll.pk)
        _check_open(locked, timezone.now())
        ballot = Ballot.objects.select_for_update().filter(poll_id=poll.pk, member_id=member.user_id).first()
        if ballot is None:
            raise Conflict(_("You have not voted on this poll."), code="not_voted")
        ballot.delete()
