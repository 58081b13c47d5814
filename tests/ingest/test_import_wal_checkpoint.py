"""An import into a SQLite file leaves the WAL's checkpoints to a thread beside it
(``aggregator.store.wal_checkpoint.checkpoints_beside``): it stores what it stores without that thread, the
log stays a few chunks long, every connection it writes with has automatic checkpoints off meanwhile and
has its setting back when the import ends, however it ends, and no thread outlives it; PostgreSQL and an
in-memory SQLite database are left alone."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import event

import aggregator.ingest.runner as runner
import aggregator.store.wal_checkpoint as wal_checkpoint
from aggregator.ingest import import_file
from aggregator.ingest.tabular_import import TabularRun
from aggregator.store.db import create_engine_for, session_factory, session_scope, upgrade_schema
from aggregator.tenancy import add_owner
from tests.ingest.test_import_paths import HOSTILE_OUTBOUND, _clear, _snapshot

#: what the tests' connections hold before an import (not SQLite's default: the import must give back this)
BEFORE = 777

STOCK_HEADER = ("snapshot_at,lot_id,sku,title_holder,risk_bearer,custodian,title_state,location_state,"
                "warehouse_code,source_doc_kind,source_doc_no,container_no,customs_declaration_no,asn_no,received_at,"
                "qty_expected,qty_in_receiving,qty_available,qty_allocated,qty_in_last_mile,qty_delivered,"
                "qty_defective,qty_box_damaged,unit_landed_cost_myr,cost_basis_note")


def _stock(path: Path, rows: int, bad_every: int = 0) -> Path:
    """A stock snapshot of ``rows`` lots, one row each; with ``bad_every``, that many rows apart one whose
    expected quantity is not a number (rejected)."""
    lines = [STOCK_HEADER, *(
        f"2026-03-31T23:59:59+08:00,LOT-{lot:07d},SKU-{lot % 500:04d},LUMINA,LUMINA,MYPKG-WH01,OWNED_IN_WAREHOUSE,"
        f"AVAILABLE,MYPKG-WH01,MBL,ZCRU{lot // 10:07d},,MY-A-{lot // 10:07d},ASN-{lot // 3:07d},"
        f"2026-03-{1 + lot % 28:02d}T16:00:00+08:00,{'many' if bad_every and lot % bad_every == 7 else lot % 500},"
        f"0,{lot % 480},{lot % 7},0,{lot % 11},{lot % 3},0,"
        f"{10 + lot % 90}.{lot % 100:02d},lot {lot}" for lot in range(rows))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def file_engine(sqlite_engine):
    """The test's SQLite file, each connection made with ``wal_autocheckpoint`` at ``BEFORE``."""
    @event.listens_for(sqlite_engine, "connect")
    def _before(dbapi_connection, _record) -> None:
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint = {BEFORE}").close()

    sqlite_engine.dispose()  # (the connections made before the listener: gone)
    return sqlite_engine


def _checkpointers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "wal-checkpoint"]


def _pooled_settings(engine, extra: int = 0) -> list[int]:
    """``wal_autocheckpoint`` of every connection idle in the pool (all checked out at once, without a BEGIN:
    an import may hold the write lock), and of ``extra`` more."""
    held = [engine.raw_connection() for _ in range(engine.pool.checkedin() + extra)]
    try:
        return [raw.driver_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] for raw in held]
    finally:
        for raw in held:
            raw.close()


def _warm_pool(engine, count: int = 3) -> None:
    """``count`` connections idle in the pool: a session's next transaction may get any of them."""
    held = [engine.raw_connection() for _ in range(count)]
    for raw in held:
        raw.close()


def _noting_commits(monkeypatch, also=None) -> list[tuple[int, int, set[int]]]:
    """(connection, its ``wal_autocheckpoint``, those of the connections idle in the pool) at each chunk's
    commit."""
    seen: list[tuple[int, int, set[int]]] = []
    store_chunk = TabularRun.store_chunk

    def noting(run) -> None:
        connection = run.session.connection()
        seen.append((id(connection.connection.dbapi_connection),
                     connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one(),
                     set(_pooled_settings(run.session.get_bind()))))
        if also is not None:
            also(run)
        store_chunk(run)

    monkeypatch.setattr(TabularRun, "store_chunk", noting)
    return seen


def _without_checkpointer(monkeypatch) -> None:
    monkeypatch.setattr(runner, "checkpoints_beside", lambda session: contextlib.nullcontext())


@pytest.mark.parametrize(("name", "chunk_rows"), [("hostile", 3), ("stock", 400)])
def test_an_import_stores_the_same_with_and_without_the_checkpointer(file_engine, tmp_path, monkeypatch,
                                                                      name, chunk_rows) -> None:
    if name == "hostile":
        path = tmp_path / "hostile_outbound.csv"
        path.write_text(HOSTILE_OUTBOUND, encoding="utf-8")
        kind, owner = "outbound", "L"
    else:
        path, kind, owner = _stock(tmp_path / "stock.csv", 3_000, bad_every=450), "stock", "LUMINA"
    results = []
    for beside in (True, False):
        _clear(file_engine)
        with monkeypatch.context() as patch:
            if not beside:
                _without_checkpointer(patch)
            summary = import_file(file_engine, kind, path, owner_id=owner, chunk_rows=chunk_rows)
        results.append(((summary.status, summary.rows_read, summary.rows_rejected, summary.created,
                         dict(summary.problem_counts)), _snapshot(file_engine)))
    assert results[0][0][0] == "COMPLETED_WITH_REJECTS" and results[0][1]["rejects"] and results[0][1]["audit"]
    assert results[0] == results[1]


def _page_size(engine) -> int:
    raw = engine.raw_connection()
    try:
        return raw.driver_connection.execute("PRAGMA page_size").fetchone()[0]
    finally:
        raw.close()


def _wal_pages(engine) -> int:
    return os.path.getsize(engine.url.database + "-wal") // _page_size(engine)


def _truncate_wal(engine) -> None:
    """The log copied into the file and emptied (outside a transaction: a checkpoint cannot run in one)."""
    raw = engine.raw_connection()
    try:
        assert raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    finally:
        raw.close()


def _import_wal(engine, path: Path) -> tuple[int, int]:
    """The pages the WAL file grew to during an import of ``path``, and the pages the import wrote."""
    _truncate_wal(engine)
    before = os.path.getsize(engine.url.database)
    summary = import_file(engine, "stock", path, owner_id="LUMINA", chunk_rows=250)
    assert summary.status == "COMPLETED"
    wal = _wal_pages(engine)
    _truncate_wal(engine)
    return wal, (os.path.getsize(engine.url.database) - before) // _page_size(engine)


def test_the_wal_stays_a_few_chunks_long_and_automatic_checkpoints_are_off_on_every_connection_written_with(
        file_engine, tmp_path, monkeypatch) -> None:
    """The log grows to a few chunks' pages (without the thread, with automatic checkpoints off, it would
    hold the whole import); each chunk's commit runs on a connection with automatic checkpoints off, whichever
    pooled connection the session got, while another pooled connection keeps its own setting."""
    # (frames of 200 KiB in all: a small file is a long import)
    monkeypatch.setattr(wal_checkpoint, "LOG_BOUND", 200 * 1024 // _page_size(file_engine))
    path = _stock(tmp_path / "stock.csv", 6_000)
    _warm_pool(file_engine)
    seen = _noting_commits(monkeypatch)
    wal, written = _import_wal(file_engine, path)
    assert written * _page_size(file_engine) > 400 * 4096 and len(seen) >= 20  # (1.6 MB written)
    assert wal <= written / 3, (wal, written)
    assert {setting for _, setting, _ in seen} == {0}
    assert set().union(*(idle for _, _, idle in seen)) == {BEFORE}
    assert len({connection for connection, _, _ in seen}) > 1  # (the session went from one to another)
    assert _pooled_settings(file_engine) and set(_pooled_settings(file_engine)) == {BEFORE}
    assert not _checkpointers()

    _clear(file_engine)  # the same import with the thread never woken by a commit: the log holds all of it
    monkeypatch.setattr(wal_checkpoint.Checkpointer, "wake", lambda self: None)
    wal_alone, _ = _import_wal(file_engine, path)  # (the file grows no more: the pages freed are reused)
    assert wal_alone >= written, (wal_alone, written)


class _Interrupted(BaseException):
    """Stands for an interrupt (a BaseException, as KeyboardInterrupt): it escapes the import."""


@pytest.mark.parametrize("end", ["completed", "header", "refused", "interrupted"])
def test_no_thread_outlives_an_import_and_every_connection_gets_its_setting_back(file_engine, tmp_path,
                                                                                 monkeypatch, end) -> None:
    """However an import ends (completed, FAILED on a header the profile does not fit or on the database
    refusing a chunk, an exception escaping it), the checkpointer is joined and each pooled connection
    holds the ``wal_autocheckpoint`` it held before."""
    path = _stock(tmp_path / "stock.csv", 1_200)
    if end == "header":
        path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    commits: list[int] = []

    def failing(run) -> None:
        commits.append(run.summary.rows_read)
        if len(commits) == 3:
            if end == "refused":
                raise sqlite3.OperationalError("disk I/O error")
            if end == "interrupted":
                raise _Interrupted()

    _warm_pool(file_engine)
    seen = _noting_commits(monkeypatch, also=failing)
    made: list[object] = []
    checkpointer = wal_checkpoint.Checkpointer

    def counted(*args, **kwargs):
        made.append(checkpointer(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(wal_checkpoint, "Checkpointer", counted)
    if end == "interrupted":
        with pytest.raises(_Interrupted):
            import_file(file_engine, "stock", path, owner_id="LUMINA", chunk_rows=200)
    else:
        summary = import_file(file_engine, "stock", path, owner_id="LUMINA", chunk_rows=200)
        assert summary.status == {"completed": "COMPLETED", "header": "FAILED", "refused": "FAILED"}[end]
        if end == "header":
            assert "missing required column" in summary.error
    assert len(made) == 1  # (the thread was started: its end is what is checked)
    if end != "header":
        assert len(commits) >= 3 and {setting for _, setting, _ in seen} == {0}
    assert not _checkpointers()
    assert set(_pooled_settings(file_engine, extra=1)) == {BEFORE}


def test_a_transaction_begun_before_the_block_has_its_connection_set_and_given_back(file_engine) -> None:
    with session_factory(file_engine)() as session:
        connection = session.connection()
        with wal_checkpoint.checkpoints_beside(session):
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
            assert len(_checkpointers()) == 1
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == BEFORE
        assert not _checkpointers()


def _no_checkpointer(monkeypatch) -> list[object]:
    made: list[object] = []
    monkeypatch.setattr(wal_checkpoint, "Checkpointer", lambda *args, **kwargs: made.append(args))
    return made


def test_postgresql_is_left_alone(pg_engine, tmp_path, monkeypatch) -> None:
    made = _no_checkpointer(monkeypatch)
    summary = import_file(pg_engine, "stock", _stock(tmp_path / "stock.csv", 600), owner_id="LUMINA", chunk_rows=200)
    assert (summary.status, summary.created, made) == ("COMPLETED", 600, [])


def test_an_in_memory_sqlite_database_is_left_alone(tmp_path, monkeypatch) -> None:
    made = _no_checkpointer(monkeypatch)
    engine = create_engine_for("sqlite://")
    try:
        upgrade_schema(engine)
        with session_scope(engine) as session:
            add_owner(session, "LUMINA", "Lumina")
        summary = import_file(engine, "stock", _stock(tmp_path / "stock.csv", 600), owner_id="LUMINA",
                              chunk_rows=200)
        assert (summary.status, summary.created, made) == ("COMPLETED", 600, [])
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 1000
    finally:
        engine.dispose()


def _interrupting(engine, after: int):
    """A KeyboardInterrupt raised by the ``after``-th statement executed on ``engine`` from now on (SQLAlchemy
    invalidates the connection it hits, closing its sqlite3 handle, as for an interrupt in the driver); the
    listener raising it, to be removed."""
    executed: list[int] = []

    def interrupt(*_args) -> None:
        executed.append(1)
        if len(executed) == after:
            raise KeyboardInterrupt()

    event.listen(engine, "before_cursor_execute", interrupt)
    return interrupt


def test_an_interrupt_in_the_block_s_sql_escapes_as_itself_and_its_closed_connection_is_not_restored(
        file_engine, caplog) -> None:
    """The connection an interrupt invalidated has no handle left to restore: the interrupt escapes as
    itself (not as the error of a PRAGMA on the closed handle), no restore is even tried and every pooled
    connection has its setting."""
    _warm_pool(file_engine)
    with session_factory(file_engine)() as session, caplog.at_level("WARNING", logger=wal_checkpoint.__name__):
        with pytest.raises(KeyboardInterrupt) as raised:
            with wal_checkpoint.checkpoints_beside(session):
                session.connection().exec_driver_sql("SELECT 1")  # (the transaction's connection: marked)
                interrupt = _interrupting(file_engine, after=1)
                session.connection().exec_driver_sql("SELECT 2")
        event.remove(file_engine, "before_cursor_execute", interrupt)
        assert raised.type is KeyboardInterrupt
    assert not [record for record in caplog.records if record.name == wal_checkpoint.__name__]
    assert not _checkpointers()
    assert set(_pooled_settings(file_engine, extra=1)) == {BEFORE}


def test_an_interrupt_during_an_import_s_sql_escapes_the_import(file_engine, tmp_path, monkeypatch) -> None:
    """A KeyboardInterrupt hitting the per-row path's SQL inside the block escapes the import (the runner
    marks FAILED only what is an ``Exception``)."""
    path = _stock(tmp_path / "stock.csv", 1_200)
    beside, armed = runner.checkpoints_beside, []

    @contextlib.contextmanager
    def interrupted(session):
        with beside(session):
            armed.append(_interrupting(file_engine, after=5))
            yield

    monkeypatch.setattr(runner, "checkpoints_beside", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_file(file_engine, "stock", path, owner_id="LUMINA", chunk_rows=200, bulk=False)
    event.remove(file_engine, "before_cursor_execute", armed[0])
    assert not _checkpointers()
    assert set(_pooled_settings(file_engine, extra=1)) == {BEFORE}


def test_a_block_ending_leaves_alone_a_connection_another_session_got_from_the_pool(file_engine) -> None:
    """Two imports on one file: when the first one's block ends, the connection its session marked, handed
    back and since taken and marked by the second one's session keeps automatic checkpoints off until the
    second one's block ends."""
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(session_factory(file_engine)())
        second = stack.enter_context(session_factory(file_engine)())
        first_block = stack.enter_context(contextlib.ExitStack())
        first_block.enter_context(wal_checkpoint.checkpoints_beside(first))
        stack.enter_context(wal_checkpoint.checkpoints_beside(second))
        idle = [file_engine.raw_connection() for _ in range(file_engine.pool.checkedin())]  # (held aside)
        marked = first.connection().connection.dbapi_connection
        first.commit()  # (its connection back in the pool, the only one idle there)
        connection = second.connection()
        assert connection.connection.dbapi_connection is marked
        for raw in idle:
            raw.close()
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        first_block.close()
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    assert not _checkpointers()
    assert set(_pooled_settings(file_engine, extra=1)) == {BEFORE}


def test_the_checkpointer_s_connection_is_made_as_the_engine_makes_its_own(file_engine, tmp_path,
                                                                          monkeypatch) -> None:
    """The engine's connect arguments (a busy timeout of 30 s, not sqlite3's 5 s) and its connect listeners
    (the tests' ``wal_autocheckpoint``) apply to the checkpointer's connection too."""
    seen: list[tuple[int, int]] = []
    checkpointer = wal_checkpoint.Checkpointer

    def noting(connection, bound):
        seen.append((connection.execute("PRAGMA busy_timeout").fetchone()[0],
                     connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]))
        return checkpointer(connection, bound)

    monkeypatch.setattr(wal_checkpoint, "Checkpointer", noting)
    summary = import_file(file_engine, "stock", _stock(tmp_path / "stock.csv", 600), owner_id="LUMINA",
                          chunk_rows=200)
    assert (summary.status, seen) == ("COMPLETED", [(30_000, BEFORE)])
    assert not _checkpointers()


@pytest.mark.parametrize("failing", ["opening", "starting"])
def test_an_import_runs_without_the_checkpointer_when_it_cannot_be_set_up(file_engine, tmp_path, monkeypatch,
                                                                          caplog, failing) -> None:
    """The checkpointer only speeds the import up: when its connection cannot be opened or its thread
    started, the import runs as without it, said once in the log."""
    if failing == "opening":
        def refused(_engine):
            raise sqlite3.OperationalError("unable to open database file")
        monkeypatch.setattr(wal_checkpoint, "_own_connection", refused)
    else:  # (its thread refusing to start: ``Checkpointer.start`` itself runs, and closes its connection)
        made = []
        setting_up = wal_checkpoint.Checkpointer.__init__

        def refusing_thread(self, *args, **kwargs):
            setting_up(self, *args, **kwargs)
            made.append(self)

            def refused():
                raise RuntimeError("can't start new thread")
            self._thread.start = refused
        monkeypatch.setattr(wal_checkpoint.Checkpointer, "__init__", refusing_thread)
    _warm_pool(file_engine)
    seen = _noting_commits(monkeypatch)
    with caplog.at_level("WARNING", logger=wal_checkpoint.__name__):
        summary = import_file(file_engine, "stock", _stock(tmp_path / "stock.csv", 600), owner_id="LUMINA",
                              chunk_rows=200)
    assert (summary.status, summary.created) == ("COMPLETED", 600)
    warnings = [record for record in caplog.records if record.name == wal_checkpoint.__name__]
    assert len(warnings) == 1 and "without" in warnings[0].getMessage()
    assert {setting for _, setting, _ in seen} == {BEFORE}
    assert not _checkpointers()
    assert set(_pooled_settings(file_engine, extra=1)) == {BEFORE}
    if failing == "starting":  # (the detached connection it had opened is closed, not left to the collector)
        assert made[0]._connection.dbapi_connection is None


def test_a_restore_that_fails_at_the_block_s_end_does_not_replace_the_error_in_flight(file_engine, caplog) -> None:
    """A connection whose handle went without SQLAlchemy knowing refuses its restore: that is logged, and
    the error the block ended on is the one that escapes."""
    with session_factory(file_engine)() as session, caplog.at_level("WARNING", logger=wal_checkpoint.__name__):
        with pytest.raises(_Interrupted):
            with wal_checkpoint.checkpoints_beside(session):
                session.connection().connection.dbapi_connection.close()
                raise _Interrupted()
        session.connection().invalidate()  # (its handle gone: the pool is to make another)
    assert [record.getMessage() for record in caplog.records if record.name == wal_checkpoint.__name__] == [
        "a connection's wal_autocheckpoint could not be given back (ProgrammingError: Cannot operate on a closed "
        "database.)"]
    assert not _checkpointers()
