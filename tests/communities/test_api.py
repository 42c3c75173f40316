"""REST API for communities: /api/v1/communities/..., /api/v1/join/, the token exchange, the schema."""

import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import Community, Invite, JoinRequest, Membership, Role
from tests.factories import PASSWORD, CommunityFactory, InviteFactory, MembershipFactory, UserFactory

from tests.api import ERROR_KEYS, assert_error, url
from tests.branches import make_branch

pytestmark = pytest.mark.django_db


def some_ip():
    # The token endpoint is throttled per client address; a fresh one keeps tests independent.
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@pytest.fixture
def branch(community, leader):
    branch = CommunityFactory(parent=community, name="North gate", leader=leader.user)
    Membership.objects.filter(pk=leader.pk).update(branch=branch)
    return branch


# Token exchange ------------------------------------------------------------------------------

@pytest.mark.parametrize("login_field", ["phone", "email"])
def test_token_exchange_with_phone_or_email_then_token_authenticates(api, member, login_field):
    login = getattr(member.user, login_field)
    if login_field == "email":
        login = login.upper()  # e-mail logins are case-insensitive

    response = api.post("/api/v1/auth/token/", {"login": login, "password": PASSWORD}, format="json",
                        REMOTE_ADDR=some_ip())

    assert response.status_code == 200, response.content
    assert response.json()["user_id"] == member.user.pk
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    mine = api.get("/api/v1/communities/")
    assert mine.status_code == 200
    assert [row["slug"] for row in mine.json()["results"]] == [member.community.slug]


def test_token_exchange_refuses_a_bad_password_with_the_error_shape(api, member):
    response = api.post("/api/v1/auth/token/", {"login": member.user.phone, "password": "wrong"}, format="json",
                        REMOTE_ADDR=some_ip())
    body = assert_error(response, 400, "invalid_credentials")
    assert "token" not in body


def test_token_exchange_missing_fields_are_named(api):
    response = api.post("/api/v1/auth/token/", {}, format="json", REMOTE_ADDR=some_ip())
    assert_error(response, 400, "invalid", fields=["login", "password"])


def test_anonymous_callers_are_refused(api, community):
    assert api.get("/api/v1/communities/").status_code == 401
    assert api.get(url(community.slug)).status_code == 401
    assert api.post("/api/v1/join/", {"code": "x"}, format="json").status_code == 401


# My communities and detail -------------------------------------------------------------------

def test_my_communities_lists_active_memberships_with_role_branch_and_count(api_as, member, leader, branch):
    other = MembershipFactory(user=member.user, role=Role.ADMIN).community
    MembershipFactory(user=member.user, status=Membership.Status.LEFT)
    MembershipFactory(user=member.user, status=Membership.Status.BANNED)
    MembershipFactory(community=branch, user=member.user)  # a branch is not listed as a community

    response = api_as(member.user).get("/api/v1/communities/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    rows = {row["slug"]: row for row in body["results"]}
    assert set(rows) == {member.community.slug, other.slug}
    assert rows[member.community.slug]["role"] == "member"
    assert rows[member.community.slug]["member_count"] == 4
    assert rows[member.community.slug]["branch"] is None
    assert rows[other.slug]["role"] == "admin"

    as_leader = api_as(leader.user).get("/api/v1/communities/").json()["results"][0]
    assert as_leader["branch"] == {"id": branch.pk, "name": "North gate"}


def test_detail_shows_settings_branches_with_leader_and_my_role(api_as, community, leader, branch):
    community.description, community.rules, community.purpose = "Fresh fruit", "Be kind", "Buy together"
    community.save()

    response = api_as(leader.user).get(url(community.slug))

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == community.name
    assert (body["description"], body["rules"], body["purpose"]) == ("Fresh fruit", "Be kind", "Buy together")
    assert (body["timezone"], body["currency"], body["join_policy"]) == ("Asia/Shanghai", "CNY", "approval")
    assert body["cover_url"] is None
    assert body["role"] == "leader"
    assert body["branch"] == {"id": branch.pk, "name": "North gate"}
    assert body["member_count"] == 4
    assert body["branches"] == [{"id": branch.pk, "name": "North gate", "member_count": 1,
                                 "leader": {"id": leader.user.pk, "display_name": leader.user.display_name}}]


def test_detail_is_not_found_for_outsiders_banned_members_and_branch_slugs(api_as, community, member, outsider, branch):
    assert_error(api_as(outsider).get(url(community.slug)), 404, "community_not_found")
    assert_error(api_as(member.user).get(url("no-such-community")), 404, "community_not_found")
    assert_error(api_as(member.user).get(url(branch.slug)), 404)
    Membership.objects.filter(pk=member.pk).update(status=Membership.Status.BANNED, left_at=timezone.now())
    assert_error(api_as(member.user).get(url(community.slug)), 404)


# Members -------------------------------------------------------------------------------------

def test_member_list_rows_and_permissions(api_as, community, owner, admin_member, leader, member):
    east = make_branch(owner, "East", leader=leader, members=[member])
    assert api_as(admin_member.user).get(url(community.slug, "members")).json()["count"] == 4
    response = api_as(leader.user).get(url(community.slug, "members"))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2  # a leader sees the members of their own branch
    row = next(r for r in body["results"] if r["id"] == member.pk)
    assert row["user"] == {"id": member.user.pk, "display_name": member.user.display_name,
                           "phone": member.user.phone, "email": member.user.email}
    assert (row["role"], row["status"], row["branch"], row["invited_by"]) == ("member", "active", {"id": east.pk, "name": "East"}, None)
    assert row["joined_at"]
    assert_error(api_as(member.user).get(url(community.slug, "members")), 403, "forbidden")


def test_member_list_filters(api_as, community, owner, admin_member, leader, member, branch):
    invitee = MembershipFactory(community=community, invited_by=leader.user, branch=branch,
                                user=UserFactory(display_name="Zhang Wei", phone="13912345678", email="zw@fruit.cn"))
    banned = MembershipFactory(community=community, status=Membership.Status.BANNED)
    MembershipFactory(community=community, status=Membership.Status.LEFT)
    client = api_as(admin_member.user)

    def ids(**params):
        response = client.get(url(community.slug, "members"), params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(q="zhang") == {invitee.pk}
    assert ids(q="1234567") == {invitee.pk}
    assert ids(q="fruit.cn") == {invitee.pk}
    assert ids(role="admin") == {admin_member.pk}
    assert ids(status="banned") == {banned.pk}
    assert ids() == {owner.pk, admin_member.pk, leader.pk, member.pk, invitee.pk, banned.pk}  # not who left
    assert ids(branch=str(branch.pk)) == {leader.pk, invitee.pk}
    assert ids(branch="none") == {owner.pk, admin_member.pk, member.pk, banned.pk}
    assert ids(invited_by=str(leader.user.pk)) == {invitee.pk}
    assert ids(role="member", branch=str(branch.pk)) == {invitee.pk}

    assert_error(client.get(url(community.slug, "members"), {"role": "king"}), 400, "invalid", fields=["role"])
    assert_error(client.get(url(community.slug, "members"), {"branch": "north"}), 400, fields=["branch"])
    assert_error(client.get(url(community.slug, "members"), {"invited_by": "me"}), 400, fields=["invited_by"])


def test_owner_changes_a_role(api_as, community, owner, member):
    response = api_as(owner.user).patch(url(community.slug, "members", member.pk), {"role": "admin"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "admin"
    member.refresh_from_db()
    assert member.role == Role.ADMIN


def test_owner_transfers_ownership_and_becomes_admin(api_as, community, owner, admin_member):
    response = api_as(owner.user).patch(url(community.slug, "members", admin_member.pk), {"role": "owner"},
                                        format="json")

    assert response.status_code == 200, response.content
    owner.refresh_from_db()
    admin_member.refresh_from_db()
    assert (owner.role, admin_member.role) == (Role.ADMIN, Role.OWNER)
    assert community.memberships.filter(role=Role.OWNER).count() == 1


def test_last_owner_cannot_be_demoted(api_as, community, owner, admin_member):
    response = api_as(owner.user).patch(url(community.slug, "members", owner.pk), {"role": "member"}, format="json")
    assert_error(response, 403, "last_owner")
    response = api_as(admin_member.user).patch(url(community.slug, "members", owner.pk), {"role": "member"},
                                               format="json")
    assert_error(response, 403, "last_owner")
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_admin_cannot_appoint_admins_or_touch_other_admins(api_as, community, owner, admin_member, member):
    client = api_as(admin_member.user)
    assert_error(client.patch(url(community.slug, "members", member.pk), {"role": "admin"}, format="json"),
                 403, "rank")
    other_admin = MembershipFactory(community=community, role=Role.ADMIN)
    assert_error(client.patch(url(community.slug, "members", other_admin.pk), {"role": "member"}, format="json"),
                 403, "rank")
    # An admin may make a member a leader.
    response = client.patch(url(community.slug, "members", member.pk), {"role": "leader"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "leader"
    member.refresh_from_db()
    other_admin.refresh_from_db()
    assert (member.role, other_admin.role) == (Role.LEADER, Role.ADMIN)


def test_leaders_and_members_cannot_change_members(api_as, community, leader, member):
    assert_error(api_as(leader.user).patch(url(community.slug, "members", member.pk), {"role": "leader"},
                                           format="json"), 403)
    assert_error(api_as(member.user).post(url(community.slug, "members", leader.pk, "ban"), {}, format="json"), 403)
    member.refresh_from_db()
    leader.refresh_from_db()
    assert (member.role, leader.status) == (Role.MEMBER, Membership.Status.ACTIVE)


def test_move_member_to_a_branch_and_back(api_as, community, admin_member, member, branch):
    client = api_as(admin_member.user)

    response = client.patch(url(community.slug, "members", member.pk), {"branch": branch.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["branch"] == {"id": branch.pk, "name": branch.name}

    response = client.patch(url(community.slug, "members", member.pk), {"branch": None}, format="json")
    assert response.status_code == 200
    assert response.json()["branch"] is None


def test_move_to_another_communitys_branch_is_refused(api_as, community, owner, member):
    foreign_branch = CommunityFactory(parent=CommunityFactory())

    response = api_as(owner.user).patch(url(community.slug, "members", member.pk), {"branch": foreign_branch.pk},
                                        format="json")

    assert_error(response, 400, "invalid", fields=["branch"])
    member.refresh_from_db()
    assert member.branch_id is None


def test_role_and_branch_change_together_is_all_or_nothing(api_as, community, admin_member, member, branch):
    # The admin may move the member but not make them an admin: nothing changes.
    response = api_as(admin_member.user).patch(url(community.slug, "members", member.pk),
                                               {"role": "admin", "branch": branch.pk}, format="json")
    assert_error(response, 403, "rank")
    member.refresh_from_db()
    assert (member.role, member.branch_id) == (Role.MEMBER, None)


def test_ban_then_banned_user_cannot_rejoin_by_code_until_unbanned(api_as, community, owner, admin_member, member):
    invite = InviteFactory(community=community, created_by=owner.user)

    response = api_as(admin_member.user).post(url(community.slug, "members", member.pk, "ban"),
                                              {"reason": "spam"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["ban_reason"]) == ("banned", "spam")

    assert_error(api_as(member.user).post("/api/v1/join/", {"code": invite.code}, format="json"), 403, "banned")
    assert_error(api_as(member.user).get(url(community.slug)), 404)
    invite.refresh_from_db()
    assert invite.uses_count == 0

    response = api_as(admin_member.user).post(url(community.slug, "members", member.pk, "unban"))
    assert response.status_code == 200
    assert response.json()["status"] == "left"
    assert_error(api_as(admin_member.user).post(url(community.slug, "members", member.pk, "unban")), 409, "not_banned")

    assert api_as(member.user).post("/api/v1/join/", {"code": invite.code}, format="json").status_code == 201
    member.refresh_from_db()
    assert member.status == Membership.Status.ACTIVE


def test_owner_cannot_be_banned(api_as, community, owner, admin_member):
    assert_error(api_as(admin_member.user).post(url(community.slug, "members", owner.pk, "ban"), {}, format="json"),
                 403, "last_owner")
    owner.refresh_from_db()
    assert owner.status == Membership.Status.ACTIVE


def test_unknown_or_out_of_range_ids_are_not_found(api_as, community, owner):
    client = api_as(owner.user)
    for pk in (999999, 10**20):
        assert_error(client.patch(url(community.slug, "members", pk), {"role": "member"}, format="json"), 404)
        assert_error(client.post(url(community.slug, "members", pk, "ban"), {}, format="json"), 404)
        assert_error(client.post(url(community.slug, "invites", pk, "revoke")), 404)
        assert_error(client.post(url(community.slug, "join-requests", pk, "approve")), 404)
    assert client.get(url(community.slug, "members"), {"branch": str(10**19)}).json()["count"] == 0


# Invites -------------------------------------------------------------------------------------

def test_leader_creates_an_invite_with_links(api_as, community, leader, branch):
    expires = timezone.now() + timedelta(days=3)

    response = api_as(leader.user).post(url(community.slug, "invites"), {
        "label": "Poster at the gate", "expires_at": expires.isoformat(), "max_uses": 20, "branch": branch.pk,
    }, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    invite = community.invites.get()
    assert body["code"] == invite.code
    assert body["url"] == f"http://testserver/i/{invite.code}/"
    assert body["qr_url"] == f"http://testserver/i/{invite.code}/qr.png"
    assert (body["state"], body["uses_count"], body["max_uses"]) == ("valid", 0, 20)
    assert body["branch"] == {"id": branch.pk, "name": branch.name}
    assert body["revoked_at"] is None and body["expires_at"]
    assert (invite.created_by, invite.branch, invite.label) == (leader.user, branch, "Poster at the gate")
    # The QR link really is an image.
    assert api_as(leader.user).get(body["qr_url"].removeprefix("http://testserver"))["Content-Type"] == "image/png"


def test_invite_list_leaders_see_their_own_admins_see_all(api_as, community, admin_member, leader, member):
    mine = InviteFactory(community=community, created_by=leader.user)
    theirs = InviteFactory(community=community, created_by=admin_member.user)
    InviteFactory(created_by=leader.user)  # another community's

    leader_view = api_as(leader.user).get(url(community.slug, "invites"))
    admin_view = api_as(admin_member.user).get(url(community.slug, "invites"))

    assert [row["id"] for row in leader_view.json()["results"]] == [mine.pk]
    assert {row["id"] for row in admin_view.json()["results"]} == {mine.pk, theirs.pk}
    assert_error(api_as(member.user).get(url(community.slug, "invites")), 403)
    assert_error(api_as(member.user).post(url(community.slug, "invites"), {}, format="json"), 403)


def test_revoke_an_invite(api_as, community, admin_member, leader):
    own = InviteFactory(community=community, created_by=leader.user)
    admins = InviteFactory(community=community, created_by=admin_member.user)

    response = api_as(leader.user).post(url(community.slug, "invites", own.pk, "revoke"))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "revoked" and response.json()["revoked_at"]

    # Someone else's link is not the leader's to see: not found, as another branch's rows are.
    assert_error(api_as(leader.user).post(url(community.slug, "invites", admins.pk, "revoke")), 404)
    assert api_as(admin_member.user).post(url(community.slug, "invites", admins.pk, "revoke")).status_code == 200
    assert_error(api_as(admin_member.user).post(url(community.slug, "invites", 999999, "revoke")), 404)


@pytest.mark.parametrize("payload, field", [
    ({"max_uses": 0}, "max_uses"),
    ({"max_uses": -3}, "max_uses"),
    ({"max_uses": "lots"}, "max_uses"),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"expires_at": "tomorrow"}, "expires_at"),
    ({"branch": 999999}, "branch"),
    ({"label": "x" * 81}, "label"),
    ({"max_uses": 10**10}, "max_uses"),  # beyond the column's range: refused, not a database error
    ({"branch": 10**20}, "branch"),
])
def test_invite_create_bad_input_is_400_with_fields(api_as, community, admin_member, payload, field):
    response = api_as(admin_member.user).post(url(community.slug, "invites"), payload, format="json")
    assert_error(response, 400, fields=[field])
    assert not community.invites.exists()


# Joining by code -----------------------------------------------------------------------------

def test_joining_twice_makes_one_membership_and_answers_the_same(api_as, community, leader, outsider, branch):
    invite = InviteFactory(community=community, created_by=leader.user, branch=branch, max_uses=5)
    client = api_as(outsider)

    first = client.post("/api/v1/join/", {"code": invite.code.upper()}, format="json")
    second = client.post("/api/v1/join/", {"code": invite.code}, format="json")

    assert (first.status_code, second.status_code) == (201, 200), (first.content, second.content)
    assert first.json() == second.json()
    assert first.json()["slug"] == community.slug and first.json()["role"] == "member"
    assert first.json()["branch"] == {"id": branch.pk, "name": branch.name}
    membership = community.memberships.get(user=outsider)
    assert (membership.invited_by, membership.invite) == (leader.user, invite)
    invite.refresh_from_db()
    assert invite.uses_count == 1


@pytest.mark.parametrize("make_invite, status, code", [
    (lambda c, u: InviteFactory(community=c, created_by=u, revoked_at=timezone.now()), 410, "invite_revoked"),
    (lambda c, u: InviteFactory(community=c, created_by=u, expires_at=timezone.now() - timedelta(minutes=1)),
     410, "invite_expired"),
    (lambda c, u: InviteFactory(community=c, created_by=u, max_uses=1, uses_count=1), 410, "invite_used_up"),
    (lambda c, u: Invite(code="nosuchcode"), 404, "invite_not_found"),
])
def test_joining_with_an_unusable_code(api_as, community, owner, outsider, make_invite, status, code):
    invite = make_invite(community, owner.user)

    response = api_as(outsider).post("/api/v1/join/", {"code": invite.code}, format="json")

    assert_error(response, status, code)
    assert not community.memberships.filter(user=outsider).exists()


def test_join_bad_input(api_as, outsider):
    client = api_as(outsider)
    assert_error(client.post("/api/v1/join/", {}, format="json"), 400, "invalid", fields=["code"])
    assert_error(client.post("/api/v1/join/", {"code": ""}, format="json"), 400, fields=["code"])
    response = client.post("/api/v1/join/", data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


# Join requests -------------------------------------------------------------------------------

def test_join_request_create_is_idempotent_then_approved(api_as, community, admin_member, outsider):
    client = api_as(outsider)

    first = client.post(url(community.slug, "join-requests"), {"message": "I live next door"}, format="json")
    second = client.post(url(community.slug, "join-requests"), {"message": "again"}, format="json")

    assert (first.status_code, second.status_code) == (201, 200), (first.content, second.content)
    assert first.json()["id"] == second.json()["id"]
    assert (first.json()["status"], first.json()["message"]) == ("pending", "I live next door")
    assert community.join_requests.filter(user=outsider).count() == 1

    listed = api_as(admin_member.user).get(url(community.slug, "join-requests"))
    assert [row["id"] for row in listed.json()["results"]] == [first.json()["id"]]
    assert listed.json()["results"][0]["user"]["id"] == outsider.pk

    response = api_as(admin_member.user).post(url(community.slug, "join-requests", first.json()["id"], "approve"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert community.memberships.get(user=outsider).status == Membership.Status.ACTIVE
    assert client.get(url(community.slug)).status_code == 200

    again = api_as(admin_member.user).post(url(community.slug, "join-requests", first.json()["id"], "approve"))
    assert_error(again, 409, "already_decided")
    assert api_as(admin_member.user).get(url(community.slug, "join-requests")).json()["count"] == 0
    approved = api_as(admin_member.user).get(url(community.slug, "join-requests"), {"status": "approved"})
    assert approved.json()["count"] == 1


def test_join_request_decline_with_a_note(api_as, community, owner, outsider):
    join_request = JoinRequest.objects.create(community=community, user=outsider, message="hi")

    response = api_as(owner.user).post(url(community.slug, "join-requests", join_request.pk, "decline"),
                                       {"note": "Neighbours only"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decision_note"]) == ("declined", "Neighbours only")
    assert response.json()["decided_by"]["id"] == owner.user.pk
    assert not community.memberships.filter(user=outsider).exists()


def test_join_request_refusals(api_as, community, member, leader, outsider):
    open_community = CommunityFactory(join_policy=Community.JoinPolicy.OPEN)
    invite_only = CommunityFactory(join_policy=Community.JoinPolicy.INVITE)
    client = api_as(outsider)

    assert_error(client.post(url(open_community.slug, "join-requests"), {}, format="json"), 409, "open_join")
    assert_error(client.post(url(invite_only.slug, "join-requests"), {}, format="json"), 404)
    assert_error(client.post(url("no-such-community", "join-requests"), {}, format="json"), 404)
    assert_error(api_as(member.user).post(url(community.slug, "join-requests"), {}, format="json"),
                 409, "already_member")
    assert_error(client.post(url(community.slug, "join-requests"), {"message": "x" * 501}, format="json"),
                 400, fields=["message"])
    # Only admins see and decide requests.
    assert_error(api_as(leader.user).get(url(community.slug, "join-requests")), 403)
    assert_error(api_as(outsider).get(url(community.slug, "join-requests")), 404)
    assert not JoinRequest.objects.filter(user=outsider).exists()


def test_banned_user_cannot_ask_to_join(api_as, community, member):
    Membership.objects.filter(pk=member.pk).update(status=Membership.Status.BANNED, left_at=timezone.now())
    assert_error(api_as(member.user).post(url(community.slug, "join-requests"), {}, format="json"), 403, "banned")


def test_join_request_list_bad_status_filter(api_as, community, admin_member):
    response = api_as(admin_member.user).get(url(community.slug, "join-requests"), {"status": "maybe"})
    assert_error(response, 400, fields=["status"])


def test_member_update_bad_input(api_as, community, owner, member):
    client = api_as(owner.user)
    endpoint = url(community.slug, "members", member.pk)
    assert_error(client.patch(endpoint, {"role": "king"}, format="json"), 400, "invalid", fields=["role"])
    assert_error(client.patch(endpoint, {}, format="json"), 400, "invalid")
    assert_error(client.patch(endpoint, {"branch": "north"}, format="json"), 400, fields=["branch"])
    assert_error(client.patch(endpoint, data="role=", content_type="application/json"), 400, "parse_error")
    member.refresh_from_db()
    assert member.role == Role.MEMBER


@pytest.mark.parametrize("path", ["members", "invites", "join-requests"])
def test_list_query_count_does_not_grow_with_rows(api_as, community, owner, branch, path):
    def add_rows(n):
        for _ in range(n):
            user = UserFactory()
            MembershipFactory(community=community, user=user, branch=branch, invited_by=owner.user)
            InviteFactory(community=community, created_by=owner.user, branch=branch)
            JoinRequest.objects.create(community=community, user=UserFactory())

    def count_queries():
        client = api_as(owner.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(community.slug, path)).status_code == 200
        return len(queries)

    add_rows(2)
    few = count_queries()
    add_rows(10)
    assert count_queries() == few


# Tenancy -------------------------------------------------------------------------------------

def _snapshot(community):
    return {
        "memberships": sorted(community.memberships.values_list("id", "role", "status", "branch_id", "ban_reason")),
        "invites": sorted(community.invites.values_list("id", "revoked_at", "uses_count")),
        "requests": sorted(community.join_requests.values_list("id", "status", "decision_note")),
        "community": Community.objects.filter(pk=community.pk).values().get(),
    }


def test_owner_of_a_cannot_read_or_change_anything_of_b(api_as, community, owner):
    b = CommunityFactory(join_policy=Community.JoinPolicy.INVITE)
    b_owner = MembershipFactory(community=b, role=Role.OWNER)
    b_admin = MembershipFactory(community=b, role=Role.ADMIN)
    b_member = MembershipFactory(community=b)
    b_banned = MembershipFactory(community=b, status=Membership.Status.BANNED)
    b_branch = CommunityFactory(parent=b, name="B north")
    b_invite = InviteFactory(community=b, created_by=b_admin.user)
    b_revoked = InviteFactory(community=b, created_by=b_admin.user, revoked_at=timezone.now())
    b_request = JoinRequest.objects.create(community=b, user=UserFactory())
    before = _snapshot(b)
    client = api_as(owner.user)
    a = community.slug

    calls = [
        # B's slug
        ("get", url(b.slug), None),
        ("get", url(b.slug, "members"), None),
        ("patch", url(b.slug, "members", b_member.pk), {"role": "admin"}),
        ("patch", url(b.slug, "members", b_member.pk), {"branch": b_branch.pk}),
        ("post", url(b.slug, "members", b_member.pk, "ban"), {"reason": "x"}),
        ("post", url(b.slug, "members", b_banned.pk, "unban"), {}),
        ("get", url(b.slug, "invites"), None),
        ("post", url(b.slug, "invites"), {"label": "sneaky"}),
        ("post", url(b.slug, "invites", b_invite.pk, "revoke"), {}),
        ("get", url(b.slug, "join-requests"), None),
        ("post", url(b.slug, "join-requests"), {"message": "let me in"}),
        ("post", url(b.slug, "join-requests", b_request.pk, "approve"), {}),
        ("post", url(b.slug, "join-requests", b_request.pk, "decline"), {"note": "x"}),
        ("get", url(b_branch.slug), None),
        # A's slug with B's ids
        ("patch", url(a, "members", b_member.pk), {"role": "admin"}),
        ("patch", url(a, "members", b_owner.pk), {"role": "member"}),
        ("patch", url(a, "members", b_member.pk), {"branch": None}),
        ("post", url(a, "members", b_member.pk, "ban"), {"reason": "x"}),
        ("post", url(a, "members", b_banned.pk, "unban"), {}),
        ("post", url(a, "invites", b_invite.pk, "revoke"), {}),
        ("post", url(a, "join-requests", b_request.pk, "approve"), {}),
        ("post", url(a, "join-requests", b_request.pk, "decline"), {"note": "x"}),
    ]
    for method, path, data in calls:
        response = getattr(client, method)(path, data, format="json") if data is not None else client.get(path)
        assert response.status_code in (403, 404), (method, path, response.status_code, response.content)
        assert set(response.json()) == ERROR_KEYS

    # A's own endpoints show nothing of B.
    assert b_member.pk not in {r["id"] for r in client.get(url(a, "members"), {"status": ""}).json()["results"]}
    assert client.get(url(a, "members"), {"invited_by": str(b_admin.user.pk)}).json()["count"] == 0
    assert b_invite.pk not in {r["id"] for r in client.get(url(a, "invites")).json()["results"]}
    for status in ("pending", "approved", "declined"):
        assert client.get(url(a, "join-requests"), {"status": status}).json()["count"] == 0
    # A's invite for B's branch, and moving A's members into B's branch, are refused.
    a_member = community.memberships.exclude(pk=owner.pk).first()
    assert_error(client.post(url(a, "invites"), {"branch": b_branch.pk}, format="json"), 400, fields=["branch"])
    assert_error(client.patch(url(a, "members", a_member.pk), {"branch": b_branch.pk}, format="json"), 400)
    # B's dead invite code answers as dead, without joining.
    assert_error(client.post("/api/v1/join/", {"code": b_revoked.code}, format="json"), 410, "invite_revoked")
    assert [row["slug"] for row in client.get("/api/v1/communities/").json()["results"]] == [a]

    assert _snapshot(b) == before
    assert not b.memberships.filter(user=owner.user).exists()
    assert not community.invites.exists()


# Schema and docs -----------------------------------------------------------------------------

def test_schema_is_served_and_lists_the_communities_api(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/v1/communities/{slug}/members/{id}/", "/api/v1/join/",
                 "/api/v1/communities/{slug}/join-requests/{id}/approve/"):
        assert path in text


def test_docs_page_uses_only_local_assets(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), re.findall(r"https?://\S+", html)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(asset.startswith("/static/") for asset in assets), assets

