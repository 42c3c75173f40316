"""Changing a round after creating it, and copying it into next week's draft (issues 8 and 9).

A draft changes in everything; a published round may grow (later closing, more items and units,
better tiers, fixed texts) but never in a way that hurts buyers who already ordered; a closed one
keeps all but its texts and pickup time. Buyers hear of a new closing or pickup time.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from core.models import AuditLog, Notification
from orders import services
from orders.models import GroupBuy, MemberAllowance, OrderLine, PickupPoint
from orders.services import ItemSpec
from tests.branches import make_branch
from tests.factories import MembershipFactory, ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return MembershipFactory(role="owner")


def member_of(owner):
    return MembershipFactory(community=owner.community)


def specs(group_buy, **changes):
    """The round's items as specs, the first one changed by ``changes``."""
    result = [services._spec_of(item) for item in group_buy.items.prefetch_related("tiers")]
    for name, value in changes.items():
        setattr(result[0], name, value)
    return result


def test_a_draft_changes_in_everything(owner):
    draft = make_group_buy(owner, publish=False, title="Old")
    other = ProductFactory(community=owner.community, name="Pear")
    new_specs = [ItemSpec(product_id=other.pk, group_price=Decimal("9.90"), quantity_on_offer=7,
                          tiers=((5, Decimal("8.80")),))]
    services.group_buy_update(actor=owner, group_buy=draft, title="New", mode="team", team_size=3,
                              success_rule="min_buyers", success_threshold=Decimal("4"), items=new_specs)
    draft.refresh_from_db()
    assert (draft.title, draft.mode, draft.team_size, draft.status) == ("New", "team", 3, "draft")
    [item] = draft.items.all()
    assert (item.product_id, item.group_price, item.quantity_on_offer) == (other.pk, Decimal("9.90"), 7)
    assert [(t.min_quantity, t.price) for t in item.tiers.all()] == [(5, Decimal("8.80"))]
    log = AuditLog.objects.get(action="groupbuy.changed")
    assert log.data["changes"]["title"] == ["Old", "New"]


def test_publishing_a_changed_draft_reserves_the_new_quantities(owner):
    product = ProductFactory(community=owner.community, stock=100)
    draft = make_group_buy(owner, products=[product], offer=10, publish=False)
    services.group_buy_update(actor=owner, group_buy=draft, items=specs(draft, quantity_on_offer=30))
    assert Product.objects.get(pk=product.pk).stock == 100  # a draft reserves nothing
    services.group_buy_publish(actor=owner, group_buy=draft)
    assert Product.objects.get(pk=product.pk).stock == 70


def test_an_open_round_grows_extends_and_buyers_are_told(owner, place):
    product = ProductFactory(community=owner.community, stock=100)
    round_ = make_group_buy(owner, products=[product], offer=10, limit=3)
    buyer = member_of(owner)
    place(buyer, round_, qty=2)
    later = round_.closes_at + timedelta(days=1)
    extra = ProductFactory(community=owner.community, stock=5)
    new = specs(round_, quantity_on_offer=25, per_member_limit=5, tiers=((20, Decimal("18.00")),))
    new.append(ItemSpec(product_id=extra.pk, group_price=Decimal("3"), quantity_on_offer=5))
    services.group_buy_update(actor=owner, group_buy=round_, closes_at=later, description="Sweeter", items=new)
    round_.refresh_from_db()
    assert round_.closes_at == later and round_.description == "Sweeter"
    first, second = round_.items.all()
    assert (first.quantity_on_offer, first.quantity_sold, first.per_member_limit) == (25, 2, 5)
    assert second.is_open and second.quantity_on_offer == 5
    assert Product.objects.get(pk=product.pk).stock == 75 and Product.objects.get(pk=extra.pk).stock == 0
    # the member's allowance follows the raised limit: they may buy 3 more
    assert MemberAllowance.objects.get(item=first, member=buyer.user).limit == 5
    place(buyer, round_, qty=3)
    notice = Notification.objects.get(recipient=buyer.user, kind="group_buy_changed")
    assert round_.title in notice.title


@pytest.mark.parametrize("change, field", [
    ({"closes_at_delta": -1}, "closes_at"),
    ({"success_threshold": Decimal("50")}, "success_threshold"),
    ({"success_rule": "min_buyers"}, "success_rule"),
    ({"mode": "team", "team_size": 2}, "mode"),
])
def test_an_open_round_refuses_what_hurts_buyers(owner, place, change, field):
    round_ = make_group_buy(owner, success_rule="min_quantity", success_threshold=Decimal("10"))
    place(member_of(owner), round_)
    if "closes_at_delta" in change:
        change = {"closes_at": round_.closes_at + timedelta(hours=change["closes_at_delta"])}
    with pytest.raises(Conflict) as caught:
        services.group_buy_update(actor=owner, group_buy=round_, **change)
    assert field in caught.value.fields
    round_.refresh_from_db()
    assert round_.success_threshold == Decimal("10") and round_.mode == "normal"


@pytest.mark.parametrize("item_change", [
    {"group_price": Decimal("19.00")},          # cheaper than earlier buyers paid
    {"tiers": ()},                              # a tier buyers count on removed
    {"tiers": ((10, Decimal("19.50")),)},       # ... or raised
    {"quantity_on_offer": 1},                   # below what is ordered
    {"per_member_limit": 2},                    # a limit lowered under the members' feet
])
def test_an_item_with_orders_keeps_its_promises(owner, place, item_change):
    round_ = make_group_buy(owner, limit=4, tiers=[(10, "18.00")])
    place(member_of(owner), round_, qty=3)
    with pytest.raises(Conflict) as caught:
        services.group_buy_update(actor=owner, group_buy=round_, items=specs(round_, **item_change))
    assert "items.0" in caught.value.fields
    item = round_.items.get()
    assert (item.group_price, item.quantity_on_offer, item.per_member_limit) == (Decimal("20.00"), 100, 4)
    assert [(t.min_quantity, t.price) for t in item.tiers.all()] == [(10, Decimal("18.00"))]


def test_an_item_with_orders_may_get_a_better_tier_and_a_higher_price(owner, place):
    round_ = make_group_buy(owner, tiers=[(10, "18.00")])
    place(member_of(owner), round_, qty=3)
    services.group_buy_update(actor=owner, group_buy=round_, items=specs(
        round_, group_price=Decimal("22.00"), tiers=((5, Decimal("19.00")), (10, Decimal("17.00")))))
    item = round_.items.get()
    assert item.group_price == Decimal("22.00")
    assert [(t.min_quantity, t.price) for t in item.tiers.all()] == [(5, Decimal("19.00")), (10, Decimal("17.00"))]


def test_an_ordered_item_cannot_be_removed_but_an_unordered_one_can(owner, place):
    products = [ProductFactory(community=owner.community, stock=50) for _ in range(2)]
    round_ = make_group_buy(owner, products=products, offer=10)
    first, second = round_.items.all()
    place(member_of(owner), round_, item=first)
    with pytest.raises(Conflict):
        services.group_buy_update(actor=owner, group_buy=round_, items=specs(round_)[1:])
    services.group_buy_update(actor=owner, group_buy=round_, items=specs(round_)[:1])
    assert list(round_.items.values_list("pk", flat=True)) == [first.pk]
    assert Product.objects.get(pk=second.product_id).stock == 50  # its reserved units went back


def test_a_pickup_point_with_orders_stays(owner, place):
    round_ = make_group_buy(owner)
    other = PickupPoint.objects.create(community=owner.community, name="Gate 2", address="B2")
    place(member_of(owner), round_)
    with pytest.raises(Conflict) as caught:
        services.group_buy_update(actor=owner, group_buy=round_, pickup_point_ids=[other.pk])
    assert "pickup_points" in caught.value.fields
    services.group_buy_update(actor=owner, group_buy=round_,
                              pickup_point_ids=[other.pk, round_.pickup_points.get().pk])
    assert round_.pickup_points.count() == 2


def test_a_closed_round_changes_only_its_texts_and_pickup_time(owner, place):
    round_ = make_group_buy(owner)
    buyer = member_of(owner)
    place(buyer, round_)
    GroupBuy.objects.filter(pk=round_.pk).update(status=GroupBuy.Status.SUCCEEDED)
    pickup = timezone.now() + timedelta(days=5)
    services.group_buy_update(actor=owner, group_buy=round_, expected_pickup_at=pickup, description="Delayed a day")
    round_.refresh_from_db()
    assert round_.expected_pickup_at == pickup
    assert Notification.objects.filter(recipient=buyer.user, kind="group_buy_changed").count() == 1
    with pytest.raises(Conflict) as caught:
        services.group_buy_update(actor=owner, group_buy=round_, closes_at=round_.closes_at + timedelta(days=1))
    assert caught.value.code == "round_closed"


def test_bad_values_are_field_errors_and_change_nothing(owner):
    round_ = make_group_buy(owner, publish=False)
    with pytest.raises(ValidationFailed) as caught:
        services.group_buy_update(actor=owner, group_buy=round_, title="  ", closes_at=round_.opens_at,
                                  items=specs(round_, group_price=Decimal("-1")))
    assert {"title", "closes_at", "items.0"} <= set(caught.value.fields)
    round_.refresh_from_db()
    assert round_.title == "Sunday fruit"


def test_an_item_of_another_round_is_not_an_item_of_this_one(owner):
    round_ = make_group_buy(owner, publish=False)
    other = make_group_buy(owner, publish=False, title="Other")
    foreign = specs(other)
    with pytest.raises(ValidationFailed) as caught:
        services.group_buy_update(actor=owner, group_buy=round_, items=foreign)
    assert "items.0" in caught.value.fields
    assert other.items.get().group_buy_id == other.pk


def test_only_a_rounds_own_leader_or_an_admin_changes_it(owner):
    east_leader = MembershipFactory(community=owner.community, role="leader")
    west_leader = MembershipFactory(community=owner.community, role="leader")
    east = make_branch(owner, "East", leader=east_leader)
    make_branch(owner, "West", leader=west_leader)
    point = PickupPoint.objects.create(community=owner.community, name="East gate", address="E", branch=east)
    round_ = make_group_buy(east_leader, point=point)
    for outsider in (west_leader, MembershipFactory(community=owner.community), MembershipFactory(role="owner")):
        with pytest.raises((NotFound, Forbidden)):
            services.group_buy_update(actor=outsider, group_buy=round_, title="Mine now")
    services.group_buy_update(actor=east_leader, group_buy=round_, title="Ours")
    with pytest.raises(Forbidden):
        services.group_buy_update(actor=east_leader, group_buy=round_, commission_rate=Decimal("0.1"))
    services.group_buy_update(actor=owner, group_buy=round_, commission_rate=Decimal("0.1"))
    services.group_buy_update(actor=east_leader, group_buy=round_, title="Still ours")  # the admin's rate stays
    round_.refresh_from_db()
    assert (round_.title, round_.commission_rate) == ("Still ours", Decimal("0.1"))


def test_copy_makes_next_weeks_draft(owner, place):
    now = timezone.now()
    retired = ProductFactory(community=owner.community, name="Old stock")
    kept = ProductFactory(community=owner.community, name="Mango")
    source = make_group_buy(owner, products=[kept, retired], tiers=[(10, "18.00")], limit=2)
    GroupBuy.objects.filter(pk=source.pk).update(  # last-but-one week's round, long closed
        opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=8), status=GroupBuy.Status.FULFILLED)
    source.refresh_from_db()
    Product.objects.filter(pk=retired.pk).update(is_active=False)
    copy = services.group_buy_copy(actor=owner, group_buy=source, now=now)
    assert copy.pk != source.pk and copy.status == GroupBuy.Status.DRAFT and copy.title == source.title
    assert copy.opens_at == source.opens_at + timedelta(weeks=2) and copy.opens_at > now
    assert copy.closes_at - copy.opens_at == source.closes_at - source.opens_at
    [item] = copy.items.all()
    assert (item.product_id, item.per_member_limit, item.quantity_sold) == (kept.pk, 2, 0)
    assert [(t.min_quantity, t.price) for t in item.tiers.all()] == [(10, Decimal("18.00"))]
    assert list(copy.pickup_points.all()) == list(source.pickup_points.all())
    assert AuditLog.objects.filter(action="groupbuy.copied", data__source=source.pk).exists()


def test_nothing_on_sale_nothing_to_copy(owner):
    source = make_group_buy(owner)
    Product.objects.filter(community=owner.community).update(is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        services.group_buy_copy(actor=owner, group_buy=source)
    assert caught.value.code == "nothing_to_copy"
    assert GroupBuy.objects.filter(community=owner.community).count() == 1


def test_an_order_priced_before_a_price_change_is_refused_not_charged_the_old_price(owner):
    """The API reads the round once and places the order with those items (the flash-sale path): an
    admin lowering the price in between (allowed: nobody had ordered) must not leave this buyer
    paying more than everyone after."""
    round_ = make_group_buy(owner, price="20.00")
    stale = list(round_.items.select_related("product"))  # read by the order's request
    services.group_buy_update(actor=owner, group_buy=round_, items=specs(round_, group_price=Decimal("19.00")))
    buyer = member_of(owner)
    with pytest.raises(Conflict) as caught:
        services.order_place(member=buyer, group_buy=round_, lines=[(stale[0].pk, 1)], idempotency_key="k1",
                             pickup_point_id=round_.pickup_points.get().pk, items=stale)
    assert caught.value.code == "price_changed"
    assert round_.items.get().quantity_sold == 0
    order, _created = services.order_place(member=buyer, group_buy=round_, lines=[(stale[0].pk, 1)],
                                           idempotency_key="k2", pickup_point_id=round_.pickup_points.get().pk)
    assert order.lines.get().unit_price == Decimal("19.00")


@pytest.mark.django_db(transaction=True)
def test_a_price_cut_racing_orders_never_leaves_a_buyer_above_the_new_price():
    """Real threads: orders and a price cut at once, again and again. Either the cut came first (every
    order at the new price) or an order came first (the cut is refused): never a buyer at the old
    price once the new one is accepted."""
    from tests.concurrency import run_at_once

    owner = MembershipFactory(role="owner")
    buyers = [MembershipFactory(community=owner.community) for _ in range(3)]
    for attempt in range(6):
        round_ = make_group_buy(owner, price="20.00", title=f"Race {attempt}")
        item = round_.items.select_related("product").get()
        point = round_.pickup_points.first().pk

        def work(i):
            if i == 0:
                return services.group_buy_update(actor=owner, group_buy=round_,
                                                 items=specs(round_, group_price=Decimal("19.00")))
            return services.order_place(member=buyers[i - 1], group_buy=round_, lines=[(item.pk, 1)],
                                        idempotency_key=f"r{attempt}-{i}", pickup_point_id=point, items=[item])

        results = run_at_once(4, work)
        for result in results:
            assert not isinstance(result, Exception) or isinstance(result, Conflict), result
        final_price = GroupBuy.objects.get(pk=round_.pk).items.get().group_price
        prices = set(OrderLine.objects.filter(order__group_buy=round_).values_list("unit_price", flat=True))
        assert prices <= {final_price}, (final_price, prices)
