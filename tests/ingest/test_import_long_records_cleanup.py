"""The undoing of a receipt in parts whose last step failed (``writers.drop_parts``), under real database
errors: an error the database itself raises inside ``end_of_record`` (on PostgreSQL the transaction is then
aborted until its savepoint is rolled back) leaves the session usable for the undoing; an undoing that
itself fails leaves nothing half deleted (its savepoint rolled back whole), says so in the reject and
the file run again stores what one clean run stores. Both paths, SQLite and PostgreSQL.

The errors are provoked by monkeypatching ``tabular_import.end_of_record`` / ``tabular_import.drop_parts``
to do their work and then run a statement the database refuses (a column that does not exist).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from aggregator.ingest import import_file, tabular_import
from aggregator.ingest.writers import CLAIMED, UNFINISHED
from aggregator.store.db import session_factory
from aggregator.store.models.logistics import ImportRejectRow
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow
from tests.ingest.test_import_long_records import _days, _receipt
from tests.ingest.test_import_long_records_end_failed import _stored_as
from tests.ingest.test_import_paths import _clear, _snapshot
from tests.ingest.test_import_scattered import INBOUND_HEADER, _write



def _refused_after(monkeypatch, name: str):
    """``tabular_import.<name>`` does its work, then the database refuses a statement; answers the real one."""
    real = getattr(tabular_import, name)

    def failing(session, *args):
        answer = real(session, *args)
        session.execute(text("SELECT no_such_column FROM warehouse_receipts"))
        return answer

    monkeypatch.setattr(tabular_import, name, failing)
    return real


def _asn1(engine) -> tuple[list, int]:
    """ASN-1's (header hash) rows and the count of its lines under its id or its ``-id``."""
    with session_factory(engine)() as session:
        headers = session.execute(select(WarehouseReceiptRow.id, WarehouseReceiptRow.content_hash)
                                  .where(WarehouseReceiptRow.asn_no == "ASN-1")).all()
        ids = [pk for pk, _ in headers] + [-pk for pk, _ in headers]
        lines = session.scalar(select(func.count()).where(WarehouseReceiptLineRow.receipt_pk.in_(ids))) if ids else 0
    return [content_hash for _, content_hash in headers], lines


@pytest.mark.parametrize("bulk", [True, False])
def test_a_database_error_in_the_last_step_is_undone_on_a_usable_session(engine, tmp_path: Path, monkeypatch,
                                                                         bulk: bool) -> None:
    """ASN-1 (seven lines, new) in parts of three; the database refuses a statement of its last step: ASN-1
    removed (header and lines), ASN-2 stored, one reject naming ASN-1, its lines and the database's error;
    run again, the file stores what one clean run stores."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    [(counts, clean)] = _days(engine, "inbound", [day1], 3, bulk)
    _clear(engine)
    real = _refused_after(monkeypatch, "end_of_record")
    failed = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    monkeypatch.setattr(tabular_import, "end_of_record", real)
    assert (failed.status, failed.created, failed.rows_rejected, failed.error) == ("COMPLETED_WITH_REJECTS", 1, 7, None)
    assert dict(failed.problem_counts) == {"store_failed": 7}
    assert _asn1(engine) == ([], 0)
    [reject] = [dict(row) for row in _snapshot(engine)["rejects"]]
    assert reject["line"] == 2 and "ASN-1" in reject["reason"] and "lines 2–8" in reject["reason"]
    assert "no_such_column" in reject["reason"] and "could not be removed" not in reject["reason"]
    again = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (again.status, again.rows_rejected, again.created, again.unchanged) == (counts[0], 0, 1, 1)
    _stored_as(engine, clean)


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("stored", [False, True])
def test_an_undoing_that_fails_leaves_nothing_half_deleted(engine, tmp_path: Path, monkeypatch, bulk: bool,
                                                          stored: bool) -> None:
    """ASN-1's last step fails, then so does its undoing (after deleting its lines): the undoing's savepoint
    is rolled back whole (new: the header with its claim and all seven lines; stored: its seven lines and
    the seven waiting under ``-id``), the reject says it could not be removed and to import the file again,
    the import completes with its rejects (no traceback); run again, the file stores what one clean run
    stores."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    day2 = _write(tmp_path / "day2.csv", INBOUND_HEADER, [*_receipt(1, 7, received={2: 3}), *_receipt(2, 1)])
    files = [day1, day2] if stored else [day2]
    counts, clean = _days(engine, "inbound", files, 3, bulk)[-1]
    _clear(engine)
    if stored:
        import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    end = tabular_import.end_of_record
    monkeypatch.setattr(tabular_import, "end_of_record", lambda *args: (_ for _ in ()).throw(ValueError("refused")))
    _refused_after(monkeypatch, "drop_parts")
    failed = import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    monkeypatch.setattr(tabular_import, "end_of_record", end)
    assert (failed.status, failed.rows_rejected, failed.error) == ("COMPLETED_WITH_REJECTS", 7, None)
    hashes, lines = _asn1(engine)
    assert len(hashes) == 1 and hashes[0].startswith(CLAIMED if stored else UNFINISHED)
    assert lines == (14 if stored else 7)
    with session_factory(engine)() as session:  # (lines wait under ``-id``: not what ``_snapshot`` reads)
        [reason] = session.scalars(select(ImportRejectRow.reason).where(ImportRejectRow.code == "store_failed")).all()
    assert "ASN-1" in reason and "refused" in reason
    assert "could not be removed" in reason and "import the file again" in reason
    monkeypatch.undo()
    again = import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (again.status, again.rows_rejected) == (counts[0], 0)
    _stored_as(engine, clean)


@pytest.mark.parametrize("bulk", [True, False])
def test_the_lines_of_a_record_of_many_runs_are_held_in_bounded_memory(engine, tmp_path: Path, monkeypatch,
                                                                        bulk: bool) -> None:
    """ASN-1's seven rows alternate with seven one-line receipts (file lines 2, 4, …, 14: seven runs of one
    line), stored at the end in parts of three; its last step fails. At most a chunk's worth of runs
    (three) is held in memory, the others written out; the rejects are still one per run, each naming the
    record, all its lines and its own line; seven rows rejected; ASN-1 not left stored."""
    asn1 = _receipt(1, 7)
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER,
                  [row for n, line in enumerate(asn1, start=2) for row in (line, *_receipt(n, 1))])
    _clear(engine)
    monkeypatch.setattr(tabular_import, "end_of_record", lambda *args: (_ for _ in ()).throw(ValueError("refused")))
    held = []
    reject = tabular_import.TabularRun._reject_parts

    def noting(run, parts, reason):
        held.append(len(parts.runs))
        return reject(run, parts, reason)

    monkeypatch.setattr(tabular_import.TabularRun, "_reject_parts", noting)
    failed = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (failed.status, failed.created, failed.rows_rejected) == ("COMPLETED_WITH_REJECTS", 7, 7)
    assert dict(failed.problem_counts) == {"store_failed": 7}
    assert held and max(held) <= 2 * 3  # (a run is two numbers)
    rejects = sorted((dict(row)["line"], dict(row)["reason"]) for row in _snapshot(engine)["rejects"])
    assert [line for line, _ in rejects] == list(range(2, 16, 2))
    assert all("ASN-1" in reason and "7 rows over lines 2–14" in reason and f"(here line {line})" in reason
               and "refused" in reason for line, reason in rejects)
    assert _asn1(engine) == ([], 0)


def refuse_record_rejects(monkeypatch) -> None:
    """The database refuses the write of a record in parts' reject (``_ChunkSink.flush`` of it)."""
    flush = tabular_import._ChunkSink.flush

    def refusing(sink, session):
        if any("the record" in row["reason"] for row in sink.rows):
            session.execute(text("SELECT no_such_column FROM import_rejects"))
        flush(sink, session)

    monkeypatch.setattr(tabular_import._ChunkSink, "flush", refusing)


@pytest.mark.parametrize("bulk", [True, False])
def test_a_reject_that_cannot_be_written_is_counted_once(engine, tmp_path: Path, monkeypatch, bulk: bool) -> None:
    """ASN-1's header maps to no record when its last part is in, and the database refuses its reject: the
    import fails naming the database's error, its rows counted rejected once (seven, not the reject made
    twice)."""
    from tests.ingest.test_import_long_records_end_failed import _no_record_for

    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    _clear(engine)
    _no_record_for(monkeypatch, [2])
    refuse_record_rejects(monkeypatch)
    failed = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert failed.status == "FAILED" and "no_such_column" in failed.error
    assert (failed.rows_rejected, failed.problem_counts["store_failed"]) == (7, 7)
