"""Reading the analytics reports from a read replica (when one is configured).

``reading_replica()`` marks the reads inside it (a ``with`` block or a decorated function) as
reports: the router (``config.db_router.ReplicaRouter``) sends them to the "replica" database when
DATABASE_REPLICA_URL configured one, and to "default" otherwise. Writes always go to "default"
(``analytics.rollups.ensure_state`` writes inside a report: it still reaches the primary).

Wrap the selector calls of the analytics views and API, not whole requests: the session, the
permission checks and anything read-then-written belong on the primary, which a replica may lag
by a moment.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

REPLICA = "replica"
_reading = ContextVar("analytics_reading_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reading() -> bool:
    """Whether the current code runs inside ``reading_replica()``."""
    return _reading.get()


@contextmanager
def reading_replica():
    """Reads inside go to the replica, if there is one (usable as a decorator too)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)
