"""Changing and copying a round in the console (issue 8): the form comes filled in, saving
without a change changes nothing, what hurts buyers comes back next to its row, tiers are rows."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.console_forms import DATETIME_FORMAT, GroupBuyForm, item_initial
from orders.models import GroupBuy, PickupPoint
from tests.branches import make_branch
from tests.factories import MembershipFactory, ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db


def url(name, community, *args):
    return reverse(f"orders_console:{name}", args=[community.slug, *args])


def edit_form(group_buy, rows=None, **overrides):
    """What the edit page posts when nothing is touched (then ``rows``/``overrides`` change it)."""
    initial = GroupBuyForm.initial_of(group_buy)
    with timezone.override(group_buy.community.timezone):
        data = {name: (timezone.localtime(value).strftime(DATETIME_FORMAT) if hasattr(value, "tzinfo") else value)
                for name, value in initial.items() if value is not None and name not in ("pickup_points", "branches")}
    data["pickup_points"] = initial["pickup_points"]
    data["branches"] = initial["branches"]
    data["allows_delivery"] = "on" if initial["allows_delivery"] else ""
    items = item_initial(group_buy)
    for change_index, change in (rows or {}).items():
        if change_index < len(items):
            items[change_index].update(change)
        else:
            items.append(change)
    data.update({"items-TOTAL_FORMS": str(len(items)), "items-INITIAL_FORMS": str(len(item_initial(group_buy))),
                 "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "50"})
    for index, row in enumerate(items):
        for key, value in row.items():
            data[f"items-{index}-{key}"] = "" if value is None else value
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


@pytest.fixture
def round_with_an_order(owner, place):
    group_buy = make_group_buy(owner, tiers=[(10, "18.00")], limit=5)
    GroupBuy.objects.filter(pk=group_buy.pk).update(closes_at=group_buy.closes_at.replace(second=37))
    group_buy.refresh_from_db()
    place(MembershipFactory(community=owner.community), group_buy, qty=2)
    return group_buy


def test_the_edit_page_comes_filled_in_and_saving_it_untouched_changes_nothing(owner, login, round_with_an_order):
    group_buy = round_with_an_order
    client = login(owner)
    page = client.get(url("group_buy_edit", owner.community, group_buy.pk))
    html = page.content.decode()
    assert page.status_code == 200 and group_buy.title in html
    assert re.search(r'name="items-0-tier_quantity_0"[^>]*value="10"', html)
    saved = client.post(url("group_buy_edit", owner.community, group_buy.pk), edit_form(group_buy))
    assert saved.status_code == 302, saved.content.decode()[:3000]
    before = group_buy.closes_at
    group_buy.refresh_from_db()
    assert group_buy.closes_at == before  # its seconds kept: an untouched time is not a change


def test_extending_and_adding_a_tier_saves_and_a_lower_price_comes_back_on_its_row(owner, login,
                                                                                 round_with_an_order):
    group_buy = round_with_an_order
    client = login(owner)
    expected = (group_buy.closes_at + timedelta(days=1)).replace(second=0, microsecond=0)
    with timezone.override(owner.community.timezone):
        later_text = timezone.localtime(group_buy.closes_at + timedelta(days=1)).strftime(DATETIME_FORMAT)
    saved = client.post(url("group_buy_edit", owner.community, group_buy.pk), edit_form(
        group_buy, rows={0: {"tier_quantity_1": "20", "tier_price_1": "16.00"}}, closes_at=later_text))
    assert saved.status_code == 302
    group_buy.refresh_from_db()
    assert group_buy.closes_at == expected
    assert list(group_buy.items.get().tiers.values_list("min_quantity", "price")) == [
        (10, Decimal("18.00")), (20, Decimal("16.00"))]

    refused = client.post(url("group_buy_edit", owner.community, group_buy.pk),
                          edit_form(group_buy, rows={0: {"group_price": "19.00"}}))
    assert refused.status_code == 400
    assert "lower price would charge them more" in refused.content.decode()
    assert group_buy.items.get().group_price == Decimal("20.00")


def test_an_unordered_item_is_removed_with_its_box(owner, login):
    products = [ProductFactory(community=owner.community) for _ in range(2)]
    group_buy = make_group_buy(owner, products=products)
    client = login(owner)
    saved = client.post(url("group_buy_edit", owner.community, group_buy.pk),
                        edit_form(group_buy, rows={1: {"DELETE": "on"}}))
    assert saved.status_code == 302
    assert list(group_buy.items.values_list("product_id", flat=True)) == [products[0].pk]


def test_copy_opens_the_new_draft_to_check(owner, login):
    group_buy = make_group_buy(owner)
    client = login(owner)
    response = client.post(url("group_buy_copy", owner.community, group_buy.pk))
    copy = GroupBuy.objects.exclude(pk=group_buy.pk).get(community=owner.community)
    assert response.status_code == 302 and response["Location"] == url("group_buy_edit", owner.community, copy.pk)
    assert copy.status == GroupBuy.Status.DRAFT and copy.opens_at > timezone.now()
    detail = client.get(url("group_buy", owner.community, group_buy.pk)).content.decode()
    assert url("group_buy_copy", owner.community, group_buy.pk) in detail
    assert url("group_buy_edit", owner.community, group_buy.pk) in detail


def test_another_branchs_leader_neither_edits_nor_copies(owner, login):
    east_leader = MembershipFactory(community=owner.community, role="leader")
    west_leader = MembershipFactory(community=owner.community, role="leader")
    east = make_branch(owner, "East", leader=east_leader)
    make_branch(owner, "West", leader=west_leader)
    point = PickupPoint.objects.create(community=owner.community, name="East gate", address="E", branch=east)
    group_buy = make_group_buy(east_leader, point=point)
    client = login(west_leader)
    assert client.get(url("group_buy_edit", owner.community, group_buy.pk)).status_code == 404
    assert client.post(url("group_buy_edit", owner.community, group_buy.pk), edit_form(group_buy, title="X")
                       ).status_code == 404
    assert client.post(url("group_buy_copy", owner.community, group_buy.pk)).status_code == 404
    assert GroupBuy.objects.filter(community=owner.community).count() == 1
    assert GroupBuy.objects.get(pk=group_buy.pk).title == "Sunday fruit"


def test_a_new_round_has_every_pickup_point_ticked(owner, login):
    for name in ("Gate 1", "Gate 2"):
        PickupPoint.objects.create(community=owner.community, name=name, address=name)
    PickupPoint.objects.create(community=owner.community, name="Closed gate", address="x", is_active=False)
    html = login(owner).get(url("group_buy_new", owner.community)).content.decode()
    boxes = re.findall(r'<input type="checkbox" name="pickup_points"[^>]*>', html)
    assert len(boxes) == 2 and all("checked" in box for box in boxes)
