#!/usr/bin/env python
"""Event RSVP rush and reminder benchmark.

    .venv/bin/python bench/event_rush.py [--members 1000] [--threads 50] [--capacity 300] [--going 10000]

On its own database ("shequn_bench_ev" on the embedded PostgreSQL, dropped and re-created each run):

1. RSVP rush: ``--members`` members answer one free event of ``--capacity`` seats from ``--threads``
   threads at once, through ``engagement.events.rsvp_create`` (the service the page and the API
   call). Every answer is timed; the first ``capacity`` seats go, the rest join the waitlist.
2. Cancellation wave: the first 100 members going cancel, from the same number of threads; each
   cancellation offers the freed seat to the next in line in the same transaction.
3. Reminders: an event with ``--going`` members going (bulk-inserted as rsvp_create writes them)
   gets its day-before reminder by one run of the sweep, timed, with the process's peak memory.
4. Checks: seats taken never above the capacity and equal to the seats of RSVPs holding them;
   offers made in waitlist order, one per freed seat; one reminder per member going.

Exit status 1 if a check fails; times are measurements, not pass/fail.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import flash_sale  # noqa: E402  (the database and Django set-up are shared)

flash_sale.DB_NAME = "shequn_bench_ev"


def say(message: str) -> None:
    print(message, flush=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(members: int):
    from accounts.models import User
    from communities import services as communities
    from communities.models import Community, Membership

    owner = User.objects.create_user(email="owner@bench.invalid", display_name="Bench owner")
    community = communities.community_create(owner=owner, name="Events", join_policy=Community.JoinPolicy.OPEN)
    actor = Membership.objects.select_related("community", "user").get(community=community, user=owner)
    users = User.objects.bulk_create([User(email=f"m{i}@bench.invalid", display_name=f"Member {i}")
                                      for i in range(members)])
    Membership.objects.bulk_create([Membership(community=community, user=u, role="member", status="active")
                                    for u in users])
    memberships = list(Membership.objects.select_related("community", "user")
                       .filter(community=community, role="member").order_by("pk"))
    return actor, memberships


def make_event(actor, *, capacity, title, starts_in):
    from django.utils import timezone

    from engagement import events

    starts = timezone.now() + starts_in
    event = events.event_create(actor=actor, title=title, kind="meetup", starts_at=starts,
                                ends_at=starts + timedelta(hours=2), capacity=capacity, address="Hall 1")
    return events.event_publish(actor=actor, event=event)


def in_threads(threads: int, jobs: list, work) -> tuple[list[float], list]:
    """Run work(job) for every job from ``threads`` threads; return each call's seconds and errors."""
    from django.db import connection

    lock, cursor = threading.Lock(), iter(jobs)
    timings, errors = [], []
    barrier = threading.Barrier(threads)

    def run():
        barrier.wait()
        try:
            while True:
                with lock:
                    job = next(cursor, None)
                if job is None:
                    return
                started = time.perf_counter()
                try:
                    work(job)
                except Exception as exc:  # counted, reported
                    errors.append(exc)
                with lock:
                    timings.append(time.perf_counter() - started)
        finally:
            connection.close()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return timings, errors


def p(timings: list[float], q: float) -> float:
    return statistics.quantiles(timings, n=100)[q - 1] * 1000 if len(timings) > 1 else 0.0


def rush(actor, memberships, threads: int, capacity: int):
    from engagement import events

    event = make_event(actor, capacity=capacity, title="Rush", starts_in=timedelta(days=3))
    started = time.perf_counter()
    timings, errors = in_threads(threads, memberships, lambda m: events.rsvp_create(membership=m, event=event))
    return event, time.perf_counter() - started, timings, errors


def cancel_wave(event, memberships, threads: int, count: int):
    from engagement import events
    from engagement.models import RSVP

    going = list(RSVP.objects.filter(event=event, status="going").order_by("created_at", "pk")[:count])
    by_user = {m.user_id: m for m in memberships}
    started = time.perf_counter()
    timings, errors = in_threads(threads, going, lambda r: events.rsvp_cancel(membership=by_user[r.member_id],
                                                                              rsvp=r))
    return time.perf_counter() - started, timings, errors


def reminders(actor, memberships, going: int):
    from django.utils import timezone

    from accounts.models import User
    from communities.models import Membership
    from core.sweeps import sweep_run
    from engagement.models import RSVP

    if going > len(memberships):
        users = User.objects.bulk_create([User(email=f"g{i}@bench.invalid", display_name=f"Guest {i}")
                                          for i in range(going - len(memberships))])
        Membership.objects.bulk_create([Membership(community=actor.community, user=u, role="member",
                                                   status="active") for u in users])
    user_ids = list(Membership.objects.filter(community=actor.community, role="member")
                    .values_list("user_id", flat=True).order_by("pk")[:going])
    event = make_event(actor, capacity=None, title="Big meetup", starts_in=timedelta(hours=20))
    RSVP.objects.bulk_create([RSVP(community_id=event.community_id, event=event, member_id=uid, status="going")
                              for uid in user_ids], batch_size=2000)
    type(event).objects.filter(pk=event.pk).update(seats_taken=len(user_ids))
    before = peak_mb()
    started = time.perf_counter()
    result = sweep_run("engagement.remind_day_before", now=timezone.now())
    return event, time.perf_counter() - started, result, before, peak_mb()


def verify(rush_event, capacity, cancelled, big_event, going) -> list[str]:
    from django.db.models import F, Sum

    from core.models import Notification
    from engagement.models import RSVP

    problems = []
    rush_event.refresh_from_db()
    held = RSVP.objects.filter(event=rush_event, status__in=RSVP.HOLDS_SEATS).aggregate(
        seats=Sum(F("guests") + 1))["seats"] or 0
    if rush_event.seats_taken > capacity:
        problems.append(f"overbooked: {rush_event.seats_taken} > {capacity}")
    if held != rush_event.seats_taken:
        problems.append(f"seats_taken {rush_event.seats_taken} != seats held {held}")
    offered = list(RSVP.objects.filter(event=rush_event, status="offered").order_by("waitlisted_at", "pk"))
    first_waiting = list(RSVP.objects.filter(event=rush_event, status__in=["offered", "waitlisted"])
                         .order_by("waitlisted_at", "pk")[:len(offered)])
    if len(offered) != cancelled:
        problems.append(f"{len(offered)} offers for {cancelled} freed seats")
    if [r.pk for r in offered] != [r.pk for r in first_waiting]:
        problems.append("offers not made in waitlist order")
    sent = Notification.objects.filter(kind="event_reminder", dedupe_key__startswith=f"event_reminder:day:{big_event.pk}:")
    if sent.count() != going:
        problems.append(f"{sent.count()} reminders for {going} members going")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--capacity", type=int, default=300)
    parser.add_argument("--going", type=int, default=10000)
    args = parser.parse_args(argv)
    say(f"Preparing database {flash_sale.DB_NAME} on the embedded PostgreSQL...")
    _server, database_url, redis_url = flash_sale.prepare_database()
    env = flash_sale.service_env(database_url, redis_url)
    env["LOG_LEVEL"] = "WARNING"
    flash_sale.setup_django(env)
    say(f"Seeding {args.members:,} members...")
    actor, memberships = seed(args.members)
    say(f"RSVP rush: {args.members:,} members, {args.threads} threads, {args.capacity} seats...")
    event, rush_seconds, rush_times, rush_errors = rush(actor, memberships, args.threads, args.capacity)
    wave = min(100, args.capacity)
    say(f"Cancellation wave: {wave} cancellations, each offering its seat to the next in line...")
    wave_seconds, wave_times, wave_errors = cancel_wave(event, memberships, args.threads, wave)
    say(f"Reminders: the day-before reminder to {args.going:,} members going...")
    big, remind_seconds, result, mem0, mem1 = reminders(actor, memberships, args.going)
    problems = verify(event, args.capacity, wave, big, args.going)
    problems += [f"rush error: {e!r}" for e in rush_errors[:3]] + [f"cancel error: {e!r}" for e in wave_errors[:3]]
    say("")
    say(f"RSVP rush ({args.members:,} answers, {args.threads} threads, one event of {args.capacity} seats):")
    say(f"  {len(rush_times) / rush_seconds:8.0f} RSVPs/s   p50 {p(rush_times, 50):6.1f} ms   "
        f"p99 {p(rush_times, 99):6.1f} ms")
    say(f"Cancellations with waitlist offers ({wave}):")
    say(f"  {len(wave_times) / wave_seconds:8.0f} /s        p50 {p(wave_times, 50):6.1f} ms   "
        f"p99 {p(wave_times, 99):6.1f} ms")
    say(f"Day-before reminder to {args.going:,} members: {remind_seconds:6.2f} s "
        f"({args.going / remind_seconds:,.0f} notices/s), peak memory {mem0:.0f} MB before, {mem1:.0f} MB after "
        f"(sweep: {result.as_dict()})")
    say(f"  checks: {'OK' if not problems else '; '.join(problems)} "
        "(never overbooked, offers in order and one per seat, one reminder each)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
