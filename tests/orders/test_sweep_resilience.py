"""Sweeps survive a bad row and a killed worker (issue 7, part 3), and numbers are bounded where
they enter a round."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db import DataError, connection
from django.db.models import Count, Sum
from django.urls import reverse

from communities.models import Role
from core.exceptions import ValidationFailed
from core.models import SweepFailure
from orders import services
from orders.models import GroupBuy, Order
from payments import services as payments_services
from payments.models import Refund, Wallet, WalletEntry
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, make_group_buy

ROOT = Path(__file__).resolve().parents[2]


def test_a_round_that_cannot_close_does_not_stop_another_communitys_round(db, monkeypatch, client):
    bad_owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    good_owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    bad = make_group_buy(bad_owner)
    good = make_group_buy(good_owner, closes_at=bad.closes_at + timedelta(minutes=1))
    original = services.group_buy_settle

    def settle(group_buy):
        if group_buy.pk == bad.pk:  # as when releasing its unsold units overflowed the stock column
            raise DataError("integer out of range")
        return original(group_buy)

    monkeypatch.setattr(services, "group_buy_settle", settle)
    after = good.closes_at + timedelta(seconds=1)
    with time_machine.travel(after):
        assert services.group_buy_close_due() == 1  # the good one; the oldest, bad one is recorded
        assert services.group_buy_close_due() == 0  # the bad one waits out its backoff: no spinning
    bad.refresh_from_db()
    good.refresh_from_db()
    assert good.status == GroupBuy.Status.SUCCEEDED and bad.status == GroupBuy.Status.OPEN
    failure = SweepFailure.objects.get(job="orders.close_group_buys", object_id=bad.pk)
    assert failure.attempts == 1 and "integer out of range" in failure.last_error
    assert failure.community_id == bad_owner.community_id

    # Its admins see it in the console; the other community's do not.
    client.force_login(bad_owner.user)
    page = client.get(reverse("console:sweep_failures", kwargs={"slug": bad_owner.community.slug}))
    assert page.status_code == 200 and bad.title in page.content.decode()
    client.force_login(good_owner.user)
    page = client.get(reverse("console:sweep_failures", kwargs={"slug": good_owner.community.slug}))
    assert bad.title not in page.content.decode()

    monkeypatch.setattr(services, "group_buy_settle", original)  # fixed
    with time_machine.travel(after + timedelta(minutes=2)):
        assert services.group_buy_close_due() == 1
    bad.refresh_from_db()
    assert bad.status == GroupBuy.Status.SUCCEEDED
    assert not SweepFailure.objects.filter(object_id=bad.pk, job="orders.close_group_buys").exists()


def test_numbers_beyond_what_their_columns_hold_are_refused_where_they_enter_a_round(db):
    owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    product = ProductFactory(community=owner.community)
    spec = dict(product_id=product.pk, group_price=Decimal("10"), quantity_on_offer=10)
    for bad in ({"group_price": Decimal("1000000.01")}, {"per_member_limit": 2 ** 31},
                {"quantity_on_offer": 2 ** 31}, {"tiers": ((2 ** 31, Decimal("9")),)}):
        with pytest.raises(ValidationFailed):
            services.group_buy_create(
                actor=owner, title="x", opens_at=time_now(), closes_at=time_now() + timedelta(days=1),
                items=[services.ItemSpec(**{**spec, **bad})], allows_delivery=True)
    for field, value in (("delivery_fee", Decimal("1000000.01")), ("success_threshold", Decimal("1e10"))):
        with pytest.raises(ValidationFailed):
            services.group_buy_create(actor=owner, title="x", opens_at=time_now(),
                                      closes_at=time_now() + timedelta(days=1), items=[services.ItemSpec(**spec)],
                                      allows_delivery=True, success_rule="min_amount", **{field: value})
    assert not GroupBuy.objects.exists()


def time_now():
    from django.utils import timezone

    return timezone.now()


WORKER = """
import os, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
import django
from django.conf import settings
django.setup()
settings.DATABASES["default"]["NAME"] = sys.argv[1]
from orders import services
original = services._cancel_and_refund
def slow(*args, **kwargs):  # a busy worker: each refund takes a moment
    time.sleep(0.01)
    return original(*args, **kwargs)
services._cancel_and_refund = slow
print("sweeping", flush=True)
services.group_buy_close_due()
print("done", flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_halfway_through_closing_leaves_nothing_half_done(tmp_path):
    """A real process runs the closing sweep over rounds full of paid orders and gets SIGKILL
    part-way; a second run finishes: every order refunded exactly once, every balance exact."""
    owner = MembershipFactory(community=CommunityFactory(), role=Role.OWNER)
    buyers = [MembershipFactory(community=owner.community) for _ in range(25)]
    for buyer in buyers:
        payments_services.wallet_top_up(actor=owner, member_user=buyer.user, amount=Decimal("500.00"))
    rounds = []
    for i in range(8):
        group_buy = make_group_buy(owner, price="7.00", offer=1000, success_rule="min_quantity",
                                   success_threshold=Decimal("100000"), title=f"Round {i}",
                                   products=[ProductFactory(community=owner.community, stock=5000)])
        for buyer in buyers:
            order, _ = services.order_place(member=buyer, group_buy=group_buy, lines=[(group_buy.items.get().pk, 1)],
                                            idempotency_key=f"r{i}", pickup_point_id=group_buy.pickup_points.get().pk)
            services.order_pay_with_wallet(member=buyer, order=order)
        rounds.append(group_buy)
    GroupBuy.objects.update(closes_at=time_now() - timedelta(seconds=1), opens_at=time_now() - timedelta(hours=1))

    worker = subprocess.Popen([sys.executable, "-c", WORKER, connection.settings_dict["NAME"]], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})
    try:
        deadline = time.monotonic() + 60
        while GroupBuy.objects.filter(status=GroupBuy.Status.FAILED).count() < 2:
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    settled_before = GroupBuy.objects.filter(status=GroupBuy.Status.FAILED).count()
    assert settled_before < len(rounds), "the worker finished before it was killed: nothing was tested"

    deadline = time.monotonic() + 30  # the killed backend's locks go when PostgreSQL sees it gone
    while GroupBuy.objects.filter(status=GroupBuy.Status.OPEN).exists():
        services.group_buy_close_due()
        assert time.monotonic() < deadline
        time.sleep(0.1)

    assert GroupBuy.objects.filter(status=GroupBuy.Status.FAILED).count() == len(rounds)
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.REFUNDED}
    per_charge = Refund.objects.values("charge_id").annotate(n=Count("id"))
    assert len(per_charge) == len(rounds) * len(buyers) and {row["n"] for row in per_charge} == {1}
    assert WalletEntry.objects.filter(kind="refund").count() == len(rounds) * len(buyers)
    for wallet in Wallet.objects.filter(community=owner.community):
        ledger = WalletEntry.objects.filter(wallet=wallet).aggregate(t=Sum("amount"))["t"]
        assert wallet.balance == ledger == Decimal("500.00")
