"""Forwarder BL report rows → transport document header, line, container and reference values, a chunk at a
time, column by column (pure).

The same rules as ``bl_report.map_rows`` (one document per contiguous group of rows of one document
number), applied to whole columns with ``platform_adapters.tabular.columnar``: texts, document numbers
and UN/LOCODEs cleaned per column; dates, times, quantities, measures and yes/no values parsed once per
distinct value; seals and PO numbers split once per distinct cell; the rules ``bl_report`` states once
(``mode_of``, ``level_of``, ``awb_flagged``, ``has_goods``, ``master_kind``) applied to the parsed values.
A row that ``map_rows`` would report anything about (a value it refuses, a missing document number, a
transport mode or level it does not know, a negative measure, an invalid container number, a place that is
not a UN/LOCODE, an air waybill number whose check digit is wrong) is marked not ``ok``; its document is
then mapped by ``map_rows``, which reports it. For documents of ``ok`` rows the values are those
``writers.transport_document_aggregate`` stores of the ``TransportDocument`` ``map_rows`` builds: its rows
describing goods are its lines, numbered from 1; each container once with its first ISO type and every seal
its rows name; its master, booking and PO numbers each once as references, in the order met
(``tests/ingest/test_import_paths_bl.py`` holds the two paths equal). These build only new documents: one
stored already (another source's, an eBL's, or the report's own with other content) goes the per-record way,
where it takes only what the report's columns state (``bl_report.stated_fields``).
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import chain, repeat
from operator import add
from typing import Any

from platform_adapters.logistics import bl_report
from platform_adapters.tabular import columnar
from platform_adapters.tabular.columnar import ChunkColumns, ChunkValues, GroupedRows, unmark
from platform_adapters.tabular.rows import ReadOptions

#: record field → source column, for the fields read as cleaned text
TEXTS = {"shipper": "shipper", "consignee": "consignee", "notify_party": "notify_party",
         "vessel_or_flight": "vessel_or_flight", "voyage": "voyage", "incoterm_place": "incoterm_place", "sku": "sku",
         "hs_code": "hs_code", "description": "description_of_goods"}
#: record field → source column, for the fields read as upper-cased text
UPPERS = {"doc_type": "doc_type", "record_type": "record_type", "stated_level": "doc_level",
          "release_type": "release_type", "status": "status", "carrier_code": "carrier_scac", "incoterm": "incoterm",
          "freight_term": "freight_term", "iso_type": "iso_equipment_code", "package_code": "package_code"}
#: record field → source column, for the document numbers
DOCS = {"doc_number": "doc_number", "master_doc_number": "master_doc_number", "booking_ref": "carrier_booking_ref"}
DATES = ("issue_date", "etd", "eta", "shipped_on_board_date")
TIMES = ("source_updated_at",)
QUANTITIES = ("packages", "quantity")
MEASURES = ("gross_weight_kg", "volume_cbm")
BOOLEANS = ("is_to_order", "is_electronic")
PLACES = ("place_of_receipt", "port_of_loading", "port_of_discharge", "place_of_delivery")


def read_columns(columns: dict[str, list[str]], rows: int, options: ReadOptions,
                 plain: Collection[str] = ()) -> ChunkValues:
    """Every field ``bl_report._read`` reads, for ``rows`` rows of canonical ``columns`` (absent: empty;
    ``plain``: the columns known plain, ``columnar.columns_of``); besides, ``goods`` (whether the row is a
    document line), ``po_text`` (its PO numbers as a line stores them) and ``ref_value`` (its longest PO
    number: a reference's value)."""
    chunk = ChunkColumns(columns, rows, options, plain)
    fields: dict[str, list[Any]] = {name: chunk.text(column) for name, column in TEXTS.items()}
    fields.update((name, chunk.upper(column)) for name, column in UPPERS.items())
    fields.update((name, chunk.doc(column)) for name, column in DOCS.items())
    for names, reader in ((DATES, chunk.date), (TIMES, chunk.datetime), (QUANTITIES, chunk.quantity),
                          (MEASURES, chunk.decimal), (BOOLEANS, chunk.boolean)):
        fields.update((name, reader(name)) for name in names)
    ok = chunk.ok([fields["doc_number"]])
    for name in PLACES:
        fields[name], flagged = chunk.unlocode(name)
        unmark(ok, fields[name], flagged)
    containers, invalid = chunk.container("container_no")
    fields["container_no"] = containers
    fields["container_valid"] = list(map({None: None}.get, containers, repeat(True)))  # (None if None else True)
    unmark(ok, containers, invalid)
    fields["seals"] = chunk.docs("seal_no")
    fields["po_numbers"] = pos = chunk.refs("po_number")
    texts = {numbers: (" ".join(numbers), max(numbers, key=len) if numbers else None) for numbers in set(pos)}
    fields["po_text"] = [texts[numbers][0] for numbers in pos]
    fields["ref_value"] = [texts[numbers][1] for numbers in pos]
    description = fields["description"]
    if None in description:
        fields["description"] = description = list(map({None: ""}.get, description, description))  # (or "")
    pairs = list(zip(fields["record_type"], fields["doc_type"]))
    modes = {pair: bl_report.mode_of(*pair) for pair in set(pairs)}
    fields["mode"] = list(map(modes.__getitem__, pairs))
    unmark(ok, pairs, {pair for pair in modes if pair[0] is not None and modes[pair] not in bl_report.MODES})
    stated = list(zip(fields["stated_level"], fields["master_doc_number"]))
    levels = {pair: bl_report.level_of(*pair) for pair in set(stated)}
    fields["doc_level"] = list(map(levels.__getitem__, stated))
    unmark(ok, fields["doc_level"], {level for level in set(levels.values()) if level not in bl_report.LEVELS})
    for name in MEASURES:
        unmark(ok, fields[name], {value for value in set(fields[name]) if value is not None and value < 0})
    goods = list(zip(description, fields["packages"], fields["hs_code"], fields["sku"]))
    found = {row: bl_report.has_goods(*row) for row in set(goods)}
    fields["goods"] = list(map(found.__getitem__, goods))
    for i in chunk.refused:
        ok[i] = False
    return ChunkValues(fields, ok)


def record_keys(columns: dict[str, list[str]], owners: list[str],
                plain: Collection[str] = ()) -> list[tuple[str, ...] | None]:
    """``bl_report.record_key`` of each row (``owners``: each row's owner; ``plain`` as for ``read_columns``)."""
    numbers = columnar.document_column(columns.get("doc_number") or [""] * len(owners))
    if all(numbers):  # (the usual chunk: every row has its key)
        return list(zip(owners, numbers))
    return [(owner, number) if number else None for owner, number in zip(owners, numbers)]


def check_groups(values: ChunkValues, starts: Sequence[int]) -> None:
    """Mark not ``ok`` every row of a document (rows ``starts[n]`` to ``starts[n + 1]``) whose number or master
    number is an air waybill number with a wrong check digit, judged on the document's header values as
    ``map_rows`` judges it (its mode and type, its first master number): it reports that on the document."""
    fields, ok = values.fields, values.ok
    numbers, masters = fields["doc_number"], fields["master_doc_number"]
    suspect = {number for number in {*numbers, *masters} if bl_report.awb_flagged(number, True)}
    if not suspect:  # (the usual chunk: no air waybill number with a wrong check digit)
        return
    groups = list(zip(starts, starts[1:]))
    for (start, end), number, mode, doc_type, master in zip(groups, *columnar.group_columns(
            [numbers, fields["mode"], fields["doc_type"], masters], groups)):
        air = bl_report.is_air(mode, doc_type)
        if bl_report.awb_flagged(number, air) or bl_report.awb_flagged(master, air):
            ok[start:end] = [False] * (end - start)


def _containers(fields: dict[str, list[Any]], groups: Sequence[tuple[int, int]]) -> GroupedRows:
    """Each document's containers: each number once in the order met, with the first ISO type and every seal its
    rows give it (as ``map_rows`` gathers them): container number, ISO type, seals, check digit valid."""
    numbers, types, seals, valid = (fields[name] for name in ("container_no", "iso_type", "seals", "container_valid"))
    out: list[list[Any]] = [[], [], [], []]
    sizes = []
    for start, end in groups:
        found: dict[str, list[Any]] = {}
        for i in range(start, end):
            number = numbers[i]
            if number:
                known = found.get(number)
                if known is None:
                    found[number] = [types[i], dict.fromkeys(seals[i]), valid[i]]
                else:
                    known[0] = known[0] or types[i]
                    known[1].update(dict.fromkeys(seals[i]))
                    known[2] = valid[i]
        sizes.append(len(found))
        for number, (iso_type, seal, checked) in found.items():
            out[0].append(number)
            out[1].append(iso_type)
            out[2].append(" ".join(seal))
            out[3].append(checked)
    return GroupedRows(out, sizes)


def _references(fields: dict[str, list[Any]], groups: Sequence[tuple[int, int]], masters: list[str | None],
                modes: list[str]) -> GroupedRows:
    """Each document's references as ``map_rows`` gathers them, each once in the order met: its master (an
    air or ocean master bill), then each row's booking and PO numbers: kind, value."""
    bookings, pos = fields["booking_ref"], fields["po_numbers"]
    kinds: list[str] = []
    values: list[str] = []
    sizes = []
    for (start, end), master, mode in zip(groups, masters, modes):
        found: dict[tuple[str, str], str] = {}
        if master:
            found[("MASTER", master)] = bl_report.master_kind(mode)
        for i in range(start, end):
            if bookings[i]:
                found.setdefault(("BKG", bookings[i]), "BKG")
            for number in pos[i]:
                found.setdefault(("PO", number), "PO")
        sizes.append(len(found))
        kinds.extend(found.values())
        values.extend(value for _, value in found)
    return GroupedRows([kinds, values], sizes)


#: the header fields ``build_columns`` derives from the others (the others are each field's first value in the
#: document's rows, the yes/no ones as ``bool`` makes them)
_DERIVED = ("doc_type", "doc_number_valid", "source")


def build_columns(values: ChunkValues, owners: list[str], groups: Sequence[tuple[int, int]], header: Sequence[str],
                  children: Sequence[Sequence[str]]) -> tuple[list[list], list[GroupedRows]]:
    """For the groups ``(start, end)`` of ``ok`` rows (one document each; ``owners``: each row's owner): their
    header values column by column, one list per field of ``header`` (``writers.TRANSPORT_HEADER``'s fields),
    and the rows of each child table ``children`` names the fields of (``writers.TRANSPORT_CHILDREN``: lines,
    containers, references) column by column (``columnar.GroupedRows``)."""
    fields = values.fields
    firsts = dict(zip(("doc_number", "mode", "doc_type", "master_doc_number"), columnar.group_columns(
        [fields["doc_number"], fields["mode"], fields["doc_type"], fields["master_doc_number"]], groups)))
    named = [name for name in header if name not in _DERIVED and name not in firsts]
    picked = {**firsts, **dict(zip(named, columnar.group_columns(
        [owners if name == "owner_id" else fields[name] for name in named], groups)))}
    for name in ("is_to_order", "is_electronic"):
        if name in picked:
            picked[name] = list(map(bool, picked[name]))
    modes, masters = picked["mode"], picked["master_doc_number"]
    picked["doc_type"] = [doc_type or "BOL" for doc_type in firsts["doc_type"]]
    picked["doc_number_valid"] = [bl_report.doc_number_valid(number, mode, doc_type)
                                  for number, mode, doc_type in zip(picked["doc_number"], modes, picked["doc_type"])]
    picked["source"] = [bl_report.SOURCE] * len(groups)
    columns = [picked[name] for name in header]
    line, container, reference = children
    lines = columnar.kept_rows([fields[name] for name in line if name != "line_no"], groups, fields["goods"])
    if "line_no" in line:  # (each document's lines numbered from 1)
        lines.columns.insert(list(line).index("line_no"),
                             list(chain.from_iterable(map(range, repeat(1), map(add, lines.sizes, repeat(1))))))
    found = _containers(fields, groups)
    by_field = dict(zip(("container_no", "iso_type", "seals_text", "container_valid"), found.columns))
    containers = GroupedRows([by_field[name] for name in container], found.sizes)
    refs = _references(fields, groups, masters, modes)
    by_field = dict(zip(("ref_kind", "ref_value"), refs.columns))
    references = GroupedRows([by_field[name] for name in reference], refs.sizes)
    return columns, [lines, containers, references]
