"""A receipt or outbound longer than an import chunk (written in parts) is stored, hashed, counted and
audited exactly as the same record fitting in one chunk: imported new, it is one ``create`` (its header
from all its rows: a header field first met in a later part, an outbound's weight summed over every
part); re-imported unchanged from another file (a blank line added, other records before it), it is
UNCHANGED with no write and no audit entry; a line's quantity changed, a line dropped or added in any
part, or a header field changed, it is one update whose stored lines and audit entry are those of the
record in one chunk. On both paths and both databases, whether the record is the file's last (carried
across chunks) or spread over the file (``ingest/scattered.py``).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models import AuditEntry
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentRow
from platform_adapters.tabular.columnar import RawHashParts, raw_hash_of_texts
from tests.ingest.test_import_paths import OUTBOUND_HEADER, _clear, _snapshot
from tests.ingest.test_import_scattered import INBOUND_HEADER, _write

WHOLE = 10_000  # a chunk every record of these files fits in


def _receipt(n: int, lines: int, first_at: int = 1, received: dict[int, int] | None = None,
             at: str = "2026-03-03T16:00:00+08:00") -> list[str]:
    """Receipt ``ASN-n``: its WMS number only from line ``first_at`` on (a header field a later part
    brings), its status only on odd lines; ``received``: quantities other than the planned ones."""
    received = received or {}
    return [f"ASN-{n},{'IC' + str(n) if ln >= first_at else ''},WH1,{'FULFILLED' if ln % 2 else ''},,{at},{ln},"
            f"SKU-{(n * 7 + ln) % 11},{10 * ln},{received.get(ln, 10 * ln)},r{n}-{ln}"
            for ln in range(1, lines + 1)]


def _shipment(n: int, lines: int, qty: dict[int, int] | None = None, weight: dict[int, int] | None = None,
              remark: str = "") -> list[str]:
    """Outbound ``OB-n``: its status only on its first line, a weight on every line (summed in the header)."""
    qty, weight = qty or {}, weight or {}
    return [f"OB-{n},JYCK,{'SHIPPED' if ln == 1 else ''},SHOPEE,S1,O{n},{n}-{ln},SKU-{ln},{qty.get(ln, ln)},LOT-1,WH1,"
            f"2026-03-{1 + n % 28:02d}T08:00:00+08:00,,{weight.get(ln, 10 * ln)},r{n}{remark}"
            for ln in range(1, lines + 1)]


def _counts(summary) -> tuple:
    return (summary.status, summary.rows_read, summary.rows_rejected, summary.created, summary.updated,
            summary.unchanged, dict(summary.problem_counts))


def _days(engine, kind: str, files: list[Path], chunk_rows: int, bulk: bool) -> list[tuple[tuple, dict]]:
    """(counts, snapshot) after each of ``files`` imported in turn into the empty database."""
    _clear(engine)
    found = []
    for path in files:
        summary = import_file(engine, kind, path, owner_id="LUMINA", chunk_rows=chunk_rows, bulk=bulk)
        found.append((_counts(summary), _snapshot(engine)))
    return found


def _updates(engine, entity: str) -> list[dict]:
    with session_factory(engine)() as session:
        found = session.scalars(select(AuditEntry.changes).where(AuditEntry.entity == entity,
                                                                AuditEntry.action == "update")).all()
    return [json.loads(c) if isinstance(c, str) else c for c in found]


def _as_one_chunk(engine, kind: str, files: list[Path], chunk_rows: int, bulk: bool) -> list[tuple[tuple, dict]]:
    """Import ``files`` with chunks of ``chunk_rows`` and with one chunk: the same counts and stored rows
    (hashes, lines, rejects, audit trails) after each file; those of chunks of ``chunk_rows``."""
    whole = _days(engine, kind, files, WHOLE, bulk)
    parts = _days(engine, kind, files, chunk_rows, bulk)
    for day, ((counts, stored), (part_counts, part_stored)) in enumerate(zip(whole, parts), 1):
        assert part_counts == counts, f"day {day}"
        for table in stored:
            assert part_stored[table] == stored[table], f"day {day}: {table}"
    return parts


# -- the defect as found ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("chunk_rows", [2, 3])
def test_a_long_receipt_re_imported_unchanged_from_another_file_is_unchanged(engine, tmp_path: Path, bulk: bool,
                                                                            chunk_rows: int) -> None:
    """ASN-2 of seven lines in parts of ``chunk_rows``; the next day's file has ASN-0 before it and a blank
    line at its end: every receipt unchanged, no update entry, nothing stored differently."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 2), *_receipt(2, 7, first_at=5), *_receipt(3, 1)])
    day2 = _write(tmp_path / "day2.csv", INBOUND_HEADER,
                  [*_receipt(0, 1), *_receipt(1, 2), *_receipt(2, 7, first_at=5), *_receipt(3, 1), ""])
    (first, stored), (again, after) = _as_one_chunk(engine, "inbound", [day1, day2], chunk_rows, bulk)
    assert first[3:6] == (3, 0, 0) and again[3:6] == (1, 0, 3)
    assert _updates(engine, WarehouseReceiptRow.__tablename__) == []
    assert len(after["audit"]) == len(stored["audit"]) + 1  # (ASN-0's creation)
    header = dict(next(row for row in after["warehouse_receipts"] if ("asn_no", "ASN-2") in row))
    assert header["wms_receipt_no"] == "IC2"  # (first met on line 5, in a later part)


@pytest.mark.parametrize("bulk", [True, False])
def test_a_line_changed_in_a_later_part_is_one_update_naming_it(engine, tmp_path: Path, bulk: bool) -> None:
    """Line 6 of a seven-line receipt (its third part of three rows) received 55 instead of 60: one update
    entry naming that line gone and new, the lines stored as the next file has them."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, [*_receipt(1, 7), *_receipt(2, 1)])
    day2 = _write(tmp_path / "day2.csv", INBOUND_HEADER, [*_receipt(1, 7, received={6: 55}), *_receipt(2, 1)])
    (_, _), (again, _) = _as_one_chunk(engine, "inbound", [day1, day2], 3, bulk)
    assert again[3:6] == (0, 1, 1)
    [entry] = _updates(engine, WarehouseReceiptRow.__tablename__)
    [(table, (gone, new))] = entry.items()
    assert table == WarehouseReceiptLineRow.__tablename__
    assert [(r["line_no"], r["received_good_qty"]) for r in gone] == [(6, 60)]
    assert [(r["line_no"], r["received_good_qty"]) for r in new] == [(6, 55)]
    with session_factory(engine)() as session:
        lines = session.execute(select(WarehouseReceiptLineRow.line_no, WarehouseReceiptLineRow.received_good_qty)
                                .join(WarehouseReceiptRow, WarehouseReceiptRow.id == WarehouseReceiptLineRow.receipt_pk)
                                .where(WarehouseReceiptRow.asn_no == "ASN-1")
                                .order_by(WarehouseReceiptLineRow.line_no)).all()
    assert [tuple(line) for line in lines] == [(ln, 55 if ln == 6 else 10 * ln) for ln in range(1, 8)]


@pytest.mark.parametrize("bulk", [True, False])
def test_a_long_outbound_weighs_every_part_and_a_weight_changed_late_is_a_header_update(engine, tmp_path: Path,
                                                                                       bulk: bool) -> None:
    """An outbound of eight lines in parts of three, the last record of the file (carried across chunks):
    its weight is the sum over all eight lines; the next file weighs line 8 otherwise: one update naming
    the weight, no line rewritten."""
    day1 = _write(tmp_path / "day1.csv", OUTBOUND_HEADER, [*_shipment(1, 2), *_shipment(2, 8)])
    day2 = _write(tmp_path / "day2.csv", OUTBOUND_HEADER, [*_shipment(1, 2), *_shipment(2, 8, weight={8: 5})])
    (first, stored), (again, _) = _as_one_chunk(engine, "outbound", [day1, day2], 3, bulk)
    assert first[3:6] == (2, 0, 0) and again[3:6] == (0, 1, 1)
    header = dict(next(row for row in stored["warehouse_shipments"] if ("wms_outbound_no", "OB-2") in row))
    assert header["weight_g"] == 10 * sum(range(1, 9))
    [entry] = _updates(engine, WarehouseShipmentRow.__tablename__)
    assert entry == {"weight_g": [360, 285]}


# -- property: any change in any part, as in one chunk -------------------------------------------------------

_CHANGES = ["same", "moved", "qty", "drop", "add", "header"]


def _day2(kind: str, n: int, lines: int, change: str, at: int) -> list[str]:
    """The long record ``n`` of ``lines`` lines as the next file has it: ``change`` at its line ``at``."""
    if kind == "inbound":
        if change == "qty":
            return _receipt(n, lines, received={at: 1})
        if change == "header":
            return _receipt(n, lines, at="2026-03-04T16:00:00+08:00")
        rows = _receipt(n, lines + (change == "add"))
    else:
        if change == "qty":
            return _shipment(n, lines, qty={at: 99})
        if change == "header":
            return _shipment(n, lines, remark="x")
        rows = _shipment(n, lines + (change == "add"))
    if change == "drop":
        del rows[at - 1]
    return rows


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(["inbound", "outbound"]), lines=st.integers(3, 9), where=st.sampled_from(["first", "middle", "last"]),
       change=st.sampled_from(_CHANGES), at=st.integers(1, 9), chunk_rows=st.sampled_from([2, 3, 4]),
       spread=st.booleans(), bulk=st.booleans())
def test_a_long_record_changed_anywhere_is_stored_and_audited_as_in_one_chunk(
        engine, tmp_path_factory, kind: str, lines: int, where: str, change: str, at: int, chunk_rows: int,
        spread: bool, bulk: bool) -> None:
    """Day 1 and day 2 files (the long record changed or not) imported with small chunks store, count and
    audit what they do in one chunk; an unchanged record is UNCHANGED with no new audit entry."""
    tmp_path = tmp_path_factory.mktemp("long")
    at = min(at, lines)
    make = _receipt if kind == "inbound" else _shipment
    header = INBOUND_HEADER if kind == "inbound" else OUTBOUND_HEADER
    others = [make(1, 2), make(3, 1)]

    def file(name: str, long: list[str], before: list[list[str]]) -> Path:
        records = {"first": [long, *before], "middle": [before[0], long, *before[1:]], "last": [*before, long]}[where]
        rows = [row for record in records for row in record]
        if spread:  # (the long record's rows around another record's: spread over the file)
            other = make(4, 1)
            start = rows.index(long[0])
            rows[start + 1:start + 1] = other
        return _write(tmp_path / name, header, rows)

    day1 = file("day1.csv", make(2, lines), others)
    moved = [make(0, 1), *others] if change == "moved" else others
    day2 = file("day2.csv", _day2(kind, 2, lines, change, at), moved)
    (_, stored), (again, after) = _as_one_chunk(engine, kind, [day1, day2], chunk_rows, bulk)
    if change in ("same", "moved"):
        assert again[4] == 0
        assert len(after["audit"]) == len(stored["audit"]) + (change == "moved")
    else:
        assert again[4] == 1


@pytest.mark.parametrize("bulk", [True, False])
def test_an_older_long_record_is_stale_and_leaves_nothing_aside(engine, tmp_path: Path, bulk: bool) -> None:
    """The next file holds the long receipt with an older source time and another quantity: STALE as in one
    chunk, the stored lines kept, no line left under the parent id its new lines waited under."""
    def rows(updated: str, received: dict[int, int] | None = None) -> list[str]:
        return [f"{row},{updated}" for row in _receipt(1, 7, received=received)]

    header = INBOUND_HEADER + ",source_updated_at"
    day1 = _write(tmp_path / "day1.csv", header, rows("2026-03-05T10:00:00Z"))
    day2 = _write(tmp_path / "day2.csv", header, rows("2026-03-04T10:00:00Z", {3: 1}))
    (_, stored), (again, after) = _as_one_chunk(engine, "inbound", [day1, day2], 3, bulk)
    assert again[3:6] == (0, 0, 0) and after == stored
    with session_factory(engine)() as session:
        assert session.scalars(select(WarehouseReceiptLineRow.receipt_pk)
                               .where(WarehouseReceiptLineRow.receipt_pk < 0)).all() == []


@pytest.mark.parametrize("bulk", [True, False])
def test_lines_left_aside_by_an_import_stopped_half_way_are_dropped(engine, tmp_path: Path, bulk: bool) -> None:
    """Lines under a stored receipt's ``-id`` (an import stopped between two parts left them): the next
    import of the receipt in parts drops them first and stores what the file holds."""
    day1 = _write(tmp_path / "day1.csv", INBOUND_HEADER, _receipt(1, 7))
    day2 = _write(tmp_path / "day2.csv", INBOUND_HEADER, _receipt(1, 7, received={2: 3}))
    import_file(engine, "inbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    with session_factory(engine)() as session:
        pk = session.scalar(select(WarehouseReceiptRow.id))
        session.add_all([WarehouseReceiptLineRow(receipt_pk=-pk, line_no=ln, sku="LEFT", planned_qty=1,
                                                 received_good_qty=1, received_damaged_qty=0, putaway_qty=0)
                         for ln in (1, 9)])
        session.commit()
    again = import_file(engine, "inbound", day2, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    assert (again.status, again.updated) == ("COMPLETED", 1)
    with session_factory(engine)() as session:
        lines = session.execute(select(WarehouseReceiptLineRow.receipt_pk, WarehouseReceiptLineRow.line_no,
                                       WarehouseReceiptLineRow.received_good_qty)
                                .order_by(WarehouseReceiptLineRow.line_no)).all()
    assert [tuple(line) for line in lines] == [(pk, ln, 3 if ln == 2 else 10 * ln) for ln in range(1, 8)]


@given(texts=st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=5), max_size=12),
       cuts=st.lists(st.integers(0, 12), max_size=4))
def test_a_hash_given_in_parts_is_the_hash_of_all_the_rows(texts: list[str], cuts: list[int]) -> None:
    """``RawHashParts`` over any split of the rows (empty parts too) equals ``raw_hash_of_texts`` of them all."""
    hashed = RawHashParts("prefix")
    bounds = [0, *sorted(min(cut, len(texts)) for cut in cuts), len(texts)]
    for start, end in zip(bounds, bounds[1:]):
        hashed.add(texts[start:end])
    assert hashed.hexdigest() == raw_hash_of_texts("prefix", texts)


@pytest.mark.parametrize("bulk", [True, False])
def test_a_long_outbound_stored_by_an_earlier_version_is_corrected_once(engine, tmp_path: Path, bulk: bool) -> None:
    """An outbound stored in parts before the hash spanned them (its hash a part's, its weight its first
    part's): its next import in parts from another file updates the weight alone, the one after finds it
    unchanged; one stored with a part's hash and the right header is unchanged at once."""
    from sqlalchemy import update

    rows = [*_shipment(1, 8), *_shipment(2, 7)]
    day1 = _write(tmp_path / "day1.csv", OUTBOUND_HEADER, rows)
    import_file(engine, "outbound", day1, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
    with session_factory(engine)() as session:
        session.execute(update(WarehouseShipmentRow).values(content_hash="a part's"))
        session.execute(update(WarehouseShipmentRow).where(WarehouseShipmentRow.wms_outbound_no == "OB-1")
                        .values(weight_g=60))
        session.commit()
    for day, expected in ((2, (0, 1, 1)), (3, (0, 0, 2))):
        path = _write(tmp_path / f"day{day}.csv", OUTBOUND_HEADER, [*rows, *[""] * day])
        summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=3, bulk=bulk)
        assert (summary.created, summary.updated, summary.unchanged) == expected
    assert _updates(engine, WarehouseShipmentRow.__tablename__) == [{"weight_g": [60, 360]}]


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("again", [False, True])
def test_a_line_number_repeated_in_a_later_part_rejects_that_row_alone(engine, tmp_path: Path, bulk: bool,
                                                                      again: bool) -> None:
    """Line 5 of a seven-line receipt states line number 2 (met in its first part): that row is a
    ``duplicate_line_no`` reject naming the number, the other six lines stored, counted and hashed as in one
    chunk (``again``: the receipt stored before, its new lines waiting aside); nothing else refused."""
    rows = _receipt(1, 7)
    rows[4] = rows[4].replace(",5,SKU-", ",2,SKU-")
    files = [_write(tmp_path / "day1.csv", INBOUND_HEADER, _receipt(1, 7) if again else rows)]
    if again:
        files.append(_write(tmp_path / "day2.csv", INBOUND_HEADER, rows))
    whole = _days(engine, "inbound", files, WHOLE, bulk)[-1]
    parts = _days(engine, "inbound", files, 3, bulk)[-1]
    assert parts[0] == whole[0] and parts[0][2] == 1 and parts[0][6] == {"duplicate_line_no": 1}
    for table in whole[1]:
        if table != "rejects":
            assert parts[1][table] == whole[1][table], table
    [reject] = [dict(row) for row in parts[1]["rejects"]]
    assert (reject["line"], reject["code"], reject["value"], reject["column"]) == (6, "duplicate_line_no", "2", "line_no")
    assert reject["reason"] == "line_no 2 repeats a line of an earlier part of this record"
