"""A plain member's referral link never opens the community's door: where admins review newcomers
it leads to a join request that remembers the referrer (approved → the referral counts); in an
invite-only community plain members get no link; in an open one the link admits as any would."""

import pytest
from django.urls import reverse

from communities import services as communities
from communities.models import Community, JoinRequest, Membership, Role
from core.exceptions import Forbidden
from core.sweeps import sweep_run
from engagement import referrals
from engagement.models import Referral
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


def test_in_a_reviewed_community_the_link_asks_to_join_and_the_approval_records_the_referrer(client):
    community = CommunityFactory(join_policy=Community.JoinPolicy.APPROVAL)
    owner, referrer = membership(community, Role.OWNER), membership(community)
    invite = referrals.my_invite(referrer)
    assert not invite.admits

    friend = UserFactory()
    with pytest.raises(Forbidden) as refused:
        communities.membership_join_by_code(user=friend, code=invite.code)
    assert refused.value.code == "approval_required"
    assert not Membership.objects.filter(community=community, user=friend).exists()

    client.force_login(friend)
    landing = client.get(invite.get_absolute_url())
    assert landing.status_code == 302 and f"ref={invite.code}" in landing["Location"]
    client.post(landing["Location"], {"message": "hi"})
    request = JoinRequest.objects.get(community=community, user=friend)
    assert request.invite_id == invite.pk and request.address == "127.0.0.1"
    assert not Membership.objects.filter(community=community, user=friend).exists()

    joined = communities.join_request_approve(actor=owner, join_request=request)
    sweep_run("core.domain_events")
    assert joined.invited_by_id == referrer.user_id
    referral = Referral.objects.get(community=community, invitee=friend)
    assert referral.referrer_id == referrer.user_id and referral.join_address == "127.0.0.1"


def test_a_plain_request_without_a_link_makes_no_referral(client):
    community = CommunityFactory(join_policy=Community.JoinPolicy.APPROVAL)
    owner = membership(community, Role.OWNER)
    friend = UserFactory()
    request = communities.join_request_create(user=friend, community=community)
    communities.join_request_approve(actor=owner, join_request=request)
    sweep_run("core.domain_events")
    assert not Referral.objects.exists()


def test_a_ref_of_another_community_or_an_admitting_link_is_ignored_by_the_join_page(client):
    community = CommunityFactory(join_policy=Community.JoinPolicy.APPROVAL)
    membership(community, Role.OWNER)
    elsewhere = CommunityFactory(join_policy=Community.JoinPolicy.APPROVAL)
    their_link = referrals.my_invite(membership(elsewhere))
    friend = UserFactory()
    client.force_login(friend)
    url = reverse("communities:join", kwargs={"slug": community.slug})
    client.post(f"{url}?ref={their_link.code}", {"message": ""})
    client.post(f"{url}?ref=%00" + "x" * 500, {"message": ""})
    assert JoinRequest.objects.get(community=community, user=friend).invite_id is None


def test_in_an_invite_only_community_plain_members_have_no_link_and_leaders_do(client):
    community = CommunityFactory(join_policy=Community.JoinPolicy.INVITE)
    plain, leader = membership(community), membership(community, Role.LEADER)
    assert referrals.my_invite(plain) is None
    assert referrals.my_invite(leader).admits
    client.force_login(plain.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("engagement:my_referrals", kwargs={"slug": community.slug}))
    assert page.status_code == 200 and "data-no-link" in page.content.decode()


def test_in_an_open_community_a_members_link_admits(client):
    community = CommunityFactory(join_policy=Community.JoinPolicy.OPEN)
    referrer = membership(community)
    invite = referrals.my_invite(referrer)
    assert invite.admits
    joined, created = communities.membership_join_by_code(user=UserFactory(), code=invite.code)
    assert created and joined.invited_by_id == referrer.user_id
