"""Declaration-line rows → customs entry header and line values, a chunk at a time, column by column (pure).

The same rules as ``mapping.map_rows`` (one entry per contiguous group of rows of one country and
declaration number), applied to whole columns with ``platform_adapters.tabular.columnar``: texts,
document numbers and UN/LOCODEs cleaned per column; dates, times, quantities, amounts and currencies
parsed or checked once per distinct value; the rules ``mapping`` states once (``local_currency``,
``REF_COLUMNS``, ``AMOUNTS``, ``rows.line_number``) applied to the parsed values. A row that ``map_rows``
would report anything about (a value it refuses, a missing country or declaration number, a country that
is not two letters, an amount without a currency or in one ``Money`` refuses, an invalid container
number, a port that is not a UN/LOCODE, a line number met twice in its entry) is marked not ``ok``; its
entry is then mapped by ``map_rows``, which reports it. For entries of ``ok`` rows the values are those
``writers.customs_entry_aggregate`` stores of the ``CustomsEntry`` ``map_rows`` builds — an entry's
transport documents and containers each once in the order its lines name them, a line's currency its
local one when it states an amount in it, else the entry's (``tests/ingest/test_import_paths.py`` holds
the two paths equal).
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import chain, repeat
from operator import is_, is_not
from typing import Any

from platform_adapters.customs import mapping
from platform_adapters.tabular import columnar
from platform_adapters.tabular.columnar import ChunkColumns, ChunkValues, unmark
from platform_adapters.tabular.rows import ReadOptions

#: record field → source column, for the fields read as cleaned text
TEXTS = {name: name for name in ("importer_of_record", "customs_agent", "importer_registration_no", "vessel_or_flight",
                                 "preference_doc_no", "hs_code", "po_number", "sku_group", "description")}
UPPERS = ("country", "regime", "form", "declaration_type", "status", "valuation_basis", "origin_country", "uom",
          "preference_scheme", "local_currency", "invoice_currency")
DOCS = ("declaration_no", *(column for column, _ in mapping.REF_COLUMNS))
DATES = ("arrival_date",)
TIMES = ("submitted_at", "released_at", "source_updated_at")
QUANTITIES = ("line_no", "qty")
#: record field → source column, for the decimals that are not amounts
DECIMALS = {"fx_rate": "fx_rate_to_myr", "duty_rate": "import_duty_rate", "tax_rate": "sales_tax_rate"}
REQUIRED = ("country", "declaration_no")
#: the amounts in the local currency: a line stating one has that currency, else the entry's
LOCAL_AMOUNTS = tuple(name for name, _, currency in mapping.AMOUNTS if currency == "local")


def read_columns(columns: dict[str, list[str]], rows: int, options: ReadOptions,
                 plain: Collection[str] = ()) -> ChunkValues:
    """Every field ``mapping._read`` reads (the amounts as ``writers.customs_entry_aggregate`` stores them:
    their amounts, ``currency`` each row's local currency, ``invoice_currency`` where an invoice value is
    given), for ``rows`` rows of canonical ``columns`` (absent: empty; ``plain``: the columns known plain,
    ``columnar.columns_of``)."""
    chunk = ChunkColumns(columns, rows, options, plain)
    fields = chunk.fields(TEXTS, uppers=UPPERS, docs=DOCS, dates=DATES, times=TIMES, quantities=QUANTITIES)
    for name, column in DECIMALS.items():
        fields[name] = chunk.decimal(column)
    if None in fields["description"]:
        fields["description"] = list(map({None: ""}.get, fields["description"], fields["description"]))  # (or "")
    containers, invalid = chunk.container("container_no")
    fields["container_no"] = containers
    ports, not_codes = chunk.unlocode("port_of_discharge")
    fields["port_of_discharge"] = ports
    countries = fields["country"]
    pairs = list(zip(fields["local_currency"], countries))
    locals_ = {pair: mapping.local_currency(*pair) for pair in set(pairs)}
    fields["currency"] = list(map(locals_.__getitem__, pairs))
    ok = chunk.ok(fields[name] for name in REQUIRED)
    unmark(ok, countries, {country for country in set(countries)
                           if country is not None and (len(country) != 2 or not country.isalpha())})
    unmark(ok, containers, invalid)
    unmark(ok, ports, not_codes)
    for name, column, currency in mapping.AMOUNTS:
        amounts = chunk.decimal(column)
        fields[name] = amounts
        currencies = fields["invoice_currency" if currency == "invoice_currency" else "currency"]
        used = {code for amount, code in zip(amounts, currencies) if amount is not None}
        refused = columnar.refused_currencies(used)  # (no currency, or one ``Money`` refuses: reported per row)
        if refused:
            for i, (amount, code) in enumerate(zip(amounts, currencies)):
                if amount is not None and code in refused:
                    ok[i] = False
    invoices, stated = fields["invoice_value"], fields["invoice_currency"]
    if any(map(is_, invoices, repeat(None))):  # (a row without an invoice value keeps no currency)
        fields["invoice_currency"] = [code if amount is not None else None for amount, code in zip(invoices, stated)]
    for i in chunk.refused:
        ok[i] = False
    return ChunkValues(fields, ok)


def record_keys(columns: dict[str, list[str]], owners: list[str],
                plain: Collection[str] = ()) -> list[tuple[str, ...] | None]:
    """``mapping.record_key`` of each row (``owners``: each row's owner; ``plain`` as for ``read_columns``)."""
    empty = [""] * len(owners)
    countries = columnar.upper_column(columns.get("country") or empty)
    numbers = columnar.document_column(columns.get("declaration_no") or empty)
    if all(countries) and all(numbers):  # (the usual chunk: every row has its key)
        return list(zip(owners, countries, numbers))
    return [(owner, country, number) if country and number else None
            for owner, country, number in zip(owners, countries, numbers)]


#: a line number met twice in an entry: the per-row mapper rejects the later row (``duplicate_line_no``)
check_groups = columnar.check_line_numbers


def _joined(per_row: list[tuple[str, ...]], groups: Sequence[tuple[int, int]]) -> list[str]:
    """For each group ``(start, end)``: its rows' texts (a tuple a row), each once in the order met, joined by
    spaces (a group whose rows hold the same tuple: that tuple's, found once)."""
    joined = {texts: " ".join(texts) for texts in set(per_row)}
    out = []
    for start, end in groups:
        first = per_row[start]
        if end - start == 1 or per_row[start:end].count(first) == end - start:
            out.append(joined[first])
        else:
            out.append(" ".join(dict.fromkeys(chain.from_iterable(per_row[start:end]))))
    return out


def _refs(fields: dict[str, list[Any]]) -> list[tuple[str, ...]]:
    """Each row's transport documents as ``writers`` writes them (``KIND:VALUE``, ``mapping.REF_COLUMNS``' order)."""
    numbers = list(zip(*(fields[column] for column, _ in mapping.REF_COLUMNS)))
    kinds = [kind for _, kind in mapping.REF_COLUMNS]
    made = {named: tuple(f"{kind}:{value}" for kind, value in zip(kinds, named) if value) for named in set(numbers)}
    return list(map(made.__getitem__, numbers))


def build_columns(values: ChunkValues, owners: list[str], groups: Sequence[tuple[int, int]], header: Sequence[str],
                  children: Sequence[Sequence[str]]) -> tuple[list[list], list[columnar.GroupedRows]]:
    """For the groups ``(start, end)`` of ``ok`` rows (one entry each; ``owners``: each row's owner): their
    header values column by column, one list per field of ``header`` (``writers.CUSTOMS_HEADER``'s fields),
    and their line values column by column (``columnar.GroupedRows``), in the order of the fields ``children``
    gives for its one table, the lines (``writers.CUSTOMS_LINE``'s fields)."""
    line, = children
    fields = values.fields
    containers = fields["container_no"]
    derived = {"transport_doc_refs": lambda: _joined(_refs(fields), groups),
               "container_nos": lambda: _joined(list(map({number: (number,) if number else ()
                                                          for number in set(containers)}.__getitem__, containers)),
                                                 groups)}
    named = [name for name in header if name not in derived]
    picked = dict(zip(named, columnar.group_columns([owners if name == "owner_id" else fields[name] for name in named],
                                                    groups)))
    columns = [derived[name]() if name in derived else picked[name] for name in header]
    currencies = fields["currency"]
    priced = list(map(any, zip(*(map(is_not, fields[name], repeat(None)) for name in LOCAL_AMOUNTS))))
    if not all(priced):  # (a line stating no local amount has the entry's currency)
        currencies = list(currencies)
        entry_currency = picked["currency"] if "currency" in picked else columnar.group_columns([currencies], groups)[0]
        for (start, end), currency in zip(groups, entry_currency):
            for i in range(start, end):
                if not priced[i]:
                    currencies[i] = currency
    numbers = columnar.line_numbers(fields["line_no"], groups)
    return columns, [columnar.grouped_rows([numbers if name == "line_no" else currencies if name == "currency"
                                            else fields[name] for name in line], groups)]
