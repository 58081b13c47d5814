"""Hostile and damaged files, on SQLite and PostgreSQL: control characters rejected per row with the
reason (PostgreSQL cannot store NUL), an import that fails ends FAILED (never RUNNING), a file of one
line repeated is counted in bounded memory, and a fuzzed file never crashes the import."""
from __future__ import annotations

import csv
import io
import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import aggregator.ingest.tabular_import as tabular_import
from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.logistics import ImportFileRow, ImportRejectRow, TransportDocumentRow
from aggregator.store.models.warehouse import WarehouseShipmentLineRow
from tests.conftest import SAMPLES
from tests.ingest.conftest import INGEST_FIXTURES

TEMPLATE = INGEST_FIXTURES / "broken" / "outbound_duplicate_row.csv"
HEADER, FIRST = TEMPLATE.read_text(encoding="utf-8").splitlines()[:2]


def _row(outbound_no: str, remark: str = "", sku: str = "LMN-EB-BT53-BLK", ref: str = "") -> list[str]:
    cells = next(csv.reader([FIRST]))
    cells[0], cells[8], cells[-1] = outbound_no, sku, remark
    cells[6] = ref
    return cells


def _write(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def _rejects(engine) -> list[ImportRejectRow]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(ImportRejectRow).order_by(ImportRejectRow.line)))


def _count(engine, model) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_control_characters_reject_their_rows_with_the_reason(engine, tmp_path) -> None:
    path = _write(tmp_path / "outbound.csv", [
        _row("OC1", "fine"), _row("OC2", "bad\x00byte"), _row("OC3", "escape \x1b[31m red"),
        _row("OC4", "tab\tand\nnewline are text"), _row("OC5\x7f", "")])
    summary = import_file(engine, "outbound", path, owner_id="LUMINA")
    assert summary.status == "COMPLETED_WITH_REJECTS" and summary.rows_rejected == 3
    assert _count(engine, WarehouseShipmentLineRow) == 2  # OC1 and OC4
    found = {(r.line, r.column, r.code, r.value) for r in _rejects(engine)}
    assert found == {(3, "remark", "control_character", "bad\\x00byte"),
                     (4, "remark", "control_character", "escape \\x1b[31m red"),
                     (7, "wms_outbound_no", "control_character", "OC5\\x7f")}
    nul = next(r for r in _rejects(engine) if r.line == 3)
    assert "U+0000 (NUL)" in nul.reason and nul.raw_row["remark"] == "bad\\x00byte"


def test_an_import_that_fails_midway_ends_failed_and_runs_again(engine, tmp_path, monkeypatch) -> None:
    path = _write(tmp_path / "outbound.csv", [_row(f"OC{i}") for i in range(30)])
    real_open = tabular_import.open_table

    def failing_disk(*args, **kwargs):
        reader = real_open(*args, **kwargs)

        def broken(chunks):
            def broken_chunks():
                iterator = chunks()
                yield next(iterator)
                raise OSError(5, "Input/output error")  # the file's disk went away after the first chunk
            return broken_chunks

        # what the per-row path reads through, and the columnar path (its plain-CSV reader included)
        reader.row_chunks = broken(reader.row_chunks)
        reader.column_chunks = broken(reader.column_chunks)
        return reader

    monkeypatch.setattr(tabular_import, "open_table", failing_disk)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=10)
    assert summary.status == "FAILED" and "OSError" in summary.error and "Input/output error" in summary.error
    with session_factory(engine)() as session:
        row = session.scalars(select(ImportFileRow)).one()
        assert (row.status, row.finished_at is not None) == ("FAILED", True)
    monkeypatch.setattr(tabular_import, "open_table", real_open)
    again = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=10)
    assert again.status == "COMPLETED" and again.import_id == summary.import_id
    assert _count(engine, WarehouseShipmentLineRow) == 30


def test_one_line_repeated_is_counted_in_bounded_memory(sqlite_engine, tmp_path) -> None:
    repeats = 60_000
    line = ",".join(_row("OC1", "same line again")) + "\n"
    path = tmp_path / "degenerate.csv"
    path.write_text(HEADER + "\n" + line * (repeats + 1), encoding="utf-8")
    tracemalloc.start()
    try:
        summary = import_file(sqlite_engine, "outbound", path, owner_id="LUMINA", chunk_rows=1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (summary.rows_read, summary.rows_rejected, summary.status) == (repeats + 1, repeats,
                                                                          "COMPLETED_WITH_REJECTS")
    assert summary.problem_counts["duplicate_row"] == repeats
    assert _count(sqlite_engine, WarehouseShipmentLineRow) == 1
    reasons = [r.reason for r in _rejects(sqlite_engine)]
    assert len(reasons) <= repeats // 1000 + 1 and reasons[0].endswith("are duplicates of line 2")
    assert peak < path.stat().st_size  # the file (~15 MB read as text) is never held whole


def test_a_record_longer_than_a_chunk_is_stored_in_parts(engine, tmp_path) -> None:
    rows = [_row("OC1", f"unit {i}", ref=f"REF-{i}") for i in range(250)]
    summary = import_file(engine, "outbound", _write(tmp_path / "long.csv", rows), owner_id="LUMINA", chunk_rows=100)
    assert summary.status == "COMPLETED" and summary.warnings == 0, summary.sample_problems
    assert _count(engine, WarehouseShipmentLineRow) == 250


def test_a_dcsa_document_with_a_nul_is_rejected_and_the_others_stored(engine, tmp_path) -> None:
    payload = json.loads((SAMPLES / "ebl_dcsa_v3.json").read_text(encoding="utf-8"))
    documents = payload if isinstance(payload, list) else [payload]
    damaged = json.loads(json.dumps(documents[0]))
    reference = "transportDocumentReference"
    holder = damaged.get("transportDocument", damaged)
    holder[reference] = holder[reference] + "X"
    holder["shippingInstructionsReference"] = "SI\u0000123"
    path = tmp_path / "ebl.json"
    path.write_text(json.dumps(documents + [damaged]), encoding="utf-8")
    summary = import_file(engine, "dcsa-ebl", path, owner_id="LUMINA")
    assert summary.status == "COMPLETED_WITH_REJECTS" and summary.rows_rejected == 1
    (reject,) = [r for r in _rejects(engine) if r.code == "control_character"]
    assert reject.value == "SI\\x00123" and "shippingInstructionsReference" in reject.column
    assert _count(engine, TransportDocumentRow) >= len(documents)


CELL = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=24), min_size=1, max_size=6))
def test_fuzzed_rows_never_crash_an_import(engine, tmp_path_factory, rows) -> None:
    path = _write(tmp_path_factory.mktemp("fuzz") / "outbound.csv", rows)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA")
    assert summary.status in ("COMPLETED", "COMPLETED_WITH_REJECTS", "FAILED"), summary
    if summary.status == "FAILED":  # only a file-level problem (e.g. a CSV syntax error) may fail it
        assert "import stopped by" not in (summary.error or ""), summary.error
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(ImportFileRow)
                              .where(ImportFileRow.status == "RUNNING")) == 0


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=st.one_of(st.binary(max_size=400),
                     st.lists(st.sampled_from([HEADER.encode(), FIRST.encode(), b"\x00", b"\"", b",", b"\r\n", b"\n",
                                               b"=HYPERLINK(\"x\")", "件数".encode("gbk"), b"\xff\xfe", b"[{", b"}]",
                                               b'"eventType": "EQUIPMENT"']), max_size=40).map(b"".join)),
       kind=st.sampled_from(["outbound", "stock", "dcsa-events", "dcsa-ebl"]))
def test_fuzzed_bytes_never_crash_an_import(sqlite_engine, tmp_path_factory, raw: bytes, kind: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / ("file.json" if kind.startswith("dcsa") else "file.csv")
    path.write_bytes(raw)
    summary = import_file(sqlite_engine, kind, path, owner_id="LUMINA")
    assert summary.status in ("COMPLETED", "COMPLETED_WITH_REJECTS", "FAILED")
    assert "import stopped by" not in (summary.error or ""), summary.error  # only file-level refusals fail it
    with session_factory(sqlite_engine)() as session:
        assert session.scalar(select(func.count()).select_from(ImportFileRow)
                              .where(ImportFileRow.status == "RUNNING")) == 0


@pytest.mark.parametrize("kind", ["outbound", "dcsa-events"])
def test_a_file_ending_inside_a_character_is_refused_with_where(sqlite_engine, tmp_path, kind: str) -> None:
    path = tmp_path / ("cut.json" if kind.startswith("dcsa") else "cut.csv")
    path.write_bytes((HEADER + "\n").encode() + "件".encode()[:2])  # a UTF-8 character cut short
    summary = import_file(sqlite_engine, kind, path, owner_id="LUMINA")
    assert summary.status == "FAILED" and "the file ends inside a character" in summary.error
    assert f"offset {len(HEADER) + 1}" in summary.error
