"""The polls API: members vote; the console manages; hidden results leak no count in any answer."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from communities.models import Role
from engagement import polls as services
from engagement.models import Ballot, Poll
from tests.api import assert_error, url
from tests.branches import fresh, make_branch
from tests.engagement.test_polls import later, make_poll, new_member, option_ids, vote
from tests.factories import CommunityFactory

COUNT_KEYS = {"count", "percent", "voters", "turnout", "tally_count"}


def keys(value) -> set:
    """Every key anywhere in a JSON answer."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(keys(v) for v in value))
    return set()


def create_body(**changes):
    return {"question": "Lunch?", "options": ["Noodles", "Rice"], "closes_at": later().isoformat(), **changes}


# Members --------------------------------------------------------------------------------------

def test_a_member_lists_reads_votes_and_withdraws(api_as, community, owner, member):
    poll = make_poll(owner)
    client = api_as(member.user)
    listed = client.get(url(community.slug, "polls")).json()
    assert [p["id"] for p in listed["results"]] == [poll.pk]
    assert listed["results"][0]["voted"] is False
    tea, coffee = option_ids(poll, "Tea", "Coffee")
    answer = client.post(url(community.slug, "polls", poll.pk, "vote"), {"option_ids": [tea]}, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["my_choices"] == [tea] and body["tally"]["voters"] == 1
    assert [o["count"] for o in body["tally"]["options"]] == [1, 0, 0]
    assert all(o["voters"] is None for o in body["tally"]["options"])  # anonymous
    body = client.post(url(community.slug, "polls", poll.pk, "vote"), {"option_ids": [coffee]}, format="json").json()
    assert body["my_choices"] == [coffee]
    body = client.post(url(community.slug, "polls", poll.pk, "withdraw")).json()
    assert body["my_choices"] == [] and not Ballot.objects.exists()


@pytest.mark.parametrize("option_ids_value, status", [
    (["٣"], 400), (["1\x00"], 400), ([2**70], 400), ([], 400), ("1", 400), ([None], 400), ([True], 400),
    (["x" * 10000], 400), ([1] * 50, 400),
])
def test_bad_vote_bodies_are_400(api_as, community, owner, member, option_ids_value, status):
    poll = make_poll(owner)
    response = api_as(member.user).post(url(community.slug, "polls", poll.pk, "vote"),
                                        {"option_ids": option_ids_value}, format="json")
    assert_error(response, status)
    assert not Ballot.objects.exists()


def test_wrong_options_and_too_many_choices_are_400(api_as, community, owner, member):
    poll = make_poll(owner)
    other = make_poll(owner, question="Other?")
    client = api_as(member.user)
    vote_url = url(community.slug, "polls", poll.pk, "vote")
    assert_error(client.post(vote_url, {"option_ids": option_ids(other, "Tea")}, format="json"), 400,
                 "unknown_option", fields=["option_ids"])
    assert_error(client.post(vote_url, {"option_ids": [999999999]}, format="json"), 400, "unknown_option")
    assert_error(client.post(vote_url, {"option_ids": option_ids(poll, "Tea", "Coffee")}, format="json"), 400,
                 "too_many_choices")
    assert_error(client.post(vote_url, b"\x00\xff", content_type="application/json"), 400)
    assert not Ballot.objects.exists()


def test_closed_and_final_votes_are_409(api_as, community, owner, member):
    poll = make_poll(owner, allow_change=False)
    client = api_as(member.user)
    tea = option_ids(poll, "Tea")
    assert client.post(url(community.slug, "polls", poll.pk, "vote"), {"option_ids": tea}, format="json").status_code == 200
    assert_error(client.post(url(community.slug, "polls", poll.pk, "vote"), {"option_ids": tea}, format="json"),
                 409, "already_voted")
    services.poll_close(actor=owner, poll=poll)
    assert_error(client.post(url(community.slug, "polls", poll.pk, "withdraw")), 409)


def test_hidden_results_leak_no_count_in_any_answer(api_as, community, owner, admin_member, member):
    poll = make_poll(owner, results=Poll.Results.AFTER_CLOSE, anonymous=False)
    for _ in range(3):
        vote(new_member(community), poll, "Tea")
    vote(new_member(community), poll, "Coffee")
    client = api_as(member.user)
    tea = option_ids(poll, "Tea")
    answers = [
        client.get(url(community.slug, "polls")),
        client.get(url(community.slug, "polls") + "?status=open"),
        client.get(url(community.slug, "polls", poll.pk)),
        client.post(url(community.slug, "polls", poll.pk, "vote"), {"option_ids": tea}, format="json"),
        client.post(url(community.slug, "polls", poll.pk, "withdraw")),
    ]
    for response in answers:
        assert response.status_code == 200, response.content
        body = response.json()
        body = body.get("results", body) if "next" in body else body  # a page: its rows
        assert not keys(body) & COUNT_KEYS, body
        text = json.dumps(body)
        assert "display_name" not in text
    detail = answers[2].json()
    assert detail["tally"] is None and detail["results_visible"] is False
    assert [o["text"] for o in detail["options"]] == ["Tea", "Coffee", "Juice"]  # never by count
    # The console: no tally either; the turnout (how many voted) only.
    admin = api_as(admin_member.user)
    body = admin.get(url(community.slug, "admin", "polls", poll.pk)).json()
    assert body["tally"] is None and body["turnout"] == 4
    assert not keys(body) & {"count", "percent", "voters"}
    assert_error(admin.get(url(community.slug, "admin", "polls", poll.pk, "results")), 409, "results_hidden")
    listed = admin.get(url(community.slug, "admin", "polls")).json()["results"]
    assert not keys(listed) & {"count", "percent", "voters", "tally"}
    # Closed: counts and (named poll) names for everyone.
    services.poll_close(actor=owner, poll=poll)
    body = client.get(url(community.slug, "polls", poll.pk)).json()
    assert [o["count"] for o in body["tally"]["options"]] == [3, 1, 0]
    assert len(body["tally"]["options"][0]["voters"]) == 3
    results = admin.get(url(community.slug, "admin", "polls", poll.pk, "results")).json()
    assert results["voters"] == 4


def test_anonymous_polls_never_name_voters_in_the_api(api_as, community, owner, member):
    poll = make_poll(owner)
    vote(member, poll, "Tea")
    services.poll_close(actor=owner, poll=poll)
    for client, path in ((api_as(member.user), url(community.slug, "polls", poll.pk)),
                         (api_as(owner.user), url(community.slug, "admin", "polls", poll.pk)),
                         (api_as(owner.user), url(community.slug, "admin", "polls", poll.pk, "results"))):
        body = client.get(path).json()
        assert member.user.display_name not in json.dumps(body, ensure_ascii=False)
        assert all(o["voters"] is None for o in body.get("tally", body)["options"])


def test_member_api_scope(api_as, community, owner, member, outsider):
    west = make_branch(owner, "West")
    branch_poll = make_poll(owner, branch=west)
    elsewhere = make_poll(new_member(CommunityFactory(), Role.OWNER))
    draft = make_poll(owner, open_it=False, question="Draft?")
    client = api_as(member.user)
    for poll in (branch_poll, elsewhere, draft):
        assert_error(client.get(url(community.slug, "polls", poll.pk)), 404)
        assert_error(client.post(url(community.slug, "polls", poll.pk, "vote"), {"option_ids": [1]}, format="json"),
                     404)
    assert client.get(url(community.slug, "polls")).json()["results"] == []
    assert_error(api_as(outsider).get(url(community.slug, "polls")), 404)
    assert not Ballot.objects.exists()


# Console --------------------------------------------------------------------------------------

def test_admin_crud_open_close(api_as, community, admin_member, member):
    client = api_as(admin_member.user)
    body = create_body(multiple=True, max_choices=2)
    response = client.post(url(community.slug, "admin", "polls"), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    again = client.post(url(community.slug, "admin", "polls"), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.json()["id"] == pk and Poll.objects.count() == 1
    response = client.patch(url(community.slug, "admin", "polls", pk), {"options": ["Noodles", "Rice", "Dumplings"]},
                            format="json")
    assert response.status_code == 200 and len(response.json()["options"]) == 3
    assert client.post(url(community.slug, "admin", "polls", pk, "open")).json()["status"] == "open"
    poll = Poll.objects.get(pk=pk)
    vote(member, poll, "Rice")
    assert_error(client.patch(url(community.slug, "admin", "polls", pk), {"question": "Other?"}, format="json"),
                 409, "poll_has_votes")
    assert_error(client.delete(url(community.slug, "admin", "polls", pk)), 409, "poll_has_votes")
    moved = (poll.closes_at + timedelta(days=1)).isoformat()
    assert client.patch(url(community.slug, "admin", "polls", pk), {"closes_at": moved},
                        format="json").status_code == 200
    body = client.post(url(community.slug, "admin", "polls", pk, "close")).json()
    assert body["status"] == "closed" and body["tally"]["voters"] == 1
    draft = client.post(url(community.slug, "admin", "polls"), create_body(), format="json").json()
    assert client.delete(url(community.slug, "admin", "polls", draft["id"])).status_code == 204


@pytest.mark.parametrize("changes, field", [
    ({"options": ["One"]}, "options"), ({"options": ["A", "a"]}, "options"), ({"options": ["A" * 101, "B"]}, "options"),
    ({"options": [f"o{i}" for i in range(21)]}, "options"), ({"question": "Q\x00"}, "question"),
    ({"question": "q" * 201}, "question"), ({"closes_at": "٢٠٩٩-01-01T00:00:00Z"}, "closes_at"),
    ({"closes_at": (timezone.now() - timedelta(hours=1)).isoformat()}, "closes_at"),
({"max_choices": "٣", "multiple": True}, "max_choices"),
    ({"max_choices": 5, "multiple": True}, "max_choices"), ({"branch": "٣"}, "branch"), ({"branch": 2**70}, "branch"),
    ({"branch": 999999}, "branch"), ({"results": "never"}, "results"), ({"description": "d" * 100000}, "description"),
])
def test_admin_bad_input_is_400(api_as, community, admin_member, changes, field):
    response = api_as(admin_member.user).post(url(community.slug, "admin", "polls"), create_body(**changes),
                                              format="json")
    body = assert_error(response, 400)
    assert any(name == field or name.startswith(field + ".") for name in body["fields"]), body
    assert not Poll.objects.exists()


def test_admin_api_scope(api_as, community, owner, leader, member):
    east_leader = new_member(community, Role.LEADER)
    west = make_branch(owner, "West", leader=leader)
    make_branch(owner, "East", leader=east_leader)
    west_poll = make_poll(fresh(leader))
    owners_poll = make_poll(owner, question="Owner's?")
    elsewhere = make_poll(new_member(CommunityFactory(), Role.OWNER))
    routes = lambda pk: [("get", url(community.slug, "admin", "polls", pk)),  # noqa: E731
                         ("post", url(community.slug, "admin", "polls", pk, "close")),
                         ("get", url(community.slug, "admin", "polls", pk, "results")),
                         ("delete", url(community.slug, "admin", "polls", pk))]
    plain = api_as(member.user)
    assert_error(plain.get(url(community.slug, "admin", "polls")), 403)
    assert_error(plain.post(url(community.slug, "admin", "polls"), create_body(), format="json"), 403)
    for method, path in routes(west_poll.pk):
        assert_error(getattr(plain, method)(path), 403)
        assert_error(getattr(api_as(east_leader.user), method)(path), 404)
    for method, path in routes(elsewhere.pk):
        assert_error(getattr(api_as(owner.user), method)(path), 404)
    # A leader sees the owner's community-wide poll but may not change it.
    assert api_as(leader.user).get(url(community.slug, "admin", "polls", owners_poll.pk)).status_code == 200
    assert_error(api_as(leader.user).post(url(community.slug, "admin", "polls", owners_poll.pk, "close")), 403,
                 "not_author")
    # A leader's new poll is for their branch; naming another is a field error.
    body = api_as(fresh(leader).user).post(url(community.slug, "admin", "polls"), create_body(), format="json").json()
    assert body["branch"] == west.pk
    assert Poll.objects.get(pk=west_poll.pk).status == Poll.Status.OPEN
    assert Poll.objects.get(pk=elsewhere.pk).status == Poll.Status.OPEN


def test_list_queries_do_not_grow(api_as, community, owner, member, django_assert_max_num_queries):
    for i in range(8):
        make_poll(owner, question=f"Q{i}?")
    with django_assert_max_num_queries(10):
        assert len(api_as(member.user).get(url(community.slug, "polls")).json()["results"]) == 8
    with django_assert_max_num_queries(10):
        assert len(api_as(owner.user).get(url(community.slug, "admin", "polls")).json()["results"]) == 8


def test_list_filters_refuse_bad_values_and_sync(api_as, community, owner, member):
    poll = make_poll(owner)
    closed = make_poll(owner, question="Done?")
    services.poll_close(actor=owner, poll=closed)
    client = api_as(member.user)
    path = url(community.slug, "polls")
    assert [p["id"] for p in client.get(path, {"status": "closed"}).json()["results"]] == [closed.pk]
    assert_error(client.get(path, {"status": "bogus"}), 400, fields=["status"])
    assert_error(client.get(path, {"updated_since": "٢٠٢٦-01-01T00:00:00Z"}), 400, fields=["updated_since"])
    assert_error(client.get(path, {"updated_since": "x\x00"}), 400)
    since = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert client.get(path, {"updated_since": since}).json()["results"] == []
    rows = client.get(path, {"ordering": "closes_at"}).json()["results"]
    assert {r["id"] for r in rows} == {poll.pk, closed.pk}
