"""A record longer than an import chunk (written in parts) is judged too long exactly as in one chunk: a value
longer than its column in a HEADER-ONLY field (an outbound's ``outbound_type``) counts only where the record's
header takes it, i.e. its first value in the record's rows (``rows.header_value``). On a later row it is not
stored anywhere, so it rejects nothing (before, the part holding it was rejected: rows 4–6 ``too_long`` and
only 8 lines stored with chunks of three, 11 lines and no reject in one chunk); where it is the header's value
(the first row, or the first row holding the field, in any part) the whole record is rejected, its parts
written before undone. Chunks of 2, 3 and 5 rows store the same records, lines and audit trail as one chunk,
reject the same lines and count the same. Both paths, SQLite and PostgreSQL.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from aggregator.ingest import import_file
from tests.ingest.test_import_long_records import WHOLE, _counts, _shipment
from tests.ingest.test_import_paths import OUTBOUND_HEADER, _clear, _snapshot
from tests.ingest.test_import_scattered import _write

LONG_TYPE = "X" * 20  # an outbound_type: the column holds 16
REASON = "20 characters: the column warehouse_shipments.outbound_type holds 16; the record is not stored"


def _file(tmp_path: Path, types: dict[int, str]) -> Path:
    """OB-1 (2 rows), OB-2 (8 rows, file lines 4–11; ``types``: the outbound_type of its row n, JYCK
    elsewhere), OB-3 (1 row)."""
    long = [",".join([cells[0], types.get(n, cells[1]), *cells[2:]])
            for n, cells in enumerate((row.split(",") for row in _shipment(2, 8)), start=1)]
    return _write(tmp_path / "outbound.csv", OUTBOUND_HEADER, [*_shipment(1, 2), *long, *_shipment(3, 1)])


def _import(engine, path: Path, chunk_rows: int, bulk: bool) -> tuple[tuple, dict]:
    _clear(engine)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=chunk_rows, bulk=bulk)
    return _counts(summary), _snapshot(engine)


def _covered(rejects: list) -> list[tuple]:
    """(line, code, column) for each file line a reject names: a reject of a record's parts written before it
    was rejected names a run of lines ("over lines 4–6 of the file", "(here lines 4–5)")."""
    found = []
    for reject in map(dict, rejects):
        run = re.search(r"\(here lines? (\d+)(?:–(\d+))?\)", reject["reason"]) or \
            re.search(r" rows over lines? (\d+)(?:–(\d+))? of the file", reject["reason"])
        first, last = (int(run[1]), int(run[2] or run[1])) if run else (reject["line"], reject["line"])
        found.extend((line, reject["code"], reject["column"]) for line in range(first, last + 1))
    return sorted(found)


def test_an_overlong_header_only_value_on_a_later_row_rejects_nothing(engine, tmp_path: Path) -> None:
    """The reviewer's file: OB-2's row 4 holds an outbound_type of 20 characters; its header takes row 1's
    (JYCK). With chunks of 3 as in one chunk: COMPLETED, 11 lines, no reject, the same rows and audit."""
    path = _file(tmp_path, {4: LONG_TYPE})
    for bulk in (True, False):
        counts, stored = _import(engine, path, WHOLE, bulk)
        assert counts == ("COMPLETED", 11, 0, 3, 0, 0, {})
        assert len(stored["warehouse_shipment_lines"]) == 11 and stored["rejects"] == []
        assert _import(engine, path, 3, bulk) == (counts, stored), f"bulk={bulk}"


def test_an_overlong_header_value_on_the_first_row_rejects_the_record_in_parts_too(engine, tmp_path: Path) -> None:
    """OB-2's row 1 holds it: the header's value. In one chunk each of OB-2's eight rows is rejected
    ``too_long`` naming the field, OB-1 and OB-3 stored; in parts of 3 the same (before: rows 1–3 rejected and
    OB-2 stored from rows 4–8, its header's outbound_type then row 4's JYCK)."""
    path = _file(tmp_path, {1: LONG_TYPE})
    for bulk in (True, False):
        counts, stored = _import(engine, path, WHOLE, bulk)
        assert counts == ("COMPLETED_WITH_REJECTS", 11, 8, 2, 0, 0, {"too_long": 8})
        assert {dict(row)["wms_outbound_no"] for row in stored["warehouse_shipments"]} == {"OB-1", "OB-3"}
        assert sorted((dict(r)["line"], dict(r)["column"], dict(r)["value"], dict(r)["reason"])
                      for r in stored["rejects"]) == [(line, "outbound_type", LONG_TYPE, REASON) for line in range(4, 12)]
        assert _import(engine, path, 3, bulk) == (counts, stored), f"bulk={bulk}"


#: OB-2's outbound_type by row (JYCK where not given, "" blank): the header's value is its first non-blank one
CASES = {
    "later row": {4: LONG_TYPE},
    "first row": {1: LONG_TYPE},
    "last row": {8: LONG_TYPE},
    "several later rows": {2: LONG_TYPE, 5: LONG_TYPE, 7: LONG_TYPE},
    "first held in a later part": {**{n: "" for n in range(1, 6)}, 6: LONG_TYPE},
    "first held on row 4, longer ones after": {1: "", 2: "", 3: "", 5: LONG_TYPE, 8: LONG_TYPE},
    "first held long on row 4, short after": {1: "", 2: "", 3: "", 4: LONG_TYPE, 5: "SHORT"},
    "last row only": {**{n: "" for n in range(1, 8)}, 8: LONG_TYPE},
}


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("case", list(CASES))
def test_the_outcome_does_not_depend_on_the_chunk_size(engine, tmp_path: Path, case: str, bulk: bool) -> None:
    """Over-long header-only values on various rows of an eight-row outbound, blank ones before them or not:
    chunks of 2, 3 and 5 rows give the counts, records, lines and audit trail of one chunk and reject the same
    lines with the same code and field (the rows of parts written before the record was found too long in one
    reject per run of lines)."""
    path = _file(tmp_path, CASES[case])
    counts, stored = _import(engine, path, WHOLE, bulk)
    for chunk_rows in (2, 3, 5):
        part_counts, part_stored = _import(engine, path, chunk_rows, bulk)
        assert part_counts == counts, f"chunk_rows={chunk_rows}"
        for table in stored:
            if table != "rejects":
                assert part_stored[table] == stored[table], f"chunk_rows={chunk_rows}: {table}"
        assert _covered(part_stored["rejects"]) == _covered(stored["rejects"]), f"chunk_rows={chunk_rows}"


@pytest.mark.parametrize("bulk", [True, False])
def test_a_stored_record_whose_header_a_later_part_makes_too_long_is_left_as_it_was(engine, tmp_path: Path,
                                                                                      bulk: bool) -> None:
    """OB-2 stored from a clean file, then a file whose OB-2 holds its outbound_type first on row 6, too long:
    in one chunk OB-2 is rejected and left as stored; in chunks of 2, 3 and 5 the same (the lines its earlier
    parts wrote dropped, its header and lines as before, no update entry)."""
    (tmp_path / "clean").mkdir()
    clean, day2 = _file(tmp_path / "clean", {}), _file(tmp_path, CASES["first held in a later part"])

    def days(chunk_rows: int) -> tuple[tuple, dict]:
        _clear(engine)
        import_file(engine, "outbound", clean, owner_id="LUMINA", chunk_rows=WHOLE, bulk=bulk)
        summary = import_file(engine, "outbound", day2, owner_id="LUMINA", chunk_rows=chunk_rows, bulk=bulk)
        return _counts(summary), _snapshot(engine)

    counts, stored = days(WHOLE)
    assert counts == ("COMPLETED_WITH_REJECTS", 11, 8, 0, 0, 2, {"too_long": 8})
    for chunk_rows in (2, 3, 5):
        part_counts, part_stored = days(chunk_rows)
        assert part_counts == counts, f"chunk_rows={chunk_rows}"
        for table in stored:
            if table != "rejects":
                assert part_stored[table] == stored[table], f"chunk_rows={chunk_rows}: {table}"
        assert _covered(part_stored["rejects"]) == _covered(stored["rejects"]), f"chunk_rows={chunk_rows}"


LONG_SKU = "SKU-" + "X" * 130  # a line's sku: the column holds 128


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("rows", [(1,), (4,), (8,), (2, 7)])
def test_a_line_value_too_long_rejects_the_record_whatever_the_chunk_size(engine, tmp_path: Path,
                                                                          rows: tuple, bulk: bool) -> None:
    """A line's sku longer than its column on OB-2's row(s) ``rows``: in one chunk OB-2 is rejected whole,
    each of its lines naming the field; in chunks of 2, 3 and 5 the same (before: only the part holding it
    was rejected and OB-2 stored from its other rows, so what was stored depended on the chunk size)."""
    cells = [row.split(",") for row in _shipment(2, 8)]
    for n in rows:
        cells[n - 1][7] = LONG_SKU
    path = _write(tmp_path / "outbound.csv", OUTBOUND_HEADER,
                  [*_shipment(1, 2), *(",".join(row) for row in cells), *_shipment(3, 1)])
    counts, stored = _import(engine, path, WHOLE, bulk)
    assert counts == ("COMPLETED_WITH_REJECTS", 11, 8, 2, 0, 0, {"too_long": 8 * len(rows)})
    assert {dict(row)["wms_outbound_no"] for row in stored["warehouse_shipments"]} == {"OB-1", "OB-3"}
    for chunk_rows in (2, 3, 5):
        part_counts, part_stored = _import(engine, path, chunk_rows, bulk)
        assert part_counts[:6] == counts[:6], f"chunk_rows={chunk_rows}"
        for table in stored:
            if table != "rejects":
                assert part_stored[table] == stored[table], f"chunk_rows={chunk_rows}: {table}"
        assert {line for line, _, _ in _covered(part_stored["rejects"])} == set(range(4, 12))
        assert {column for _, _, column in _covered(part_stored["rejects"])} == {"sku"}

