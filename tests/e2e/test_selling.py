"""Selling journeys in a real browser (English UI): order, pay, close, arrive, pick up; a team fills."""

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from communities.models import Community
from orders import services
from payments import services as payments_services
from orders.models import GroupBuy, Order, PickupPoint, Team
from tests.e2e.conftest import DESKTOP, PHONE, log_in
from tests.factories import PASSWORD, CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)


def shop():
    community = CommunityFactory(name="Sunny Garden")
    owner = MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner Wang"))
    leader = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="Leader Li"))
    branch = Community.objects.create(parent=community, name="Phase 1", slug=f"{community.slug}-p1", leader=leader.user)
    leader.branch = branch  # the branch's leader belongs to it, and runs its pickup point
    leader.save(update_fields=["branch"])
    member = MembershipFactory(community=community, role="member", branch=branch,
                               user=UserFactory(display_name="Member Zhang"))
    point = PickupPoint.objects.create(community=community, branch=branch, name="East gate", address="Building 1",
                                       leader=leader.user)
    return community, owner, leader, member, point


def test_member_orders_pays_round_succeeds_goods_arrive_leader_hands_over(english):
    community, owner, leader, member, point = shop()
    product = ProductFactory(community=community, name="Mango box", unit="box")
    group_buy = make_group_buy(owner, products=[product], price="45.00", offer=50, point=point,
                               success_rule="min_quantity", success_threshold=Decimal("2"),
                               commission_rate=Decimal("0.05"), title="Weekend mangoes")
    payments_services.wallet_top_up(actor=owner, member_user=member.user, amount=Decimal("100.00"))

    phone = english(PHONE)
    log_in(phone, member.user.phone, PASSWORD)
    phone.goto(f"/c/{community.slug}/")
    phone.click("text=Weekend mangoes")
    expect(phone.locator("h1")).to_have_text("Weekend mangoes")
    phone.click("button[aria-label=More]")
    phone.click("button[aria-label=More]")
    phone.check(f"input[name=pickup_point][value='{point.pk}']")
    phone.click("button:has-text('Place order')")
    expect(phone.locator("h1")).to_contain_text("Awaiting payment")
    phone.click("button:has-text('Pay from wallet')")
    expect(phone.locator("[data-status]")).to_have_text("Paid")
    order = Order.objects.get(member=member.user)
    assert order.total == Decimal("90.00")
    expect(phone.locator("[data-code]")).to_have_text(order.pickup_code)

    # Closing time passes: the beat's sweep settles the round by itself.
    assert services.group_buy_close_due(now=group_buy.closes_at + timedelta(seconds=1)) == 1
    assert GroupBuy.objects.get(pk=group_buy.pk).status == GroupBuy.Status.SUCCEEDED

    admin = english(DESKTOP)
    log_in(admin, owner.user.email, PASSWORD)
    admin.goto(f"/console/{community.slug}/group-buys/{group_buy.pk}/")
    admin.click("button:has-text('Goods arrived')")
    expect(admin.locator(".messages")).to_be_visible()
    assert Order.objects.get(pk=order.pk).status == Order.Status.READY

    desk = english(DESKTOP)
    log_in(desk, leader.user.email, PASSWORD)
    desk.goto(f"/console/{community.slug}/pickup/")
    desk.fill("#pickup-code", order.pickup_code)
    desk.click("button:has-text('Find order')")
    expect(desk.locator(".handover")).to_contain_text("Member Zhang")
    desk.click("button:has-text('Hand over')")
    expect(desk.locator(".messages")).to_be_visible()

    phone.reload()
    expect(phone.locator("[data-status]")).to_have_text("Completed")
    assert order.commissions.get().leader == leader.user


def test_a_team_fills_and_succeeds(english):
    community, owner, leader, member, point = shop()
    friend = MembershipFactory(community=community, role="member", user=UserFactory(display_name="Friend Zhao"))
    group_buy = make_group_buy(owner, price="6.90", point=point, mode="team", team_size=2, title="Greens team")
    for m in (member, friend):
        payments_services.wallet_top_up(actor=owner, member_user=m.user, amount=Decimal("20.00"))

    opener = english(PHONE)
    log_in(opener, member.user.phone, PASSWORD)
    opener.goto(group_buy.get_absolute_url())
    # Quantities default to 1 in a team purchase.
    opener.click("button:has-text('Start a team')")
    opener.click("button:has-text('Pay from wallet')")
    team = Team.objects.get()
    opener.goto(team.get_absolute_url())
    expect(opener.locator(".big-number")).to_have_text("1/2")

    joiner = english(PHONE)
    log_in(joiner, friend.user.phone, PASSWORD)
    joiner.goto(team.get_absolute_url())
    joiner.click("text=Join this team")
    joiner.check(f"input[name=pickup_point][value='{point.pk}']")
    joiner.click("button:has-text('Join this team')")
    joiner.click("button:has-text('Pay from wallet')")
    expect(joiner.locator("[data-status]")).to_have_text("Paid")

    opener.reload()
    expect(opener.locator(".big-number")).to_have_text("2/2")
    expect(opener.locator("main")).to_contain_text("Succeeded")
    assert Team.objects.get().status == Team.Status.SUCCEEDED
