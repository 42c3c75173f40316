"""One member cannot take two places in a team, even with two taps at once."""

import pytest

from communities.models import Role
from orders import services
from orders.models import GroupBuy, Order
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy


@pytest.mark.django_db(transaction=True)
def test_same_member_joins_team_twice():
    c = CommunityFactory()
    admin = MembershipFactory(community=c, role=Role.OWNER)
    m1 = MembershipFactory(community=c); m2 = MembershipFactory(community=c)
    gb = make_group_buy(admin, price="10.00", mode=GroupBuy.Mode.TEAM, team_size=3)
    item = gb.items.get()
    pp = gb.pickup_points.first().pk
    o1, _ = services.order_place(member=m1, group_buy=gb, lines=[(item.pk, 1)], idempotency_key="k",
                                 pickup_point_id=pp, open_team=True)
    code = o1.team.code
    for attempt in range(5):
        res = run_at_once(2, lambda i: services.order_place(member=m2, group_buy=gb, lines=[(item.pk, 1)],
                                                          idempotency_key=f"a{attempt}-{i}", pickup_point_id=pp,
                                                          team_code=code))
        n = Order.objects.filter(team=o1.team, member_id=m2.user_id, status="pending_payment").count()
        print(attempt, res, n)
        if n == 2:
            break
        Order.objects.filter(team=o1.team, member_id=m2.user_id).update(status="cancelled")
        o1.team.__class__.objects.filter(pk=o1.team_id).update(member_count=1)
    assert n < 2
