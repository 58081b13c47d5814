"""Records stored before with other content (a re-import of changed records) are written under one SAVEPOINT
per group (``bulk._write_each``), not one each: PostgreSQL gives every subtransaction that writes an id and a
backend caches at most 64 of its transaction's (released ones count), past which every other session's
snapshot checks read ``pg_subtrans``. A chunk of 200 changed outbounds writes them in one subtransaction (all
their rows carry one ``xmin``); one the database refuses among them (a weight PostgreSQL's integer column
does not hold) is still rejected alone, the others written in a handful (one per halving of the group that
held it). What is stored, counted, rejected and audited is what one SAVEPOINT per record (the way before,
rebuilt here as the reference) stores. Both paths, on real PostgreSQL.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import event, text

from aggregator.ingest import bulk, import_file
from aggregator.ingest.writers import error_text, write_aggregate
from tests.ingest.test_import_long_records import _counts
from tests.ingest.test_import_paths import OUTBOUND_HEADER, _clear, _outbound_rows, _snapshot

RECORDS = 200
BAD = 137  # (its first row is the file's line 2 * 137)


def _files(tmp_path: Path, bad: bool) -> tuple[Path, Path]:
    """Day 1: ``RECORDS`` outbounds of two lines; day 2: each one's remark changed (a header update) and,
    when ``bad``, OB-137's first line weighing more than PostgreSQL's integer column holds."""
    day1 = _outbound_rows(range(1, RECORDS + 1))
    day2 = [row + "x" for row in day1]
    if bad:
        at = 2 * (BAD - 1)
        cells = day2[at].split(",")
        cells[13] = "9" * 12
        day2[at] = ",".join(cells)
    paths = []
    for name, rows in (("day1.csv", day1), ("day2.csv", day2)):
        path = tmp_path / name
        path.write_text("\n".join([OUTBOUND_HEADER, *rows]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def _one_savepoint_each(session, aggs, indexes, on_result) -> None:
    """The way before: each record in its own SAVEPOINT."""
    for i in indexes:
        try:
            with session.begin_nested():
                result = write_aggregate(session, aggs[i])
            on_result(i, result.outcome, None)
        except bulk.StoreError as exc:
            on_result(i, None, error_text(exc))


def _import_twice(engine, day1: Path, day2: Path, path_bulk: bool) -> tuple[tuple, dict, int, int]:
    """(counts, stored) of day 2 imported after day 1, the SAVEPOINTs the session set during day 2, and the
    transaction ids its changed shipments and their update entries were written under."""
    _clear(engine)
    import_file(engine, "outbound", day1, owner_id="LUMINA", bulk=path_bulk)
    savepoints = []

    def noted(connection, name):
        savepoints.append(name)

    event.listen(engine, "savepoint", noted)
    try:
        summary = import_file(engine, "outbound", day2, owner_id="LUMINA", bulk=path_bulk)
    finally:
        event.remove(engine, "savepoint", noted)
    with engine.connect() as connection:
        xids = connection.execute(text(
            "SELECT count(DISTINCT xmin::text) FROM (SELECT xmin FROM warehouse_shipments WHERE remark LIKE '%x' "
            "UNION ALL SELECT xmin FROM audit_log WHERE action = 'update') written")).scalar_one()
    return _counts(summary), _snapshot(engine), len(savepoints), xids


@pytest.mark.parametrize("path_bulk", [True, False])
def test_a_chunk_of_changed_records_is_written_in_one_subtransaction(pg_engine, tmp_path: Path,
                                                                     path_bulk: bool) -> None:
    day1, day2 = _files(tmp_path, bad=False)
    counts, stored, savepoints, xids = _import_twice(pg_engine, day1, day2, path_bulk)
    assert counts == ("COMPLETED", 2 * RECORDS, 0, 0, RECORDS, 0, {})
    # (two writes: the file's last record, carried until the file's end, is written after the others; before:
    # 200 savepoints and 200 transaction ids)
    assert (savepoints, xids) == (2, 2)
    assert len([entry for entry in stored["audit"] if dict(entry)["action"] == '"update"']) == RECORDS


@pytest.mark.parametrize("path_bulk", [True, False])
def test_a_record_refused_among_them_is_rejected_alone_as_with_a_savepoint_each(pg_engine, tmp_path: Path,
                                                                                monkeypatch, path_bulk: bool) -> None:
    day1, day2 = _files(tmp_path, bad=True)
    counts, stored, savepoints, xids = _import_twice(pg_engine, day1, day2, path_bulk)
    assert counts[:6] == ("COMPLETED_WITH_REJECTS", 2 * RECORDS, 2, 0, RECORDS - 1, 0)
    assert counts[6] == {"store_failed": 2}
    halvings = math.ceil(math.log2(RECORDS))
    print(f"refused among them: {savepoints} savepoints, {xids} transaction ids")
    assert xids <= halvings + 1 and savepoints <= 2 * halvings + 2  # (before: 199 and 200)
    rejects = sorted((dict(row)["line"], dict(row)["code"]) for row in stored["rejects"])
    assert rejects == [(2 * BAD, "store_failed"), (2 * BAD + 1, "store_failed")]
    assert "NumericValueOutOfRange" in dict(stored["rejects"][0])["reason"]
    monkeypatch.setattr(bulk, "_write_each", _one_savepoint_each)
    before_counts, before, before_savepoints, before_xids = _import_twice(pg_engine, day1, day2, path_bulk)
    assert (before_savepoints, before_xids) == (RECORDS, RECORDS - 1)
    assert before_counts == counts
    assert before == stored


@pytest.mark.parametrize("path_bulk", [True, False])
def test_a_failed_rollback_of_a_refused_group_stops_the_import_and_commits_nothing_of_its_chunk(
        engine, tmp_path: Path, monkeypatch, path_bulk: bool) -> None:
    """A group with a refused record whose ROLLBACK TO SAVEPOINT then fails: the import stops FAILED naming
    both errors (``BatchRollbackFailed``), nothing of the chunk committed — on SQLite as on PostgreSQL, where a
    failed statement does not end the transaction and halving would write the other records on top of the
    refused one's writes."""
    import sqlite3

    from sqlalchemy import func, select

    from aggregator.store.db import session_factory
    from aggregator.store.models.warehouse import WarehouseShipmentRow

    day1, day2 = _files(tmp_path, bad=False)
    _clear(engine)
    import_file(engine, "outbound", day1, owner_id="LUMINA", bulk=path_bulk)

    def refused(session, agg):
        if dict(agg.values).get("wms_outbound_no") == f"OB-{BAD}":
            raise sqlite3.OperationalError("refused for the test")
        return write_aggregate(session, agg)

    def rollback_fails(connection, name, context):
        raise sqlite3.OperationalError("the rollback fails for the test")

    monkeypatch.setattr(bulk, "write_aggregate", refused)
    event.listen(engine, "rollback_savepoint", rollback_fails)
    try:
        summary = import_file(engine, "outbound", day2, owner_id="LUMINA", bulk=path_bulk)
    finally:
        event.remove(engine, "rollback_savepoint", rollback_fails)
    assert summary.status == "FAILED"
    assert summary.error.startswith("import stopped by BatchRollbackFailed: ")
    assert "the rollback fails for the test" in summary.error and "refused for the test" in summary.error
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)) == RECORDS
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)
                              .where(WarehouseShipmentRow.remark.like("%x"))) == 0
