"""Poll services: the rules of creating, changing, opening, closing and deleting polls, and of voting."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from communities.models import Role
from core.audit import audit_sentence
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from core.models import AuditLog, DomainEvent, Notification
from core.sweeps import sweep_run
from engagement import poll_selectors as selectors
from engagement import polls as services
from engagement.models import Ballot, BallotChoice, Poll
from tests.branches import fresh, make_branch
from tests.factories import CommunityFactory, MembershipFactory


def later(hours=24):
    return timezone.now() + timedelta(hours=hours)


def make_poll(actor, *, open_it=True, options=("Tea", "Coffee", "Juice"), **kwargs):
    kwargs.setdefault("closes_at", later())
    poll = services.poll_create(actor=actor, question=kwargs.pop("question", "What shall we drink?"),
                                options=list(options), **kwargs)
    if open_it:
        poll = services.poll_open(actor=actor, poll=poll)
    return Poll.objects.select_related("community").get(pk=poll.pk)


def option_ids(poll, *texts):
    by_text = dict(poll.options.values_list("text", "pk"))
    return [by_text[t] for t in texts]


def new_member(community, role=Role.MEMBER, **kwargs):
    created = MembershipFactory(community=community, role=role, **kwargs)
    return fresh(created)


def vote(member, poll, *texts):
    return services.poll_vote(member=member, poll=Poll.objects.get(pk=poll.pk), option_ids=option_ids(poll, *texts))


# Creating -------------------------------------------------------------------------------------

def test_a_leader_creates_a_draft_members_do_not_see_until_opened(community, leader, member):
    poll = make_poll(leader, open_it=False)
    assert poll.status == Poll.Status.DRAFT
    assert list(poll.options.values_list("text", flat=True)) == ["Tea", "Coffee", "Juice"]
    assert not selectors.polls_for_member(member).exists()
    with pytest.raises(NotFound):
        vote(member, poll, "Tea")
    services.poll_open(actor=leader, poll=poll)
    assert selectors.polls_for_member(member).get().pk == poll.pk


def test_a_plain_member_cannot_create_a_poll(community, member):
    with pytest.raises(Forbidden):
        make_poll(member)


@pytest.mark.parametrize("options, code", [
    (["Only one"], "too_few_options"),
    (["", "  ", "One"], "too_few_options"),
    ([f"Option {i}" for i in range(21)], "too_many_options"),
    (["Tea", "tea"], "duplicate_option"),
    (["x" * 101, "Tea"], None),
    (["Tea\x00", "Coffee"], None),
    ("Tea, Coffee", None),
    ([1, 2], None),
])
def test_bad_options_are_refused(community, admin_member, options, code):
    with pytest.raises(ValidationFailed) as error:
        services.poll_create(actor=admin_member, question="Q?", options=options, closes_at=later())
    assert "options" in error.value.fields
    if code:
        assert error.value.code == code
    assert not Poll.objects.exists()


def test_bad_fields_are_refused(community, admin_member):
    base = {"question": "Q?", "options": ["A", "B", "C"], "closes_at": later()}
    cases = [
        ({"question": ""}, "question"), ({"question": "q" * 201}, "question"), ({"question": "Q\x00"}, "question"),
        ({"description": "d" * 1001}, "description"), ({"closes_at": timezone.now() - timedelta(minutes=1)}, "closes_at"),
        ({"closes_at": None}, "closes_at"), ({"multiple": True, "max_choices": 4}, "max_choices"),
        ({"multiple": True, "max_choices": 0}, "max_choices"), ({"multiple": "yes"}, "multiple"),
        ({"results": "sometimes"}, "results"),
    ]
    for change, field in cases:
        with pytest.raises(ValidationFailed) as error:
            services.poll_create(actor=admin_member, **{**base, **change})
        assert field in error.value.fields, (change, error.value.fields)
    assert not Poll.objects.exists()


def test_a_leaders_poll_is_for_their_branch_and_only_theirs(community, owner, leader):
    other = make_branch(owner, "East")
    branch = make_branch(owner, "West", leader=leader)
    poll = make_poll(fresh(leader))
    assert poll.branch_id == branch.pk
    with pytest.raises(ValidationFailed) as error:
        make_poll(fresh(leader), branch=other)
    assert "branch" in error.value.fields


# Who sees and who changes -------------------------------------------------------------------

def test_branch_polls_are_seen_by_that_branch_and_the_admins_only(community, owner, admin_member, leader, member):
    west = make_branch(owner, "West", members=[member])
    outsider_member = new_member(community)
    poll = make_poll(owner, branch=west)
    assert selectors.polls_for_member(fresh(member)).filter(pk=poll.pk).exists()
    assert selectors.polls_for_member(fresh(admin_member)).filter(pk=poll.pk).exists()
    assert not selectors.polls_for_member(outsider_member).filter(pk=poll.pk).exists()
    with pytest.raises(NotFound):
        vote(outsider_member, poll, "Tea")
    # A leader of another branch does not see it in the console either.
    east_leader = new_member(community, Role.LEADER)
    make_branch(owner, "East", leader=east_leader)
    with pytest.raises(NotFound):
        selectors.poll_for_console(fresh(east_leader), poll.pk)
    with pytest.raises(NotFound):
        services.poll_close(actor=fresh(east_leader), poll=poll)


def test_another_communitys_poll_does_not_exist(community, owner):
    elsewhere = CommunityFactory()
    their_owner = new_member(elsewhere, Role.OWNER)
    poll = make_poll(their_owner)
    with pytest.raises(NotFound):
        vote(fresh(owner), poll, "Tea")
    with pytest.raises(NotFound):
        services.poll_close(actor=fresh(owner), poll=poll)
    with pytest.raises(NotFound):
        selectors.poll_for_member(fresh(owner), poll.pk)


def test_a_leader_changes_only_their_own_polls_admins_anyones(community, owner, admin_member, leader):
    mine = make_poll(leader)
    theirs = make_poll(owner)
    other_leader = new_member(community, Role.LEADER)
    with pytest.raises(Forbidden):
        services.poll_close(actor=other_leader, poll=mine)
    with pytest.raises(Forbidden):
        services.poll_close(actor=leader, poll=theirs)
    services.poll_close(actor=admin_member, poll=mine)
    assert Poll.objects.get(pk=mine.pk).status == Poll.Status.CLOSED


# Voting ---------------------------------------------------------------------------------------

def test_single_choice_takes_exactly_one_option(community, owner, member):
    poll = make_poll(owner)
    with pytest.raises(ValidationFailed) as error:
        vote(member, poll, "Tea", "Coffee")
    assert error.value.code == "too_many_choices"
    with pytest.raises(ValidationFailed):
        services.poll_vote(member=member, poll=poll, option_ids=[])
    vote(member, poll, "Coffee")
    assert list(BallotChoice.objects.values_list("option__text", flat=True)) == ["Coffee"]


def test_multiple_choice_takes_up_to_max_choices(community, owner, member):
    poll = make_poll(owner, multiple=True, max_choices=2)
    with pytest.raises(ValidationFailed) as error:
        vote(member, poll, "Tea", "Coffee", "Juice")
    assert error.value.code == "too_many_choices"
    vote(member, poll, "Tea", "Juice")
    assert sorted(BallotChoice.objects.values_list("option__text", flat=True)) == ["Juice", "Tea"]


@pytest.mark.parametrize("bad", [["٣"], ["1\x00"], [2**70], [True], ["abc"], [None], [0], [-1]])
def test_option_ids_that_are_not_ids_are_refused(community, owner, member, bad):
    poll = make_poll(owner)
    with pytest.raises(ValidationFailed) as error:
        services.poll_vote(member=member, poll=poll, option_ids=bad)
    assert error.value.code == "unknown_option"
    assert not Ballot.objects.exists()


def test_another_polls_option_is_refused(community, owner, member):
    poll = make_poll(owner)
    other = make_poll(owner, question="Another?")
    with pytest.raises(ValidationFailed) as error:
        services.poll_vote(member=member, poll=poll, option_ids=option_ids(other, "Tea"))
    assert error.value.code == "unknown_option"
    assert not Ballot.objects.exists()


def test_changing_a_vote_replaces_its_choices_when_allowed(community, owner, member):
    poll = make_poll(owner)
    vote(member, poll, "Tea")
    vote(member, poll, "Juice")
    assert Ballot.objects.count() == 1
    assert list(BallotChoice.objects.values_list("option__text", flat=True)) == ["Juice"]
    # One "poll.voted" domain event: the first vote only.
    assert DomainEvent.objects.filter(name="poll.voted").count() == 1


def test_a_vote_is_final_when_the_poll_says_so(community, owner, member):
    poll = make_poll(owner, allow_change=False)
    vote(member, poll, "Tea")
    with pytest.raises(Conflict) as error:
        vote(member, poll, "Juice")
    assert error.value.code == "already_voted"
    with pytest.raises(Conflict):
        services.poll_vote_withdraw(member=member, poll=poll)
    assert list(BallotChoice.objects.values_list("option__text", flat=True)) == ["Tea"]


def test_withdrawing_a_vote(community, owner, member):
    poll = make_poll(owner)
    vote(member, poll, "Tea")
    services.poll_vote_withdraw(member=member, poll=poll)
    assert not Ballot.objects.exists() and not BallotChoice.objects.exists()
    with pytest.raises(Conflict) as error:
        services.poll_vote_withdraw(member=member, poll=poll)
    assert error.value.code == "not_voted"


def test_closed_polls_take_no_votes(community, owner, member, admin_member):
    poll = make_poll(owner)
    vote(admin_member, poll, "Tea")
    services.poll_close(actor=owner, poll=poll)
    with pytest.raises(Conflict) as error:
        vote(member, poll, "Tea")
    assert error.value.code == "poll_closed"
    with pytest.raises(Conflict):
        services.poll_vote_withdraw(member=admin_member, poll=poll)
    # A poll whose closing time passed is closed too, before any sweep ran.
    passing = make_poll(owner, question="Soon?", closes_at=later(1))
    with time_machine.travel(later(2)):
        with pytest.raises(Conflict):
            vote(member, passing, "Tea")
        assert services.is_closed(Poll.objects.get(pk=passing.pk))


# Changing, deleting, closing ------------------------------------------------------------------

def test_a_poll_changes_freely_until_someone_votes(community, owner, member):
    poll = make_poll(owner)
    services.poll_update(actor=owner, poll=poll, question="Tea or coffee?", options=["Tea", "Coffee"])
    poll.refresh_from_db()
    assert poll.question == "Tea or coffee?" and poll.options.count() == 2
    vote(member, poll, "Tea")
    with pytest.raises(Conflict) as error:
        services.poll_update(actor=owner, poll=poll, question="Changed?")
    assert error.value.code == "poll_has_votes"
    with pytest.raises(ValidationFailed):
        services.poll_update(actor=owner, poll=poll, closes_at=poll.closes_at - timedelta(hours=1))
    services.poll_update(actor=owner, poll=poll, closes_at=poll.closes_at + timedelta(days=1))
    assert Poll.objects.get(pk=poll.pk).closes_at > poll.closes_at
    assert list(BallotChoice.objects.values_list("option__text", flat=True)) == ["Tea"]


def test_delete_only_drafts_or_polls_without_votes(community, owner, member):
    draft = make_poll(owner, open_it=False)
    services.poll_delete(actor=owner, poll=draft)
    voted = make_poll(owner)
    vote(member, voted, "Tea")
    with pytest.raises(Conflict):
        services.poll_delete(actor=owner, poll=voted)
    assert Poll.objects.filter(pk=voted.pk).exists()
    actions = list(AuditLog.objects.filter(object_type="poll").values_list("action", flat=True))
    assert "poll.deleted" in actions and "poll.opened" in actions
    entry = AuditLog.objects.get(action="poll.deleted")
    assert "What shall we drink?" in audit_sentence(entry)


def test_closing_early_tells_the_voters_once(community, owner, member, admin_member):
    poll = make_poll(owner)
    vote(member, poll, "Tea")
    vote(admin_member, poll, "Coffee")
    services.poll_close(actor=owner, poll=poll)
    notices = Notification.objects.filter(kind="poll_closed")
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted([member.user_id, admin_member.user_id])
    with pytest.raises(Conflict):
        services.poll_close(actor=owner, poll=poll)
    assert Notification.objects.filter(kind="poll_closed").count() == 2


def test_the_sweep_closes_polls_whose_time_passed_and_tells_voters_once(community, owner, member):
    poll = make_poll(owner, closes_at=later(1))
    vote(member, poll, "Tea")
    with time_machine.travel(later(2)):
        sweep_run("engagement.poll_results")
        sweep_run("engagement.poll_results")
    poll.refresh_from_db()
    assert poll.status == Poll.Status.CLOSED and poll.closed_at == poll.closes_at
    assert Notification.objects.filter(kind="poll_closed", recipient=member.user).count() == 1
    assert AuditLog.objects.filter(action="poll.closed", object_id=poll.pk, actor__isnull=True).count() == 1


# Results --------------------------------------------------------------------------------------

def test_results_hidden_until_closing_then_shown(community, owner, member, admin_member):
    poll = make_poll(owner, results=Poll.Results.AFTER_CLOSE)
    vote(member, poll, "Tea")
    vote(admin_member, poll, "Tea")
    assert selectors.results(poll) is None
    assert selectors.turnout(poll) == 2  # the console's number (admins only)
    services.poll_close(actor=owner, poll=poll)
    results = selectors.results(Poll.objects.get(pk=poll.pk))
    assert results.voters == 2
    assert [(o.text, o.count, o.percent) for o in results.options] == [("Tea", 2, 100), ("Coffee", 0, 0),
                                                                       ("Juice", 0, 0)]


def test_named_polls_say_who_chose_what_anonymous_never(community, owner, member):
    named = make_poll(owner, anonymous=False)
    vote(member, named, "Coffee")
    results = selectors.results(named)
    assert [u.pk for u in results.options[1].voters] == [member.user_id]
    anonymous = make_poll(owner, question="Secret?")
    vote(member, anonymous, "Coffee")
    assert all(o.voters is None for o in selectors.results(anonymous).options)


def test_home_section_shows_open_polls_not_voted_first(community, owner, member):
    first = make_poll(owner, question="First?", closes_at=later(1))
    second = make_poll(owner, question="Second?", closes_at=later(2))
    make_poll(owner, question="Third?", closes_at=later(3))
    make_poll(owner, question="Fourth?", closes_at=later(4))
    vote(member, first, "Tea")
    from engagement.wiring_polls import open_polls

    shown = open_polls(member)["open_polls"]
    assert len(shown) == 3
    assert shown[0].pk == second.pk and first.pk not in [p.pk for p in shown]
