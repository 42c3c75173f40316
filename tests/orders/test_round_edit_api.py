"""Changing and copying rounds through the API, and the Idempotency-Key on the writes that create
rounds (PATCH/GET admin/group-buys/<id>/, POST …/copy/, POST admin/group-buys/)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import IdempotentRequest
from orders.models import GroupBuy
from tests.api import assert_error, url
from tests.orders.test_branch_scope import world  # noqa: F401 - the fixture
from tests.orders.test_rounds_api import round_body, stranger  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db


def item_rows(group_buy):
    return [{"id": item.pk, "product": item.product_id, "group_price": str(item.group_price),
             "quantity_on_offer": item.quantity_on_offer, "per_member_limit": item.per_member_limit,
             "tiers": [{"min_quantity": t.min_quantity, "price": str(t.price)} for t in item.tiers.all()]}
            for item in group_buy.items.prefetch_related("tiers")]


def test_an_admin_reads_and_changes_a_round(api_as, world):
    slug, round_ = world["community"].slug, world["owner_draft"]
    client = api_as(world["admin"].user)
    read = client.get(url(slug, "admin", "group-buys", round_.pk))
    assert read.status_code == 200 and read.json()["status"] == "draft"
    assert read.json()["branches"] == [world["east"].pk]
    rows = item_rows(round_)
    rows[0]["quantity_on_offer"] = 77
    rows[0]["tiers"] = [{"min_quantity": 5, "price": "1.00"}]
    later = (round_.closes_at + timedelta(days=2)).isoformat()
    changed = client.patch(url(slug, "admin", "group-buys", round_.pk),
                           {"title": "Renamed", "closes_at": later, "items": rows, "branches": []}, format="json")
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["title"] == "Renamed" and body["items"][0]["quantity_on_offer"] == 77 and body["branches"] == []
    assert body["items"][0]["tiers"] == [{"min_quantity": 5, "price": "1.00"}]


def test_what_hurts_buyers_is_a_409_with_the_reason(api_as, world):
    slug, round_ = world["community"].slug, world["east_own"]  # East's leader's round with a pending order
    client = api_as(world["east_lead"].user)
    assert round_.items.get().quantity_sold >= 1
    rows = item_rows(round_)
    rows[0]["group_price"] = "0.01"  # cheaper than the buyer paid
    response = client.patch(url(slug, "admin", "group-buys", round_.pk), {"items": rows}, format="json")
    assert_error(response, 409, code="hurts_buyers", fields=["items.0"])
    earlier = (round_.closes_at - timedelta(minutes=5)).isoformat()
    assert_error(client.patch(url(slug, "admin", "group-buys", round_.pk), {"closes_at": earlier}, format="json"),
                 409, fields=["closes_at"])
    round_.refresh_from_db()
    assert round_.items.get().group_price != 0


def test_bad_input_is_a_400_naming_the_field(api_as, world):
    slug, round_ = world["community"].slug, world["owner_draft"]
    client = api_as(world["owner"].user)
    for body, field in (({"title": ""}, "title"), ({"title": "x" * 121}, "title"),
                        ({"items": []}, "items"), ({"team_window_hours": "1e3"}, "team_window_hours"),
                        ({"items": [{"id": 2**63, "product": 1, "group_price": "1", "quantity_on_offer": 1}]},
                         "items.0.id"),
                        ({"closes_at": round_.opens_at.isoformat()}, "closes_at")):
        assert_error(client.patch(url(slug, "admin", "group-buys", round_.pk), body, format="json"), 400,
                     fields=[field])
    assert GroupBuy.objects.get(pk=round_.pk).title == round_.title


def test_who_may_change_and_copy(api_as, world, stranger):  # noqa: F811
    slug = world["community"].slug
    mine, owners = world["east_draft"], world["owner_draft"]
    west, east = api_as(world["west_lead"].user), api_as(world["east_lead"].user)
    # another branch's leader does not see East's rounds; East's leader sees the owner's draft
    # aimed at East and may copy it (into a draft of their own), but not change it
    for client, round_, status in ((west, mine, 404), (west, owners, 404), (east, owners, 404),
                                   (api_as(world["east_buyer"].user), mine, 403), (api_as(stranger.user), mine, 404)):
        assert_error(client.patch(url(slug, "admin", "group-buys", round_.pk), {"title": "x"}, format="json"), status)
    for client, round_, status in ((west, mine, 404), (api_as(world["east_buyer"].user), mine, 403),
                                   (api_as(stranger.user), mine, 404)):
        assert_error(client.post(url(slug, "admin", "group-buys", round_.pk, "copy")), status)
    copied = east.post(url(slug, "admin", "group-buys", owners.pk, "copy"))
    assert copied.status_code == 201, copied.content
    copy = GroupBuy.objects.get(pk=copied.json()["id"])
    assert copy.created_by == world["east_lead"].user and copy.status == "draft"
    assert list(copy.branches.all()) == [world["east"]] and copy.commission_rate == 0
    assert GroupBuy.objects.get(pk=owners.pk).title == owners.title


def test_a_copy_with_a_key_is_made_once(api_as, world):
    slug, round_ = world["community"].slug, world["whole"]
    client = api_as(world["owner"].user)
    before = GroupBuy.objects.count()
    first = client.post(url(slug, "admin", "group-buys", round_.pk, "copy"), HTTP_IDEMPOTENCY_KEY="weekly-48")
    again = client.post(url(slug, "admin", "group-buys", round_.pk, "copy"), HTTP_IDEMPOTENCY_KEY="weekly-48")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert GroupBuy.objects.count() == before + 1
    assert client.post(url(slug, "admin", "group-buys", round_.pk, "copy")).status_code == 201  # no key: a new one
    assert GroupBuy.objects.count() == before + 2


def test_creating_a_round_with_a_key_twice_creates_one(api_as, world):
    slug, point = world["community"].slug, world["east_point"]
    client = api_as(world["owner"].user)
    body = round_body(world, [point])
    before = GroupBuy.objects.count()
    first = client.post(url(slug, "admin", "group-buys"), body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = client.post(url(slug, "admin", "group-buys"), body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == 201 and again.status_code == 201 and first.json() == again.json()
    assert GroupBuy.objects.count() == before + 1
    other = dict(body, title="Another")
    assert_error(client.post(url(slug, "admin", "group-buys"), other, format="json", HTTP_IDEMPOTENCY_KEY="r-1"),
                 422, code="idempotency_key_reused")
    # a failed write keeps no key: fixing the body and retrying with the same key works
    bad = dict(body, title="")
    assert_error(client.post(url(slug, "admin", "group-buys"), bad, format="json", HTTP_IDEMPOTENCY_KEY="r-2"), 400)
    assert not IdempotentRequest.objects.filter(key="r-2").exists()
    assert client.post(url(slug, "admin", "group-buys"), dict(body, title="Fixed"), format="json",
                       HTTP_IDEMPOTENCY_KEY="r-2").status_code == 201
    for key in ("x" * 101, "bad\x01key"):
        assert_error(client.post(url(slug, "admin", "group-buys"), body, format="json", HTTP_IDEMPOTENCY_KEY=key),
                     400, code="idempotency_key_required")


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_create_one_round():
    """Both send the same key at once: one creates, the other waits for it and replays its answer."""
    from rest_framework.test import APIClient

    from orders import services
    from tests.concurrency import run_at_once
    from tests.factories import MembershipFactory, ProductFactory

    owner = MembershipFactory(role="owner")
    point = services.pickup_point_save(actor=owner, name="Gate", address="Road 1")
    product = ProductFactory(community=owner.community)
    now = timezone.now()
    body = {"title": "Race", "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=1)).isoformat(),
            "pickup_points": [point.pk],
            "items": [{"product": product.pk, "group_price": "9.00", "quantity_on_offer": 10}]}

    def post(_i):
        client = APIClient()
        client.force_authenticate(owner.user)
        response = client.post(url(owner.community.slug, "admin", "group-buys"), body, format="json",
                               HTTP_IDEMPOTENCY_KEY="same")
        return response.status_code, response.json()["id"]

    results = run_at_once(2, post)
    assert [code for code, _id in results] == [201, 201], results
    assert results[0][1] == results[1][1]
    assert GroupBuy.objects.filter(community=owner.community).count() == 1
