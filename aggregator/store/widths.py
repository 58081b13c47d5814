"""Does a marketplace record fit the columns it is stored in? (``too_long``)

A marketplace record's text fields go into ``String(n)`` columns of the same name (``orders.order_id``
64, ``order_lines.seller_sku`` 128, ``order_packages.carrier`` 64…). PostgreSQL refuses a longer value
with an error; SQLite stores it whole. So a value no real marketplace sends (an id of 65 characters, a
status of 300) was parked on PostgreSQL with the driver's error and stored on SQLite. The sync framework
asks this module first (``aggregator.sync.framework.write_batch``) and parks such a record on both, with
a reason naming each field, its length and the column's width; nothing is cut short, nothing is lost (the
raw payload is kept with the parked item).

The widths are read from the tables (``TABLES``: canonical record class → the table its fields are
stored in), so a column made wider or narrower is followed without touching this module.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
from typing import Any

from sqlalchemy import String

from aggregator.store.models.marketplace import OrderLineRow, OrderPackageRow, OrderRow, SettlementLineRow
from aggregator.store.models.returns import ReturnLineRow, ReturnRow
from aggregator.store.models.settlement import StatementRow
from platform_adapters.canonical import Order, OrderLine, Package, ReturnLine, ReturnRecord, SettlementLine, Statement

TABLES = {Order: OrderRow, OrderLine: OrderLineRow, Package: OrderPackageRow, SettlementLine: SettlementLineRow,
          Statement: StatementRow, ReturnRecord: ReturnRow, ReturnLine: ReturnLineRow}


@functools.cache
def widths(kind: type) -> dict[str, int]:
    """Field name → the width of the column of the same name, for the fields of ``kind`` stored in one."""
    table = TABLES.get(kind)
    if table is None:
        return {}
    names = {f.name for f in dataclasses.fields(kind)}
    return {column.name: column.type.length for column in table.__table__.columns
            if column.name in names and isinstance(column.type, String) and column.type.length}


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
