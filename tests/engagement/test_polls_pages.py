"""Member pages and console pages of polls: voting, hidden results that leak nothing, scope, bad input."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.models import Role
from engagement import polls as services
from engagement.models import Ballot, BallotChoice, Poll
from tests.branches import fresh, make_branch
from tests.engagement.test_polls import later, make_poll, new_member, option_ids, vote
from tests.factories import CommunityFactory


def page(community, name, **kwargs):
    return reverse(f"engagement:{name}", kwargs={"slug": community.slug, **kwargs})


def console(community, name, **kwargs):
    return reverse(f"engagement_console:{name}", kwargs={"slug": community.slug, **kwargs})


def hidden_poll_with_votes(owner, n_tea=3, n_coffee=2):
    """An after-close poll with distinctive counts: 3 for Tea, 2 for Coffee (5 voters)."""
    poll = make_poll(owner, results=Poll.Results.AFTER_CLOSE, question="Secret ballot?", anonymous=False)
    for _ in range(n_tea):
        vote(new_member(owner.community), poll, "Tea")
    for _ in range(n_coffee):
        vote(new_member(owner.community), poll, "Coffee")
    return poll


def assert_no_counts(html: str):
    assert "data-results>" not in html and "data-count" not in html and "data-names" not in html
    assert "poll-bar" not in html
    for text in ("5 voters", "3 · 60%", "2 · 40%", "60%", "40%", "5 位", "data-turnout"):
        assert text not in html, text


# Member pages ---------------------------------------------------------------------------------

def test_a_member_votes_changes_and_withdraws(client, community, owner, member):
    poll = make_poll(owner)
    client.force_login(member.user)
    html = client.get(poll.get_absolute_url()).content.decode()
    assert 'type="radio"' in html and "Tea" in html
    tea, juice = option_ids(poll, "Tea", "Juice")
    response = client.post(page(community, "poll_vote", pk=poll.pk), {"option": str(tea)})
    assert response.status_code == 302
    response = client.post(page(community, "poll_vote", pk=poll.pk), {"option": str(juice)})
    assert response.status_code == 302
    assert list(BallotChoice.objects.values_list("option_id", flat=True)) == [juice]
    html = client.get(poll.get_absolute_url()).content.decode()
    assert "data-results" in html and "1 · 100%" in html  # always-visible results
    assert client.post(page(community, "poll_withdraw", pk=poll.pk)).status_code == 302
    assert not Ballot.objects.exists()


def test_multiple_choice_shows_checkboxes_and_limits(client, community, owner, member):
    poll = make_poll(owner, multiple=True, max_choices=2)
    client.force_login(member.user)
    assert 'type="checkbox"' in client.get(poll.get_absolute_url()).content.decode()
    ids = [str(i) for i in option_ids(poll, "Tea", "Coffee", "Juice")]
    response = client.post(page(community, "poll_vote", pk=poll.pk), {"option": ids}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "at most 2" in response.content.decode()
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("value", ["٣", "1\x00", str(2**70), "", "abc", "-1"])
def test_bad_vote_input_is_a_form_error(client, community, owner, member, value):
    poll = make_poll(owner)
    client.force_login(member.user)
    response = client.post(page(community, "poll_vote", pk=poll.pk), {"option": value})
    assert response.status_code == 400
    assert not Ballot.objects.exists()


def test_another_polls_option_is_a_form_error(client, community, owner, member):
    poll = make_poll(owner)
    other = make_poll(owner, question="Other?")
    client.force_login(member.user)
    response = client.post(page(community, "poll_vote", pk=poll.pk), {"option": option_ids(other, "Tea")[0]})
    assert response.status_code == 400
    assert not Ballot.objects.exists()


def test_hidden_results_leak_no_count_on_any_page(client, community, owner, member):
    poll = hidden_poll_with_votes(owner)
    vote(member, poll, "Tea")  # the member voted: they see their own choice, no count
    client.force_login(member.user)
    for url in (poll.get_absolute_url(), page(community, "polls"), reverse("communities:home", args=[community.slug])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_counts(response.content.decode())
    html = client.get(poll.get_absolute_url()).content.decode()
    assert "data-results-hidden" in html
    # Options keep their own order, never by count.
    assert html.index(">Tea<") < html.index(">Coffee<") < html.index(">Juice<")
    # The admins' console: no counts either, only the turnout.
    client.force_login(owner.user)
    html = client.get(console(community, "poll", pk=poll.pk)).content.decode()
    assert "data-results-hidden" in html and "data-option" not in html
    assert re.search(r"data-turnout>\s*6", html)
    # Once closed, everyone sees them (named poll: with names).
    services.poll_close(actor=owner, poll=poll)
    client.force_login(member.user)
    html = client.get(poll.get_absolute_url()).content.decode()
    assert "4 · 67%" in html and member.user.display_name in html


def test_the_list_shows_open_polls_first_with_bounded_queries(client, community, owner, member,
                                                              django_assert_max_num_queries):
    closed = make_poll(owner, question="Closed one?")
    services.poll_close(actor=owner, poll=closed)
    for i in range(15):
        make_poll(owner, question=f"Open {i}?")
    client.force_login(member.user)
    with django_assert_max_num_queries(10):
        html = client.get(page(community, "polls")).content.decode()
    assert html.index("Open 0?") < html.index("Closed one?")
    assert len(html.encode()) < 60_000


def test_member_pages_scope(client, community, owner, member):
    west = make_branch(owner, "West")
    branch_poll = make_poll(owner, branch=west)
    elsewhere = make_poll(new_member(CommunityFactory(), Role.OWNER))
    draft = make_poll(owner, open_it=False, question="Draft?")
    client.force_login(member.user)
    for poll in (branch_poll, elsewhere, draft):
        assert client.get(page(community, "poll", pk=poll.pk)).status_code == 404
        assert client.post(page(community, "poll_vote", pk=poll.pk), {"option": "1"}).status_code == 404
    assert not Ballot.objects.exists()


# Console --------------------------------------------------------------------------------------

def test_an_admin_creates_opens_and_closes_a_poll_in_the_console(client, community, admin_member, member):
    client.force_login(admin_member.user)
    assert client.get(console(community, "poll_new")).status_code == 200
    closes = (timezone.localtime(later(), timezone.get_current_timezone())).strftime("%Y-%m-%dT%H:%M")
    response = client.post(console(community, "poll_new"), {
        "question": "Which day?", "option": ["Saturday", "Sunday", "", ""], "results": "after_close",
        "anonymous": "on", "allow_change": "on", "closes_at": closes, "max_choices": ""})
    poll = Poll.objects.get()
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(poll.options.values_list("text", flat=True)) == ["Saturday", "Sunday"]
    assert poll.status == Poll.Status.DRAFT and poll.results == Poll.Results.AFTER_CLOSE
    client.get(console(community, "poll_edit", pk=poll.pk))
    response = client.post(console(community, "poll_edit", pk=poll.pk), {
        "question": "Which day works?", "option": ["Saturday", "Sunday", "Monday"], "results": "after_close",
        "anonymous": "on", "allow_change": "on", "closes_at": closes, "max_choices": ""})
    assert response.status_code == 302
    assert Poll.objects.get().options.count() == 3
    assert client.post(console(community, "poll_open", pk=poll.pk)).status_code == 302
    vote(member, poll, "Sunday")
    html = client.get(console(community, "poll", pk=poll.pk)).content.decode()
    assert "data-results-hidden" in html
    # With a vote, only the closing time changes.
    moved = (timezone.localtime(later(48))).strftime("%Y-%m-%dT%H:%M")
    response = client.post(console(community, "poll_edit", pk=poll.pk), {"closes_at": moved})
    assert response.status_code == 302
    assert client.post(console(community, "poll_delete", pk=poll.pk)).status_code == 302
    assert Poll.objects.filter(pk=poll.pk).exists()  # it has a vote: not deleted
    assert client.post(console(community, "poll_close", pk=poll.pk)).status_code == 302
    html = client.get(console(community, "poll", pk=poll.pk)).content.decode()
    assert "data-option" in html and member.user.display_name not in html  # anonymous
    assert client.get(console(community, "polls")).status_code == 200


def test_console_form_errors_are_shown_not_500(client, community, admin_member):
    client.force_login(admin_member.user)
    for data in (
        {"question": "Q?", "option": ["Only"], "results": "always", "closes_at": "2099-01-01T10:00"},
        {"question": "Q?", "option": ["A", "a"], "results": "always", "closes_at": "2099-01-01T10:00"},
        {"question": "Q\x00", "option": ["A", "B"], "results": "always", "closes_at": "2099-01-01T10:00"},
        {"question": "Q?", "option": ["A" * 101, "B"], "results": "always", "closes_at": "2099-01-01T10:00"},
        {"question": "Q?", "option": ["A", "B"], "results": "always", "closes_at": "٢٠٩٩-01-01T10:00"},
        {"question": "Q?", "option": ["A", "B"], "results": "always", "closes_at": "2000-01-01T10:00"},
        {"question": "Q?", "option": ["A", "B"], "results": "always", "closes_at": "2099-01-01T10:00",
         "multiple": "on", "max_choices": "٣"},
        {"question": "q" * 5000, "option": [f"o{i}" for i in range(30)], "results": "x", "closes_at": "x" * 5000},
    ):
        response = client.post(console(community, "poll_new"), data)
        assert response.status_code == 400, data
    assert not Poll.objects.exists()


def test_console_scope(client, community, owner, leader, member):
    east_leader = new_member(community, Role.LEADER)
    west = make_branch(owner, "West", leader=leader)
    make_branch(owner, "East", leader=east_leader)
    west_poll = make_poll(fresh(leader))
    assert west_poll.branch_id == west.pk
    elsewhere = make_poll(new_member(CommunityFactory(), Role.OWNER))
    # A plain member: 403 on every console page.
    client.force_login(member.user)
    assert client.get(console(community, "polls")).status_code == 403
    assert client.get(console(community, "poll", pk=west_poll.pk)).status_code == 403
    assert client.post(console(community, "poll_close", pk=west_poll.pk)).status_code == 403
    # A leader of another branch: the poll does not exist.
    client.force_login(east_leader.user)
    assert client.get(console(community, "poll", pk=west_poll.pk)).status_code == 404
    assert client.post(console(community, "poll_close", pk=west_poll.pk)).status_code == 404
    assert f'data-poll="{west_poll.pk}"' not in client.get(console(community, "polls")).content.decode()
    # Another community's poll: 404 even for the owner.
    client.force_login(owner.user)
    assert client.get(console(community, "poll", pk=elsewhere.pk)).status_code == 404
    assert client.post(console(community, "poll_close", pk=elsewhere.pk)).status_code == 404
    assert Poll.objects.get(pk=west_poll.pk).status == Poll.Status.OPEN
    assert Poll.objects.get(pk=elsewhere.pk).status == Poll.Status.OPEN


def test_an_admin_aims_a_poll_at_a_branch_in_the_console(client, community, owner):
    west = make_branch(owner, "West")
    client.force_login(owner.user)
    closes = (timezone.localtime(later(), timezone.get_current_timezone())).strftime("%Y-%m-%dT%H:%M")
    response = client.post(console(community, "poll_new"), {
        "question": "West only?", "option": ["Yes", "No"], "results": "always", "closes_at": closes,
        "max_choices": "", "branch": str(west.pk)})
    assert response.status_code == 302
    assert Poll.objects.get().branch_id == west.pk
