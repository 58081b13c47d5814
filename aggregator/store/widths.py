"""Does a record fit the columns it is stored in? (``too_long`` for a marketplace record; ``overlong`` /
``overlong_cells`` for what an import writes)

A marketplace record's text fields go into ``String(n)`` columns of the same name (``orders.order_id``
64, ``order_lines.seller_sku`` 128, ``order_packages.carrier`` 64…). PostgreSQL refuses a longer value
with an error; SQLite stores it whole. So a value no real marketplace sends (an id of 65 characters, a
status of 300) was parked on PostgreSQL with the driver's error and stored on SQLite. The sync framework
asks this module first (``aggregator.sync.framework.write_batch``) and parks such a record on both, with
a reason naming each field, its length and the column's width; nothing is cut short, nothing is lost (the
raw payload is kept with the parked item).

An imported record (3PL files, documents) is checked the same way before it is written, on its stored
rows: ``overlong`` for one row (the per-record path), ``overlong_cells`` for a chunk's values held one
list per field, a column at a time (the column-wise path); the import rejects such a record naming each line, the field,
its length and the column's width, on both databases (``aggregator.ingest.tabular_import``).

The widths are read from the tables (``TABLES``: canonical record class → the table its fields are
stored in; ``column_widths``: a table's own), so a column made wider or narrower is followed without
touching this module.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import String

from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow, SettlementLineRow
from aggregator.store.models.returns import ReturnLineRow, ReturnRow
from aggregator.store.models.settlement import StatementRow
from platform_adapters.canonical import Order, OrderLine, Package, ReturnLine, ReturnRecord, SettlementLine, Statement

TABLES = {Order: OrderRow, OrderLine: OrderLineRow, Package: OrderPackageRow, SettlementLine: SettlementLineRow,
          Statement: StatementRow, ReturnRecord: ReturnRow, ReturnLine: ReturnLineRow}


@functools.cache
def column_widths(table: Any) -> dict[str, int]:
    """Column name → width, for each ``String(n)`` column of ``table`` (a ``Table``)."""
    return {column.name: column.type.length for column in table.columns
            if isinstance(column.type, String) and column.type.length}


@functools.cache
def widths(kind: type) -> dict[str, int]:
    """Field name → the width of the column of the same name, for the fields of ``kind`` stored in one."""
    table = TABLES.get(kind)
    if table is None:
        return {}
    names = {f.name for f in dataclasses.fields(kind)}
    return {name: width for name, width in column_widths(table.__table__).items() if name in names}


def overlong(table: Any, values: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """``(column, length, width)`` for each text of the row ``values`` longer than its column of ``table`` holds."""
    limits = column_widths(table)
    return [(name, len(value), limits[name]) for name, value in values.items()
            if name in limits and isinstance(value, str) and len(value) > limits[name]]


def overlong_cells(columns: Mapping[str, Sequence[Any]], limits: Mapping[str, int]) -> set[int]:
    """The rows (positions) where a text of ``columns`` (one list per name, texts or None) is longer than
    ``limits`` gives for its name: one ``max`` over each column, row by row only where one is too long."""
    found: set[int] = set()
    for name, width in limits.items():
        cells = columns.get(name)
        if not cells:
            continue
        try:
            longest = max(map(len, filter(None, cells)), default=0)
        except TypeError:  # (not only texts)
            longest = max((len(cell) for cell in cells if isinstance(cell, str)), default=0)
        if longest > width:
            found.update(i for i, cell in enumerate(cells) if isinstance(cell, str) and len(cell) > width)
    return found


def too_long(record: Any, where: str = "") -> list[str]:
    """Each text field of ``record`` (and of its lines and packages) longer than its column holds, as
    ``"lines[1].seller_sku: 300 characters, the column holds 128"``; [] when everything fits."""
    if not dataclasses.is_dataclass(record):
        return []
    limits = widths(type(record))
    found = []
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, str) and not isinstance(value, enum.Enum) and f.name in limits \
                and len(value) > limits[f.name]:
            found.append(f"{where}{f.name}: {len(value)} characters, the column holds {limits[f.name]}")
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                found += too_long(item, f"{where}{f.name}[{index}].")
    return found
