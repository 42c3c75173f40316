#!/usr/bin/env python
"""Repurchase-prompt benchmark (定时复购提醒 at scale: who is due, and the sweep that tells them).

    .venv/bin/python bench/repurchase_prompts.py [--members 100000] [--products 200] [--lines 1000000]

On its own database ("shequn_bench_rp" on the embedded PostgreSQL, dropped and re-created each run):

1. seeds, by set-based SQL (generate_series), one community (Asia/Shanghai) with ``--members``
   active members (phone only: no e-mail copies are queued) over five branches, ``--products``
   products with consumption cycles of 3 to 30 days, 30 past rounds (one every three days over the
   last 90) selling all of them, ``--lines`` order lines in completed orders of those rounds (three
   lines an order, each with its charge, paid), and four open rounds selling 20 of the products
   with stock (one aimed at one branch), in which 2% of the members have a paid order already;
   5% of the members opted out of repurchase prompts, 10% were prompted in the last three days;
2. runs the due selector (``engagement.repurchase.due_prompts``) once under EXPLAIN ANALYZE and
   prints the plan's top lines and the indexes it uses, then times it warm (median of 5);
3. runs the sweep ``engagement.repurchase_prompts`` (core.sweeps) once, timed, counting prompts
   sent, SQL statements per prompt and whole due-query reads, then runs it again: it must send 0.

"Now" is 14:00 today in the community's time zone (prompts go out from 10:00 local time), so a
run at any hour finds the same due set. Exit status 1 if the second run sends anything (or the
first sends nothing); times are measurements, not pass/fail.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import flash_sale  # noqa: E402  (the database and Django set-up are shared)

flash_sale.DB_NAME = "shequn_bench_rp"
TZ = "Asia/Shanghai"
SWEEP = "engagement.repurchase_prompts"
PAST_ROUNDS = 30  # one every three days over the last 90
LINES_PER_ORDER = 3
ON_SALE = 20  # products in the open rounds
BRANCHES = 5


def say(message: str) -> None:
    print(message, flush=True)


def bench_now() -> datetime:
    tz = ZoneInfo(TZ)
    today = datetime.now(tz).date()
    return datetime(today.year, today.month, today.day, 14, 0, tzinfo=tz)


def seed(members: int, products: int, lines: int, now: datetime) -> int:
    """The community; returns its id. Everything above a few rows is one INSERT … SELECT."""
    from django.db import connection

    from accounts.models import User
    from communities import services as communities
    from communities.models import Community, Membership
    from orders import services as orders

    owner = User.objects.create_user(email="owner@bench.invalid", display_name="Bench owner")
    community = communities.community_create(owner=owner, name="Repurchase", join_policy=Community.JoinPolicy.OPEN,
                                             timezone=TZ)
    actor = Membership.objects.select_related("community", "user").get(community=community, user=owner)
    branches = [communities.branch_create(actor=actor, name=f"Branch {i}").pk for i in range(BRANCHES)]
    point = orders.pickup_point_save(actor=actor, name="Gate 1", address="Building 1, north gate").pk
    c = community.pk
    orders_count = -(-lines // LINES_PER_ORDER)
    with connection.cursor() as cursor:
        def run(sql, params=()):
            cursor.execute(sql, params)

        # Members: users (phone only), then their memberships, spread over the branches.
        run("""INSERT INTO accounts_user (password, is_superuser, display_name, language, is_staff, is_active,
                                          date_joined, phone)
               SELECT '', FALSE, 'Member ' || g, 'zh-hans', FALSE, TRUE, %s - interval '200 days',
                      '+86139' || lpad(g::text, 8, '0')
               FROM generate_series(1, %s) g""", [now, members])
        run("SELECT min(id) FROM accounts_user WHERE phone LIKE '+86139%%'")
        first_user = cursor.fetchone()[0]
        run("""INSERT INTO communities_membership (role, status, joined_at, ban_reason, community_id, user_id,
                                                   updated_at, branch_id)
               SELECT 'member', 'active', %s - interval '200 days', '', %s, %s + g,
                      %s - interval '200 days', (%s::bigint[])[1 + g %% %s]
               FROM generate_series(0, %s - 1) g""",
            [now, c, first_user, now, branches, BRANCHES, members])
        # Products: cycles 3–30 days.
        run("""INSERT INTO catalog_product (name, description, unit, list_price, is_active, created_at, updated_at,
                                            community_id, consumption_cycle_days, supplier_sku, review)
               SELECT 'Product ' || g, '', 'box', 10 + g %% 50, TRUE, %s - interval '200 days', %s, %s, 3 + g %% 28,
                      '', 'approved'
               FROM generate_series(0, %s - 1) g""", [now, now, c, products])
        run("SELECT min(id) FROM catalog_product WHERE community_id = %s", [c])
        first_product = cursor.fetchone()[0]
        # Past rounds: one every three days, open two days, fulfilled; each sells every product.
        run("""INSERT INTO orders_groupbuy (title, description, status, mode, team_window_hours, opens_at, closes_at,
                                            allows_delivery, delivery_fee, success_rule, success_threshold,
                                            commission_rate, created_at, community_id, updated_at)
               SELECT 'Past round ' || r, '', 'fulfilled', 'normal', 24,
                      %s - ((90 - 3 * r) || ' days')::interval, %s - ((88 - 3 * r) || ' days')::interval,
                      FALSE, 0, 'none', 0, 0, %s - ((91 - 3 * r) || ' days')::interval, %s, %s
               FROM generate_series(0, %s - 1) r""", [now, now, now, c, now, PAST_ROUNDS])
        run("""INSERT INTO orders_groupbuyitem (group_price, quantity_on_offer, quantity_sold, position, is_open,
                                                community_id, group_buy_id, product_id)
               SELECT p.list_price, 1000000, 0, 0, FALSE, %s, g.id, p.id
               FROM orders_groupbuy g CROSS JOIN catalog_product p
               WHERE g.community_id = %s AND g.status = 'fulfilled' AND p.community_id = %s""", [c, c, c])
        # Open rounds: four, selling ON_SALE products (two rounds share some), the last aimed at one branch.
        run("""INSERT INTO orders_groupbuy (title, description, status, mode, team_window_hours, opens_at, closes_at,
                                            allows_delivery, delivery_fee, success_rule, success_threshold,
                                            commission_rate, created_at, community_id, updated_at)
               SELECT 'Open round ' || r, '', 'open', 'normal', 24, %s - interval '1 hour',
                      %s + ((1 + r) || ' days')::interval, FALSE, 0, 'none', 0, 0, %s - interval '1 day', %s, %s
               FROM generate_series(0, 3) r""", [now, now, now, c, now])
        run("SELECT id FROM orders_groupbuy WHERE community_id = %s AND status = 'open' ORDER BY id", [c])
        open_rounds = [row[0] for row in cursor.fetchall()]
        run("""INSERT INTO orders_groupbuy_branches (groupbuy_id, community_id) VALUES (%s, %s)""",
            [open_rounds[-1], branches[0]])
        # Round r sells products 6r … 6r + 7 (two overlap with the next round): 20 products in all.
        run("""INSERT INTO orders_groupbuyitem (group_price, quantity_on_offer, quantity_sold, position, is_open,
                                                community_id, group_buy_id, product_id)
               SELECT 9, 100000, 0, k, TRUE, %s, (%s::bigint[])[1 + r], %s + 6 * r + k
               FROM generate_series(0, 3) r CROSS JOIN generate_series(0, 7) k
               WHERE 6 * r + k < %s""", [c, open_rounds, first_product, ON_SALE])
        # Completed orders: order n (0-based) in past round n % 30, by member (n × 7919) % members,
        # lines j = 0..2 of products (n × 31 + j × 67) % products; a charge each, paid.
        run("""INSERT INTO payments_charge (amount, currency, purpose, description, url, status, paid_amount,
                                            refunded_amount, created_at, paid_at, community_id, member_id)
               SELECT 30, 'CNY', 'order', 'Order', '', 'paid', 30, 0, %s, %s, %s, %s + (n::bigint * 7919) %% %s
               FROM generate_series(0, %s - 1) n""", [now, now, c, first_user, members, orders_count])
        run("SELECT min(id) FROM payments_charge WHERE community_id = %s", [c])
        first_charge = cursor.fetchone()[0]
        run("SELECT array_agg(id ORDER BY id) FROM orders_groupbuy WHERE community_id = %s AND status = 'fulfilled'",
            [c])
        past_rounds = cursor.fetchone()[0]
        run("""INSERT INTO orders_order (status, fulfilment, delivery_address, note, currency, total, pickup_code,
                                         idempotency_key, request_fingerprint, expiry_reminder_sent, created_at,
                                         paid_at, completed_at, updated_at, community_id, group_buy_id, member_id,
                                         charge_id, discount, points_discount, points_spent, pickup_point_id)
               SELECT 'completed', 'pickup', '', '', 'CNY', 30, lpad((n %% 1000000)::text, 6, '0'), 'bench-' || n,
                      '', FALSE, g.opens_at + (n %% 2800) * interval '1 minute',
                      g.opens_at + (n %% 2800) * interval '1 minute', g.closes_at + interval '1 day',
                      g.closes_at + interval '1 day', %s, g.id, %s + (n::bigint * 7919) %% %s, %s + n, 0, 0, 0, %s
               FROM generate_series(0, %s - 1) n
               JOIN orders_groupbuy g ON g.id = (%s::bigint[])[1 + n %% %s]""",
            [c, first_user, members, first_charge, point, orders_count, past_rounds, PAST_ROUNDS])
        run("SELECT min(id) FROM orders_order WHERE community_id = %s", [c])
        first_order = cursor.fetchone()[0]
        run("""INSERT INTO orders_orderline (name, unit, unit_price, quantity, line_total, community_id, item_id,
                                             order_id, product_id)
               SELECT 'Product', 'box', 10, 1 + (x.n / 7) %% 3, 10 * (1 + (x.n / 7) %% 3), %s, i.id, o.id, i.product_id
               FROM (SELECT n / %s AS n, n %% %s AS j FROM generate_series(0, %s - 1) n) x
               JOIN orders_order o ON o.id = %s + x.n
               JOIN orders_groupbuyitem i ON i.group_buy_id = o.group_buy_id
                    AND i.product_id = %s + (x.n * 31 + x.j * 67) %% %s""",
            [c, LINES_PER_ORDER, LINES_PER_ORDER, lines, first_order, first_product, products])
        # 2% of the members have a paid order in an open round already (it holds their prompt back).
        holders = members // 50
        run("""INSERT INTO payments_charge (amount, currency, purpose, description, url, status, paid_amount,
                                            refunded_amount, created_at, paid_at, community_id, member_id)
               SELECT 9, 'CNY', 'order', 'Open order', '', 'paid', 9, 0, %s, %s, %s, %s + 50 * n
               FROM generate_series(0, %s - 1) n""", [now, now, c, first_user, holders])
        run("""INSERT INTO orders_order (status, fulfilment, delivery_address, note, currency, total, pickup_code,
                                         idempotency_key, request_fingerprint, expiry_reminder_sent, created_at,
                                         paid_at, updated_at, community_id, group_buy_id, member_id, charge_id,
                                         discount, points_discount, points_spent, pickup_point_id)
               SELECT 'paid', 'pickup', '', '', 'CNY', 9, '000000', 'bench-open-' || ch.id, '', FALSE,
                      %s - interval '30 minutes', %s - interval '30 minutes', %s, %s, %s, ch.member_id, ch.id,
                      0, 0, 0, %s
               FROM payments_charge ch WHERE ch.community_id = %s AND ch.description = 'Open order'""",
            [now, now, now, c, open_rounds[0], point, c])
        run("""INSERT INTO orders_orderline (name, unit, unit_price, quantity, line_total, community_id, item_id,
                                             order_id, product_id)
               SELECT 'Product', 'box', 9, 1, 9, %s, i.id, o.id, i.product_id
               FROM orders_order o JOIN orders_groupbuyitem i ON i.group_buy_id = o.group_buy_id
               WHERE o.community_id = %s AND o.status = 'paid'""", [c, c])
        # 5% opted out on every channel; 10% prompted in the last three days (for a past purchase).
        run("""INSERT INTO core_notificationoptout (user_id, kind, channel)
               SELECT %s + 20 * n + 3, 'repurchase_prompt', 'all' FROM generate_series(0, %s - 1) n""",
            [first_user, members // 20])
        run("""INSERT INTO engagement_repurchaseprompt (community_id, member_id, product_id, last_order_id,
                                                        group_buy_id, item_id, due_on, sent_at)
               SELECT DISTINCT ON (o.member_id) %s, o.member_id, l.product_id, o.id, i.group_buy_id, i.id,
                      (%s::timestamptz - ((o.member_id %% 3) || ' days')::interval)::date,
                      %s::timestamptz - ((o.member_id %% 3) || ' days')::interval - interval '2 hours'
               FROM orders_order o
               JOIN orders_orderline l ON l.order_id = o.id
               JOIN orders_groupbuyitem i ON i.group_buy_id = %s AND i.product_id = l.product_id
               WHERE o.community_id = %s AND o.status = 'completed' AND (o.member_id - %s) %% 10 = 1
               ORDER BY o.member_id, o.completed_at DESC, o.id""",
            [c, now, now, open_rounds[0], c, first_user])
        for table in ("payments_charge", "orders_order", "orders_orderline"):  # the sequences move on
            run(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        run("VACUUM ANALYZE")
    return c


def counts(community_id: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT (SELECT count(*) FROM communities_membership WHERE community_id = %s),
                                 (SELECT count(*) FROM orders_order WHERE community_id = %s),
                                 (SELECT count(*) FROM orders_orderline WHERE community_id = %s),
                                 (SELECT count(*) FROM engagement_repurchaseprompt WHERE community_id = %s)""",
                       [community_id] * 4)
        return dict(zip(("memberships", "orders", "lines", "prompts"), cursor.fetchone()))


INDEX_USE = re.compile(r"(Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\S+)")
SEQ_SCAN = re.compile(r"Seq Scan on (\S+)")
PLAN_FILE = BASE_DIR / "var" / "bench-repurchase-plan.txt"


def plan_top(plan: list[str], count: int) -> list[str]:
    """The plan's first ``count`` lines past the two small CTEs (the rules and the items on sale:
    a few rows each) and without the Buffers lines: where the time goes."""
    kept, skip_below = [], None
    for line in plan:
        indent = len(line) - len(line.lstrip())
        if skip_below is not None:
            if indent > skip_below:
                continue
            skip_below = None
        stripped = line.strip()
        if stripped.startswith(("CTE rules", "CTE on_sale")):
            skip_below = indent
            continue
        if stripped.startswith("Buffers:"):
            continue
        kept.append(line)
    return kept[:count]


def explain(now: datetime) -> tuple[list[str], set[str], set[str]]:
    from django.db import connection

    from engagement import repurchase

    sql = repurchase._due_sql(one_member=False, one_community=False)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, repurchase._params(now, community=None, member=None))
        plan = [row[0] for row in cursor.fetchall()]
    if PLAN_FILE.parent.is_dir():
        PLAN_FILE.write_text("\n".join(plan) + "\n")
    indexes = {m.group(2) for line in plan for m in INDEX_USE.finditer(line)}
    seq = {m.group(1) for line in plan for m in SEQ_SCAN.finditer(line)}
    return plan, indexes, seq


def time_due(now: datetime, repeats: int = 5) -> tuple[float, float, int]:
    from engagement import repurchase

    found = repurchase.due_prompts(now)  # warm
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = repurchase.due_prompts(now)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), max(timings), len(found)


NODE_TIME = re.compile(r"->\s+(.*?)\s+\(cost=.*actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)\)")


def costliest_scans(plan: list[str], count: int = 5) -> list[str]:
    """The scans (and sorts) taking the most time in all (a node's time × its loops)."""
    nodes = []
    for line in plan:
        match = NODE_TIME.search(line)
        if match and ("Scan" in match.group(1) or "Sort" in match.group(1)) and "CTE Scan" not in match.group(1):
            total = float(match.group(2)) * int(match.group(4))
            nodes.append((total, f"{total:8.0f} ms  {match.group(1)}  ({match.group(3)} rows × {match.group(4)} loops)"))
    return [text for _total, text in sorted(nodes, reverse=True)[:count]]


class Counter:
    """Counts SQL statements (and whole due-query reads) without keeping them."""

    def __init__(self):
        self.statements = 0
        self.due_reads = 0
        self.due_read_seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        if "SELECT due.membership_id" not in sql:
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.due_reads += 1
            self.due_read_seconds += time.perf_counter() - started


def sweep(now: datetime, community_id: int):
    from django.db import connection

    from core.sweeps import sweep_run

    before = counts(community_id)["prompts"]
    counter = Counter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = sweep_run(SWEEP, now=now)
    seconds = time.perf_counter() - started
    sent = counts(community_id)["prompts"] - before
    return result, sent, seconds, counter


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--plan-lines", type=int, default=25, help="lines of the plan to print (default 25)")
    args = parser.parse_args(argv)
    if args.members < 100 or args.products < ON_SALE + 8 or args.lines < LINES_PER_ORDER:
        parser.error(f"at least 100 members, {ON_SALE + 8} products and {LINES_PER_ORDER} lines")
    say(f"Preparing database {flash_sale.DB_NAME} on the embedded PostgreSQL...")
    _server, database_url, redis_url = flash_sale.prepare_database()
    env = flash_sale.service_env(database_url, redis_url)
    env["LOG_LEVEL"] = "WARNING"
    flash_sale.setup_django(env)
    now = bench_now()
    say(f"Seeding {args.members:,} members, {args.products:,} products and {args.lines:,} order lines "
        f"(now = {now:%Y-%m-%d %H:%M} {TZ})...")
    started = time.perf_counter()
    community_id = seed(args.members, args.products, args.lines, now)
    seed_seconds = time.perf_counter() - started
    seeded = counts(community_id)
    say(f"  seeded in {seed_seconds:.1f} s: {seeded['memberships']:,} memberships, {seeded['orders']:,} orders, "
        f"{seeded['lines']:,} lines, {seeded['prompts']:,} earlier prompts")

    plan, indexes, seq = explain(now)
    say("")
    say("Due selector (repurchase.due_prompts, every community), EXPLAIN (ANALYZE, BUFFERS), top lines "
        f"past the two small CTEs (whole plan in {PLAN_FILE.relative_to(BASE_DIR)}):")
    for line in plan_top(plan, args.plan_lines):
        say(f"  {line}")
    say(f"  ... ({len(plan)} lines in all)   {' / '.join(line for line in plan[-2:])}")
    say("  costliest nodes (time × loops, inclusive of their children):")
    for line in costliest_scans(plan):
        say(f"    {line}")
    say(f"  indexes used: {', '.join(sorted(indexes)) or 'none'}")
    say(f"  sequential scans on: {', '.join(sorted(seq)) or 'none'}")
    median, worst, due_count = time_due(now)

    first, sent, seconds, counter = sweep(now, community_id)
    second, again, seconds2, counter2 = sweep(now, community_id)

    say("")
    say(f"Repurchase prompts ({args.members:,} members, {args.products:,} products, {seeded['orders']:,} orders, "
        f"{seeded['lines']:,} lines):")
    say(f"  seed                 {seed_seconds:8.1f} s")
    say(f"  due query            median {median * 1000:8.0f} ms   worst {worst * 1000:8.0f} ms   (5 warm runs)   "
        f"{due_count:,} members due")
    say(f"  sweep, first run     {seconds:8.1f} s   {sent:,} prompts sent   {sent / seconds if seconds else 0:.0f} prompts/s"
        f"   {first.as_dict()}")
    per_prompt = counter.statements / sent if sent else float("nan")
    say(f"    SQL statements     {counter.statements:,} in all, {per_prompt:.1f} per prompt; "
        f"{counter.due_reads} whole due-query reads taking {counter.due_read_seconds:.1f} s")
    say(f"  sweep, second run    {seconds2:8.1f} s   {again:,} prompts sent   {second.as_dict()}   "
        f"{counter2.statements:,} statements")
    ok = again == 0 and sent > 0 and sent == due_count
    say(f"  checks: {'OK' if ok else 'FAILED'} (the first run sends one prompt to each member due, "
        f"{sent:,} of {due_count:,}; the second sends {again})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
