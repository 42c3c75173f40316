"""Helpers for real concurrency tests: threads on PostgreSQL, released together."""

import threading

from django.db import close_old_connections, connection


def run_at_once(n, work, *, timeout=60):
    """Run work(i) in n threads released together by a barrier; return results (or exceptions)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    close_old_connections()
    return results
