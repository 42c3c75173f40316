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


def test_a_free_orders_page_offers_one_confirm_button_and_no_transfer(client, shop):
    community, owner = shop
    make_coupon(owner, code="FREE", kind="percent", amount_off=None, percent_off=100)
    buyer = membership(community)
    order = place(buyer, make_group_buy(owner, price="20.00"), "free-page", coupon_code="free")
    client.force_login(buyer.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(order.get_absolute_url()).content.decode()
    assert "data-confirm-free" in page and "I have paid by transfer" not in page
    client.post(f"{order.get_absolute_url()}pay/", {"method": "wallet"})
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.charge.paid_amount == 0


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


FORM_HOSTILE = ["", "\x00", "１２", "٣", "-1", "1e3", "1.5", "9" * 400, "x" * 10_000, ["1", "2"]]


def coupon_form(**changes):
    data = {"code": "FORM10", "name": "Form ten", "kind": "amount", "amount_off": "10", "min_spend": "0",
            "starts_at": "2020-01-01T00:00", "ends_at": "2099-01-01T00:00", "per_member_limit": "1",
            "is_active": "on"}
    data.update(changes)
    return data


@pytest.mark.parametrize("field", ["code", "name", "kind", "amount_off", "percent_off", "min_spend", "starts_at",
                                   "ends_at", "total_limit", "per_member_limit", "group_buy", "products"])
def test_coupon_console_forms_hostile_values_are_never_a_500(login, owner, field):
    from django.urls import reverse

    client = login(owner)
    slug = owner.community.slug
    coupon = make_coupon(owner, code="EDITME")
    for value in FORM_HOSTILE:
        for path in (reverse("orders_console:coupon_new", args=[slug]),
                     reverse("orders_console:coupon_edit", args=[slug, coupon.pk])):
            answer = client.post(path, coupon_form(**{field: value}))
            assert answer.status_code in (200, 302, 400), (field, value, answer.status_code)
        Coupon.objects.filter(community=owner.community).exclude(pk=coupon.pk).delete()


@pytest.mark.parametrize("field", ["coupon", "points", "per_member_limit", "segment", "branch_id", "level", "days",
                                   "token", "once"])
def test_points_shop_and_hand_out_pages_hostile_values_are_never_a_500(login, owner, member, field):
    from django.urls import reverse

    slug = owner.community.slug
    coupon = make_coupon(owner, code="GIFT", handed_out_only=True)
    reward = points_shop.reward_save(actor=fresh(owner), coupon_id=coupon.pk, points=1)
    give_points(member, 100)
    admin = login(owner)
    for value in FORM_HOSTILE:
        data = {"coupon": coupon.pk, "points": "5", "per_member_limit": "1", "is_active": "on", field: value}
        answer = admin.post(reverse("engagement_console:points_reward", args=[slug, reward.pk]), data)
        assert answer.status_code in (200, 302, 400), (field, value, answer.status_code)
        data = {"segment": "lapsed", "days": "30", "confirm": "1", field: value}
        answer = admin.post(reverse("engagement_console:coupon_hand_out", args=[slug, coupon.pk]), data)
        assert answer.status_code in (200, 302, 400), (field, value, answer.status_code)
    client = login(member)
    for value in FORM_HOSTILE:
        answer = client.post(reverse("engagement:points_exchange", args=[slug, reward.pk]), {"token": value})
        assert answer.status_code in (200, 302, 400), (value, answer.status_code)
    spent = -sum(PointsEntry.objects.filter(member_id=member.user_id, reason="coupon").values_list("amount", flat=True))
    assert balance(member) == 100 - spent >= 0
    assert CouponGrant.objects.filter(member_id=member.user_id, source="points").count() == PointsEntry.objects.filter(
        member_id=member.user_id, reason="coupon").count()


# Things that hold ---------------------------------------------------------------------------------

def test_coupon_points_and_delivery_fee_add_up_and_points_never_pay_the_fee(shop):
    community, owner = shop
    points_rules(community, percent=100)
    make_coupon(owner, code="TEN")
    buyer = membership(community)
    give_points(buyer, 100_000)
    group_buy = make_group_buy(owner, price="20.00", allows_delivery=True, delivery_fee=Decimal("6.00"))
    order = services.order_place(member=fresh(buyer), group_buy=group_buy, lines=[(group_buy.items.get().pk, 2)],
                                 idempotency_key="d", fulfilment="delivery", delivery_address="Room 1",
                                 coupon_code="TEN", use_points=True)[0]
    # ¥40 − ¥10 coupon − ¥30 of points (all that is left of the goods) + ¥6 delivery.
    assert (order.discount, order.points_discount, order.points_spent) == (Decimal("10.00"), Decimal("30.00"), 3000)
    assert order.total == order.charge.amount == Decimal("6.00") and balance(buyer) == 97_000


def test_a_paid_order_cancelled_by_its_member_gives_points_and_coupon_back_once(shop, top_up):
    community, owner = shop
    points_rules(community, percent=50)
    make_coupon(owner, code="TEN")
    buyer = membership(community)
    give_points(buyer, 1_000)
    top_up(owner, buyer, "100")
    order = place(buyer, make_group_buy(owner, price="20.00"), "c", coupon_code="TEN", use_points=True)
    services.order_pay_with_wallet(member=fresh(buyer), order=order)
    services.order_cancel(member=fresh(buyer), order=Order.objects.get(pk=order.pk))
    for _ in range(2):
        sweep_run("core.domain_events")
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_amount == order.total
    assert balance(buyer) == 1_000 and PointsEntry.objects.filter(reason="spent_returned").count() == 1
    assert Coupon.objects.get(code="TEN").uses == 0
    with pytest.raises(Conflict):
        services.order_refund(actor=fresh(owner), order=order)  # refunded already: nothing twice


def test_a_coupon_switched_off_while_the_order_is_placed_refuses_it_and_takes_nothing(shop, monkeypatch):
    community, owner = shop
    points_rules(community, percent=50)
    coupon = make_coupon(owner, code="TEN")
    buyer = membership(community)
    give_points(buyer, 1_000)
    quote = coupons.coupon_quote

    def quote_then_admin_switches_it_off(**kw):
        answer = quote(**kw)
        coupons.coupon_save(actor=fresh(owner), coupon=Coupon.objects.get(pk=coupon.pk), code="TEN", name="Ten",
                            kind="amount", amount_off=Decimal("10"), starts_at=coupon.starts_at,
                            ends_at=coupon.ends_at, is_active=False)
        return answer

    monkeypatch.setattr(coupons, "coupon_quote", quote_then_admin_switches_it_off)
    group_buy = make_group_buy(owner, price="20.00")
    with pytest.raises(Conflict):
        place(buyer, group_buy, "race", coupon_code="TEN", use_points=True)
    assert not Order.objects.exists() and balance(buyer) == 1_000
    assert not MemberCoupon.objects.exists() and Coupon.objects.get(pk=coupon.pk).uses == 0
    assert group_buy.items.get().quantity_sold == 0


def test_a_failed_team_gives_the_coupon_use_and_the_points_back(shop, top_up):
    community, owner = shop
    points_rules(community, percent=50)
    make_coupon(owner, code="TEN")
    buyer = membership(community)
    give_points(buyer, 1_000)
    top_up(owner, buyer, "100")
    group_buy = make_group_buy(owner, price="20.00", mode="team", team_size=3)
    order = place(buyer, group_buy, "t", coupon_code="TEN", use_points=True, open_team=True)
    services.order_pay_with_wallet(member=fresh(buyer), order=order)
    order.refresh_from_db()
    services.team_fail(order.team, timezone.now())
    sweep_run("core.domain_events")
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_amount == order.total > 0
    assert balance(buyer) == 1_000 and Coupon.objects.get(code="TEN").uses == 0


def test_points_on_the_page_then_spent_elsewhere_refuse_the_order_whole(shop, monkeypatch):
    """The balance changes between the offer (read before the transaction) and the spend."""
    community, owner = shop
    points_rules(community, percent=50)
    buyer = membership(community)
    give_points(buyer, 1_000)
    from orders import discounts

    offer = discounts.points_offer

    def offer_then_spent_elsewhere(member, amount):
        answer = offer(member, amount)
        PointsAccount.objects.filter(member_id=member.user_id).update(balance=100)
        return answer

    monkeypatch.setattr(discounts, "points_offer", offer_then_spent_elsewhere)
    group_buy = make_group_buy(owner, price="20.00")
    with pytest.raises(Conflict) as refused:
        place(buyer, group_buy, "p", use_points=True)
    assert refused.value.code == "points_changed"
    assert not Order.objects.exists() and balance(buyer) == 100 and group_buy.items.get().quantity_sold == 0


@pytest.fixture
def top_up():
    from payments import services as payments_services

    def _top_up(admin, member, amount):
        return payments_services.wallet_top_up(actor=fresh(admin), member_user=member.user, amount=Decimal(amount))

    return _top_up


def test_the_same_order_key_with_another_coupon_or_points_choice_is_422(shop):
    from core.exceptions import Unprocessable

    community, owner = shop
    points_rules(community, percent=50)
    make_coupon(owner, code="TEN")
    make_coupon(owner, code="FIVE", amount_off=Decimal("5"))
    buyer = membership(community)
    give_points(buyer, 1_000)
    group_buy = make_group_buy(owner, price="20.00")
    first = place(buyer, group_buy, "k", coupon_code="TEN", use_points=True)
    for changed in ({"coupon_code": "FIVE", "use_points": True}, {"coupon_code": "", "use_points": True},
                    {"coupon_code": "TEN", "use_points": False}):
        with pytest.raises(Unprocessable):
            place(buyer, group_buy, "k", **changed)
    assert place(buyer, group_buy, "k", coupon_code=" ten ", use_points=True).pk == first.pk  # as typed: the same
    assert Order.objects.count() == 1 and Coupon.objects.get(code="TEN").uses == 1
    assert first.points_spent == 1_000 and balance(buyer) == 0


@pytest.mark.django_db(transaction=True)
def test_one_order_key_sent_four_times_at_once_takes_the_coupon_and_the_points_once():
    from tests.concurrency import run_at_once

    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    points_rules(community, percent=50)
    make_coupon(owner, code="TEN", per_member_limit=5)
    buyer = membership(community)
    give_points(buyer, 1_000)
    group_buy = make_group_buy(owner, price="20.00")

    results = run_at_once(4, lambda i: place(buyer, group_buy, "same", coupon_code="TEN", use_points=True))

    assert all(isinstance(r, Order) for r in results), results
    assert len({r.pk for r in results}) == 1 and Order.objects.count() == 1
    assert Coupon.objects.get(code="TEN").uses == 1 and MemberCoupon.objects.get().used == 1
    assert balance(buyer) == 1_000 - results[0].points_spent and group_buy.items.get().quantity_sold == 2


def test_a_member_who_left_cannot_use_a_handed_coupon_points_or_the_shop(shop, api_as):
    from communities.services import membership_leave
    from core.exceptions import NotFound

    community, owner = shop
    points_rules(community, percent=50)
    coupon = make_coupon(owner, code="GIFT", handed_out_only=True)
    reward = points_shop.reward_save(actor=fresh(owner), coupon_id=coupon.pk, points=10)
    buyer = membership(community)
    give_points(buyer, 1_000)
    coupons.coupon_hand_out(coupon=coupon, member_id=buyer.user_id, key="gift", tell=False)
    group_buy = make_group_buy(owner, price="20.00")
    stale = fresh(buyer)  # what a request that began before leaving holds
    membership_leave(user=buyer.user, community=community)
    stale.status = Membership.Status.LEFT  # the services check the membership they are given
    with pytest.raises(NotFound):
        place(stale, group_buy, "left", coupon_code="GIFT", use_points=True)
    with pytest.raises(NotFound):
        points_shop.points_exchange(membership=stale, reward=reward, idempotency_key="left")
    client = api_as(buyer.user)
    body = {"group_buy": group_buy.pk, "lines": [{"item": group_buy.items.get().pk, "quantity": 2}],
            "pickup_point": group_buy.pickup_points.get().pk, "coupon_code": "GIFT", "use_points": True}
    assert client.post(url(community.slug, "orders"), body, format="json",
                       HTTP_IDEMPOTENCY_KEY="left").status_code in (403, 404)
    assert client.post(url(community.slug, "points", "offers", reward.pk, "exchange"),
                       HTTP_IDEMPOTENCY_KEY="left").status_code in (403, 404)
    assert not Order.objects.exists() and balance(buyer) == 1_000
    assert MemberCoupon.objects.get(member_id=buyer.user_id).used == 0


@pytest.mark.django_db(transaction=True)
def test_two_first_order_coupons_at_once_give_one_first_order_discount():
    """Two tabs, two welcome codes, one tap each at the same moment: both saw "no order yet"."""
    from tests.concurrency import run_at_once

    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    make_coupon(owner, code="WELCOME", new_members_only=True)
    make_coupon(owner, code="HELLO", new_members_only=True)
    buyer = membership(community)
    group_buy = make_group_buy(owner, price="20.00")

    codes = ["WELCOME", "HELLO", "WELCOME", "HELLO"]
    results = run_at_once(4, lambda i: place(buyer, group_buy, f"first-{i}", coupon_code=codes[i]))

    placed = [r for r in results if isinstance(r, Order)]
    assert len(placed) == 1, results
    assert all(isinstance(r, Order) or getattr(r, "code", "") in ("coupon_first_order_only", "coupon_member_limit")
               for r in results), results
    assert Order.objects.count() == 1 and sum(Coupon.objects.values_list("uses", flat=True)) == 1


def test_points_cannot_buy_a_coupon_for_a_group_buy_that_has_closed(shop):
    community, owner = shop
    group_buy = make_group_buy(owner, price="20.00")
    coupon = make_coupon(owner, code="ROUND", handed_out_only=True, group_buy_id=group_buy.pk)
    reward = points_shop.reward_save(actor=fresh(owner), coupon_id=coupon.pk, points=100)
    buyer = membership(community)
    give_points(buyer, 500)
    assert [r.pk for r in points_shop.rewards_on_offer(community)] == [reward.pk]
    services.group_buy_cancel(actor=fresh(owner), group_buy=group_buy)
    assert list(points_shop.rewards_on_offer(community)) == []
    with pytest.raises(Conflict):
        points_shop.points_exchange(membership=buyer, reward=reward, idempotency_key="late")
    assert balance(buyer) == 500 and not CouponGrant.objects.exists()


def test_an_admin_of_another_community_reaches_none_of_these_coupons_or_offers(shop, api_as, login):
    from django.urls import reverse

    community, owner = shop
    coupon = make_coupon(owner, code="MINE", handed_out_only=True)
    reward = points_shop.reward_save(actor=fresh(owner), coupon_id=coupon.pk, points=100)
    other = membership(CommunityFactory(), Role.OWNER)
    theirs, slug = api_as(other.user), other.community.slug
    assert theirs.get(url(slug, "admin", "coupons", coupon.pk)).status_code == 404
    assert theirs.patch(url(slug, "admin", "coupons", coupon.pk), {"is_active": False}, format="json").status_code == 404
    assert theirs.get(url(slug, "admin", "coupons", coupon.pk, "redemptions")).status_code == 404
    assert theirs.get(url(slug, "admin", "coupons", coupon.pk, "batches")).status_code == 404
    assert theirs.post(url(slug, "admin", "coupons", coupon.pk, "hand-out"), {"segment": "everyone"},
                       format="json").status_code == 404
    assert theirs.put(url(slug, "admin", "points", "offers", reward.pk),
                      {"coupon": coupon.pk, "points": 1}, format="json").status_code == 404
    own = make_coupon(other, code="THEIRS", handed_out_only=True)
    answer = theirs.post(url(slug, "admin", "points", "offers"), {"coupon": coupon.pk, "points": 1}, format="json")
    assert answer.status_code == 400  # not their coupon
    answer = theirs.post(url(slug, "points", "offers", reward.pk, "exchange"), HTTP_IDEMPOTENCY_KEY="x")
    assert answer.status_code == 404
    # And in A's own slug they are nobody.
    assert theirs.get(url(community.slug, "admin", "coupons", coupon.pk)).status_code in (403, 404)
    page = login(other)
    assert page.post(reverse("orders_console:coupon_edit", args=[slug, coupon.pk]), {}).status_code == 404
    assert page.post(reverse("engagement_console:points_reward", args=[slug, reward.pk]), {}).status_code == 404
    assert page.post(reverse("engagement_console:coupon_hand_out", args=[slug, coupon.pk]),
                     {"segment": "everyone"}).status_code == 404
    coupon.refresh_from_db()
    assert coupon.is_active and not CouponGrant.objects.exists() and own.community_id == other.community_id
    assert PointsReward.objects.get(pk=reward.pk).points == 100
