"""Two desks scan the same QR at the same moment: one hands the order over, the other is told it was
already picked up and by whom; one audit row."""

from datetime import timedelta

import pytest

from communities.models import Membership, Role
from core.exceptions import Conflict
from core.models import AuditLog
from orders import services
from orders.models import Order
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)


def fresh(community, role, name):
    created = MembershipFactory(community=community, role=role, user=UserFactory(display_name=name))
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


def test_two_desks_scanning_one_code_hand_it_over_once():
    community = CommunityFactory()
    owner, admin = fresh(community, Role.OWNER, "Desk A"), fresh(community, Role.ADMIN, "Desk B")
    buyer = fresh(community, Role.MEMBER, "Buyer")
    group_buy = make_group_buy(owner)
    order, _created = services.order_place(member=buyer, group_buy=group_buy, lines=[(group_buy.items.get().pk, 1)],
                                           idempotency_key="race", pickup_point_id=group_buy.pickup_points.get().pk)
    services.payments_mark_received(actor=owner, orders=[order])
    services.group_buy_close_due(now=group_buy.closes_at + timedelta(seconds=1))
    services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    code = services.pickup_qr_code(order)
    desks = [owner, admin]

    def scan(i):
        found = services.pickup_find(actor=desks[i], code=code)
        return services.order_complete(actor=desks[i], order=found[0], code=code)

    results = run_at_once(2, scan)
    done = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(done) == 1 and len(refused) == 1, results
    assert refused[0].code == "already_picked_up"
    winner = AuditLog.objects.get(action="order.completed", object_id=order.pk)
    assert winner.actor.display_name in refused[0].message
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED
