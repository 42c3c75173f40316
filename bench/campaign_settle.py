#!/usr/bin/env python
"""Campaign settlement benchmark (DESIGN.md, "Targets": settling 10,000 rows takes seconds, not minutes).

    .venv/bin/python bench/campaign_settle.py [--pledges 10000]

On its own database ("shequn_bench_cf" on the embedded PostgreSQL, dropped and re-created each run):

1. seeds a community, N backers with wallets, and two live reward campaigns of N paid pledges each
   (one unit, paid from the wallet). The rows are bulk-inserted exactly as pledge_place and
   pledge_pay_with_wallet write them (charge, pledge, wallet payment and ledger line), since
   placing 2×N pledges one by one would measure the seeding, not the settlement;
2. settles the first campaign, which succeeds with a price step that every backer reached
   (so each pledge is collected *and* refunded the step difference to its wallet), and the second,
   which misses its goal (each pledge refunded in full), each by one run of the settlement sweep,
   timed, with the process's peak memory before and after;
3. checks the outcome: one refund per pledge, wallets exact to the cent, no pledge left paid;
4. prints the same-run baseline: the raw SQL a settlement cannot go below (one UPDATE of every
   pledge, one INSERT of N ledger lines and one UPDATE of N wallets, as set-based statements),
   and the ratio.

Exit status 1 if a check fails; the time is a measurement, not a pass/fail.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import flash_sale  # noqa: E402  (the database and Django set-up are shared)

flash_sale.DB_NAME = "shequn_bench_cf"
PRICE = Decimal("50.00")
STEP_PRICE = Decimal("45.00")


def say(message: str) -> None:
    print(message, flush=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(pledges: int):
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from communities import services as communities
    from communities.models import Community, Membership
    from crowdfunding import services
    from crowdfunding.models import Campaign, Pledge
    from orders import services as orders
    from payments.models import Charge, Payment, Wallet, WalletEntry

    owner = User.objects.create_user(email="owner@bench.invalid", display_name="Bench owner")
    community = communities.community_create(owner=owner, name="Settlement", join_policy=Community.JoinPolicy.OPEN)
    actor = Membership.objects.select_related("community", "user").get(community=community, user=owner)
    point = orders.pickup_point_save(actor=actor, name="Gate 1", address="Building 1")
    users = User.objects.bulk_create([User(email=f"backer{i}@bench.invalid", display_name=f"Backer {i}")
                                      for i in range(pledges)])
    Membership.objects.bulk_create([Membership(community=community, user=u, role="member", status="active")
                                    for u in users])
    made = []
    # Two deadlines, a day apart: each sweep run settles one campaign.
    for days, title, goal in ((2, "Succeeds", PRICE), (3, "Fails", Decimal("1000000.00"))):
        day = (timezone.now() + timedelta(days=days)).date().isoformat()
        campaign = services.campaign_create(actor=actor, title=title, goal=goal, deadline=day, tiers=[
            services.TierSpec(title="Box", amount=PRICE, price_steps=[(2, STEP_PRICE)])])
        made.append(services.campaign_launch(actor=actor, campaign=campaign))
    now = timezone.now()
    with transaction.atomic():
        Wallet.objects.bulk_create([Wallet(community=community, member=u, balance=PRICE * 2, currency="CNY")
                                    for u in users])
        wallets = {w.member_id: w for w in Wallet.objects.filter(community=community)}
        WalletEntry.objects.bulk_create([
            WalletEntry(community=community, wallet=wallets[u.pk], kind="top_up", amount=PRICE * 2,
                        balance_after=PRICE * 2, key=f"topup:{u.pk}:bench") for u in users])
        for campaign in made:
            tier = campaign.tiers.get()
            charges = Charge.objects.bulk_create([
                Charge(community=community, member=u, amount=PRICE, currency="CNY", purpose="pledge",
                       description=campaign.title, status="paid", paid_amount=PRICE, paid_at=now) for u in users])
            Payment.objects.bulk_create([
                Payment(community=community, charge=c, method="wallet", status="succeeded", amount=PRICE,
                        confirmed_at=now) for c in charges])
            WalletEntry.objects.bulk_create([
                WalletEntry(community=community, wallet=wallets[c.member_id], kind="payment", amount=-PRICE,
                            balance_after=PRICE if campaign is made[0] else Decimal("0"), key=f"pay:charge:{c.pk}",
                            charge=c) for c in charges])
            Pledge.objects.bulk_create([
                Pledge(community=community, campaign=campaign, tier=tier, member_id=c.member_id, charge=c,
                       status="paid", quantity=1, unit_amount=PRICE, amount=PRICE, pickup_point=point,
                       idempotency_key=f"bench-{campaign.pk}-{c.member_id}", request_fingerprint="bench",
                       paid_at=now) for c in charges])
            tier.quantity_taken = pledges
            tier.save(update_fields=["quantity_taken"])
        Wallet.objects.filter(community=community).update(balance=Decimal("0"))
    return community, made


def warm_up(campaign) -> None:
    """What a long-running worker has done already: URL resolvers built for each language."""
    from django.conf import settings
    from django.utils import translation

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            campaign.get_absolute_url()


def settle(campaign) -> tuple[float, float, float]:
    from core.sweeps import sweep_run

    warm_up(campaign)
    before = peak_mb()
    started = time.perf_counter()
    result = sweep_run("crowdfunding.settle_campaigns", now=campaign.deadline + timedelta(seconds=1))
    elapsed = time.perf_counter() - started
    assert result.settled == 1 and result.failed == 0, result
    return elapsed, before, peak_mb()


def verify(community, made, pledges: int) -> list[str]:
    from django.db.models import Count, Sum

    from crowdfunding.models import Campaign, Pledge
    from payments.models import Refund, Wallet

    problems = []
    succeeded, failed = (Campaign.objects.get(pk=c.pk) for c in made)
    if (succeeded.status, failed.status) != ("succeeded", "failed"):
        problems.append(f"statuses {succeeded.status}/{failed.status}")
    if Pledge.objects.filter(campaign__in=made, status="paid").exists():
        problems.append("pledges left paid")
    per_charge = Refund.objects.filter(charge__pledge__campaign__in=made).values("charge").annotate(n=Count("id"))
    if any(row["n"] != 1 for row in per_charge) or len(per_charge) != 2 * pledges:
        problems.append("refunds are not one per pledge")
    # Each backer: 100 topped up − 2 × 50 paid + 5 step difference + 50 refunded = 55.
    wrong = Wallet.objects.filter(community=community).exclude(balance=Decimal("55.00")).count()
    if wrong:
        problems.append(f"{wrong} wallets not exact")
    total = Wallet.objects.filter(community=community).aggregate(s=Sum("balance"))["s"]
    if total != Decimal("55.00") * pledges:
        problems.append(f"wallets add up to {total}")
    return problems


def baseline(pledges: int) -> float:
    """The set-based SQL floor of a settlement of ``pledges`` rows, on scratch tables."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_pledge, bench_wallet, bench_entry")
        cursor.execute("CREATE TABLE bench_pledge (id int PRIMARY KEY, member int, status text, amount numeric(12,2))")
        cursor.execute("CREATE TABLE bench_wallet (member int PRIMARY KEY, balance numeric(12,2))")
        cursor.execute("CREATE TABLE bench_entry (id serial PRIMARY KEY, member int, amount numeric(12,2), "
                       "key text UNIQUE)")
        cursor.execute("INSERT INTO bench_pledge SELECT g, g, 'paid', 50 FROM generate_series(1, %s) g", [pledges])
        cursor.execute("INSERT INTO bench_wallet SELECT g, 0 FROM generate_series(1, %s) g", [pledges])
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE bench_pledge SET status = 'refunded'")
        cursor.execute("INSERT INTO bench_entry (member, amount, key) SELECT member, amount, 'refund:' || id "
                       "FROM bench_pledge")
        cursor.execute("UPDATE bench_wallet w SET balance = w.balance + p.amount FROM bench_pledge p "
                       "WHERE p.member = w.member")
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pledges", type=int, default=10000, help="pledges per campaign (default 10,000)")
    args = parser.parse_args(argv)
    say(f"Preparing database {flash_sale.DB_NAME} on the embedded PostgreSQL...")
    _server, database_url, redis_url = flash_sale.prepare_database()
    env = flash_sale.service_env(database_url, redis_url)
    env["LOG_LEVEL"] = "WARNING"
    flash_sale.setup_django(env)
    say(f"Seeding two campaigns of {args.pledges:,} paid pledges...")
    community, made = seed(args.pledges)
    say("Settling the campaign that succeeds (collect + price-step refund per pledge)...")
    ok_seconds, mem0, mem1 = settle(made[0])
    say("Settling the campaign that fails (full refund per pledge)...")
    fail_seconds, _mem, mem2 = settle(made[1])
    floor = baseline(args.pledges)
    problems = verify(community, made, args.pledges)
    say("")
    say(f"Campaign settlement, {args.pledges:,} pledges each (one sweep run, one transaction per campaign):")
    say(f"  succeeded (collect + step refund)  {ok_seconds:7.2f} s   {args.pledges / ok_seconds:8.0f} pledges/s")
    say(f"  failed (refund to wallet)          {fail_seconds:7.2f} s   {args.pledges / fail_seconds:8.0f} pledges/s")
    say(f"  raw SQL floor (3 set-based stmts)  {floor:7.2f} s   ratio {fail_seconds / floor:6.1f}× the floor")
    say(f"  peak memory of the process         {mem0:7.0f} MB before, {mem1:.0f} MB after the first, "
        f"{mem2:.0f} MB after the second")
    say(f"  checks: {'OK' if not problems else '; '.join(problems)} (one refund per pledge, wallets exact)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
