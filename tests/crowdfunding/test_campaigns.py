"""Campaigns from launch to settlement: what backers pay, get back and pick up."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from datetime import timezone as dt_timezone

from django.utils import timezone

from core.exceptions import Conflict, ValidationFailed
from core.sweeps import sweep_run
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge
from payments.models import Refund, Wallet

pytestmark = pytest.mark.django_db


def balance(membership):
    wallet = Wallet.objects.filter(community=membership.community, member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")


def settle(now):
    return sweep_run("crowdfunding.settle_campaigns", now=now)


def test_a_backer_pays_from_the_wallet_the_campaign_succeeds_and_the_reward_is_handed_out(
        make_campaign, pledge, top_up, member, leader, owner, pickup_point):
    campaign = make_campaign(goal="100.00")
    top_up(member, "120.00")
    first = pledge(member, campaign, quantity=2)
    services.pledge_pay_with_wallet(member=member, pledge=first)
    assert balance(member) == Decimal("20.00")
    assert services.campaign_totals(campaign).raised == Decimal("100.00")

    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    first.refresh_from_db()
    assert campaign.status == Campaign.Status.SUCCEEDED
    assert first.status == Pledge.Status.COLLECTED

    found = services.reward_find(actor=leader, campaign=campaign, code=first.pickup_code)
    assert found == first
    services.reward_hand_out(actor=leader, pledge=first, code=first.pickup_code)
    first.refresh_from_db()
    assert first.status == Pledge.Status.HANDED_OUT
    with pytest.raises(Conflict) as twice:
        services.reward_hand_out(actor=leader, pledge=first, code=first.pickup_code)
    assert twice.value.code == "already_picked_up"


def test_a_campaign_short_of_its_goal_fails_and_refunds_every_backer(make_campaign, pledge, top_up, member, admin_member,
                                                                       pickup_point):
    campaign = make_campaign(goal="500.00")
    top_up(member, "50.00")
    paid = pledge(member, campaign)
    services.pledge_pay_with_wallet(member=member, pledge=paid)
    unpaid = pledge(admin_member, campaign)
    assert balance(member) == Decimal("0.00")

    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert paid.status == Pledge.Status.REFUNDED and unpaid.status == Pledge.Status.CANCELLED
    assert balance(member) == Decimal("50.00")
    assert campaign.tiers.get().quantity_taken == 0
    settle(campaign.deadline + timedelta(hours=5))  # again: nothing twice
    assert balance(member) == Decimal("50.00")
    assert Refund.objects.filter(charge=paid.charge).count() == 1


def test_keep_what_you_raise_succeeds_below_the_goal(make_campaign, pledge, top_up, member, pickup_point):
    campaign = make_campaign(goal="1000.00", funding_model=Campaign.FundingModel.KEEP_WHAT_YOU_RAISE)
    top_up(member, "50.00")
    services.pledge_pay_with_wallet(member=member, pledge=pledge(member, campaign))
    settle(campaign.deadline + timedelta(seconds=1))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SUCCEEDED


def test_the_deadline_is_the_end_of_the_day_in_the_communitys_timezone(community, owner):
    for zone, end in (("Asia/Shanghai", "2026-12-05T15:59:59.999999+00:00"),
                      ("America/New_York", "2026-12-06T04:59:59.999999+00:00")):
        community.timezone = owner.community.timezone = zone
        community.save()
        with time_machine.travel("2026-12-01T02:00:00Z", tick=False):
            campaign = services.campaign_create(actor=owner, title="Tea", goal="10", deadline="2026-12-05",
                                                tiers=[services.TierSpec(title="Tin", amount="5")])
        campaign.refresh_from_db()
        assert campaign.deadline.astimezone(dt_timezone.utc).isoformat() == end
    community.timezone = owner.community.timezone = "Asia/Shanghai"
    with time_machine.travel("2026-12-01T02:00:00Z", tick=False), pytest.raises(ValidationFailed) as past:
        services.campaign_create(actor=owner, title="Tea", goal="10", deadline="2026-11-30",
                                 tiers=[services.TierSpec(title="Tin", amount="5")])
    assert "deadline" in past.value.fields
