"""Wakes this process's event streams when any process adds to the outbox.

One thread per API process, running only while at least one stream listens: on PostgreSQL it
``LISTEN``s on the outbox channel (``NOTIFY`` comes with each committing transaction that emitted) and
re-checks every second in case a notification was lost with a connection; on SQLite it reads the
largest outbox position every ``SQLITE_POLL`` seconds (one index probe). Committed events waiting for
a position are sequenced here first (``outbox.sequence``; one process at a time). Streams wait with
``wait_beyond(position, timeout)`` and then read their own owner's rows.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from aggregator.events.outbox import CHANNEL, latest_position, pending, sequence
from aggregator.store.db import read_only_engine, session_factory, session_scope

log = logging.getLogger(__name__)

SQLITE_POLL = 0.02
PG_RECHECK = 1.0


class OutboxWatcher:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.latest = -1  # unknown until the thread's first read
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._listeners = 0
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._closed = False

    # -- streams -------------------------------------------------------------------------------------------
    def acquire(self) -> None:
        """A stream starts listening (starts the thread if needed and waits for its first read)."""
        with self._lock:
            self._listeners += 1
            if self._thread is None or not self._thread.is_alive():
                self._ready.clear()
                self._closed = False
                self._thread = threading.Thread(target=self._run, name="outbox-watcher", daemon=True)
                self._thread.start()
        self._ready.wait(timeout=10)

    def release(self) -> None:
        with self._lock:
            self._listeners = max(0, self._listeners - 1)

    async def wait_beyond(self, seen: int, timeout: float) -> int:
        """Wait until the outbox holds an id above ``seen`` (or ``timeout`` seconds); returns the latest id."""
        if self.latest > seen:
            return self.latest
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        try:
            if self.latest <= seen:
                await asyncio.wait_for(waiter[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(waiter)
        return self.latest

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    # -- the thread ----------------------------------------------------------------------------------------
    def _should_stop(self) -> bool:
        with self._lock:
            if self._closed or self._listeners == 0:
                self._thread = None if self._thread is threading.current_thread() else self._thread
                return True
            return False

    def _advance(self, latest: int) -> None:
        if latest <= self.latest:
            return
        self.latest = latest
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that stream's loop is gone
                pass

    def _run(self) -> None:
        try:
            if self.engine.dialect.name == "postgresql":
                self._listen_postgresql()
            else:
                self._poll(SQLITE_POLL)
        except Exception:  # noqa: BLE001 - a watcher failure must not kill the API; streams fall back to polling
            log.exception("outbox watcher stopped")
        finally:
            self._ready.set()
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _poll(self, interval: float, wait: Callable[[float], None] | None = None) -> None:
        stop = threading.Event()
        with session_factory(read_only_engine(self.engine))() as reader:
            while True:
                if pending(reader):
                    reader.rollback()
                    with session_scope(self.engine) as writer:
                        sequence(writer)
                self._advance(latest_position(reader))
                reader.rollback()  # end the read: never pin an old snapshot
                self._ready.set()
                if self._should_stop():
                    return
                (wait or stop.wait)(interval)

    def _listen_postgresql(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")

            def wait(timeout: float) -> None:
                for _ in listener.notifies(timeout=timeout, stop_after=1):
                    pass

            self._poll(PG_RECHECK, wait)
