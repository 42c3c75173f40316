"""Races on PostgreSQL with real threads: no overselling, one order per key, one refund per order,
per-member limits and team sizes hold when requests arrive at the same moment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from communities.models import Membership, Role
from core.exceptions import Conflict, DomainError
from core.models import AuditLog
from orders import services
from payments import services as payments_services
from orders.models import GroupBuy, GroupBuyItem, MemberAllowance, Order, OrderLine, Team
from payments.models import Refund, Wallet, WalletEntry
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy

from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


@pytest.fixture
def shop():
    community = CommunityFactory()
    return community, membership(community, Role.OWNER)


def place(member, group_buy, key, qty=1, **kwargs):
    return services.order_place(member=member, group_buy=group_buy, lines=[(group_buy.items.get().pk, qty)],
                                idempotency_key=key, pickup_point_id=group_buy.pickup_points.get().pk, **kwargs)


def test_twenty_buyers_for_the_last_five_units_exactly_five_get_one(shop):
    community, owner = shop
    group_buy = make_group_buy(owner, offer=8)
    place(owner, group_buy, "early", qty=3)  # 5 units left
    buyers = [membership(community) for _ in range(20)]
    group_buy = GroupBuy.objects.get(pk=group_buy.pk)
    item_id, point_id = group_buy.items.get().pk, group_buy.pickup_points.get().pk

    results = run_at_once(20, lambda i: services.order_place(
        member=buyers[i], group_buy=group_buy, lines=[(item_id, 1)], idempotency_key=f"last-{i}",
        pickup_point_id=point_id))

    won = [r for r in results if isinstance(r, tuple)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 5 and all(created for _order, created in won), results
    assert len(lost) == 15 and all(isinstance(e, Conflict) and e.code == "sold_out" for e in lost), lost
    item = GroupBuyItem.objects.get(pk=item_id)
    assert item.quantity_sold == item.quantity_on_offer == 8
    live = OrderLine.objects.filter(item=item, order__status__in=services.LIVE_STATUSES)
    assert live.aggregate(q=Sum("quantity"))["q"] == 8
    assert Order.objects.filter(group_buy=group_buy).count() == 6


def test_same_key_sent_twice_at_once_makes_one_order(shop):
    community, owner = shop
    group_buy = make_group_buy(owner, offer=100)
    buyer = membership(community)

    for attempt in range(5):
        results = run_at_once(2, lambda i: place(buyer, group_buy, f"double-{attempt}", qty=2))
        assert all(isinstance(r, tuple) for r in results), results
        assert results[0][0].pk == results[1][0].pk
        assert sorted(created for _order, created in results) == [False, True]

    assert Order.objects.filter(member=buyer.user).count() == 5
    assert GroupBuyItem.objects.get(group_buy=group_buy).quantity_sold == 10


def test_same_key_sent_twice_at_once_over_the_api_answers_the_same_order(shop):
    community, owner = shop
    group_buy = make_group_buy(owner, offer=100)
    buyer = membership(community)
    body = {"group_buy": group_buy.pk, "lines": [{"item": group_buy.items.get().pk, "quantity": 1}],
            "pickup_point": group_buy.pickup_points.get().pk}
    clients = [APIClient(), APIClient()]
    for client in clients:
        client.force_authenticate(buyer.user)

    for attempt in range(3):
        responses = run_at_once(2, lambda i: clients[i].post(f"/api/v1/communities/{community.slug}/orders/", body,
                                                             format="json", HTTP_IDEMPOTENCY_KEY=f"tap-{attempt}"))
        assert sorted(r.status_code for r in responses) == [200, 201], [r.content for r in responses]
        assert responses[0].json() == responses[1].json()

    assert Order.objects.filter(member=buyer.user).count() == 3
    assert GroupBuyItem.objects.get(group_buy=group_buy).quantity_sold == 3


def test_two_closing_sweeps_at_once_refund_each_paid_order_exactly_once(shop):
    community, owner = shop
    group_buy = make_group_buy(owner, price="12.34", offer=50, success_rule="min_buyers",
                               success_threshold=Decimal("100"))
    buyers = [membership(community) for _ in range(6)]
    paid_ids = []
    for index, buyer in enumerate(buyers):
        payments_services.wallet_top_up(actor=owner, member_user=buyer.user, amount=Decimal("50.00"))
        for n in range(1 + index % 2):  # some buyers have two paid orders
            order, _created = place(buyer, group_buy, f"o-{n}", qty=1 + n)
            services.order_pay_with_wallet(member=buyer, order=order)
            paid_ids.append(order.pk)
    unpaid, _created = place(owner, group_buy, "unpaid")
    when = group_buy.closes_at + timedelta(seconds=1)

    results = run_at_once(2, lambda i: services.group_buy_close_due(now=when))

    assert sorted(results) == [0, 1], results
    group_buy.refresh_from_db()
    assert group_buy.status == GroupBuy.Status.FAILED
    assert AuditLog.objects.filter(action="groupbuy.failed", object_id=group_buy.pk).count() == 1
    for order in Order.objects.filter(pk__in=paid_ids):
        assert order.status == Order.Status.REFUNDED and order.refunded_amount == order.paid_amount
        assert Refund.objects.filter(charge__order=order).count() == 1
        assert WalletEntry.objects.filter(charge__order=order, kind=WalletEntry.Kind.REFUND).count() == 1
    assert Order.objects.get(pk=unpaid.pk).status == Order.Status.CANCELLED
    for buyer in buyers:
        wallet = Wallet.objects.get(community=community, member=buyer.user)
        assert wallet.balance == Decimal("50.00")
        ledger = WalletEntry.objects.filter(wallet=wallet).aggregate(total=Sum("amount"))["total"]
        assert ledger == Decimal("50.00")
    assert GroupBuyItem.objects.get(group_buy=group_buy).quantity_sold == 0


def test_one_member_sending_eight_orders_at_once_gets_only_the_limit(shop):
    community, owner = shop
    group_buy = make_group_buy(owner, offer=100, limit=3)
    buyer = membership(community)

    results = run_at_once(8, lambda i: place(buyer, group_buy, f"limit-{i}"))

    won = [r for r in results if isinstance(r, tuple)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 3, results
    assert len(lost) == 5 and all(isinstance(e, DomainError) and e.code == "member_limit" for e in lost), lost
    item = GroupBuyItem.objects.get(group_buy=group_buy)
    assert item.quantity_sold == 3
    assert MemberAllowance.objects.get(item=item, member=buyer.user).quantity == 3
    assert Order.objects.filter(member=buyer.user).count() == 3


def test_eight_members_joining_a_team_of_three_at_once_seats_stay_bounded_and_only_payers_fill_it(shop):
    """Seats go to those who pay: unpaid orders may wait beside paid ones (at most twice the size in
    all), and when the joiners all pay at once exactly two more payments get in; the others are refused
    before any money moves, and their orders are cancelled with their units given back."""
    community, owner = shop
    group_buy = make_group_buy(owner, offer=100, mode="team", team_size=3)
    opener, _created = place(owner, group_buy, "open", open_team=True)
    services.payments_mark_received(actor=owner, orders=[opener])
    joiners = [membership(community) for _ in range(8)]

    results = run_at_once(8, lambda i: place(joiners[i], group_buy, "join", team_code=opener.team.code))

    won = [r for r in results if isinstance(r, tuple)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 5, results  # 2 × 3 seats, one taken by the opener
    assert len(lost) == 3 and all(isinstance(e, Conflict) and e.code == "team_full" for e in lost), lost
    team = Team.objects.get(pk=opener.team_id)
    assert team.member_count == 6 == 2 * team.size

    for joiner in joiners:
        payments_services.wallet_top_up(actor=owner, member_user=joiner.user, amount=Decimal("50.00"))
    orders = [order for order, _created in won]
    members = {o.member_id: m for m in joiners for o in orders if o.member_id == m.user_id}
    paid = run_at_once(5, lambda i: services.order_pay_with_wallet(member=members[orders[i].member_id],
                                                                   order=orders[i]))

    assert len([r for r in paid if not isinstance(r, Exception)]) == 2, paid
    team.refresh_from_db()
    assert team.status == Team.Status.SUCCEEDED and team.paid_count == 3 == team.member_count
    assert Order.objects.filter(team=team, status=Order.Status.CANCELLED).count() == 3
    assert GroupBuyItem.objects.get(group_buy=group_buy).quantity_sold == 3
    # Money moved only for the two who got in.
    assert Wallet.objects.filter(community=community, balance=Decimal("30.00")).count() == 2
    assert Wallet.objects.filter(community=community, balance=Decimal("50.00")).count() == 6
