"""A leader's list of one pickup point across open rounds, by building and unit; the orders list's
pickup point filter and bulk ticking; the API's open_rounds filter and building ordering."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.addresses import place_sort_key, read_place
from orders.models import GroupBuy, Order
from tests.branches import make_branch, pay
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text, expected", [
    ("3栋2单元1502", "3-2-1502"), ("3-2-1502", "3-2-1502"), ("Block 3 Unit 2", "3-2"),
    ("3号楼2单元", "3-2"), ("三栋二单元", "3-2"), ("３栋２单元１５０２", "3-2-1502"),
    ("Bldg 12, Unit 1, Rm 301", "12-1-301"), ("11#楼1单元602室", "11-1-602"), ("3-1502", "3-?-1502"),
    ("3栋 电话13800138000", "3"), ("请放门口", None), ("", None),
])
def test_building_unit_and_room_are_read_from_what_members_write(text, expected):
    place = read_place(text)
    assert (str(place) if place else None) == expected


def test_buildings_sort_naturally_and_unreadable_last():
    notes = ["请放门口", "12栋1单元", "3-2-1502", "3栋1单元101", "Block 3 Unit 2", "", "2-1-301", "3栋2单元201"]
    assert sorted(notes, key=place_sort_key) == [
        "2-1-301", "3栋1单元101", "Block 3 Unit 2", "3栋2单元201", "3-2-1502", "12栋1单元", "请放门口", ""]


def close(group_buy):
    with time_machine.travel(group_buy.closes_at + timedelta(seconds=1)):
        services.group_buy_close_due()


@pytest.fixture
def point_world(owner, admin_member, member, leader, place):
    community = owner.community
    first = make_group_buy(owner, title="Monday greens")
    point = first.pickup_points.get()
    second = make_group_buy(owner, title="Tuesday eggs", point=point)
    done = make_group_buy(owner, title="Last week", point=point, closes_at=timezone.now() + timedelta(hours=1))
    buyers = [MembershipFactory(community=community, role="member") for _ in range(4)]
    notes = {"12栋1单元301": (buyers[0], first), "3-2-1502": (buyers[1], second), "放门卫": (buyers[2], first),
             "3栋1单元101": (buyers[3], second)}
    orders = {note: place(buyer, group_buy, note=note) for note, (buyer, group_buy) in notes.items()}
    cancelled = place(member, first, note="1栋1单元101")
    services.order_cancel(member=member, order=cancelled)
    old = place(member, done, note="1栋1单元102")
    pay(admin_member, old)
    close(done)
    services.group_buy_mark_arrived(actor=owner, group_buy=done)
    services.order_complete(actor=owner, order=old, code=old.pickup_code)
    assert GroupBuy.objects.get(pk=done.pk).status == GroupBuy.Status.FULFILLED
    return {"community": community, "point": point, "orders": orders, "cancelled": cancelled, "old": old}


def page(client, community, point, **params):
    return client.get(reverse("orders_console:pickup_point_orders", args=[community.slug, point.pk]), params)


def test_the_list_of_a_pickup_point_across_open_rounds_sorted_by_building(client, point_world, leader, owner):
    community, point, orders = point_world["community"], point_world["point"], point_world["orders"]
    make_branch(owner, "East", leader=leader, points=[point])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(leader.user)
    response = page(client, community, point)
    assert response.status_code == 200
    text = response.content.decode()
    shown = [int(pk) for pk in re.findall(r'<tr data-order="(\d+)"', text)]
    assert shown == [orders[n].pk for n in ("3栋1单元101", "3-2-1502", "12栋1单元301", "放门卫")]
    assert "Monday greens" in text and "Tuesday eggs" in text
    # Neither the cancelled order nor the finished round's order is on it.
    assert f'data-order="{point_world["cancelled"].pk}"' not in text and "Last week" not in text
    assert "4 orders to collect" in text and 'onclick="window.print()"' in text
    by_member = page(client, community, point, sort="member").content.decode()
    assert 'aria-current="true">Member<' in by_member
    assert page(client, community, point, sort="nonsense").status_code == 200


def test_the_list_is_scoped_to_the_leaders_branch_and_community(client, point_world, leader, owner):
    community, point = point_world["community"], point_world["point"]
    make_branch(owner, "West", leader=leader)
    client.force_login(leader.user)
    assert page(client, community, point).status_code == 404
    other = CommunityFactory()
    other_owner = MembershipFactory(community=other, role="owner")
    foreign_point = make_group_buy(other_owner).pickup_points.get()
    client.force_login(owner.user)
    assert page(client, community, foreign_point).status_code == 404
    assert page(client, other, point).status_code == 404


def test_orders_list_filters_by_pickup_point_and_offers_ticking_by_point(client, admin_member, owner, member, place):
    community = owner.community
    east_round = make_group_buy(owner, title="East round")
    west_round = make_group_buy(owner, title="West round",
                                point=services.pickup_point_save(actor=owner, name="West gate", address="W"))
    east, west = place(member, east_round), place(member, west_round)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(admin_member.user)
    listing = client.get(reverse("orders_console:orders", args=[community.slug])).content.decode()
    assert "data-select-all" in listing and "data-select-point" in listing
    assert f'value="{east.pk}" data-point="{east.pickup_point_id}"' in listing
    only_west = client.get(reverse("orders_console:orders", args=[community.slug]),
                           {"pickup_point": west.pickup_point_id}).content.decode()
    assert f'data-order="{west.pk}"' in only_west and f'data-order="{east.pk}"' not in only_west


def test_api_lists_a_pickup_point_across_open_rounds_by_building(api_as, point_world, owner, leader):
    community, point, orders = point_world["community"], point_world["point"], point_world["orders"]
    path = reverse("api-admin-orders", args=[community.slug])
    client = api_as(owner.user)
    response = client.get(path, {"pickup_point": point.pk, "open_rounds": "true", "ordering": "building"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 4
    assert [o["id"] for o in body["results"]] == [orders[n].pk for n in ("3栋1单元101", "3-2-1502", "12栋1单元301",
                                                                         "放门卫")]
    assert [o["building"] for o in body["results"]] == ["3-1-101", "3-2-1502", "12-1-301", None]
    everything = client.get(path, {"pickup_point": point.pk}).json()
    assert everything["count"] == 6  # with the cancelled order and the finished round's
    refused = client.get(path, {"ordering": "building"})
    assert refused.status_code == 400 and "ordering" in refused.json()["fields"]
    # A leader of another branch: nothing of this point.
    make_branch(owner, "West", leader=leader)
    theirs = api_as(leader.user).get(path, {"pickup_point": point.pk, "open_rounds": "true", "ordering": "building"})
    assert theirs.status_code == 200 and theirs.json()["results"] == []
    assert Order.objects.filter(pickup_point=point).count() == 6
