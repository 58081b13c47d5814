"""Stock snapshot rows → snapshot row values, a chunk at a time, column by column (pure).

The same rules as ``stock.map_rows`` (one snapshot per row), applied to whole columns with
``platform_adapters.tabular.columnar``: texts and document numbers cleaned per column, times, dates,
quantities, costs and currencies parsed once per distinct value, and the rules ``stock`` states once
(``expired_in_stock``, ``currency_of``) applied to the parsed values. A row that ``map_rows`` would report
anything about (a value it refuses, a missing required value, an invalid container number, a bad
currency, an expiry before the snapshot, a second row of the same key) is marked not ``ok`` and mapped
by ``map_rows``, which reports it. For ``ok`` rows the values are those of the ``StockSnapshot``
``map_rows`` builds, as ``writers.stock_snapshot_aggregate`` stores them
(``tests/ingest/test_import_paths.py`` holds the two paths equal).
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import repeat
from operator import is_
from typing import Any

from platform_adapters.tabular import values as parse
from platform_adapters.tabular import columnar
from platform_adapters.tabular.columnar import ChunkColumns, ChunkValues, clean_column, unmark
from platform_adapters.tabular.rows import ReadOptions
from platform_adapters.warehouse import stock

TEXTS = ("sku", "lot_id", "warehouse_code", "title_holder", "risk_bearer", "custodian", "asn_no", "cost_basis_note",
         "batch_no", "unit_landed_cost_currency")
UPPERS = ("title_state", "location_state", "source_doc_kind")
DOCS = ("source_doc_no", "customs_declaration_no")
TIMES = ("snapshot_at", "received_at")
REQUIRED = ("snapshot_at", "sku")


def read_columns(columns: dict[str, list[str]], rows: int, options: ReadOptions,
                 plain: Collection[str] = ()) -> ChunkValues:
    """Every field ``stock._read`` reads (and those ``writers.STOCK_HEADER`` derives), for ``rows`` rows of
    canonical ``columns`` (absent: empty; ``plain``: the columns known plain, ``columnar.columns_of``)."""
    chunk = ChunkColumns(columns, rows, options, plain)
    fields = chunk.fields({name: name for name in TEXTS}, uppers=UPPERS, docs=DOCS, dates=("expiry_date",),
                          times=TIMES)
    for name in stock.QUANTITIES:  # (an empty cell is 0; a column without one is kept as it is)
        quantities = chunk.quantity(name)
        fields[name] = [value or 0 for value in quantities] if None in quantities else quantities
    costs = chunk.parsed("unit_landed_cost_myr", parse.parse_decimal)
    cells = fields["unit_landed_cost_currency"]
    currencies = list(map({text: stock.currency_of(text) for text in set(cells)}.__getitem__, cells))
    refused = columnar.refused_currencies(currencies)  # (once per distinct currency, not per cost)
    # (``None in costs`` would compare each Decimal with None: an isinstance check against an ABC per cost)
    if not refused and not any(map(is_, costs, repeat(None))):  # (the usual chunk: every cost priced as read)
        fields["cost_amount"], fields["cost_currency"] = costs, currencies
    else:
        fields["cost_amount"] = [None if code in refused else cost for cost, code in zip(costs, currencies)]
        fields["cost_currency"] = [None if cost is None or code in refused else code
                                   for cost, code in zip(costs, currencies)]
    containers, invalid = chunk.container("container_no")
    fields["container_no"] = containers
    lots, codes = fields["lot_id"], fields["warehouse_code"]
    fields["lot_or_sku"] = [lot or sku for lot, sku in zip(lots, fields["sku"])] if None in lots else lots
    fields["warehouse_key"] = [code or "" for code in codes] if None in codes else codes
    ok = chunk.ok(fields[name] for name in REQUIRED)
    if refused:  # (a cost in a currency ``Money`` refuses: ``map_rows`` reports it)
        for i, (cost, code) in enumerate(zip(costs, currencies)):
            if cost is not None and code in refused:
                ok[i] = False
    unmark(ok, containers, invalid)
    expiries = fields["expiry_date"]
    if expiries.count(None) < rows:
        for i, (expiry, at) in enumerate(zip(expiries, fields["snapshot_at"])):
            if expiry is not None and stock.expired_in_stock(expiry, at):
                ok[i] = False
    return ChunkValues(fields, ok)


def record_keys(columns: dict[str, list[str]], owners: list[str],
                plain: Collection[str] = ()) -> list[tuple[str, ...] | None]:
    """``stock.record_key`` of each row (``owners``: each row's owner; ``plain`` as for ``read_columns``)."""
    empty = [""] * len(owners)
    skus, instants, lots, warehouses = (clean_column(columns.get(name) or empty, name in plain)
                                        for name in ("sku", "snapshot_at", "lot_id", "warehouse_code"))
    if all(skus) and all(instants) and all(lots) and all(warehouses):  # (the usual chunk: no cell empty)
        return list(zip(owners, instants, lots, warehouses))
    skus, instants, lots, warehouses = ([text or "" for text in column] for column in (skus, instants, lots, warehouses))
    return [(owner, instant, lot or sku, warehouse) if sku and instant else None
            for owner, sku, instant, lot, warehouse in zip(owners, skus, instants, lots, warehouses)]


def check_groups(values: ChunkValues, starts: Sequence[int]) -> None:
    """Mark not ``ok`` every row of a run of rows of one key: ``map_rows`` keeps the first and rejects
    the others as duplicates."""
    ok = values.ok
    for start, end in zip(starts, starts[1:]):
        if end - start > 1:
            ok[start:end] = [False] * (end - start)


def build_columns(values: ChunkValues, owners: list[str], groups: Sequence[tuple[int, int]], header: Sequence[str],
                  children: Sequence[Sequence[str]]) -> tuple[list[list], list]:
    """For the one-row groups ``(start, start + 1)`` of ``ok`` rows: their values column by column, one list
    per field of ``header`` (``writers.STOCK_HEADER``'s fields; the chunk's own lists when every row is a
    group, the usual chunk: not to be changed); snapshots have no child tables (``children`` is empty, and so
    is the list of their rows)."""
    fields = values.fields
    columns = [owners if name == "owner_id" else fields[name] for name in header]
    count = len(groups)
    if count == len(owners):  # every row its own record: the groups are the rows in order
        return columns, []
    if count and groups[0][0] == 0 and groups[-1][0] == count - 1:  # the first rows (the chunk's last carried on)
        columns = [column[:count] for column in columns]
    else:
        starts = [start for start, _ in groups]
        columns = [list(map(column.__getitem__, starts)) for column in columns]
    return columns, []
