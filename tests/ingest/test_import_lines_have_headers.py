"""Every stored receipt and outbound line has its header, whichever way it was written.

The lines' header ids carry no foreign key (``aggregator/store/models/warehouse.py``: PostgreSQL checks
one by a query per inserted line): the writers keep lines with their headers by construction, and these
tests hold them to it on SQLite and PostgreSQL — a first import (bulk COPY or executemany), a next-day
file of changed, stored and new records (lines replaced, batches meeting stored keys, the staged
statement), a file whose rows of one record are apart (lines merged into a stored header), the
per-record path, and batches the database refuses (written record by record).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.warehouse import (
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from tests.ingest.test_import_paths import MIXED

LINES = {"outbound": (WarehouseShipmentLineRow, "shipment_pk", WarehouseShipmentRow),
         "inbound": (WarehouseReceiptLineRow, "receipt_pk", WarehouseReceiptRow)}


def headerless_lines(engine, kind: str) -> int:
    """How many stored lines of ``kind`` name no stored header."""
    line, parent_col, header = LINES[kind]
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(line).where(
            ~select(header.id).where(header.id == getattr(line, parent_col)).exists()))


def _counts(engine, kind: str) -> tuple[int, int]:
    line, _, header = LINES[kind]
    with session_factory(engine)() as session:
        return (session.scalar(select(func.count()).select_from(header)),
                session.scalar(select(func.count()).select_from(line)))


def _next_day(text_: str) -> str:
    """Every other row changed (a receipt's WMS number, a header field, with it: a record whose first row
    changed is updated and its lines replaced), the rest as they were, ten new records after them."""
    header, *rows = text_.splitlines()
    changed = [row.replace(",r", ",changed r", 1).replace(",IC", ",IC-X", 1) if i % 2 else row
               for i, row in enumerate(rows)]
    extra = [row.replace("OB-", "OB-N").replace("ASN-", "ASN-N") for row in rows[-10:]]
    return "\n".join([header, *changed, *extra]) + "\n"


@pytest.mark.parametrize("kind", sorted(LINES))
@pytest.mark.parametrize("chunk_rows", [1, 7, 10_000])
def test_no_write_path_leaves_a_line_without_its_header(engine, tmp_path: Path, kind: str, chunk_rows: int) -> None:
    make, owners, _, _ = MIXED[kind]
    owners(engine)
    day1 = tmp_path / "day1.csv"
    day1.write_text(make(), encoding="utf-8")
    day2 = tmp_path / "day2.csv"
    day2.write_text(_next_day(make()), encoding="utf-8")
    first = import_file(engine, kind, day1, chunk_rows=chunk_rows)
    assert first.created > 20 and headerless_lines(engine, kind) == 0
    again = import_file(engine, kind, day2, chunk_rows=chunk_rows)
    assert again.updated and again.created and again.unchanged  # (how many: as the chunks cut the records)
    assert headerless_lines(engine, kind) == 0
    headers, lines = _counts(engine, kind)
    assert lines > headers > 0


@pytest.mark.parametrize("kind", sorted(LINES))
def test_the_per_record_path_and_refused_batches_leave_no_line_without_its_header(engine, tmp_path: Path,
                                                                                   kind: str, monkeypatch) -> None:
    from aggregator.ingest import bulk

    make, owners, _, _ = MIXED[kind]
    owners(engine)
    path = tmp_path / "file.csv"
    path.write_text(make(), encoding="utf-8")
    assert import_file(engine, kind, path, bulk=False).created > 20
    assert headerless_lines(engine, kind) == 0

    def refuse(*args, **kwargs):
        raise ValueError("batch refused")

    monkeypatch.setattr(bulk, "insert_new", refuse)  # every batch written record by record
    path.write_text(_next_day(make()), encoding="utf-8")
    assert import_file(engine, kind, path).created
    assert headerless_lines(engine, kind) == 0


def test_the_database_itself_would_keep_a_line_without_its_header(engine) -> None:
    """What the tests above guard: nothing in the schema refuses such a line any more."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO warehouse_shipment_lines (shipment_pk, line_no, sku, quantity) "
                          "VALUES (987654, 1, 'SKU', 1)"))
    assert headerless_lines(engine, "outbound") == 1
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM warehouse_shipment_lines WHERE shipment_pk = 987654"))
