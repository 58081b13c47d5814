"""PostgreSQL: a file whose chunks' COPY texts are built ahead (``bulk.CopyTexts``, while the chunk before is
stored) stores what the per-record path stores, whatever its records: keys met before in the file (not
contiguous), records in several rows, repeated rows, records longer than a chunk, texts holding what COPY's
text format escapes or characters beyond the BMP; and a second file imported over the first (keys stored,
first, last or in between, with the same or other content)."""
from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest import import_file
from tests.ingest.test_import_hostile import _row, _write
from tests.ingest.test_import_paths import _clear, _snapshot

REMARK = st.text(st.sampled_from(["a", "\\", "N", "\U0001F600", "é", '"', ",", " "]), max_size=6)
#: (record number, SKU, remark) a row each; records of 1-7 rows
RECORDS = st.lists(st.tuples(st.integers(0, 11), st.lists(st.tuples(st.sampled_from(["LMN-EB-BT53-BLK", "SKU-2", "SKU-3"]),
                                                                   REMARK), min_size=1, max_size=7)),
                   min_size=1, max_size=14)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(first=RECORDS, second=st.none() | RECORDS)
def test_texts_built_ahead_store_what_the_per_record_path_stores(pg_engine, tmp_path_factory, first, second) -> None:
    folder = tmp_path_factory.mktemp("ahead")
    paths = [_write(folder / f"outbound{i}.csv", [_row(f"OC{number:03d}", remark, sku) for number, lines in records
                                                   for sku, remark in lines])
             for i, records in enumerate([first, second]) if records is not None]
    found = [_imported(pg_engine, "outbound", paths, bulk) for bulk in (True, False)]
    assert found[0] == found[1]


STOCK = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "stock_lots_snapshot.csv"
#: one instant written at three offsets, and another
INSTANTS = ["2026-03-16T23:59:59+08:00", "2026-03-16T15:59:59+00:00", "2026-03-16T12:59:59-03:00",
            "2026-03-17T23:59:59+08:00"]
SNAPSHOTS = st.lists(st.tuples(st.sampled_from(INSTANTS), st.integers(0, 5), st.integers(0, 99),
                               st.sampled_from(["29.04", "1E+2", "-0", "0.000"]), REMARK), min_size=1, max_size=16)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(first=SNAPSHOTS, second=st.none() | SNAPSHOTS)
def test_stock_texts_built_ahead_store_what_the_per_record_path_stores(pg_engine, tmp_path_factory, first,
                                                                        second) -> None:
    """Stock snapshots (no child rows: no ids drawn, the id column's default draws them as the COPY stores):
    one instant at other offsets (keys that collide once read), costs with exponents and -0."""
    header, template = STOCK.read_text(encoding="utf-8").splitlines()[:2]
    folder = tmp_path_factory.mktemp("stock")
    paths = []
    for i, snapshots in enumerate([first, second]):
        if snapshots is None:
            continue
        rows = []
        for at, lot, qty, cost, note in snapshots:
            cells = next(csv.reader([template]))
            cells[0], cells[1], cells[17], cells[23], cells[24] = at, f"LOT-{lot}", str(qty), cost, note
            rows.append(cells)
        path = folder / f"stock{i}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header.split(","))
            writer.writerows(rows)
        paths.append(path)
    found = [_imported(pg_engine, "stock", paths, bulk) for bulk in (True, False)]
    assert found[0] == found[1]


def _imported(pg_engine, kind: str, paths: list[Path], bulk: bool) -> tuple[list[tuple], object]:
    """``paths`` imported in turn into an emptied database (chunks of 4 rows, the bulk or the per-record path):
    each import's counts, then every stored row."""
    _clear(pg_engine)
    summaries = []
    for path in paths:
        summary = import_file(pg_engine, kind, path, owner_id="LUMINA", chunk_rows=4, bulk=bulk)
        summaries.append((summary.status, summary.rows_read, summary.rows_rejected, summary.created,
                          summary.updated, summary.unchanged, dict(summary.problem_counts)))
    return summaries, _snapshot(pg_engine)


def test_a_file_imported_again_has_no_texts_built_ahead_once_its_records_are_found_stored(pg_engine, tmp_path,
                                                                                         monkeypatch) -> None:
    """The next day's cumulative file: once a chunk's records were found stored with the same content, the next
    chunks' COPY texts are not built ahead (the store builds them for the records it does insert: the day's new
    one here); the first import builds them ahead for every chunk the store is busy beside. Both store what the
    per-record path stores."""
    from aggregator.ingest import columnar_import

    built: list[int] = []
    texts_of = columnar_import.CopyTexts.of

    def counting(heads, parts):
        built.append(len(heads[0]))
        return texts_of(heads, parts)

    monkeypatch.setattr(columnar_import.CopyTexts, "of", staticmethod(counting))
    rows = [_row(f"OC{number:03d}") for number in range(40)]
    day1 = _write(tmp_path / "day1.csv", rows)
    day2 = _write(tmp_path / "day2.csv", [*rows, _row("OC999")])
    _clear(pg_engine)
    first = import_file(pg_engine, "outbound", day1, owner_id="LUMINA", chunk_rows=4)
    assert first.created == 40 and len(built) >= 5  # (chunks of new records: built ahead)
    built.clear()
    again = import_file(pg_engine, "outbound", day2, owner_id="LUMINA", chunk_rows=4)
    assert (again.created, again.unchanged) == (1, 40)
    assert len(built) <= 1  # (at most the chunk mapped while the first one found stored was being stored)
    stored = _snapshot(pg_engine)
    assert _imported(pg_engine, "outbound", [day1, day2], bulk=False)[1] == stored
