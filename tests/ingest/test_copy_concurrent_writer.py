"""PostgreSQL: a batch COPied straight into its table (under the savepoint the batch sets itself, its audit entry,
probe and ids sent in one pipeline) whose COPY waits on another connection's uncommitted write of one of its keys,
that connection then committing, stores what it stores when that write was committed before the import began:
the COPY's unique violation is rolled back to just before it and the batch written the staged way, the record
the other connection wrote going the per-record way; nothing lost, the same audit trail. A snapshot table (ids
left to the column's default) and an outbound table (ids drawn for its lines)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from aggregator.ingest import bulk, import_file
from tests.ingest.test_import_paths import OUTBOUND_HEADER, SAMPLES, _clear, _outbound_rows, _snapshot


def _stock_rows() -> tuple[str, list[str]]:
    header, *rows = (SAMPLES / "stock_lots_snapshot.csv").read_text(encoding="utf-8").splitlines()
    return header, [",".join([row.split(",")[0], f"{row.split(',')[1]}-{n}", *row.split(",")[2:]])
                    for n in range(6) for row in rows]


def _files(tmp_path: Path, kind: str) -> tuple[Path, Path, str, list[str]]:
    """The file, a file of its middle record with other content, the table and the tables of its lines."""
    if kind == "stock":
        header, rows = _stock_rows()
        middle = rows[len(rows) // 2].split(",")
        middle[17] = str(int(middle[17]) + 1)  # (qty_available)
        changed, table, children = [",".join(middle)], "stock_snapshots", []
    else:
        header, rows = OUTBOUND_HEADER, _outbound_rows(range(1, 31))
        changed = [row.replace(",SHIPPED,", ",DELIVERED,") for row in _outbound_rows(range(15, 16))]
        table, children = "warehouse_shipments", ["warehouse_shipment_lines"]
    full, one = tmp_path / f"{kind}.csv", tmp_path / f"{kind}_one.csv"
    full.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    one.write_text("\n".join([header, *changed]) + "\n", encoding="utf-8")
    return full, one, table, children


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar())


@pytest.mark.parametrize("kind", ["stock", "outbound"])
def test_a_key_another_connection_commits_while_the_copy_waits_is_written_as_if_stored_before(
        pg_engine, tmp_path: Path, kind: str, monkeypatch) -> None:
    full, one, table, children = _files(tmp_path, kind)
    staged: list = []
    stage_columns = bulk._stage_columns
    monkeypatch.setattr(bulk, "_stage_columns", lambda *a: staged.append(a) or stage_columns(*a))
    _clear(pg_engine)
    import_file(pg_engine, kind, one, owner_id="LUMINA")
    expected = import_file(pg_engine, kind, full, owner_id="LUMINA")
    reference = _snapshot(pg_engine)
    assert (expected.status, expected.updated) == ("COMPLETED", 1)

    _clear(pg_engine)
    import_file(pg_engine, kind, one, owner_id="LUMINA")
    writer = pg_engine.connect()
    try:
        with writer.begin():  # the record rewritten as it is, uncommitted: the import's COPY of its key waits
            for name in (table, *children):
                writer.execute(text(f"CREATE TEMP TABLE kept_{name} AS SELECT * FROM {name}"))
            for name in (*children, table):
                writer.execute(text(f"DELETE FROM {name}"))
            for name in (table, *children):
                writer.execute(text(f"INSERT INTO {name} SELECT * FROM kept_{name}"))
            done: dict = {}
            importer = threading.Thread(target=lambda: done.setdefault(
                "summary", import_file(pg_engine, kind, full, owner_id="LUMINA")))
            importer.start()
            deadline = time.monotonic() + 300
            while not _waiting_on_a_lock(pg_engine):
                assert importer.is_alive() and time.monotonic() < deadline, "the import never waited on the write"
                time.sleep(0.05)
            staged.clear()
        importer.join(300)
    finally:
        writer.close()
    summary = done["summary"]
    assert staged  # (the COPY met the key the other connection committed: the batch went the staged way)
    assert (summary.status, summary.rows_read, summary.rows_rejected, summary.created, summary.updated,
            summary.unchanged) == (expected.status, expected.rows_read, expected.rows_rejected, expected.created,
                                   expected.updated, expected.unchanged)
    assert _snapshot(pg_engine) == reference
