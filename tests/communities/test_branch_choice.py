"""A member of a community with branches picks their branch (分群) and pickup point; admins may
set it when approving a join request."""

import pytest
from django.urls import reverse

from communities import services
from communities.models import Community, JoinRequest, Membership
from core.models import Notification
from orders.models import PickupPoint
from tests.api import assert_error, url
from tests.factories import CommunityFactory, InviteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def branches(community, owner):
    north = services.branch_create(actor=owner, name="一期")
    south = services.branch_create(actor=owner, name="二期")
    PickupPoint.objects.create(community=community, branch=north, name="东门快递柜", address="一期东门")
    return north, south


def test_a_member_who_joins_by_invite_is_asked_for_their_branch_and_sees_its_pickup_point(
        client, community, owner, branches):
    invite = InviteFactory(community=community, created_by=owner.user)
    newcomer = UserFactory()
    client.force_login(newcomer)

    joined = client.post(reverse("communities:invite", args=[invite.code]))

    page_url = reverse("communities:choose_branch", args=[community.slug])
    assert joined.status_code == 302 and joined["Location"] == page_url
    page = client.get(page_url).content.decode()
    assert "一期" in page and "二期" in page and "东门快递柜" in page
    chosen = client.post(page_url, {"branch": branches[1].pk})
    assert chosen.status_code == 302
    assert Membership.objects.get(community=community, user=newcomer).branch == branches[1]


def test_an_invite_for_a_branch_needs_no_choice(client, community, owner, branches):
    invite = InviteFactory(community=community, created_by=owner.user, branch=branches[0])
    client.force_login(UserFactory())
    joined = client.post(reverse("communities:invite", args=[invite.code]))
    assert joined["Location"] == community.get_absolute_url()


def test_the_home_page_asks_until_a_branch_is_chosen_and_then_offers_to_change_it(client, community, member,
                                                                                   branches):
    client.force_login(member.user)
    asking = client.get(community.get_absolute_url()).content.decode()
    assert "choose-branch-prompt" in asking
    client.post(reverse("communities:choose_branch", args=[community.slug]), {"branch": branches[0].pk})
    settled = client.get(community.get_absolute_url()).content.decode()
    assert "choose-branch-prompt" not in settled
    assert reverse("communities:choose_branch", args=[community.slug]) in settled  # "change"


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999", "1.5"])
def test_a_tampered_branch_is_an_error_next_to_the_field(client, community, member, branches, value):
    client.force_login(member.user)
    response = client.post(reverse("communities:choose_branch", args=[community.slug]), {"branch": value})
    assert response.status_code == 400 and 'data-field="branch"' in response.content.decode()
    member.refresh_from_db()
    assert member.branch is None


def test_another_communitys_branch_cannot_be_chosen(client, community, member, branches):
    other = CommunityFactory()
    foreign = Community.objects.create(name="别处", slug="elsewhere-b", parent=other)
    client.force_login(member.user)
    response = client.post(reverse("communities:choose_branch", args=[community.slug]), {"branch": foreign.pk})
    assert response.status_code == 400
    with pytest.raises(Exception):
        services.membership_choose_branch(membership=member, branch=foreign)
    member.refresh_from_db()
    assert member.branch is None


def test_approving_in_the_console_with_a_branch_puts_the_person_in_it(client, community, admin_member, branches):
    newcomer = UserFactory()
    request = JoinRequest.objects.create(community=community, user=newcomer, message="hi")
    client.force_login(admin_member.user)
    page = client.get(reverse("console:requests", args=[community.slug])).content.decode()
    assert f'<option value="{branches[0].pk}">一期</option>' in page

    client.post(reverse("console:request_decide", args=[community.slug, request.pk, "approve"]),
                {"branch": branches[0].pk})

    assert Membership.objects.get(community=community, user=newcomer).branch == branches[0]
    notice = Notification.objects.get(recipient=newcomer, kind="join_request_decided")
    assert notice.url == community.get_absolute_url()


def test_approving_without_a_branch_sends_the_person_to_choose_one(community, admin_member, branches):
    newcomer = UserFactory()
    request = JoinRequest.objects.create(community=community, user=newcomer)
    services.join_request_approve(actor=admin_member, join_request=request)
    notice = Notification.objects.get(recipient=newcomer, kind="join_request_decided")
    assert notice.url == reverse("communities:choose_branch", args=[community.slug])


def test_the_api_approves_with_a_branch_of_that_community_only(api_as, community, admin_member, branches):
    other = CommunityFactory()
    foreign = Community.objects.create(name="别处", slug="elsewhere-c", parent=other)
    first = JoinRequest.objects.create(community=community, user=UserFactory())
    second = JoinRequest.objects.create(community=community, user=UserFactory())
    client = api_as(admin_member.user)

    refused = client.post(url(community.slug, "join-requests", first.pk, "approve"), {"branch": foreign.pk},
                          format="json")
    assert_error(refused, 400, fields=["branch"])
    assert_error(client.post(url(community.slug, "join-requests", first.pk, "approve"), {"branch": "x"},
                             format="json"), 400, fields=["branch"])
    first.refresh_from_db()
    assert first.status == JoinRequest.Status.PENDING

    approved = client.post(url(community.slug, "join-requests", second.pk, "approve"), {"branch": branches[1].pk},
                           format="json")
    assert approved.status_code == 200, approved.content
    assert Membership.objects.get(community=community, user=second.user).branch == branches[1]
    plain = client.post(url(community.slug, "join-requests", first.pk, "approve"), format="json")
    assert plain.status_code == 200
