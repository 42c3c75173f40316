"""Every list's filters through django-filter (issue 9): each filter narrows the list, a bad value is
a 400 naming the parameter (never a 500, never silently ignored), lists a client syncs take
updated_since and ordering, and a filter never widens what a leader may see (their branch's)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from communities import services as community_services
from core.models import Notification
from orders import services
from orders.models import Order
from payments import services as payments
from tests.api import assert_error, url
from tests.orders.test_branch_scope import world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def ago(**delta):
    return (timezone.now() - timedelta(**delta)).isoformat()


# Members, join requests, audit log ------------------------------------------------------------------

def test_members_filters_narrow_within_a_leaders_branch(api_as, world):
    slug, east_buyer = world["community"].slug, world["east_buyer"]
    owner = api_as(world["owner"].user)
    path = url(slug, "members")
    assert set(ids(owner.get(path, {"role": "leader"}))) == {world["east_lead"].pk, world["west_lead"].pk}
    assert ids(owner.get(path, {"q": "east-secret"})) == [east_buyer.pk]
    assert ids(owner.get(path, {"branch": world["east"].pk, "role": "member"})) == [east_buyer.pk]
    # A leader asking for the other branch gets nobody: the filter narrows their branch, never widens it.
    east_lead = api_as(world["east_lead"].user)
    assert ids(east_lead.get(path, {"branch": world["west"].pk})) == []
    assert ids(east_lead.get(path, {"q": "West buyer"})) == []
    community_services.membership_leave(user=east_buyer.user, community=world["community"])
    assert east_buyer.pk not in ids(owner.get(path))
    assert ids(owner.get(path, {"status": "left"})) == [east_buyer.pk]


@pytest.mark.parametrize("params, field", [
    ({"branch": "٣"}, "branch"), ({"branch": "1" * 21}, "branch"), ({"invited_by": str(2**63)}, "invited_by"),
    ({"invited_by": "٣"}, "invited_by"), ({"role": "king"}, "role"), ({"status": "gone"}, "status"),
    ({"q": "x" * 101}, "q"),
])
def test_members_bad_filter_is_a_400_naming_it(api_as, world, params, field):
    assert_error(api_as(world["owner"].user).get(url(world["community"].slug, "members"), params), 400, fields=[field])


def test_join_requests_pending_by_default_and_filtered_by_status(api_as, world):
    client = api_as(world["owner"].user)
    path = url(world["community"].slug, "join-requests")
    assert ids(client.get(path)) == [world["request"].pk]
    assert ids(client.get(path, {"status": "declined"})) == []
    community_services.join_request_decline(actor=world["owner"], join_request=world["request"])
    assert ids(client.get(path)) == []
    assert ids(client.get(path, {"status": "declined"})) == [world["request"].pk]
    assert_error(client.get(path, {"status": "maybe"}), 400, fields=["status"])


def test_audit_log_filters(api_as, world):
    client = api_as(world["owner"].user)
    path = url(world["community"].slug, "audit")
    rows = client.get(path, {"action": "branch."}).json()["results"]
    assert rows and all(row["action"].startswith("branch.") for row in rows)
    assert {row["actor"]["id"] for row in client.get(path, {"actor": world["east_lead"].user_id}).json()["results"]} \
        == {world["east_lead"].user_id}
    assert ids(client.get(path, {"since": (timezone.now() + timedelta(minutes=1)).isoformat()})) == []
    assert ids(client.get(path, {"until": ago(days=1)})) == []
    # An offset PostgreSQL would refuse is read in UTC, not sent to the database as it came.
    assert client.get(path, {"since": "0293-04-21T08:54:59+18:13"}).status_code == 200
    assert_error(client.get(path, {"since": ago(minutes=1), "until": ago(minutes=2)}), 400, fields=["until"])
    for params, field in (({"actor": "٣"}, "actor"), ({"since": "yesterday"}, "since"),
                          ({"action": "x" * 65}, "action"), ({"until": "9999-12-31T23:59:59-05:00"}, "until")):
        assert_error(client.get(path, params), 400, fields=[field])


# A member's orders and the admins' orders ----------------------------------------------------------

def test_my_orders_sync_with_updated_since_and_ordering(api_as, world):
    buyer, slug = world["east_buyer"], world["community"].slug
    path = url(slug, "orders")
    client = api_as(buyer.user)
    mine = {o.pk for o in world["east_orders"]}
    assert set(ids(client.get(path))) == mine
    assert ids(client.get(path, {"status": "shipped"})) == [world["east_shipped"].pk]
    assert ids(client.get(path, {"group_buy": world["aimed_east"].pk})) == [world["confirmed"].pk]
    Order.objects.filter(pk__in=mine).update(updated_at=timezone.now() - timedelta(days=2))
    services.order_cancel(member=buyer, order=world["east_pending"])
    assert ids(client.get(path, {"updated_since": ago(hours=1)})) == [world["east_pending"].pk]
    by_change = ids(client.get(path, {"ordering": "updated_at"}))
    assert by_change[-1] == world["east_pending"].pk and set(by_change) == mine
    assert ids(client.get(path, {"ordering": "-updated_at"}))[0] == world["east_pending"].pk
    for params, field in (({"group_buy": "٣"}, "group_buy"), ({"group_buy": str(2**70)}, "group_buy"),
                          ({"status": "lost"}, "status"), ({"updated_since": "soon"}, "updated_since"),
                          ({"ordering": "total"}, "ordering")):
        assert_error(client.get(path, params), 400, fields=[field])


def test_admin_orders_sync_and_keep_a_leader_in_their_branch(api_as, world):
    slug = world["community"].slug
    path = url(slug, "admin", "orders")
    admin = api_as(world["admin"].user)
    Order.objects.filter(community=world["community"]).update(updated_at=timezone.now() - timedelta(days=2))
    services.order_refund(actor=world["admin"], order=Order.objects.get(pk=world["confirmed"].pk))
    assert ids(admin.get(path, {"updated_since": ago(hours=1)})) == [world["confirmed"].pk]
    assert ids(admin.get(path, {"ordering": "-updated_at"}))[0] == world["confirmed"].pk
    assert ids(admin.get(path, {"ordering": "updated_at"}))[-1] == world["confirmed"].pk
    totals = [Decimal(row["total"]) for row in admin.get(path, {"ordering": "-total"}).json()["results"]]
    assert totals == sorted(totals, reverse=True)
    # East's leader asking for West's point or West's buyer sees none of West's orders.
    east_lead = api_as(world["east_lead"].user)
    assert ids(east_lead.get(path, {"pickup_point": world["west_point"].pk})) == []
    assert ids(east_lead.get(path, {"member": world["west_buyer"].user_id})) == []
    assert ids(east_lead.get(path, {"branch": world["west"].pk})) == []


@pytest.mark.parametrize("params, field", [
    ({"member": "٣"}, "member"), ({"pickup_point": str(2**63)}, "pickup_point"), ({"branch": "abc"}, "branch"),
    ({"paid": "perhaps"}, "paid"), ({"open_rounds": "yes please"}, "open_rounds"), ({"status": "lost"}, "status"),
    ({"ordering": "building"}, "ordering"), ({"ordering": "password"}, "ordering"),
    ({"updated_since": "2026-13-40"}, "updated_since"),
])
def test_admin_orders_bad_filter_is_a_400_naming_it(api_as, world, params, field):
    path = url(world["community"].slug, "admin", "orders")
    assert_error(api_as(world["admin"].user).get(path, params), 400, fields=[field])


def test_admin_orders_by_building_stands_alone(api_as, world):
    path = url(world["community"].slug, "admin", "orders")
    client = api_as(world["admin"].user)
    point = world["east_point"].pk
    assert client.get(path, {"ordering": "building", "pickup_point": point}).status_code == 200
    assert_error(client.get(path, {"ordering": "building,total", "pickup_point": point}), 400, fields=["ordering"])


# Money lists --------------------------------------------------------------------------------------

def test_refunds_filters(api_as, world):
    admin, slug = world["admin"], world["community"].slug
    services.order_refund(actor=admin, order=Order.objects.get(pk=world["confirmed"].pk))
    services.order_refund(actor=admin, order=Order.objects.get(pk=world["west_ready"].pk))
    client = api_as(admin.user)
    path = url(slug, "admin", "refunds")
    assert len(ids(client.get(path))) == 2

    def orders(params):
        response = client.get(path, params)
        assert response.status_code == 200, response.content
        return [row["order"] for row in response.json()["results"]]

    assert orders({"group_buy": world["aimed_east"].pk}) == [world["confirmed"].pk]
    assert orders({"member": world["west_buyer"].user_id}) == [world["west_ready"].pk]
    assert ids(client.get(path, {"status": "done"})) == []
    for params, field in (({"member": "٣"}, "member"), ({"group_buy": str(2**64)}, "group_buy"),
                          ({"status": "owed"}, "status")):
        assert_error(client.get(path, params), 400, fields=[field])


def test_wallets_filters_and_ordering(api_as, world):
    admin, slug = world["admin"], world["community"].slug
    payments.wallet_top_up(actor=admin, member_user=world["east_buyer"].user, amount=Decimal("80.00"))
    payments.wallet_top_up(actor=admin, member_user=world["west_buyer"].user, amount=Decimal("20.00"))
    client = api_as(admin.user)
    path = url(slug, "admin", "wallets")

    def names(params):
        response = client.get(path, params)
        assert response.status_code == 200, response.content
        return [row["member"]["display_name"] for row in response.json()["results"]]

    assert names({}) == ["West buyer", "east-secret-buyer"]  # by name by default
    assert names({"ordering": "-balance"})[:2] == ["east-secret-buyer", "West buyer"]
    assert names({"ordering": "balance"})[-2:] == ["West buyer", "east-secret-buyer"]
    assert names({"min_balance": "50"}) == ["east-secret-buyer"]
    assert names({"q": "13912340002"}) == ["West buyer"]
    for params, field in (({"min_balance": "٣"}, "min_balance"), ({"min_balance": "-1"}, "min_balance"),
                          ({"min_balance": "1.234"}, "min_balance"), ({"min_balance": "NaN"}, "min_balance"),
                          ({"min_balance": "1" * 14}, "min_balance"), ({"ordering": "phone"}, "ordering"),
                          ({"q": "x" * 101}, "q")):
        assert_error(client.get(path, params), 400, fields=[field])


def test_commissions_leader_filter(api_as, world):
    path = url(world["community"].slug, "admin", "commissions")
    admin = api_as(world["admin"].user)
    assert len(ids(admin.get(path, {"leader": world["east_lead"].user_id}))) == 1
    assert ids(admin.get(path, {"leader": world["west_lead"].user_id})) == []
    for bad in ("٣", str(2**63), "0"):
        assert_error(admin.get(path, {"leader": bad}), 400, fields=["leader"])
    # format=csv is the answer's format, not a filter: the CSV keeps the leader filter.
    csv = admin.get(path, {"format": "csv", "leader": world["west_lead"].user_id})
    assert csv.status_code == 200 and "east-secret-buyer" not in csv.content.decode("utf-8-sig")


# Rounds and pickup points in the console ------------------------------------------------------------

def test_console_group_buys_by_status(api_as, world):
    path = url(world["community"].slug, "admin", "group-buys")
    owner, east_lead = api_as(world["owner"].user), api_as(world["east_lead"].user)
    assert set(ids(owner.get(path, {"status": "draft"}))) == {world["east_draft"].pk, world["owner_draft"].pk}
    assert ids(owner.get(path, {"status": "fulfilled"})) == []
    assert world["whole"].pk in ids(owner.get(path))
    assert set(ids(east_lead.get(path, {"status": "draft"}))) <= {world["east_draft"].pk, world["owner_draft"].pk}
    assert_error(owner.get(path, {"status": "sleeping"}), 400, fields=["status"])


def test_pickup_points_filters(api_as, world):
    owner = world["owner"]
    path = url(world["community"].slug, "admin", "pickup-points")
    services.pickup_point_save(actor=owner, pickup_point=world["west_point"], name="West gate", address="West road 9",
                               hours="", leader=None, branch=world["west"], is_active=False)
    client = api_as(owner.user)
    assert world["west_point"].pk not in ids(client.get(path, {"is_active": "true"}))
    assert ids(client.get(path, {"is_active": "false"})) == [world["west_point"].pk]
    assert ids(client.get(path, {"branch": world["east"].pk})) == [world["east_point"].pk]
    assert ids(api_as(world["east_lead"].user).get(path, {"branch": world["west"].pk})) == []
    for params, field in (({"is_active": "perhaps"}, "is_active"), ({"branch": "٣"}, "branch"),
                          ({"branch": str(2**63)}, "branch")):
        assert_error(client.get(path, params), 400, fields=[field])


# The inbox --------------------------------------------------------------------------------------------

def test_inbox_filters_and_sync(api_as, world):
    user, community = world["west_buyer"].user, world["community"]
    Notification.objects.filter(recipient=user).delete()
    old = Notification.objects.create(recipient=user, community=community, kind="test", title="Old")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2),
                                                  read_at=timezone.now() - timedelta(days=2))
    new = Notification.objects.create(recipient=user, kind="test", title="New")
    client = api_as(user)
    path = "/api/v1/me/inbox/"
    assert ids(client.get(path, {"unread": "true"})) == [new.pk]
    assert ids(client.get(path, {"unread": "false"})) == [old.pk]
    assert ids(client.get(path, {"community": community.slug})) == [old.pk]
    assert ids(client.get(path, {"updated_since": ago(hours=1)})) == [new.pk]
    Notification.objects.filter(pk=old.pk).update(read_at=None)
    Notification.objects.filter(pk=old.pk).update(read_at=timezone.now())  # read again: changed since
    assert set(ids(client.get(path, {"updated_since": ago(hours=1)}))) == {new.pk, old.pk}
    assert ids(client.get(path, {"since": ago(hours=1)})) == [new.pk]
    for params, field in (({"unread": "perhaps"}, "unread"), ({"community": "not a slug"}, "community"),
                          ({"community": "a" * 61}, "community"), ({"updated_since": "later"}, "updated_since")):
        assert_error(client.get(path, params), 400, fields=[field])
