"""Outbound rows → shipment header and line values, a chunk at a time, column by column (pure).

The same rules as ``outbound.map_rows`` (one record per contiguous group of rows of one outbound),
applied to whole columns with ``platform_adapters.tabular.columnar``: texts cleaned per column, times,
quantities, platforms and statuses parsed once per distinct value. A row that ``map_rows`` would report
anything about (a value it refuses, a missing required value, a platform no adapter is registered under, a
shop without its platform, an unknown status) is marked not ``ok``; its group is then mapped by
``map_rows``, which reports it. For groups of ``ok`` rows the values are those of the ``WarehouseShipment``
``map_rows`` builds (``tests/ingest/test_columnar_properties.py`` holds the two equal on arbitrary rows).
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import accumulate, chain, repeat
from operator import add, itemgetter, sub

from platform_adapters.tabular import columnar
from platform_adapters.tabular.columnar import ChunkValues
from platform_adapters.tabular.rows import ReadOptions
from platform_adapters.warehouse import outbound
from platform_adapters.warehouse.statuses import SHIPMENT_STATUSES, normalise_status

#: record field → source column, for the fields read as cleaned text
TEXTS = {"wms_outbound_no": "wms_outbound_no", "warehouse_code": "warehouse_code", "raw_status": "status",
         "shop_id": "shop_id", "order_id": "marketplace_order_id", "package_id": "package_id",
         "carrier_code": "carrier_code", "tracking_number": "tracking_number",
         "first_mile_tracking_number": "first_mile_tracking_number", "remark": "remark", "sku": "sku",
         "order_line_ref": "order_line_ref", "lot_id": "stock_lot_id", "batch_no": "batch_no"}
TIMES = ("created_at", "shipped_at", "delivered_at", "returned_at", "source_updated_at")
REQUIRED = ("wms_outbound_no", "warehouse_code", "sku", "qty")
#: the line fields as ``WarehouseShipmentLine`` names them → the row field they come from
LINE_SOURCES = {"sku": "sku", "quantity": "qty", "order_line_ref": "order_line_ref", "lot_id": "lot_id",
                "batch_no": "batch_no"}


def _platform(text: str | None) -> tuple[str | None, bool]:
    """(the platform stored, whether ``outbound._read`` takes it without a word): a registered one (``outbound.
    platform_of``) or none."""
    if not text:
        return None, True
    try:
        return outbound.platform_of(text), True
    except ValueError:
        return None, False


def read_columns(columns: dict[str, list[str]], rows: int, options: ReadOptions,
                 plain: Collection[str] = ()) -> ChunkValues:
    """Every field ``outbound._read`` reads, for ``rows`` rows of canonical ``columns`` (absent: empty;
    ``plain``: the columns known plain, ``columnar.columns_of``)."""
    chunk = columnar.ChunkColumns(columns, rows, options, plain)
    fields = chunk.fields(TEXTS, uppers=("outbound_type",), times=TIMES, quantities=("weight_g", "qty"))
    fields_platform = chunk.text("platform")
    platforms = {text: _platform(text) for text in set(fields_platform)}
    fields["platform"] = list(map(itemgetter(0), map(platforms.__getitem__, fields_platform)))
    statuses = {raw: normalise_status(raw, SHIPMENT_STATUSES) for raw in set(fields["raw_status"])}
    fields["status"] = list(map(statuses.__getitem__, fields["raw_status"]))
    ok = chunk.ok(fields[name] for name in REQUIRED)
    columnar.unmark(ok, fields_platform, {text for text, (_, known) in platforms.items() if not known})
    if None in platforms:  # a shop without its platform (``outbound._read`` refuses it)
        for i, (platform, shop_id) in enumerate(zip(fields_platform, fields["shop_id"])):
            if shop_id and not platform:
                ok[i] = False
    columnar.unmark(ok, fields["status"], {"UNKNOWN"} & set(statuses.values()))
    return ChunkValues(fields, ok)


def record_keys(columns: dict[str, list[str]], owners: list[str],
                plain: Collection[str] = ()) -> list[tuple[str, ...] | None]:
    """``outbound.record_key`` of each row (``owners``: each row's owner; ``plain`` as for ``read_columns``)."""
    return columnar.record_keys(columns, owners, outbound.KEY_COLUMNS, plain)


def build_columns(values: ChunkValues, owners: list[str], groups: Sequence[tuple[int, int]], header: Sequence[str],
                  children: Sequence[Sequence[str]]) -> tuple[list[list], list[columnar.GroupedRows]]:
    """For the groups ``(start, end)`` of ``ok`` rows (one outbound each; ``owners``: each row's owner):
    their header values column by column, one list per field of ``header`` (``WarehouseShipment`` field
    names), and their line values column by column (``columnar.GroupedRows``: each one's rows numbered
    from 1), in the order of the fields ``children`` gives for its one table, the lines (``WarehouseShipmentLine``
    field names)."""
    line, = children
    fields = values.fields
    weights = fields["weight_g"]
    starts, ends = list(map(itemgetter(0), groups)), list(map(itemgetter(1), groups))
    if max(map(sub, ends, starts), default=1) > 1:  # a record's weight is the sum over its rows
        weights = list(weights)
        if None not in weights:
            sums = [0, *accumulate(weights)]
            for start, total in zip(starts, map(sub, map(sums.__getitem__, ends), map(sums.__getitem__, starts))):
                weights[start] = total
        else:
            for start, end in groups:
                present = [w for w in weights[start:end] if w is not None]
                weights[start] = sum(present) if present else None
    columns = columnar.group_columns([owners if name == "owner_id" else weights if name == "weight_g" else fields[name]
                                      for name in header], groups)
    lines = columnar.grouped_rows([fields[LINE_SOURCES[name]] for name in line if name != "line_no"], groups)
    if "line_no" in line:  # (each record's rows numbered from 1)
        numbers = list(chain.from_iterable(map(range, repeat(1), map(add, lines.sizes, repeat(1)))))
        lines.columns.insert(list(line).index("line_no"), numbers)
    return columns, [lines]
