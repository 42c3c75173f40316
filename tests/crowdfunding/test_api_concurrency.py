"""Races over the campaigns API on PostgreSQL with real threads: a limited tier is never oversold,
one pledge per key."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from communities.models import Membership, Role
from crowdfunding import services
from crowdfunding.models import Pledge, RewardTier
from orders.models import PickupPoint
from payments.models import Charge
from tests.concurrency import run_at_once
from tests.crowdfunding.api_fixtures import campaigns_url, day_ahead
from tests.factories import CommunityFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


def client_of(membership):
    client = APIClient()
    client.force_authenticate(membership.user)
    return client


@pytest.fixture
def live_campaign():
    """A live campaign with a tier of 6 units, 4 of them already taken: 2 are left."""
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    point = PickupPoint.objects.create(community=community, name="Gate", address="1 Road")
    campaign = services.campaign_create(actor=owner, title="Last mooncakes", goal="100.00",
                                        deadline=day_ahead(community),
                                        tiers=[services.TierSpec(title="Box", amount="50.00", quantity_limit=6)])
    campaign = services.campaign_launch(actor=owner, campaign=campaign)
    early = membership(community)
    services.pledge_place(member=early, campaign=campaign, idempotency_key="early", tier_id=campaign.tiers.get().pk,
                          quantity=4, pickup_point_id=point.pk)
    return community, campaign, point


def test_twelve_backers_for_the_last_two_units_exactly_two_get_one(live_campaign):
    community, campaign, point = live_campaign
    tier = campaign.tiers.get()
    backers = [membership(community) for _ in range(12)]
    clients = [client_of(b) for b in backers]
    body = {"tier": tier.pk, "quantity": 1, "pickup_point": point.pk}

    responses = run_at_once(12, lambda i: clients[i].post(campaigns_url(community.slug, campaign.pk, "pledges"),
                                                          body, format="json", HTTP_IDEMPOTENCY_KEY=f"last-{i}"))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 2 + [409] * 10, [r.content for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sold_out"}
    tier = RewardTier.objects.get(pk=tier.pk)
    assert tier.quantity_taken == tier.quantity_limit == 6
    assert Pledge.objects.filter(tier=tier).aggregate(q=Sum("quantity"))["q"] == 6
    assert Charge.objects.filter(community_id=community.pk).count() == 3  # the early pledge and two winners


def test_one_key_tapped_twice_at_once_makes_one_pledge(live_campaign):
    community, campaign, point = live_campaign
    backer = membership(community)
    clients = [client_of(backer), client_of(backer)]
    body = {"tier": campaign.tiers.get().pk, "quantity": 1, "pickup_point": point.pk}

    path = campaigns_url(community.slug, campaign.pk, "pledges")
    for attempt in range(2):
        responses = run_at_once(2, lambda i: clients[i].post(path, body, format="json",
                                                             HTTP_IDEMPOTENCY_KEY=f"tap-{attempt}"))
        assert sorted(r.status_code for r in responses) == [200, 201], [r.content for r in responses]
        assert responses[0].json()["id"] == responses[1].json()["id"]

    assert Pledge.objects.filter(member=backer.user).count() == 2
    assert RewardTier.objects.get(pk=campaign.tiers.get().pk).quantity_taken == 6
    assert sum(p.amount for p in Pledge.objects.filter(member=backer.user)) == Decimal("100.00")
