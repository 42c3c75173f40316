"""积分兑换: members spend points on coupons on offer (once per request key, within the limit,
never below zero, not even with many taps at once); admins put handed-out coupons on offer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.models import Membership, Role
from core.exceptions import Conflict, ValidationFailed
from engagement import points, points_shop
from engagement.models import PointsAccount, PointsEntry, PointsReward
from orders import coupons, services
from orders.models import CouponGrant, MemberCoupon
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


def give_points(member, amount):
    points.points_award(community_id=member.community_id, member_id=member.user_id, amount=amount,
                        reason="check_in", key=f"test:{member.user_id}:{amount}")


def balance(member):
    return PointsAccount.objects.get(community_id=member.community_id, member_id=member.user_id).balance


def gift_coupon(owner, code="GIFT5", handed_out_only=True):
    now = timezone.now()
    return coupons.coupon_save(actor=owner, code=code, name="Five off", kind="amount", amount_off=Decimal("5"),
                               starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7),
                               handed_out_only=handed_out_only)


@pytest.fixture
def shop(db):
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    reward = points_shop.reward_save(actor=owner, coupon_id=gift_coupon(owner).pk, points=300, per_member_limit=2)
    return community, owner, reward


def test_points_buy_a_coupon_the_member_then_uses_at_checkout(shop):
    community, owner, reward = shop
    buyer = membership(community)
    give_points(buyer, 1000)

    grant, created = points_shop.points_exchange(membership=buyer, reward=reward, idempotency_key="tap-1")

    assert created and grant.source == "points" and balance(buyer) == 700
    assert PointsEntry.objects.get(reason="coupon").amount == -300
    group_buy = make_group_buy(owner, price="20.00")
    order, _ = services.order_place(member=buyer, group_buy=group_buy, lines=[(group_buy.items.get().pk, 1)],
                                    idempotency_key="o", pickup_point_id=group_buy.pickup_points.get().pk,
                                    coupon_code="gift5")
    assert order.total == Decimal("15.00")


def test_a_replayed_exchange_spends_nothing_again(shop):
    community, _owner, reward = shop
    buyer = membership(community)
    give_points(buyer, 1000)
    first, _ = points_shop.points_exchange(membership=buyer, reward=reward, idempotency_key="same")
    again, created = points_shop.points_exchange(membership=buyer, reward=reward, idempotency_key="same")
    assert not created and again.pk == first.pk and balance(buyer) == 700
    assert MemberCoupon.objects.get(member=buyer.user).handed == 1


def test_the_limit_per_member_and_the_balance_are_enforced(shop):
    community, _owner, reward = shop
    buyer, poor = membership(community), membership(community)
    give_points(buyer, 1000)
    give_points(poor, 299)
    points_shop.points_exchange(membership=buyer, reward=reward, idempotency_key="1")
    points_shop.points_exchange(membership=buyer, reward=reward, idempotency_key="2")
    with pytest.raises(Conflict) as limit:
        points_shop.points_exchange(membership=buyer, reward=reward, idempotency_key="3")
    assert limit.value.code == "reward_limit" and balance(buyer) == 400
    with pytest.raises(Conflict) as short:
        points_shop.points_exchange(membership=poor, reward=reward, idempotency_key="1")
    assert short.value.code == "not_enough_points" and balance(poor) == 299


@pytest.mark.django_db(transaction=True)
def test_many_taps_at_once_never_pass_the_limit_or_go_below_zero():
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    reward = points_shop.reward_save(actor=owner, coupon_id=gift_coupon(owner).pk, points=300, per_member_limit=5)
    buyer = membership(community)
    give_points(buyer, 700)  # enough for two

    results = run_at_once(6, lambda i: points_shop.points_exchange(membership=buyer, reward=reward,
                                                                   idempotency_key=f"tap-{i}"))

    assert sum(isinstance(r, tuple) for r in results) == 2, results
    assert balance(buyer) == 100
    assert CouponGrant.objects.filter(member=buyer.user).count() == 2


def test_only_a_handed_out_coupon_of_this_community_can_be_offered(shop):
    community, owner, _reward = shop
    public = gift_coupon(owner, code="OPEN", handed_out_only=False)
    with pytest.raises(ValidationFailed) as refused:
        points_shop.reward_save(actor=owner, coupon_id=public.pk, points=10)
    assert "coupon" in refused.value.fields
    other_owner = membership(CommunityFactory(), Role.OWNER)
    theirs = gift_coupon(other_owner, code="THEIRS")
    with pytest.raises(ValidationFailed):
        points_shop.reward_save(actor=owner, coupon_id=theirs.pk, points=10)


def test_an_offer_of_another_community_is_not_found(shop):
    _community, _owner, reward = shop
    stranger = membership(CommunityFactory())
    give_points(stranger, 1000)
    from core.exceptions import NotFound

    with pytest.raises(NotFound):
        points_shop.points_exchange(membership=stranger, reward=reward, idempotency_key="x")


def test_the_points_page_shows_the_offer_and_the_button_exchanges(client, shop):
    community, _owner, reward = shop
    buyer = membership(community)
    give_points(buyer, 500)
    client.force_login(buyer.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("engagement:points", kwargs={"slug": community.slug}))
    assert f'data-offer="{reward.pk}"' in page.content.decode()
    url = reverse("engagement:points_exchange", kwargs={"slug": community.slug, "pk": reward.pk})
    client.post(url, {"token": "abc"})
    client.post(url, {"token": "abc"})  # a double tap
    assert balance(buyer) == 200
    answer = client.post(url, {"token": "def"}, follow=True)
    assert "You need 300 points" in answer.content.decode() and balance(buyer) == 200


def test_the_console_offers_a_coupon_and_refuses_bad_numbers(client, shop):
    community, owner, _reward = shop
    second = gift_coupon(owner, code="MORE")
    client.force_login(owner.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("engagement_console:points_rewards", kwargs={"slug": community.slug})
    for bad in ("１２", "0", "99999999999999999999", "1\x00"):
        answer = client.post(url, {"coupon": second.pk, "points": bad, "per_member_limit": "1", "is_active": "on"})
        assert answer.status_code == 400, bad
    assert PointsReward.objects.count() == 1
    answer = client.post(url, {"coupon": second.pk, "points": "50", "per_member_limit": "1", "is_active": "on"})
    assert answer.status_code == 302 and PointsReward.objects.get(coupon=second).points == 50


def test_the_api_lists_offers_and_exchanges_with_a_key(api_as, shop):
    community, owner, reward = shop
    buyer = membership(community)
    give_points(buyer, 400)
    client = api_as(buyer.user)
    base = f"/api/v1/communities/{community.slug}/points/offers/"
    assert [o["id"] for o in client.get(base).json()["results"]] == [reward.pk]
    url = f"{base}{reward.pk}/exchange/"
    assert client.post(url, format="json").status_code == 400  # no key
    first = client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 200) and again.json()["balance"] == 100
    short = client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert short.status_code == 409 and short.json()["code"] == "not_enough_points"


def test_the_admin_api_is_for_admins_of_this_community(api_as, shop):
    community, owner, _reward = shop
    coupon = gift_coupon(owner, code="API")
    url = f"/api/v1/communities/{community.slug}/admin/points/offers/"
    leader = membership(community, Role.LEADER)
    assert api_as(leader.user).post(url, {"coupon": coupon.pk, "points": 5}, format="json").status_code in (403, 404)
    admin = api_as(owner.user)
    bad = admin.post(url, {"coupon": coupon.pk, "points": "１２"}, format="json")
    assert bad.status_code == 400 and "points" in bad.json()["fields"]
    made = admin.post(url, {"coupon": coupon.pk, "points": 5}, format="json")
    assert made.status_code == 201
    changed = admin.put(f"{url}{made.json()['id']}/", {"coupon": coupon.pk, "points": 9, "is_active": False},
                        format="json")
    assert changed.status_code == 200 and changed.json()["points"] == 9 and not changed.json()["is_active"]
    outsider = api_as(membership(CommunityFactory(), Role.OWNER).user)
    assert outsider.get(url).status_code == 404
