"""Inbound rows → receipt header and line values, a chunk at a time, column by column (pure).

The same rules as ``inbound.map_rows`` (one receipt per contiguous group of rows of one ASN), applied to
whole columns with ``platform_adapters.tabular.columnar``: texts and document numbers cleaned per
column, dates, times, quantities and statuses parsed once per distinct value, and the rules
``inbound`` states once (``is_final``, ``expired_on_receipt``, ``variance_mismatch``; ``rows.line_number``)
applied to the parsed values. A row that ``map_rows`` would report anything about (a value it refuses,
a missing required value, an invalid container number, an unknown status, an expiry before the
receipt, a variance that disagrees, a line number met twice in its receipt) is marked not ``ok``; its
group is then mapped by ``map_rows``, which reports it. For groups of ``ok`` rows the values are those
of the ``WarehouseReceipt`` ``map_rows`` builds (``tests/ingest/test_columnar_properties.py`` and
``tests/ingest/test_import_paths.py`` hold the two equal).
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import compress, repeat

from platform_adapters.tabular import columnar
from platform_adapters.tabular import values as parse
from platform_adapters.tabular.columnar import ChunkColumns, ChunkValues, unmark
from platform_adapters.tabular.rows import ReadOptions
from platform_adapters.warehouse import inbound
from platform_adapters.warehouse.statuses import RECEIPT_STATUSES, normalise_status

#: record field → source column, for the fields read as cleaned text (``RowView.text``)
TEXTS = {"asn_no": "asn_no", "warehouse_code": "warehouse_code", "wms_receipt_no": "wms_receipt_no",
         "raw_status": "status", "importer_of_record": "importer_of_record", "confirm_type": "confirm_type",
         "sku": "sku", "barcode": "barcode", "batch_no": "batch_no", "po_number": "po_number", "lot_id": "lot_id",
         "box_range": "box_range", "remark": "remark"}
UPPERS = ("inbound_type", "damage_type")
DOCS = ("mbl_no", "hbl_no", "awb_no", "seal_no", "customs_declaration_no")
DATES = ("expected_arrival", "expiry_date")
TIMES = ("arrived_at", "received_at", "putaway_at", "source_updated_at")
QUANTITIES = ("line_no", "planned_qty", "received_good_qty", "received_damaged_qty", "putaway_qty")
REQUIRED = ("asn_no", "warehouse_code", "sku", "planned_qty")
#: line quantities stored as 0 when the cell is empty
ZERO_WHEN_EMPTY = ("received_good_qty", "received_damaged_qty", "putaway_qty")


def read_columns(columns: dict[str, list[str]], rows: int, options: ReadOptions,
                 plain: Collection[str] = ()) -> ChunkValues:
    """Every field ``inbound._read`` reads, for ``rows`` rows of canonical ``columns`` (absent: empty;
    ``plain``: the columns known plain, ``columnar.columns_of``)."""
    chunk = ChunkColumns(columns, rows, options, plain)
    fields = chunk.fields(TEXTS, uppers=UPPERS, docs=DOCS, dates=DATES, times=TIMES, quantities=QUANTITIES)
    fields["variance_qty"] = chunk.parsed("variance_qty", parse.parse_signed_int)
    containers, invalid = chunk.container("container_no")
    fields["container_no"] = containers
    fields["container_no_valid"] = list(map({None: None}.get, containers, repeat(True)))  # (None if None else True)
    statuses = {raw: normalise_status(raw, RECEIPT_STATUSES) for raw in set(fields["raw_status"])}
    fields["status"] = list(map(statuses.__getitem__, fields["raw_status"]))
    ok = chunk.ok(fields[name] for name in REQUIRED)
    unmark(ok, containers, invalid)
    unmark(ok, fields["status"], {"UNKNOWN"} & set(statuses.values()))
    expiries = fields["expiry_date"]
    if expiries.count(None) < rows:  # (an instant's date is its zone's: judged row by row)
        for i, (expiry, received) in enumerate(zip(expiries, fields["received_at"])):
            if expiry is not None and inbound.expired_on_receipt(expiry, received):
                ok[i] = False
    stated = list(zip(fields["variance_qty"], fields["received_good_qty"], fields["planned_qty"]))
    verdicts = {values: values[0] is not None and inbound.variance_mismatch(*values) for values in set(stated)}
    for i in compress(range(rows), map(verdicts.__getitem__, stated)):  # (each distinct three judged once)
        ok[i] = False
    for name in ZERO_WHEN_EMPTY:
        if None in fields[name]:
            fields[name] = list(map({None: 0}.get, fields[name], fields[name]))  # (0 if None else the value)
    return ChunkValues(fields, ok)


def record_keys(columns: dict[str, list[str]], owners: list[str],
                plain: Collection[str] = ()) -> list[tuple[str, ...] | None]:
    """``inbound.record_key`` of each row (``owners``: each row's owner; ``plain`` as for ``read_columns``)."""
    return columnar.record_keys(columns, owners, inbound.KEY_COLUMNS, plain)


#: a line number met twice in a receipt: the per-row mapper rejects the later row (``duplicate_line_no``)
check_groups = columnar.check_line_numbers


def build_columns(values: ChunkValues, owners: list[str], groups: Sequence[tuple[int, int]], header: Sequence[str],
                  children: Sequence[Sequence[str]]) -> tuple[list[list], list[columnar.GroupedRows]]:
    """For the groups ``(start, end)`` of ``ok`` rows (one receipt each; ``owners``: each row's owner):
    their header values column by column, one list per field of ``header`` (``writers.RECEIPT_HEADER``'s
    fields), and their line values column by column (``columnar.GroupedRows``), in the order of the fields
    ``children`` gives for its one table, the lines (``WarehouseReceiptLine`` field names)."""
    line, = children
    fields = values.fields
    final_at = header.index("is_final")
    named = [owners if name == "owner_id" else fields[name] for name in header if name != "is_final"]
    picked = columnar.group_columns([*named, fields["confirm_type"]], groups)
    status_at = header.index("status") - (header.index("status") > final_at)
    pairs = list(zip(picked[-1], picked[status_at]))  # (each receipt's confirm type and status)
    finals = {pair: inbound.is_final(*pair) for pair in set(pairs)}
    columns = [*picked[:final_at], list(map(finals.__getitem__, pairs)), *picked[final_at:-1]]
    numbers = columnar.line_numbers(fields["line_no"], groups)
    return columns, [columnar.grouped_rows([numbers if name == "line_no" else fields[name] for name in line], groups)]
