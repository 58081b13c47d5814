"""A cost that is not a finite number (NaN, a signalling NaN with a payload or a sign, an infinity) is refused
where the cell is read (``platform_adapters.tabular.values``), on the columnar and the per-row path alike: its
row is rejected naming the column and the value, and no such Decimal reaches the database, whose COPY text
(``aggregator.store.copy_text``) writes only the plain ``sNaN`` as psycopg does."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.logistics import ImportRejectRow
from aggregator.store.models.warehouse import StockSnapshotRow
from platform_adapters.tabular.values import parse_decimal
from tests.conftest import SAMPLES

NOT_FINITE = ["sNaN", "sNaN123", "-sNaN", "-sNaN7", "NaN", "-nan", "Infinity", "-inf", "ｓＮａＮ１"]


@pytest.mark.parametrize("text", NOT_FINITE)
def test_a_cell_that_is_not_a_finite_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        parse_decimal(text)


@pytest.mark.parametrize("bulk", [True, False])
def test_stock_rows_whose_cost_is_not_a_finite_number_are_rejected_on_both_databases(
        engine, tmp_path: Path, bulk: bool) -> None:
    header, first = (SAMPLES / "stock_lots_snapshot.csv").read_text(encoding="utf-8").splitlines()[:2]
    cells = first.split(",")
    lot, cost = header.split(",").index("lot_id"), header.split(",").index("unit_landed_cost_myr")
    rows = []
    for n, value in enumerate(["12.50", *NOT_FINITE]):
        row = list(cells)
        row[lot], row[cost] = f"LOT-NF-{n}", value
        rows.append(",".join(row))
    path = tmp_path / "stock.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    summary = import_file(engine, "stock", path, owner_id="LUMINA", bulk=bulk)
    assert (summary.status, summary.created, summary.rows_rejected) == ("COMPLETED_WITH_REJECTS", 1, len(NOT_FINITE))
    with session_factory(engine)() as session:
        assert session.scalars(select(StockSnapshotRow.lot_id)).all() == ["LOT-NF-0"]
        rejects = session.execute(select(ImportRejectRow.column, ImportRejectRow.value, ImportRejectRow.reason)).all()
    assert sorted(value for _, value, _ in rejects) == sorted(NOT_FINITE)
    assert all(column == "unit_landed_cost_myr" and "not a finite number" in reason for column, _, reason in rejects)
