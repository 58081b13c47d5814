"""The reject of a receipt in parts whose last step failed (``TabularRun._reject_parts``) counts each row
once, says when another import took the record over, and the temporary file of its lines' runs is closed
however the import ends (review of the parts' reject). Both paths, SQLite and PostgreSQL.

No real input makes every accepted row of a part be rejected on its own (a part's first row holding a line
number is always kept; only rows of later parts repeat an earlier part's line number), so that case is
provoked by monkeypatching the kind's ``map_rows`` to report an error at every accepted row of ASN-1 (such
a part is not written: a record whose parts wrote something always has a stored row for its reject to name);
the takeover is the real one (a second import run between two parts, as in
``test_import_long_records_interrupted``); the aborts are provoked by monkeypatching ``part_of_record`` and
the reject's write.
"""
from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryFile

import pytest

from aggregator.ingest import import_file, tabular_import
from platform_adapters.canonical.common import Problem, Severity
from platform_adapters.tabular.rows import GroupResult
from platform_adapters.warehouse import inbound
from tests.ingest.test_import_long_records import _receipt
from tests.ingest.test_import_long_records_cleanup import refuse_record_rejects
from tests.ingest.test_import_long_records_end_failed import _no_record_for
from tests.ingest.test_import_paths import _clear, _snapshot
from tests.ingest.test_import_scattered import INBOUND_HEADER, _write


@pytest.mark.parametrize("bulk", [True, False])
def test_a_record_whose_rows_are_each_rejected_is_not_written_and_counts_each_row_once(engine, tmp_path: Path,
                                                                                      monkeypatch, bulk: bool) -> None:
    """Every accepted row of ASN-1 (seven, in parts of three) is rejected on its own: none of its parts is
    written (nothing of ASN-1 stored, no ``store_failed`` reject of the record), and the seven rows count once."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    _clear(engine)
    real = inbound.map_rows

    def mapping(rows, options, line_offset=0):
        result = real(rows, options, line_offset)
        if result.record is None or result.record.asn_no != "ASN-1":
            return result
        return GroupResult(result.record, result.problems + tuple(
            Problem("invented", "rejected on its own", Severity.ERROR, location=f"day1.csv:{line}")
            for line in result.accepted_lines), result.accepted_lines)

    monkeypatch.setattr(inbound, "map_rows", mapping)
    summary = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (summary.status, summary.created, summary.rows_read, summary.rows_rejected) == (
        "COMPLETED_WITH_REJECTS", 1, 8, 7)
    assert dict(summary.problem_counts) == {"invented": 7}
    stored = _snapshot(engine)
    assert [dict(row)["asn_no"] for row in stored["warehouse_receipts"]] == ["ASN-2"]
    assert len(stored["warehouse_receipt_lines"]) == 1
    assert sorted(dict(row)["line"] for row in stored["rejects"]) == list(range(2, 9))


@pytest.mark.parametrize("bulk", [True, False])
def test_a_taken_over_record_whose_header_does_not_map_says_so(engine, tmp_path: Path, monkeypatch,
                                                                 bulk: bool) -> None:
    """File A's ASN-1 (lines 3–9) is taken over by file B's import once its first part is in, and its header
    does not map when its last part is in: its reject says both (B's ASN-1 is what is stored)."""
    file_a = _write(tmp_path / "a.csv", INBOUND_HEADER, [*_receipt(0, 1), *_receipt(1, 7)])
    file_b = _write(tmp_path / "b.csv", INBOUND_HEADER, _receipt(1, 7, received={2: 3}))
    _clear(engine)
    _no_record_for(monkeypatch, [3])
    runs = []

    def other(rows: int, total: int) -> None:
        if rows > 4 and not runs:
            runs.append(import_file(engine, "inbound", file_b, owner_id="LUMINA", chunk_rows=3, bulk=bulk))

    a = import_file(engine, "inbound", file_a, owner_id="LUMINA", chunk_rows=3, bulk=bulk, progress=other)
    assert [b.status for b in runs] == ["COMPLETED"]
    assert (a.status, a.created) == ("COMPLETED_WITH_REJECTS", 1)
    [record] = [dict(row)["reason"] for row in _snapshot(engine)["rejects"]
                if "header could not be mapped" in dict(row)["reason"]]
    assert "ASN-1" in record and "taken over by another import" in record


def _alternating(tmp_path: Path) -> Path:
    """ASN-1's seven rows alternate with one-line receipts: seven runs of its lines, more than a part of
    three holds (written out to a temporary file)."""
    return _write(tmp_path / "day1.csv", INBOUND_HEADER,
                  [row for n, line in enumerate(_receipt(1, 7), start=2) for row in (line, *_receipt(n, 1))])


def _temporary_files(monkeypatch) -> list:
    """Every temporary file ``tabular_import`` opens, noted."""
    files = []

    def noted():
        files.append(TemporaryFile())
        return files[-1]

    monkeypatch.setattr(tabular_import, "TemporaryFile", noted)
    return files


@pytest.mark.parametrize("bulk", [True, False])
def test_the_runs_file_is_closed_when_the_reject_cannot_be_written(engine, tmp_path: Path, monkeypatch,
                                                                    bulk: bool) -> None:
    """ASN-1's header does not map and the database refuses its reject: the import fails, and the temporary
    file of its lines' runs is closed."""
    day1 = _alternating(tmp_path)
    _clear(engine)
    files = _temporary_files(monkeypatch)
    _no_record_for(monkeypatch, [2])
    refuse_record_rejects(monkeypatch)
    failed = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert failed.status == "FAILED" and "no_such_column" in failed.error
    assert files and all(f.closed for f in files)


@pytest.mark.parametrize("bulk", [True, False])
def test_the_runs_file_is_closed_when_the_import_stops_mid_record(engine, tmp_path: Path, monkeypatch,
                                                                   bulk: bool) -> None:
    """The import stops while ASN-1's third part is written (its runs already written out): the import
    fails, and the temporary file of its lines' runs is closed."""
    day1 = _alternating(tmp_path)
    _clear(engine)
    files = _temporary_files(monkeypatch)
    real, calls = tabular_import.part_of_record, []

    def stopping(session, parts, agg):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("stopped")
        return real(session, parts, agg)

    monkeypatch.setattr(tabular_import, "part_of_record", stopping)
    failed = import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert failed.status == "FAILED" and "stopped" in failed.error
    assert len(calls) == 3 and files and all(f.closed for f in files)
