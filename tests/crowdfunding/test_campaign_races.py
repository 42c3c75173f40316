"""Races on PostgreSQL with real threads: a limited tier never oversold, a settlement run twice at
once refunds each pledge once, a pledge racing the settlement lands before it or not at all."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import Membership, Role
from core.exceptions import Conflict
from core.sweeps import sweep_run
from crowdfunding import services
from crowdfunding.models import Campaign, Pledge, RewardTier
from orders.models import PickupPoint
from payments import services as payments_services
from payments.models import Refund, Wallet, WalletEntry
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


@pytest.fixture
def world():
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    point = PickupPoint.objects.create(community=community, name="Gate", address="1 Road")
    day = (timezone.now() + timedelta(days=3)).date()
    campaign = services.campaign_create(actor=owner, title="T-shirts", goal="200.00", deadline=day.isoformat(),
                                        tiers=[services.TierSpec(title="Shirt", amount="40.00", quantity_limit=5)])
    campaign = services.campaign_launch(actor=owner, campaign=campaign)
    return {"community": community, "owner": owner, "point": point, "campaign": campaign}


def back(world, member, key, quantity=1):
    return services.pledge_place(member=member, campaign=world["campaign"], tier_id=world["campaign"].tiers.get().pk,
                                 quantity=quantity, idempotency_key=key, pickup_point_id=world["point"].pk)[0]


def test_twenty_backers_for_the_last_five_shirts_exactly_five_get_one(world):
    members = [membership(world["community"]) for _ in range(20)]
    results = run_at_once(20, lambda i: back(world, members[i], f"k{i}"))
    won = [r for r in results if isinstance(r, Pledge)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 5
    assert all(isinstance(e, Conflict) and e.code == "sold_out" for e in lost), lost
    tier = RewardTier.objects.get(campaign=world["campaign"])
    assert tier.quantity_taken == 5 == Pledge.objects.filter(tier=tier, status="pending_payment").count()


def test_the_same_pledge_key_sent_twice_at_once_makes_one_pledge(world):
    member = membership(world["community"])
    results = run_at_once(2, lambda i: back(world, member, "same"))
    assert all(isinstance(r, Pledge) for r in results), results
    assert results[0].pk == results[1].pk
    assert RewardTier.objects.get(campaign=world["campaign"]).quantity_taken == 1


def test_two_settlement_sweeps_at_once_on_a_failed_campaign_refund_each_pledge_once(world):
    members = [membership(world["community"]) for _ in range(4)]
    for i, member in enumerate(members):
        payments_services.wallet_top_up(actor=world["owner"], member_user=member.user, amount=Decimal("45.55"))
        services.pledge_pay_with_wallet(member=member, pledge=back(world, member, f"k{i}"))
    # 160 of 200 raised: all-or-nothing fails.
    after = world["campaign"].deadline + timedelta(seconds=1)
    results = run_at_once(2, lambda i: sweep_run("crowdfunding.settle_campaigns", now=after))
    assert sum(r.settled for r in results) >= 1
    campaign = Campaign.objects.get(pk=world["campaign"].pk)
    assert campaign.status == Campaign.Status.FAILED
    for member in members:
        assert Wallet.objects.get(community=world["community"], member=member.user).balance == Decimal("45.55")
        assert WalletEntry.objects.filter(wallet__member=member.user, kind="refund").count() == 1
    assert Refund.objects.filter(charge__pledge__campaign=campaign).count() == 4
    assert set(Pledge.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"refunded"}
    assert RewardTier.objects.get(campaign=campaign).quantity_taken == 0


def test_pledges_racing_the_settlement_land_before_it_or_are_refused(world):
    """Backers pay at the last moment while the sweep settles: none is left paid on a settled campaign."""
    members = [membership(world["community"]) for _ in range(4)]
    pledges = []
    for i, member in enumerate(members):
        payments_services.wallet_top_up(actor=world["owner"], member_user=member.user, amount=Decimal("40.00"))
        pledges.append(back(world, member, f"k{i}"))
    # The sweep runs as if past the deadline while, by the clock the payments read, it is not yet:
    # only the locks decide which lands first.
    after = world["campaign"].deadline + timedelta(seconds=1)

    def work(i):
        if i == 4:
            return sweep_run("crowdfunding.settle_campaigns", now=after)
        return services.pledge_pay_with_wallet(member=members[i], pledge=pledges[i])

    run_at_once(5, work)
    sweep_run("crowdfunding.settle_campaigns", now=after + timedelta(hours=1))
    campaign = Campaign.objects.get(pk=world["campaign"].pk)
    assert campaign.is_final
    statuses = list(Pledge.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert "paid" not in statuses and "pending_payment" not in statuses
    for member in members:  # each either kept their 40 (refunded or never paid) or it is collected
        balance = Wallet.objects.get(community=world["community"], member=member.user).balance
        assert balance in (Decimal("0.00"), Decimal("40.00"))
    assert RewardTier.objects.get(campaign=campaign).quantity_taken == Pledge.objects.filter(
        campaign=campaign, status__in=("collected",)).count()
