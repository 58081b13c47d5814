"""Cell parsers, header building and the streaming reader: property tests and edge cases."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platform_adapters.canonical.identifiers import to_fullwidth
from platform_adapters.tabular import TableLayout, TabularError, open_table
from platform_adapters.tabular.header import build_header
from platform_adapters.tabular.values import (
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_quantity,
)


@given(st.integers(min_value=0, max_value=10**15))
def test_quantity_round_trips_plain_grouped_and_fullwidth(n):
    assert parse_quantity(str(n)) == n
    assert parse_quantity(f"{n:,}") == n
    assert parse_quantity(to_fullwidth(str(n))) == n
    assert parse_quantity(f" {n}.0 ") == n


@given(st.integers(min_value=1, max_value=10**12))
def test_negative_quantities_are_refused(n):
    with pytest.raises(ValueError, match="negative"):
        parse_quantity(f"-{n}")


@given(st.text())
def test_quantity_parser_is_total(text):
    try:
        value = parse_quantity(text)
    except ValueError:
        return
    assert value is None or (isinstance(value, int) and value >= 0)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**9, max_value=10**9))
def test_decimal_parser_is_exact(value):
    assert parse_decimal(str(value)) == value


@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.timezone(dt.timedelta(hours=8)))))
def test_offset_datetimes_become_the_same_instant_in_utc(value):
    parsed = parse_datetime(value.isoformat())
    assert parsed == value and parsed.utcoffset() == dt.timedelta(0)


def test_local_time_uses_the_declared_zone_and_never_guesses():
    assert parse_datetime("2026-03-15 09:12:00", timezone="Asia/Kuala_Lumpur") == dt.datetime(2026, 3, 15, 1, 12, tzinfo=dt.UTC)
    assert parse_datetime("15/03/2026 09:12", ("%d/%m/%Y %H:%M",), "Asia/Shanghai").hour == 1
    with pytest.raises(ValueError, match="without a time zone"):
        parse_datetime("2026-03-15 09:12:00")


def test_dates_and_booleans():
    assert parse_date("2026/03/02", ("%Y/%m/%d",)) == dt.date(2026, 3, 2)
    assert parse_date("2026-03-12T14:40:00+08:00") == dt.date(2026, 3, 12)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("2026-02-30")
    assert parse_bool("是") is True and parse_bool("false") is False and parse_bool("") is None
    assert parse_bool("oui", ("oui",)) is True
    with pytest.raises(ValueError):
        parse_bool("perhaps")


def test_header_with_horizontal_and_vertical_merges():
    top = ("Doc", "", "Mode", "Box", "", "PO")
    sub = ("No.", "Type", "", "No.", "Seal", "")
    assert build_header([top, sub]) == ("Doc No.", "Doc Type", "Mode", "Box No.", "Box Seal", "PO")


def test_header_vertical_cell_does_not_leak_into_the_next_group():
    top = ("Shipper", "", "")
    sub = ("", "Ref", "Seal")
    assert build_header([top, sub]) == ("Shipper", "Ref", "Seal")


@given(st.lists(st.text(alphabet="abcXYZ 12", max_size=6), min_size=1, max_size=8))
def test_single_header_row_keeps_every_named_column(names):
    header = build_header([tuple(names)])
    assert len(header) <= len(names)
    assert [h for h in header if h] == [" ".join(n.split()) for n in names[:len(header)] if n.strip()]


def test_utf8_bom_is_tolerated(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffsku,qty\nA,1\n".encode("utf-8"))
    reader = open_table(path, TableLayout(encoding="utf-8"))
    assert reader.header == ("sku", "qty")
    assert [r.cells for chunk in reader.chunks() for r in chunk] == [("A", "1")]


def test_chunks_are_bounded_and_lines_are_physical(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("a,b\n" + "".join(f"{i},\"x\ny\"\n" for i in range(25)), encoding="utf-8")
    chunks = list(open_table(path, chunk_rows=10).chunks())
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert [r.line for r in chunks[0][:3]] == [2, 4, 6]  # quoted newlines take two physical lines


def test_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("this is not a zip", encoding="utf-8")
    with pytest.raises(TabularError, match="not a readable XLSX workbook"):
        open_table(path)


@given(st.permutations(list(range(20))), st.sampled_from(["upper", "fullwidth", "spaced"]))
def test_profile_application_ignores_column_order_case_and_width(order, style):
    from platform_adapters.profiles import KINDS
    from platform_adapters.tabular.columns import ColumnMap

    kind = KINDS["outbound"]
    names = list(kind.standard_columns)
    cells = tuple(f"v{i}" for i in range(len(names)))
    styled = {"upper": str.upper, "fullwidth": to_fullwidth, "spaced": lambda n: f"  {n} "}[style]
    header = tuple(styled(names[i]) for i in order)
    shuffled = tuple(cells[i] for i in order)
    columns = ColumnMap.build(header, known=kind.all_columns, required=kind.required, mapping={}, defaults={},
                              location="x.csv")
    row = columns.row(shuffled)
    assert {name: row[name] for name in names} == dict(zip(names, cells, strict=True))
