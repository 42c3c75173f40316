#!/usr/bin/env python
"""Partner API benchmark (issue 13): what a key costs per request, and webhook fan-out.

    .venv/bin/python bench/partner_api.py [--orders 1000] [--endpoints 5] [--calls 2000]

On its own database ("shequn_bench_partner" on the embedded PostgreSQL, dropped and re-created):

1. Key authentication: ``PartnerKeyAuthentication.authenticate_credentials`` called N times
   (µs per call), beside the same run's raw ``SELECT 1`` round trip (the floor of any check that
   asks the database); then full GETs of a light partner endpoint (the webhook endpoint list)
   through DRF's test client: ms per request and SQL queries per request.
2. Webhook fan-out: a community with a partner's product and ``--orders`` members; two rounds
   with ``--orders`` paid orders each (placed and paid through the services), both failing at
   close (each order cancelled and refunded). The first closes with no endpoint, the second with
   ``--endpoints`` endpoints of the partner subscribed to every type, pointing at a local
   receiver process answering 200. Measured: each round's settlement (the closing sweep: the
   outbox rows are written, nothing more, so endpoints must not slow it), the events sweep
   (fan-out: webhook events and deliveries written), then sending every delivery with 1 and with
   2 sweep runners in parallel (processes): deliveries per second, and seconds until all are
   sent. Same-run baseline: raw POSTs per second to the same receiver from one process.

Exit status 1 if a check fails (every delivery sent, and received exactly once, per run);
times are measurements, not pass/fail.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import flash_sale  # noqa: E402  (the database and Django set-up are shared)

flash_sale.DB_NAME = "shequn_bench_partner"
FORK = multiprocessing.get_context("fork")


def say(message: str) -> None:
    print(message, flush=True)


# A receiver in its own process (the partner's system) --------------------------------------------

def _serve(port_out, counter) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a partner's server would
        disable_nagle_algorithm = True  # else the body waits for the client's delayed ACK (40 ms)

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with counter.get_lock():
                counter.value += 1
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.send(server.server_address[1])
    server.serve_forever()


def start_receiver():
    counter = FORK.Value("q", 0)
    parent, child = FORK.Pipe()
    process = FORK.Process(target=_serve, args=(child, counter), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{parent.recv()}/hooks", counter


# 1. Key authentication ---------------------------------------------------------------------------

def bench_auth(calls: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import User
    from partners import services
    from partners.api.auth import PartnerKeyAuthentication
    from partners.models import Scope

    owner = User.objects.create_user(email="keys@bench.invalid", display_name="Key owner")
    partner = services.partner_create(user=owner, name="Key farm")
    staff = partner.staff.get()
    _api_key, key = services.api_key_create(actor=staff, name="ERP", scopes=[Scope.MANAGE_WEBHOOKS])
    services.endpoint_create(actor=staff, url="http://127.0.0.1:9/none", events=["order.paid"])
    auth = PartnerKeyAuthentication()

    def per_call(fn, n) -> float:
        fn()
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(n // 5):
                fn()
            samples.append((time.perf_counter() - started) / (n // 5))
        return statistics.median(samples) * 1e6

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    result = {"auth_us": per_call(lambda: auth.authenticate_credentials(key), calls),
              "select1_us": per_call(select_one, calls)}
    settings.PARTNER_API_RATE = "100000000/min"  # the throttle is measured, not hit
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    path = "/api/v1/partner/webhooks/endpoints/"
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    result["get_queries"] = len(queries)
    gets = max(calls // 10, 50)
    result["get_ms"] = per_call(lambda: client.get(path), gets) / 1000
    anonymous = APIClient()
    anonymous.credentials(HTTP_HOST="127.0.0.1")
    result["get_401_ms"] = per_call(lambda: anonymous.get(path), gets) / 1000  # the same stack, no key checked
    return result


# 2. Webhook fan-out --------------------------------------------------------------------------------

def seed_shop(orders_count: int):
    from django.db import transaction

    from accounts.models import User
    from catalog.models import Product
    from communities import services as communities
    from communities.models import Community, Membership
    from orders import services as orders
    from partners import services
    from payments.models import Wallet, WalletEntry

    owner = User.objects.create_user(email="owner@bench.invalid", display_name="Bench owner")
    community = communities.community_create(owner=owner, name="Fan-out", join_policy=Community.JoinPolicy.OPEN)
    actor = Membership.objects.select_related("community", "user").get(community=community, user=owner)
    point = orders.pickup_point_save(actor=actor, name="Gate 1", address="Building 1")
    farmer = User.objects.create_user(email="farm@bench.invalid", display_name="Farmer")
    partner = services.partner_create(user=farmer, name="Green Farm")
    staff = partner.staff.get()
    connection = services.connection_decide(
        actor=actor, connection=services.connection_request(actor=staff, community=community), accept=True)
    product = Product.objects.create(community=community, supplier=connection.supplier, supplier_sku="EGG-12",
                                     name="Eggs", unit="box", list_price="30.00", review="approved")
    users = User.objects.bulk_create([User(email=f"b{i}@bench.invalid", display_name=f"Buyer {i}")
                                      for i in range(orders_count)])
    Membership.objects.bulk_create([Membership(community=community, user=u, role="member", status="active")
                                    for u in users])
    with transaction.atomic():  # a top-up each, as wallet_top_up writes it
        Wallet.objects.bulk_create([Wallet(community=community, member=u, balance=Decimal("100"), currency="CNY")
                                    for u in users])
        wallets = {w.member_id: w for w in Wallet.objects.filter(community=community)}
        WalletEntry.objects.bulk_create([
            WalletEntry(community=community, wallet=wallets[u.pk], kind="top_up", amount=Decimal("100"),
                        balance_after=Decimal("100"), key=f"topup:{u.pk}:bench") for u in users])
    members = list(Membership.objects.select_related("community", "user").filter(community=community, role="member"))
    return actor, point, product, staff, members


def round_with_paid_orders(actor, point, product, members, title: str):
    from django.utils import timezone

    from core.models import DomainEvent
    from orders import services as orders
    from orders.models import GroupBuy

    now = timezone.now()
    round_ = orders.group_buy_create(
        actor=actor, title=title, opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(hours=1),
        items=[orders.ItemSpec(product_id=product.pk, group_price=Decimal("20.00"), quantity_on_offer=100_000,
                               per_member_limit=None, tiers=())],
        pickup_point_ids=[point.pk], success_rule=GroupBuy.SuccessRule.MIN_QUANTITY,
        success_threshold=Decimal(len(members) * 10))  # never reached: the round fails
    item = round_.items.get()
    for i, member in enumerate(members):
        order, _ = orders.order_place(member=member, group_buy=round_, lines=[(item.pk, 1)],
                                      idempotency_key=f"{title}-{i}", pickup_point_id=point.pk)
        orders.order_pay_with_wallet(member=member, order=order)
    # The seeding's own events (order.paid, round.opened) are not what is measured: passed on already.
    DomainEvent.objects.filter(dispatch_due_at__isnull=False).update(dispatch_due_at=None, dispatched_at=now)
    GroupBuy.objects.filter(pk=round_.pk).update(closes_at=now)
    return round_


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def _runner(start_at: float, done) -> None:
    from django.db import connections

    from core.sweeps import sweep_run
    from partners import webhooks
    from partners.models import WebhookDelivery

    connections.close_all()
    while time.time() < start_at:
        time.sleep(0.001)
    while True:
        sweep_run(webhooks.SWEEP_NAME)
        if not WebhookDelivery.objects.filter(status="pending").exists():
            break
    done.value = time.time()
    connections.close_all()


def send_all(runners: int) -> float:
    """Seconds until every pending delivery is sent, with ``runners`` sweep processes at once."""
    from django.db import connections

    connections.close_all()
    start_at = time.time() + 0.5
    dones = [FORK.Value("d", 0.0) for _ in range(runners)]
    processes = [FORK.Process(target=_runner, args=(start_at, d)) for d in dones]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return max(d.value for d in dones) - start_at


def raw_posts(url: str, body: bytes, count: int) -> float:
    import requests

    session = requests.Session()
    session.trust_env = False
    started = time.perf_counter()
    for _ in range(count):
        session.post(url, data=body, headers={"content-type": "application/json"}, timeout=10).close()
    return count / (time.perf_counter() - started)


def commit_ms(count: int = 200) -> float:
    """One short write transaction (an UPDATE of one row, committed): the unit a delivery pays twice
    (its lease, then its answer)."""
    from django.db import connection, transaction

    from partners.models import WebhookEndpoint

    pk = WebhookEndpoint.objects.values_list("pk", flat=True).first()
    started = time.perf_counter()
    for _ in range(count):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE partners_webhookendpoint SET consecutive_failures = 0 WHERE id = %s", [pk])
    return (time.perf_counter() - started) / count * 1000


def bench_fan_out(orders_count: int, endpoints: int) -> dict:
    from core.events import SWEEP_NAME as EVENTS
    from core.sweeps import sweep_run
    from partners import services, webhooks
    from django.utils import timezone

    from partners.models import EventType, WebhookDelivery, WebhookEvent

    say(f"Seeding two rounds of {orders_count:,} paid orders (placed and paid through the services)...")
    started = time.perf_counter()
    actor, point, product, staff, members = seed_shop(orders_count)
    round_with_paid_orders(actor, point, product, members, "No endpoints")
    loud = round_with_paid_orders(actor, point, product, members, "Five endpoints")
    say(f"  seeded in {time.perf_counter() - started:.0f} s")
    result = {}
    from orders.models import GroupBuy

    # Round 1 closes with no endpoint; its events pass through the sweep (fan-out finds no one).
    GroupBuy.objects.filter(pk=loud.pk).update(closes_at=loud.closes_at + timedelta(hours=1))
    result["settle_without"], _ = timed(lambda: sweep_run("orders.close_group_buys"))
    result["events_without"], _ = timed(lambda: sweep_run(EVENTS))
    receiver, url, counter = start_receiver()
    for i in range(endpoints):
        services.endpoint_create(actor=staff, url=f"{url}/{i}", events=list(EventType.values))
    GroupBuy.objects.filter(pk=loud.pk).update(closes_at=timezone.now())
    result["settle_with"], _ = timed(lambda: sweep_run("orders.close_group_buys"))
    from core.models import DomainEvent

    result["domain_events"] = DomainEvent.objects.filter(dispatch_due_at__isnull=False).count()
    result["events_with"], _ = timed(lambda: sweep_run(EVENTS))
    result["webhook_events"] = WebhookEvent.objects.count()
    result["deliveries"] = total = WebhookDelivery.objects.count()
    assert GroupBuy.objects.get(pk=loud.pk).status == "failed"

    one = WebhookDelivery.objects.select_related("event", "endpoint").first()
    _headers, body = webhooks.request_for(one, one.created_at)
    result["raw_posts_per_s"] = raw_posts(url + "/raw", body, 1000)
    result["commit_ms"] = commit_ms()
    counter.value = 0
    checks = []
    for runners in (1, 2):
        WebhookDelivery.objects.update(status="pending", attempts=0, next_attempt_at=one.created_at,
                                       delivered_at=None, response_status=None)
        counter.value = 0
        seconds = send_all(runners)
        sent = WebhookDelivery.objects.filter(status="succeeded").count()
        result[f"runners_{runners}"] = (seconds, sent / seconds if seconds else 0.0, counter.value)
        checks.append(sent == total == counter.value)
    receiver.terminate()
    result["ok"] = all(checks)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    say(f"Preparing database {flash_sale.DB_NAME} on the embedded PostgreSQL...")
    _server, database_url, redis_url = flash_sale.prepare_database()
    env = flash_sale.service_env(database_url, redis_url)
    env["LOG_LEVEL"] = "ERROR"
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "true"  # the receiver listens on 127.0.0.1
    os.environ["WEBHOOK_DISABLE_AFTER"] = "1000"
    flash_sale.setup_django(env)
    # The bench drives the sweeps itself: queued tasks (no worker here) would only pile up in Redis.
    from core.tasks import run_sweep

    run_sweep.delay = lambda *a, **k: None

    auth = bench_auth(args.calls)
    say("")
    say(f"Key authentication ({args.calls:,} calls, median of 5 batches):")
    say(f"  authenticate_credentials     {auth['auth_us']:8.0f} µs/call")
    say(f"  raw SELECT 1 round trip      {auth['select1_us']:8.0f} µs/call   "
        f"(ratio {auth['auth_us'] / auth['select1_us']:.1f}×)")
    say(f"  GET webhooks/endpoints/      {auth['get_ms']:8.2f} ms/request, {auth['get_queries']} SQL queries")
    say(f"  the same GET without a key   {auth['get_401_ms']:8.2f} ms/request (401: the stack without the check)")

    fan = bench_fan_out(args.orders, args.endpoints)
    say("")
    say(f"Webhook fan-out: a round of {args.orders:,} paid orders failing at close, "
        f"{args.endpoints} endpoints subscribed to every type:")
    say(f"  {'step':44} {'seconds':>8}")
    say(f"  {'round settles, no endpoint':44} {fan['settle_without']:8.2f}")
    say(f"  {'round settles, ' + str(args.endpoints) + ' endpoints':44} {fan['settle_with']:8.2f}"
        f"   (ratio {fan['settle_with'] / fan['settle_without']:.2f})")
    say(f"  {'events sweep, no endpoint':44} {fan['events_without']:8.2f}")
    say(f"  {'events sweep, fan-out':44} {fan['events_with']:8.2f}   ({fan['domain_events']:,} domain events → "
        f"{fan['webhook_events']:,} webhook events → {fan['deliveries']:,} deliveries)")
    for runners in (1, 2):
        seconds, rate, received = fan[f"runners_{runners}"]
        say(f"  {'all sent, ' + str(runners) + ' sweep runner' + ('s' if runners > 1 else ''):44} {seconds:8.2f}"
            f"   {rate:7.0f} deliveries/s ({received:,} received)")
    say(f"  baselines: raw POSTs to the same receiver, one process: {fan['raw_posts_per_s']:.0f}/s; "
        f"one committed one-row UPDATE: {fan['commit_ms']:.2f} ms")
    say(f"  checks: {'OK' if fan['ok'] else 'FAILED'} (every delivery sent, and received exactly once, per run)")
    return 0 if fan["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
