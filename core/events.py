"""Domain events: what one app tells the apps above it, after its change commits.

A service calls ``emit("event.attended", community_id=..., rsvp_id=..., member_id=...)`` inside
its transaction; the row is written with the change (or not at all), and on commit the
``core.domain_events`` sweep is asked to run. The sweep hands each due event to every handler
subscribed to its name (``subscribe`` in an app's ``ready``), all in one transaction, and marks it
dispatched; a handler that raises rolls that event back and it is retried with backoff (the
console shows it to the community's admins), without stopping the others.

Handlers run at least once, so each must be idempotent: key what it writes on the event's id
(a ledger entry unique on ``event:<id>``). The lower app never imports its listeners: orders emit
``order.completed`` without knowing that points exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import DomainEvent
from core.sweeps import Sweep, register

SWEEP_NAME = "core.domain_events"

_HANDLERS: dict[str, list[Callable[[DomainEvent], None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[[DomainEvent], None]) -> None:
    """Call ``handler(event)`` for every committed event named ``name`` (once per process)."""
    if handler not in _HANDLERS[name]:
        _HANDLERS[name].append(handler)


def unsubscribe(name: str, handler: Callable[[DomainEvent], None]) -> None:
    if handler in _HANDLERS.get(name, []):
        _HANDLERS[name].remove(handler)


def emit(name: str, *, community_id: int | None, **payload) -> DomainEvent:
    """Record that ``name`` happened, in the caller's transaction; handlers see it after commit."""
    event = DomainEvent.objects.create(community_id=community_id, name=name[:64], payload=payload,
                                       dispatch_due_at=timezone.now())
    transaction.on_commit(_kick, robust=True)
    return event


def emit_many(events: list[tuple[str, int | None, dict]]) -> None:
    """``emit`` for a batch (a settlement's attendances): one INSERT."""
    if not events:
        return
    now = timezone.now()
    DomainEvent.objects.bulk_create([DomainEvent(community_id=community_id, name=name[:64], payload=payload,
                                                 dispatch_due_at=now) for name, community_id, payload in events])
    transaction.on_commit(_kick, robust=True)


def _kick() -> None:
    from core.tasks import run_sweep

    # robust on_commit: a broker that is down must not turn a committed action into an error;
    # beat runs the sweep every minute anyway.
    run_sweep.delay(SWEEP_NAME)


@register
class DomainEventSweep(Sweep):
    name = SWEEP_NAME
    label = _("Passing on what happened (points, webhooks)")
    batch = 500

    def due(self, now):
        return DomainEvent.objects.filter(dispatch_due_at__lte=now).order_by("dispatch_due_at", "id")

    def settle(self, event, now):
        for handler in list(_HANDLERS.get(event.name, ())):
            handler(event)
        DomainEvent.objects.filter(pk=event.pk).update(dispatch_due_at=None, dispatched_at=timezone.now())

    def describe(self, event):
        return f"{event.name} #{event.pk}"


__all__ = ["emit", "emit_many", "subscribe", "unsubscribe"]
