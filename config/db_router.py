"""The database router: reports read from the replica, everything else uses the primary.

Reads go to "replica" only inside ``analytics.replica.reading_replica()`` and only when
DATABASE_REPLICA_URL configured that database (config/settings/replica.py); otherwise, and for
every write, "default". Migrations run on "default" only (a replica follows its primary).
"""

from __future__ import annotations

from analytics import replica

DEFAULT = "default"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if replica.reading() and replica.replica_configured():
            return replica.REPLICA
        # Explicitly the primary: an object read from the replica inside a report must not drag
        # later reads (its related objects) there once the report is over.
        return DEFAULT

    def db_for_write(self, model, **hints):
        # Never the instance's own database: one read from the replica is saved to the primary.
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {DEFAULT, replica.REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT
