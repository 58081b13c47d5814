"""The column-wise readers agree with the per-row ones on arbitrary cells (property tests).

``platform_adapters.tabular.columnar`` and ``platform_adapters.warehouse.outbound_columns`` must give,
for every cell and every group of rows, what ``ColumnMap.row``, ``RowView`` and ``outbound.map_rows``
give; a row the column-wise reader does not mark ``ok`` goes through the per-row mapper, so the
property is: a group of ``ok`` rows maps to the same record, and ``map_rows`` reports nothing about it.
The audit text built column-wise is the text ``encode_columns`` writes.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest.bulk import audit_entries
from aggregator.ingest.writers import SHIPMENT_HEADER, SHIPMENT_LINE, shipment_aggregate
from aggregator.store.jsonutil import encode_columns
from aggregator.store.upsert import BOOKKEEPING, entity_key
from platform_adapters.canonical.identifiers import clean_text
from platform_adapters.tabular import values as parse
from platform_adapters.tabular.columnar import clean_column, columns_of, container_column, document_column, flagged_rows, parsed_column, upper_column
from platform_adapters.tabular.columns import ColumnMap
from platform_adapters.tabular.control import first_control
from platform_adapters.tabular.rows import CanonicalRow, ReadOptions, RowView
from platform_adapters.warehouse import outbound, outbound_columns

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text that exercises the rules: spaces inside and at the edges, full-width forms, the ideographic space,
# tabs and newlines, controls, non-ASCII letters
SPICY = st.text(alphabet=st.sampled_from(list("aZ9 -_.:+,/\t\n\r") + ["\u3000", "Ａ", "１", "－", "\x00", "\x1b",
                                                                      "\x85", "\xa0", "é", "是", "\x1f"]),
                max_size=12)
CELL = st.one_of(SPICY, st.text(max_size=8))


def _refused(parser, text):
    try:
        return parser(text), False
    except ValueError:
        return None, True


@SETTINGS
@given(st.lists(CELL, max_size=30))
def test_clean_and_upper_columns_are_the_per_cell_rules(column: list[str]) -> None:
    assert clean_column(column) == [clean_text(t) or None for t in column]
    views = [RowView(CanonicalRow(1, {"c": t}), ReadOptions()) for t in column]
    assert upper_column(column) == [view.upper("c") for view in views]


ASCII_CELL = st.text(alphabet=st.characters(max_codepoint=127), max_size=12)
#: container numbers: valid ones (TCLU6543214), others of a wrong check digit, category, letters or length,
#: written with separators, in lower case, full width
CONTAINERS = st.one_of(st.sampled_from(["TCLU6543214", "TCLU6543215", "tclu 654321-4", "MSKU1234565", "MSKX1234565",
                                        "MSK1234565", "MSKU12345650", "ＭＳＫＵ１２３４５６５", "1234U123456", "ABCU12345A5"]),
                       st.from_regex(r"[A-Z]{3}[UJZRX][0-9]{7}", fullmatch=True), ASCII_CELL, CELL)


@SETTINGS
@given(st.one_of(st.lists(st.one_of(CELL, st.sampled_from(["zcru-2603 01234", "６１８－５０１２３４５２", "ß-1", "a\x00b"])),
                          max_size=30),
                 st.lists(ASCII_CELL, max_size=30)))
def test_a_document_column_is_the_per_cell_rule(column: list[str]) -> None:
    views = [RowView(CanonicalRow(1, {"c": t}), ReadOptions()) for t in column]
    assert document_column(column) == [view.doc("c") for view in views]


@SETTINGS
@given(st.lists(CONTAINERS, max_size=30))
def test_a_container_column_is_the_per_cell_rule(column: list[str]) -> None:
    """The numbers and the invalid ones (checked together by numpy): ``RowView.container`` of each cell."""
    from platform_adapters.canonical.identifiers import is_valid_container_number

    numbers, invalid = container_column(column)
    views = [RowView(CanonicalRow(1, {"c": t}), ReadOptions()) for t in column]
    assert numbers == [view.doc("c") for view in views]
    assert invalid == {number for number in numbers if number is not None and not is_valid_container_number(number)}


DATETIMES = st.one_of(st.sampled_from(["", "2026-03-01T08:00:00+08:00", "2026-03-01 08:00", "2026-03-01T00:00:00Z",
                                       "2026-03-01T08:00:00.250+08:00", "15/03/2026", "２０２６-03-01T08:00:00+08:00",
                                       " 2026-03-02T01:02:03+00:00 ", "2026-02-30T00:00:00Z"]), CELL)
QUANTITIES = st.one_of(st.sampled_from(["", "1", "1,200", "1.0", "-3", "1.5", "abc", "１", "1e3", "NaN",
                                        "10000000000000000"]), CELL)


@SETTINGS
@given(st.lists(DATETIMES, max_size=20), st.lists(QUANTITIES, max_size=20),
       st.sampled_from([None, "Asia/Kuala_Lumpur", "UTC"]), st.sampled_from([(), ("%d/%m/%Y",), ("%Y%m%d %H%M",)]))
def test_parsed_columns_are_the_per_cell_parsers(times: list[str], quantities: list[str], zone, formats) -> None:
    def at(text):
        return parse.parse_datetime(text, formats, zone)

    for column, parser in ((times, at), (quantities, parse.parse_quantity)):
        values, refused = parsed_column(column, parser)
        expected = [_refused(parser, text) for text in column]
        assert values == [value for value, _ in expected]
        assert refused == {i for i, (_, bad) in enumerate(expected) if bad}


@SETTINGS
@given(st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=15),
       st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 6), max_size=5),
       st.dictionaries(st.sampled_from(["a", "c", "f"]), st.sampled_from(["", "X", "dflt"]), max_size=3),
       st.integers(1, 10))
def test_columns_and_flags_are_those_of_each_row(rows, indexes, defaults, max_chars) -> None:
    rows = [tuple(r) for r in rows]
    columns = ColumnMap(indexes, defaults, {}, ())
    got, plain = columns_of(rows, indexes, defaults)
    expected = [columns.row(r) for r in rows]
    assert plain <= set(got)
    for column in plain:  # a column said plain: clean_text leaves each of its cells as it is
        assert all(clean_text(t) == t for t in got[column]) and all(t.isascii() for t in got[column])
        assert clean_column(got[column], True) == clean_column(got[column]) == [clean_text(t) or None for t in got[column]]
    assert set(got) == ({*indexes, *defaults} if rows else set(got))
    for i, values in enumerate(expected):
        assert {c: got[c][i] for c in values} == values
    flagged = flagged_rows(got, max_chars, plain)
    assert flagged == flagged_rows(got, max_chars)
    assert flagged == {i for i, values in enumerate(expected)
                       if any(len(v) > max_chars or first_control(v) is not None for v in values.values())}


# -- the outbound mapper ------------------------------------------------------------------------

TEXTS = st.one_of(st.sampled_from(["", "SKU-1", " sku  2 ", "ＳＫＵ－３", "WH1", "OC-1", "LOT-9", "remark é"]), CELL)
GOOD_TIMES = st.sampled_from(["", "2026-03-01T08:00:00+08:00", "2026-03-01T00:00:00Z", "2026-03-01 08:00:00+00:00",
                              "２０２６-03-01T08:00:00+08:00", "2026-03-01T08:00:00.250+08:00"])
GOOD_QUANTITIES = st.sampled_from(["1", "2", "1,200", "1.0", "１", "0"])


def mostly(good, anything):
    """Mostly values a clean file holds (so whole groups reach the comparison), sometimes anything."""
    return st.integers(0, 11).flatmap(lambda n: anything if n == 0 else good)


OUTBOUND_ROW = st.fixed_dictionaries({
    "wms_outbound_no": mostly(st.sampled_from(["OC-1", " OC-1", "ＯＣ－１"]), st.just("")),
    "warehouse_code": mostly(st.sampled_from(["WH1", "wh1"]), st.just("")),
    "outbound_type": TEXTS,
    "status": mostly(st.sampled_from(["", "SHIPPED", "delivered", "CANCELED", "on hold"]), st.just("weird")),
    "platform": mostly(st.sampled_from(["", "SHOPEE", "Lazada", "tiktok", "TTS"]),
                       st.sampled_from(["nowhere", "Shoppe", "shop ee!", "1688"])),  # (no adapter registered)
    "shop_id": TEXTS, "marketplace_order_id": TEXTS, "package_id": TEXTS, "carrier_code": TEXTS,
    "tracking_number": TEXTS, "first_mile_tracking_number": TEXTS, "created_at": mostly(GOOD_TIMES, DATETIMES),
    "shipped_at": mostly(GOOD_TIMES, DATETIMES), "delivered_at": mostly(GOOD_TIMES, DATETIMES),
    "weight_g": mostly(st.sampled_from(["", "180", "1,000"]), QUANTITIES), "remark": TEXTS,
    "sku": mostly(st.sampled_from(["SKU-1", " sku  2 ", "ＳＫＵ－３"]), TEXTS),
    "qty": mostly(GOOD_QUANTITIES, QUANTITIES), "order_line_ref": TEXTS, "stock_lot_id": TEXTS,
    "source_updated_at": mostly(GOOD_TIMES, DATETIMES),
})


@SETTINGS
@given(st.lists(OUTBOUND_ROW, min_size=1, max_size=4), st.sampled_from([None, "Asia/Kuala_Lumpur"]))
def test_an_outbound_group_of_ok_rows_maps_as_map_rows_maps_it(rows: list[dict], zone) -> None:
    options = ReadOptions(filename="f.csv", timezone=zone, owner_id="OWNER")
    canonical = [CanonicalRow(line, {k: v.strip() for k, v in row.items()}) for line, row in enumerate(rows, 2)]
    columns = {c: [r.values[c] for r in canonical] for c in canonical[0].values}
    owners = ["OWNER"] * len(rows)
    plain = {c for c, column in columns.items() if all(clean_text(t) == t and t.isascii() for t in column)}
    expected_keys = [outbound.record_key(r.values, "OWNER") for r in canonical]
    assert outbound_columns.record_keys(columns, owners) == expected_keys
    assert outbound_columns.record_keys(columns, owners, plain) == expected_keys
    read = outbound_columns.read_columns(columns, len(rows), options)
    assert outbound_columns.read_columns(columns, len(rows), options, plain) == read
    for i, row in enumerate(canonical):  # a row marked ok: the per-row mapper reports nothing about it
        if read.ok[i]:
            assert outbound.map_rows([row], options).problems == ()
    if not all(read.ok) or len({tuple(r.values.items()) for r in canonical}) < len(canonical):
        return  # such a group goes through map_rows itself
    result = outbound.map_rows(canonical, options)
    assert result.problems == () and result.record is not None
    aggregate = shipment_aggregate(result.record)
    columns, [[lines]] = outbound_columns.build_columns(read, owners, [(0, len(rows))], [f for _, f in SHIPMENT_HEADER],
                                                        [[f for _, f in SHIPMENT_LINE]])
    [head] = zip(*columns)
    assert dict(zip([c for c, _ in SHIPMENT_HEADER], head)) == {
        k: v for k, v in aggregate.values.items() if k != "content_hash"}
    assert [dict(zip([c for c, _ in SHIPMENT_LINE], line)) for line in lines] == aggregate.children[0][2]


# -- audit entries ------------------------------------------------------------------------------

VALUES = st.one_of(st.none(), st.text(max_size=8), st.integers(-10**6, 10**6), st.booleans(),
                   st.decimals(allow_nan=False, allow_infinity=False, places=3),
                   st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8))])),
                   st.dates())


@SETTINGS
@given(st.lists(st.tuples(st.text(max_size=6), VALUES, VALUES, st.sampled_from([None, Decimal("1.0"), Decimal("1")]),
                          st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8))]))),
                min_size=1, max_size=8))
def test_audit_entries_are_what_the_per_record_upsert_writes(rows) -> None:
    columns = ["owner_id", "a", "b", "c", "first_seen_at"]
    key = ("owner_id", "a")
    expected = []
    for row in rows:
        values = dict(zip(columns, row))
        expected.append((entity_key(values, key), values["owner_id"],
                         encode_columns({k: v for k, v in values.items() if k not in BOOKKEEPING})))
    assert audit_entries(columns, rows, key) == expected


# -- the facts Arrow finds (``plain_csv.column_facts``) ------------------------------------------

# BOM, NBSP, tabs, the ideographic space, controls, DEL, non-ASCII, doubled and edge spaces
EDGY = st.text(alphabet=st.sampled_from(list("aZ9 -_.:\t\n\r\x7f") + ["\ufeff", "\xa0", "\u3000", "\x00", "\x1c", "\x1f",
                                                                       "\x85", "é", "是", "\u2028"]), max_size=10)


@SETTINGS
@given(st.lists(st.lists(st.one_of(EDGY, st.text(max_size=8)), min_size=3, max_size=3), max_size=15),
       st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 3), max_size=3),
       st.dictionaries(st.sampled_from(["a", "f"]), st.sampled_from(["", "X", "dflt"]), max_size=2),
       st.integers(0, 10), st.integers(1, 3))
def test_arrow_facts_give_the_columns_and_flags_of_the_python_checks(rows, indexes, defaults, max_chars, pieces) -> None:
    """``column_facts`` (Arrow's kernels) agrees with the Python checks, and with them ``columns_of`` and
    ``flagged_rows`` give exactly what they give without them (the reader joins the facts of pieces)."""
    import pyarrow as pa

    from platform_adapters.tabular.columnar import FileColumns, _plain, short_columns
    from platform_adapters.tabular.plain_csv import _joined, block_facts, column_facts

    by_index = [list(column) for column in zip(*rows)] if rows else [[], [], []]
    facts = []
    for column in by_index:
        size = -(-len(column) // pieces) or 1
        parts = [column_facts(pa.array(column[at:at + size], pa.string())) for at in range(0, max(len(column), 1), size)]
        joined = parts[0]
        for part in parts[1:]:
            joined = _joined(joined, part)
        assert joined.plain == _plain(column)
        assert joined.longest >= max(map(len, column), default=0)
        facts.append(joined)
    cells = FileColumns(by_index, facts)
    assert cells == by_index and cells.facts == facts
    expected, expected_plain = columns_of(None, indexes, defaults, by_index)
    got, plain = columns_of(None, indexes, defaults, cells, facts)
    assert got == expected and plain == expected_plain
    tuples = [tuple(r) for r in rows]
    assert columns_of(tuples, indexes, defaults, None, facts) == (expected, expected_plain)
    short = short_columns(indexes, defaults, facts, max_chars)
    assert all(len(text) <= max_chars for column in short for text in got[column])
    assert flagged_rows(got, max_chars, plain, short) == flagged_rows(expected, max_chars)
    # a block's facts, found over all its columns at once (``block_facts``), are as true of each column
    block = block_facts([pa.array(column, pa.string()) for column in by_index])
    assert [fact.plain for fact in block] == [_plain(column) for column in by_index]
    assert all(fact.longest >= max(map(len, column), default=0) for fact, column in zip(block, by_index))
    assert columns_of(None, indexes, defaults, FileColumns(by_index, block), block) == (expected, expected_plain)
    short = short_columns(indexes, defaults, block, max_chars)
    assert all(len(text) <= max_chars for column in short for text in got[column])


# -- the chunk-at-once shortcuts -----------------------------------------------------------------

@st.composite
def grouped(draw):
    """Columns of values with gaps (None) and groups ``(start, end)`` of their rows, in order, some rows
    in none."""
    count = draw(st.integers(0, 12))
    columns = draw(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=count, max_size=count),
                            min_size=1, max_size=4))
    cuts = sorted(draw(st.sets(st.integers(0, count), max_size=count + 1)) | {0, count})
    groups = [(a, b) for a, b in zip(cuts, cuts[1:]) if draw(st.integers(0, 4))]
    return columns, groups


@SETTINGS
@given(grouped())
def test_group_columns_hold_each_columns_first_value_in_the_group(case) -> None:
    from platform_adapters.tabular.columnar import group_columns

    columns, groups = case
    assert group_columns(columns, groups) == [
        [next((v for v in column[start:end] if v is not None), None) for start, end in groups]
        for column in columns]


@SETTINGS
@given(grouped(), st.data())
def test_grouped_rows_read_as_each_groups_row_tuples(case, data) -> None:
    """``grouped_rows`` holds the groups' rows column by column and reads as a list of each group's row tuples
    (what the writers took before); ``pick`` and ``joined`` keep the groups they name, in that order, and
    ``columns``/``sizes`` are those rows column by column."""
    from platform_adapters.tabular.columnar import GroupedRows, grouped_rows

    columns, groups = case
    expected = [list(zip(*(column[start:end] for column in columns))) for start, end in groups]
    held = grouped_rows(columns, groups)
    assert list(held) == expected and list(held) == expected  # (iterated twice: the same)
    assert [held[i] for i in range(len(held))] == expected and held[-1:] == expected[-1:]
    assert held.sizes == [end - start for start, end in groups]
    assert [list(column) for column in held.columns] == [
        [value for start, end in groups for value in column[start:end]] for column in columns]
    picked = data.draw(st.lists(st.integers(0, len(groups) - 1), max_size=6)) if groups else []
    assert list(held.pick(picked)) == [expected[i] for i in picked]
    cut = data.draw(st.integers(0, len(groups)))
    parts = [grouped_rows(columns, groups[:cut]), grouped_rows(columns, groups[cut:])]
    assert list(GroupedRows.joined(parts)) == expected


@SETTINGS
@given(st.lists(st.text(max_size=6), max_size=12), st.data())
def test_span_hashes_are_the_raw_hash_of_each_span(texts, data) -> None:
    from platform_adapters.tabular.columnar import raw_hash_of_texts, span_hashes

    cuts = sorted(data.draw(st.sets(st.integers(0, len(texts)))) | {0, len(texts)})
    spans = [(a, b) for a, b in zip(cuts, cuts[1:])]
    prefixes = [data.draw(st.sampled_from(["p", "outbound/1.1\x1dq", "é"])) for _ in spans]
    assert span_hashes(texts, spans, prefixes) == [raw_hash_of_texts(prefix, texts[a:b])
                                                   for (a, b), prefix in zip(spans, prefixes)]


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["OC-1", "OC-2", "OC-3"]), st.sampled_from(["", "180", "1,000", "x"]),
                          st.sampled_from(["1", "2"])), min_size=1, max_size=9), st.data())
def test_outbound_records_built_together_are_those_built_one_by_one(rows, data) -> None:
    """``outbound_columns.build_columns`` over many groups (weights summed at once) gives each group what it gives
    for that group alone (which ``map_rows`` gives: the test above)."""
    options = ReadOptions(filename="f.csv", owner_id="OWNER")
    columns = {"wms_outbound_no": [r[0] for r in rows], "warehouse_code": ["WH1"] * len(rows),
               "weight_g": [r[1] for r in rows], "qty": [r[2] for r in rows], "sku": ["SKU-1"] * len(rows)}
    read = outbound_columns.read_columns(columns, len(rows), options)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(rows)))) | {0, len(rows)})
    groups = [(a, b) for a, b in zip(cuts, cuts[1:]) if data.draw(st.booleans())]
    header, line = [f for _, f in SHIPMENT_HEADER], [f for _, f in SHIPMENT_LINE]
    owners = ["OWNER"] * len(rows)
    columns, [lines] = outbound_columns.build_columns(read, owners, groups, header, [line])
    alone = [outbound_columns.build_columns(read, owners, [group], header, [line]) for group in groups]
    heads, alone_heads = list(zip(*columns)), [list(zip(*cs)) for cs, _ in alone]  # (a tuple per record)
    assert heads == [h for (h,) in alone_heads] and list(lines) == [ls for _, [(ls,)] in alone]


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(["", "a", "SHIPPED", "é"]), st.text(max_size=5)), max_size=40))
def test_arrow_cells_are_the_arrays_texts(cells) -> None:
    """``plain_csv._cells`` (a column of few texts made from one str per text) is ``to_pylist``."""
    import pyarrow as pa

    from platform_adapters.tabular.plain_csv import _cells

    array = pa.array(cells, pa.string())
    got = _cells(array)
    assert got == cells and all(type(text) is str for text in got)
    assert _cells(array.slice(len(cells) // 2)) == cells[len(cells) // 2:]
    shared = [True, True]  # (a column found of many texts is read without encoding: the same texts)
    assert [_cells(array, shared, 1) for _ in range(2)] == [cells, cells] and shared[0]


#: ports: UN/LOCODEs as written (spaced, lower case, full width) and texts that are not one
PORTS = st.one_of(st.sampled_from(["MYPKG", "my pkg", " MY PKG ", "ＭＹＰＫＧ", "MY1", "PORT KLANG", "MYPK0", "SG SIN", ""]),
                  st.from_regex(r"[A-Za-z]{2} ?[A-Za-z2-9]{3}", fullmatch=True), CELL)


@SETTINGS
@given(st.lists(PORTS, max_size=30))
def test_a_unlocode_column_is_the_per_cell_rule(column: list[str]) -> None:
    """Each cell's value as ``RowView.unlocode`` reads it, and flagged exactly where it reports one."""
    from platform_adapters.tabular.columnar import unlocode_column

    values, flagged = unlocode_column(column)
    views = [RowView(CanonicalRow(1, {"c": t}), ReadOptions()) for t in column]
    assert values == [view.unlocode("c") for view in views]
    assert {value for value, view in zip(values, views) if view.problems} == flagged
    assert all(not view.problems for value, view in zip(values, views) if value not in flagged)


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.sampled_from(["MYR", "USD", "usd", "MYRX", "US", "12", "ＵＳＤ", "", "ÀBC"]),
                          st.text(max_size=4)), max_size=12))
def test_refused_currencies_are_those_money_refuses(codes: list) -> None:
    from fx.money import Money
    from platform_adapters.tabular.columnar import refused_currencies

    def refuses(code) -> bool:
        try:
            Money(Decimal("12.50"), code)
        except ValueError:
            return True
        return False

    assert refused_currencies(codes) == {code for code in codes if refuses(code)}


@SETTINGS
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=1, max_size=5), max_size=6))
def test_line_numbers_and_their_repeats_are_the_per_record_rule(records: list[list]) -> None:
    """A record's line numbers (stated, else the row's place) and the rows marked for repeating one: those
    ``map_rows`` numbers and rejects (a number met twice marks both rows; the per-row mapper reports the later)."""
    from platform_adapters.tabular.columnar import ChunkValues, check_line_numbers, line_numbers
    from platform_adapters.tabular.rows import line_number

    stated = [number for record in records for number in record]
    starts = [0]
    for record in records:
        starts.append(starts[-1] + len(record))
    groups = list(zip(starts, starts[1:]))
    values = ChunkValues({"line_no": stated}, [True] * len(stated))
    check_line_numbers(values, starts)
    expected_numbers, expected_ok = [], []
    for record in records:
        numbers = [line_number(number, 0, index) for index, number in enumerate(record, 1)]
        expected_numbers.extend(numbers)
        expected_ok.extend(numbers.count(number) == 1 for number in numbers)
    assert line_numbers(stated, groups) == expected_numbers
    assert values.ok == expected_ok
