"""Whoever stops being a leader stops leading their branch: demoted, banned, or gone of their own accord."""

from datetime import timedelta
from decimal import Decimal

import pytest

from communities import services
from communities.models import Membership, Role
from orders import services as order_services
from orders.models import Commission, PickupPoint
from tests.branches import fresh, make_branch, pay
from tests.factories import MembershipFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def east(owner, member):
    lead = fresh(MembershipFactory(community=owner.community, role=Role.LEADER,
                                   user=UserFactory(display_name="East lead")))
    point = PickupPoint.objects.create(community=owner.community, name="East gate", address="East road 1")
    branch = make_branch(owner, "East", leader=lead, members=[member], points=[point])
    return {"branch": branch, "lead": lead, "point": point}


def _completed_order(owner, admin_member, member, point):
    """An East member's order in a round at 5% commission, paid, arrived and handed over by an admin."""
    group_buy = make_group_buy(owner, price="100.00", point=point, commission_rate=Decimal("0.05"))
    order, _created = order_services.order_place(member=fresh(member), group_buy=group_buy,
                                                 lines=[(group_buy.items.get().pk, 1)], idempotency_key="east-1",
                                                 pickup_point_id=point.pk)
    pay(admin_member, order)
    order_services.group_buy_close_due(now=group_buy.closes_at + timedelta(seconds=1))
    order_services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    order.refresh_from_db()
    return order_services.order_complete(actor=admin_member, order=order, code=order.pickup_code)


def test_a_leader_who_leaves_no_longer_leads_their_branch_nor_earns_its_commission(owner, admin_member, member,
                                                                                  east):
    services.membership_leave(user=east["lead"].user, community=owner.community)

    east["branch"].refresh_from_db()
    assert east["branch"].leader is None
    left = Membership.objects.get(pk=east["lead"].pk)
    assert (left.status, left.role) == (Membership.Status.LEFT, Role.MEMBER)
    order = _completed_order(owner, admin_member, member, east["point"])
    assert not Commission.objects.filter(order=order).exists()


def test_the_branch_leader_earns_the_commission_while_leading(owner, admin_member, member, east):
    order = _completed_order(owner, admin_member, member, east["point"])
    assert Commission.objects.get(order=order).leader == east["lead"].user


@pytest.mark.parametrize("how", ["demoted", "banned"])
def test_demotion_and_ban_clear_the_lead_too(owner, east, how):
    if how == "demoted":
        services.membership_change_role(actor=owner, membership=east["lead"], role=Role.MEMBER)
    else:
        services.membership_ban(actor=owner, membership=east["lead"], reason="gone")
    east["branch"].refresh_from_db()
    assert east["branch"].leader is None


def test_leaving_leaves_other_branches_and_communities_as_they_are(owner, east):
    other = fresh(MembershipFactory(community=owner.community, role=Role.LEADER))
    west = make_branch(owner, "West", leader=other)
    services.membership_leave(user=east["lead"].user, community=owner.community)
    west.refresh_from_db()
    assert west.leader == other.user
