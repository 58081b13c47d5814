"""A receipt longer than an import chunk (written in parts) whose last step fails is not left half stored:
a new one is gone (no header holding its first part's values and a claim, no lines), a stored one keeps
exactly its previous content (no line left under ``-id``, its previous hash back); the reject names the
record and every file line it spans, with the reason; the file run again stores what one clean run
stores. A record whose header cannot be mapped from its rows when its last part is in, and a refused part
whose rows cannot be mapped one by one to find the line numbers an earlier part has, are rejects naming
where and why, never a traceback. Both paths, SQLite and PostgreSQL.

No real input makes ``end_of_record`` fail once its parts are written (a fault of the database: a lost
connection, a full disk), nor makes the rows of a record the mapper accepted map to no record alone
(``build_group`` builds a record from any accepted row): those are provoked by monkeypatching
``tabular_import.end_of_record`` (after it did its work, so that its savepoint has something to undo) and
the kind's ``map_rows``.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from aggregator.ingest import import_file, tabular_import
from aggregator.store.db import session_factory
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow
from platform_adapters.tabular.rows import GroupResult
from platform_adapters.warehouse import inbound
from tests.ingest.test_import_long_records import _counts, _days, _receipt
from tests.ingest.test_import_paths import _clear, _snapshot
from tests.ingest.test_import_scattered import INBOUND_HEADER, _write

STORED = ("warehouse_receipts", "warehouse_receipt_lines", "audit")


def _stored_as(engine, expected: dict) -> None:
    """The receipts, their lines and the audit trail are those of ``expected`` (a ``_snapshot``)."""
    after = _snapshot(engine)
    for table in STORED:
        assert after[table] == expected[table], table


def _failing_end(monkeypatch):
    """``end_of_record`` does its work, then the database refuses (the work is in its savepoint); answers
    the real one."""
    real = tabular_import.end_of_record

    def failing(session, parts, agg):
        real(session, parts, agg)
        raise OperationalError("UPDATE warehouse_receipts", {}, Exception("disk I/O error"))

    monkeypatch.setattr(tabular_import, "end_of_record", failing)
    return real


def _left_aside(engine) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).where(WarehouseReceiptLineRow.receipt_pk < 0))


def _asn(engine, asn: str) -> list:
    with session_factory(engine)() as session:
        return session.execute(select(WarehouseReceiptRow.id, WarehouseReceiptRow.content_hash)
                               .where(WarehouseReceiptRow.asn_no == asn)).all()


@pytest.mark.parametrize("bulk", [True, False])
def test_a_new_long_receipt_whose_end_fails_is_not_left_stored(engine, tmp_path: Path, monkeypatch, bulk: bool) -> None:
    """ASN-1 (seven lines, new) in parts of three; its last step fails: no ASN-1 header nor line is left,
    ASN-2 is stored, one reject names ASN-1, lines 2–8 and the error; seven rows rejected. Run again, the
    file stores and audits what one clean run does (ASN-1 created, ASN-2 unchanged)."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    [(counts, clean)] = _days(engine, "inbound", [day1], 3, bulk)
    assert counts[0] == "COMPLETED"
    _clear(engine)
    real = _failing_end(monkeypatch)
    failed = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    monkeypatch.setattr(tabular_import, "end_of_record", real)
    assert (failed.status, failed.created, failed.rows_rejected) == ("COMPLETED_WITH_REJECTS", 1, 7)
    assert dict(failed.problem_counts) == {"store_failed": 7}
    assert _asn(engine, "ASN-1") == [] and _asn(engine, "ASN-2")
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(WarehouseReceiptLineRow)) == 1  # (ASN-2's)
    [reject] = _snapshot(engine)["rejects"]
    reject = dict(reject)
    assert (reject["line"], reject["code"]) == (2, "store_failed")
    assert "ASN-1" in reject["reason"] and "lines 2–8" in reject["reason"] and "disk I/O error" in reject["reason"]
    again = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (again.status, again.rows_rejected, again.created, again.unchanged) == (counts[0], 0, 1, 1)  # (ASN-2 stored)
    _stored_as(engine, clean)


@pytest.mark.parametrize("bulk", [True, False])
def test_a_stored_long_receipt_whose_end_fails_keeps_its_previous_content(engine, tmp_path: Path, monkeypatch,
                                                                          bulk: bool) -> None:
    """ASN-1 stored; the next file (its line 2 received 3) fails at ASN-1's last step: ASN-1 is exactly as
    stored before (header, hash, lines, audit), no line waits under ``-id``; run again, that file stores,
    counts and audits what one clean run does."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    day2 = _write(tmp_path / "day2.csv", INBOUND_HEADER, [*_receipt(1, 7, received={2: 3}), *_receipt(2, 1)])
    [(_, before), (counts, clean)] = _days(engine, "inbound", [day1, day2], 3, bulk)
    _clear(engine)
    import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    real = _failing_end(monkeypatch)
    failed = import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    monkeypatch.setattr(tabular_import, "end_of_record", real)
    assert (failed.status, failed.unchanged, failed.rows_rejected) == ("COMPLETED_WITH_REJECTS", 1, 7)
    assert _left_aside(engine) == 0
    stored = _snapshot(engine)
    for table in STORED:
        assert stored[table] == before[table], table
    [reject] = [dict(row) for row in stored["rejects"] if dict(row)["code"] == "store_failed"]
    assert reject["line"] == 2 and "ASN-1" in reject["reason"] and "lines 2–8" in reject["reason"]
    again = import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert _counts(again) == counts
    _stored_as(engine, clean)


def _no_record_for(monkeypatch, lines: list[int], how: str = "none") -> None:
    """``map_rows`` of exactly the rows at ``lines`` (file lines) answers no record (``how`` "none") or a
    record without lines ("no_line")."""
    real = inbound.map_rows

    def mapping(rows, options, line_offset=0):
        result = real(rows, options, line_offset)
        if [row.line for row in rows] != lines:
            return result
        if how == "none":
            return GroupResult(None, result.problems, ())
        return GroupResult(dataclasses.replace(result.record, lines=()), result.problems, result.accepted_lines)

    monkeypatch.setattr(inbound, "map_rows", mapping)


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("stored", [False, True])
def test_a_long_receipt_whose_header_maps_to_no_record_is_a_reject(engine, tmp_path: Path, monkeypatch, bulk: bool,
                                                                   stored: bool) -> None:
    """ASN-1's rows holding its header (here its first row alone, line 2) map to no record when its last
    part is in: a ``store_failed`` reject naming ASN-1 and its lines, no traceback; ASN-1 not left half
    stored (new: absent; stored: as before)."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    day2 = _write(tmp_path / "day2.csv", INBOUND_HEADER, [*_receipt(1, 7, received={2: 3}), *_receipt(2, 1)])
    _clear(engine)
    if stored:
        import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    before = _snapshot(engine)
    _no_record_for(monkeypatch, [2])
    summary = import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (summary.status, summary.rows_rejected) == ("COMPLETED_WITH_REJECTS", 7)
    assert dict(summary.problem_counts) == {"store_failed": 7}
    [reject] = [dict(row) for row in _snapshot(engine)["rejects"]]
    assert reject["line"] == 2 and "ASN-1" in reject["reason"] and "lines 2–8" in reject["reason"]
    assert "map" in reject["reason"]
    assert _left_aside(engine) == 0
    if stored:
        _stored_as(engine, before)
    else:
        assert _asn(engine, "ASN-1") == []


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("how", ["none", "no_line"])
def test_a_refused_part_whose_rows_do_not_map_alone_is_a_reject(engine, tmp_path: Path, monkeypatch, bulk: bool,
                                                                 how: str) -> None:
    """Line 5 of a seven-line receipt states line number 2 (met in its first part), so the database refuses
    the second part (file lines 5–7); mapped alone to find which rows repeat a line number, file line 6 gives
    no record (or a record without a line): the part is rejected naming each of its rows and the reason, no
    traceback; the other parts are stored as the record."""
    rows = _receipt(1, 7)
    rows[4] = rows[4].replace(",5,SKU-", ",2,SKU-")
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*rows, *_receipt(2, 1)])
    _clear(engine)
    _no_record_for(monkeypatch, [6], how)
    summary = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (summary.status, summary.created, summary.rows_rejected) == ("COMPLETED_WITH_REJECTS", 2, 3)
    rejects = sorted((dict(row)["line"], dict(row)["code"], dict(row)["reason"]) for row in _snapshot(engine)["rejects"])
    assert [(line, code) for line, code, _ in rejects] == [(5, "store_failed"), (6, "store_failed"), (7, "store_failed")]
    assert all("line 6" in reason and "could not be stored" in reason for _, _, reason in rejects)
    with session_factory(engine)() as session:
        lines = session.scalars(select(WarehouseReceiptLineRow.line_no).join(
            WarehouseReceiptRow, WarehouseReceiptRow.id == WarehouseReceiptLineRow.receipt_pk)
            .where(WarehouseReceiptRow.asn_no == "ASN-1").order_by(WarehouseReceiptLineRow.line_no)).all()
    assert lines == [1, 2, 3, 7]
    assert _left_aside(engine) == 0



@pytest.mark.parametrize("bulk", [True, False])
def test_a_spread_long_receipt_whose_end_fails_names_each_run_of_its_lines(engine, tmp_path: Path, monkeypatch,
                                                                         bulk: bool) -> None:
    """ASN-1's rows are spread over the file (lines 2–4 and 6–9, ASN-2 between), stored at the end in parts of
    three; its last step fails: one reject per run of its lines, each naming the record, all its lines and
    its run; seven rows rejected; ASN-1 not left stored."""
    asn1 = _receipt(1, 7)
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*asn1[:3], *_receipt(2, 1), *asn1[3:]])
    _clear(engine)
    _failing_end(monkeypatch)
    failed = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (failed.status, failed.created, failed.rows_rejected) == ("COMPLETED_WITH_REJECTS", 1, 7)
    assert dict(failed.problem_counts) == {"store_failed": 7}
    rejects = sorted((dict(row)["line"], dict(row)["reason"]) for row in _snapshot(engine)["rejects"])
    assert [line for line, _ in rejects] == [2, 6]
    assert all("ASN-1" in reason and "7 rows over lines 2–9" in reason for _, reason in rejects)
    assert "(here lines 2–4)" in rejects[0][1] and "(here lines 6–9)" in rejects[1][1]
    assert _asn(engine, "ASN-1") == [] and _left_aside(engine) == 0
