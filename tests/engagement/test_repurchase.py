"""Repurchase prompts (定时复购提醒): when a purchase falls due (quantity × cycle × (1 − lead), from
the day it was handed over, from 10:00 in the community's timezone), and each rule that holds a
prompt back, flipped one at a time (time controlled)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from communities.models import Membership
from core.models import Notification, NotificationOptOut
from engagement import repurchase
from engagement.common import engagement_settings
from engagement.models import RepurchasePrompt
from orders import services
from orders.models import GroupBuy
from tests.branches import fresh, make_branch
from tests.factories import ProductFactory, make_group_buy

SHANGHAI = ZoneInfo("Asia/Shanghai")
_keys = itertools.count()


def local(day: int, hour: int = 10, minute: int = 30, month: int = 3) -> datetime:
    """An instant in March 2026, Shanghai time."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def buy(owner, membership, product, qty=1, *, completed_at: datetime):
    """A purchase handed over at ``completed_at``: ordered two days before in a round of its own,
    paid, the round closed, the goods arrived, the order completed."""
    with time_machine.travel(completed_at - timedelta(days=2), tick=False):
        group_buy = make_group_buy(owner, products=[product], title=f"Round {next(_keys)}")
        order, _ = services.order_place(member=membership, group_buy=group_buy,
                                        lines=[(group_buy.items.get().pk, qty)], idempotency_key=f"buy-{next(_keys)}",
                                        pickup_point_id=group_buy.pickup_points.first().pk)
        services.payments_mark_received(actor=owner, orders=[order])
    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1), tick=False):
        services.group_buy_close_due()
        services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    order.refresh_from_db()
    with time_machine.travel(completed_at, tick=False):
        services.order_complete(actor=owner, order=order, code=order.pickup_code)
    order.refresh_from_db()
    return order


def on_sale(owner, product, *, at: datetime, days=3, **kwargs):
    """An open round selling ``product`` from ``at`` (a minute before) for ``days`` days."""
    with time_machine.travel(at - timedelta(minutes=1), tick=False):
        return make_group_buy(owner, products=[product], title=kwargs.pop("title", "This week"),
                              opens_at=at - timedelta(minutes=1), closes_at=at + timedelta(days=days), **kwargs)


def due(at: datetime, **kwargs):
    return repurchase.due_prompts(at, **kwargs)


def run(at: datetime):
    from core.sweeps import sweep_run

    with time_machine.travel(at, tick=False):
        return sweep_run("engagement.repurchase_prompts")


@pytest.fixture
def eggs(community):
    return ProductFactory(community=community, name="Eggs 30", unit="box", consumption_cycle_days=10)


@pytest.fixture
def bought(owner, member, eggs):
    """The member bought 1 box of eggs, handed over on 1 March 08:00: due 9 March 20:00 (10 × 0.85 days)."""
    return buy(owner, member, eggs, 1, completed_at=local(1, 8, 0))


# When ------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("qty, lead, due_day", [(1, "0.15", 9), (2, "0.15", 18), (3, "0.00", 31), (1, "0.50", 6)])
def test_a_purchase_falls_due_after_quantity_times_cycle_less_the_lead(owner, member, eggs, qty, lead, due_day):
    rules = engagement_settings(owner.community)
    rules.repurchase_lead = Decimal(lead)
    rules.save()
    order = buy(owner, member, eggs, qty, completed_at=local(1, 8, 0))
    expected = repurchase.due_at(bought_at=order.completed_at, quantity=qty, cycle_days=10, lead=Decimal(lead))
    assert timezone.localtime(expected, SHANGHAI).date().day == due_day
    on_sale(owner, eggs, at=local(due_day - 1, 9, 0), days=5)

    assert due(local(due_day - 1)) == []  # the day before: not yet
    [found] = due(local(due_day))  # on the day it falls due, from 10:00
    assert (found.member_id, found.product_id, found.last_order_id, found.quantity) == (
        member.user_id, eggs.pk, order.pk, qty)
    assert found.due_on.day == due_day and found.due_at == expected


@pytest.mark.django_db
def test_prompts_wait_for_ten_oclock_in_the_communitys_own_timezone(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0))
    assert due(local(9, 9, 59)) == []
    assert len(due(local(9, 10, 0))) == 1
    # The same instant is 03:00 in London: a London community waits.
    owner.community.timezone = "Europe/London"
    owner.community.save(update_fields=["timezone"])
    assert due(local(9, 10, 0)) == []
    assert len(due(local(9, 19, 0))) == 1  # 11:00 in London


@pytest.mark.django_db
def test_a_purchase_long_overdue_is_left_alone(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0), days=60)
    assert len(due(local(30, 11))) == 1
    assert due(local(12, 11, month=4)) == []  # due 9 March: over 30 days ago


# Each rule, flipped ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_product_without_a_cycle_is_never_prompted(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0))
    assert len(due(local(9, 11))) == 1
    eggs.consumption_cycle_days = None
    eggs.save()
    assert due(local(9, 11)) == []


@pytest.mark.django_db
def test_the_product_must_be_on_sale_in_an_open_round_with_units_left(owner, member, eggs, bought):
    assert due(local(9, 11)) == []  # on sale nowhere
    round_ = on_sale(owner, eggs, at=local(9, 8, 0))
    assert len(due(local(9, 11))) == 1
    item = round_.items.get()
    item.quantity_sold = item.quantity_on_offer  # sold out
    item.save(update_fields=["quantity_sold"])
    assert due(local(9, 11)) == []
    item.quantity_sold = 0
    item.save(update_fields=["quantity_sold"])
    assert due(round_.closes_at + timedelta(minutes=1)) == []  # closed


@pytest.mark.django_db
def test_a_round_for_another_branch_does_not_count(community, owner, admin_member, member, new_member, eggs):
    north_member = new_member("North member")
    north = make_branch(owner, "North", members=[north_member])
    south = make_branch(owner, "South", members=[fresh(member)])
    for who in (member, north_member, admin_member):
        buy(owner, fresh(who), eggs, 1, completed_at=local(1, 8, 0))
    on_sale(owner, eggs, at=local(9, 8, 0), branch_ids=[north.pk])
    found = {d.member_id for d in due(local(9, 11))}
    # The member in the South branch does not see the North round; the admin sees every round.
    assert found == {north_member.user_id, admin_member.user_id}
    on_sale(owner, eggs, at=local(9, 8, 0), branch_ids=[south.pk], title="South eggs")
    assert member.user_id in {d.member_id for d in due(local(9, 11))}


@pytest.mark.django_db
def test_a_later_live_order_holds_the_prompt_back_until_it_is_cancelled(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0))
    with time_machine.travel(local(5, 12), tick=False):  # ordered again on the 5th, in a round since closed
        other = make_group_buy(owner, products=[eggs], title="Midweek", closes_at=local(6, 12, 0))
        order, _ = services.order_place(member=member, group_buy=other, lines=[(other.items.get().pk, 1)],
                                        idempotency_key="again", pickup_point_id=other.pickup_points.first().pk)
        services.payments_mark_received(actor=owner, orders=[order])
    with time_machine.travel(local(6, 12, 1), tick=False):
        services.group_buy_close_due()
    other.refresh_from_db()
    assert other.status != GroupBuy.Status.OPEN
    assert due(local(9, 11)) == []  # bought since: on its way
    with time_machine.travel(local(7, 12), tick=False):
        services.order_refund(actor=owner, order=order, reason="out of stock")
    assert len(due(local(9, 11))) == 1  # a refunded order is no purchase


@pytest.mark.django_db
def test_an_order_already_in_an_open_round_holds_the_prompt_back(owner, member, eggs, bought):
    round_ = on_sale(owner, eggs, at=local(9, 8, 0))
    with time_machine.travel(local(9, 9), tick=False):
        order, _ = services.order_place(member=member, group_buy=round_, lines=[(round_.items.get().pk, 1)],
                                        idempotency_key="open", pickup_point_id=round_.pickup_points.first().pk)
    assert due(local(9, 11)) == []
    with time_machine.travel(local(9, 9, 30), tick=False):
        services.order_cancel(member=member, order=order)
    assert len(due(local(9, 11))) == 1


@pytest.mark.django_db
def test_only_active_members_are_prompted(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0))
    Membership.objects.filter(pk=member.pk).update(status=Membership.Status.LEFT, left_at=timezone.now())
    assert due(local(9, 11)) == []
    Membership.objects.filter(pk=member.pk).update(status=Membership.Status.ACTIVE, left_at=None)
    assert len(due(local(9, 11))) == 1


@pytest.mark.django_db
def test_an_opt_out_on_every_channel_stops_prompts_an_email_one_keeps_the_inbox(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0))
    NotificationOptOut.objects.create(user=member.user, kind="repurchase_prompt", channel="all")
    assert due(local(9, 11)) == [] and run(local(9, 11)).settled == 0
    NotificationOptOut.objects.filter(user=member.user).update(channel="email")
    run(local(9, 11))
    notice = Notification.objects.get(recipient=member.user, kind="repurchase_prompt")
    assert notice.email_due_at is None  # no e-mail copy owed


@pytest.mark.django_db
def test_switched_off_for_the_community_nothing_goes_out(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0))
    rules = engagement_settings(owner.community)
    rules.repurchase_enabled = False
    rules.save()
    assert due(local(9, 11)) == [] and run(local(9, 11)).settled == 0
    rules.repurchase_enabled = True
    rules.save()
    assert len(due(local(9, 11))) == 1


@pytest.mark.django_db
def test_one_prompt_per_member_in_the_cap_the_most_overdue_first(owner, member, eggs, bought):
    rice = ProductFactory(community=owner.community, name="Rice 5kg", unit="bag", consumption_cycle_days=20)
    buy(owner, member, rice, 1, completed_at=local(20, 8, month=2))
    # rice: 20 Feb 08:00 + 17 days = 9 March 08:00; eggs: 9 March 20:00 → rice is the more overdue.
    on_sale(owner, eggs, at=local(9, 8, 0), days=10)
    on_sale(owner, rice, at=local(9, 8, 0), days=10, title="Rice")
    assert run(local(9, 11)).settled == 1
    [prompt] = RepurchasePrompt.objects.filter(member=member.user)
    assert prompt.product == rice
    # Eggs are due too, but the cap (3 days) holds them back until the 12th at 11:00.
    assert run(local(10, 11)).settled == 0 and run(local(12, 10, 59)).settled == 0
    assert run(local(12, 11)).settled == 1
    assert set(RepurchasePrompt.objects.filter(member=member.user).values_list("product__name", flat=True)) == {
        "Rice 5kg", "Eggs 30"}
    assert Notification.objects.filter(recipient=member.user, kind="repurchase_prompt").count() == 2


@pytest.mark.django_db
def test_a_purchase_is_prompted_once_even_when_never_bought_again(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0), days=20)
    assert run(local(9, 11)).settled == 1
    assert run(local(15, 11)).settled == 0  # cap over, but this purchase was prompted
    assert RepurchasePrompt.objects.count() == 1


@pytest.mark.django_db
def test_the_notice_links_to_the_prompt_and_offers_to_stop(owner, member, eggs, bought):
    on_sale(owner, eggs, at=local(9, 8, 0))
    run(local(9, 11))
    prompt = RepurchasePrompt.objects.get()
    notice = Notification.objects.get(recipient=member.user, kind="repurchase_prompt")
    assert notice.url == f"/c/{owner.community.slug}/again/{prompt.pk}/"
    assert f"/c/{owner.community.slug}/again/{prompt.pk}/stop/" in notice.body
    assert notice.dedupe_key == f"repurchase:{prompt.pk}"
    assert (prompt.last_order_id, prompt.due_on.day, prompt.group_buy.title) == (bought.pk, 9, "This week")


@pytest.mark.django_db
def test_the_demo_makes_a_member_due_for_a_prompt(community, owner, member):
    from engagement.demo_repurchase import seed_repurchase_due
    from orders.models import PickupPoint

    PickupPoint.objects.create(community=community, name="Gate", address="Building 1")
    with time_machine.travel(local(9, 11), tick=False):
        round_ = seed_repurchase_due(community, member)
        [found] = due(local(9, 11))
        assert (found.member_id, found.group_buy_id) == (member.user_id, round_.pk)
        assert seed_repurchase_due(community, member) is None  # loaded already
        assert run(local(9, 11)).settled == 1
    assert RepurchasePrompt.objects.get().member_id == member.user_id
