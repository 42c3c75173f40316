"""Sweeps: the one way periodic work is done (closing rounds, expiring orders, reminders, e-mail
catch-up, digests...).

A sweep is declared once, as a subclass of ``Sweep`` registered by name::

    @register
    class CloseRounds(Sweep):
        name = "orders.close_group_buys"
        label = _("Closing group-buys")

        def due(self, now):
            return GroupBuy.objects.filter(status="open", closes_at__lte=now).order_by("closes_at")

        def settle(self, group_buy, now):
            ...

and run by ``sweep_run`` (from a Celery beat entry: ``core.tasks.run_sweep`` with the name).

The runner reads due ids in batches and settles each row in its own transaction: ``claim`` locks
it (``SKIP LOCKED``: a row another worker holds is skipped, not waited for), ``settle`` runs in a
savepoint. When ``settle`` raises, the savepoint is rolled back, the error is logged and recorded
in ``core.SweepFailure`` in the same transaction (attempts, error, next try with exponential
backoff), and the runner goes on with the next row: one bad row never stops the others. The
runner leaves out rows whose next try is still ahead (an anti-join on the failure table), and a
row that settles clears its failure. Failures carry the row's community, and the community's
admins see them in the console.

``core`` knows no domain app: the domain apps declare their sweeps in ``<app>/sweeps.py``, which
``CoreConfig.ready`` imports (``autodiscover_modules``).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.utils import timezone

from core.models import SweepFailure

logger = logging.getLogger(__name__)

ERROR_MAX_CHARS = 4000


class Sweep(ABC):
    """One periodic job over due rows. Subclass it, fill in ``name``, ``label``, ``due`` and
    ``settle``; override ``claim`` to take locks in a documented order; register it."""

    name: ClassVar[str]  # stable: it keys the failure rows ("orders.close_group_buys")
    label: ClassVar[Any]  # shown to admins: a gettext_lazy string
    batch: ClassVar[int] = 100  # due ids read per query
    retry_base: ClassVar[timedelta] = timedelta(minutes=1)  # first retry after a failure
    retry_cap: ClassVar[timedelta] = timedelta(hours=3)  # backoff doubles up to this
    # FOR NO KEY UPDATE instead of FOR UPDATE in the default claim: for parent rows (a community)
    # that other transactions reference by foreign key while the sweep holds them.
    lock_no_key: ClassVar[bool] = False

    @abstractmethod
    def due(self, now: datetime) -> QuerySet:
        """Rows due at ``now``, unlocked, ordered by an indexed due time."""

    def claim(self, pk, now: datetime) -> Model | None:
        """Lock row ``pk`` if it is still due; None when it is gone, no longer due, or locked by
        another worker. Called inside the row's transaction, before the settle savepoint.

        Override to take locks in a documented order first, e.g. a round before its order::

            def claim(self, pk, now):
                # Lock order: round, then order (as every change to a round's orders).
                round_id = Order.objects.filter(pk=pk).values_list("group_buy_id", flat=True).first()
                if round_id is None or not (GroupBuy.objects.select_for_update(skip_locked=True)
                                            .filter(pk=round_id).values_list("pk", flat=True)):
                    return None  # gone, or its round is held by another worker
                return super().claim(pk, now)  # the order, re-checked as still due
        """
        return (self.due(now).filter(pk=pk)
                .select_for_update(skip_locked=True, of=("self",), no_key=self.lock_no_key).first())

    @abstractmethod
    def settle(self, obj: Model, now: datetime) -> None:
        """Do the work on a claimed row, leaving it no longer due. Raise to fail it."""

    def community_id(self, obj: Model) -> int | None:
        """The community whose admins should see this row failing."""
        return getattr(obj, "community_id", None)

    def console_url(self, obj: Model) -> str:
        """Where an admin can look at the row in the console ("" for none)."""
        return ""

    def describe(self, obj: Model) -> str:
        """How the row is named on the console's failures page."""
        return str(obj)

    def backoff(self, attempts: int) -> timedelta:
        """Wait before try ``attempts + 1``: retry_base doubled per failure, capped."""
        return min(self.retry_cap, self.retry_base * (2 ** min(max(attempts - 1, 0), 30)))

    def __repr__(self):
        return f"<Sweep {self.name}>"


_REGISTRY: dict[str, Sweep] = {}


def register(sweep_class: type[Sweep]) -> type[Sweep]:
    """Class decorator: make a sweep runnable by name (``run_sweep.delay(name)``, beat entries)."""
    name = sweep_class.name
    existing = _REGISTRY.get(name)
    if existing is not None and type(existing).__qualname__ != sweep_class.__qualname__:
        raise ValueError(f"Two sweeps are named {name!r}: {type(existing)!r} and {sweep_class!r}")
    _REGISTRY[name] = sweep_class()
    return sweep_class


def get_sweep(name: str) -> Sweep:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"No sweep is registered as {name!r} (is its app's sweeps.py imported?)") from None


def registered_sweeps() -> dict[str, Sweep]:
    return dict(_REGISTRY)


def job_label(name: str):
    """The admin-facing label of a job (its name when the sweep is no longer registered)."""
    sweep = _REGISTRY.get(name)
    return sweep.label if sweep is not None else name


@dataclass
class SweepResult:
    settled: int = 0  # rows settled
    failed: int = 0  # rows whose settle (or claim) raised: recorded, retried after their backoff
    skipped: int = 0  # rows gone, no longer due, held by another worker, or waiting out a backoff

    def as_dict(self) -> dict[str, int]:
        return {"settled": self.settled, "failed": self.failed, "skipped": self.skipped}


def due_ids(sweep: Sweep, now: datetime, *, limit: int, exclude=()) -> list:
    """Ids of rows due at ``now`` whose recorded failure (if any) is due for another try."""
    waiting = SweepFailure.objects.filter(job=sweep.name, object_id=OuterRef("pk"), next_try_at__gt=now)
    qs = sweep.due(now).filter(~Exists(waiting))
    if exclude:
        qs = qs.exclude(pk__in=list(exclude))
    return list(qs.values_list("pk", flat=True)[:limit])


def sweep_run(sweep: Sweep | str, *, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Settle every row of ``sweep`` due at ``now``, each in its own transaction.

    Stops when nothing is due, or after a batch in which no row could be settled or failed (all
    held by other workers): it never spins. A run handles each row at most once (a row that a
    settle left due is read past); what it leaves is the next run's.
    """
    if isinstance(sweep, str):
        sweep = get_sweep(sweep)
    now = now or timezone.now()
    batch = batch or sweep.batch
    result = SweepResult()
    seen: set = set()  # handled by this run
    passed: set = set()  # left out of this run's next reads: held by another worker, or still due after settling
    while True:
        fetched = due_ids(sweep, now, limit=batch, exclude=passed)
        if not fetched:
            break
        fresh = [pk for pk in fetched if pk not in seen]
        passed.update(pk for pk in fetched if pk in seen)
        if not fresh:
            continue  # only rows this run has handled (a settle that left them due): read past them
        progress = 0
        for pk in fresh:
            seen.add(pk)
            outcome = _settle_one(sweep, pk, now)
            if outcome == "skipped":
                result.skipped += 1
                passed.add(pk)
                continue
            progress += 1
            if outcome == "settled":
                result.settled += 1
            else:
                result.failed += 1
        if not progress:
            break
    if result.failed:
        logger.warning("Sweep %s: %s", sweep.name, result.as_dict())
    return result


def _settle_one(sweep: Sweep, pk, now: datetime) -> str:
    try:
        with transaction.atomic():
            obj = sweep.claim(pk, now)
            if obj is None:
                return "skipped"
            failure = SweepFailure.objects.select_for_update().filter(job=sweep.name, object_id=pk).first()
            if failure is not None and failure.next_try_at > now:
                return "skipped"  # another worker failed it after this run read its ids
            try:
                with transaction.atomic():
                    sweep.settle(obj, now)
            except Exception as exc:
                logger.exception("Sweep %s could not settle row %s", sweep.name, pk)
                _record_failure(sweep, pk, exc, now, obj=obj, failure=failure)
                return "failed"
            if failure is not None:
                failure.delete()
            return "settled"
    except Exception as exc:
        # The claim itself failed (a lock timeout, a bug in claim): the transaction is gone, so
        # the failure is written in a new one, without the row's lock or community.
        logger.exception("Sweep %s could not claim row %s", sweep.name, pk)
        with transaction.atomic():
            failure = SweepFailure.objects.select_for_update().filter(job=sweep.name, object_id=pk).first()
            _record_failure(sweep, pk, exc, now, obj=None, failure=failure)
        return "failed"


def _record_failure(sweep: Sweep, pk, exc: BaseException, now: datetime, *, obj, failure) -> None:
    error = _error_text(exc)
    details = _describe(sweep, obj) if obj is not None else {}
    if failure is None:
        SweepFailure.objects.create(
            job=sweep.name, object_id=pk, attempts=1, last_error=error, first_failed_at=now, last_failed_at=now,
            next_try_at=now + sweep.backoff(1), **details,
        )
        return
    failure.attempts += 1
    failure.last_error = error
    failure.last_failed_at = now
    failure.next_try_at = now + sweep.backoff(failure.attempts)
    for field, value in details.items():
        setattr(failure, field, value)
    failure.save()


def _describe(sweep: Sweep, obj) -> dict:
    """The row's community, name and console link, read defensively: a failure must be recorded
    even when describing the row fails too."""
    details = {}
    for field, read, limit in (("community_id", sweep.community_id, None), ("object_repr", sweep.describe, 200),
                               ("object_url", sweep.console_url, 500)):
        try:
            with transaction.atomic():
                value = read(obj)
        except Exception:
            logger.exception("Sweep %s: %s of a failing row", sweep.name, field)
            continue
        details[field] = value if limit is None else str(value or "")[:limit]
    return details


def _error_text(exc: BaseException) -> str:
    """The exception's own line first (the console shows it), then the traceback's end."""
    head = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = f"{head}\n\n{trace}" if trace else head
    if len(text) > ERROR_MAX_CHARS:
        text = f"{head[:1000]}\n…\n{trace[-(ERROR_MAX_CHARS - 1010):]}"
    return text

