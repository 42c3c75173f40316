"""The read replica the analytics reports read from (DATABASE_REPLICA_URL), and its router.

base.py, after DATABASES:

    from .replica import DATABASE_ROUTERS, replica_databases  # noqa: E402
    DATABASES.update(replica_databases(DATABASES["default"]))

Without DATABASE_REPLICA_URL there is no "replica" database and the router sends everything to
"default". In tests the replica mirrors "default" (TEST MIRROR): the suite needs no replica.
"""

from __future__ import annotations

import os

import environ

DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]


def replica_databases(default: dict, url: str | None = None) -> dict:
    """{"replica": its settings} when DATABASE_REPLICA_URL (or ``url``) is set, else {}."""
    url = (os.environ.get("DATABASE_REPLICA_URL", "") if url is None else url).strip()
    if not url:
        return {}
    config = environ.Env.db_url_config(url)
    config["CONN_MAX_AGE"] = default.get("CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    config["TEST"] = {"MIRROR": "default"}
    return {"replica": config}
