"""Reports read from a read replica (DATABASE_REPLICA_URL): the router, the settings, and a real
streaming replica of the embedded PostgreSQL.

The replica test copies the embedded server with pg_basebackup -R, starts the copy on its own
socket, and pauses its replay: a member added on the primary afterwards is missing from a report
read through the router (it came from the replica) and present in a read outside it (the primary).
"""

from __future__ import annotations

import copy
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, connections, router
from django.test.utils import CaptureQueriesContext, override_settings

from analytics import selectors
from analytics.models import RollupState
from analytics.replica import REPLICA, reading, reading_replica, replica_configured
from communities.models import Membership
from config.db_router import ReplicaRouter
from config.settings.replica import DATABASE_ROUTERS, replica_databases
from tests.factories import CommunityFactory, MembershipFactory

ROUTED = override_settings(DATABASE_ROUTERS=DATABASE_ROUTERS)


@contextmanager
def replica_alias(**changes):
    """A "replica" database alias for the length of the block: the default's settings with ``changes``."""
    def drop_connection():
        if hasattr(connections._connections, REPLICA):
            connections[REPLICA].close()
            del connections[REPLICA]

    config = copy.deepcopy(connections.settings["default"])
    config.update(changes)
    config["TEST"] = {**config.get("TEST", {}), "MIRROR": "default"}
    configured = connections.settings.get(REPLICA)  # DATABASE_REPLICA_URL may have set one
    drop_connection()
    connections.settings[REPLICA] = config
    try:
        yield
    finally:
        drop_connection()
        if configured is None:
            del connections.settings[REPLICA]
        else:
            connections.settings[REPLICA] = configured


# Settings and router (no server needed) -----------------------------------------------------------

def test_no_url_no_replica():
    assert replica_databases({"CONN_MAX_AGE": 60}, url="") == {}
    assert replica_databases({"CONN_MAX_AGE": 60}, url="   ") == {}


def test_url_makes_a_replica_that_mirrors_default_in_tests():
    databases = replica_databases({"CONN_MAX_AGE": 30}, url="postgres://reader:secret@replica.internal:6432/shequn")
    config = databases["replica"]
    assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == (
        "shequn", "reader", "replica.internal", 6432)
    assert config["CONN_MAX_AGE"] == 30 and config["CONN_HEALTH_CHECKS"] is True
    assert config["TEST"] == {"MIRROR": "default"}


def test_reads_go_to_the_replica_only_inside_reading_replica_and_only_when_configured():
    route = ReplicaRouter()
    if not replica_configured():  # DATABASE_REPLICA_URL unset (as in the suite)
        with reading_replica():
            assert reading()
            assert route.db_for_read(Membership) == "default"  # no replica configured: the primary
    with replica_alias(NAME="unused"):
        assert route.db_for_read(Membership) == "default"
        with reading_replica():
            assert route.db_for_read(Membership) == REPLICA
            with reading_replica():
                assert route.db_for_read(Membership) == REPLICA
            assert route.db_for_read(Membership) == REPLICA  # the inner block ended, not the outer
            assert route.db_for_write(Membership) == "default"  # writes: always the primary
        assert not reading()
        assert route.db_for_read(Membership) == "default"


def test_reading_replica_decorates_and_resets_after_an_error():
    route = ReplicaRouter()

    @reading_replica()
    def report():
        assert reading()
        raise ValueError("boom")

    with replica_alias(NAME="unused"):
        with pytest.raises(ValueError):
            report()
        assert not reading() and route.db_for_read(Membership) == "default"


def test_migrations_run_on_the_primary_only():
    route = ReplicaRouter()
    assert route.allow_migrate("default", "analytics") is True
    assert route.allow_migrate(REPLICA, "analytics") is False


# A real streaming replica of the embedded PostgreSQL ----------------------------------------------

def _embedded() -> bool:
    return not os.environ.get("DATABASE_URL")


def _run(args, *, as_user, timeout=300):
    extra = {"user": as_user} if as_user else {}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **extra)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def streaming_replica():
    """A hot standby of the running embedded server on its own socket: yields (socket dir, port)."""
    if not _embedded():
        pytest.skip("DATABASE_URL is set: the replica test copies the embedded PostgreSQL only")
    from core import devservices

    binaries = devservices.pg_bin_dir()
    if not (binaries / "pg_basebackup").exists():
        pytest.skip(f"no pg_basebackup beside the embedded server ({binaries})")
    primary = connection.settings_dict
    # The embedded server's URL names its socket directory as ?host=… (OPTIONS), not HOST.
    primary_host = primary["HOST"] or primary.get("OPTIONS", {}).get("host") or ""
    primary_port = str(primary["PORT"] or 5432)
    # As root, pgserver runs PostgreSQL as the "pgserver" system user: the copy must be its too.
    as_user = None
    if os.geteuid() == 0:
        try:
            as_user = pwd.getpwnam("pgserver").pw_name
        except KeyError:
            pytest.skip("running as root without pgserver's system user to run a replica as")
    home = Path(tempfile.mkdtemp(prefix="shq-rep-"))  # short: a socket path has ~100 characters
    data, sockets, port = home / "data", home / "s", 54329
    sockets.mkdir()
    if as_user:
        entry = pwd.getpwnam(as_user)
        for path in (home, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)
    started = False
    try:
        made = _run([binaries / "pg_basebackup", "-D", data, "-R", "-X", "stream", "-c", "fast",
                     "-h", primary_host, "-p", primary_port, "-U", primary["USER"] or "postgres"], as_user=as_user)
        if made.returncode != 0:
            pytest.skip("the embedded PostgreSQL refused a base backup (it must allow replication: "
                        "wal_level replica, max_wal_senders > 0, a 'local replication all trust' line in "
                        f"pg_hba.conf): {made.stderr.strip()[:300]}")
        ran = _run([binaries / "pg_ctl", "-D", data, "-l", home / "replica.log", "-w", "-t", "60",
                    "-o", f"-h '' -k {sockets} -p {port}", "start"], as_user=as_user, timeout=120)
        if ran.returncode != 0:
            log = (home / "replica.log").read_text() if (home / "replica.log").exists() else ""
            raise AssertionError(f"the replica did not start: {ran.stdout}{ran.stderr}\n{log[-2000:]}")
        started = True
        yield str(sockets), port
    finally:
        if started:
            _run([binaries / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], as_user=as_user, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


def _replica_cursor(host: str, port: int):
    import psycopg

    return psycopg.connect(host=host, port=port, user=connection.settings_dict["USER"] or "postgres",
                           dbname=connection.settings_dict["NAME"], autocommit=True)


def _caught_up(direct, timeout: float = 60) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        target = cursor.fetchone()[0]

    def replayed():
        row = direct.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0", [target]).fetchone()
        return bool(row[0])

    _wait(replayed, timeout, f"the replica to replay up to {target}")


@pytest.mark.django_db(transaction=True)
def test_reports_read_from_a_real_streaming_replica(streaming_replica):
    host, port = streaming_replica
    community = CommunityFactory()
    MembershipFactory.create_batch(3, community=community)
    with _replica_cursor(host, port) as direct:
        _wait(lambda: direct.execute("SELECT pg_is_in_recovery()").fetchone()[0], 30, "the replica's recovery")
        _caught_up(direct)
        before = selectors.members(community)["members"]
        assert before == 3
        # Replay paused: what the primary commits now stays off the replica.
        direct.execute("SELECT pg_wal_replay_pause()")
        try:
            MembershipFactory(community=community)
            options = {**connection.settings_dict.get("OPTIONS", {}), "host": host, "port": port}
            with ROUTED, replica_alias(HOST=host, PORT=str(port), OPTIONS=options):
                # Connected here, not lazily: pytest-django refuses a lazy first connection to an alias
                # its test case did not list (and the alias did not exist when the case was set up).
                connections[REPLICA].connect()
                assert selectors.members(community)["members"] == 4  # outside: the primary
                with reading_replica(), CaptureQueriesContext(connections[REPLICA]) as on_replica, \
                        CaptureQueriesContext(connection) as on_primary:
                    report = selectors.members(community)
                    assert router.db_for_read(Membership) == REPLICA
                assert report["members"] == 3  # the replica's (paused) view: the read went there
                assert len(on_replica) == 3 and len(on_primary) == 0
                with connections[REPLICA].cursor() as cursor:  # the very connection the report used
                    cursor.execute("SELECT pg_is_in_recovery()")
                    assert cursor.fetchone()[0] is True
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_is_in_recovery()")
                    assert cursor.fetchone()[0] is False

                # The overview reads the replica too; the refresh state it makes is written on the primary.
                period = selectors.period_from(community, period="7d")
                with reading_replica():
                    overview = selectors.overview(community, period)
                assert overview["totals"]["members_joined"] == 3
                assert RollupState.objects.filter(community=community).exists()

                direct.execute("SELECT pg_wal_replay_resume()")
                _caught_up(direct)
                with reading_replica():
                    assert selectors.members(community)["members"] == 4
        finally:
            direct.execute("SELECT pg_wal_replay_resume()")
