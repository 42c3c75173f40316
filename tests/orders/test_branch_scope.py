"""Leaders act within their branch (DESIGN.md, Tenancy and roles).

A leader acts on the members, orders, pickups and pickup points of their own branch and on the
rounds they published; owners and admins act on the whole community. The walk below tries every
console route and every API action as the leader of branch West on branch East's rows: nothing
is read (no codes, phone numbers or names of East's members), nothing changes, and what is out
of scope answers 404, as another community's rows do.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from communities import services as community_services
from communities.models import Community, Invite, JoinRequest, Membership
from communities.permissions import (
    check_in_scope,
    members_in_scope,
    orders_in_scope,
    pickup_points_in_scope,
    rounds_in_scope,
    rounds_in_view,
)
from core.exceptions import Forbidden, NotFound, ValidationFailed
from core.models import AuditLog
from orders import services
from orders.models import Commission, GroupBuy, Order, PickupPoint, Team
from tests.api import ERROR_KEYS, url
from payments.models import Payment, WalletEntry
from tests.branches import fresh, make_branch, pay
from tests.catalog.factories import CategoryFactory, SupplierFactory
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

EAST_SECRET = "east-secret"  # in the names of East's buyer, rounds and delivery address


def _round(actor, title, points=(), *, closes_in=timedelta(days=10), publish=True, **kwargs):
    product = ProductFactory(community=actor.community)
    return services.group_buy_create(
        actor=actor, title=title, opens_at=timezone.now() - timedelta(minutes=1),
        closes_at=timezone.now() + closes_in, pickup_point_ids=[p.pk for p in points], publish=publish,
        items=[services.ItemSpec(product_id=product.pk, group_price=Decimal("10.00"), quantity_on_offer=100)],
        **kwargs)


def _order(buyer, group_buy, point=None, key="k", **kwargs):
    if point is not None:
        kwargs.update(pickup_point_id=point.pk)
    return services.order_place(member=buyer, group_buy=group_buy, lines=[(group_buy.items.get().pk, 1)],
                                idempotency_key=key, **kwargs)[0]


@pytest.fixture
def world():
    """One community, branches East and West, each with a leader, a buyer and a pickup point.

    East has: an owner's round aimed at East (succeeded, an order confirmed), a whole-community
    round (an East order ready at East's point, one delivered-on-the-way, one completed; a West
    order ready at West's point), East's leader's own open round and draft, the owner's draft
    aimed at East, an owner's team round aimed at East with a forming team, an invite of East's
    leader.
    """
    community = CommunityFactory(name="Sunny Garden")
    owner = fresh(MembershipFactory(community=community, role="owner", user=UserFactory(display_name="Owner")))
    admin = fresh(MembershipFactory(community=community, role="admin", user=UserFactory(display_name="Admin")))
    east_lead = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="East lead"))
    west_lead = MembershipFactory(community=community, role="leader", user=UserFactory(display_name="West lead"))
    east_buyer = MembershipFactory(community=community, user=UserFactory(display_name="east-secret-buyer",
                                                                         phone="13912340001"))
    west_buyer = MembershipFactory(community=community, user=UserFactory(display_name="West buyer",
                                                                         phone="13912340002"))
    east_point = services.pickup_point_save(actor=owner, name="East gate", address="East road 1")
    west_point = services.pickup_point_save(actor=owner, name="West gate", address="West road 9")
    east = make_branch(owner, "East", leader=east_lead, members=[east_buyer], points=[east_point])
    west = make_branch(owner, "West", leader=west_lead, members=[west_buyer], points=[west_point])
    east_lead, west_lead, east_buyer, west_buyer = map(fresh, (east_lead, west_lead, east_buyer, west_buyer))

    soon = timedelta(hours=1)
    aimed_east = _round(owner, "east-secret-owner-round", [east_point], branch_ids=[east.pk], closes_in=soon,
                        commission_rate=Decimal("0.05"))
    whole = _round(owner, "Whole community round", [east_point, west_point], closes_in=soon,
                   allows_delivery=True, commission_rate=Decimal("0.05"))
    confirmed = _order(east_buyer, aimed_east, east_point, key="e1")
    east_ready = _order(east_buyer, whole, east_point, key="e2")
    east_done = _order(east_buyer, whole, east_point, key="e3")
    east_shipped = _order(east_buyer, whole, key="e4", fulfilment="delivery",
                          delivery_address="east-secret-address")
    west_ready = _order(west_buyer, whole, west_point, key="w1")
    pay(admin, confirmed, east_ready, east_done, east_shipped, west_ready)
    services.group_buy_close_due(now=timezone.now() + soon + timedelta(minutes=1))
    services.group_buy_mark_arrived(actor=owner, group_buy=whole)
    services.order_ship(actor=admin, order=east_shipped)
    east_done = services.order_complete(actor=east_lead, order=east_done, code=east_done.pickup_code)

    east_own = _round(east_lead, "east-secret-leader-round", [east_point])
    east_pending = _order(east_buyer, east_own, east_point, key="e5")
    east_draft = _round(east_lead, "east-secret-draft", [east_point], publish=False)
    owner_draft = _round(owner, "east-secret-owner-draft", [east_point], branch_ids=[east.pk], publish=False)
    team_round = _round(owner, "east-secret-team-round", [east_point], branch_ids=[east.pk], mode="team",
                        team_size=3)
    teamed = _order(east_buyer, team_round, east_point, key="e6", open_team=True)
    invite = community_services.invite_create(actor=east_lead, label="east-secret-invite")
    request = community_services.join_request_create(user=UserFactory(), community=community, message="hello")

    east_orders = [Order.objects.get(pk=o.pk) for o in (confirmed, east_ready, east_done, east_shipped,
                                                         east_pending, teamed)]
    from orders import coupons

    # Coupons are the admins' (the whole community's): a leader of any branch reads or changes none.
    coupon = coupons.coupon_save(actor=owner, code="OWNERS", name="Owner's coupon", kind="amount",
                                 amount_off=Decimal("5"), starts_at=timezone.now() - timedelta(hours=1),
                                 ends_at=timezone.now() + timedelta(days=3))
    return {
        "coupon": coupon,
        "community": community, "owner": owner, "admin": admin, "east": east, "west": west,
        "east_lead": east_lead, "west_lead": west_lead, "east_buyer": east_buyer, "west_buyer": west_buyer,
        "east_point": east_point, "west_point": west_point, "aimed_east": aimed_east, "whole": whole,
        "east_own": east_own, "east_draft": east_draft, "owner_draft": owner_draft, "team_round": team_round,
        "team": teamed.team, "invite": invite, "request": request, "east_orders": east_orders,
        "east_ready": Order.objects.get(pk=east_ready.pk), "west_ready": Order.objects.get(pk=west_ready.pk),
        "east_shipped": Order.objects.get(pk=east_shipped.pk), "confirmed": Order.objects.get(pk=confirmed.pk),
        "east_pending": east_pending,
    }


def east_rounds(world):
    return [world[k] for k in ("aimed_east", "east_own", "east_draft", "owner_draft", "team_round")]


def snapshot(community):
    return (
        sorted(GroupBuy.objects.filter(community=community).values_list(
            "id", "status", "title", "arrived_at", "commission_rate", "created_by_id")),
        sorted(GroupBuy.branches.through.objects.filter(groupbuy__community=community)
               .values_list("groupbuy_id", "community_id")),
        sorted(Order.objects.filter(community=community).values_list(
            "id", "status", "charge__paid_amount", "charge__refunded_amount", "completed_at", "branch_id")),
        sorted(Payment.objects.filter(community_id=community.pk).values_list("id", "status")),
        sorted(PickupPoint.objects.filter(community=community).values_list(
            "id", "name", "address", "branch_id", "leader_id", "is_active")),
        sorted(Membership.objects.filter(community=community).values_list("id", "role", "status", "branch_id")),
        sorted(Invite.objects.filter(community=community).values_list("id", "revoked_at", "branch_id")),
        sorted(Community.objects.filter(parent=community).values_list("id", "name", "leader_id")),
        list(Community.objects.filter(pk=community.pk).values_list(
            "name", "rules", "join_policy", "cover", "payment_qr", "payment_instructions", "payment_window_minutes")),
        sorted(JoinRequest.objects.filter(community=community).values_list("id", "status")),
        sorted(Team.objects.filter(community=community).values_list("id", "status", "member_count")),
        Commission.objects.filter(community=community).count(),
        WalletEntry.objects.filter(community_id=community.pk).count(),
        AuditLog.objects.filter(community=community).count(),
    )


# The permission module ---------------------------------------------------------------------------

def test_scope_helpers_narrow_to_the_leaders_branch_and_own_rounds(world):
    community, east_lead, west_lead = world["community"], world["east_lead"], world["west_lead"]
    east_order_ids = {o.pk for o in world["east_orders"]}

    assert set(orders_in_scope(east_lead, community.orders).values_list("pk", flat=True)) == east_order_ids
    assert set(orders_in_scope(west_lead, community.orders).values_list("pk", flat=True)) == {world["west_ready"].pk}
    assert set(orders_in_scope(world["admin"], community.orders).values_list("pk", flat=True)) == \
        east_order_ids | {world["west_ready"].pk}
    assert list(pickup_points_in_scope(west_lead, community.pickup_points)) == [world["west_point"]]
    assert set(members_in_scope(west_lead, community.memberships)) == {west_lead, world["west_buyer"]}
    assert set(rounds_in_scope(east_lead, community.group_buys)) == {world["east_own"], world["east_draft"]}
    assert set(rounds_in_view(west_lead, community.group_buys)) == {world["whole"]}
    assert set(rounds_in_view(east_lead, community.group_buys)) == {world["whole"], *east_rounds(world)}
    # Counting orders per round is not multiplied by the branches a round is aimed at.
    counted = rounds_in_view(east_lead, community.group_buys.filter(pk=world["aimed_east"].pk)).count()
    assert counted == 1

    for obj, narrow in ((world["east_ready"], orders_in_scope), (world["east_point"], pickup_points_in_scope),
                        (world["east_buyer"], members_in_scope), (world["aimed_east"], rounds_in_view),
                        (world["east_own"], rounds_in_scope)):
        with pytest.raises(NotFound):
            check_in_scope(west_lead, obj, narrow)
        check_in_scope(world["admin"], obj, narrow)
    check_in_scope(east_lead, world["east_ready"], orders_in_scope)
    with pytest.raises(NotFound):  # the owner's round aimed at East is East's to see, not to change
        check_in_scope(east_lead, world["aimed_east"], rounds_in_scope)

    # A leader without a branch acts on nothing branch-scoped.
    loose = fresh(MembershipFactory(community=community, role="leader"))
    assert not orders_in_scope(loose, community.orders).exists()
    assert not pickup_points_in_scope(loose, community.pickup_points).exists()
    assert not members_in_scope(loose, community.memberships).exists()
    assert set(rounds_in_view(loose, community.group_buys)) == {world["whole"]}


def test_services_refuse_a_leader_out_of_their_branch(world):
    west_lead, east_lead = world["west_lead"], world["east_lead"]
    before = snapshot(world["community"])
    ready, point = world["east_ready"], world["east_point"]

    with pytest.raises(NotFound):
        services.order_complete(actor=west_lead, order=ready, code=ready.pickup_code)
    with pytest.raises(NotFound):  # East's code at West's desk reads as a wrong code
        services.pickup_find(actor=west_lead, code=ready.pickup_code)
    with pytest.raises(NotFound):
        services.group_buy_mark_arrived(actor=west_lead, group_buy=world["aimed_east"])
    with pytest.raises(NotFound):
        services.group_buy_mark_arrived(actor=west_lead, group_buy=world["whole"], pickup_point=point)
    for group_buy in (world["east_own"], world["aimed_east"]):
        with pytest.raises(NotFound):
            services.group_buy_cancel(actor=west_lead, group_buy=group_buy)
    with pytest.raises(NotFound):
        services.group_buy_cancel(actor=east_lead, group_buy=world["aimed_east"])  # the owner's, not theirs
    for group_buy in (world["east_draft"], world["owner_draft"]):
        with pytest.raises(NotFound):
            services.group_buy_publish(actor=west_lead, group_buy=group_buy)
    with pytest.raises(NotFound):
        services.group_buy_publish(actor=east_lead, group_buy=world["owner_draft"])
    with pytest.raises(NotFound):
        services.pickup_point_save(actor=west_lead, pickup_point=point, name="pwned", address="pwned")
    with pytest.raises(ValidationFailed) as refused:
        services.pickup_point_save(actor=west_lead, name="West annex", address="x", branch=world["east"])
    assert "branch" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        _round(west_lead, "Aimed at East", [world["west_point"]], branch_ids=[world["east"].pk])
    assert "branches" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        _round(west_lead, "At East's gate", [point])
    assert "pickup_points" in refused.value.fields
    with pytest.raises(Forbidden) as refused:
        _round(west_lead, "Rich", [world["west_point"]], commission_rate=Decimal("0.30"))
    assert "commission_rate" in refused.value.fields
    with pytest.raises(ValidationFailed):
        community_services.invite_create(actor=west_lead, branch=world["east"])
    assert snapshot(world["community"]) == before


def test_a_leaders_round_reaches_their_branch_at_the_default_commission_rate(world):
    west_lead = world["west_lead"]
    group_buy = _round(west_lead, "West apples", [world["west_point"]])
    assert group_buy.commission_rate == services.DEFAULT_COMMISSION_RATE == Decimal("0")
    assert list(group_buy.branches.all()) == [world["west"]] and group_buy.created_by == west_lead.user
    explicit_default = _round(west_lead, "West pears", [world["west_point"]], commission_rate=Decimal("0"))
    assert explicit_default.commission_rate == 0
    # An admin sets any rate, and aims at any branch.
    admins = _round(world["admin"], "East pears", [world["east_point"]], branch_ids=[world["east"].pk],
                    commission_rate=Decimal("0.08"))
    assert admins.commission_rate == Decimal("0.08") and list(admins.branches.all()) == [world["east"]]
    # A leader without a branch publishes to the whole community, by delivery (no pickup point is theirs),
    # and keeps no pickup point.
    loose = fresh(MembershipFactory(community=world["community"], role="leader"))
    delivered = _round(loose, "Loose honey", allows_delivery=True)
    assert not delivered.branches.exists() and delivered.commission_rate == 0
    with pytest.raises(Forbidden):
        services.pickup_point_save(actor=loose, name="Loose gate", address="Somewhere")


# The walk: every console route as West's leader, on East's rows ------------------------------------

def console_routes():
    resolver = get_resolver()
    routes = []
    for namespace in ("console", "orders_console"):
        _prefix, sub = resolver.namespace_dict[namespace]
        routes += [(f"{namespace}:{p.name}", p.pattern.converters) for p in sub.url_patterns
                   if isinstance(p, URLPattern)]
    return routes


def route_targets(world, name, converters):
    """Every set of kwargs (besides the slug) naming East's rows that the route takes."""
    short = name.split(":")[1]
    if not set(converters) - {"slug"}:
        return [{}]
    if short == "pickup_sheet":
        return ([{"pk": g.pk, "point_pk": world["east_point"].pk} for g in east_rounds(world)]
                + [{"pk": world["whole"].pk, "point_pk": world["east_point"].pk}])
    if short.startswith(("group_buy", "purchase_sheet")):
        rounds = east_rounds(world)
        if short == "group_buy_arrived":
            rounds = [*rounds, world["whole"]]  # the whole community's round, at East's point (payload)
        return [{"pk": g.pk} for g in rounds]
    if short.startswith(("order_", "pickup_complete")):
        return [{"pk": o.pk} for o in world["east_orders"]]
    if short.startswith("pickup_point"):
        return [{"pk": world["east_point"].pk}]
    if short.startswith("member_"):
        return [{"pk": world["east_buyer"].pk}, {"pk": world["east_lead"].pk}]
    if short.startswith("invite_"):
        return [{"pk": world["invite"].pk}]
    if short == "request_decide":
        return [{"pk": world["request"].pk, "decision": "approve"}]
    if short.startswith("branch_"):
        return [{"pk": world["east"].pk}]
    if short.startswith("coupon"):
        return [{"pk": world["coupon"].pk}]
    raise AssertionError(f"add the East rows of {name} to the walk")


def hostile_payload(world):
    """Form data pointing at East's rows, otherwise valid (a round form that would pass but for them)."""
    east, point, ready = world["east"], world["east_point"], world["east_ready"]
    product = ProductFactory(community=world["community"], name="Walk product")
    return {
        "title": "pwned", "name": "pwned", "address": "pwned", "label": "pwned", "mode": "normal",
        "team_window_hours": "24", "opens_at": "2030-05-01T09:00", "closes_at": "2030-05-03T20:00",
        "success_rule": "none", "commission_rate": "50", "publish": "on", "delivery_fee": "0",
        "branch": east.pk, "branches": [east.pk], "pickup_point": point.pk, "pickup_points": [point.pk],
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50", "items-0-product": product.pk, "items-0-group_price": "1.00",
        "items-0-quantity_on_offer": "5",
        "code": ready.pickup_code, "order": [o.pk for o in world["east_orders"]], "only": ready.pk,
        "member": world["east_buyer"].user_id, "amount": "100", "token": "pwn", "reason": "pwned",
        "role": "admin", "tracking": "x", "leader": world["west_lead"].user_id,
    }


def secrets(world, *, echoed=False):
    """What West's leader must never read. A query echoed back (a search box) may hold the code or phone."""
    found = [EAST_SECRET, world["invite"].code] + [f'data-order="{o.pk}"' for o in world["east_orders"]]
    if not echoed:
        found += [world["east_buyer"].user.phone] + [o.pickup_code for o in world["east_orders"]]
    return found


def assert_nothing_of_east(world, response, *, echoed=False, where=""):
    body = response.content.decode("utf-8-sig", errors="replace")
    leaked = [secret for secret in secrets(world, echoed=echoed) if secret in body]
    assert not leaked, (where, response.status_code, leaked)


def test_west_leader_walks_every_console_route_on_east_and_reads_or_changes_nothing(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    community = world["community"]
    payload = hostile_payload(world)
    query = {"format": "csv", "code": world["east_ready"].pickup_code, "q": world["east_buyer"].user.phone,
             "branch": world["east"].pk, "group_buy": world["aimed_east"].pk, "status": "ready",
             "leader": world["east_lead"].user_id, "member": world["east_buyer"].user_id}
    before = snapshot(community)
    client.force_login(world["west_lead"].user)

    routes = console_routes()
    assert len(routes) >= 33  # the walk covers both consoles
    checked = 0
    for name, converters in routes:
        for kwargs in route_targets(world, name, converters):
            path = reverse(name, kwargs={"slug": community.slug, **kwargs})
            names_east = bool(kwargs)
            plain, searched, posted = client.get(path), client.get(path, query), client.post(path, payload)
            for response, echoed, method in ((plain, False, "get"), (searched, True, "get"), (posted, True, "post")):
                if names_east:
                    allowed = {403, 404, 405}
                else:  # a page of West's own: it may show, a write through it is refused
                    allowed = {200, 403, 405} if method == "get" else {400, 403, 405}
                assert response.status_code in allowed, (name, kwargs, method, response.status_code)
                assert_nothing_of_east(world, response, echoed=echoed, where=(name, kwargs, method))
                checked += 1
    assert checked >= 3 * 45
    # The member pages of East's rounds (a leader may see drafts and other branches' rounds there no more).
    for group_buy in east_rounds(world):
        response = client.get(reverse("orders:group_buy", args=[community.slug, group_buy.pk]))
        assert response.status_code == 404, group_buy.title
    assert snapshot(community) == before


def test_west_leaders_own_pages_list_nothing_of_east(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    community, ready = world["community"], world["east_ready"]
    client.force_login(world["west_lead"].user)

    desk = client.get(reverse("orders_console:pickup", args=[community.slug]), {"code": ready.pickup_code})
    assert desk.status_code == 200 and "No order ready for pickup has this code" in desk.content.decode()
    whole = client.get(reverse("orders_console:group_buy", args=[community.slug, world["whole"].pk]))
    assert whole.status_code == 200
    assert f'data-order="{world["west_ready"].pk}"' in whole.content.decode()
    assert_nothing_of_east(world, whole)
    assert "East gate" not in whole.content.decode()  # no sheet or arrival for East's point
    points = client.get(reverse("orders_console:pickup_points", args=[community.slug]))
    assert "West gate" in points.content.decode() and "East gate" not in points.content.decode()
    members = client.get(reverse("console:members", args=[community.slug]))
    assert "West buyer" in members.content.decode()
    assert_nothing_of_east(world, members)
    rounds = client.get(reverse("orders_console:group_buys", args=[community.slug]))
    assert "Whole community round" in rounds.content.decode()
    assert_nothing_of_east(world, rounds)
    new = client.get(reverse("orders_console:group_buy_new", args=[community.slug]))
    assert 'name="commission_rate"' not in new.content.decode() and "East gate" not in new.content.decode()


# The walk: every API action as West's leader, on East's rows ---------------------------------------

def api_calls(world):
    slug, east, point = world["community"].slug, world["east"], world["east_point"]
    ready, pending, shipped = world["east_ready"], world["east_pending"], world["east_shipped"]
    order_input = {"lines": [{"item": world["aimed_east"].items.get().pk, "quantity": 1}],
                   "pickup_point": point.pk, "fulfilment": "pickup"}
    calls = []
    for group_buy in east_rounds(world):
        calls += [
            ("get", url(slug, "group-buys", group_buy.pk), None),
            ("get", url(slug, "group-buys", group_buy.pk, "progress"), None),
            ("post", url(slug, "group-buys", group_buy.pk, "teams"), order_input),
            ("post", url(slug, "orders"), {"group_buy": group_buy.pk, **order_input}),
            ("post", url(slug, "admin", "group-buys", group_buy.pk, "arrived"), {}),
            ("post", url(slug, "admin", "group-buys", group_buy.pk, "publish"), {}),
            ("get", url(slug, "admin", "group-buys", group_buy.pk), None),
            ("patch", url(slug, "admin", "group-buys", group_buy.pk), {"title": "West's now"}),
            ("post", url(slug, "admin", "group-buys", group_buy.pk, "copy"), {}),
            ("post", url(slug, "admin", "group-buys", group_buy.pk, "cancel"), {"reason": "pwned"}),
            ("get", url(slug, "admin", "group-buys", group_buy.pk, "purchase-sheet"), None),
            ("get", url(slug, "admin", "group-buys", group_buy.pk, "purchase-sheet") + "?format=csv", None),
            ("get", url(slug, "admin", "group-buys", group_buy.pk, "pickup-sheets", point.pk), None),
        ]
    product = world["aimed_east"].items.get().product_id
    new_round = {"title": "pwned", "opens_at": timezone.now().isoformat(),
                 "closes_at": (timezone.now() + timedelta(days=1)).isoformat(),
                 "items": [{"product": product, "group_price": "1.00", "quantity_on_offer": 1}]}
    calls += [
        # West's leader neither aims a round at East nor collects it at East's point.
        ("post", url(slug, "admin", "group-buys"), {**new_round, "pickup_points": [point.pk]}),
        ("post", url(slug, "admin", "group-buys"), {**new_round, "branches": [east.pk], "allows_delivery": True}),
        ("get", url(slug, "admin", "group-buys", world["whole"].pk, "pickup-sheets", point.pk), None),
        ("get", url(slug, "admin", "group-buys", world["whole"].pk, "pickup-sheets", point.pk) + "?format=csv", None),
        ("post", url(slug, "admin", "pickup-points"), {"name": "pwned", "address": "x", "branch": east.pk}),
        ("patch", url(slug, "admin", "pickup-points", point.pk), {"is_active": False}),
        ("patch", url(slug, "admin", "pickup-points", point.pk), {"name": "pwned", "branch": world["west"].pk}),
    ]
    calls += [
        ("post", url(slug, "admin", "group-buys", world["whole"].pk, "arrived"), {"pickup_point": point.pk}),
        ("get", url(slug, "teams", world["team"].code), None),
        ("post", url(slug, "teams", world["team"].code, "join"), order_input),
        ("post", url(slug, "admin", "pickup"), {"code": ready.pickup_code}),
        ("post", url(slug, "admin", "pickup"), {"code": ready.pickup_code, "order": ready.pk}),
        ("post", url(slug, "admin", "orders", "mark-paid"), {"orders": [pending.pk]}),
        ("post", url(slug, "admin", "orders", pending.pk, "decline-transfer"), {}),
        ("get", url(slug, "admin", "transfers"), None),
        ("get", url(slug, "admin", "refunds"), None),
        ("post", url(slug, "admin", "refunds", "paid-back"), {"refunds": [1]}),
        ("post", url(slug, "admin", "wallets", "top-up"), {"member": world["east_buyer"].user_id, "amount": "50"}),
        ("get", url(slug, "admin", "wallets"), None),
        ("get", url(slug, "admin", "wallets", world["east_buyer"].user_id, "entries"), None),
        ("get", url(slug, "admin", "commissions") + "?format=csv", None),
        ("post", url(slug, "admin", "orders", shipped.pk, "deliver"), {}),
        ("post", url(slug, "invites"), {"branch": east.pk, "label": "pwned"}),
        ("post", url(slug, "invites", world["invite"].pk, "revoke"), {}),
        ("post", url(slug, "join-requests", world["request"].pk, "approve"), {}),
        ("post", url(slug, "join-requests", world["request"].pk, "decline"), {}),
        # Running the community is for admins: a leader changes no setting, branch or owner.
        ("patch", url(slug), {"name": "pwned", "join_policy": "open"}),
        ("post", url(slug, "cover"), {}),
        ("delete", url(slug, "cover"), None),
        ("post", url(slug, "payment-qr"), {}),
        ("delete", url(slug, "payment-qr"), None),
        ("post", url(slug, "transfer-ownership"), {"member": world["east_lead"].user_id}),
        ("get", url(slug, "branches"), None),
        ("post", url(slug, "branches"), {"name": "pwned", "leader": world["east_buyer"].user_id}),
        ("patch", url(slug, "branches", east.pk), {"name": "pwned", "leader": world["west_lead"].user_id}),
        ("post", url(slug, "branches", east.pk, "retire"), {"move_to": world["west"].pk}),
        ("post", url(slug, "branches", east.pk, "restore"), {}),
        ("get", url(slug, "settings"), None),
        ("get", url(slug, "audit"), None),
        # East's pending join request is not West's leader's to withdraw; nor is another community theirs to leave.
        ("post", f"/api/v1/join-requests/{world['request'].pk}/withdraw/", {}),
        ("post", url(CommunityFactory().slug, "leave"), {}),
    ]
    # The catalog is the whole community's (leaders manage it everywhere in theirs): the walk tries
    # another community's, by its address and by its ids under this one.
    other = world["other_catalog"]
    for where in (slug, other["slug"]):
        calls += [
            ("get", url(where, "products", other["product"]), None),
            ("patch", url(where, "products", other["product"]), {"name": "pwned"}),
            ("post", url(where, "products", other["product"], "retire"), {}),
            ("post", url(where, "products", other["product"], "restore"), {}),
            ("post", url(where, "products", other["product"], "images"), {}),
            ("delete", url(where, "products", other["product"], "images", 1), None),
            ("patch", url(where, "categories", other["category"]), {"name": "pwned"}),
            ("delete", url(where, "categories", other["category"]), None),
            ("get", url(where, "suppliers", other["supplier"]), None),
            ("patch", url(where, "suppliers", other["supplier"]), {"name": "pwned"}),
            ("delete", url(where, "suppliers", other["supplier"]), None),
        ]
    calls += [
        ("get", url(other["slug"], "products"), None),
        ("post", url(other["slug"], "products"), {"name": "pwned", "unit": "件", "list_price": "1"}),
        ("get", url(other["slug"], "categories"), None),
        ("post", url(other["slug"], "categories"), {"name": "pwned"}),
        ("get", url(other["slug"], "suppliers"), None),
        ("post", url(other["slug"], "suppliers"), {"name": "pwned"}),
    ]
    for order in world["east_orders"]:
        calls += [
            ("get", url(slug, "orders", order.pk), None),
            ("post", url(slug, "orders", order.pk, "cancel"), {}),
            ("post", url(slug, "orders", order.pk, "pay"), {"method": "wallet"}),
            ("post", url(slug, "admin", "orders", order.pk, "refund"), {}),
            ("get", url(slug, "admin", "orders", order.pk), None),
            ("post", url(slug, "admin", "orders", order.pk, "ship"), {"tracking": "x"}),
        ]
    calls.append(("post", url(slug, "admin", "orders", shipped.pk, "refund"), {}))
    for membership in (world["east_buyer"], world["east_lead"]):
        calls += [
            ("patch", url(slug, "members", membership.pk), {"role": "member", "branch": world["west"].pk}),
            ("post", url(slug, "members", membership.pk, "ban"), {"reason": "pwned"}),
            ("post", url(slug, "members", membership.pk, "unban"), {}),
        ]
    coupon = world["coupon"].pk
    calls += [
        ("get", url(slug, "admin", "coupons"), None),
        ("post", url(slug, "admin", "coupons"), {"code": "WEST", "name": "x", "kind": "amount", "amount_off": "5",
                                                 "starts_at": "2026-01-01T00:00:00Z",
                                                 "ends_at": "2030-01-01T00:00:00Z"}),
        ("get", url(slug, "admin", "coupons", coupon), None),
        ("patch", url(slug, "admin", "coupons", coupon), {"name": "West's now"}),
        ("get", url(slug, "admin", "coupons", coupon, "redemptions"), None),
        ("get", url(slug, "admin", "coupons", coupon, "batches"), None),
    ]
    return calls


def api_lists(world):
    """Reads that answer West's leader with West's own rows (or none): East's are never among them."""
    slug, ready = world["community"].slug, world["east_ready"]
    return [
        (url(slug, "group-buys"), {}, GroupBuy),
        (url(slug, "orders"), {}, Order),
        (url(slug, "admin", "orders"), {}, Order),
        (url(slug, "admin", "orders"), {"branch": world["east"].pk}, Order),
        (url(slug, "admin", "orders"), {"member": world["east_buyer"].user_id}, Order),
        (url(slug, "admin", "orders"), {"pickup_point": world["east_point"].pk, "paid": "true"}, Order),
        (url(slug, "members"), {}, Membership),
        (url(slug, "members"), {"branch": world["east"].pk}, Membership),
        (url(slug, "members"), {"q": world["east_buyer"].user.phone}, Membership),
        (url(slug, "invites"), {}, Invite),
        (url(slug, "admin", "pickup-points"), {}, PickupPoint),
        (url(slug, "admin", "pickup-points"), {"branch": world["east"].pk}, PickupPoint),
    ]


def api_routes():
    from catalog.api import urls as catalog_urls
    from communities.api import urls as community_urls
    from orders.api import urls as order_urls

    def names(patterns):
        for p in patterns:
            if hasattr(p, "url_patterns"):  # an include()
                yield from names(p.url_patterns)
            else:
                yield p.name

    return set(names([*community_urls.urlpatterns, *order_urls.urlpatterns, *catalog_urls.urlpatterns]))


def test_west_leader_walks_every_api_action_on_east_and_reads_or_changes_nothing(api_as, world):
    community = world["community"]
    client = api_as(world["west_lead"].user)
    elsewhere = CommunityFactory()
    product = ProductFactory(community=elsewhere)
    world["other_catalog"] = {"slug": elsewhere.slug, "product": product.pk,
                              "category": CategoryFactory(community=elsewhere).pk,
                              "supplier": SupplierFactory(community=elsewhere).pk}
    other_before = catalog_snapshot(elsewhere)
    before = snapshot(community)
    # A new endpoint must join the walk: these are the ones it covers.
    assert api_routes() == {
        "api-communities", "api-community", "api-members", "api-member", "api-member-ban", "api-member-unban",
        "api-invites", "api-invite-revoke", "api-join-requests", "api-join-request-approve",
        "api-join-request-decline", "api-join", "api-group-buys", "api-group-buy", "api-group-buy-progress",
        "api-team-open", "api-team", "api-team-join", "api-orders", "api-order", "api-order-cancel",
        "api-order-pay", "api-wallet", "api-wallet-entries", "api-admin-mark-paid", "api-admin-refund",
        "api-admin-arrived", "api-admin-pickup", "api-admin-top-up", "api-admin-decline-transfer",
        "api-admin-transfers", "api-admin-refunds", "api-admin-refunds-paid-back", "api-admin-orders",
        "api-admin-order", "api-admin-ship", "api-admin-deliver", "api-admin-wallets", "api-admin-wallet-entries",
        "api-admin-commissions", "api-community-cover", "api-community-payment-qr",
        "api-community-transfer-ownership", "api-branches", "api-branch", "api-branch-retire", "api-branch-restore",
        "api-community-settings", "api-audit", "api-community-leave",
        "api-my-join-requests", "api-join-request-withdraw", "api-products", "api-product", "api-product-retire",
        "api-product-restore", "api-product-images", "api-product-image", "api-categories", "api-category",
        "api-suppliers", "api-supplier", "api-admin-group-buys", "api-admin-group-buy", "api-admin-group-buy-copy",
        "api-admin-group-buy-publish",
        "api-admin-group-buy-cancel", "api-admin-purchase-sheet", "api-admin-pickup-sheet",
        "api-admin-pickup-points", "api-admin-pickup-point", "api-admin-coupons", "api-admin-coupon",
        "api-admin-coupon-redemptions", "api-admin-coupon-batches", "api-my-coupons", "api-coupon-quote"}

    for method, path, body in api_calls(world):
        kwargs = {"format": "json", "HTTP_IDEMPOTENCY_KEY": "walk"}
        response = client.get(path) if method == "get" else getattr(client, method)(path, body, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.content)
        assert set(response.json()) == ERROR_KEYS
        assert_nothing_of_east(world, response, echoed=True, where=(method, path))

    east_ids = {
        GroupBuy: {g.pk for g in east_rounds(world)},
        Order: {o.pk for o in world["east_orders"]},
        Membership: set(Membership.objects.filter(branch=world["east"]).values_list("pk", flat=True)),
        Invite: {world["invite"].pk},
        PickupPoint: {world["east_point"].pk},
    }
    # East's pickup code at West's desk: a wrong code, nothing of East's order in the answer.
    wrong = client.get(url(community.slug, "admin", "pickup"), {"code": world["east_ready"].pickup_code})
    assert wrong.status_code == 404 and wrong.json()["code"] == "pickup_not_found"
    assert_nothing_of_east(world, wrong, echoed=True, where="admin/pickup")
    for path, params, model in api_lists(world):
        response = client.get(path, params)
        assert response.status_code == 200, (path, response.content)
        ids = {row["id"] for row in response.json()["results"]}
        assert not ids & east_ids[model], (path, params)
        assert_nothing_of_east(world, response, echoed=True, where=path)
    for path in (url(community.slug), url(community.slug, "wallet"), url(community.slug, "wallet", "entries"),
                 url(community.slug, "admin", "commissions"),
                 url(community.slug, "admin", "commissions") + f"?leader={world['east_lead'].user_id}",
                 "/api/v1/communities/", "/api/v1/join-requests/"):
        response = client.get(path)
        assert response.status_code == 200
        assert_nothing_of_east(world, response, where=path)
    # East's invite code (were it known) joins a member nobody: already a member, nothing moves.
    joined = client.post("/api/v1/join/", {"code": world["invite"].code}, format="json")
    assert joined.status_code == 200 and joined.json()["branch"]["id"] == world["west"].pk
    assert snapshot(community) == before
    assert catalog_snapshot(elsewhere) == other_before


def catalog_snapshot(community):
    return (sorted(community.products.values_list("id", "name", "is_active", "category_id", "supplier_id")),
            sorted(community.categories.values_list("id", "name", "position")),
            sorted(community.suppliers.values_list("id", "name")),
            AuditLog.objects.filter(community=community).count())


# East's leader on East's own rows; owners and admins on every branch --------------------------------

def test_east_leader_runs_their_branch_in_the_console(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    community, ready, point = world["community"], world["east_ready"], world["east_point"]
    client.force_login(world["east_lead"].user)

    def page(name, *args, **params):
        return client.get(reverse(f"orders_console:{name}", args=[community.slug, *args]), params)

    # The pickup sheet of East's point, with codes and phone numbers; not West's point.
    sheet = page("pickup_sheet", world["whole"].pk, point.pk)
    assert sheet.status_code == 200 and ready.pickup_code in sheet.content.decode()
    csv = page("pickup_sheet", world["whole"].pk, point.pk, format="csv").content.decode("utf-8-sig")
    assert world["east_buyer"].user.phone in csv and world["west_buyer"].user.phone not in csv
    assert page("pickup_sheet", world["whole"].pk, world["west_point"].pk).status_code == 404
    assert page("purchase_sheet", world["east_own"].pk).status_code == 200

    # The owner's round aimed at East: East's leader sees its orders and marks the goods arrived, but
    # neither cancels nor publishes it.
    aimed = page("group_buy", world["aimed_east"].pk)
    body = aimed.content.decode()
    assert aimed.status_code == 200 and f'data-order="{world["confirmed"].pk}"' in body
    assert "group_buy_cancel" not in body and "/cancel/" not in body
    cancel = client.post(reverse("orders_console:group_buy_cancel", args=[community.slug, world["aimed_east"].pk]))
    assert cancel.status_code == 404
    arrived = client.post(reverse("orders_console:group_buy_arrived", args=[community.slug, world["aimed_east"].pk]),
                          {"pickup_point": point.pk})
    assert arrived.status_code == 302
    assert Order.objects.get(pk=world["confirmed"].pk).status == Order.Status.READY

    # The whole community's round: East's orders only.
    whole = page("group_buy", world["whole"].pk).content.decode()
    assert f'data-order="{ready.pk}"' in whole and f'data-order="{world["west_ready"].pk}"' not in whole

    # The pickup desk: finds and hands over East's order; West's code finds nothing.
    found = page("pickup", code=ready.pickup_code)
    assert f'data-order="{ready.pk}"' in found.content.decode()
    west_code = page("pickup", code=world["west_ready"].pickup_code).content.decode()
    assert f'data-order="{world["west_ready"].pk}"' not in west_code
    done = client.post(reverse("orders_console:pickup_complete", args=[community.slug, ready.pk]),
                       {"code": ready.pickup_code})
    assert done.status_code == 302 and Order.objects.get(pk=ready.pk).status == Order.Status.COMPLETED
    assert client.post(reverse("orders_console:pickup_complete", args=[community.slug, world["west_ready"].pk]),
                       {"code": world["west_ready"].pickup_code}).status_code == 404

    # East's leader's own rounds: publish the draft, cancel the open one.
    client.post(reverse("orders_console:group_buy_publish", args=[community.slug, world["east_draft"].pk]))
    client.post(reverse("orders_console:group_buy_cancel", args=[community.slug, world["east_own"].pk]))
    world["east_draft"].refresh_from_db()
    world["east_own"].refresh_from_db()
    assert world["east_draft"].status == GroupBuy.Status.OPEN
    assert world["east_own"].status == GroupBuy.Status.CANCELLED

    # Pickup points: East's listed and edited; a new one belongs to East.
    points = page("pickup_points").content.decode()
    assert "East gate" in points and "West gate" not in points
    edited = client.post(reverse("orders_console:pickup_point_edit", args=[community.slug, point.pk]),
                         {"name": "East gate", "address": "East road 2", "is_active": "on",
                          "branch": world["east"].pk})
    assert edited.status_code == 302 and PickupPoint.objects.get(pk=point.pk).address == "East road 2"
    created = client.post(reverse("orders_console:pickup_points", args=[community.slug]),
                          {"name": "East annex", "address": "East road 5", "is_active": "on"})
    assert created.status_code == 302
    assert PickupPoint.objects.get(community=community, name="East annex").branch == world["east"]

    # Members: East's, not West's.
    members = client.get(reverse("console:members", args=[community.slug])).content.decode()
    assert "east-secret-buyer" in members and "West buyer" not in members

    # A new round: no commission field; a rate posted anyway is ignored; it reaches East at East's points.
    form = page("group_buy_new").content.decode()
    assert 'name="commission_rate"' not in form and "West gate" not in form
    product = ProductFactory(community=community)
    new = client.post(reverse("orders_console:group_buy_new", args=[community.slug]), {
        "title": "East cherries", "mode": "normal", "team_window_hours": "24", "opens_at": "2030-05-01T09:00",
        "closes_at": "2030-05-03T20:00", "success_rule": "none", "commission_rate": "50", "publish": "on",
        "delivery_fee": "0", "pickup_points": [point.pk], "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "50", "items-0-product": product.pk,
        "items-0-group_price": "8.00", "items-0-quantity_on_offer": "20"})
    assert new.status_code == 302, new.content.decode()[:2000]
    cherries = GroupBuy.objects.get(title="East cherries")
    assert cherries.commission_rate == 0 and list(cherries.branches.all()) == [world["east"]]
    assert cherries.created_by == world["east_lead"].user


def test_east_leader_through_the_api(api_as, world):
    slug, ready = world["community"].slug, world["east_ready"]
    client = api_as(world["east_lead"].user)

    arrived = client.post(url(slug, "admin", "group-buys", world["aimed_east"].pk, "arrived"),
                          {"pickup_point": world["east_point"].pk}, format="json")
    assert arrived.status_code == 200 and arrived.json() == {"ready": 1}
    found = client.get(url(slug, "admin", "pickup"), {"code": ready.pickup_code}).json()["results"]
    assert ready.pk in [o["id"] for o in found]
    handed = client.post(url(slug, "admin", "pickup"), {"code": ready.pickup_code, "order": ready.pk}, format="json")
    assert handed.status_code == 200 and handed.json()["status"] == "completed"
    members = client.get(url(slug, "members")).json()["results"]
    assert {m["id"] for m in members} == {world["east_lead"].pk, world["east_buyer"].pk}
    assert client.get(url(slug, "group-buys", world["aimed_east"].pk)).status_code == 200
    west_code = client.get(url(slug, "admin", "pickup"), {"code": world["west_ready"].pickup_code})
    assert west_code.status_code == 404 and west_code.json()["code"] == "pickup_not_found"


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_act_on_every_branch(client, api_as, world, role):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    community, actor = world["community"], world[role]
    client.force_login(actor.user)

    members = client.get(reverse("console:members", args=[community.slug])).content.decode()
    assert "east-secret-buyer" in members and "West buyer" in members
    whole = client.get(reverse("orders_console:group_buy", args=[community.slug, world["whole"].pk])).content.decode()
    assert f'data-order="{world["east_ready"].pk}"' in whole and f'data-order="{world["west_ready"].pk}"' in whole
    points = client.get(reverse("orders_console:pickup_points", args=[community.slug])).content.decode()
    assert "East gate" in points and "West gate" in points
    for point in (world["east_point"], world["west_point"]):
        sheet = client.get(reverse("orders_console:pickup_sheet", args=[community.slug, world["whole"].pk, point.pk]))
        assert sheet.status_code == 200
    # Hand over an order of each branch, through the page and the API.
    east, west = world["east_ready"], world["west_ready"]
    client.post(reverse("orders_console:pickup_complete", args=[community.slug, east.pk]), {"code": east.pickup_code})
    handed = api_as(actor.user).post(url(community.slug, "admin", "pickup"),
                                     {"code": west.pickup_code, "order": west.pk}, format="json")
    assert handed.status_code == 200
    assert set(Order.objects.filter(pk__in=[east.pk, west.pk]).values_list("status", flat=True)) == {"completed"}
    # East's leader's round and the owner's round aimed at East: both theirs to cancel or publish.
    client.post(reverse("orders_console:group_buy_cancel", args=[community.slug, world["east_own"].pk]))
    client.post(reverse("orders_console:group_buy_publish", args=[community.slug, world["owner_draft"].pk]))
    world["east_own"].refresh_from_db()
    world["owner_draft"].refresh_from_db()
    assert world["east_own"].status == GroupBuy.Status.CANCELLED
    assert world["owner_draft"].status == GroupBuy.Status.OPEN
    # And they edit East's pickup point, setting its branch as they see fit.
    edited = client.post(reverse("orders_console:pickup_point_edit", args=[community.slug, world["east_point"].pk]),
                         {"name": "East gate", "address": "East road 3", "is_active": "on",
                          "branch": world["west"].pk})
    assert edited.status_code == 302
    assert PickupPoint.objects.get(pk=world["east_point"].pk).branch == world["west"]
