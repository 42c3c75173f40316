"""Attacks on the money-adjacent loyalty code (coupons, points at checkout, the points shop, the
coupon console and hand-outs): each way in that worked has a test here, now passing; a few cheap
proofs that things hold. Hostile input is a 4xx in the one error shape, never a 500."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from communities.models import Membership, Role
from core.exceptions import Conflict
from core.sweeps import sweep_run
from engagement import points, points_shop
from engagement.common import engagement_settings
from engagement.models import PointsAccount, PointsEntry, PointsReward
from orders import coupons, services
from orders.models import Coupon, CouponGrant, MemberCoupon, Order
from tests.api import url
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy

pytestmark = pytest.mark.django_db

HOSTILE = ["", None, [], ["SAVE"], {"a": 1}, "\x00", "１２", "٣", "-1", "1e3", "1.5", 1.5, -1, 10**30,
           "x" * 10_000, True]


def fresh(membership):
    return Membership.objects.select_related("community", "user", "branch").get(pk=membership.pk)


def membership(community, role=Role.MEMBER):
    return fresh(MembershipFactory(community=community, role=role))


def give_points(member, amount, key="gift"):
    points.points_award(community_id=member.community_id, member_id=member.user_id, amount=amount,
                        reason="check_in", key=f"test:{member.user_id}:{key}")


def balance(member):
    return PointsAccount.objects.get(community_id=member.community_id, member_id=member.user_id).balance


def make_coupon(owner, **kw):
    now = timezone.now()
    values = dict(code="SAVE10", name="Ten off", kind="amount", amount_off=Decimal("10"),
                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7))
    values.update(kw)
    return coupons.coupon_save(actor=fresh(owner), **values)


def place(member, group_buy, key, qty=2, **kw):
    return services.order_place(member=fresh(member), group_buy=group_buy, lines=[(group_buy.items.first().pk, qty)],
                                idempotency_key=key, pickup_point_id=group_buy.pickup_points.get().pk, **kw)[0]


@pytest.fixture
def shop(db):
    community = CommunityFactory()
    return community, membership(community, Role.OWNER)


# Hostile input on every field: a 4xx, never a 500, nothing written ----------------------------

COUPON_FIELDS = ["code", "name", "kind", "amount_off", "percent_off", "min_spend", "starts_at", "ends_at",
                 "total_limit", "per_member_limit", "handed_out_only", "new_members_only", "group_buy", "products",
                 "is_active"]


def coupon_body(**changes):
    now = timezone.now()
    data = {"code": "api10", "name": "API ten off", "kind": "amount", "amount_off": "10.00", "min_spend": "20",
            "starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=3)).isoformat(),
            "total_limit": 10}
    data.update(changes)
    return data


@pytest.mark.parametrize("field", COUPON_FIELDS)
def test_admin_coupon_api_hostile_values_are_4xx(api_as, owner, field):
    client = api_as(owner.user)
    for value in HOSTILE:
        body = coupon_body(**{field: value})
        if field == "percent_off":
            body["kind"] = "percent"
            body.pop("amount_off")
        answer = client.post(url(owner.community.slug, "admin", "coupons"), body, format="json")
        assert answer.status_code in (201, 400, 422), (field, value, answer.status_code, answer.content[:300])
        Coupon.objects.filter(community=owner.community).delete()
    coupon = make_coupon(owner, code="EDITME")
    for value in HOSTILE:
        answer = client.patch(url(owner.community.slug, "admin", "coupons", coupon.pk), {field: value}, format="json")
        assert answer.status_code in (200, 400, 422), (field, value, answer.status_code, answer.content[:300])


@pytest.mark.parametrize("field", ["group_buy", "lines", "coupon_code", "use_points", "fulfilment", "pickup_point"])
def test_member_order_and_quote_api_hostile_values_are_4xx(api_as, owner, member, field):
    group_buy = make_group_buy(owner, price="20.00")
    make_coupon(owner)
    client = api_as(member.user)
    for n, value in enumerate(HOSTILE):
        body = {"group_buy": group_buy.pk, "lines": [{"item": group_buy.items.get().pk, "quantity": 2}],
                "pickup_point": group_buy.pickup_points.get().pk, "coupon_code": "SAVE10", "use_points": True,
                field: value}
        answer = client.post(url(owner.community.slug, "orders"), body, format="json",
                             HTTP_IDEMPOTENCY_KEY=f"h-{field}-{n}")
        assert answer.status_code in (201, 400, 404, 409, 422), (field, value, answer.status_code, answer.content[:300])
        body.pop("use_points"), body.pop("pickup_point")
        answer = client.post(url(owner.community.slug, "coupons", "quote"), body, format="json")
        assert answer.status_code in (200, 400, 404, 422), (field, value, answer.status_code, answer.content[:300])


@pytest.mark.parametrize("field", ["coupon", "points", "per_member_limit", "is_active"])
def test_points_shop_admin_api_hostile_values_are_4xx(api_as, owner, field):
    coupon = make_coupon(owner, handed_out_only=True)
    client = api_as(owner.user)
    for value in HOSTILE:
        body = {"coupon": coupon.pk, "points": 100, "per_member_limit": 1, "is_active": True, field: value}
        answer = client.post(url(owner.community.slug, "admin", "points", "offers"), body, format="json")
        assert answer.status_code in (201, 400), (field, value, answer.status_code, answer.content[:300])
        PointsReward.objects.all().delete()


@pytest.mark.parametrize("field", ["segment", "branch_id", "level", "days"])
def test_hand_out_api_hostile_values_are_4xx(api_as, owner, member, field):
    coupon = make_coupon(owner, handed_out_only=True)
    client = api_as(owner.user)
    for n, value in enumerate(HOSTILE):
        body = {"segment": "lapsed", "days": 30, field: value}
        answer = client.post(url(owner.community.slug, "admin", "coupons", coupon.pk, "hand-out"), body,
                             format="json", HTTP_IDEMPOTENCY_KEY=f"h-{n}")
        assert answer.status_code in (201, 400, 404, 409, 422), (field, value, answer.status_code,
                                                                   answer.content[:300])
        answer = client.get(url(owner.community.slug, "admin", "coupons", coupon.pk, "hand-out"),
                            {"segment": "lapsed", "days": 30, field: value if isinstance(value, str) else str(value)})
        assert answer.status_code in (200, 400, 404), (field, value, answer.status_code, answer.content[:300])


# Scenarios ------------------------------------------------------------------------------------

def points_rules(community, rate=100, percent=100):
    settings = engagement_settings(community)
    settings.points_per_yuan_off, settings.points_max_percent_off = rate, percent
    settings.save()


@pytest.mark.xfail(strict=True, reason="needs orders/services.py order_refund to emit order.refunded when no money "
                                       "was refunded (see the attack report)")
def test_an_admin_refund_of_an_order_paid_all_in_points_gives_the_points_back(shop):
    """Points paid the whole order (the cap at 100%): nothing was paid in money, so the refund of
    money writes nothing, and the points the member spent were lost."""
    community, owner = shop
    points_rules(community, percent=100)
    buyer = membership(community)
    give_points(buyer, 10_000)
    order = place(buyer, make_group_buy(owner, price="20.00"), "free", use_points=True)
    assert order.total == 0 and order.points_spent == 4000
    services.order_pay_with_wallet(member=fresh(buyer), order=order)
    services.order_refund(actor=fresh(owner), order=Order.objects.get(pk=order.pk))
    sweep_run("core.domain_events")
    assert balance(buyer) == 10_000


def test_a_100_percent_coupon_makes_a_free_order_that_is_paid_without_money_and_refunded_gives_the_use_back(shop):
    community, owner = shop
    make_coupon(owner, code="FREE", kind="percent", amount_off=None, percent_off=100, per_member_limit=2)
    buyer = membership(community)
    give_points(buyer, 10_000)
    group_buy = make_group_buy(owner, price="20.00")
    order = place(buyer, group_buy, "free", use_points=True, coupon_code="free")
    # Nothing left for points to pay: none are spent.
    assert order.total == 0 and order.points_spent == 0 and order.discount == Decimal("40.00")
    assert order.charge.amount == 0
    with pytest.raises(Conflict):
        services.order_report_transfer(member=fresh(buyer), order=order)  # nothing to transfer
    services.order_pay_with_wallet(member=fresh(buyer), order=order)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.charge.paid_amount == 0
    services.order_refund(actor=fresh(owner), order=order)
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_amount == 0
    assert Coupon.objects.get(code="FREE").uses == 0 and balance(buyer) == 10_000


def test_points_cannot_buy_a_coupon_that_is_used_up_and_the_shop_stops_showing_it(shop):
    community, owner = shop
    coupon = make_coupon(owner, code="GIFT", handed_out_only=True, total_limit=1)
    reward = points_shop.reward_save(actor=fresh(owner), coupon_id=coupon.pk, points=100, per_member_limit=5)
    first, second = membership(community), membership(community)
    give_points(first, 500)
    give_points(second, 500)
    points_shop.points_exchange(membership=first, reward=reward, idempotency_key="a")
    place(first, make_group_buy(owner, price="20.00"), "o1", coupon_code="GIFT")
    assert list(points_shop.rewards_on_offer(community)) == []
    with pytest.raises(Conflict) as refused:
        points_shop.points_exchange(membership=second, reward=reward, idempotency_key="b")
    assert refused.value.code == "reward_unavailable"
    assert balance(second) == 500 and not MemberCoupon.objects.filter(member_id=second.user_id).exists()


def test_points_cannot_buy_a_coupon_made_a_public_code_or_switched_off_after_the_page_was_read(shop):
    community, owner = shop
    coupon = make_coupon(owner, code="GIFT", handed_out_only=True)
    reward = points_shop.reward_save(actor=fresh(owner), coupon_id=coupon.pk, points=100)
    buyer = membership(community)
    give_points(buyer, 500)
    stale = PointsReward.objects.select_related("coupon").get(pk=reward.pk)  # what the member's page read
    Coupon.objects.filter(pk=coupon.pk).update(handed_out_only=False)
    with pytest.raises(Conflict):
        points_shop.points_exchange(membership=buyer, reward=stale, idempotency_key="a")
    Coupon.objects.filter(pk=coupon.pk).update(handed_out_only=True, is_active=False)
    with pytest.raises(Conflict):
        points_shop.points_exchange(membership=buyer, reward=stale, idempotency_key="b")
    assert balance(buyer) == 500 and not CouponGrant.objects.exists()


def test_an_exchange_key_sent_again_for_another_offer_is_refused_not_answered_with_the_first_coupon(shop, api_as):
    community, owner = shop
    first = make_coupon(owner, code="GIFT1", handed_out_only=True)
    other = make_coupon(owner, code="GIFT2", handed_out_only=True)
    r1 = points_shop.reward_save(actor=fresh(owner), coupon_id=first.pk, points=100)
    r2 = points_shop.reward_save(actor=fresh(owner), coupon_id=other.pk, points=100)
    buyer = membership(community)
    give_points(buyer, 500)
    client = api_as(buyer.user)
    answer = client.post(url(community.slug, "points", "offers", r1.pk, "exchange"), HTTP_IDEMPOTENCY_KEY="same")
    assert answer.status_code == 201 and answer.json()["coupon"]["code"] == "GIFT1"
    again = client.post(url(community.slug, "points", "offers", r1.pk, "exchange"), HTTP_IDEMPOTENCY_KEY="same")
    assert again.status_code == 200 and again.json()["balance"] == 400
    answer = client.post(url(community.slug, "points", "offers", r2.pk, "exchange"), HTTP_IDEMPOTENCY_KEY="same")
    assert answer.status_code == 422 and answer.json()["code"] == "idempotency_key_reused"
    assert balance(buyer) == 400 and CouponGrant.objects.filter(member_id=buyer.user_id).count() == 1
