"""Lock order between services (review findings): the first call pauses inside at a chosen point,
the second starts; both must finish without a deadlock."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from communities.models import Role
from orders import services
from payments import services as payments_services
from orders.models import GroupBuy
from tests.factories import CommunityFactory, MembershipFactory, make_group_buy


def _run(first, second, hook_name, monkeypatch):
    """first() runs until hook_name is called, pauses; second() starts; then first continues."""
    original = getattr(services, hook_name)
    reached, tl = threading.Event(), threading.local()
    results = {}

    def hooked(*a, **k):
        if getattr(tl, "pause", False):
            reached.set()
            time.sleep(1.0)  # let `second` take its first lock and block on ours
        return original(*a, **k)

    monkeypatch.setattr(services, hook_name, hooked)

    def t1():
        tl.pause = True
        try:
            results["first"] = first()
        except Exception as e:
            results["first"] = e
        finally:
            connection.close()

    def t2():
        reached.wait(10)
        try:
            results["second"] = second()
        except Exception as e:
            results["second"] = e
        finally:
            connection.close()

    a, b = threading.Thread(target=t1), threading.Thread(target=t2)
    a.start(); b.start(); a.join(30); b.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_expire_vs_close_deadlock(monkeypatch):
    c = CommunityFactory()
    admin = MembershipFactory(community=c, role=Role.OWNER)
    m = MembershipFactory(community=c)
    gb = make_group_buy(admin, price="10.00")
    item = gb.items.get()
    services.order_place(member=m, group_buy=gb, lines=[(item.pk, 1)], idempotency_key="k",
                         pickup_point_id=gb.pickup_points.first().pk)
    later = timezone.now() + timedelta(days=2)
    r = _run(lambda: services.order_expire_due(now=later), lambda: services.group_buy_close_due(now=later),
             "_give_back_units", monkeypatch)
    print(r)
    assert not any(isinstance(v, Exception) for v in r.values()), r


@pytest.mark.django_db(transaction=True)
def test_pay_vs_team_settle_deadlock(monkeypatch):
    c = CommunityFactory()
    admin = MembershipFactory(community=c, role=Role.OWNER)
    m = MembershipFactory(community=c)
    gb = make_group_buy(admin, price="10.00", mode=GroupBuy.Mode.TEAM, team_size=2)
    item = gb.items.get()
    payments_services.wallet_top_up(actor=admin, member_user=m.user, amount=Decimal("50"))
    order, _ = services.order_place(member=m, group_buy=gb, lines=[(item.pk, 1)], idempotency_key="k",
                                    pickup_point_id=gb.pickup_points.first().pk, open_team=True)
    later = timezone.now() + timedelta(hours=30)
    r = _run(lambda: services.order_pay_with_wallet(member=m, order=order),
             lambda: services.team_settle_due(now=later), "_mark_paid", monkeypatch)
    print(r)
    assert not any(isinstance(v, Exception) for v in r.values()), r


@pytest.mark.django_db(transaction=True)
def test_cancel_vs_join_team_deadlock(monkeypatch):
    c = CommunityFactory()
    admin = MembershipFactory(community=c, role=Role.OWNER)
    m1 = MembershipFactory(community=c); m2 = MembershipFactory(community=c); m3 = MembershipFactory(community=c)
    gb = make_group_buy(admin, price="10.00", mode=GroupBuy.Mode.TEAM, team_size=3)
    item = gb.items.get()
    pp = gb.pickup_points.first().pk
    o1, _ = services.order_place(member=m1, group_buy=gb, lines=[(item.pk, 1)], idempotency_key="k",
                                 pickup_point_id=pp, open_team=True)
    code = o1.team.code
    o2, _ = services.order_place(member=m2, group_buy=gb, lines=[(item.pk, 1)], idempotency_key="k",
                                 pickup_point_id=pp, team_code=code)
    # order_place (m3 joins): team row -> item row.  order_cancel (m2): order -> item row -> team row.
    r = _run(lambda: services.order_place(member=m3, group_buy=gb, lines=[(item.pk, 1)], idempotency_key="k",
                                          pickup_point_id=pp, team_code=code),
             lambda: services.order_cancel(member=m2, order=o2), "_take_units", monkeypatch)
    print(r)
    assert not any(isinstance(v, Exception) for v in r.values()), r
