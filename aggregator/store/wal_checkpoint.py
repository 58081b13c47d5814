"""``checkpoints_beside``: SQLite's WAL checkpoints taken off a large write's connection and run beside it.

In WAL mode every commit appends the pages it changed to the write-ahead log; a checkpoint copies them into
the database file. By default the committing connection does that itself, in its COMMIT, whenever the log
holds 1,000 pages or more (``wal_autocheckpoint``): an import's store thread paid 15-20 ms of each 10k-row
chunk's 130-180 ms for it, and that thread sets the import's pace on SQLite. Inside ``checkpoints_beside``
the session's connections run with automatic checkpoints off and a thread of the block's own, with a
connection of its own to the same file, runs ``PRAGMA wal_checkpoint(PASSIVE)`` after each of the session's
commits (woken by the commit, not polling). A passive checkpoint never waits for a reader or the writer and
sqlite3 lets go of the interpreter while it runs, so the copy goes on on the other core while the next chunk
is written.

SQLite starts the log again from its beginning only when a write transaction begins on a log copied
through; a writer that always begins while the checkpoint of its last commit still runs would grow the log
by the whole import. So a transaction of the session waits, before it begins, for the checkpoint asked
for whenever the log held ``LOG_BOUND`` frames or more at the last one (SQLite's own threshold): the log
stays a chunk or two long. The checkpoint mostly ends while the next chunk is mapped (a few milliseconds
waited per import of 50,000 rows).

The setting is per connection, and a session hands its connection back to the pool at each commit and may
get another one for its next transaction. So the setting is made each time the session begins a transaction
(the session's ``after_begin``) and undone on that connection before it goes back to the pool (the pool's
``checkin``, which acts only on a connection marked here): no other user of a pooled connection, now or
later, sees it. When the block ends, however it ends, the connection the session still holds gets its
setting back, the thread checkpoints what was committed, ends and is joined.

Several imports may run on one engine at once, each in its block: a connection one block's session marked
and handed back may since have been taken and marked by another block's session. So each block marks with
a token of its own and, when it ends, restores only a connection it still holds (checked out through the
very proxy its session got, still valid) carrying its own token: it never touches a connection another
thread is using. A connection SQLAlchemy invalidated (an interrupt or a lost connection inside an
execute closes the sqlite3 handle) has nothing left to restore: its pool entry forgets the mark when it
connects anew. Undoing the setting is tidying up, never worth more than the error in flight: a failure
there is logged, not raised.

The thread's connection is taken from the engine's pool and detached from it at once: it is made with
the engine's own connect arguments (its busy timeout) and connect listeners, and no longer counts against
the pool's size while the import runs. The thread only makes the import faster: when its connection cannot
be opened or the thread cannot be started, the import runs without it, said once in the log. Nothing
changes on PostgreSQL, on an in-memory SQLite database (``SingletonThreadPool``: nothing to copy into a
file) or on a file not in WAL mode.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import PoolProxiedConnection, SingletonThreadPool

log = logging.getLogger(__name__)

#: the key of a pooled connection's ``info`` holding (its ``wal_autocheckpoint``, the marking block's token)
#: while this module has the setting at 0
_RESTORE = "aggregator_wal_autocheckpoint"

#: a write transaction waits for the checkpoint asked for when the log held this many frames at the last one
LOG_BOUND = 1000


@contextmanager
def checkpoints_beside(session: Session) -> Iterator[None]:
    """The ``with`` block's commits on ``session`` checkpointed by a thread beside it (SQLite in WAL mode)."""
    engine = session.get_bind().engine
    checkpointer = _started_checkpointer(engine)
    if checkpointer is None:
        yield
        return
    token = object()
    #: the pooled connections (the proxies the session got) this block marked
    held: list[PoolProxiedConnection] = []

    def begun(_session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
        pooled = connection.connection
        mark = pooled.info.get(_RESTORE)
        if mark is None or mark[1] is not token:
            # (a mark of another block is one whose restore failed: its value is the one to give back)
            before = mark[0] if mark is not None else \
                connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
            # (marked before it is set: whatever stops the setting, the value to give back is known)
            pooled.info[_RESTORE] = (before, token)
            held.append(pooled)
            connection.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")

    def committed(_session: Session) -> None:
        checkpointer.wake()

    def beginning(_session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            checkpointer.settle()

    listeners = (("after_begin", begun), ("after_commit", committed), ("after_transaction_create", beginning))
    try:
        if not event.contains(engine, "checkin", _restore_at_checkin):  # (inside: the thread stopped if it fails)
            event.listen(engine, "checkin", _restore_at_checkin)
        for name, listener in listeners:
            event.listen(session, name, listener)
        if session.in_transaction():  # (a transaction begun before the block: its connection marked now)
            begun(session, session.get_transaction(), session.connection())
        yield
    finally:
        try:
            for name, listener in listeners:
                if event.contains(session, name, listener):
                    event.remove(session, name, listener)
            # (a connection handed back to the pool was restored at its checkin; one invalidated has no
            # handle left; one checked out since is another's: a proxy checked in or invalidated is not valid)
            for pooled in held:
                mark = pooled.info.get(_RESTORE)
                if pooled.is_valid and mark is not None and mark[1] is token:
                    _restore(pooled.dbapi_connection, pooled.info)
        finally:
            checkpointer.stop()


def _started_checkpointer(engine: Engine) -> Checkpointer | None:
    """The checkpointer of a block on ``engine``, started, when ``engine`` is a SQLite file in WAL mode and the
    checkpointer could be set up; else None (logged when it could not be)."""
    try:
        own = _own_connection(engine)
    except Exception as error:  # noqa: BLE001 - an optimisation only: the import runs without it
        log.warning("the import runs without WAL checkpoints beside it: its connection could not be opened "
                    "(%s: %s)", type(error).__name__, error)
        return None
    if own is None:
        return None
    checkpointer = Checkpointer(own, LOG_BOUND)
    try:
        checkpointer.start()
    except Exception as error:  # noqa: BLE001 - as above
        log.warning("the import runs without WAL checkpoints beside it: its thread could not be started "
                    "(%s: %s)", type(error).__name__, error)
        return None
    return checkpointer


def _own_connection(engine: Engine) -> PoolProxiedConnection | None:
    """A connection of its own to ``engine``'s file when that file is a SQLite database in WAL mode, else None.

    Taken from the engine's pool (made with the engine's connect arguments and listeners) and detached from
    it: the pool makes another in its place when it needs one, and closing it closes the sqlite3
    connection. Made on the caller's thread and used on the checkpointer's (pysqlite makes a file's
    connections with ``check_same_thread`` off; one thread at a time uses it)."""
    if engine.dialect.name != "sqlite" or isinstance(engine.pool, SingletonThreadPool) \
            or engine.url.database in (None, "", ":memory:"):
        return None
    connection = engine.raw_connection()
    try:
        connection.detach()
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    except BaseException:
        connection.close()
        raise
    if str(mode).lower() != "wal":
        connection.close()
        return None
    return connection


def _restore_at_checkin(dbapi_connection: Any, record: Any) -> None:
    """A connection this module marked gets its ``wal_autocheckpoint`` back before the pool takes it (one
    invalidated, without its handle, has nothing to restore)."""
    if dbapi_connection is not None:
        _restore(dbapi_connection, record.info)


def _restore(dbapi_connection: Any, info: dict) -> None:
    """The connection's marked ``wal_autocheckpoint`` back on it; a failure logged, never raised: this runs
    while an error may be in flight, and the connection that refuses is a broken one."""
    mark = info.pop(_RESTORE, None)
    if mark is None:
        return
    try:
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint = {int(mark[0])}").close()
    except sqlite3.Error as error:
        log.warning("a connection's wal_autocheckpoint could not be given back (%s: %s)",
                    type(error).__name__, error)


class Checkpointer:
    """A thread running a passive checkpoint on ``connection`` (its own) each time it is woken, and once more
    when stopped; it closes the connection when it ends. The writer calls ``settle`` before each write
    transaction begins and ``wake`` after each commit (``bench/floor.py`` drives one so, beside its own
    writes)."""

    def __init__(self, connection: Any, bound: int) -> None:
        self._connection = connection
        self._bound = bound
        self._state = threading.Condition()
        self._pending = self._running = self._stopping = self._ended = False
        #: the frames the log held at the last checkpoint
        self._frames = 0
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> None:
        try:
            self._thread.start()
        except BaseException:
            self._connection.close()
            raise

    def wake(self) -> None:
        with self._state:
            self._pending = True
            self._state.notify_all()

    def settle(self) -> None:
        """Before a write transaction begins: when the log held ``bound`` frames or more at the last checkpoint,
        wait for the checkpoint asked for, so the transaction finds the log copied through and starts it again
        from its beginning."""
        with self._state:
            while (self._pending or self._running) and self._frames >= self._bound and not self._ended:
                self._state.wait()

    def stop(self) -> None:
        with self._state:
            self._stopping = self._pending = True
            self._state.notify_all()
        self._thread.join()

    def _run(self) -> None:
        try:
            while True:
                with self._state:
                    while not self._pending:
                        self._state.wait()
                    self._pending, self._running, stopping = False, True, self._stopping
                _busy, frames, _copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                with self._state:
                    self._running, self._frames = False, frames
                    self._state.notify_all()
                if stopping:
                    return
        except Exception as error:  # noqa: BLE001 - the write goes on; its log waits for an automatic checkpoint
            log.warning("WAL checkpoints beside the write stopped: %s", error)
        finally:
            with self._state:
                self._running, self._ended = False, True
                self._state.notify_all()
            self._connection.close()
