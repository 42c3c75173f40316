"""The coupons console (admins): a coupon created by the form works at checkout; the list, the edit
form and the detail page (numbers, hand-outs, redemptions); handing out to a segment with a count
first; who may see what (a leader, a member, another community); bad input is a form error."""

import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.models import Membership, Role
from core.audit import audit_sentence
from core.models import AuditLog
from engagement.levels import levels_set
from engagement.models import PointsAccount
from orders import coupons, services
from orders.models import Coupon, CouponBatch, CouponGrant, MemberCoupon
from tests.branches import make_branch
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def url(name, community, *args, ns="orders_console"):
    return reverse(f"{ns}:{name}", args=[community.slug, *args])


def local(value) -> str:
    return timezone.localtime(value, SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def form_data(**changes):
    now = timezone.now()
    data = {"code": "spring10", "name": "Spring ten off", "kind": "amount", "amount_off": "10", "percent_off": "",
            "min_spend": "30", "starts_at": local(now - timedelta(hours=1)), "ends_at": local(now + timedelta(days=7)),
            "total_limit": "100", "per_member_limit": "1", "group_buy": "", "is_active": "on"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def has_nul(values: dict) -> bool:
    flat = [item for value in values.values() for item in (value if isinstance(value, list) else [value])]
    return any("\x00" in str(item) for item in flat)


def fresh(membership):
    return Membership.objects.select_related("community", "user", "branch").get(pk=membership.pk)


def make_coupon(actor, **changes):
    now = timezone.now()
    values = dict(code="SAVE10", name="Ten off", kind="amount", amount_off=Decimal("10"), min_spend=Decimal("0"),
                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7))
    values.update(changes)
    return coupons.coupon_save(actor=fresh(actor), **values)


def place(membership, group_buy, key, code="SPRING10", qty=2):
    return services.order_place(member=fresh(membership), group_buy=group_buy, idempotency_key=key,
                                lines=[(group_buy.items.first().pk, qty)],
                                pickup_point_id=group_buy.pickup_points.get().pk, coupon_code=code)


@pytest.fixture
def admin_client(login, admin_member):
    return login(admin_member)


@pytest.fixture
def new_member(community):
    def _new(name):
        return fresh(MembershipFactory(community=community, role=Role.MEMBER,
                                       user=UserFactory(display_name=name)))
    return _new


# Outcomes ------------------------------------------------------------------------------------------

def test_a_coupon_created_by_the_form_takes_its_discount_at_checkout(admin_client, community, owner, member):
    now = timezone.now()
    response = admin_client.post(url("coupon_new", community), form_data(
        starts_at=local(now - timedelta(minutes=30)), ends_at=local(now + timedelta(days=3))))
    coupon = Coupon.objects.get(community=community)
    assert response.status_code == 302 and response["Location"] == url("coupon", community, coupon.pk)
    assert coupon.code == "SPRING10" and coupon.amount_off == Decimal("10.00") and coupon.total_limit == 100
    # The form's local times are the community's (Asia/Shanghai), stored as instants, to the minute.
    assert abs(coupon.starts_at - (now - timedelta(minutes=30))) < timedelta(minutes=1)
    entry = AuditLog.objects.get(community=community, action="coupon.created", object_id=coupon.pk)
    assert audit_sentence(entry) == f"{entry.actor.display_name} created coupon SPRING10"

    order, _ = place(member, make_group_buy(owner, price="20.00"), "k1", code="spring10")
    assert order.discount == Decimal("10.00") and order.total == Decimal("30.00")
    page = admin_client.get(url("coupon", community, coupon.pk))
    assert page.status_code == 200
    assert f'href="{url("orders", community)}?q=%23{order.pk}"' in page.content.decode()
    assert page.context["numbers"]["uses"] == 1 and page.context["numbers"]["discount_given"] == Decimal("10.00")


def test_a_percent_coupon_limited_to_a_round_and_products_by_the_form(admin_client, community, owner, member):
    pears, apples = ProductFactory(community=community, name="Pears"), ProductFactory(community=community, name="Apples")
    group_buy = make_group_buy(owner, products=[pears, apples], price="10.00")
    response = admin_client.post(url("coupon_new", community), form_data(
        code="PEARS15", kind="percent", amount_off="", percent_off="15", min_spend="0", group_buy=str(group_buy.pk),
        products=[str(pears.pk)]))
    assert response.status_code == 302, response.context["form"].errors
    coupon = Coupon.objects.get(code="PEARS15")
    assert coupon.group_buy == group_buy and list(coupon.products.all()) == [pears]
    items = {i.product_id: i.pk for i in group_buy.items.all()}
    order, _ = services.order_place(member=fresh(member), group_buy=group_buy, idempotency_key="p",
                                    lines=[(items[pears.pk], 2), (items[apples.pk], 1)],
                                    pickup_point_id=group_buy.pickup_points.get().pk, coupon_code="pears15")
    assert order.discount == Decimal("3.00")


def test_editing_shows_local_times_and_keeps_what_was_not_changed(admin_client, community, admin_member):
    coupon = make_coupon(admin_member, total_limit=50)
    page = admin_client.get(url("coupon_edit", community, coupon.pk))
    assert page.status_code == 200
    assert f'value="{local(coupon.starts_at)}"' in page.content.decode()
    data = {key: value for key, value in page.context["form"].initial.items() if value not in (None, False)}
    data.update(name="Ten off, renamed", total_limit="80", amount_off="10.00", min_spend="0.00",
                is_active="on", products=[])
    response = admin_client.post(url("coupon_edit", community, coupon.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    coupon.refresh_from_db()
    assert coupon.name == "Ten off, renamed" and coupon.total_limit == 80 and coupon.code == "SAVE10"
    entry = AuditLog.objects.get(action="coupon.changed", object_id=coupon.pk)
    assert audit_sentence(entry) == f"{admin_member.user.display_name} changed coupon SAVE10"


def test_the_list_filters_active_and_ended_and_shows_only_this_community(admin_client, community, admin_member):
    now = timezone.now()
    live = make_coupon(admin_member, code="LIVE1")
    ended = make_coupon(admin_member, code="OLD1", starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=1))
    off = make_coupon(admin_member, code="OFF1", is_active=False)
    other_owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    make_coupon(other_owner, code="THEIRS")

    def listed(**params):
        page = admin_client.get(url("coupons", community), params)
        assert page.status_code == 200
        return {c.code for c in page.context["page"].object_list}

    assert listed() == {"LIVE1", "OLD1", "OFF1"}
    assert listed(status="active") == {"LIVE1"}
    assert listed(status="ended") == {"OLD1"}
    assert listed(status="off") == {"OFF1"}
    assert listed(status="nonsense") == {"LIVE1", "OLD1", "OFF1"}
    assert admin_client.get(url("coupons", community), {"q": "a\x00"}).status_code == 400  # the site refuses NUL
    assert listed(q="old") == {"OLD1"}
    assert listed(page="１") == {"LIVE1", "OLD1", "OFF1"}
    body = admin_client.get(url("coupons", community)).content.decode()
    assert "¥10.00 off" in body and "THEIRS" not in body
    assert live.pk and ended.pk and off.pk


def test_the_detail_page_counts_uses_handouts_and_uses_given_back(admin_client, community, owner, admin_member,
                                                                   member, new_member):
    coupon = make_coupon(admin_member, code="SPRING10")
    group_buy = make_group_buy(owner, price="20.00")
    kept, _ = place(member, group_buy, "kept")
    other = new_member("Second")
    given_back, _ = place(other, group_buy, "back")
    services.order_cancel(member=fresh(other), order=given_back)
    coupons.coupon_batch_hand_out(actor=fresh(admin_member), coupon=coupon, member_ids=[member.user_id, other.user_id],
                                  segment="Everyone")
    page = admin_client.get(url("coupon", community, coupon.pk))
    numbers = page.context["numbers"]
    assert numbers["uses"] == 1 and numbers["redemptions_live"] == 1 and numbers["redemptions_released"] == 1
    assert numbers["discount_given"] == Decimal("10.00") and numbers["handed"] == 2 and numbers["handed_members"] == 2
    body = page.content.decode()
    assert "Given back" in body and f"#{kept.pk}" in body and "Everyone" in body
    assert admin_member.user.display_name in body


# Handing out --------------------------------------------------------------------------------------

def test_the_hand_out_page_counts_the_segment_then_hands_one_to_each(admin_client, community, owner, admin_member,
                                                                     new_member):
    levels_set(actor=fresh(owner), levels=[("新人", 0), ("铁粉", 500)])
    fans = [new_member("Fan 1"), new_member("Fan 2")]
    for fan in fans:
        PointsAccount.objects.create(community=community, member=fan.user, lifetime=800)
    coupon = make_coupon(admin_member, handed_out_only=True)
    hand_out = url("coupon_hand_out", community, coupon.pk, ns="engagement_console")
    detail = admin_client.get(url("coupon", community, coupon.pk)).content.decode()
    assert f'href="{hand_out}"' in detail

    preview = admin_client.get(hand_out, {"segment": "level", "level": "铁粉"})
    assert preview.status_code == 200 and preview.context["count"] == 2
    assert "2 members now" in preview.content.decode()
    assert not CouponBatch.objects.exists()  # counting hands nothing out

    done = admin_client.post(hand_out, {"segment": "level", "level": "铁粉"})
    assert done.status_code == 302 and done["Location"] == url("coupon", community, coupon.pk)
    again = admin_client.post(hand_out, {"segment": "level", "level": "铁粉"})
    assert again.status_code == 302
    # Handed twice to the same segment: two batches, each member once in each.
    batches = list(CouponBatch.objects.filter(coupon=coupon).order_by("pk"))
    assert [b.member_count for b in batches] == [2, 2] and batches[0].segment == "Level: 铁粉"
    for batch in batches:
        assert sorted(CouponGrant.objects.filter(batch=batch).values_list("member_id", flat=True)) == sorted(
            f.user_id for f in fans)
    assert set(MemberCoupon.objects.filter(coupon=coupon).values_list("handed", flat=True)) == {2}
    entry = AuditLog.objects.filter(action="coupon.handed_out", object_id=coupon.pk).order_by("pk").first()
    assert audit_sentence(entry) == f"{admin_member.user.display_name} handed coupon SAVE10 to 2 members (Level: 铁粉)"
    # The members handed one can use it (a handed-out-only coupon).
    order, _ = place(fans[0], make_group_buy(owner), "fan", code="SAVE10")
    assert order.discount == Decimal("10.00")


def test_the_hand_out_page_by_branch_and_by_lapsed_days(admin_client, community, owner, admin_member, new_member):
    east_people = [new_member("E1"), new_member("E2"), new_member("E3")]
    east = make_branch(fresh(owner), "East", members=east_people)
    coupon = make_coupon(admin_member)
    hand_out = url("coupon_hand_out", community, coupon.pk, ns="engagement_console")
    assert admin_client.get(hand_out, {"segment": "branch", "branch_id": east.pk}).context["count"] == 3
    admin_client.post(hand_out, {"segment": "branch", "branch_id": east.pk})
    assert CouponBatch.objects.get().member_count == 3
    everyone = community.memberships.filter(status="active").count()
    preview = admin_client.get(hand_out, {"segment": "lapsed", "days": "30"})
    assert preview.context["count"] == everyone
    assert "No order in the last 30 days (including never)" in preview.content.decode()


def test_a_confirm_form_sent_twice_hands_out_once(admin_client, community, admin_member):
    coupon = make_coupon(admin_member)
    hand_out = url("coupon_hand_out", community, coupon.pk, ns="engagement_console")
    preview = admin_client.get(hand_out, {"segment": "everyone"})
    once = preview.context["once"]
    assert f'name="once" value="{once}"' in preview.content.decode()
    first = admin_client.post(hand_out, {"segment": "everyone", "once": once}, follow=True)
    again = admin_client.post(hand_out, {"segment": "everyone", "once": once}, follow=True)
    assert "handed to 4 members" in first.content.decode()
    assert "This hand-out was already done" in again.content.decode()
    assert CouponBatch.objects.count() == 1 and set(MemberCoupon.objects.values_list("handed", flat=True)) == {1}
    # A new confirm form (a new token) is a new hand-out, on purpose.
    fresh_once = admin_client.get(hand_out, {"segment": "everyone"}).context["once"]
    admin_client.post(hand_out, {"segment": "everyone", "once": fresh_once})
    assert CouponBatch.objects.count() == 2


@pytest.mark.parametrize("params, field", [
    ({"segment": "lapsed", "days": "１２"}, "days"),
    ({"segment": "lapsed", "days": "0"}, "days"),
    ({"segment": "lapsed", "days": "9999"}, "days"),
    ({"segment": "lapsed", "days": "3\x00"}, "days"),
    ({"segment": "level", "level": "Nobody"}, "level"),
    ({"segment": "everybody"}, "segment"),
])
def test_a_bad_segment_is_a_form_error_and_hands_nothing_out(admin_client, community, admin_member, params, field):
    coupon = make_coupon(admin_member)
    hand_out = url("coupon_hand_out", community, coupon.pk, ns="engagement_console")
    for response in (admin_client.get(hand_out, params), admin_client.post(hand_out, params)):
        assert response.status_code == 400
        if not has_nul(params):
            assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not CouponBatch.objects.exists()


def test_an_ended_or_switched_off_coupon_is_not_handed_out(admin_client, community, admin_member):
    now = timezone.now()
    off = make_coupon(admin_member, code="OFF1", is_active=False)
    ended = make_coupon(admin_member, code="OLD1", starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=1))
    for coupon in (off, ended):
        response = admin_client.post(url("coupon_hand_out", community, coupon.pk, ns="engagement_console"),
                                     {"segment": "everyone"})
        assert response.status_code == 400
        assert "cannot be handed out" in response.content.decode()
        assert "Hand out to members" not in admin_client.get(url("coupon", community, coupon.pk)).content.decode()
    assert not CouponBatch.objects.exists()


# Who may -------------------------------------------------------------------------------------------

def test_another_communitys_coupon_is_not_found(admin_client, community):
    other_owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    theirs = make_coupon(other_owner, code="THEIRS")
    for page in (url("coupon", community, theirs.pk), url("coupon_edit", community, theirs.pk),
                 url("coupon_hand_out", community, theirs.pk, ns="engagement_console")):
        assert admin_client.get(page).status_code == 404
    assert admin_client.post(url("coupon_edit", community, theirs.pk), form_data()).status_code == 404
    assert admin_client.post(url("coupon_hand_out", community, theirs.pk, ns="engagement_console"),
                             {"segment": "everyone"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Ten off" and not CouponBatch.objects.exists()
    # Their admin does not see ours either.
    assert admin_client.get(url("coupons", theirs.community)).status_code == 404


@pytest.mark.parametrize("role", [Role.LEADER, Role.MEMBER])
def test_leaders_and_members_may_not_manage_coupons(login, community, admin_member, leader, member, role):
    coupon = make_coupon(admin_member)
    client = login(leader if role == Role.LEADER else member)
    for page in (url("coupons", community), url("coupon_new", community), url("coupon", community, coupon.pk),
                 url("coupon_edit", community, coupon.pk),
                 url("coupon_hand_out", community, coupon.pk, ns="engagement_console")):
        assert client.get(page).status_code == 403, page
    assert client.post(url("coupon_new", community), form_data(code="MINE1")).status_code == 403
    assert client.post(url("coupon_hand_out", community, coupon.pk, ns="engagement_console"),
                       {"segment": "everyone"}).status_code == 403
    assert Coupon.objects.count() == 1 and not CouponBatch.objects.exists()


def test_the_nav_links_coupons_for_admins_only(login, community, admin_member, leader):
    assert f'href="{url("coupons", community)}"' in login(admin_member).get(url("coupons", community)).content.decode()
    page = login(leader).get(reverse("console:dashboard", args=[community.slug])).content.decode()
    assert url("coupons", community) not in page


# Bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, field", [
    ({"amount_off": "１２"}, "amount_off"),
    ({"amount_off": "1e3"}, "amount_off"),
    ({"amount_off": "NaN"}, "amount_off"),
    ({"amount_off": "99999999999999999999"}, "amount_off"),
    ({"amount_off": "1000000.01"}, "amount_off"),
    ({"amount_off": "0"}, "amount_off"),
    ({"amount_off": "-5"}, "amount_off"),
    ({"amount_off": "10.005"}, "amount_off"),
    ({"amount_off": ""}, "amount_off"),
    ({"kind": "percent", "amount_off": "", "percent_off": "0"}, "percent_off"),
    ({"kind": "percent", "amount_off": "", "percent_off": "101"}, "percent_off"),
    ({"kind": "percent", "amount_off": "", "percent_off": "٣"}, "percent_off"),
    ({"kind": "percent", "amount_off": ""}, "percent_off"),
    ({"kind": "free"}, "kind"),
    ({"min_spend": "２０"}, "min_spend"),
    ({"total_limit": "99999999999999999999999"}, "total_limit"),
    ({"total_limit": "1000001"}, "total_limit"),
    ({"total_limit": "0"}, "total_limit"),
    ({"total_limit": "１２"}, "total_limit"),
    ({"per_member_limit": "0"}, "per_member_limit"),
    ({"per_member_limit": "101"}, "per_member_limit"),
    ({"per_member_limit": ""}, "per_member_limit"),
    ({"name": "Spring\x00"}, "name"),
    ({"name": "x" * 61}, "name"),
    ({"name": "   "}, "name"),
    ({"code": "优惠券"}, "code"),
    ({"code": "AB"}, "code"),
    ({"code": "SPRING\x0010"}, "code"),
    ({"code": "x" * 5000}, "code"),
    ({"starts_at": "٢٠٢٦-01-01T10:00"}, "starts_at"),
    ({"starts_at": "0001-01-01T00:00"}, "starts_at"),
    ({"ends_at": "9999-12-31T23:59"}, "ends_at"),
    ({"ends_at": "tomorrow"}, "ends_at"),
    ({"ends_at": "2026-13-45T99:99"}, "ends_at"),
    ({"group_buy": "１"}, "group_buy"),
    ({"group_buy": "99999999999999999999"}, "group_buy"),
    ({"products": ["１"]}, "products"),
    ({"products": ["1\x00"]}, "products"),
])
def test_bad_input_is_a_form_error_never_a_500(admin_client, community, changes, field):
    ProductFactory(community=community)
    response = admin_client.post(url("coupon_new", community), form_data(**changes))
    assert response.status_code == 400
    if not has_nul(changes):  # a NUL anywhere: the site answers 400 before the form (core middleware)
        assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not Coupon.objects.exists()


def test_end_before_start_is_an_error_on_the_end(admin_client, community):
    now = timezone.now()
    response = admin_client.post(url("coupon_new", community), form_data(
        starts_at=local(now + timedelta(days=2)), ends_at=local(now + timedelta(days=1))))
    assert response.status_code == 400
    assert response.context["form"].errors["ends_at"] == ["The coupon must end after it starts."]


def test_another_communitys_round_or_product_cannot_be_chosen(admin_client, community):
    other_owner = fresh(MembershipFactory(community=CommunityFactory(), role=Role.OWNER))
    their_round = make_group_buy(other_owner)
    their_product = ProductFactory(community=other_owner.community)
    for changes, field in (({"group_buy": str(their_round.pk)}, "group_buy"),
                           ({"products": [str(their_product.pk)]}, "products")):
        response = admin_client.post(url("coupon_new", community), form_data(**changes))
        assert response.status_code == 400 and response.context["form"].errors.get(field)
    assert not Coupon.objects.exists()


def test_the_services_errors_land_on_their_fields(admin_client, community, admin_member, owner, member):
    make_coupon(admin_member, code="SPRING10", total_limit=5)
    response = admin_client.post(url("coupon_new", community), form_data(code="spring10"))
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == ["Another coupon has this code."]
    coupon = Coupon.objects.get()
    place(member, make_group_buy(owner), "a")
    place(fresh(MembershipFactory(community=community)), make_group_buy(owner, title="B"), "b")
    data = {key: value for key, value in admin_client.get(url("coupon_edit", community, coupon.pk))
            .context["form"].initial.items() if value not in (None, False)}
    data.update(total_limit="1", amount_off="10.00", min_spend="0.00", products=[], is_active="on")
    response = admin_client.post(url("coupon_edit", community, coupon.pk), data)
    assert response.status_code == 400
    assert "2 orders use this coupon already" in response.context["form"].errors["total_limit"][0]
    coupon.refresh_from_db()
    assert coupon.total_limit == 5


@pytest.mark.django_db(transaction=True)
def test_two_confirms_at_once_with_one_form_hand_out_once(monkeypatch):
    from django.test import Client
    from django.urls import NoReverseMatch

    from tests.concurrency import run_at_once

    real = coupons.reverse  # the members' "my coupons" page comes with the member side of coupons

    def reverse_or_home(name, *args, **kwargs):
        try:
            return real(name, *args, **kwargs)
        except NoReverseMatch:
            return "/"

    monkeypatch.setattr(coupons, "reverse", reverse_or_home)
    community = CommunityFactory()
    admin = fresh(MembershipFactory(community=community, role=Role.OWNER))
    for n in range(3):
        MembershipFactory(community=community)
    coupon = make_coupon(admin)
    hand_out = url("coupon_hand_out", community, coupon.pk, ns="engagement_console")

    def confirm(i):
        client = Client()
        client.force_login(admin.user)
        return client.post(hand_out, {"segment": "everyone", "once": "a" * 32}).status_code

    assert run_at_once(4, confirm) == [302] * 4
    assert CouponBatch.objects.count() == 1
    assert sorted(MemberCoupon.objects.values_list("handed", flat=True)) == [1] * 4
