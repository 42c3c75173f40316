#!/usr/bin/env python
"""Leaderboard benchmark (issue 12: fast for communities with 100,000 members).

    .venv/bin/python bench/leaderboard.py [--members 100000] [--entries 1000000] [--branches 20]

On its own database ("shequn_bench_lb" on the embedded PostgreSQL, dropped and re-created each run):

1. seeds one community with ``--members`` members spread over ``--branches`` branches and
   ``--entries`` points ledger lines over the last ten weeks, with the per-period totals the
   services keep beside the ledger (computed here by one set-based INSERT from the ledger, as
   points_award would have moved them line by line);
2. reads each leaderboard (week, month, all time; whole community and one branch) the way the
   page does (``engagement.points.leaderboard``), warm, 20 times each, and reports the median and
   worst time and the number of SQL queries per read;
3. checks the all-time board against a sum over the whole ledger (the slow way, timed too).

Exit status 1 if a check fails; times are measurements, not pass/fail.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import flash_sale  # noqa: E402  (the database and Django set-up are shared)

flash_sale.DB_NAME = "shequn_bench_lb"


def say(message: str) -> None:
    print(message, flush=True)


def seed(members: int, entries: int, branches: int):
    from django.db import connection

    from accounts.models import User
    from communities import services as communities
    from communities.models import Community, Membership
    from engagement.models import PointsEntry, PointsTotal

    owner = User.objects.create_user(email="owner@bench.invalid", display_name="Bench owner")
    community = communities.community_create(owner=owner, name="Points", join_policy=Community.JoinPolicy.OPEN)
    actor = Membership.objects.select_related("community", "user").get(community=community, user=owner)
    made = [communities.branch_create(actor=actor, name=f"Branch {i}") for i in range(branches)]
    users = User.objects.bulk_create([User(email=f"m{i}@bench.invalid", display_name=f"Member {i}")
                                      for i in range(members)], batch_size=5000)
    Membership.objects.bulk_create([Membership(community=community, user=u, role="member", status="active",
                                               branch=made[i % branches]) for i, u in enumerate(users)],
                                   batch_size=5000)
    entry, total = PointsEntry._meta.db_table, PointsTotal._meta.db_table
    first_user = users[0].pk
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {entry} (community_id, member_id, amount, reason, key, note, created_at)
            SELECT %s, %s + (g %% %s), 1 + (g %% 20), 'event', 'bench:' || g, '',
                   now() - ((g %% 70) || ' days')::interval
            FROM generate_series(1, %s) g""", [community.pk, first_user, members, entries])
        tz = community.timezone
        for period, start in (("week", "date_trunc('week', e.created_at AT TIME ZONE %s)::date"),
                              ("month", "date_trunc('month', e.created_at AT TIME ZONE %s)::date"),
                              ("all", "DATE '2000-01-01' + 0 * length(%s)")):
            cursor.execute(f"""
                INSERT INTO {total} (community_id, member_id, branch_id, period, starts_on, points)
                SELECT e.community_id, e.member_id, m.branch_id, %s, {start}, sum(e.amount)
                FROM {entry} e JOIN communities_membership m
                  ON m.community_id = e.community_id AND m.user_id = e.member_id
                WHERE e.community_id = %s
                GROUP BY 1, 2, 3, 4, 5""", [period, tz, community.pk])
        cursor.execute("ANALYZE")
    return community, made[0]


def time_reads(community, branch, repeats: int = 20):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engagement import points

    results = []
    for period in ("week", "month", "all"):
        for scope in (None, branch):
            points.leaderboard(community, period=period, branch=scope)  # warm
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    board = points.leaderboard(community, period=period, branch=scope)
                timings.append(time.perf_counter() - started)
            results.append((period, "branch" if scope else "community", statistics.median(timings) * 1000,
                            max(timings) * 1000, len(queries), len(board)))
    return results


def check(community):
    from django.db.models import Sum

    from engagement import points
    from engagement.models import PointsEntry

    started = time.perf_counter()
    slow = list(PointsEntry.objects.filter(community=community).values("member_id")
                .annotate(total=Sum("amount")).order_by("-total", "member_id")[:20])
    slow_ms = (time.perf_counter() - started) * 1000
    fast = points.leaderboard(community, period="all")
    same = [(r["member_id"], r["total"]) for r in slow] == [(t.member_id, t.points) for t in fast]
    return same, slow_ms


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--branches", type=int, default=20)
    args = parser.parse_args(argv)
    say(f"Preparing database {flash_sale.DB_NAME} on the embedded PostgreSQL...")
    _server, database_url, redis_url = flash_sale.prepare_database()
    env = flash_sale.service_env(database_url, redis_url)
    env["LOG_LEVEL"] = "WARNING"
    flash_sale.setup_django(env)
    say(f"Seeding {args.members:,} members and {args.entries:,} ledger lines...")
    started = time.perf_counter()
    community, branch = seed(args.members, args.entries, args.branches)
    say(f"  seeded in {time.perf_counter() - started:.1f} s")
    rows = time_reads(community, branch)
    same, slow_ms = check(community)
    say("")
    say(f"Leaderboards, top 20 ({args.members:,} members, {args.entries:,} ledger lines), warm, 20 reads each:")
    for period, scope, median, worst, queries, size in rows:
        say(f"  {period:5} {scope:9}  median {median:6.2f} ms   worst {worst:6.2f} ms   {queries} query   {size} rows")
    say(f"  the same board summed over the whole ledger: {slow_ms:.0f} ms")
    say(f"  checks: {'OK' if same else 'MISMATCH'} (the all-time board equals the ledger's sums)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
