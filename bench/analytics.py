#!/usr/bin/env python
"""Analytics benchmark (issue 14: the dashboard of a community with 100,000 members and 1,000,000 orders).

    .venv/bin/python bench/analytics.py [--members 100000] [--orders 1000000] [--lines-per-order 2]

On its own database ("shequn_bench_an" on the embedded PostgreSQL, dropped and re-created each run):

1. seeds, by set-based SQL (generate_series), one community (Asia/Shanghai) with ``--members``
   members who joined over the last two years, five branches (10% of the members in none), 200
   products, a round every two days over two years (one in ten failed), ``--orders`` orders in
   those rounds with ``--lines-per-order`` lines each and a paid charge each: ~3% cancelled (never
   paid), ~2% refunded (with their refund a day later), the rest completed (or paid, the last two
   days);
2. times the full rollup refresh (``analytics.rollups.refresh`` from the first day: all of its
   history) and the nightly one (the 90-day window);
3. times each selector the dashboard reads (``analytics.selectors``), cold (the first call) and
   warm (median of 5), with its SQL query count, beside a same-run baseline: a raw
   ``SELECT count(*)`` over the orders table and pgbench's SELECT-only TPS;
4. times each dashboard page (every tab, 30 days) as a whole request by the owner, cold and warm,
   with its query count against the same page of an empty community;
5. for each figure over the target (300 ms warm), prints EXPLAIN ANALYZE of its slowest query.

Times are measurements; the exit status is 1 only if a query count grows with the data (a selector
or a page runs more queries on the whole community than on an empty one), a page does not answer
200, or the figures disagree with the orders (the full refresh's GMV against a sum over the orders table).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import flash_sale  # noqa: E402  (the database and Django set-up are shared)

# This file is named like the analytics app: with bench/ off the path, "analytics" is the app.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BASE_DIR / "bench"]

flash_sale.DB_NAME = "shequn_bench_an"
TZ = "Asia/Shanghai"
BRANCHES = 5
PRODUCTS = 200
ROUNDS = 365  # one every two days over two years
ITEMS_PER_ROUND = 10
TARGET_MS = 300
NIGHTLY_TARGET_S = 60


def say(message: str) -> None:
    print(message, flush=True)


def seed(members: int, orders_count: int, lines_per_order: int):
    """The community and one of its branches. Everything above a few rows is one INSERT … SELECT."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from communities import services as communities
    from communities.models import Community, Membership
    from orders import services as orders

    now = timezone.now()
    owner = User.objects.create_user(email="owner@bench.invalid", display_name="Bench owner")
    community = communities.community_create(owner=owner, name="Analytics", join_policy=Community.JoinPolicy.OPEN,
                                             timezone=TZ)
    actor = Membership.objects.select_related("community", "user").get(community=community, user=owner)
    made = [communities.branch_create(actor=actor, name=f"Branch {i}") for i in range(BRANCHES)]
    branches = [b.pk for b in made]
    point = orders.pickup_point_save(actor=actor, name="Gate 1", address="Building 1, north gate").pk
    # The owner joined two years and a day ago (the history starts there).
    Membership.objects.filter(pk=actor.pk).update(joined_at=now - timedelta(days=731))
    c = community.pk
    with connection.cursor() as cursor:
        def run(sql, params=()):
            cursor.execute(sql, params)

        # Members: users (phone only) and memberships, joined over two years; g % 10 = 9 in no branch.
        run("""INSERT INTO accounts_user (password, is_superuser, display_name, language, is_staff, is_active,
                                          date_joined, phone)
               SELECT '', FALSE, 'Member ' || g, 'zh-hans', FALSE, TRUE, %s - interval '731 days',
                      '+86138' || lpad(g::text, 8, '0')
               FROM generate_series(1, %s) g""", [now, members])
        run("SELECT min(id) FROM accounts_user WHERE phone LIKE '+86138%%'")
        first_user = cursor.fetchone()[0]
        run("""INSERT INTO communities_membership (role, status, joined_at, ban_reason, community_id, user_id,
                                                   updated_at, branch_id, left_at)
               SELECT 'member', CASE WHEN g %% 50 = 7 THEN 'left' ELSE 'active' END,
                      %s - ((g %% 730) || ' days')::interval - ((g %% 1440) || ' minutes')::interval, '', %s,
                      %s + g, %s, CASE WHEN g %% 10 = 9 THEN NULL ELSE (%s::bigint[])[1 + g %% %s] END,
                      CASE WHEN g %% 50 = 7 THEN %s - ((g %% 365) || ' days')::interval END
               FROM generate_series(0, %s - 1) g""",
            [now, c, first_user, now, branches, BRANCHES, now, members])
    # Products, rounds and their items: a few thousand rows, by the ORM (its defaults fill the rest).
    from datetime import timedelta as days_ago
    from decimal import Decimal

    from catalog.models import Product
    from orders.models import GroupBuy, GroupBuyItem

    products = Product.objects.bulk_create([Product(community=community, name=f"Product {g}", unit="box",
                                                    list_price=Decimal(10 + g % 50)) for g in range(PRODUCTS)])
    made_rounds = GroupBuy.objects.bulk_create([GroupBuy(
        community=community, title=f"Round {r}", status="failed" if r % 10 == 3 else "fulfilled",
        opens_at=now - days_ago(days=730 - 2 * r), closes_at=now - days_ago(days=728 - 2 * r),
        settled_at=now - days_ago(days=728 - 2 * r), success_threshold=0, commission_rate=0)
        for r in range(ROUNDS)], batch_size=1000)
    GroupBuy.objects.filter(community=community).update(created_at=now - days_ago(days=731))
    rounds = [r.pk for r in made_rounds]
    GroupBuyItem.objects.bulk_create([GroupBuyItem(
        community=community, group_buy=made_rounds[r], product=products[(r * 7 + k) % PRODUCTS],
        group_price=Decimal(10 + (r * 7 + k) % 30), quantity_on_offer=1_000_000, position=k)
        for r in range(ROUNDS) for k in range(ITEMS_PER_ROUND)], batch_size=2000)
    with connection.cursor() as cursor:
        def run(sql, params=()):
            cursor.execute(sql, params)

        # Charges and orders: order n is in round n % ROUNDS (paid within its two days), by member
        # (n × 7919) % members, in that member's branch; n % 100 < 3 cancelled (never paid),
        # 3–4 refunded, the rest completed a day after payment (or still paid, if that is to come).
        # Secondary indexes (not those of constraints) are dropped for the bulk load and built after it.
        run("""SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.tablename IN ('orders_order', 'orders_orderline', 'payments_charge')
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)""")
        rebuild = cursor.fetchall()
        for name, _definition in rebuild:
            run(f'DROP INDEX "{name}"')
        run("""CREATE TEMPORARY TABLE bench_orders AS
               SELECT n, (n::bigint * 7919) %% %s AS m, g.id AS round_id, 10 * (1 + n %% 7) AS total,
                      least(g.opens_at + (n / %s %% 2800) * interval '1 minute', %s::timestamptz) AS paid
               FROM generate_series(0, %s - 1) n
               JOIN orders_groupbuy g ON g.id = (%s::bigint[])[1 + n %% %s]""",
            [members, ROUNDS, now, orders_count, rounds, ROUNDS])
        run("""INSERT INTO payments_charge (amount, currency, purpose, description, url, status, paid_amount,
                                            refunded_amount, created_at, paid_at, community_id, member_id)
               SELECT x.total, 'CNY', 'order', 'Order', '',
                      CASE WHEN x.n %% 100 < 3 THEN 'cancelled' ELSE 'paid' END,
                      CASE WHEN x.n %% 100 < 3 THEN 0 ELSE x.total END,
                      CASE WHEN x.n %% 100 IN (3, 4) THEN x.total ELSE 0 END,
                      x.paid, CASE WHEN x.n %% 100 < 3 THEN NULL ELSE x.paid END, %s, %s + x.m
               FROM bench_orders x ORDER BY x.n""", [c, first_user])
        run("SELECT min(id) FROM payments_charge WHERE community_id = %s", [c])
        first_charge = cursor.fetchone()[0]
        run("""INSERT INTO orders_order (status, fulfilment, delivery_address, note, currency, total, pickup_code,
                                         idempotency_key, request_fingerprint, expiry_reminder_sent, created_at,
                                         paid_at, completed_at, cancelled_at, updated_at, community_id, group_buy_id,
                                         member_id, branch_id, charge_id, discount, points_discount, points_spent,
                                         pickup_point_id)
               SELECT CASE WHEN x.n %% 100 < 3 THEN 'cancelled' WHEN x.n %% 100 IN (3, 4) THEN 'refunded'
                           WHEN x.paid + interval '1 day' > %s THEN 'paid' ELSE 'completed' END,
                      'pickup', '', '', 'CNY', x.total, lpad((x.n %% 1000000)::text, 6, '0'),
                      'bench-' || x.n, '', FALSE, x.paid,
                      CASE WHEN x.n %% 100 < 3 THEN NULL ELSE x.paid END,
                      CASE WHEN x.n %% 100 >= 5 AND x.paid + interval '1 day' <= %s
                           THEN x.paid + interval '1 day' END,
                      CASE WHEN x.n %% 100 < 3 THEN x.paid + interval '30 minutes' END,
                      x.paid, %s, x.round_id, %s + x.m, CASE WHEN x.m %% 10 = 9 THEN NULL
                                                              ELSE (%s::bigint[])[1 + x.m %% %s] END,
                      %s + x.n, 0, 0, 0, %s
               FROM bench_orders x ORDER BY x.n""",
            [now, now, c, first_user, branches, BRANCHES, first_charge, point])
        run("DROP TABLE bench_orders")
        run("SELECT min(id) FROM orders_order WHERE community_id = %s", [c])
        first_order = cursor.fetchone()[0]
        # Lines: line j of order n is item (n + 3j) % ITEMS_PER_ROUND of its round (distinct items).
        run("""INSERT INTO orders_orderline (name, unit, unit_price, quantity, line_total, community_id, item_id,
                                             order_id, product_id, quantity_short)
               SELECT 'Product', 'box', i.group_price, 1 + (o.id + j) %% 3, i.group_price * (1 + (o.id + j) %% 3),
                      %s, i.id, o.id, i.product_id, 0
               FROM orders_order o CROSS JOIN generate_series(0, %s - 1) j
               JOIN orders_groupbuyitem i ON i.group_buy_id = o.group_buy_id
                    AND i.position = ((o.id - %s) + 3 * j) %% %s
               WHERE o.community_id = %s""", [c, lines_per_order, first_order, ITEMS_PER_ROUND, c])
        # Refunds: a day after payment (never in the future), to the wallet.
        run("""INSERT INTO payments_refund (amount, method, status, reason, note, key, created_at, paid_back_reference,
                                            charge_id, community_id)
               SELECT o.total, 'wallet', 'done', 'out_of_stock', '', 'bench-refund-' || o.id,
                      least(o.paid_at + interval '1 day', %s::timestamptz), '', o.charge_id, %s
               FROM orders_order o WHERE o.community_id = %s AND o.status = 'refunded'""", [now, c, c])
        for _name, definition in rebuild:
            run(definition)
        for table in ("accounts_user", "communities_membership", "payments_charge", "orders_order",
                      "orders_orderline", "payments_refund", "orders_groupbuy", "orders_groupbuyitem",
                      "catalog_product"):
            run(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        # Each other page's data (events, posts, points, prompts, campaigns...): its own bench module.
        for module in page_modules():
            say(f"  seeding {module.__name__[len('analytics_'):]}...")
            module.seed(cursor, c, range(first_user, first_user + members), now)
        run("VACUUM ANALYZE")
    return Community.objects.get(pk=c), made[0]


PAGE_MODULES = ("analytics_engagement", "analytics_funnel", "analytics_crowdleaders", "analytics_prompts")


def page_modules() -> list:
    """bench/analytics_<page>.py: seed(cursor, community_id, member_ids, now) and figures(community,
    branch) for each page past the overview (loaded by path: bench/ is off sys.path here)."""
    import importlib.util

    modules = []
    for name in PAGE_MODULES:
        path = BASE_DIR / "bench" / f"{name}.py"
        if path.exists():
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            modules.append(module)
    return modules


def counts(community_id: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT (SELECT count(*) FROM communities_membership WHERE community_id = %s),
                                 (SELECT count(*) FROM orders_order WHERE community_id = %s),
                                 (SELECT count(*) FROM orders_orderline WHERE community_id = %s),
                                 (SELECT count(*) FROM payments_refund WHERE community_id = %s),
                                 (SELECT count(*) FROM orders_order WHERE community_id = %s
                                                                    AND status = 'cancelled')""",
                       [community_id] * 5)
        return dict(zip(("members", "orders", "lines", "refunds", "cancelled"), cursor.fetchone()))


def timed(fn, *args, **kwargs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - started
    return result, seconds, list(queries.captured_queries)


def figures(community, branch):
    """(label, callable) for each figure the dashboard reads."""
    from analytics import selectors
    from analytics.rollups import local_today

    today = local_today(community)
    p7, p30, p90 = (selectors.period_from(community, period=p) for p in ("7d", "30d", "90d"))
    year = selectors.period_from(community, period="custom", start=(today - timedelta(days=364)).isoformat(),
                                 end=today.isoformat())
    return [
        ("overview 7d", lambda: selectors.overview(community, p7)),
        ("overview 30d", lambda: selectors.overview(community, p30)),
        ("overview 90d", lambda: selectors.overview(community, p90)),
        ("overview 1 year (custom)", lambda: selectors.overview(community, year)),
        ("overview 30d, one branch", lambda: selectors.overview(community, p30, branch=branch)),
        ("members", lambda: selectors.members(community)),
        ("members, one branch", lambda: selectors.members(community, branch=branch)),
        ("by_branch 30d", lambda: selectors.by_branch(community, p30)),
        ("top_products 30d", lambda: selectors.top_products(community, p30)),
        ("top_products 90d", lambda: selectors.top_products(community, p90)),
        ("top_products 90d, one branch", lambda: selectors.top_products(community, p90, branch=branch)),
        ("rounds 90d", lambda: selectors.rounds(community, p90)),
    ] + [row for module in page_modules() for row in module.figures(community, branch)]


def measure(community, branch, repeats: int = 5):
    rows = []
    for label, call in figures(community, branch):
        _result, cold, queries = timed(call)
        warm = []
        for _ in range(repeats):
            _result, seconds, queries = timed(call)
            warm.append(seconds)
        slowest = max(queries, key=lambda q: float(q.get("time") or 0)) if queries else None
        rows.append({"label": label, "cold": cold * 1000, "warm": statistics.median(warm) * 1000,
                     "worst": max(warm) * 1000, "queries": len(queries), "slowest": slowest})
    return rows


def page_urls(community) -> list[tuple[str, str]]:
    """(label, path) of each analytics page installed (analytics.pages.TABS), over 30 days."""
    from django.urls import NoReverseMatch, reverse

    from analytics.pages import TABS

    urls = []
    for tab in TABS:
        try:
            urls.append((f"page {tab.name} 30d", reverse(tab.url_name, args=[community.slug]) + "?period=30d"))
        except NoReverseMatch:
            continue
    return urls


def measure_pages(community, repeats: int = 5) -> list[dict]:
    """Each whole analytics page as the owner gets it (the view, its figures and the template),
    cold and warm, with its query count (session and permission reads included)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from communities.models import Membership

    owner = Membership.objects.get(community=community, role="owner").user
    rows = []
    # The production settings serve hashed static files (collectstatic's manifest): plain names here.
    with override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                     "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(owner)
        for label, path in page_urls(community):
            timings, queries, status = [], 0, None
            for attempt in range(repeats + 1):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(path, secure=True)
                    timings.append(time.perf_counter() - started)
                status, queries = response.status_code, len(captured.captured_queries)
            rows.append({"label": label, "status": status, "cold": timings[0] * 1000,
                         "warm": statistics.median(timings[1:]) * 1000, "worst": max(timings[1:]) * 1000,
                         "queries": queries})
    return rows


def empty_query_counts() -> dict:
    """The same figures' query counts on an empty community (a count that grows with data differs)."""
    from django.db import transaction

    from accounts.models import User
    from communities import services as communities
    from communities.models import Community, Membership

    counts_by_label = {}
    with transaction.atomic():
        owner = User.objects.create_user(email="empty-owner@bench.invalid", display_name="Empty owner")
        empty = communities.community_create(owner=owner, name="Empty", join_policy=Community.JoinPolicy.OPEN,
                                             timezone=TZ)
        actor = Membership.objects.select_related("community", "user").get(community=empty, user=owner)
        branch = communities.branch_create(actor=actor, name="Empty branch")
        from analytics.rollups import refresh

        refresh(empty)  # refreshed like the big one (a past period's buyers are then cached alike)
        for label, call in figures(empty, branch):
            call()  # the first call may create the refresh state
            _result, _seconds, queries = timed(call)
            counts_by_label[label] = len(queries)
        for row in measure_pages(empty, repeats=1):
            counts_by_label[row["label"]] = row["queries"]
        transaction.set_rollback(True)
    return counts_by_label


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def baseline_count() -> tuple[float, int]:
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _ in range(5):
            started = time.perf_counter()
            cursor.execute("SELECT count(*) FROM orders_order")
            total = cursor.fetchone()[0]
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000, total


def pgbench_select_only(database_url: str, seconds: int) -> float | None:
    """pgbench -S (SELECT-only, scale 1) on the bench database: 2 clients, the machine's 2 cores."""
    from core import devservices

    socket_dir = parse_qs(urlparse(database_url).query)["host"][0]
    binary = str(devservices.pg_bin_dir() / "pgbench")
    common = ["-h", socket_dir, "-U", "postgres", flash_sale.DB_NAME]
    try:
        subprocess.run([binary, "-i", "-s", "1", "-q", *common], capture_output=True, text=True, check=True,
                       timeout=120)
        result = subprocess.run([binary, "-n", "-S", "-c", "2", "-j", "2", "-T", str(seconds), *common],
                                capture_output=True, text=True, timeout=seconds + 60)
    except (OSError, subprocess.SubprocessError):
        return None
    match = (re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
             or re.search(r"tps = ([\d.]+)", result.stdout))
    return float(match.group(1)) if result.returncode == 0 and match else None


def gmv_check(community) -> bool:
    """The stored rollups' GMV (all history, community rows) equals a sum over the orders table."""
    from django.db import connection
    from django.db.models import Sum

    from analytics.models import DailyRollup
    from analytics.rollups import local_today

    today = local_today(community)
    stored = DailyRollup.objects.filter(community=community, branch__isnull=True, day__lt=today).aggregate(
        s=Sum("gmv"))["s"]
    with connection.cursor() as cursor:
        cursor.execute("""SELECT sum(total) FROM orders_order WHERE community_id = %s AND paid_at IS NOT NULL
                            AND status NOT IN ('cancelled', 'refunded')
                            AND (paid_at AT TIME ZONE %s)::date < %s""", [community.pk, TZ, today])
        summed = cursor.fetchone()[0]
    return stored == summed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--lines-per-order", type=int, default=2, choices=range(1, ITEMS_PER_ROUND // 3 + 1))
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--plan-lines", type=int, default=30, help="lines of each slow query's plan (default 30)")
    parser.add_argument("--reuse", action="store_true",
                        help="time the database an earlier run kept (migrated to this code) instead of seeding one")
    args = parser.parse_args(argv)
    if args.members < 100 or args.orders < ROUNDS:
        parser.error(f"at least 100 members and {ROUNDS} orders")
    began = time.monotonic()
    if args.reuse:
        from core import devservices

        say(f"Reusing database {flash_sale.DB_NAME}...")
        database_url, redis_url = devservices.postgres_server().get_uri(flash_sale.DB_NAME), devservices.redis_url()
    else:
        say(f"Preparing database {flash_sale.DB_NAME} on the embedded PostgreSQL...")
        _server, database_url, redis_url = flash_sale.prepare_database()
    env = flash_sale.service_env(database_url, redis_url)
    env["LOG_LEVEL"] = "WARNING"
    env["CONN_MAX_AGE"] = "0"
    flash_sale.setup_django(env)
    started = time.perf_counter()
    if args.reuse:
        from communities.models import Community

        community = Community.objects.get(name="Analytics", parent=None)
        branch = Community.objects.filter(parent=community).order_by("pk").first()
        from analytics.models import RollupState

        RollupState.objects.filter(community=community).delete()  # the next refresh is a full one
    else:
        say(f"Seeding {args.members:,} members and {args.orders:,} orders over two years ({TZ})...")
        community, branch = seed(args.members, args.orders, args.lines_per_order)
    seed_seconds = time.perf_counter() - started
    seeded = counts(community.pk)
    say(f"  seeded in {seed_seconds:.1f} s: {seeded['members']:,} members, {seeded['orders']:,} orders "
        f"({seeded['cancelled']:,} cancelled, {seeded['refunds']:,} refunded), {seeded['lines']:,} lines")

    from analytics import rollups

    say("Refreshing the rollups: all history, then the nightly window...")
    stored, full_s, full_q = timed(rollups.refresh, community)
    nightly_stored, nightly_s, nightly_q = timed(rollups.refresh, community)
    ok_gmv = gmv_check(community)

    say("Timing the dashboard's figures (cold, then 5 warm calls each)...")
    rows = measure(community, branch)
    say("Timing each dashboard page as the owner sees it...")
    page_rows = measure_pages(community)
    empty = empty_query_counts()
    count_ms, total_orders = baseline_count()
    say(f"pgbench -S for {args.pgbench_seconds} s...")
    tps = pgbench_select_only(database_url, args.pgbench_seconds)

    say("")
    say(f"Analytics ({seeded['members']:,} members, {seeded['orders']:,} orders, {seeded['lines']:,} lines, "
        f"{BRANCHES} branches, two years, {TZ}):")
    say(f"  seed                                 {seed_seconds:8.1f} s")
    say(f"  full refresh (all history)           {full_s:8.1f} s   {len(full_q):3} queries   {stored:,} rows stored")
    say(f"  nightly refresh (90 days)            {nightly_s:8.1f} s   {len(nightly_q):3} queries   "
        f"{nightly_stored:,} rows stored   [{'OK' if nightly_s < NIGHTLY_TARGET_S else 'OVER'}: < {NIGHTLY_TARGET_S} s]")
    say("")
    say(f"  {'figure':32} {'cold ms':>9} {'warm ms':>9} {'worst ms':>9} {'queries':>8} {'empty':>6}  target")
    grows = False
    for row in rows:
        same = row["queries"] == empty.get(row["label"])
        grows = grows or not same
        verdict = "OK" if row["warm"] < TARGET_MS and same else "OVER" if same else "GROWS"
        say(f"  {row['label']:32} {row['cold']:9.1f} {row['warm']:9.1f} {row['worst']:9.1f} {row['queries']:8} "
            f"{empty.get(row['label'], '?'):>6}  {verdict}")
    say("")
    say(f"  {'page (whole request)':32} {'cold ms':>9} {'warm ms':>9} {'worst ms':>9} {'queries':>8} {'empty':>6}  target")
    for row in page_rows:
        same = row["queries"] == empty.get(row["label"])
        grows = grows or not same
        broken = row["status"] != 200
        verdict = f"HTTP {row['status']}" if broken else (
            "OK" if row["warm"] < TARGET_MS and same else "OVER" if same else "GROWS")
        say(f"  {row['label']:32} {row['cold']:9.1f} {row['warm']:9.1f} {row['worst']:9.1f} {row['queries']:8} "
            f"{empty.get(row['label'], '?'):>6}  {verdict}")
    pages_ok = all(row["status"] == 200 for row in page_rows)
    say("")
    say("  baseline (same run, same server):")
    say(f"    SELECT count(*) FROM orders_order  {count_ms:8.1f} ms   ({total_orders:,} rows, warm median of 5)")
    say(f"    pgbench -S, 2 clients              {tps:8.0f} TPS" if tps else "    pgbench -S: not available")
    say(f"  checks: {'OK' if ok_gmv else 'MISMATCH'} (stored GMV equals the orders' sum); query counts "
        f"{'grow with the data' if grows else 'the same on an empty community'}")
    slow = [row for row in rows if row["warm"] >= TARGET_MS and row["slowest"]]
    for row in slow:
        say("")
        say(f"  {row['label']}: slowest query ({row['slowest']['time']} s), EXPLAIN (ANALYZE, BUFFERS):")
        say(f"    {row['slowest']['sql'][:600]}")
        for line in explain(row["slowest"]["sql"])[:args.plan_lines]:
            say(f"    {line}")
    say(f"\n(bench took {time.monotonic() - began:.0f} s; database {flash_sale.DB_NAME} kept for inspection)")
    return 0 if ok_gmv and not grows and pages_ok else 1


if __name__ == "__main__":
    sys.exit(main())
