"""Fixtures for crowdfunding: a live reward campaign with a limited tier and a pickup point."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crowdfunding import services
from crowdfunding.models import Campaign
from orders.models import PickupPoint
from payments import services as payments_services


@pytest.fixture
def pickup_point(community):
    return PickupPoint.objects.create(community=community, name="North gate", address="1 North Road")


@pytest.fixture
def make_campaign(owner):
    """make_campaign(goal=..., tiers=[TierSpec...], launch=True, days=7, **kw) -> Campaign."""

    def _make(*, goal="100.00", tiers=None, launch=True, days=7, actor=None, **kwargs):
        actor = actor or owner
        kind = kwargs.pop("kind", Campaign.Kind.REWARD)
        if tiers is None and kind == Campaign.Kind.REWARD:
            tiers = [services.TierSpec(title="Box of mooncakes", amount="50.00", quantity_limit=10)]
        day = (timezone.localtime(timezone.now(), timezone.get_fixed_timezone(480)) + timedelta(days=days)).date()
        campaign = services.campaign_create(actor=actor, title=kwargs.pop("title", "Mid-autumn mooncakes"),
                                            goal=goal, deadline=day.isoformat(), kind=kind, tiers=tiers or [],
                                            **kwargs)
        if launch:
            campaign = services.campaign_launch(actor=actor, campaign=campaign)
        return campaign

    return _make


@pytest.fixture
def pledge():
    """pledge(membership, campaign, tier=None (first), quantity=1, key=None, **kw) -> Pledge."""
    counter = {"n": 0}

    def _pledge(membership, campaign, *, tier=None, quantity=1, key=None, **kwargs):
        counter["n"] += 1
        if "amount" not in kwargs:
            tier = tier or campaign.tiers.first()
        if tier is not None and tier.fulfilment == "pickup":
            kwargs.setdefault("pickup_point_id", campaign.community.pickup_points.first().pk)
        result, _created = services.pledge_place(member=membership, campaign=campaign,
                                                 tier_id=tier.pk if tier else None, quantity=quantity,
                                                 idempotency_key=key or f"p{counter['n']}", **kwargs)
        return result

    return _pledge


@pytest.fixture
def top_up(owner):
    def _top_up(membership, amount):
        return payments_services.wallet_top_up(actor=owner, member_user=membership.user, amount=Decimal(amount))

    return _top_up
