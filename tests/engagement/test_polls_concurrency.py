"""Races on PostgreSQL with real threads: one ballot per member, consistent choices, no vote after a close."""

import pytest

from communities.models import Role
from core.exceptions import Conflict
from core.models import DomainEvent
from engagement import polls as services
from engagement.models import Ballot, BallotChoice, Poll
from tests.concurrency import run_at_once
from tests.engagement.test_polls import make_poll, new_member, option_ids
from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db(transaction=True)


def setup(**kwargs):
    community = CommunityFactory()
    owner = new_member(community, Role.OWNER)
    member = new_member(community)
    poll = make_poll(owner, multiple=True, **kwargs)
    return owner, member, poll


def test_one_member_voting_from_several_tabs_at_once_gets_one_ballot():
    owner, member, poll = setup(allow_change=False)
    ids = option_ids(poll, "Tea", "Coffee", "Juice")
    results = run_at_once(6, lambda i: services.poll_vote(member=member, poll=Poll.objects.get(pk=poll.pk),
                                                          option_ids=[ids[i % 3]]))
    won = [r for r in results if isinstance(r, Ballot)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1, results
    assert all(isinstance(e, Conflict) and e.code == "already_voted" for e in lost), lost
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert BallotChoice.objects.filter(poll=poll).count() == 1
    assert DomainEvent.objects.filter(name="poll.voted").count() == 1


def test_concurrent_vote_changes_leave_one_consistent_ballot():
    owner, member, poll = setup()
    tea, coffee, juice = option_ids(poll, "Tea", "Coffee", "Juice")
    choices = [[tea], [coffee, juice], [tea, juice], [coffee], [juice], [tea, coffee, juice]]
    results = run_at_once(len(choices), lambda i: services.poll_vote(
        member=member, poll=Poll.objects.get(pk=poll.pk), option_ids=choices[i]))
    assert all(isinstance(r, Ballot) for r in results), results
    ballot = Ballot.objects.get(poll=poll)
    chosen = sorted(BallotChoice.objects.filter(ballot=ballot).values_list("option_id", flat=True))
    # Exactly one of the requests' choices, never a mix of two.
    assert chosen in [sorted(c) for c in choices], chosen
    assert DomainEvent.objects.filter(name="poll.voted").count() == 1


def test_many_members_voting_at_once_each_count_once():
    owner, _, poll = setup()
    members = [new_member(poll.community) for _ in range(8)]
    tea = option_ids(poll, "Tea")
    results = run_at_once(8, lambda i: services.poll_vote(member=members[i], poll=Poll.objects.get(pk=poll.pk),
                                                          option_ids=tea))
    assert all(isinstance(r, Ballot) for r in results), results
    assert Ballot.objects.filter(poll=poll).count() == 8
    assert BallotChoice.objects.filter(poll=poll).count() == 8


def test_a_vote_and_a_close_at_once_never_count_a_vote_after_closing():
    owner, member, poll = setup()
    tea = option_ids(poll, "Tea")

    def work(i):
        if i == 0:
            return services.poll_close(actor=owner, poll=Poll.objects.get(pk=poll.pk))
        return services.poll_vote(member=member, poll=Poll.objects.get(pk=poll.pk), option_ids=tea)

    results = run_at_once(2, work)
    assert isinstance(results[0], Poll), results
    poll.refresh_from_db()
    ballot = Ballot.objects.filter(poll=poll).first()
    if ballot is not None:  # the vote went first: it counts, and it is older than the close
        assert isinstance(results[1], Ballot) and ballot.updated_at <= poll.closed_at
    else:
        assert isinstance(results[1], Conflict) and results[1].code == "poll_closed"
