"""Coupons priced into orders: the discount, the rules that refuse one, limits under concurrent
orders, and the use coming back exactly once when an order is cancelled (not after completion)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import Membership, Role
from core.exceptions import Conflict, DomainError, ValidationFailed
from orders import coupons, services
from orders.models import Coupon, CouponRedemption, GroupBuyItem, MemberCoupon, Order
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, make_group_buy


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


def make_coupon(owner, **kw):
    now = timezone.now()
    values = dict(code="SAVE10", name="Ten off", kind="amount", amount_off=Decimal("10"), min_spend=Decimal("30"),
                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7))
    values.update(kw)
    return coupons.coupon_save(actor=owner, **values)


def place(member, group_buy, key, qty=2, code="SAVE10", **kw):
    return services.order_place(member=member, group_buy=group_buy, lines=[(group_buy.items.first().pk, qty)],
                                idempotency_key=key, pickup_point_id=group_buy.pickup_points.get().pk,
                                coupon_code=code, **kw)


@pytest.fixture
def shop(db):
    community = CommunityFactory()
    return community, membership(community, Role.OWNER)


def test_an_amount_coupon_takes_its_amount_off_and_counts_a_use(shop):
    community, owner = shop
    group_buy = make_group_buy(owner, price="20.00")
    coupon = make_coupon(owner)
    buyer = membership(community)

    order, created = place(buyer, group_buy, "a", qty=2, code=" save10 ")

    assert created and order.total == Decimal("30.00") and order.discount == Decimal("10.00")
    assert order.charge.amount == Decimal("30.00")
    coupon.refresh_from_db()
    assert coupon.uses == 1
    assert CouponRedemption.objects.get(order=order).amount == Decimal("10.00")


def test_a_percent_coupon_on_listed_products_discounts_only_those(shop):
    community, owner = shop
    apples, pears = ProductFactory(community=community), ProductFactory(community=community)
    group_buy = make_group_buy(owner, products=[apples, pears], price="10.00")
    make_coupon(owner, code="PEARS", kind="percent", percent_off=15, amount_off=None, min_spend=Decimal("0"),
                product_ids=[pears.pk])
    items = {i.product_id: i.pk for i in group_buy.items.all()}
    order, _ = services.order_place(member=membership(community), group_buy=group_buy, idempotency_key="p",
                                    lines=[(items[apples.pk], 3), (items[pears.pk], 1)],
                                    pickup_point_id=group_buy.pickup_points.get().pk, coupon_code="pears")
    assert order.discount == Decimal("1.50") and order.total == Decimal("38.50")


@pytest.mark.parametrize("change, code", [
    ({"min_spend": Decimal("50")}, "coupon_min_spend"),
    ({"starts_at": timezone.now() + timedelta(days=1), "ends_at": timezone.now() + timedelta(days=2)},
     "coupon_not_valid_now"),
    ({"is_active": False}, "coupon_unknown"),
    ({"handed_out_only": True}, "coupon_not_yours"),
])
def test_a_coupon_that_does_not_apply_is_refused_with_its_reason_and_nothing_is_taken(shop, change, code):
    community, owner = shop
    group_buy = make_group_buy(owner, price="20.00")
    make_coupon(owner, **change)
    with pytest.raises(ValidationFailed) as refused:
        place(membership(community), group_buy, "x", qty=2)
    assert refused.value.code == code and "coupon" in refused.value.fields
    assert Order.objects.count() == 0 and GroupBuyItem.objects.get().quantity_sold == 0


def test_a_first_order_coupon_refuses_a_member_who_ordered_before(shop):
    community, owner = shop
    group_buy = make_group_buy(owner)
    make_coupon(owner, new_members_only=True)
    buyer = membership(community)
    place(buyer, group_buy, "first", code="")
    with pytest.raises(ValidationFailed) as refused:
        place(buyer, group_buy, "second")
    assert refused.value.code == "coupon_first_order_only"


def test_another_communitys_code_is_unknown(shop):
    community, owner = shop
    other = CommunityFactory()
    make_coupon(membership(other, Role.OWNER), code="THEIRS")
    with pytest.raises(ValidationFailed) as refused:
        place(membership(community), make_group_buy(owner), "x", code="THEIRS")
    assert refused.value.code == "coupon_unknown"


def test_a_retry_of_the_same_order_uses_the_coupon_once(shop):
    community, owner = shop
    group_buy = make_group_buy(owner)
    coupon = make_coupon(owner)
    buyer = membership(community)
    first, _ = place(buyer, group_buy, "same")
    again, created = place(buyer, group_buy, "same")
    assert again.pk == first.pk and not created
    coupon.refresh_from_db()
    assert coupon.uses == 1


@pytest.mark.django_db(transaction=True)
def test_total_limit_holds_under_concurrent_orders():
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    group_buy = make_group_buy(owner, offer=500)
    coupon = make_coupon(owner, total_limit=3)
    buyers = [membership(community) for _ in range(12)]

    results = run_at_once(12, lambda i: place(buyers[i], group_buy, f"k{i}"))

    won = [r for r in results if isinstance(r, tuple)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 3, results
    assert all(isinstance(e, DomainError) and e.code == "coupon_used_up" for e in lost), lost
    coupon.refresh_from_db()
    assert coupon.uses == 3 == CouponRedemption.objects.filter(coupon=coupon).count()
    assert Order.objects.count() == 3 and GroupBuyItem.objects.get().quantity_sold == 6


@pytest.mark.django_db(transaction=True)
def test_per_member_limit_holds_when_one_member_orders_many_times_at_once():
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    group_buy = make_group_buy(owner, offer=500)
    coupon = make_coupon(owner, per_member_limit=2)
    buyer = membership(community)

    results = run_at_once(6, lambda i: place(buyer, group_buy, f"mine-{i}"))

    assert sum(isinstance(r, tuple) for r in results) == 2, results
    assert all(e.code == "coupon_member_limit" for e in results if isinstance(e, Exception))
    assert MemberCoupon.objects.get(coupon=coupon, member=buyer.user).used == 2
    coupon.refresh_from_db()
    assert coupon.uses == 2


@pytest.mark.django_db(transaction=True)
def test_cancelling_gives_the_use_back_exactly_once_even_when_cancelled_twice_at_once():
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    group_buy = make_group_buy(owner)
    coupon = make_coupon(owner, total_limit=1)
    buyer, other = membership(community), membership(community)
    order, _ = place(buyer, group_buy, "c")

    results = run_at_once(2, lambda i: services.order_cancel(member=buyer, order=order))

    assert sum(isinstance(r, Order) for r in results) == 1
    assert all(isinstance(r, Order) or isinstance(r, Conflict) for r in results), results
    coupon.refresh_from_db()
    assert coupon.uses == 0
    assert MemberCoupon.objects.get(coupon=coupon, member=buyer.user).used == 0
    assert CouponRedemption.objects.get(order=order).released_at is not None
    # The use is free again: another member may take it.
    again, _ = place(other, group_buy, "d")
    assert again.discount == Decimal("10.00")


def test_an_expired_unpaid_order_gives_the_use_back(shop):
    community, owner = shop
    group_buy = make_group_buy(owner)
    coupon = make_coupon(owner, total_limit=1)
    order, _ = place(membership(community), group_buy, "e")
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    services.order_expire_due()
    order.refresh_from_db()
    coupon.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and coupon.uses == 0


def test_a_refund_after_completion_keeps_the_use_spent(shop, top_up):
    community, owner = shop
    group_buy = make_group_buy(owner)
    coupon = make_coupon(owner)
    buyer = membership(community)
    top_up(owner, buyer, "100")
    order, _ = place(buyer, group_buy, "r")
    services.order_pay_with_wallet(member=buyer, order=order)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.COMPLETED, completed_at=timezone.now())
    order.refresh_from_db()
    services.order_refund(actor=owner, order=order)
    coupon.refresh_from_db()
    assert coupon.uses == 1
    assert order.refunded_amount == Decimal("30.00")  # what was paid, not the price before the coupon


def test_handed_out_coupons_are_one_use_each_and_a_rerun_hands_out_nothing_twice(shop):
    community, owner = shop
    group_buy = make_group_buy(owner)
    coupon = make_coupon(owner, handed_out_only=True, code="GIFT")
    buyer = membership(community)
    batch = coupons.coupon_batch_hand_out(actor=owner, coupon=coupon, member_ids=[buyer.user_id, 10**12],
                                          segment="everyone")
    assert batch.member_count == 1  # not a member: skipped
    assert coupons.coupon_hand_out(coupon=coupon, member_id=buyer.user_id, key="referral:7")
    assert not coupons.coupon_hand_out(coupon=coupon, member_id=buyer.user_id, key="referral:7")
    assert MemberCoupon.objects.get(coupon=coupon, member=buyer.user).handed == 2

    place(buyer, group_buy, "g1", code="GIFT")
    place(buyer, group_buy, "g2", code="GIFT")
    with pytest.raises(ValidationFailed) as refused:
        place(buyer, group_buy, "g3", code="GIFT")
    assert refused.value.code == "coupon_not_yours"


def test_price_tiers_at_settlement_keep_the_coupons_discount(shop, top_up):
    community, owner = shop
    group_buy = make_group_buy(owner, price="20.00", tiers=[(2, "15.00")])
    make_coupon(owner, min_spend=Decimal("0"))
    buyer = membership(community)
    top_up(owner, buyer, "100")
    order, _ = place(buyer, group_buy, "t", qty=2)
    assert order.total == Decimal("30.00")
    services.order_pay_with_wallet(member=buyer, order=order)
    from orders.models import GroupBuy

    GroupBuy.objects.filter(pk=group_buy.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    services.group_buy_close_due()
    order.refresh_from_db()
    assert order.total == Decimal("20.00") and order.discount == Decimal("10.00")
    assert order.refunded_amount == Decimal("10.00")


def test_a_coupons_total_limit_cannot_go_below_its_uses(shop):
    community, owner = shop
    coupon = make_coupon(owner, min_spend=Decimal("0"))
    place(membership(community), make_group_buy(owner), "u")
    coupon.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        make_coupon(owner, coupon=coupon, total_limit=0)
    assert "total_limit" in refused.value.fields


def test_a_leader_cannot_create_coupons(shop):
    community, _owner = shop
    leader = membership(community, Role.LEADER)
    with pytest.raises(DomainError):
        make_coupon(leader)
    assert not Coupon.objects.exists()
