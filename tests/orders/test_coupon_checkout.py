"""Coupons for members: the coupon field and its "Apply" on the round page (the discount or the
reason, quantities kept), one-tap chips, the order page and my orders showing the discount, the
"My coupons" page, the basket link (?basket=12x2) and the member API (my coupons, quote, ordering
with coupon_code). English pages (see conftest.login)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.models import Role
from orders import coupons, services
from orders import views as order_views
from orders.models import Coupon, CouponGrant, GroupBuyItem, MemberCoupon, Order
from tests.api import assert_error, url
from tests.branches import fresh
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db


def make_coupon(owner, **kw):
    now = timezone.now()
    values = dict(code="SAVE10", name="Ten off", kind="amount", amount_off=Decimal("10"), min_spend=Decimal("30"),
                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=7))
    values.update(kw)
    return coupons.coupon_save(actor=fresh(owner), **values)


def hand(coupon, membership):
    coupons.coupon_hand_out(coupon=coupon, member_id=membership.user_id, key=f"gift-{coupon.pk}", tell=False)


def round_url(group_buy, query=""):
    return reverse("orders:group_buy", args=[group_buy.community.slug, group_buy.pk]) + query


def form_post(group_buy, qty="2", **extra):
    item = group_buy.items.first()
    data = {"token": "t-1", f"qty_{item.pk}": qty, "fulfilment": "pickup",
            "pickup_point": group_buy.pickup_points.first().pk}
    data.update(extra)
    return data


def coupon_error(html):
    match = re.search(r'<p class="error" id="coupon_error" data-field="coupon">(.*?)</p>', html)
    return match.group(1) if match else None


def qty_value(html, item):
    match = re.search(rf'name="qty_{item.pk}"[^>]* value="([^"]*)"', html)
    return match.group(1) if match else None


def coupon_value(html):
    match = re.search(r'name="coupon" id="id_coupon" value="([^"]*)"', html)
    return match.group(1) if match else None


@pytest.fixture
def fruit(owner):
    return make_group_buy(owner, price="20.00")


# Apply on the round page --------------------------------------------------------------------------

def test_apply_shows_what_the_coupon_takes_off_keeps_the_quantities_and_orders_nothing(login, owner, member, fruit):
    coupon = make_coupon(owner)
    response = login(member).post(round_url(fruit), form_post(fruit, qty="2", coupon=" save10 ", apply_coupon="1"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "−¥10.00" in html and "(SAVE10: ¥10.00 off on ¥30.00 or more)" in html
    assert "Total with the coupon: ¥30.00" in html
    assert qty_value(html, fruit.items.first()) == "2" and coupon_value(html) == "SAVE10"
    assert not Order.objects.exists()
    coupon.refresh_from_db()
    assert coupon.uses == 0 and not MemberCoupon.objects.exists()


@pytest.mark.parametrize("setup, qty, reason", [
    ({}, "1", "Spend at least ¥30.00 to use this coupon (¥10.00 more)."),
    ({"ends_at": timezone.now() - timedelta(minutes=1), "starts_at": timezone.now() - timedelta(days=1)}, "2",
     "This coupon is not valid now"),
    ({"handed_out_only": True}, "2", "This coupon was not handed to you, or you have used it."),
    ({"code": "OTHER"}, "2", "There is no coupon with this code."),
])
def test_a_coupon_that_does_not_apply_says_why_on_the_field_and_keeps_the_quantities(login, owner, member, fruit,
                                                                                     setup, qty, reason):
    make_coupon(owner, **setup)
    for action in ({"apply_coupon": "1"}, {}):  # "Apply", then placing the order with it
        response = login(member).post(round_url(fruit), form_post(fruit, qty=qty, coupon="save10", **action))
        html = response.content.decode()
        assert response.status_code == 400
        assert reason in (coupon_error(html) or ""), coupon_error(html)
        assert qty_value(html, fruit.items.first()) == qty and coupon_value(html) == "SAVE10"
        assert 'aria-invalid="true" aria-describedby="coupon_error"' in html
    assert not Order.objects.exists() and GroupBuyItem.objects.get().quantity_sold == 0


def test_another_communitys_code_is_unknown_here(login, owner, member, fruit):
    elsewhere = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    make_coupon(elsewhere, code="THEIRS", min_spend=Decimal("0"))
    response = login(member).post(round_url(fruit), form_post(fruit, coupon="THEIRS"))
    assert response.status_code == 400
    assert coupon_error(response.content.decode()) == "There is no coupon with this code."
    assert not Order.objects.exists()


@pytest.mark.parametrize("typed, message", [
    ("ＳＡＶＥ１０", "letters A-Z and digits 0-9"),  # full-width
    ("SAVE\x0010", "NUL character"),  # refused before any view (core.middleware)
    ("S" * 21, "at most 20 characters"),
    ("x" * 5000, "at most 20 characters"),
])
def test_a_code_that_cannot_be_one_is_explained_and_never_a_500(login, owner, member, fruit, typed, message):
    make_coupon(owner)
    for action in ({"apply_coupon": "1"}, {}):
        response = login(member).post(round_url(fruit), form_post(fruit, coupon=typed, **action))
        html = response.content.decode()
        assert response.status_code == 400
        assert message in (html if "\x00" in typed else coupon_error(html) or "")
    assert not Order.objects.exists()


def test_apply_with_nothing_typed_or_nothing_chosen_is_explained(login, owner, member, fruit):
    make_coupon(owner)
    client = login(member)
    response = client.post(round_url(fruit), form_post(fruit, coupon="", apply_coupon="1"))
    assert response.status_code == 400 and coupon_error(response.content.decode()) == "Type a coupon code."
    response = client.post(round_url(fruit), form_post(fruit, qty="0", coupon="SAVE10", apply_coupon="1"))
    assert response.status_code == 400 and "at least one product" in response.content.decode()
    assert not Order.objects.exists()


def test_placing_the_order_with_the_coupon_takes_it_off_and_the_order_pages_show_it(login, owner, member, fruit):
    coupon = make_coupon(owner)
    client = login(member)
    response = client.post(round_url(fruit), form_post(fruit, qty="2", coupon="save10"))
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert order.total == Decimal("30.00") and order.discount == Decimal("10.00")
    coupon.refresh_from_db()
    assert coupon.uses == 1

    page = client.get(order.get_absolute_url()).content.decode()
    assert re.search(r"<td>Coupon SAVE10</td><td></td><td class=\"right\">−¥10.00</td>", page)
    assert re.search(r'data-order-total>¥30.00<', page)
    listing = client.get(reverse("orders:my_orders", args=[owner.community.slug])).content.decode()
    assert "Coupon SAVE10 −¥10.00" in listing and "¥30.00" in listing
    assert reverse("orders:my_coupons", args=[owner.community.slug]) in listing

    # A double tap (the same form token) is the same order and one use.
    again = client.post(round_url(fruit), form_post(fruit, qty="2", coupon="save10"))
    assert again.status_code == 302 and Order.objects.count() == 1
    coupon.refresh_from_db()
    assert coupon.uses == 1


def test_an_order_without_a_coupon_shows_no_discount_line(login, owner, member, fruit):
    client = login(member)
    client.post(round_url(fruit), form_post(fruit, qty="1"))
    page = client.get(Order.objects.get().get_absolute_url()).content.decode()
    assert "data-discount" not in page and "Coupon" not in page


def test_enter_in_a_text_field_places_the_order_not_apply(login, owner, member, fruit):
    html = login(member).get(round_url(fruit)).content.decode()
    form = html[html.index('class="order-form"'):]
    # The form's default button (its first submit button) is the hidden one that places the order.
    first_submit = re.search(r'<button type="submit"[^>]*>', form).group(0)
    assert 'name="place"' in first_submit and "apply_coupon" not in first_submit


# Chips: my coupons for this round ----------------------------------------------------------------

def test_my_usable_coupons_for_this_round_are_chips_and_a_chip_applies_without_javascript(login, owner, member,
                                                                                        fruit):
    make_coupon(owner)  # public, valid now
    handed = make_coupon(owner, code="GIFT5", name="Gift", amount_off=Decimal("5"), min_spend=Decimal("0"),
                         handed_out_only=True)
    hand(handed, member)
    make_coupon(owner, code="NOTMINE", handed_out_only=True)  # handed to nobody
    other_round = make_group_buy(owner, title="Other round")
    make_coupon(owner, code="ELSEWHERE", group_buy_id=other_round.pk)
    make_coupon(owner, code="OTHERFRUIT", product_ids=[ProductFactory(community=owner.community).pk])
    make_coupon(owner, code="LATER", starts_at=timezone.now() + timedelta(days=1),
                ends_at=timezone.now() + timedelta(days=2))
    make_coupon(MembershipFactory(community=CommunityFactory(), role=Role.OWNER), code="THEIRS")

    html = login(member).get(round_url(fruit)).content.decode()
    chips = re.findall(r'data-coupon-chip="([^"]+)"', html)
    assert sorted(chips) == ["GIFT5", "SAVE10"]

    response = login(member).post(round_url(fruit), form_post(fruit, qty="1", coupon_chip="GIFT5"))
    html = response.content.decode()
    assert response.status_code == 200 and "−¥5.00" in html and coupon_value(html) == "GIFT5"
    assert 'data-coupon-chip="GIFT5" aria-pressed="true"' in html
    assert not Order.objects.exists()


def test_a_handed_coupon_once_used_is_no_longer_a_chip(login, owner, member, fruit, place):
    handed = make_coupon(owner, code="GIFT5", amount_off=Decimal("5"), min_spend=Decimal("0"), handed_out_only=True)
    hand(handed, member)
    place(member, fruit, qty=1, coupon_code="GIFT5")
    html = login(member).get(round_url(fruit)).content.decode()
    assert 'data-coupon-chip="GIFT5"' not in html


# The basket link --------------------------------------------------------------------------------

def test_a_basket_link_fills_the_quantities_and_a_coupon_link_fills_the_code(login, owner, member):
    apples, pears = ProductFactory(community=owner.community), ProductFactory(community=owner.community)
    group_buy = make_group_buy(owner, products=[apples, pears], offer=10, limit=4)
    a, p = (group_buy.items.get(product=apples), group_buy.items.get(product=pears))
    html = login(member).get(round_url(group_buy, f"?basket={a.pk}x2,{p.pk}X9&coupon=save10")).content.decode()
    assert qty_value(html, a) == "2"
    assert qty_value(html, p) == "4"  # more than the member may take: brought down to the limit
    assert coupon_value(html) == "SAVE10"


@pytest.mark.parametrize("basket", [
    "１x2", "{a}x0", "{a}x1000", "99999999999x1", "{a}x-1", "{a}x2\x00", "\x00", "{a}x", "x2", "{a}x2x3",
    "{a}×2", "{a}x１", ",,,", "{other}x2", "{a}x2," * 25, "A" * 5000, "{a}x 2", "%", "{a}x2.5",
])
def test_a_hostile_basket_is_ignored_never_a_500(login, owner, member, basket):
    group_buy = make_group_buy(owner)
    other = make_group_buy(owner, title="Other", products=[ProductFactory(community=owner.community)])
    item = group_buy.items.first()
    value = basket.format(a=item.pk, other=other.items.first().pk)
    response = login(member).get(round_url(group_buy), {"basket": value})
    if "\x00" in value:  # refused before any view (core.middleware)
        assert response.status_code == 400 and "NUL character" in response.content.decode()
        return
    assert response.status_code == 200
    # The one well-formed pair repeated counts once; anything else leaves 0.
    assert qty_value(response.content.decode(), item) == ("2" if value == f"{item.pk}x2," * 25 else "0")


@pytest.mark.parametrize("code", ["ＳＡＶＥ10", "SAVE\x0010", "S" * 21, "a b", "x", "<b>"])
def test_a_hostile_coupon_link_fills_nothing(login, owner, member, code):
    group_buy = make_group_buy(owner)
    response = login(member).get(round_url(group_buy), {"coupon": code})
    assert response.status_code == (400 if "\x00" in code else 200)
    assert coupon_value(response.content.decode()) in ("", None)


def test_a_basket_of_more_than_twenty_pairs_reads_the_first_twenty(login, owner, member):
    products = [ProductFactory(community=owner.community) for _ in range(22)]
    group_buy = make_group_buy(owner, products=products)
    items = list(group_buy.items.order_by("pk"))
    basket = ",".join(f"{i.pk}x1" for i in items)
    html = login(member).get(round_url(group_buy), {"basket": basket}).content.decode()
    assert [qty_value(html, i) for i in items] == ["1"] * 20 + ["0", "0"]


# My coupons ---------------------------------------------------------------------------------------

def test_my_coupons_lists_the_usable_ones_then_the_used_and_expired_ones(login, owner, member, fruit, place):
    now = timezone.now()
    make_coupon(owner)  # public, usable
    gift = make_coupon(owner, code="GIFT5", name="Gift", amount_off=Decimal("5"), min_spend=Decimal("0"),
                       handed_out_only=True)
    hand(gift, member)
    used = make_coupon(owner, code="USED", amount_off=Decimal("1"), min_spend=Decimal("0"))
    place(member, fruit, qty=1, coupon_code="USED")
    ended = make_coupon(owner, code="ENDED", handed_out_only=True, starts_at=now - timedelta(days=3),
                        ends_at=now + timedelta(days=1))
    hand(ended, member)
    Coupon.objects.filter(pk=ended.pk).update(ends_at=now - timedelta(hours=1))
    make_coupon(owner, code="OLDPUBLIC", starts_at=now - timedelta(days=3), ends_at=now + timedelta(days=1))
    Coupon.objects.filter(code="OLDPUBLIC").update(ends_at=now - timedelta(hours=1))  # never mine: not listed
    make_coupon(owner, code="NOTMINE", handed_out_only=True)
    make_coupon(MembershipFactory(community=CommunityFactory(), role=Role.OWNER), code="THEIRS")
    round_only = make_coupon(owner, code="ROUNDONLY", percent_off=15, kind="percent", amount_off=None,
                             group_buy_id=fruit.pk, min_spend=Decimal("0"))

    response = login(member).get(reverse("orders:my_coupons", args=[owner.community.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    usable_part, past_part = html.split("data-usable", 1)[1].split("data-past", 1)
    usable = re.findall(r'data-coupon="([^"]+)" data-state="(\w+)"', usable_part)
    past = re.findall(r'data-coupon="([^"]+)" data-state="(\w+)"', past_part)
    assert sorted(usable) == [("GIFT5", "usable"), ("ROUNDONLY", "usable"), ("SAVE10", "usable")]
    assert sorted(past) == [("ENDED", "expired"), ("USED", "used")]
    assert "¥5.00 off" in usable_part and "Valid until" in usable_part
    assert f'href="{round_url(fruit)}?coupon=ROUNDONLY"' in usable_part and "Only in" in usable_part
    assert "Expired" in past_part and "Used" in past_part
    assert used.pk and round_only.pk


def test_my_coupons_is_for_members_of_the_community(client, owner, member):
    url_ = reverse("orders:my_coupons", args=[owner.community.slug])
    assert client.get(url_).status_code == 302  # log in first
    stranger = MembershipFactory(community=CommunityFactory())
    client.force_login(stranger.user)
    assert client.get(url_).status_code == 404
    client.force_login(member.user)
    assert "No coupon to use right now." in client.get(url_, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_notice_of_a_coupon_handed_out_opens_my_coupons(django_capture_on_commit_callbacks, owner, member):
    from core.models import Notification

    gift = make_coupon(owner, code="GIFT5", handed_out_only=True)
    with django_capture_on_commit_callbacks(execute=True):
        coupons.coupon_batch_hand_out(actor=fresh(owner), coupon=gift, member_ids=[member.user_id], segment="all")
    notice = Notification.objects.get(recipient=member.user, kind="coupon_received")
    assert notice.url == reverse("orders:my_coupons", args=[owner.community.slug])


# Points at checkout (when this build has orders.discounts) ----------------------------------------

def test_no_points_choice_without_points_or_when_the_community_takes_none(login, owner, member, fruit):
    from engagement import points
    from engagement.common import engagement_settings

    client = login(member)
    assert 'name="use_points"' not in client.get(round_url(fruit)).content.decode()  # no points yet
    points.points_award(community_id=member.community_id, member_id=member.user_id, amount=500,
                        reason="check_in", key="test:no-points-choice")
    assert 'name="use_points"' in client.get(round_url(fruit)).content.decode()
    rules = engagement_settings(member.community)
    rules.points_per_yuan_off = 0
    rules.save()
    assert 'name="use_points"' not in client.get(round_url(fruit)).content.decode()


def test_the_points_choice_shows_the_offer_and_is_passed_to_the_order(login, owner, member, fruit, monkeypatch):
    from types import SimpleNamespace

    asked, placed = [], []
    monkeypatch.setattr(order_views, "points_offer", lambda m, amount: asked.append(amount) or SimpleNamespace(
        points=300, discount=Decimal("3.00"), balance=500))
    real_place = services.order_place

    def order_place(**kwargs):
        placed.append(kwargs.pop("use_points", False))
        return real_place(**kwargs)

    monkeypatch.setattr(order_views.services, "order_place", order_place)
    client = login(member)
    html = client.get(round_url(fruit, f"?basket={fruit.items.first().pk}x2")).content.decode()
    assert 'name="use_points"' in html and "Use 300 points for ¥3.00 off (you have 500)" in html
    assert asked == [Decimal("40.00")]
    client.post(round_url(fruit), form_post(fruit, qty="2", use_points="1"))
    client.post(round_url(fruit), form_post(fruit, qty="1", token="t-2"))
    assert placed == [True, False]


# The member API ----------------------------------------------------------------------------------

def quote_body(group_buy, qty=2, code="SAVE10", **extra):
    body = {"group_buy": group_buy.pk, "lines": [{"item": group_buy.items.first().pk, "quantity": qty}],
            "coupon_code": code}
    body.update(extra)
    return body


def test_api_quote_says_what_the_coupon_takes_off_and_takes_nothing(api_as, owner, member, fruit):
    coupon = make_coupon(owner)
    response = api_as(member.user).post(url(owner.community.slug, "coupons", "quote"), quote_body(fruit, code=" save10 "),
                                        format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    assert response.json() == {"subtotal": "40.00", "discount": "10.00", "delivery_fee": "0.00", "total": "30.00",
                               "coupon": {"code": "SAVE10", "name": "Ten off",
                                          "description": "¥10.00 off on ¥30.00 or more"}}
    coupon.refresh_from_db()
    assert coupon.uses == 0 and not Order.objects.exists()


def test_api_quote_adds_the_delivery_fee_when_delivered(api_as, owner, member):
    group_buy = make_group_buy(owner, price="20.00", allows_delivery=True, delivery_fee=Decimal("6"))
    make_coupon(owner, kind="percent", percent_off=10, amount_off=None, min_spend=Decimal("0"))
    response = api_as(member.user).post(url(owner.community.slug, "coupons", "quote"),
                                        quote_body(group_buy, qty=3, fulfilment="delivery"), format="json")
    assert response.json()["discount"] == "6.00" and response.json()["total"] == "60.00"


@pytest.mark.parametrize("setup, qty, code, error", [
    ({}, 1, "SAVE10", "coupon_min_spend"),
    ({"handed_out_only": True}, 2, "SAVE10", "coupon_not_yours"),
    ({}, 2, "NOPE", "coupon_unknown"),
    ({}, 2, "ÄÖÜ", "coupon_unknown"),
    ({}, 2, "", "coupon_required"),
    ({"new_members_only": True}, 2, "SAVE10", None),  # decided below, after a first order
])
def test_api_quote_refuses_with_422_and_the_reason_on_coupon(api_as, owner, member, fruit, place, setup, qty, code,
                                                             error):
    make_coupon(owner, **setup)
    if error is None:
        place(member, fruit, qty=1)
        error = "coupon_first_order_only"
    response = api_as(member.user).post(url(owner.community.slug, "coupons", "quote"),
                                        quote_body(fruit, qty=qty, code=code), format="json")
    assert_error(response, 422, error, fields=["coupon"])


def test_api_quote_of_another_communitys_code_or_round(api_as, owner, member, fruit):
    elsewhere = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    make_coupon(elsewhere, code="THEIRS", min_spend=Decimal("0"))
    their_round = make_group_buy(elsewhere)
    client = api_as(member.user)
    quote_url = url(owner.community.slug, "coupons", "quote")
    assert_error(client.post(quote_url, quote_body(fruit, code="THEIRS"), format="json"), 422, "coupon_unknown")
    assert_error(client.post(quote_url, quote_body(their_round), format="json"), 404)
    # An item of another round in this round's quote: refused as an order would be.
    body = quote_body(fruit)
    body["lines"] = [{"item": their_round.items.first().pk, "quantity": 1}]
    assert_error(client.post(quote_url, body, format="json"), 400, fields=["lines"])
    # Their API, not mine.
    assert_error(client.post(url(elsewhere.community.slug, "coupons", "quote"), quote_body(their_round),
                             format="json"), 404)


@pytest.mark.parametrize("change, field", [
    ({"coupon_code": "SAVE\x0010"}, "coupon_code"),
    ({"coupon_code": "S" * 21}, "coupon_code"),
    ({"group_buy": "x"}, "group_buy"),
    ({"group_buy": "１"}, "group_buy"),  # full-width: int() would read it as 1
    ({"lines": [{"item": "٣", "quantity": 1}]}, "lines.0.item"),
    ({"lines": [{"item": 1, "quantity": "２"}]}, "lines.0.quantity"),
    ({"group_buy": 2**70}, "group_buy"),
    ({"lines": []}, "lines"),
    ({"lines": [{"item": 1, "quantity": 1}] * 51}, "lines"),
    ({"lines": "x"}, "lines"),
    ({"fulfilment": "drone"}, "fulfilment"),
])
def test_api_quote_bad_input_is_a_400_never_a_500(api_as, owner, member, fruit, change, field):
    make_coupon(owner)
    body = quote_body(fruit)
    body.update(change)
    response = api_as(member.user).post(url(owner.community.slug, "coupons", "quote"), body, format="json")
    assert_error(response, 400, fields=[field])


@pytest.mark.parametrize("qty", [0, -1, 10000, 2**31])
def test_api_quote_bad_quantities_are_refused(api_as, owner, member, fruit, qty):
    make_coupon(owner)
    response = api_as(member.user).post(url(owner.community.slug, "coupons", "quote"), quote_body(fruit, qty=qty),
                                        format="json")
    assert response.status_code == 400


def test_api_my_coupons_lists_usable_and_past_and_filters_by_round(api_as, owner, member, fruit, place):
    make_coupon(owner)
    gift = make_coupon(owner, code="GIFT5", name="Gift", amount_off=Decimal("5"), min_spend=Decimal("0"),
                       handed_out_only=True)
    hand(gift, member)
    make_coupon(owner, code="USED", amount_off=Decimal("1"), min_spend=Decimal("0"))
    place(member, fruit, qty=1, coupon_code="USED")
    other_round = make_group_buy(owner, title="Other")
    make_coupon(owner, code="ELSEWHERE", group_buy_id=other_round.pk)
    make_coupon(MembershipFactory(community=CommunityFactory(), role=Role.OWNER), code="THEIRS")
    client = api_as(member.user)

    body = client.get(url(owner.community.slug, "coupons")).json()
    assert sorted(c["code"] for c in body["usable"]) == ["ELSEWHERE", "GIFT5", "SAVE10"]
    assert [(c["code"], c["state"], c["uses_left"]) for c in body["past"]] == [("USED", "used", 0)]
    gift_row = next(c for c in body["usable"] if c["code"] == "GIFT5")
    assert gift_row["amount_off"] == "5.00" and gift_row["uses_left"] == 1 and gift_row["group_buy"] is None
    elsewhere = next(c for c in body["usable"] if c["code"] == "ELSEWHERE")
    assert elsewhere["group_buy"] == {"id": other_round.pk, "title": "Other"}

    here = client.get(url(owner.community.slug, "coupons"), {"group_buy": fruit.pk}).json()
    assert sorted(c["code"] for c in here["usable"]) == ["GIFT5", "SAVE10"] and here["past"] == []
    assert_error(client.get(url(owner.community.slug, "coupons"), {"group_buy": "٣"}), 400, fields=["group_buy"])
    their_round = make_group_buy(MembershipFactory(community=CommunityFactory(), role=Role.OWNER))
    assert_error(client.get(url(owner.community.slug, "coupons"), {"group_buy": their_round.pk}), 404)


def test_api_my_coupons_needs_membership(api_as, owner, outsider):
    assert_error(api_as(outsider).get(url(owner.community.slug, "coupons")), 404)


def order_body(group_buy, qty=2, **extra):
    body = {"group_buy": group_buy.pk, "lines": [{"item": group_buy.items.first().pk, "quantity": qty}],
            "fulfilment": "pickup", "pickup_point": group_buy.pickup_points.first().pk}
    body.update(extra)
    return body


def test_api_order_with_a_coupon_shows_the_discount_and_a_retry_uses_it_once(api_as, owner, member, fruit):
    coupon = make_coupon(owner)
    client = api_as(member.user)
    quote = client.post(url(owner.community.slug, "coupons", "quote"), quote_body(fruit), format="json").json()

    first = client.post(url(owner.community.slug, "orders"), order_body(fruit, coupon_code="save10"), format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    assert first.json()["discount"] == quote["discount"] == "10.00"
    assert first.json()["total"] == quote["total"] == "30.00"
    assert [line["quantity"] for line in first.json()["lines"]] == [2]
    again = client.post(url(owner.community.slug, "orders"), order_body(fruit, coupon_code="save10"), format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again.json() == first.json()
    coupon.refresh_from_db()
    assert coupon.uses == 1

    order_id = first.json()["id"]
    detail = client.get(url(owner.community.slug, "orders", order_id)).json()
    assert detail["coupon"] == {"code": "SAVE10", "name": "Ten off", "amount": "10.00", "released": False}
    listed = client.get(url(owner.community.slug, "orders")).json()["results"]
    assert listed[0]["discount"] == "10.00"


def test_api_order_with_a_coupon_that_does_not_apply_orders_nothing(api_as, owner, member, fruit):
    make_coupon(owner)
    client = api_as(member.user)
    response = client.post(url(owner.community.slug, "orders"), order_body(fruit, qty=1, coupon_code="SAVE10"),
                           format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert_error(response, 400, "coupon_min_spend", fields=["coupon"])
    response = client.post(url(owner.community.slug, "orders"), order_body(fruit, coupon_code="X" * 21),
                           format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert_error(response, 400, fields=["coupon_code"])
    assert not Order.objects.exists() and GroupBuyItem.objects.get().quantity_sold == 0


def test_api_order_without_a_coupon_shows_no_discount(api_as, owner, member, fruit):
    response = api_as(member.user).post(url(owner.community.slug, "orders"), order_body(fruit), format="json",
                                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.json()["discount"] == "0.00" and response.json()["total"] == "40.00"
    detail = api_as(member.user).get(url(owner.community.slug, "orders", response.json()["id"])).json()
    assert detail["coupon"] is None


def test_a_cancelled_orders_coupon_is_usable_again_on_my_coupons(login, owner, member, fruit, place):
    gift = make_coupon(owner, code="GIFT5", amount_off=Decimal("5"), min_spend=Decimal("0"), handed_out_only=True)
    hand(gift, member)
    order = place(member, fruit, qty=1, coupon_code="GIFT5")
    page = reverse("orders:my_coupons", args=[owner.community.slug])
    client = login(member)
    assert 'data-coupon="GIFT5" data-state="used"' in client.get(page).content.decode()
    services.order_cancel(member=fresh(member), order=order)
    assert 'data-coupon="GIFT5" data-state="usable"' in client.get(page).content.decode()
    assert CouponGrant.objects.filter(member=member.user).count() == 1


def test_points_at_checkout_with_a_coupon_on_the_page_and_the_order(login, owner, member, fruit):
    """With orders.discounts (points spent at checkout): the offer for the basket on the page,
    counted after the coupon, and the order page's line for it."""
    from engagement import points

    points.points_award(community_id=member.community_id, member_id=member.user_id, amount=500,
                        reason="check_in", key="test:points-at-checkout")
    make_coupon(owner)
    client = login(member)
    item = fruit.items.first()
    html = client.get(round_url(fruit, f"?basket={item.pk}x2")).content.decode()
    # ¥40 at 100 points a yuan, at most 20% of it (¥8): the 500 points pay ¥5.
    assert "Use 500 points for ¥5.00 off (you have 500)" in html
    nothing = client.get(round_url(fruit)).content.decode()
    assert 'name="use_points"' in nothing and "up to" in nothing

    response = client.post(round_url(fruit), form_post(fruit, qty="2", coupon="SAVE10", use_points="1"))
    order = Order.objects.get()
    assert response.status_code == 302
    assert (order.discount, order.points_discount, order.points_spent, order.total) == (
        Decimal("10.00"), Decimal("5.00"), 500, Decimal("25.00"))
    page = client.get(order.get_absolute_url()).content.decode()
    assert re.search(r"<td>500 points</td><td></td><td class=\"right\">−¥5.00</td>", page)
    assert re.search(r'data-order-total>¥25.00<', page)
