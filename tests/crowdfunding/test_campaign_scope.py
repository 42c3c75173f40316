"""Who may back, run and hand out what: other communities, other branches, plain members."""

from datetime import timedelta

import pytest
from django.utils import timezone

from communities import services as community_services
from communities.models import Membership, Role
from core.exceptions import Forbidden, NotFound, ValidationFailed
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def day(n=3):
    return (timezone.now() + timedelta(days=n)).date().isoformat()


def test_a_plain_member_cannot_launch_a_campaign_and_another_community_cannot_touch_one(make_campaign, member,
                                                                                         pickup_point):
    with pytest.raises(Forbidden):
        services.campaign_create(actor=member, title="Mine", goal="10", deadline=day(),
                                 tiers=[services.TierSpec(title="x", amount="1")])
    campaign = make_campaign()
    elsewhere = CommunityFactory()
    stranger_owner = MembershipFactory(community=elsewhere, role=Role.OWNER)
    stranger = Membership.objects.select_related("community", "user").get(pk=stranger_owner.pk)
    for action in (lambda: services.campaign_update(actor=stranger, campaign=campaign, values={"title": "x"}),
                   lambda: services.campaign_cancel(actor=stranger, campaign=campaign),
                   lambda: services.update_post(actor=stranger, campaign=campaign, title="x", body="y"),
                   lambda: services.pledge_place(member=stranger, campaign=campaign, idempotency_key="k",
                                                 tier_id=campaign.tiers.get().pk, pickup_point_id=pickup_point.pk)):
        with pytest.raises(NotFound):
            action()
    assert not Pledge.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).title == campaign.title


def test_a_leader_runs_only_their_own_campaigns_and_their_branch_sees_only_what_is_aimed_at_it(
        community, owner, leader, member, pickup_point):
    east = community_services.branch_create(actor=owner, name="East", leader=leader.user)
    west_leader_user = UserFactory()
    MembershipFactory(community=community, user=west_leader_user, role=Role.MEMBER)
    west = community_services.branch_create(actor=owner, name="West", leader=west_leader_user)
    leader.refresh_from_db()
    west_leader = Membership.objects.select_related("community", "branch").get(community=community,
                                                                               user=west_leader_user)
    east_campaign = services.campaign_create(actor=leader, title="East tea", goal="10", deadline=day(),
                                             tiers=[services.TierSpec(title="Tin", amount="5")])
    assert east_campaign.branch_id == east.pk  # a leader's campaign is for their branch
    with pytest.raises(ValidationFailed):
        services.campaign_create(actor=leader, title="West tea", goal="10", deadline=day(), branch=west,
                                 tiers=[services.TierSpec(title="Tin", amount="5")])
    with pytest.raises(NotFound):
        services.campaign_launch(actor=west_leader, campaign=east_campaign)
    services.campaign_launch(actor=leader, campaign=east_campaign)
    community_services.membership_move_branch(actor=owner, membership=member, branch=west)
    member.refresh_from_db()
    assert not services.campaign_visible_to(member, east_campaign)
    with pytest.raises(NotFound):
        services.pledge_place(member=member, campaign=east_campaign, idempotency_key="k",
                              tier_id=east_campaign.tiers.get().pk)


@pytest.mark.parametrize("value", ["", "\x00", "x" * 121, "-5", "0", "1e9", "12.345", "NaN", "１２"])
def test_bad_goals_and_titles_are_field_errors(owner, value):
    with pytest.raises(ValidationFailed) as error:
        services.campaign_create(actor=owner, title=value if not value[:1].isdigit() else "ok", goal=value,
                                 deadline=day(), tiers=[services.TierSpec(title="Tin", amount="5")])
    assert error.value.fields


@pytest.mark.parametrize("goal,quantity", [("１２", "1"), ("12", "２"), ("٣", "1"), ("12", "٣")])
def test_digits_other_than_0_to_9_are_field_errors_as_everywhere_on_the_site(make_campaign, owner, member,
                                                                             pickup_point, goal, quantity):
    with pytest.raises(ValidationFailed) as error:
        services.campaign_create(actor=owner, title="Tea", goal=goal, deadline=day(),
                                 tiers=[services.TierSpec(title="Tin", amount="5")])
        backed = make_campaign(title="Other")
        services.pledge_place(member=member, campaign=backed, idempotency_key="k", quantity=quantity,
                              tier_id=backed.tiers.get().pk, pickup_point_id=pickup_point.pk)
    assert {"goal", "quantity"} & set(error.value.fields)
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("field,value", [("quantity", "²"), ("quantity", "0"), ("quantity", "100"),
                                         ("extra_support", "-1"), ("extra_support", "abc"), ("note", "x" * 201),
                                         ("tier_id", "99999999999"), ("pickup_point_id", "\x00")])
def test_bad_pledges_are_field_errors_and_store_nothing(make_campaign, member, pickup_point, field, value):
    campaign = make_campaign()
    kwargs = {"tier_id": campaign.tiers.get().pk, "quantity": 1, "pickup_point_id": pickup_point.pk, field: value}
    with pytest.raises(ValidationFailed) as error:
        services.pledge_place(member=member, campaign=campaign, idempotency_key="k", **kwargs)
    assert error.value.fields
    assert not Pledge.objects.exists() and campaign.tiers.get().quantity_taken == 0
