"""Membership rules: invites, joining, requests, roles, bans, audit, through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from communities import services
from communities.models import Community, Invite, JoinRequest, Membership, Role
from core.exceptions import Conflict, Forbidden, NotFound
from core.models import AuditLog, Notification
from tests.factories import CommunityFactory, InviteFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_invite_join_records_inviter_and_branch(community, leader, outsider):
    branch = Community.objects.create(parent=community, name="East", slug="east-branch")
    invite = InviteFactory(community=community, created_by=leader.user, branch=branch)

    membership, created = services.membership_join_by_code(user=outsider, code=invite.code)

    assert created
    assert membership.is_active and membership.role == Role.MEMBER
    assert membership.invited_by == leader.user and membership.branch == branch
    invite.refresh_from_db()
    assert invite.uses_count == 1


def test_joining_twice_gives_the_same_membership_and_uses_nothing(community, owner, outsider):
    invite = InviteFactory(community=community, created_by=owner.user, max_uses=5)

    first, created_first = services.membership_join_by_code(user=outsider, code=invite.code)
    second, created_second = services.membership_join_by_code(user=outsider, code=invite.code.upper())

    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Membership.objects.filter(community=community, user=outsider).count() == 1
    invite.refresh_from_db()
    assert invite.uses_count == 1


@pytest.mark.parametrize("change, code", [
    ({"revoked_at": timezone.now()}, "invite_revoked"),
    ({"expires_at": timezone.now() - timedelta(minutes=1)}, "invite_expired"),
    ({"max_uses": 1, "uses_count": 1}, "invite_used_up"),
])
def test_unusable_invites_are_refused_with_a_reason(community, owner, outsider, change, code):
    invite = InviteFactory(community=community, created_by=owner.user, **change)

    with pytest.raises(services.InviteUnavailable) as excinfo:
        services.membership_join_by_code(user=outsider, code=invite.code)

    assert excinfo.value.code == code and excinfo.value.status == 410
    assert not Membership.objects.filter(community=community, user=outsider).exists()


def test_unknown_invite_is_not_found(outsider):
    with pytest.raises(NotFound):
        services.membership_join_by_code(user=outsider, code="doesnotexist")


def test_a_banned_user_cannot_rejoin_by_any_route(community, owner, member):
    services.membership_ban(actor=owner, membership=member, reason="spam")
    fresh_invite = InviteFactory(community=community, created_by=owner.user)
    Community.objects.filter(pk=community.pk).update(join_policy=Community.JoinPolicy.OPEN)
    community.refresh_from_db()

    with pytest.raises(Forbidden) as by_invite:
        services.membership_join_by_code(user=member.user, code=fresh_invite.code)
    with pytest.raises(Forbidden) as by_open_join:
        services.membership_join(user=member.user, community=community)
    Community.objects.filter(pk=community.pk).update(join_policy=Community.JoinPolicy.APPROVAL)
    community.refresh_from_db()
    with pytest.raises(Forbidden) as by_request:
        services.join_request_create(user=member.user, community=community, message="let me back")

    assert {by_invite.value.code, by_open_join.value.code, by_request.value.code} == {"banned"}
    member.refresh_from_db()
    assert member.status == Membership.Status.BANNED
    fresh_invite.refresh_from_db()
    assert fresh_invite.uses_count == 0


def test_unban_lets_them_join_again(community, owner, member):
    services.membership_ban(actor=owner, membership=member)
    services.membership_unban(actor=owner, membership=member)
    invite = InviteFactory(community=community, created_by=owner.user)

    membership, created = services.membership_join_by_code(user=member.user, code=invite.code)

    assert created and membership.is_active


def test_policy_decides_how_people_get_in(outsider):
    invite_only = CommunityFactory(join_policy=Community.JoinPolicy.INVITE)
    approval = CommunityFactory(join_policy=Community.JoinPolicy.APPROVAL)
    open_one = CommunityFactory(join_policy=Community.JoinPolicy.OPEN)

    with pytest.raises(Forbidden):
        services.membership_join(user=outsider, community=invite_only)
    with pytest.raises(Forbidden):
        services.join_request_create(user=outsider, community=invite_only)
    with pytest.raises(Forbidden):
        services.membership_join(user=outsider, community=approval)
    membership, created = services.membership_join(user=outsider, community=open_one)
    assert created and membership.is_active


def test_join_request_approve_makes_a_member_and_tells_them(community, admin_member, outsider):
    request = services.join_request_create(user=outsider, community=community, message="Hi, I live in block 5")
    again = services.join_request_create(user=outsider, community=community, message="double tap")
    assert again.pk == request.pk

    membership = services.join_request_approve(actor=admin_member, join_request=request)

    request.refresh_from_db()
    assert membership.is_active and request.status == JoinRequest.Status.APPROVED
    assert request.decided_by == admin_member.user
    assert Notification.objects.filter(recipient=outsider, kind="join_request_decided").count() == 1
    assert AuditLog.objects.filter(community=community, action="join_request.approved", target_user=outsider).exists()
    with pytest.raises(Conflict):
        services.join_request_decline(actor=admin_member, join_request=request)


def test_join_request_decline(community, owner, outsider):
    request = services.join_request_create(user=outsider, community=community)

    services.join_request_decline(actor=owner, join_request=request, note="Residents only")

    request.refresh_from_db()
    assert request.status == JoinRequest.Status.DECLINED and request.decision_note == "Residents only"
    assert not Membership.objects.filter(community=community, user=outsider).exists()
    assert AuditLog.objects.filter(action="join_request.declined", target_user=outsider).exists()


def test_members_and_leaders_cannot_decide_requests(community, leader, member, outsider):
    request = services.join_request_create(user=outsider, community=community)
    for actor in (leader, member):
        with pytest.raises(Forbidden):
            services.join_request_approve(actor=actor, join_request=request)
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.PENDING


def test_the_owner_cannot_be_demoted_banned_or_leave(community, owner, admin_member):
    with pytest.raises(Forbidden) as demote:
        services.membership_change_role(actor=admin_member, membership=owner, role=Role.MEMBER)
    with pytest.raises(Forbidden) as self_demote:
        services.membership_change_role(actor=owner, membership=owner, role=Role.ADMIN)
    with pytest.raises(Forbidden) as ban:
        services.membership_ban(actor=admin_member, membership=owner)
    with pytest.raises(Forbidden) as leave:
        services.membership_leave(user=owner.user, community=community)

    assert {demote.value.code, self_demote.value.code, ban.value.code, leave.value.code} == {"last_owner"}
    owner.refresh_from_db()
    assert owner.role == Role.OWNER and owner.is_active


def test_ownership_transfer_keeps_exactly_one_owner(community, owner, admin_member):
    services.membership_change_role(actor=owner, membership=admin_member, role=Role.OWNER)

    roles = dict(community.memberships.values_list("user_id", "role"))
    assert roles[admin_member.user_id] == Role.OWNER and roles[owner.user_id] == Role.ADMIN
    assert community.memberships.filter(role=Role.OWNER).count() == 1
    changes = AuditLog.objects.filter(community=community, action="membership.role_changed")
    assert {(a.target_user_id, a.data["from"], a.data["to"]) for a in changes} == {
        (owner.user_id, "owner", "admin"), (admin_member.user_id, "admin", "owner")}


def test_role_changes_respect_rank(community, owner, admin_member, leader, member):
    with pytest.raises(Forbidden):  # only the owner appoints admins
        services.membership_change_role(actor=admin_member, membership=member, role=Role.ADMIN)
    with pytest.raises(Forbidden):  # leaders do not manage members
        services.membership_change_role(actor=leader, membership=member, role=Role.LEADER)
    other_admin = MembershipFactory(community=community, role=Role.ADMIN)
    with pytest.raises(Forbidden):  # an admin cannot touch another admin
        services.membership_ban(actor=admin_member, membership=other_admin)

    services.membership_change_role(actor=admin_member, membership=member, role=Role.LEADER)

    member.refresh_from_db()
    assert member.role == Role.LEADER
    log = AuditLog.objects.get(action="membership.role_changed", target_user=member.user)
    assert log.actor == admin_member.user and log.data == {"from": "member", "to": "leader"}


def test_ban_is_audited_and_clears_branch_leadership(community, owner, leader):
    branch = services.branch_create(actor=owner, name="West", leader=leader.user)
    assert branch.leader == leader.user

    services.membership_ban(actor=owner, membership=leader, reason="fraud")

    branch.refresh_from_db()
    leader.refresh_from_db()
    assert branch.leader is None and leader.status == Membership.Status.BANNED and leader.role == Role.MEMBER
    assert AuditLog.objects.get(action="membership.banned").data["reason"] == "fraud"


def test_branch_leader_is_promoted_and_moved(community, owner, member):
    branch = services.branch_create(actor=owner, name="North", leader=member.user)

    member.refresh_from_db()
    assert member.role == Role.LEADER and member.branch == branch
    with pytest.raises(Conflict):
        services.branch_create(actor=owner, name="North")


def test_moving_to_another_communitys_branch_is_refused(community, owner, member):
    other = CommunityFactory()
    foreign_branch = Community.objects.create(parent=other, name="Theirs", slug="theirs")
    with pytest.raises(Exception) as excinfo:
        services.membership_move_branch(actor=owner, membership=member, branch=foreign_branch)
    assert excinfo.value.status == 400
    member.refresh_from_db()
    assert member.branch is None


def test_acting_on_another_communitys_member_is_not_found(community, owner):
    stranger = MembershipFactory(community=CommunityFactory())
    with pytest.raises(NotFound):
        services.membership_ban(actor=owner, membership=stranger)
    with pytest.raises(NotFound):
        services.membership_change_role(actor=owner, membership=stranger, role=Role.LEADER)
    stranger.refresh_from_db()
    assert stranger.is_active and stranger.role == Role.MEMBER


def test_invite_validation(community, leader, member):
    with pytest.raises(Forbidden):
        services.invite_create(actor=member)
    with pytest.raises(Exception) as past:
        services.invite_create(actor=leader, expires_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(Exception) as zero:
        services.invite_create(actor=leader, max_uses=0)
    assert "expires_at" in past.value.fields and "max_uses" in zero.value.fields
    invite = services.invite_create(actor=leader, max_uses=10, label="Poster")
    assert invite.state == "valid" and len(invite.code) == 10


def test_leaders_revoke_only_their_own_invites(community, owner, leader):
    owners_invite = InviteFactory(community=community, created_by=owner.user)
    with pytest.raises(Forbidden):
        services.invite_revoke(actor=leader, invite=owners_invite)
    own = services.invite_create(actor=leader)
    services.invite_revoke(actor=leader, invite=own)
    assert Invite.objects.get(pk=own.pk).state == "revoked"
    assert Invite.objects.get(pk=owners_invite.pk).state == "valid"


def test_leaving_and_coming_back(community, owner, member):
    services.membership_leave(user=member.user, community=community)
    member.refresh_from_db()
    assert member.status == Membership.Status.LEFT
    invite = InviteFactory(community=community, created_by=owner.user)
    again, created = services.membership_join_by_code(user=member.user, code=invite.code)
    assert created and again.pk == member.pk and again.is_active


def test_unban_clears_the_reason_and_demoting_a_leader_frees_their_branch(community, owner, leader, member):
    branch = services.branch_create(actor=owner, name="South", leader=leader.user)
    services.membership_change_role(actor=owner, membership=leader, role=Role.MEMBER)
    branch.refresh_from_db()
    assert branch.leader is None

    services.membership_ban(actor=owner, membership=member, reason="rude")
    services.membership_unban(actor=owner, membership=member)
    member.refresh_from_db()
    assert member.ban_reason == "" and member.status == Membership.Status.LEFT


def test_invite_limits_and_audit(community, owner):
    with pytest.raises(Exception) as huge:
        services.invite_create(actor=owner, max_uses=10**10)
    assert "max_uses" in huge.value.fields
    invite = services.invite_create(actor=owner, max_uses=3)
    services.invite_revoke(actor=owner, invite=invite)
    services.invite_revoke(actor=owner, invite=invite)  # twice: one audit row
    actions = list(AuditLog.objects.filter(community=community, object_id=invite.pk).values_list("action", flat=True))
    assert sorted(actions) == ["invite.created", "invite.revoked"]


def test_notices_are_written_in_the_recipients_language(community, owner, outsider):
    outsider.language = "en"
    outsider.save()
    request = services.join_request_create(user=outsider, community=community)
    services.join_request_approve(actor=owner, join_request=request)
    assert Notification.objects.get(recipient=outsider).title.startswith("Welcome to")
