"""A header naming the same column twice (a second ``QTY``: shipped beside ordered, an export's column
copied): which one the import reads is not the file's to leave unsaid.

The first was read and the second's values dropped, with no word. A column the import reads whose name (as
the reader compares names: case, full-width forms and spaces aside; under the profile's name for it) is
met twice now fails the file (``duplicate_column``) naming the column and each place; nothing is stored.
A column the import does not read may repeat: it is ignored as before.
"""
from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.warehouse import WarehouseShipmentLineRow
from platform_adapters.profiles import standard_profile
from platform_adapters.tabular import TabularError
from platform_adapters.tabular.columns import ColumnMap

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "warehouse_outbound.csv"


def sample_rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def with_column(tmp_path: Path, name: str, header: str, value: str, quoted: bool = False) -> Path:
    rows = sample_rows()
    rows[0].append(header)
    for row in rows[1:]:
        row.append(value)
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL).writerows(rows)
    return path


def stored_lines(engine) -> int:
    with session_factory(engine)() as s:
        return s.execute(select(func.count()).select_from(WarehouseShipmentLineRow)).scalar_one()


@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("quoted", [False, True])  # (a plain file read column-wise by Arrow; one the csv module reads)
def test_a_column_the_import_reads_named_twice_fails_the_file(engine, tmp_path, bulk, quoted):
    path = with_column(tmp_path, "dup_qty.csv", "QTY", "5", quoted)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", bulk=bulk)
    assert summary.status == "FAILED"
    assert summary.problem_counts["duplicate_column"] == 1
    assert "'qty'" in summary.error and "'QTY'" in summary.error
    assert "columns 10 and 21" in summary.error
    assert stored_lines(engine) == 0


def test_the_names_are_compared_as_the_reader_compares_them_under_the_profiles_name(tmp_path):
    profile = replace(standard_profile("outbound"), columns={"qty": "Shipped Qty"})
    header = ("wms_outbound_no", "Shipped Qty", "sku", "qty", "ＳＨＩＰＰＥＤ  qty ")
    with pytest.raises(TabularError) as refused:
        ColumnMap.build(header, known=("wms_outbound_no", "qty", "sku"), required=("qty",),
                        mapping=profile.columns, defaults={}, location="f.csv")
    assert refused.value.code == "duplicate_column"
    assert "columns 2 and 5" in refused.value.reason and "'Shipped Qty'" in refused.value.reason
    # the profile's name read once: the column's own name beside it is not read, as before
    columns = ColumnMap.build(header[:4], known=("wms_outbound_no", "qty", "sku"), required=("qty",),
                              mapping=profile.columns, defaults={}, location="f.csv")
    assert columns.indexes["qty"] == 1 and "qty" in columns.ignored


@pytest.mark.parametrize("bulk", [True, False])
def test_a_column_the_import_does_not_read_may_repeat(engine, tmp_path, bulk):
    rows = sample_rows()
    path = with_column(tmp_path, "dup_note.csv", "Note", "x")
    text = path.read_text(encoding="utf-8").splitlines()
    text[0] = text[0].replace(",Note", ",note")
    lines = [f"{line},y" if i else f"{line},NOTE" for i, line in enumerate(text)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", bulk=bulk)
    assert summary.status == "COMPLETED", summary.error
    assert stored_lines(engine) == len(rows) - 1
