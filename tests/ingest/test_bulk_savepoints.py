"""The savepoints a batch of the bulk path sets (``aggregator.ingest.bulk``) in a chunk of many batches.

A chunk whose records are met again after other records (their rows not contiguous, the pre-read of spread
records left out) writes one batch before each such record: here over seventy batches in one chunk. On
PostgreSQL each batch sets its savepoints (``bulk_batch``, and ``bulk_copy`` inside it); the one of the batch
before is released in the same round trip, so at most one of each is open however many batches the chunk
has (before, every one stayed open, nested, until the chunk's commit). The import stores what the
per-record path stores, on both databases; a batch refused in the middle of the chunk is rolled back alone
and its records written one by one. When the rollback to a failed batch's savepoint itself fails on a live
connection, the transaction's state is unknown: the import stops FAILED, saying so, and nothing of the chunk
is committed (before, the failure was passed over and the chunk went on in the failed transaction).
"""
from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from aggregator.ingest import bulk, import_file, tabular_import
from aggregator.store.db import session_factory
from aggregator.store.models.logistics import ImportFileRow
from aggregator.store.models.warehouse import WarehouseShipmentRow
from tests.ingest.test_copy_fallback import _days
from tests.ingest.test_import_paths import OUTBOUND_HEADER, _clear, _outbound_rows, _snapshot

RECORDS = 80


def _interleaved(tmp_path: Path) -> Path:
    """Records of two lines, each followed by a third line of the record before it: one batch per record."""
    rows = [*_outbound_rows(range(1, 2))]
    for n in range(2, RECORDS + 1):
        rows += [*_outbound_rows(range(n, n + 1)), _outbound_rows(range(n - 1, n), lines=3)[2]]
    path = tmp_path / "interleaved.csv"
    path.write_text("\n".join([OUTBOUND_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


class _Savepoints:
    """The savepoints the import leaves open on PostgreSQL. Sent: every ``SAVEPOINT``, ``RELEASE`` and
    ``ROLLBACK TO`` through psycopg (the transaction's end clearing them): the most open at once, the batch
    savepoints set per transaction. Held by the server, just before each commit: the locks the backend holds
    on transaction ids, one for the transaction and one for each of its subtransactions given an id (one
    that wrote) and still open (a released one gives up its lock: ``CommitSubTransaction``)."""

    def __init__(self, monkeypatch, refused_rollback: str | None = None) -> None:
        self.open: list[str] = []
        self.most_bulk = self.most = 0
        self.batches: list[int] = [0]
        self.held: list[int] = []
        self.refused = 0
        execute, commit, rollback = psycopg.Cursor.execute, psycopg.Connection.commit, psycopg.Connection.rollback
        tracker = self

        def traced(cursor, query, *args, **kwargs):
            if isinstance(query, str):
                if refused_rollback is not None and query == f"ROLLBACK TO SAVEPOINT {refused_rollback}":
                    query = "ROLLBACK TO SAVEPOINT no_such_savepoint"  # (refused by the server; the connection lives)
                    tracker.refused += 1
                tracker.saw(query)
            return execute(cursor, query, *args, **kwargs)

        def committed(connection):
            with connection.cursor() as cursor:
                execute(cursor, "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'transactionid'")
                tracker.held.append(cursor.fetchone()[0])
            tracker.ended()
            return commit(connection)

        def rolled_back(connection):
            tracker.ended()
            return rollback(connection)

        monkeypatch.setattr(psycopg.Cursor, "execute", traced)
        monkeypatch.setattr(psycopg.Connection, "commit", committed)
        monkeypatch.setattr(psycopg.Connection, "rollback", rolled_back)

    def saw(self, query: str) -> None:
        found = re.fullmatch(r"(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) (\w+)", query.strip())
        if found is None:
            return
        verb, name = found.groups()
        if verb == "SAVEPOINT":
            self.open.append(name)
            self.batches[-1] += name == bulk._BATCH_SAVEPOINT
        elif name in self.open:  # (else refused by the server)
            at = len(self.open) - 1 - self.open[::-1].index(name)
            del self.open[at + (verb != "RELEASE SAVEPOINT"):]
        self.most = max(self.most, len(self.open))
        self.most_bulk = max(self.most_bulk, sum(name.startswith("bulk_") for name in self.open))

    def ended(self) -> None:
        self.open.clear()
        self.batches.append(0)


@pytest.fixture
def interleaved(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setattr(tabular_import, "scattered_keys", lambda *args, **kwargs: set())  # (no pre-read)
    return _interleaved(tmp_path)


def _at_batch(monkeypatch, number: int, act) -> list:
    """The PostgreSQL batches written from here on, counted (the list returned): the ``number``-th calls ``act``
    with the driver's connection once its savepoint is set, before its rows are written."""
    calls: list = []
    write_new = bulk._write_new_postgresql

    def counted(session, raw, *args):
        calls.append(None)
        if len(calls) == number:
            act(raw)
        return write_new(session, raw, *args)

    monkeypatch.setattr(bulk, "_write_new_postgresql", counted)
    return calls


def _reference(engine, path: Path) -> dict:
    """What the per-record path stores of ``path`` (the reference the bulk path is checked against)."""
    _clear(engine)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", bulk=False)
    assert (summary.status, summary.created, summary.rows_rejected) == ("COMPLETED", RECORDS, 0)
    return _snapshot(engine)


def test_a_chunk_of_many_batches_stores_what_the_per_record_path_stores(engine, interleaved: Path,
                                                                        monkeypatch) -> None:
    reference = _reference(engine, interleaved)
    _clear(engine)
    savepoints = _Savepoints(monkeypatch)
    summary = import_file(engine, "outbound", interleaved, owner_id="LUMINA")
    assert (summary.status, summary.created, summary.rows_rejected) == ("COMPLETED", RECORDS, 0)
    assert _snapshot(engine) == reference
    if engine.dialect.name == "postgresql":
        assert max(savepoints.batches) > 70  # (the batches of one chunk: one transaction)
        assert savepoints.most_bulk <= 2  # (one batch's ``bulk_batch`` and ``bulk_copy``)
        assert savepoints.most <= 3  # (and a record's own, written by the per-record path inside the batch's)
        assert max(savepoints.held) <= 3  # (the transaction, a batch's two savepoints: 159 when all stayed open)


def test_a_batch_refused_after_others_in_its_chunk_is_rolled_back_alone(pg_engine, interleaved: Path,
                                                                        monkeypatch) -> None:
    reference = _reference(pg_engine, interleaved)
    _clear(pg_engine)
    # (the batch's audit entry and ids written under its savepoint, then refused)
    calls = _at_batch(monkeypatch, 40, lambda raw: raw.execute("SELECT 1 / 0"))
    savepoints = _Savepoints(monkeypatch)
    summary = import_file(pg_engine, "outbound", interleaved, owner_id="LUMINA")
    assert len(calls) > 70
    assert (summary.status, summary.created, summary.rows_rejected) == ("COMPLETED", RECORDS, 0)
    assert _snapshot(pg_engine) == reference
    assert savepoints.most_bulk <= 2 and max(savepoints.held) <= 3


def test_a_failed_rollback_to_the_batch_savepoint_stops_the_import_and_commits_nothing_of_its_chunk(
        pg_engine, interleaved: Path, monkeypatch) -> None:
    _clear(pg_engine)
    calls = _at_batch(monkeypatch, 5, lambda raw: raw.execute("SELECT 1 / 0"))
    _Savepoints(monkeypatch, refused_rollback=bulk._BATCH_SAVEPOINT)
    summary = import_file(pg_engine, "outbound", interleaved, owner_id="LUMINA")
    assert summary.status == "FAILED"
    assert summary.error.startswith("import stopped by BatchRollbackFailed: ")
    assert "could not be rolled back" in summary.error and "DivisionByZero" in summary.error
    assert len(calls) == 5  # (nothing written after it)
    with session_factory(pg_engine)() as session:
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)) == 0
        assert session.scalar(select(ImportFileRow.status)) == "FAILED"


def test_an_interrupt_whose_rollback_fails_stays_an_interrupt(pg_engine, interleaved: Path, monkeypatch) -> None:
    """A batch stopped by an interrupt (Ctrl-C, a worker's shutdown: not an ``Exception``) whose rollback then
    fails: the interrupt goes on out of the import (not turned into ``BatchRollbackFailed``, which the runner
    would take for a failed import and carry on after), and nothing of the chunk is committed."""
    _clear(pg_engine)
    def interrupt(raw):
        raise KeyboardInterrupt

    calls = _at_batch(monkeypatch, 5, interrupt)
    savepoints = _Savepoints(monkeypatch, refused_rollback=bulk._BATCH_SAVEPOINT)
    with pytest.raises(KeyboardInterrupt):
        import_file(pg_engine, "outbound", interleaved, owner_id="LUMINA")
    assert len(calls) == 5 and savepoints.refused == 1
    with session_factory(pg_engine)() as session:
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)) == 0


def test_a_lost_connection_while_a_batch_fails_stops_the_import_with_the_first_error(
        pg_engine, interleaved: Path, monkeypatch) -> None:
    _clear(pg_engine)
    write_new = bulk._write_new_postgresql

    def lost(session, raw, *args):
        raw.close()
        return write_new(session, raw, *args)

    monkeypatch.setattr(bulk, "_write_new_postgresql", lost)
    summary = import_file(pg_engine, "outbound", interleaved, owner_id="LUMINA")
    assert summary.status == "FAILED"
    assert "BatchRollbackFailed" not in summary.error
    with session_factory(pg_engine)() as session:
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)) == 0


def test_a_failed_rollback_to_the_copy_savepoint_writes_the_batch_record_by_record(pg_engine, tmp_path: Path,
                                                                                  monkeypatch) -> None:
    """A COPY meeting a stored key is rolled back to just before it (``bulk_copy``); when that rollback fails,
    the batch's own savepoint is rolled back to and its records written one by one: stored as when it works."""
    day1, day2 = _days(tmp_path)
    results = []
    for refused in (None, bulk._COPY_SAVEPOINT):
        _clear(pg_engine)
        import_file(pg_engine, "outbound", day1, owner_id="LUMINA")
        with monkeypatch.context() as patched:
            savepoints = _Savepoints(patched, refused_rollback=refused)
            summary = import_file(pg_engine, "outbound", day2, owner_id="LUMINA")
        results.append(((summary.status, summary.created, summary.updated, summary.unchanged), _snapshot(pg_engine)))
        assert savepoints.most_bulk <= 2 and (savepoints.refused > 0) == (refused is not None)
    assert results[0][0] == ("COMPLETED", 17, 1, 2)
    assert results[1] == results[0]
