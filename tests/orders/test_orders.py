"""Group-buy rules through the services: ordering, paying, closing, tiers, pickup, commission."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from communities.models import Community
from core.exceptions import Conflict, DomainError, Unprocessable, ValidationFailed
from core.models import Notification
from orders import services
from orders.models import Commission, GroupBuy, Order, Team
from payments.models import Refund, Wallet, WalletEntry
from tests.factories import MembershipFactory, ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db


def balance(membership):
    wallet = Wallet.objects.filter(community=membership.community, member=membership.user).first()
    return wallet.balance if wallet else Decimal("0")


def test_order_snapshots_lines_and_takes_units(owner, member, place):
    product = ProductFactory(community=owner.community, name="Mango", unit="box")
    group_buy = make_group_buy(owner, products=[product], price="25.50", offer=10)

    order = place(member, group_buy, qty=3)

    line = order.lines.get()
    assert (line.name, line.unit, line.unit_price, line.quantity, line.line_total) == (
        "Mango", "box", Decimal("25.50"), 3, Decimal("76.50"))
    assert order.total == Decimal("76.50") and order.status == Order.Status.PENDING_PAYMENT
    assert group_buy.items.get().quantity_sold == 3
    assert order.expires_at <= timezone.now() + timedelta(minutes=owner.community.payment_window_minutes)


def test_publishing_reserves_product_stock_and_refuses_more_than_there_is(owner):
    product = ProductFactory(community=owner.community, stock=50)
    make_group_buy(owner, products=[product], offer=30)
    product.refresh_from_db()
    assert product.stock == 20
    with pytest.raises(Conflict):
        make_group_buy(owner, products=[product], offer=30, title="Second")
    product.refresh_from_db()
    assert product.stock == 20
    assert GroupBuy.objects.filter(community=owner.community).count() == 1


def test_sold_out_and_limits(owner, member, admin_member, place):
    group_buy = make_group_buy(owner, offer=5, limit=3)
    place(member, group_buy, qty=3)
    with pytest.raises(Conflict) as limit:
        place(member, group_buy, qty=1)
    assert limit.value.code == "member_limit"
    with pytest.raises(Conflict) as sold_out:
        place(admin_member, group_buy, qty=3)
    assert sold_out.value.code == "sold_out"
    place(admin_member, group_buy, qty=2)
    assert group_buy.items.get().quantity_sold == 5


def test_idempotent_retry_returns_the_first_order_and_a_changed_body_is_refused(owner, member, place):
    group_buy = make_group_buy(owner)
    first = place(member, group_buy, qty=2, key="tap-1")
    again = place(member, group_buy, qty=2, key="tap-1")
    assert first.pk == again.pk and Order.objects.count() == 1
    with pytest.raises(Unprocessable):
        place(member, group_buy, qty=5, key="tap-1")
    assert group_buy.items.get().quantity_sold == 2


def test_bad_orders_are_refused_without_side_effects(owner, member, place):
    group_buy = make_group_buy(owner)
    item = group_buy.items.get()
    for kwargs in ({"qty": 0}, {"qty": 10**6}, {"fulfilment": "delivery", "delivery_address": "x"},
                   {"fulfilment": "teleport"}, {"pickup_point_id": 999999}, {"key": " "}):
        with pytest.raises(DomainError):
            place(member, group_buy, **kwargs)
    other = make_group_buy(owner, title="Other")
    with pytest.raises(DomainError):
        services.order_place(member=member, group_buy=group_buy, lines=[(other.items.get().pk, 1)],
                             idempotency_key="x", pickup_point_id=group_buy.pickup_points.first().pk)
    item.refresh_from_db()
    assert item.quantity_sold == 0 and not Order.objects.exists()


def test_closed_or_future_rounds_take_no_orders(owner, member, place):
    later = make_group_buy(owner, opens_at=timezone.now() + timedelta(hours=1),
                           closes_at=timezone.now() + timedelta(hours=5))
    assert later.status == GroupBuy.Status.SCHEDULED
    with pytest.raises(Conflict):
        place(member, later)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert services.group_buy_open_due() == 1
        later.refresh_from_db()
        assert later.status == GroupBuy.Status.OPEN
        place(member, later)


def test_wallet_payment_and_ledger(owner, admin_member, member, place, top_up):
    group_buy = make_group_buy(owner, price="30.00")
    top_up(admin_member, member, "50.00")
    order = place(member, group_buy, qty=1)

    services.order_pay_with_wallet(member=member, order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_amount == Decimal("30.00")
    assert balance(member) == Decimal("20.00")
    entries = list(WalletEntry.objects.filter(wallet__member=member.user).order_by("id")
                   .values_list("kind", "amount", "balance_after"))
    assert entries == [("top_up", Decimal("50.00"), Decimal("50.00")), ("payment", Decimal("-30.00"), Decimal("20.00"))]
    second = place(member, group_buy, qty=1)
    with pytest.raises(Conflict) as short:
        services.order_pay_with_wallet(member=member, order=second)
    assert short.value.code == "insufficient_balance" and balance(member) == Decimal("20.00")
    with pytest.raises(Conflict):
        services.order_pay_with_wallet(member=member, order=order)  # paid already


def test_admin_marks_transfers_received_in_bulk(owner, admin_member, member, leader, place):
    group_buy = make_group_buy(owner)
    orders = [place(member, group_buy), place(leader, group_buy)]
    services.order_report_transfer(member=member, order=orders[0], reference="wx 8821")

    marked = services.payments_mark_received(actor=admin_member, orders=orders)
    again = services.payments_mark_received(actor=admin_member, orders=orders)

    assert len(marked) == 2 and again == []
    for order in orders:
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert order.charge.payments.filter(status="succeeded").count() == 1
    with pytest.raises(DomainError):
        services.payments_mark_received(actor=leader, orders=orders)


def test_unpaid_orders_expire_and_give_their_units_back(owner, member, place):
    group_buy = make_group_buy(owner, offer=5, limit=5)
    order = place(member, group_buy, qty=5)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert services.order_expire_due() == 1
        assert services.order_expire_due() == 0
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert group_buy.items.get().quantity_sold == 0
    place(member, group_buy, qty=5)  # the allowance came back too


def test_member_cancels_a_paid_order_before_close_and_gets_the_money_back(owner, admin_member, member, place, top_up):
    group_buy = make_group_buy(owner, price="10.00")
    top_up(admin_member, member, "10.00")
    order = place(member, group_buy)
    services.order_pay_with_wallet(member=member, order=order)

    services.order_cancel(member=member, order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_amount == Decimal("10.00")
    assert balance(member) == Decimal("10.00") and group_buy.items.get().quantity_sold == 0


def test_failed_round_refunds_everyone_by_itself(owner, admin_member, member, leader, place, top_up):
    group_buy = make_group_buy(owner, price="10.00", success_rule="min_buyers", success_threshold=Decimal("5"))
    top_up(admin_member, member, "40.00")
    paid = place(member, group_buy, qty=2)
    services.order_pay_with_wallet(member=member, order=paid)
    manual = place(leader, group_buy, qty=1)
    services.payments_mark_received(actor=admin_member, orders=[manual])
    unpaid = place(admin_member, group_buy, qty=1)

    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
        assert services.group_buy_close_due() == 1
        assert services.group_buy_close_due() == 0

    group_buy.refresh_from_db()
    assert group_buy.status == GroupBuy.Status.FAILED
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {paid.pk: "refunded", manual.pk: "refunded", unpaid.pk: "cancelled"}
    assert balance(member) == Decimal("40.00")
    assert Refund.objects.get(charge__order=manual).status == Refund.Status.TO_PAY_BACK
    assert Notification.objects.filter(kind="group_buy_failed").count() == 2


def test_success_with_price_tiers_refunds_the_difference(owner, admin_member, member, leader, place, top_up):
    group_buy = make_group_buy(owner, price="10.00", tiers=[(3, "9.00"), (5, "8.00")],
                               success_rule="min_quantity", success_threshold=Decimal("3"))
    top_up(admin_member, member, "100.00")
    first = place(member, group_buy, qty=2)
    services.order_pay_with_wallet(member=member, order=first)
    second = place(leader, group_buy, qty=2)
    services.payments_mark_received(actor=admin_member, orders=[second])

    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
        services.group_buy_close_due()

    group_buy.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert group_buy.status == GroupBuy.Status.SUCCEEDED
    assert first.status == second.status == Order.Status.CONFIRMED
    assert first.total == Decimal("18.00") and first.refunded_amount == Decimal("2.00")
    assert balance(member) == Decimal("82.00")  # 100 - 20 + 2
    assert Refund.objects.get(charge__order=second).amount == Decimal("2.00")


def test_arrival_pickup_and_commission(owner, admin_member, member, place, top_up):
    community = owner.community
    Community.objects.filter(pk=community.pk).update(commission_recipient="branch_leader")
    leader_m = MembershipFactory(community=community, role="leader")
    branch = Community.objects.create(parent=community, name="East", slug="east-b", leader=leader_m.user)
    member.branch = leader_m.branch = branch
    member.save()
    leader_m.save()
    group_buy = make_group_buy(owner, price="100.00", commission_rate=Decimal("0.05"))
    top_up(admin_member, member, "100.00")
    order = place(member, group_buy)
    services.order_pay_with_wallet(member=member, order=order)
    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
        services.group_buy_close_due()

    assert services.group_buy_mark_arrived(actor=owner, group_buy=group_buy) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.READY
    assert Notification.objects.filter(recipient=member.user, kind="order_ready").exists()
    with pytest.raises(ValidationFailed):
        services.order_complete(actor=leader_m, order=order, code="000000" if order.pickup_code != "000000" else "111111")
    found = services.pickup_find(actor=leader_m, code=order.pickup_code)
    assert [o.pk for o in found] == [order.pk]
    services.order_complete(actor=leader_m, order=order, code=order.pickup_code)

    order.refresh_from_db()
    group_buy.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and group_buy.status == GroupBuy.Status.FULFILLED
    commission = Commission.objects.get(order=order)
    assert commission.leader == leader_m.user and commission.amount == Decimal("5.00")

    services.order_refund(actor=admin_member, order=order, reason="bad fruit")
    assert balance(member) == Decimal("100.00")
    assert sum(c.amount for c in Commission.objects.filter(order=order)) == 0


def test_team_fills_and_succeeds(owner, admin_member, member, leader, place, top_up):
    group_buy = make_group_buy(owner, price="10.00", mode="team", team_size=2)
    top_up(admin_member, member, "10.00")
    top_up(admin_member, leader, "10.00")
    opener = place(member, group_buy, open_team=True)
    team = opener.team
    services.order_pay_with_wallet(member=member, order=opener)
    joiner = place(leader, group_buy, team_code=team.code)
    # Seats go to those who pay: an unpaid joiner does not block the team, and loses the seat when it fills.
    waiting = place(admin_member, group_buy, team_code=team.code)
    services.order_pay_with_wallet(member=leader, order=joiner)
    with pytest.raises(Conflict):
        place(admin_member, group_buy, team_code=team.code, key="again")  # full

    team.refresh_from_db()
    waiting.refresh_from_db()
    assert team.status == Team.Status.SUCCEEDED and team.paid_count == 2
    assert waiting.status == Order.Status.CANCELLED and team.member_count == 2
    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
        services.group_buy_close_due()
    assert set(Order.objects.filter(team=team).exclude(pk=waiting.pk).values_list("status", flat=True)) == {"confirmed"}


def test_team_that_does_not_fill_is_refunded_and_leader_cancel_passes_the_lead(owner, admin_member, member, leader,
                                                                             place, top_up):
    group_buy = make_group_buy(owner, price="10.00", mode="team", team_size=3, team_window_hours=2)
    top_up(admin_member, member, "10.00")
    top_up(admin_member, leader, "10.00")
    opener = place(member, group_buy, open_team=True)
    services.order_pay_with_wallet(member=member, order=opener)
    joiner = place(leader, group_buy, team_code=opener.team.code)
    services.order_pay_with_wallet(member=leader, order=joiner)
    services.order_cancel(member=member, order=opener)
    team = Team.objects.get(pk=opener.team_id)
    assert team.leader == leader.user and team.member_count == 1

    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert services.team_settle_due() == 1
    team.refresh_from_db()
    joiner.refresh_from_db()
    assert team.status == Team.Status.FAILED and joiner.status == Order.Status.REFUNDED
    assert balance(leader) == Decimal("10.00") and balance(member) == Decimal("10.00")


def test_cancelling_a_round_refunds_and_releases_stock(owner, admin_member, member, place, top_up):
    product = ProductFactory(community=owner.community, stock=10)
    group_buy = make_group_buy(owner, products=[product], offer=10, price="5.00")
    top_up(admin_member, member, "5.00")
    order = place(member, group_buy)
    services.order_pay_with_wallet(member=member, order=order)

    services.group_buy_cancel(actor=owner, group_buy=group_buy, reason="supplier out")

    product.refresh_from_db()
    order.refresh_from_db()
    assert product.stock == 10 and order.status == Order.Status.REFUNDED and balance(member) == Decimal("5.00")


def test_closing_soon_reminder_goes_once_to_members_who_have_not_ordered(owner, member, leader, place):
    group_buy = make_group_buy(owner, closes_at=timezone.now() + timedelta(hours=2))
    place(member, group_buy)
    sent = services.remind_closing_soon()
    assert services.remind_closing_soon() == 0
    recipients = set(Notification.objects.filter(kind="group_buy_closing").values_list("recipient", flat=True))
    assert member.user_id not in recipients and leader.user_id in recipients and sent == 1  # one round reminded


def test_unpaid_reminder_is_sent_once(owner, member, place):
    group_buy = make_group_buy(owner)
    place(member, group_buy)
    with time_machine.travel(timezone.now() + timedelta(minutes=25)):
        assert services.remind_unpaid() == 1
        assert services.remind_unpaid() == 0


def test_closing_reminders_are_capped_per_member(owner, member):
    soon = timezone.now() + timedelta(hours=2)
    make_group_buy(owner, closes_at=soon, title="Round A")
    make_group_buy(owner, closes_at=soon, title="Round B", products=[ProductFactory(community=owner.community)])
    services.remind_closing_soon()
    # Two rounds close soon, but a member hears about it once in six hours.
    assert Notification.objects.filter(kind="group_buy_closing", recipient=member.user).count() == 1
