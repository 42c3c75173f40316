"""Points spent at checkout (积分抵现): the community's rate and cap, a guarded balance that two
orders at once cannot overspend, and the points given back once when the order is cancelled
(but not after a completed order is refunded)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import Membership, Role
from core.exceptions import Conflict
from core.sweeps import sweep_run
from engagement import points
from engagement.common import engagement_settings
from engagement.models import PointsAccount, PointsEntry
from orders import coupons, services
from orders.models import Order
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


def give_points(member, amount):
    points.points_award(community_id=member.community_id, member_id=member.user_id, amount=amount,
                        reason="check_in", key=f"test:{member.user_id}:{amount}")


def account(member):
    return PointsAccount.objects.get(community_id=member.community_id, member_id=member.user_id)


def place(member, group_buy, key, qty=2, **kw):
    return services.order_place(member=member, group_buy=group_buy, lines=[(group_buy.items.first().pk, qty)],
                                idempotency_key=key, pickup_point_id=group_buy.pickup_points.get().pk,
                                use_points=True, **kw)[0]


@pytest.fixture
def shop(db):
    community = CommunityFactory()
    return community, membership(community, Role.OWNER)


def test_points_pay_up_to_the_communitys_cap_at_its_rate(shop):
    community, owner = shop
    group_buy = make_group_buy(owner, price="20.00")  # 2 units: ¥40, 20% cap = ¥8 = 800 points
    buyer = membership(community)
    give_points(buyer, 1000)

    order = place(buyer, group_buy, "a")

    assert order.points_discount == Decimal("8.00") and order.points_spent == 800
    assert order.total == Decimal("32.00") and order.charge.amount == Decimal("32.00")
    mine = account(buyer)
    assert mine.balance == 200 and mine.lifetime == 1000  # spending is not un-earning
    assert PointsEntry.objects.get(key=f"spent:order:{order.pk}").amount == -800


def test_a_small_balance_pays_what_it_covers_and_no_point_is_taken_for_a_fraction_of_a_cent(shop):
    community, owner = shop
    settings = engagement_settings(community)
    settings.points_per_yuan_off = 300  # 3 points a cent
    settings.save()
    buyer = membership(community)
    give_points(buyer, 151)
    order = place(buyer, make_group_buy(owner, price="20.00"), "b")
    assert order.points_discount == Decimal("0.50") and order.points_spent == 150
    assert account(buyer).balance == 1


def test_with_points_off_in_the_community_nothing_is_spent(shop):
    community, owner = shop
    settings = engagement_settings(community)
    settings.points_per_yuan_off = 0
    settings.save()
    buyer = membership(community)
    give_points(buyer, 1000)
    order = place(buyer, make_group_buy(owner), "c")
    assert order.points_discount == 0 and order.total == Decimal("40.00") and account(buyer).balance == 1000


def test_the_cap_counts_from_the_price_after_the_coupon(shop):
    community, owner = shop
    now = timezone.now()
    coupons.coupon_save(actor=owner, code="TEN", name="Ten", kind="amount", amount_off=Decimal("10"),
                        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    buyer = membership(community)
    give_points(buyer, 5000)
    order = place(buyer, make_group_buy(owner, price="20.00"), "d", coupon_code="TEN")
    assert order.discount == Decimal("10.00") and order.points_discount == Decimal("6.00")
    assert order.total == Decimal("24.00")


def test_cancelling_gives_the_points_back_once(shop):
    community, owner = shop
    buyer = membership(community)
    give_points(buyer, 1000)
    order = place(buyer, make_group_buy(owner), "e")
    services.order_cancel(member=buyer, order=order)
    sweep_run("core.domain_events")
    sweep_run("core.domain_events")
    assert account(buyer).balance == 1000
    assert PointsEntry.objects.filter(reason="spent_returned").count() == 1


def test_a_refund_after_completion_keeps_the_points_spent(shop, top_up):
    community, owner = shop
    buyer = membership(community)
    give_points(buyer, 1000)
    top_up(owner, buyer, "100")
    order = place(buyer, make_group_buy(owner), "f")
    services.order_pay_with_wallet(member=buyer, order=order)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.COMPLETED, completed_at=timezone.now())
    order.refresh_from_db()
    services.order_refund(actor=owner, order=order)
    sweep_run("core.domain_events")
    assert account(buyer).balance == 200
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("32.00")


@pytest.mark.django_db(transaction=True)
def test_two_orders_at_once_cannot_spend_the_same_points():
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    group_buy = make_group_buy(owner, price="20.00")
    buyer = membership(community)
    give_points(buyer, 1000)

    results = run_at_once(4, lambda i: place(buyer, group_buy, f"race-{i}"))

    placed = [r for r in results if isinstance(r, Order)]
    assert placed and all(isinstance(r, Order) or (isinstance(r, Conflict) and r.code == "points_changed")
                          for r in results), results
    spent = sum(o.points_spent for o in placed)
    assert spent <= 1000 and account(buyer).balance == 1000 - spent >= 0
    assert -sum(PointsEntry.objects.filter(reason="spent").values_list("amount", flat=True)) == spent


@pytest.fixture
def top_up():
    from payments import services as payments_services

    def _top_up(admin, member, amount):
        return payments_services.wallet_top_up(actor=admin, member_user=member.user, amount=Decimal(amount))

    return _top_up


def test_the_api_pays_with_points_when_asked_and_shows_what_they_paid(shop, api_as):
    community, owner = shop
    group_buy = make_group_buy(owner, price="20.00")
    buyer = membership(community)
    give_points(buyer, 1000)
    body = {"group_buy": group_buy.pk, "lines": [{"item": group_buy.items.get().pk, "quantity": 2}],
            "pickup_point": group_buy.pickup_points.get().pk, "use_points": True}
    answer = api_as(buyer.user).post(f"/api/v1/communities/{community.slug}/orders/",
                                     body, format="json", HTTP_IDEMPOTENCY_KEY="api-points")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["points_discount"] == "8.00" and answer.json()["points_spent"] == 800
    assert answer.json()["total"] == "32.00" and account(buyer).balance == 200
