"""Ordering without friction (issue 8): the round page's limits, errors next to their fields, the
self-refreshing progress, the pay page, notices, open teams. English pages (see conftest.login)."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import services as catalog_services
from core.models import Notification
from orders import services
from orders.models import Order, PickupPoint
from tests.catalog.conftest import image_bytes
from tests.factories import CommunityFactory, ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db


def _url(group_buy):
    return reverse("orders:group_buy", args=[group_buy.community.slug, group_buy.pk])


def _post(group_buy, qty="1", **extra):
    item = group_buy.items.first()
    data = {"token": "t-1", f"qty_{item.pk}": qty, "fulfilment": "pickup",
            "pickup_point": group_buy.pickup_points.first().pk}
    data.update(extra)
    return data


def _error_next_to_quantity(html, item):
    match = re.search(rf'<p class="error" id="qty_{item.pk}_error">(.*?)</p>', html)
    return match.group(1) if match else None


def _error_for(html, field):
    match = re.search(rf'<p class="error" data-field="{field}">(.*?)</p>', html)
    return match.group(1) if match else None


# Bad input: an error next to its field, never a silent 400 ------------------------------------

@pytest.mark.parametrize("qty, message", [
    ("-1", "cannot be negative"),
    ("1.5", "without decimals"),
    ("２", "digits 0 to 9"),  # full-width: int() would read it as 2
    ("٣", "digits 0 to 9"),   # Arabic-Indic three
    ("1e3", "whole number"),
    ("10000", "At most 9999"),
])
def test_a_bad_quantity_is_explained_next_to_that_product(login, owner, member, qty, message):
    group_buy = make_group_buy(owner)
    response = login(member).post(_url(group_buy), _post(group_buy, qty=qty))
    html = response.content.decode()
    assert response.status_code == 400
    assert message in (_error_next_to_quantity(html, group_buy.items.first()) or "")
    assert 'role="alert"' in html  # and a line at the top says to look below
    assert not Order.objects.exists()


def test_a_long_note_is_explained_next_to_the_note_and_what_was_typed_stays(login, owner, member):
    group_buy = make_group_buy(owner)
    response = login(member).post(_url(group_buy), _post(group_buy, qty="2", note="多" * 201))
    html = response.content.decode()
    assert response.status_code == 400 and "at most 200 characters" in (_error_for(html, "note") or "")
    assert 'value="2"' in html  # the quantity chosen is still there
    assert not Order.objects.exists()


@pytest.mark.parametrize("tampered", ["abc", "0", "99999999999", "other"])
def test_a_tampered_pickup_point_is_explained_next_to_the_pickup_points(login, owner, member, tampered):
    group_buy = make_group_buy(owner)
    if tampered == "other":  # a real pickup point, of another community
        elsewhere = CommunityFactory()
        tampered = PickupPoint.objects.create(community=elsewhere, name="X", address="Y").pk
    response = login(member).post(_url(group_buy), _post(group_buy, pickup_point=tampered))
    assert response.status_code == 400 and _error_for(response.content.decode(), "pickup_point")
    assert not Order.objects.exists()


def test_more_than_the_member_may_still_take_is_explained_next_to_that_product(login, owner, member, place):
    group_buy = make_group_buy(owner, limit=3)
    place(member, group_buy, qty=2)
    response = login(member).post(_url(group_buy), _post(group_buy, qty="2"))
    assert response.status_code == 400
    assert "you have 2 already" in _error_next_to_quantity(response.content.decode(), group_buy.items.first())
    assert Order.objects.count() == 1


def test_nothing_chosen_is_said_at_the_top(login, owner, member):
    group_buy = make_group_buy(owner)
    response = login(member).post(_url(group_buy), _post(group_buy, qty="0"))
    assert response.status_code == 400 and "at least one product" in response.content.decode()


# Limits in the HTML, photos, progress -----------------------------------------------------------

def test_inputs_carry_the_limits_the_server_applies(login, owner, member, place, leader):
    group_buy = make_group_buy(owner, offer=10, limit=4)
    place(member, group_buy, qty=1)
    place(leader, group_buy, qty=4)  # 5 of 10 left; the member may still take 3 of their 4
    html = login(member).get(_url(group_buy)).content.decode()
    item = group_buy.items.first()
    assert re.search(rf'name="qty_{item.pk}"[^>]* min="0" max="3"', html)
    assert 'name="note" value="" maxlength="200"' in html
    assert 'name="delivery_address"' not in html or 'maxlength="300"' in html
    assert "data-live=" in html and "js/round.js" in html


def test_the_stepper_stops_at_what_is_left(login, owner, member, leader, place):
    group_buy = make_group_buy(owner, offer=5)
    place(leader, group_buy, qty=3)
    html = login(member).get(_url(group_buy)).content.decode()
    assert re.search(rf'name="qty_{group_buy.items.first().pk}"[^>]* max="2"', html)
    assert "2 left" in html


def test_a_product_shows_its_photos_large_in_a_gallery_of_up_to_nine(login, owner, member, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    product = ProductFactory(community=owner.community)
    for n in range(catalog_services.MAX_IMAGES_PER_PRODUCT):
        buffer = image_bytes("PNG", size=(40, 40), name=f"p{n}.png")
        catalog_services.product_image_add(actor=owner, product=product, upload=SimpleUploadedFile(
            buffer.name, buffer.getvalue(), content_type="image/png"))
    with pytest.raises(Exception) as refused:
        buffer = image_bytes("PNG", size=(40, 40), name="p10.png")
        catalog_services.product_image_add(actor=owner, product=product, upload=SimpleUploadedFile(
            buffer.name, buffer.getvalue(), content_type="image/png"))
    assert "at most 9 photos" in str(refused.value)
    group_buy = make_group_buy(owner, products=[product])
    html = login(member).get(_url(group_buy)).content.decode()
    track = html.split('<div class="gallery-track">')[1].split("</div>")[0]
    assert track.count("<img ") == 9 and "(9/9)" in track
    # The photo spans the card; the name, prices and limits come under it, not beside it.
    assert html.index('class="gallery"') < html.index('class="item-body"')


@pytest.mark.parametrize("rule, threshold, expected", [
    ("min_quantity", 10, "8 more units to reach the goal"),
    ("min_buyers", 3, "2 more buyers to reach the goal"),
    ("min_amount", 100, "¥60.00 more to reach the goal"),
])
def test_what_the_round_still_lacks_is_said_under_the_progress_bar(login, owner, admin_member, member, place, top_up,
                                                                   rule, threshold, expected):
    group_buy = make_group_buy(owner, price="20.00", success_rule=rule, success_threshold=Decimal(threshold))
    top_up(admin_member, member, "100")
    services.order_pay_with_wallet(member=member, order=place(member, group_buy, qty=2))
    html = login(member).get(_url(group_buy)).content.decode()
    assert re.search(r'<p class="shortfall" data-shortfall>(.*?)</p>', html).group(1) == expected


def test_the_progress_refreshes_from_a_small_cached_answer(login, owner, admin_member, member, leader, place, top_up,
                                                           django_assert_max_num_queries):
    group_buy = make_group_buy(owner, price="10.00", offer=20, success_rule="min_quantity",
                               success_threshold=Decimal(5))
    client = login(member)
    live = reverse("orders:group_buy_live", args=[owner.community.slug, group_buy.pk])
    first = client.get(live)
    assert first.status_code == 200 and first["Cache-Control"] == "private, max-age=10"
    assert first.json()["text"] == "5 more units to reach the goal"
    assert first.json()["remaining"] == {str(group_buy.items.first().pk): 20}
    with django_assert_max_num_queries(4):  # the session, the user, the membership, may I see it
        assert client.get(live).status_code == 200


def test_the_progress_answer_is_not_for_outsiders(client, owner, outsider):
    group_buy = make_group_buy(owner)
    client.force_login(outsider)
    response = client.get(reverse("orders:group_buy_live", args=[owner.community.slug, group_buy.pk]))
    assert response.status_code in (403, 404)


# Paying ----------------------------------------------------------------------------------------

def test_a_short_wallet_says_why_and_offers_the_transfer_with_the_qr_right_there(login, owner, admin_member, member,
                                                                                  place, top_up):
    community = owner.community
    community.payment_instructions = "WeChat transfer to Wang, note your building."
    community.payment_qr = "payment-qr/2026/01/qr.png"
    community.save(update_fields=["payment_instructions", "payment_qr"])
    top_up(admin_member, member, "7.50")
    order = place(member, make_group_buy(owner, price="20.00"))

    html = login(member).get(order.get_absolute_url()).content.decode()

    wallet_button = re.search(r'<button type="submit" class="btn block big wallet-short" disabled[^>]*>', html)
    assert wallet_button, "the wallet button is disabled and does not look like the main action"
    assert "Not enough balance: ¥12.50 short." in html
    assert "WeChat transfer to Wang" in html and 'src="/media/payment-qr/2026/01/qr.png"' in html
    assert "I have paid by transfer" in html


def test_a_wallet_that_covers_the_order_is_the_main_button(login, owner, admin_member, member, place, top_up):
    top_up(admin_member, member, "50")
    order = place(member, make_group_buy(owner, price="20.00"))
    html = login(member).get(order.get_absolute_url()).content.decode()
    assert "wallet-short" not in html and "Not enough balance" not in html


def test_a_too_long_transfer_note_is_explained_next_to_it(login, owner, member, place):
    order = place(member, make_group_buy(owner))
    response = login(member).post(reverse("orders:order_pay", args=[owner.community.slug, order.pk]),
                                  {"method": "manual", "reference": "x" * 101})
    assert response.status_code == 400 and _error_for(response.content.decode(), "reference")
    assert not order.charge.payments.exists()


def test_the_member_is_told_once_that_their_payment_was_received(owner, admin_member, member, place):
    order = place(member, make_group_buy(owner, price="20.00"))
    services.order_report_transfer(member=member, order=order, reference="wx")
    services.payments_mark_received(actor=admin_member, orders=[order])
    services.payments_mark_received(actor=admin_member, orders=[order])  # a double click
    notices = Notification.objects.filter(recipient=member.user, kind="payment_received")
    assert notices.count() == 1 and "¥20.00" in notices.get().title
    assert notices.get().url == order.get_absolute_url()


def test_the_member_is_told_once_that_a_refund_reached_their_wallet(owner, admin_member, member, place, top_up):
    top_up(admin_member, member, "50")
    order = place(member, make_group_buy(owner, price="20.00"))
    services.order_pay_with_wallet(member=member, order=order)
    services.order_refund(actor=admin_member, order=order, reason="bruised")
    with pytest.raises(Exception):
        services.order_refund(actor=admin_member, order=order, reason="again")
    notices = Notification.objects.filter(recipient=member.user, kind="refund_paid")
    assert notices.count() == 1 and "¥20.00" in notices.get().title


def test_a_failed_round_tells_its_own_notice_not_a_second_refund_notice(owner, admin_member, member, place, top_up):
    top_up(admin_member, member, "50")
    group_buy = make_group_buy(owner, price="20.00", success_rule="min_quantity", success_threshold=Decimal(10))
    services.order_pay_with_wallet(member=member, order=place(member, group_buy))
    group_buy.refresh_from_db()
    from django.db import transaction
    with transaction.atomic():
        services.group_buy_settle(group_buy)
    kinds = list(Notification.objects.filter(recipient=member.user).values_list("kind", flat=True))
    assert kinds.count("group_buy_failed") == 1 and "refund_paid" not in kinds


# 拼团 -------------------------------------------------------------------------------------------

def test_open_teams_are_listed_above_start_a_team_with_what_each_still_needs(login, owner, admin_member, leader,
                                                                             member, place, top_up):
    group_buy = make_group_buy(owner, price="10.00", mode="team", team_size=3)
    top_up(admin_member, leader, "50")
    services.order_pay_with_wallet(member=leader, order=place(leader, group_buy, open_team=True))
    team = group_buy.teams.get()

    html = login(member).get(_url(group_buy)).content.decode()

    assert f'data-team="{team.code}"' in html and "2 more people needed" in html
    assert "data-countdown" in html
    assert html.index("open-teams") < html.index('value="open"')  # above "start a team"
    item = group_buy.items.first()
    assert re.search(rf'name="qty_{item.pk}"[^>]* value="1"', html)  # quantities default to 1

    joined = login(member).post(_url(group_buy), {**_post(group_buy), "join_team": team.code})
    assert joined.status_code == 302
    assert Order.objects.get(member=member.user).team == team


def test_team_counts_agree_on_the_round_page_and_the_team_page(login, owner, admin_member, leader, member, place,
                                                               top_up):
    group_buy = make_group_buy(owner, price="10.00", mode="team", team_size=3)
    top_up(admin_member, leader, "50")
    services.order_pay_with_wallet(member=leader, order=place(leader, group_buy, open_team=True))
    team = group_buy.teams.get()
    place(member, group_buy, team_code=team.code)  # joined, not paid yet: not counted as in

    client = login(member)
    round_page = client.get(_url(group_buy) + f"?team={team.code}").content.decode()
    team_page = client.get(reverse("orders:team", args=[owner.community.slug, team.code])).content.decode()
    assert "1/3 paid" in round_page and "1/3" in team_page and "2/3" not in round_page + team_page


def test_my_own_team_is_not_offered_to_me_to_join(login, owner, admin_member, leader, place, top_up):
    group_buy = make_group_buy(owner, price="10.00", mode="team", team_size=3)
    top_up(admin_member, leader, "50")
    services.order_pay_with_wallet(member=leader, order=place(leader, group_buy, open_team=True))
    assert "open-teams" not in login(leader).get(_url(group_buy)).content.decode()
