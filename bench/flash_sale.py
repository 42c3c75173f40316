#!/usr/bin/env python
"""Flash-sale benchmark (DESIGN.md, "Targets"): one item, N units, M concurrent buyers over HTTP.

    .venv/bin/python bench/flash_sale.py [--units 300] [--buyers 50] [--port 0] ...

What it does, on its own database ("shequn_bench" on the embedded PostgreSQL, dropped and
re-created each run, so dev data is never touched):

1. migrates it and seeds, through the services, a community, an owner, M members with API
   tokens, a product, a pickup point and an open group-buy of one item with N units;
2. measures the SQL statements of one order placement in-process (the API through Django's
   test client with Token auth) on a separate round;
3. runs pgbench on the same server: a one-row hot counter decremented by M clients for 10 s
   (the ceiling for "many clients take units from one row");
4. starts gunicorn (config.wsgi, production settings) on 127.0.0.1, warms every worker up, then
   releases M buyer threads together; each POSTs orders of one unit with a fresh Idempotency-Key
   over a keep-alive connection until it is told 409 sold_out (bounded by --max-requests);
5. checks the database: units sold by live orders vs units offered (oversold must be 0),
   quantity_sold agreeing with the lines, one order per 201;
6. prints the figures against the targets. Exit status 1 only if a unit was oversold (or the run
   could not be made); a missed speed target is a measurement, not a failure.

``--profile K`` also places K orders in-process under cProfile and prints where the time goes.
``--sweep`` runs the sale once per gunicorn configuration in SWEEP and prints each result.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DB_NAME = "shequn_bench"
PGBENCH_SECONDS = 10
LOG_FILE = BASE_DIR / "var" / "bench-gunicorn.log"
# Measured on the 2-core target machine (bench --sweep): with PostgreSQL and the buyers on the
# same two cores, a few sync workers beat threads (no GIL contention, no keep-alive bookkeeping).
DEFAULT_WORKER_CLASS = "sync"
DEFAULT_WORKERS = 3
DEFAULT_THREADS = 1
SWEEP = [("sync", 3, 1), ("sync", 4, 1), ("sync", 6, 1), ("sync", 8, 1), ("gthread", 2, 4), ("gthread", 4, 4)]

TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.IGNORECASE)
TARGET_RATIO = 0.25
TARGET_P99_MS = 150.0
TARGET_QUERIES = 8


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=300, help="units on offer (default 300)")
    parser.add_argument("--buyers", type=int, default=50, help="concurrent buyers and pgbench clients (default 50)")
    parser.add_argument("--max-requests", "--requests-per-buyer", dest="max_requests", type=int, default=None,
                        help="at most this many orders per buyer (default: enough to sell out many times over)")
    parser.add_argument("--port", type=int, default=0, help="port for gunicorn (default: a free one)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"gunicorn workers (default {DEFAULT_WORKERS})")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="threads per gthread worker")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default=DEFAULT_WORKER_CLASS,
                        help=f"gunicorn worker class (default {DEFAULT_WORKER_CLASS})")
    parser.add_argument("--pgbench-seconds", type=int, default=PGBENCH_SECONDS,
                        help=f"length of the pgbench baseline (default {PGBENCH_SECONDS})")
    parser.add_argument("--profile", type=int, default=0, metavar="K",
                        help="also profile K in-process order placements and print the top costs")
    parser.add_argument("--sweep", action="store_true", help="try each gunicorn configuration of SWEEP")
    args = parser.parse_args(argv)
    if args.units < 1 or args.buyers < 1:
        parser.error("--units and --buyers must be at least 1")
    if args.max_requests is None:
        args.max_requests = 4 * math.ceil(args.units / args.buyers) + 20
    return args


def say(message: str) -> None:
    print(message, flush=True)


# Database and Django -------------------------------------------------------------------------------

def prepare_database():
    """A fresh shequn_bench on the embedded server; returns (server, DATABASE_URL, REDIS_URL)."""
    from core import devservices

    server = devservices.postgres_server()
    server.psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE);")
    server.psql(f"CREATE DATABASE {DB_NAME};")
    return server, server.get_uri(DB_NAME), devservices.redis_url()


def service_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_hex(32),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CONN_MAX_AGE": "600",
        # Every sold-out answer is a 409, which Django logs as a warning: not what is measured here.
        "LOG_LEVEL": "ERROR",
    })
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS",
                                           "SECURE_SSL_REDIRECT", "DATABASE_URL", "REDIS_URL", "CONN_MAX_AGE",
                                           "LOG_LEVEL")})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


@dataclass
class Round:
    group_buy_id: int
    item_id: int
    units: int


@dataclass
class Seed:
    slug: str
    point_id: int
    tokens: list[str]
    owner_membership_id: int
    rounds: list[Round] = field(default_factory=list)


def seed(buyers: int) -> Seed:
    """A community, its owner, ``buyers`` members with API tokens and a pickup point, via the services."""
    from accounts.models import User
    from accounts.services import api_token_create
    from communities import services as communities
    from communities.models import Community, Membership
    from orders import services as orders

    owner = User.objects.create_user(email="owner@bench.invalid", display_name="Bench owner")
    community = communities.community_create(owner=owner, name="Flash sale", join_policy=Community.JoinPolicy.OPEN)
    tokens = []
    for index in range(buyers):
        user = User.objects.create_user(email=f"buyer{index}@bench.invalid", display_name=f"Buyer {index}")
        communities.membership_join(user=user, community=community)
        tokens.append(api_token_create(user=user, name="flash sale")[1])
    actor = Membership.objects.select_related("community", "user").get(community=community, user=owner)
    point = orders.pickup_point_save(actor=actor, name="Gate 1", address="Building 1, north gate")
    return Seed(slug=community.slug, point_id=point.pk, tokens=tokens, owner_membership_id=actor.pk)


def open_round(data: Seed, units: int, title: str) -> Round:
    from django.utils import timezone

    from catalog import services as catalog
    from communities.models import Membership
    from orders import services as orders

    actor = Membership.objects.select_related("community", "user").get(pk=data.owner_membership_id)
    product = catalog.product_create(actor=actor, name=title, unit="box", list_price="39.00")
    now = timezone.now()
    group_buy = orders.group_buy_create(
        actor=actor, title=title, opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=1),
        items=[orders.ItemSpec(product_id=product.pk, group_price=Decimal("19.90"), quantity_on_offer=units)],
        pickup_point_ids=[data.point_id])
    item = group_buy.items.get()
    round_ = Round(group_buy_id=group_buy.pk, item_id=item.pk, units=units)
    data.rounds.append(round_)
    return round_


def order_body(data: Seed, round_: Round) -> bytes:
    return json.dumps({"group_buy": round_.group_buy_id, "lines": [{"item": round_.item_id, "quantity": 1}],
                       "fulfilment": "pickup", "pickup_point": data.point_id}).encode()


def orders_path(data: Seed) -> str:
    return f"/api/v1/communities/{data.slug}/orders/"


def measure_queries(data: Seed) -> list[str]:
    """The SQL statements of one order placement through the API, in-process, with Token auth."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    round_ = open_round(data, 10, "Query count probe")
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {data.tokens[0]}")
    body = order_body(data, round_)
    client.post(orders_path(data), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="probe-warm")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(orders_path(data), body, content_type="application/json",
                               HTTP_IDEMPOTENCY_KEY="probe-1")
    if response.status_code != 201:
        raise RuntimeError(f"probe order failed: {response.status_code} {response.content[:300]!r}")
    return [q["sql"] for q in queries.captured_queries]


def profile(data: Seed, count: int) -> str:
    """Place ``count`` orders in-process under cProfile; where does one order's time go?"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    round_ = open_round(data, count + 10, "Profile probe")
    clients = []
    for token in data.tokens:
        client = APIClient(SERVER_NAME="127.0.0.1")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        clients.append(client)
    body = order_body(data, round_)
    path = orders_path(data)
    for n in range(5):  # warm: URL resolver, translations, connection
        clients[0].post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"warm-{n}")
    profiler = cProfile.Profile()
    sql_seconds = 0.0
    statements = 0
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        for n in range(count):
            response = clients[n % len(clients)].post(path, body, content_type="application/json",
                                                      HTTP_IDEMPOTENCY_KEY=f"prof-{n}")
            assert response.status_code == 201, response.content
        profiler.disable()
    wall = time.perf_counter() - started
    for query in queries.captured_queries:
        sql_seconds += float(query["time"])
        statements += 1
    out = io.StringIO()
    out.write(f"\nProfile of {count} in-process order placements (Django test client, Token auth, cProfile on):\n")
    out.write(f"  wall per order          {wall / count * 1000:7.2f} ms  (cProfile inflates Python time)\n")
    out.write(f"  SQL per order           {sql_seconds / count * 1000:7.2f} ms  over "
              f"{statements / count:.1f} statements (BEGIN and COMMIT included)\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


def run_pgbench(server_uri: str, clients: int, seconds: int) -> float:
    from django.db import connection

    from core import devservices

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_hot")
        cursor.execute("CREATE TABLE bench_hot (id int PRIMARY KEY, qty int)")
        cursor.execute("INSERT INTO bench_hot VALUES (1, 1000000000)")
    socket_dir = parse_qs(urlparse(server_uri).query)["host"][0]
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("UPDATE bench_hot SET qty = qty - 1 WHERE id = 1 AND qty > 0;\n")
    try:
        result = subprocess.run(
            [str(devservices.pg_bin_dir() / "pgbench"), "-n", "-c", str(clients), "-j", "2", "-T", str(seconds),
             "-f", script.name, "-h", socket_dir, "-U", "postgres", DB_NAME],
            capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(script.name)
    match = (re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
             or re.search(r"tps = ([\d.]+)", result.stdout))
    if result.returncode != 0 or not match:
        raise RuntimeError(f"pgbench failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))


# Gunicorn ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env, port: int, worker_class: str, workers: int, threads: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", worker_class, "--preload", "--log-level", "warning",
               "--timeout", "30", "--graceful-timeout", "5"]
    if worker_class == "gthread":
        command += ["--threads", str(threads), "--keep-alive", "5"]
    log = open(LOG_FILE, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, env=env, cwd=BASE_DIR, start_new_session=True, stdout=log, stderr=log)


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(gunicorn_pid: int) -> dict[str, float]:
    """CPU seconds used so far by gunicorn (master and workers), PostgreSQL and this process (Linux)."""
    totals = {"gunicorn": 0.0, "postgres": 0.0, "buyers": _cpu_seconds(os.getpid())}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if int(entry.name) == gunicorn_pid or ppid == gunicorn_pid:
            totals["gunicorn"] += _cpu_seconds(int(entry.name))
        elif cmdline.startswith(b"postgres"):
            totals["postgres"] += _cpu_seconds(int(entry.name))
    return totals


# The sale ----------------------------------------------------------------------------------------

class Buyer:
    """One member on a phone: a keep-alive connection, reopened when the server closes it."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", "Host": "127.0.0.1",
                        "Connection": "keep-alive"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, key: str | None = None):
        headers = dict(self.headers, **({"Idempotency-Key": key} if key else {}))
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.conn.close()
                return response.status, data
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                # The server closed an idle connection: retry (an order retried with the same
                # Idempotency-Key is never placed twice).
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        self.conn.close()


@dataclass
class SaleResult:
    created: int = 0
    sold_out: int = 0
    errors: int = 0
    error_samples: list = field(default_factory=list)
    latencies: list = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    started: float = 0.0
    last_created: float = 0.0
    finished: float = 0.0


def flash_sale(port: int, data: Seed, round_: Round, buyers: int, max_requests: int,
               snapshot=lambda: {}) -> SaleResult:
    result = SaleResult()
    lock = threading.Lock()
    body = order_body(data, round_)
    path = orders_path(data)
    warm_path = f"/api/v1/communities/{data.slug}/group-buys/{round_.group_buy_id}/progress/"
    run_id = secrets.token_hex(4)

    def start():
        result.cpu = snapshot()
        result.started = time.perf_counter()

    barrier = threading.Barrier(buyers, action=start)

    def work(index: int):
        client = Buyer(port, data.tokens[index % len(data.tokens)])
        latencies, created, sold_out, errors, samples, last = [], 0, 0, 0, [], 0.0
        try:
            for _ in range(3):  # warm-up: every worker (and its DB connection) has served a request
                client.request("GET", warm_path)
            barrier.wait()
            for n in range(max_requests):
                began = time.perf_counter()
                try:
                    status, raw = client.request("POST", path, body, key=f"{run_id}-{index}-{n}")
                except Exception as exc:  # a dropped connection is an error answer, not a crash
                    status, raw = 0, repr(exc).encode()
                ended = time.perf_counter()
                latencies.append(ended - began)
                if status == 201:
                    created += 1
                    last = ended
                    continue
                code = None
                if status == 409:
                    try:
                        code = json.loads(raw).get("code")
                    except ValueError:
                        pass
                if code == "sold_out":
                    sold_out += 1
                    break
                errors += 1
                if len(samples) < 3:
                    samples.append((status, raw[:200]))
        finally:
            client.close()
            with lock:
                result.latencies += latencies
                result.created += created
                result.sold_out += sold_out
                result.errors += errors
                result.error_samples += samples
                result.last_created = max(result.last_created, last)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.finished = time.perf_counter()
    end = snapshot()
    result.cpu = {name: end[name] - result.cpu.get(name, 0.0) for name in end}
    return result


def verify(round_: Round) -> dict:
    from django.db.models import Sum

    from orders.models import GroupBuyItem, Order, OrderLine
    from orders.services import LIVE_STATUSES

    item = GroupBuyItem.objects.get(pk=round_.item_id)
    sold = OrderLine.objects.filter(item_id=round_.item_id, order__status__in=LIVE_STATUSES).aggregate(
        q=Sum("quantity"))["q"] or 0
    return {"offered": item.quantity_on_offer, "sold_by_lines": sold, "quantity_sold": item.quantity_sold,
            "orders": Order.objects.filter(group_buy_id=round_.group_buy_id).count(),
            "oversold": max(0, sold - item.quantity_on_offer, item.quantity_sold - item.quantity_on_offer)}


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def run_config(env, args, data: Seed, worker_class: str, workers: int, threads: int, title: str) -> dict:
    round_ = open_round(data, args.units, title)
    port = args.port or free_port()
    process = start_gunicorn(env, port, worker_class, workers, threads)
    try:
        wait_healthy(port, process)
        sale = flash_sale(port, data, round_, args.buyers, args.max_requests,
                          snapshot=lambda: cpu_snapshot(process.pid))
    finally:
        stop_gunicorn(process)
    checks = verify(round_)
    window = (sale.last_created - sale.started) if sale.created else float("nan")
    return {"config": f"{worker_class} workers={workers}" + (f" threads={threads}" if worker_class == "gthread" else ""),
            "sale": sale, "checks": checks, "orders_per_s": sale.created / window if sale.created else 0.0,
            "sellout_s": window, "p50_ms": percentile(sale.latencies, 50) * 1000,
            "p99_ms": percentile(sale.latencies, 99) * 1000}


def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(args, run: dict, tps: float, statements: list[str]) -> bool:
    sale, checks = run["sale"], run["checks"]
    ratio = run["orders_per_s"] / tps if tps else float("nan")
    control = [sql for sql in statements if TRANSACTION_CONTROL.match(sql)]
    queries = len(statements) - len(control)
    sold_out_reached = checks["sold_by_lines"] == checks["offered"]
    consistent = checks["sold_by_lines"] == checks["quantity_sold"] and checks["orders"] == sale.created
    say("")
    say("=" * 72)
    say(f"Flash sale: {args.units} units, {args.buyers} buyers over HTTP, gunicorn {run['config']}")
    say("=" * 72)
    say(f"  successful orders/s      {run['orders_per_s']:9.1f}   ({sale.created} orders in {run['sellout_s']:.2f} s "
        f"to sell out)")
    say(f"  latency p50 / p99        {run['p50_ms']:7.1f} ms / {run['p99_ms']:.1f} ms   "
        f"(all {len(sale.latencies)} answers)")
    say(f"  answers                  201: {sale.created}   409 sold_out: {sale.sold_out}   other: {sale.errors}")
    for status, raw in sale.error_samples:
        say(f"      e.g. {status}: {raw!r}")
    say(f"  units sold / offered     {checks['sold_by_lines']} / {checks['offered']}   quantity_sold="
        f"{checks['quantity_sold']}   orders={checks['orders']}   "
        f"{'consistent' if consistent else 'INCONSISTENT'}{'' if sold_out_reached else '   (did not sell out)'}")
    say(f"  oversold units           {checks['oversold']}")
    if sale.cpu and sale.latencies:
        per = {name: seconds / len(sale.latencies) * 1000 for name, seconds in sale.cpu.items()}
        busy = sum(sale.cpu.values()) / (sale.finished - sale.started) / (os.cpu_count() or 1)
        say(f"  CPU per answer           gunicorn {per['gunicorn']:.2f} ms, PostgreSQL {per['postgres']:.2f} ms, "
            f"buyers {per['buyers']:.2f} ms   ({busy:.0%} of {os.cpu_count()} cores busy)")
    say(f"  SQL per order            {queries} statements, Token auth included (+ {len(control)} for the "
        f"transaction: {', '.join(control)})")
    say(f"  pgbench hot-row TPS      {tps:9.1f}   (-c {args.buyers} -j 2 -T {args.pgbench_seconds}, same server)")
    say(f"  orders/s / pgbench TPS   {ratio:9.3f}")
    say("")
    say("Targets (DESIGN.md):")
    say(f"  [{mark(ratio >= TARGET_RATIO)}] orders/s >= {TARGET_RATIO} x pgbench TPS   ({ratio:.3f})")
    say(f"  [{mark(run['p99_ms'] < TARGET_P99_MS)}] p99 < {TARGET_P99_MS:.0f} ms              ({run['p99_ms']:.1f} ms)")
    say(f"  [{mark(checks['oversold'] == 0)}] 0 units oversold              ({checks['oversold']})")
    say(f"  [{mark(queries <= TARGET_QUERIES)}] <= {TARGET_QUERIES} SQL queries per order   ({queries})")
    return checks["oversold"] == 0


def main(argv=None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    say(f"Preparing database {DB_NAME} on the embedded PostgreSQL...")
    server, database_url, redis_url = prepare_database()
    env = service_env(database_url, redis_url)
    setup_django(env)
    say(f"Seeding {args.buyers} buyers...")
    data = seed(args.buyers)
    statements = measure_queries(data)
    if args.profile:
        say(profile(data, args.profile))
    say(f"pgbench: {args.buyers} clients on one hot row for {args.pgbench_seconds} s...")
    tps = run_pgbench(database_url, args.buyers, args.pgbench_seconds)
    from django.db import connection

    connection.close()  # the bench process holds no connection while the server is measured
    configs = SWEEP if args.sweep else [(args.worker_class, args.workers, args.threads)]
    runs = []
    for worker_class, workers, threads in configs:
        say(f"Flash sale with gunicorn {worker_class} workers={workers} threads={threads}...")
        runs.append(run_config(env, args, data, worker_class, workers, threads, f"Flash sale {len(runs) + 1}"))
        connection.close()
    if args.sweep:
        say("\nSweep (orders/s, p50, p99, oversold):")
        for run in runs:
            say(f"  {run['config']:<28} {run['orders_per_s']:7.1f}/s  p50 {run['p50_ms']:6.1f} ms  "
                f"p99 {run['p99_ms']:6.1f} ms  oversold {run['checks']['oversold']}")
    best = max(runs, key=lambda r: (r["p99_ms"] < TARGET_P99_MS, r["orders_per_s"]))
    ok = all(run["checks"]["oversold"] == 0 for run in runs)
    report(args, best, tps, statements)
    say(f"\n(bench took {time.monotonic() - began:.0f} s; database {DB_NAME} kept for inspection)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
