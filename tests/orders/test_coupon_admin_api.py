"""The coupons API for admins: create (the coupon works at checkout), list with ?updated_since=, read,
change (PATCH, PUT), batches and redemptions; the hand-out with its count first; who may (another
community 404, a leader 403); bad input is a 4xx in the one error shape, never a 500."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from communities.models import Membership, Role
from core.models import AuditLog
from engagement.levels import levels_set
from engagement.models import PointsAccount
from orders import coupons, services
from orders.models import Coupon, CouponBatch, CouponGrant, MemberCoupon
from tests.api import assert_error, url
from tests.branches import make_branch
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db


def fresh(membership):
    return Membership.objects.select_related("community", "user", "branch").get(pk=membership.pk)


def body(**changes):
    now = timezone.now()
    data = {"code": "api10", "name": "API ten off", "kind": "amount", "amount_off": "10.00", "min_spend": "20",
            "starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=3)).isoformat(),
            "total_limit": 10}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not ...}


def make_coupon(actor, **changes):
    now = timezone.now()
    values = dict(code="SAVE10", name="Ten off", kind="amount", amount_off=Decimal("10"), min_spend=Decimal("0"),
                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7))
    values.update(changes)
    return coupons.coupon_save(actor=fresh(actor), **values)


def place(membership, group_buy, key, code):
    return services.order_place(member=fresh(membership), group_buy=group_buy, idempotency_key=key,
                                lines=[(group_buy.items.first().pk, 2)],
                                pickup_point_id=group_buy.pickup_points.get().pk, coupon_code=code)


@pytest.fixture
def admin_api(api_as, admin_member):
    client = api_as(admin_member.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def new_member(community, name, branch=None):
    return fresh(MembershipFactory(community=community, branch=branch, user=UserFactory(display_name=name)))


# Coupons ------------------------------------------------------------------------------------------

def test_a_coupon_created_by_the_api_works_at_checkout(admin_api, community, owner, member):
    response = admin_api.post(url(community.slug, "admin/coupons"), body(), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["code"] == "API10" and created["description"] == "¥10.00 off on ¥20.00 or more"
    assert created["numbers"]["handed"] == 0 and created["uses"] == 0 and created["products"] == []
    order, _ = place(member, make_group_buy(owner, price="20.00"), "k", "api10")
    assert order.discount == Decimal("10.00")
    detail = admin_api.get(url(community.slug, "admin/coupons", created["id"])).json()
    assert detail["uses"] == 1 and detail["numbers"]["redemptions_live"] == 1
    assert detail["numbers"]["discount_given"] == "10.00"
    redemptions = admin_api.get(url(community.slug, "admin/coupons", created["id"], "redemptions")).json()
    assert [(r["order"], r["amount"], r["member"]["id"], r["released_at"]) for r in redemptions["results"]] == [
        (order.pk, "10.00", member.user_id, None)]
    services.order_cancel(member=fresh(member), order=order)
    released = admin_api.get(url(community.slug, "admin/coupons", created["id"], "redemptions"),
                             {"released": "true"}).json()["results"]
    assert [r["order_status"] for r in released] == ["cancelled"] and released[0]["released_at"]
    assert admin_api.get(url(community.slug, "admin/coupons", created["id"])).json()["uses"] == 0


def test_create_is_idempotent_with_a_key(admin_api, community):
    data = body()
    first = admin_api.post(url(community.slug, "admin/coupons"), data, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    again = admin_api.post(url(community.slug, "admin/coupons"), data, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Coupon.objects.count() == 1
    # Without a key, the same code a second time is a field error.
    assert_error(admin_api.post(url(community.slug, "admin/coupons"), data, format="json"), 400, fields=["code"])
    # The same key with another body is refused, not replayed.
    assert_error(admin_api.post(url(community.slug, "admin/coupons"), {**data, "name": "Other"}, format="json",
                                HTTP_IDEMPOTENCY_KEY="c1"), 422)


def test_list_filters_and_syncs_by_updated_since(admin_api, community, admin_member):
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=2), tick=False):
        old = make_coupon(admin_member, code="OLD1", starts_at=start - timedelta(days=3),
                          ends_at=start - timedelta(days=1))
    live = make_coupon(admin_member, code="LIVE1")
    make_coupon(MembershipFactory(community=CommunityFactory(), role=Role.OWNER), code="THEIRS")

    def codes(**params):
        response = admin_api.get(url(community.slug, "admin/coupons"), params)
        assert response.status_code == 200, response.json()
        return [c["code"] for c in response.json()["results"]]

    assert codes() == ["LIVE1", "OLD1"]
    assert codes(status="active") == ["LIVE1"] and codes(status="ended") == ["OLD1"]
    assert codes(updated_since=(start - timedelta(minutes=1)).isoformat()) == ["LIVE1"]
    assert codes(q="old") == ["OLD1"]
    assert codes(ordering="updated_at") == ["OLD1", "LIVE1"]
    for bad in ({"updated_since": "٢٠٢٦-01-01"}, {"status": "nope"}, {"ordering": "code"}, {"page_size": "１"}):
        assert_error(admin_api.get(url(community.slug, "admin/coupons"), bad), 400)
    assert old.pk and live.pk


def test_patch_changes_only_the_fields_given_and_put_replaces(admin_api, community, admin_member):
    product = ProductFactory(community=community)
    coupon = make_coupon(admin_member, total_limit=50, product_ids=[product.pk], min_spend=Decimal("30"))
    target = url(community.slug, "admin/coupons", coupon.pk)
    changed = admin_api.patch(target, {"name": "Renamed", "total_limit": None}, format="json")
    assert changed.status_code == 200, changed.json()
    answer = changed.json()
    assert answer["name"] == "Renamed" and answer["total_limit"] is None
    assert answer["products"] == [product.pk] and answer["min_spend"] == "30.00" and answer["code"] == "SAVE10"
    assert AuditLog.objects.filter(action="coupon.changed", object_id=coupon.pk).exists()
    replaced = admin_api.put(target, body(code="SAVE10", kind="percent", amount_off=None, percent_off=15), format="json")
    assert replaced.status_code == 200, replaced.json()
    answer = replaced.json()
    assert answer["kind"] == "percent" and answer["percent_off"] == 15 and answer["amount_off"] is None
    assert answer["products"] == [] and answer["description"] == "15% off on ¥20.00 or more"


def test_the_limit_cannot_go_below_the_uses_made(admin_api, community, owner, admin_member, member):
    coupon = make_coupon(admin_member, total_limit=5)
    place(member, make_group_buy(owner), "a", "SAVE10")
    place(new_member(community, "B"), make_group_buy(owner, title="B"), "b", "SAVE10")
    assert_error(admin_api.patch(url(community.slug, "admin/coupons", coupon.pk), {"total_limit": 1}, format="json"),
                 400, fields=["total_limit"])
    coupon.refresh_from_db()
    assert coupon.total_limit == 5


@pytest.mark.parametrize("changes, field", [
    ({"amount_off": "１２"}, "amount_off"),
    ({"amount_off": "1e3"}, "amount_off"),
    ({"amount_off": "NaN"}, "amount_off"),
    ({"amount_off": "9" * 40}, "amount_off"),
    ({"amount_off": 1000000.01}, "amount_off"),
    ({"amount_off": "0"}, "amount_off"),
    ({"amount_off": True}, "amount_off"),
    ({"amount_off": None}, "amount_off"),
    ({"kind": "percent", "amount_off": None, "percent_off": 0}, "percent_off"),
    ({"kind": "percent", "amount_off": None, "percent_off": 101}, "percent_off"),
    ({"kind": "percent", "amount_off": None, "percent_off": "１２"}, "percent_off"),
    ({"kind": "percent", "amount_off": None, "percent_off": 12.5}, "percent_off"),
    ({"kind": "percent", "amount_off": None}, "percent_off"),
    ({"kind": "free"}, "kind"),
    ({"min_spend": "-1"}, "min_spend"),
    ({"total_limit": 2**70}, "total_limit"),
    ({"total_limit": "٣"}, "total_limit"),
    ({"total_limit": 0}, "total_limit"),
    ({"per_member_limit": 101}, "per_member_limit"),
    ({"name": "Ten\x00off"}, "name"),
    ({"name": "x" * 61}, "name"),
    ({"code": "优惠券"}, "code"),
    ({"code": "A\x00B12"}, "code"),
    ({"code": "x" * 10000}, "code"),
    ({"starts_at": "٢٠٢٦-01-01T00:00:00Z"}, "starts_at"),
    ({"ends_at": "0001-01-01T00:00:00+08:00"}, "ends_at"),
    ({"ends_at": (timezone.now() - timedelta(days=9)).isoformat()}, "ends_at"),
    ({"group_buy": "１"}, "group_buy"),
    ({"group_buy": 2**70}, "group_buy"),
    ({"group_buy": 999999999}, "group_buy"),
    ({"products": ["１"]}, "products.0"),
    ({"products": [999999999]}, "products"),
    ({"products": list(range(1, 300))}, "products"),
    ({"products": "1"}, "products"),
])
def test_bad_bodies_are_400_with_the_field_never_500(admin_api, community, changes, field):
    response = admin_api.post(url(community.slug, "admin/coupons"), body(**changes), format="json")
    assert_error(response, 400, fields=[field])
    assert not Coupon.objects.exists()


def test_a_body_that_is_not_json_is_a_4xx(admin_api, community):
    assert admin_api.post(url(community.slug, "admin/coupons"), b"\x00\xff",
                          content_type="application/json").status_code == 400
    assert admin_api.post(url(community.slug, "admin/coupons"), {"code": "X"}, format="multipart").status_code in (400, 415)
    assert not Coupon.objects.exists()


# Hand-out ------------------------------------------------------------------------------------------

def test_count_then_hand_out_to_a_level_twice_makes_two_batches_each_member_once(admin_api, community, owner,
                                                                                 admin_member):
    levels_set(actor=fresh(owner), levels=[("新人", 0), ("铁粉", 500)])
    fans = [new_member(community, "Fan 1"), new_member(community, "Fan 2")]
    for fan in fans:
        PointsAccount.objects.create(community=community, member=fan.user, lifetime=900)
    coupon = make_coupon(admin_member, handed_out_only=True)
    hand_out = url(community.slug, "admin/coupons", coupon.pk, "hand-out")

    count = admin_api.get(hand_out, {"segment": "level", "level": "铁粉"})
    assert count.status_code == 200, count.json()
    assert count.json() == {"segment": "level", "description": "Level: 铁粉", "members": 2, "max_members": 100000}

    first = admin_api.post(hand_out, {"segment": "level", "level": "铁粉"}, format="json")
    second = admin_api.post(hand_out, {"segment": "level", "level": "铁粉"}, format="json")
    assert first.status_code == second.status_code == 201, first.json()
    assert first.json()["member_count"] == second.json()["member_count"] == 2
    assert first.json()["created_by"] == {"id": admin_member.user_id, "display_name": admin_member.user.display_name}
    assert first.json()["id"] != second.json()["id"]
    for batch in CouponBatch.objects.all():
        assert sorted(CouponGrant.objects.filter(batch=batch).values_list("member_id", flat=True)) == sorted(
            f.user_id for f in fans)
    assert sorted(MemberCoupon.objects.filter(coupon=coupon).values_list("handed", flat=True)) == [2, 2]
    batches = admin_api.get(url(community.slug, "admin/coupons", coupon.pk, "batches")).json()["results"]
    assert [b["segment"] for b in batches] == ["Level: 铁粉", "Level: 铁粉"]
    # A retried request with its key makes no third batch.
    replay = [admin_api.post(hand_out, {"segment": "everyone"}, format="json", HTTP_IDEMPOTENCY_KEY="h1")
              for _ in range(2)]
    assert replay[0].json()["id"] == replay[1].json()["id"] and CouponBatch.objects.count() == 3


def test_hand_out_to_a_branch_and_to_the_lapsed(admin_api, community, owner, admin_member):
    east_people = [new_member(community, "E1"), new_member(community, "E2")]
    east = make_branch(fresh(owner), "East", members=east_people)
    coupon = make_coupon(admin_member)
    hand_out = url(community.slug, "admin/coupons", coupon.pk, "hand-out")
    assert admin_api.get(hand_out, {"segment": "branch", "branch_id": east.pk}).json()["members"] == 2
    made = admin_api.post(hand_out, {"segment": "branch", "branch_id": east.pk}, format="json").json()
    assert made["member_count"] == 2 and made["segment"] == "Branch: East"
    place(east_people[0], make_group_buy(owner), "e1", "SAVE10")
    everyone = community.memberships.filter(status="active").count()
    lapsed = admin_api.get(hand_out, {"segment": "lapsed", "days": "30"}).json()
    assert lapsed["members"] == everyone - 1
    assert lapsed["description"] == "No order in the last 30 days (including never)"


@pytest.mark.parametrize("data, field", [
    ({}, "segment"),
    ({"segment": "all"}, "segment"),
    ({"segment": "branch"}, "branch_id"),
    ({"segment": "branch", "branch_id": "１"}, "branch_id"),
    ({"segment": "branch", "branch_id": 2**70}, "branch_id"),
    ({"segment": "branch", "branch_id": 999999999}, "branch_id"),
    ({"segment": "level", "level": "Nobody"}, "level"),
    ({"segment": "level", "level": "x" * 5000}, "level"),
    ({"segment": "level", "level": "铁\x00粉"}, "level"),
    ({"segment": "lapsed"}, "days"),
    ({"segment": "lapsed", "days": 0}, "days"),
    ({"segment": "lapsed", "days": 366}, "days"),
    ({"segment": "lapsed", "days": "１２"}, "days"),
    ({"segment": "lapsed", "days": 2**70}, "days"),
    ({"segment": "lapsed", "days": True}, "days"),
])
def test_bad_segments_are_400_and_hand_nothing_out(admin_api, community, admin_member, data, field):
    coupon = make_coupon(admin_member)
    hand_out = url(community.slug, "admin/coupons", coupon.pk, "hand-out")
    assert_error(admin_api.post(hand_out, data, format="json"), 400, fields=[field])
    query = {key: value for key, value in data.items() if not isinstance(value, bool) and "\x00" not in str(value)}
    if query == data:
        assert_error(admin_api.get(hand_out, query), 400, fields=[field])
    assert not CouponBatch.objects.exists()


def test_an_ended_coupon_is_409_and_an_empty_segment_400(admin_api, community, owner, admin_member):
    now = timezone.now()
    ended = make_coupon(admin_member, code="OLD1", starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=1))
    assert_error(admin_api.post(url(community.slug, "admin/coupons", ended.pk, "hand-out"), {"segment": "everyone"},
                                format="json"), 409, "coupon_inactive")
    empty = make_branch(fresh(owner), "Empty")
    live = make_coupon(admin_member)
    assert_error(admin_api.post(url(community.slug, "admin/coupons", live.pk, "hand-out"),
                                {"segment": "branch", "branch_id": empty.pk}, format="json"), 400, "segment_empty")
    assert not CouponBatch.objects.exists()


# Who may -------------------------------------------------------------------------------------------

def test_another_communitys_coupon_is_404_everywhere(admin_api, community):
    theirs = make_coupon(MembershipFactory(community=CommunityFactory(), role=Role.OWNER), code="THEIRS")
    for tail in ("", "redemptions", "batches", "hand-out"):
        assert_error(admin_api.get(url(community.slug, "admin/coupons", theirs.pk, tail) if tail else
                                   url(community.slug, "admin/coupons", theirs.pk), {"segment": "everyone"}), 404)
    assert_error(admin_api.patch(url(community.slug, "admin/coupons", theirs.pk), {"name": "Mine"}, format="json"), 404)
    assert_error(admin_api.post(url(community.slug, "admin/coupons", theirs.pk, "hand-out"), {"segment": "everyone"},
                                format="json"), 404)
    # Through their slug: not a member there.
    assert_error(admin_api.get(url(theirs.community.slug, "admin/coupons")), 404)
    theirs.refresh_from_db()
    assert theirs.name == "Ten off" and not CouponBatch.objects.exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.MEMBER])
def test_leaders_and_members_are_403(api_as, community, admin_member, leader, member, role):
    coupon = make_coupon(admin_member)
    client = api_as((leader if role == Role.LEADER else member).user)
    for path in (url(community.slug, "admin/coupons"), url(community.slug, "admin/coupons", coupon.pk),
                 url(community.slug, "admin/coupons", coupon.pk, "redemptions"),
                 url(community.slug, "admin/coupons", coupon.pk, "batches"),
                 url(community.slug, "admin/coupons", coupon.pk, "hand-out")):
        assert_error(client.get(path, {"segment": "everyone"}), 403)
    assert_error(client.post(url(community.slug, "admin/coupons"), body(code="MINE1"), format="json"), 403)
    assert_error(client.patch(url(community.slug, "admin/coupons", coupon.pk), {"name": "x"}, format="json"), 403)
    assert_error(client.post(url(community.slug, "admin/coupons", coupon.pk, "hand-out"), {"segment": "everyone"},
                             format="json"), 403)
    assert Coupon.objects.count() == 1 and not CouponBatch.objects.exists()


def test_not_logged_in_is_refused(api, community, admin_member):
    coupon = make_coupon(admin_member)
    assert api.get(url(community.slug, "admin/coupons")).status_code in (401, 403)
    assert api.post(url(community.slug, "admin/coupons", coupon.pk, "hand-out"), {"segment": "everyone"},
                    format="json").status_code in (401, 403)


# Replays and races ---------------------------------------------------------------------------------

@pytest.fixture
def members_coupon_page(monkeypatch):
    """The notification links to the members' "my coupons" page, which comes with the member side of
    coupons (another branch of this work); until it is there the link points home."""
    from django.urls import NoReverseMatch

    real = coupons.reverse

    def reverse_or_home(name, *args, **kwargs):
        try:
            return real(name, *args, **kwargs)
        except NoReverseMatch:
            if name != "orders:my_coupons":
                raise
            return "/"

    monkeypatch.setattr(coupons, "reverse", reverse_or_home)


@pytest.mark.django_db(transaction=True)
def test_hand_outs_at_once_one_key_make_one_batch_and_without_keys_one_batch_each(members_coupon_page):
    from rest_framework.test import APIClient

    from core.models import Notification
    from tests.concurrency import run_at_once

    community = CommunityFactory()
    owner = fresh(MembershipFactory(community=community, role=Role.OWNER))
    people = [new_member(community, f"M{n}") for n in range(3)]
    coupon = make_coupon(owner)
    hand_out = url(community.slug, "admin/coupons", coupon.pk, "hand-out")

    def post(key):
        client = APIClient()
        client.force_authenticate(owner.user)
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return client.post(hand_out, {"segment": "everyone"}, format="json", **extra).status_code

    assert run_at_once(4, lambda i: post("same")) == [201] * 4
    assert CouponBatch.objects.count() == 1
    assert sorted(MemberCoupon.objects.values_list("handed", flat=True)) == [1] * 4  # the owner and 3 members
    assert run_at_once(3, lambda i: post(None)) == [201] * 3
    assert CouponBatch.objects.count() == 4
    assert sorted(MemberCoupon.objects.values_list("handed", flat=True)) == [4] * 4
    for batch in CouponBatch.objects.all():
        assert CouponGrant.objects.filter(batch=batch).count() == 4
    assert Notification.objects.filter(kind="coupon_received", recipient=people[0].user).count() == 4
