"""Rounds and pickup points through the API (/api/v1/communities/<slug>/admin/group-buys/, pickup-points/).

The world of test_branch_scope: one community with branches East and West, each with a leader, a
buyer and a pickup point. Owners and admins act on every round and point; a leader creates rounds
for their own branch, changes their own rounds and runs their branch's pickup points; a member
gets 403; the owner of another community 404.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import GroupBuy, Order, PickupPoint
from tests.api import assert_error, url
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory
from tests.orders.test_branch_scope import world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger():
    """The owner of another community."""
    return MembershipFactory(community=CommunityFactory(), role="owner")


def round_body(world, points=(), **overrides):
    product = ProductFactory(community=world["community"], name="Mango")
    now = timezone.now()
    body = {
        "title": "Mangoes", "description": "From Hainan", "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(days=2)).isoformat(),
        "expected_pickup_at": (now + timedelta(days=3)).isoformat(),
        "pickup_points": [p.pk for p in points], "allows_delivery": True, "delivery_fee": "5.00",
        "success_rule": "min_quantity", "success_threshold": "10",
        "items": [{"product": product.pk, "group_price": "20.00", "quantity_on_offer": 50, "per_member_limit": 5,
                   "tiers": [{"min_quantity": 10, "price": "18.00"}, {"min_quantity": 30, "price": "15.00"}]}],
    }
    body.update(overrides)
    return body


def csv_rows(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# Creating, publishing, cancelling ----------------------------------------------------------------

@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_create_publish_and_cancel_a_round(api_as, world, role):
    slug = world["community"].slug
    client = api_as(world[role].user)

    created = client.post(url(slug, "admin", "group-buys"),
                          round_body(world, [world["east_point"], world["west_point"]], commission_rate="0.05",
                                     branches=[world["west"].pk], publish=False), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["title"] == "Mangoes" and body["delivery_fee"] == "5.00"
    assert [t["price"] for t in body["items"][0]["tiers"]] == ["18.00", "15.00"]
    assert {p["id"] for p in body["pickup_points"]} == {world["east_point"].pk, world["west_point"].pk}
    group_buy = GroupBuy.objects.get(pk=body["id"])
    assert group_buy.commission_rate == Decimal("0.05") and list(group_buy.branches.all()) == [world["west"]]

    published = client.post(url(slug, "admin", "group-buys", group_buy.pk, "publish"), format="json")
    assert published.status_code == 200 and published.json()["status"] == "open"
    assert_error(client.post(url(slug, "admin", "group-buys", group_buy.pk, "publish"), format="json"), 409,
                 code="not_draft")

    cancelled = client.post(url(slug, "admin", "group-buys", group_buy.pk, "cancel"), {"reason": "Storm"},
                            format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_error(client.post(url(slug, "admin", "group-buys", group_buy.pk, "cancel"), {}, format="json"), 409,
                 code="not_cancellable")


def test_a_leaders_round_goes_to_their_branch_without_a_commission_rate_of_their_own(api_as, world):
    slug, east, point = world["community"].slug, world["east"], world["east_point"]
    client = api_as(world["east_lead"].user)

    created = client.post(url(slug, "admin", "group-buys"), round_body(world, [point]), format="json")
    assert created.status_code == 201, created.content
    group_buy = GroupBuy.objects.get(pk=created.json()["id"])
    assert list(group_buy.branches.all()) == [east] and group_buy.commission_rate == 0
    assert group_buy.created_by == world["east_lead"].user and group_buy.status == GroupBuy.Status.OPEN

    count = GroupBuy.objects.count()
    assert_error(client.post(url(slug, "admin", "group-buys"), round_body(world, [point], commission_rate="0.1"),
                             format="json"), 403, fields=["commission_rate"])
    assert_error(client.post(url(slug, "admin", "group-buys"), round_body(world, [world["west_point"]]),
                             format="json"), 400, fields=["pickup_points"])
    assert_error(client.post(url(slug, "admin", "group-buys"),
                             round_body(world, [point], branches=[world["west"].pk]), format="json"),
                 400, fields=["branches"])
    assert GroupBuy.objects.count() == count


def test_a_leader_publishes_and_cancels_their_own_rounds_only(api_as, world):
    slug = world["community"].slug
    east, west = api_as(world["east_lead"].user), api_as(world["west_lead"].user)
    draft, owners = world["east_draft"], world["owner_draft"]

    # West's leader does not see East's rounds; East's leader sees the owner's draft aimed at East
    # but it is not theirs to change.
    for client, group_buy in ((west, draft), (west, owners), (east, owners)):
        for action in ("publish", "cancel"):
            assert_error(client.post(url(slug, "admin", "group-buys", group_buy.pk, action), {}, format="json"), 404)
    assert east.post(url(slug, "admin", "group-buys", draft.pk, "publish"), format="json").json()["status"] == "open"
    assert east.post(url(slug, "admin", "group-buys", draft.pk, "cancel"), {}, format="json").json()["status"] == \
        "cancelled"
    owners.refresh_from_db()
    assert owners.status == GroupBuy.Status.DRAFT


def test_members_get_403_and_strangers_404_on_every_new_endpoint(api_as, world, stranger):
    slug, group_buy, point = world["community"].slug, world["whole"], world["east_point"]
    calls = [
        ("post", url(slug, "admin", "group-buys"), round_body(world, [point])),
        ("post", url(slug, "admin", "group-buys", world["owner_draft"].pk, "publish"), {}),
        ("post", url(slug, "admin", "group-buys", group_buy.pk, "cancel"), {}),
        ("get", url(slug, "admin", "group-buys", group_buy.pk, "purchase-sheet"), None),
        ("get", url(slug, "admin", "group-buys", group_buy.pk, "purchase-sheet") + "?format=csv", None),
        ("get", url(slug, "admin", "group-buys", group_buy.pk, "pickup-sheets", point.pk), None),
        ("get", url(slug, "admin", "group-buys", group_buy.pk, "pickup-sheets", point.pk) + "?format=csv", None),
        ("get", url(slug, "admin", "pickup-points"), None),
        ("post", url(slug, "admin", "pickup-points"), {"name": "Mine", "address": "Here"}),
        ("patch", url(slug, "admin", "pickup-points", point.pk), {"is_active": False}),
    ]
    rounds, points = GroupBuy.objects.count(), list(PickupPoint.objects.values_list("pk", "name", "is_active"))
    for user, status in ((world["east_buyer"].user, 403), (stranger.user, 404)):
        client = api_as(user)
        for method, path, body in calls:
            response = client.get(path) if method == "get" else getattr(client, method)(path, body, format="json")
            assert_error(response, status)
    assert GroupBuy.objects.count() == rounds
    assert list(PickupPoint.objects.values_list("pk", "name", "is_active")) == points
    assert GroupBuy.objects.get(pk=world["owner_draft"].pk).status == GroupBuy.Status.DRAFT


@pytest.mark.parametrize("change, field", [
    ({"closes_at": "2020-01-01T00:00:00Z"}, "closes_at"),
    ({"opens_at": "not a date"}, "opens_at"),
    ({"items": []}, "items"),
    ({"title": "   "}, "title"),
    ({"title": "a\x00b"}, None),
    ({"delivery_fee": "1e40"}, "delivery_fee"),
    ({"success_threshold": "99999999999999"}, "success_threshold"),
    ({"team_size": 2**40}, "team_size"),
    ({"mode": "team", "team_size": 1}, "team_size"),
    ({"pickup_points": [2**63]}, "pickup_points.0"),
    ({"pickup_points": [], "allows_delivery": False}, "pickup_points"),
    ({"branches": [999999]}, "branches"),
    ({"items": [{"product": 999999, "group_price": "1", "quantity_on_offer": 1}]}, "items.0"),
    ({"items": [{"product": 1, "group_price": "1", "quantity_on_offer": 2**40}]}, "items.0.quantity_on_offer"),
    ({"items": [{"product": 1, "group_price": "-1", "quantity_on_offer": 1}]}, "items.0.group_price"),
    ({"commission_rate": "0.9"}, "commission_rate"),
])
def test_bad_rounds_are_refused_with_their_fields_and_nothing_is_stored(api_as, world, change, field):
    client = api_as(world["owner"].user)
    count = GroupBuy.objects.count()
    body = round_body(world, [world["east_point"]])
    if change.get("items") and change["items"][0]["product"] == 1:
        change["items"][0]["product"] = body["items"][0]["product"]
    body.update(change)
    response = client.post(url(world["community"].slug, "admin", "group-buys"), body, format="json")
    assert_error(response, 400, fields=[field] if field else ())
    assert GroupBuy.objects.count() == count


def test_tiers_that_do_not_lower_the_price_are_an_item_error(api_as, world):
    body = round_body(world, [world["east_point"]])
    body["items"][0]["tiers"] = [{"min_quantity": 10, "price": "25.00"}]
    response = api_as(world["owner"].user).post(url(world["community"].slug, "admin", "group-buys"), body,
                                                 format="json")
    assert_error(response, 400, fields=["items.0"])


# Sheets ----------------------------------------------------------------------------------------------

def test_the_purchase_sheet_in_json_and_csv(api_as, world):
    slug, whole = world["community"].slug, world["whole"]
    client = api_as(world["admin"].user)
    sold = sum(line.quantity for o in Order.objects.filter(group_buy=whole, status__in=["confirmed", "ready",
                                                                                          "shipped", "completed"])
               for line in o.lines.all())

    sheet = client.get(url(slug, "admin", "group-buys", whole.pk, "purchase-sheet"))
    assert sheet.status_code == 200, sheet.content
    assert sheet.json()["group_buy"] == {"id": whole.pk, "title": whole.title}
    assert sheet.json()["total_quantity"] == sold > 0
    assert sheet.json()["total_amount"] == "%.2f" % (sold * 10)

    for response in (client.get(url(slug, "admin", "group-buys", whole.pk, "purchase-sheet") + "?format=csv"),
                     client.get(url(slug, "admin", "group-buys", whole.pk, "purchase-sheet"),
                                HTTP_ACCEPT="text/csv")):
        rows = csv_rows(response)
        assert rows[-1][4] == str(sold) and len(rows) == 3  # header, one product, the total


def test_pickup_sheets_follow_the_leaders_scope(api_as, world):
    slug, whole = world["community"].slug, world["whole"]
    east_point, west_point = world["east_point"], world["west_point"]
    east_at_east = {world["east_ready"].pk, Order.objects.get(
        group_buy=whole, pickup_point=east_point, status="completed").pk}

    def sheet(user, point, **params):
        return api_as(user).get(url(slug, "admin", "group-buys", whole.pk, "pickup-sheets", point.pk), params)

    admin = sheet(world["admin"].user, east_point)
    assert admin.status_code == 200
    assert {o["id"] for o in admin.json()["orders"]} == east_at_east
    ready = next(o for o in admin.json()["orders"] if o["id"] == world["east_ready"].pk)
    assert ready["pickup_code"] == world["east_ready"].pickup_code and "×1" in ready["items"]
    assert {o["id"] for o in sheet(world["east_lead"].user, east_point).json()["orders"]} == east_at_east
    assert [o["id"] for o in sheet(world["west_lead"].user, west_point).json()["orders"]] == [
        world["west_ready"].pk]
    assert_error(sheet(world["west_lead"].user, east_point), 404)
    assert_error(sheet(world["west_lead"].user, east_point, format="csv"), 404)
    # A round aimed at East only is not West's leader's to see.
    assert_error(api_as(world["west_lead"].user).get(
        url(slug, "admin", "group-buys", world["aimed_east"].pk, "purchase-sheet")), 404)

    rows = csv_rows(sheet(world["east_lead"].user, east_point, format="csv"))
    assert {int(r[0]) for r in rows[1:]} == east_at_east
    assert world["east_ready"].pickup_code in {r[3] for r in rows}


# Pickup points -------------------------------------------------------------------------------------

def test_admins_add_change_and_retire_pickup_points(api_as, world):
    slug = world["community"].slug
    client = api_as(world["owner"].user)

    listed = client.get(url(slug, "admin", "pickup-points")).json()["results"]
    assert {p["id"] for p in listed} == {world["east_point"].pk, world["west_point"].pk}
    added = client.post(url(slug, "admin", "pickup-points"),
                        {"name": "North gate", "address": "North road 2", "hours": "9-18",
                         "branch": world["west"].pk, "leader": world["west_lead"].user_id}, format="json")
    assert added.status_code == 201, added.content
    assert added.json()["branch"] == world["west"].pk and added.json()["leader"]["id"] == world["west_lead"].user_id
    point = PickupPoint.objects.get(pk=added.json()["id"])

    retired = client.patch(url(slug, "admin", "pickup-points", point.pk), {"is_active": False}, format="json")
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    point.refresh_from_db()
    assert not point.is_active and point.address == "North road 2" and point.branch == world["west"]
    assert point.pk not in {p["id"] for p in client.get(url(slug, "admin", "pickup-points"),
                                                        {"is_active": "true"}).json()["results"]}

    assert_error(client.post(url(slug, "admin", "pickup-points"), {"name": "North gate", "address": "x"},
                             format="json"), 409, fields=["name"])
    for body, field in (({"name": "", "address": "x"}, "name"), ({"name": "x" * 81, "address": "x"}, "name"),
                        ({"name": "x", "address": "x", "branch": 999999}, "branch"),
                        ({"name": "x", "address": "x", "leader": world["east_buyer"].user_id}, "leader"),
                        ({"name": "x", "address": "x", "leader": 2**63}, "leader")):
        assert_error(client.post(url(slug, "admin", "pickup-points"), body, format="json"), 400, fields=[field])
    assert_error(client.patch(url(slug, "admin", "pickup-points", point.pk), {"address": " "}, format="json"),
                 400, fields=["address"])
    assert PickupPoint.objects.filter(community=world["community"]).count() == 3


def test_a_leader_runs_their_branchs_pickup_points_only(api_as, world):
    slug, east_point, west_point = world["community"].slug, world["east_point"], world["west_point"]
    client = api_as(world["east_lead"].user)

    assert [p["id"] for p in client.get(url(slug, "admin", "pickup-points")).json()["results"]] == [east_point.pk]
    added = client.post(url(slug, "admin", "pickup-points"), {"name": "East back door", "address": "East road 5"},
                        format="json")
    assert added.status_code == 201 and added.json()["branch"] == world["east"].pk
    assert_error(client.post(url(slug, "admin", "pickup-points"),
                             {"name": "Elsewhere", "address": "x", "branch": world["west"].pk}, format="json"),
                 400, fields=["branch"])
    changed = client.patch(url(slug, "admin", "pickup-points", east_point.pk), {"hours": "8-20"}, format="json")
    assert changed.status_code == 200 and changed.json()["hours"] == "8-20"
    assert_error(client.patch(url(slug, "admin", "pickup-points", west_point.pk), {"is_active": False},
                              format="json"), 404)
    assert PickupPoint.objects.get(pk=west_point.pk).is_active


# The console's list of rounds ---------------------------------------------------------------------

def test_the_console_list_shows_drafts_to_those_who_may_see_them(api_as, world, stranger):
    slug = world["community"].slug
    path = url(slug, "admin", "group-buys")
    draft, owners = world["east_draft"], world["owner_draft"]

    def listed(user, **params):
        response = api_as(user).get(path, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    everything = set(GroupBuy.objects.filter(community=world["community"]).values_list("pk", flat=True))
    assert listed(world["admin"].user) == everything
    assert {draft.pk, owners.pk} <= listed(world["admin"].user, status="draft")
    assert all(GroupBuy.objects.get(pk=pk).status == "draft" for pk in listed(world["owner"].user, status="draft"))
    assert {draft.pk, owners.pk} <= listed(world["east_lead"].user)
    assert draft.pk not in listed(world["west_lead"].user)
    assert_error(api_as(world["admin"].user).get(path, {"status": "lost"}), 400, fields=["status"])
    assert_error(api_as(world["east_buyer"].user).get(path), 403)
    assert_error(api_as(stranger.user).get(path), 404)
