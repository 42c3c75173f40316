"""The pickup desk: the member's QR carries a signed code; the desk tells apart a wrong code, an
order already picked up (when, by whom), goods not arrived, an order not paid, and a handover."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from core.exceptions import Conflict, NotFound, ValidationFailed
from orders import services
from orders.models import Order
from tests.branches import make_branch, pay
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy

pytestmark = pytest.mark.django_db


def desk(client, community, code):
    response = client.get(reverse("orders_console:pickup", args=[community.slug]), {"code": code})
    assert response.status_code == 200
    return response.content.decode()


def close(group_buy):
    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
        services.group_buy_close_due()
    group_buy.refresh_from_db()


@pytest.fixture
def ready_order(owner, admin_member, member, place):
    group_buy = make_group_buy(owner, title="Mango Friday")
    order = place(member, group_buy, qty=2)
    pay(admin_member, order)
    close(group_buy)
    services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    order.refresh_from_db()
    assert order.status == Order.Status.READY
    return order


# The signed code ---------------------------------------------------------------------------------

def test_the_qr_code_names_community_order_and_code_and_is_signed(ready_order, owner):
    code = services.pickup_qr_code(ready_order)
    value = signing.Signer(salt=services.PICKUP_QR_SALT).unsign(code)
    assert value == f"{ready_order.community_id}.{ready_order.pk}.{ready_order.pickup_code}"
    assert [o.pk for o in services.pickup_find(actor=owner, code=code)] == [ready_order.pk]
    # Signed with another salt (another of the site's signatures), it is not a pickup code.
    other_salt = signing.Signer(salt="elsewhere").sign(value)
    with pytest.raises(NotFound) as error:
        services.pickup_find(actor=owner, code=other_salt)
    assert error.value.code == "pickup_not_found"


def test_an_edited_or_forged_code_is_a_wrong_code(ready_order, owner, member, place):
    code = services.pickup_qr_code(ready_order)
    value, signature = code.split(":")
    community_id, order_id, digits = value.split(".")
    edited = [f"{community_id}.{int(order_id) + 1}.{digits}:{signature}",  # another order, same signature
              f"{community_id}.{order_id}.000000:{signature}",
              f"{value}:{'A' * len(signature)}", "1.2.123456:", ":", "garbage:garbage"]
    for forged in edited:
        with pytest.raises(NotFound) as error:
            services.pickup_find(actor=owner, code=forged)
        assert error.value.code == "pickup_not_found", forged
    # A correctly signed code with the wrong digits for the order (say, an old QR) names nothing either.
    stale = signing.Signer(salt=services.PICKUP_QR_SALT).sign(f"{community_id}.{order_id}.{int(digits) ^ 1:06d}")
    with pytest.raises(NotFound):
        services.pickup_find(actor=owner, code=stale)
    with pytest.raises(ValidationFailed):
        services.order_complete(actor=owner, order=ready_order, code=edited[0])
    ready_order.refresh_from_db()
    assert ready_order.status == Order.Status.READY


def test_another_communitys_signed_code_is_a_wrong_code(ready_order):
    other = CommunityFactory()
    other_owner = MembershipFactory(community=other, role="owner")
    code = services.pickup_qr_code(ready_order)
    with pytest.raises(NotFound) as error:
        services.pickup_find(actor=other_owner, code=code)
    assert error.value.code == "pickup_not_found"
    with pytest.raises(NotFound):
        services.pickup_find(actor=other_owner, code=ready_order.pickup_code)


def test_the_member_page_qr_is_the_signed_code(client, ready_order, member):
    client.force_login(member.user)
    image = client.get(reverse("orders:pickup_qr", args=[ready_order.community.slug, ready_order.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    # The browser test decodes this very picture with the desk's reader (tests/e2e/test_pickup_desk.py).


# Each outcome at the desk (console pages) -------------------------------------------------------

def test_scanned_code_finds_the_order_and_hands_it_over(client, ready_order, leader, owner, member):
    community = ready_order.community
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(owner.user)
    code = services.pickup_qr_code(ready_order)
    page = desk(client, community, code)
    assert f'data-order="{ready_order.pk}"' in page and 'data-outcome="ready"' in page
    assert member.user.display_name in page and "Mango Friday" in page
    assert f'value="{code}"' in page  # the hand-over form carries the scanned code
    done = client.post(reverse("orders_console:pickup_complete", args=[community.slug, ready_order.pk]),
                       {"code": code}, follow=True)
    ready_order.refresh_from_db()
    assert ready_order.status == Order.Status.COMPLETED
    assert f"Handed over: order #{ready_order.pk}" in done.content.decode()
    # The desk's list of recent handovers names who handed it over.
    assert owner.user.display_name in done.content.decode()


def test_already_picked_up_says_when_and_by_whom(client, ready_order, owner, admin_member):
    community = ready_order.community
    with time_machine.travel("2026-03-08 06:30:00+00:00", tick=False):
        services.order_complete(actor=admin_member, order=ready_order, code=ready_order.pickup_code)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(owner.user)
    for code in (ready_order.pickup_code, services.pickup_qr_code(ready_order)):
        page = desk(client, community, code)
        assert 'data-outcome="already_picked_up"' in page and "Already picked up" in page
        # Shown in the community's time (Asia/Shanghai: +8 h), with who handed it over.
        assert "2026-03-08 14:30" in page and admin_member.user.display_name in page
        assert 'data-order="' not in page
    # Handing it over again (a second desk, a double tap) is refused with the same reason.
    with pytest.raises(Conflict) as error:
        services.order_complete(actor=owner, order=ready_order, code=services.pickup_qr_code(ready_order))
    assert error.value.code == "already_picked_up" and admin_member.user.display_name in error.value.message


def test_goods_not_arrived_and_not_paid_are_told_apart(client, owner, admin_member, member, leader, place):
    community = owner.community
    group_buy = make_group_buy(owner, title="Lychee week")
    unpaid = place(member, group_buy)
    paid = place(leader, group_buy)
    pay(admin_member, paid)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(owner.user)

    page = desk(client, community, services.pickup_qr_code(unpaid))
    assert 'data-outcome="not_paid"' in page and "Not paid" in page and f"#{unpaid.pk}" in page
    page = desk(client, community, services.pickup_qr_code(paid))  # paid, the round still open
    assert 'data-outcome="not_arrived"' in page and "Goods not arrived yet" in page
    assert "Lychee week" in page and "has not closed and succeeded" in page
    close(group_buy)
    page = desk(client, community, services.pickup_qr_code(paid))  # confirmed, not marked arrived
    assert 'data-outcome="not_arrived"' in page and "Goods not arrived yet" in page
    assert "have not arrived at Gate 1 yet: mark them arrived" in page
    paid.refresh_from_db()
    assert paid.status == Order.Status.CONFIRMED
    # Typed digits give the same answers.
    assert 'data-outcome="not_arrived"' in desk(client, community, paid.pickup_code)
    with pytest.raises(Conflict) as error:
        services.order_complete(actor=owner, order=paid, code=paid.pickup_code)
    assert error.value.code == "not_arrived"


def test_wrong_codes_at_the_desk(client, ready_order, owner):
    community = ready_order.community
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(owner.user)
    other = CommunityFactory()
    foreign_order = Order(pk=ready_order.pk, community=other, pickup_code=ready_order.pickup_code)
    wrong_digits = "000000" if ready_order.pickup_code != "000000" else "111111"
    for code in (wrong_digits, services.pickup_qr_code(ready_order) + "x",
                 services.pickup_qr_code(foreign_order), "12"):
        page = desk(client, community, code)
        assert 'data-outcome="' in page and "Wrong code" in page, code
        assert f'data-order="{ready_order.pk}"' not in page


def test_a_leader_of_another_branch_gets_a_wrong_code_and_cannot_complete(client, owner, admin_member, member,
                                                                          leader, place):
    community = owner.community
    group_buy = make_group_buy(owner)
    east_point = group_buy.pickup_points.get()
    make_branch(owner, "East", members=[member], points=[east_point])
    make_branch(owner, "West", leader=leader)
    order = place(member, group_buy)
    pay(admin_member, order)
    close(group_buy)
    services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    code = services.pickup_qr_code(order)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(leader.user)
    page = desk(client, community, code)
    assert "Wrong code" in page and member.user.display_name not in page
    refused = client.post(reverse("orders_console:pickup_complete", args=[community.slug, order.pk]), {"code": code})
    assert refused.status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.READY


def test_the_api_takes_the_signed_code(api_as, ready_order, owner, leader):
    slug = ready_order.community.slug
    path = reverse("api-admin-pickup", args=[slug])
    client = api_as(owner.user)
    code = services.pickup_qr_code(ready_order)
    found = client.get(path, {"code": code})
    assert found.status_code == 200 and [o["id"] for o in found.json()["results"]] == [ready_order.pk]
    forged = client.get(path, {"code": code[:-3] + "abc"})
    assert forged.status_code == 404 and forged.json()["code"] == "pickup_not_found"
    handed = client.post(path, {"code": code}, format="json")
    assert handed.status_code == 200 and handed.json()["status"] == "completed"
    again = client.post(path, {"code": code}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_picked_up"
    assert owner.user.display_name in again.json()["message"]
    too_long = client.get(path, {"code": "1." * 100})
    assert too_long.status_code == 400 and "code" in too_long.json()["fields"]
