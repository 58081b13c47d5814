"""``copy_text`` (a batch's COPY data built column by column) stores exactly what psycopg's
``write_row`` stores, on arbitrary values of the types it writes, and so does the text built before the
COPY but for a leading id column and columns written alike (``prepare``, ``led_text``); other types are
left to ``write_row``."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.store.copy_text import column_text, copy_layout, copy_pieces, copy_text, led_text, one_text, prepare
from aggregator.store.jsonutil import EncodedJSON

# text without NUL (no PostgreSQL text holds one) and without lone surrogates (not UTF-8)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30))])
INSTANT = st.builds(lambda when, zone: when.replace(tzinfo=timezone.utc).astimezone(zone),
                    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)), ZONES)
DECIMAL = st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**9, max_value=10**9)
COLUMNS = (("t", "text", TEXT), ("n", "bigint", st.integers(-2**62, 2**62)), ("ts", "timestamptz", INSTANT),
           ("d", "date", st.dates(min_value=date(1, 1, 1))), ("x", "numeric", DECIMAL), ("b", "boolean", st.booleans()))
ROWS = st.lists(st.tuples(*(st.none() | values for _, _, values in COLUMNS)), min_size=1, max_size=8)


def _stored(connection, rows: list[tuple], by_text: bool | str) -> list[tuple]:
    names = ", ".join(name for name, _, _ in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS copied (seq integer, "
                       + ", ".join(f"{name} {kind}" for name, kind, _ in COLUMNS) + ")")
        cursor.execute("TRUNCATE copied")
        if by_text == "ready":  # as ``bulk._copy`` writes a text built before: the id (seq) given then
            prepared = prepare(list(zip(*rows)))
            listed = ", ".join(["seq", *(COLUMNS[i][0] for i in prepared.order)])
            with cursor.copy(f"COPY copied ({listed}) FROM STDIN") as copy:
                copy.write(led_text(prepared, list(range(len(rows)))))
        elif by_text:  # as ``bulk._copy`` writes them: one-text columns last, a slice at a time
            columns = [range(len(rows)), *zip(*rows)]
            order, varying, tail = copy_layout(columns)
            listed = ", ".join(["seq", *(name for name, _, _ in COLUMNS)][i] for i in order)
            with cursor.copy(f"COPY copied ({listed}) FROM STDIN") as copy:
                for _, _, piece in copy_pieces([columns[i] for i in order[:varying]], tail, rows=3):
                    assert piece is not None
                    copy.write(piece)
        else:
            with cursor.copy(f"COPY copied (seq, {names}) FROM STDIN") as copy:
                for seq, row in enumerate(rows):
                    copy.write_row((seq, *row))
        cursor.execute(f"SELECT {names}, x::text, ts::text FROM copied ORDER BY seq")
        return cursor.fetchall()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_copy_text_stores_what_write_row_stores(pg_engine, rows: list[tuple]) -> None:
    _stored_alike(pg_engine, rows)


def _stored_alike(pg_engine, rows: list[tuple]) -> None:
    raw = pg_engine.raw_connection()
    try:
        connection = raw.driver_connection
        written = repr(_stored(connection, rows, by_text=False))  # (by repr: NaN is not equal to itself)
        assert repr(_stored(connection, rows, by_text=True)) == written
        assert repr(_stored(connection, rows, by_text="ready")) == written
        connection.rollback()
    finally:
        raw.close()


def test_escapes_nulls_and_equal_instants_at_other_offsets() -> None:
    noon = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    assert column_text(["a\tb", None, "c\\d\n", "e\r"]) == ["a\\tb", "\\N", "c\\\\d\\n", "e\\r"]
    assert column_text([noon, noon.astimezone(timezone(timedelta(hours=8))), None]) == [
        "2026-03-01 12:00:00+00", "2026-03-01 20:00:00+08:00", "\\N"]
    assert column_text([Decimal("1.0"), Decimal("1.00")]) == ["1.0", "1.00"]
    assert column_text([True, None, False]) == ["t", "\\N", "f"]
    assert copy_text([[1, 2], ["x", None]]) == "1\tx\n2\t\\N\n"


@given(rows=st.lists(st.tuples(st.none() | TEXT, st.none() | st.integers(-5, 5)), max_size=9),
       size=st.integers(1, 4))
def test_pieces_joined_are_the_whole_text(rows: list[tuple], size: int) -> None:
    columns = [range(len(rows)), *zip(*rows)] if rows else [range(0), (), ()]
    pieces = list(copy_pieces(columns, rows=size))
    assert [(start, end) for start, end, _ in pieces] == [(s, min(s + size, len(rows))) for s in range(0, len(rows), size)]
    assert "".join(text for _, _, text in pieces) == (copy_text(columns) if rows else "")
    if rows:  # one-text columns moved last: each line is the rows' line in that order
        order, varying, tail = copy_layout(columns)
        lines = "".join(text for _, _, text in copy_pieces([columns[i] for i in order[:varying]], tail, rows=size))
        assert lines == copy_text([columns[i] for i in order])


@given(rows=st.lists(st.tuples(st.none() | TEXT, st.none() | st.integers(-5, 5), st.sampled_from(["WH1", "WH\t2"])),
                     max_size=9),
       more=st.lists(st.none() | TEXT | st.integers(), max_size=2))
def test_a_text_built_before_is_the_text_built_at_once(rows: list[tuple], more: list) -> None:
    """``led_text`` of ``prepare``'s rows, led by ids and ended by further columns written alike, is
    ``copy_text`` of those columns in ``prepare``'s order."""
    columns = [list(column) for column in zip(*rows)] if rows else [[], [], []]
    prepared = prepare(columns)
    ids = list(range(7, 7 + len(rows)))
    ordered = [ids, *(columns[i] for i in prepared.order), *([value] * len(rows) for value in more)]
    tails = [one_text([value]) for value in more]
    assert led_text(prepared, ids, tails) == copy_text(ordered)
    assert led_text(prepared, None, tails) == copy_text(ordered[1:])
    assert prepare([]) is None and prepare([[1], [timedelta(1)]]) is None


def test_one_text_only_where_every_value_writes_alike() -> None:
    noon = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    assert one_text(["WH1", "WH" + "1"]) == "WH1" and one_text([None, None]) == "\\N"
    assert one_text([1, True]) is None and one_text([Decimal("1.0"), Decimal("1.00")]) is None
    assert one_text([noon, noon.astimezone(timezone(timedelta(hours=8)))]) is None
    assert one_text([noon] * 3) == "2026-03-01 12:00:00+00" and one_text(["a\tb"] * 2) == "a\\tb"
    assert one_text([EncodedJSON("{}")] * 2) is None
    assert copy_layout([[1, 2], ["x", "x"], [None, None]]) == ([0, 1, 2], 1, "x\t\\N")
    assert copy_layout([["x", "x"], [3, 3]]) == ([0, 1], 1, "3")


def _fresh(value):
    """An equal value that is another object (a copy a column's values would hold), where the type allows."""
    if isinstance(value, str) and len(value) > 1:
        return "".join([*value])
    if type(value) is int:
        return int(str(value))
    if type(value) is date:
        return date.fromordinal(value.toordinal())
    return value


@given(st.lists(st.tuples(st.sampled_from(["WH1", "WH2", "", None, 10**20, 10**20 + 1, 1, True, 1.0,
                                           date(2026, 3, 1), Decimal("1.0"), Decimal("1.00")]), st.booleans()),
                min_size=1, max_size=12))
def test_one_text_is_the_text_every_value_writes_alike(drawn: list) -> None:
    """``one_text``: the text when every value is one object, or equal values of one type (str, int, date)
    whose equal values write alike, else None, for values that are copies or the same objects."""
    values = [_fresh(value) if copy else value for value, copy in drawn]
    first = values[0]
    same = all(value is first for value in values)
    alike = same or (type(first) in (str, int, date) and values.count(first) == len(values)
                     and len(set(map(type, values))) == 1)
    text = column_text([first]) if alike else None
    assert one_text(values) == (None if text is None else text[0])


def test_types_it_does_not_write_are_left_to_write_row() -> None:
    assert column_text([EncodedJSON('{"a": 1}')]) is None
    assert column_text([1, "1"]) is None
    assert column_text([1.5]) is None
    assert copy_text([[1], [timedelta(1)]]) is None


def test_the_two_instants_of_an_ambiguous_local_time_stored_apart(pg_engine) -> None:
    """01:30 on the night DST ends in New York, fold 0 (EDT) and fold 1 (EST): two instants an hour
    apart that Python holds equal (one zone: compared by wall time). COPY text keeps their offsets, as
    ``write_row`` does (a cache keyed by the value alone wrote both with the first one's)."""
    from zoneinfo import ZoneInfo

    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    second = first.replace(fold=1)
    assert column_text([first, second]) == ["2026-11-01 01:30:00-04:00", "2026-11-01 01:30:00-05:00"]
    _stored_alike(pg_engine, [("a", None, first, None, None, None), ("b", None, second, None, None, None)])


# wider values than ``COLUMNS``': decimals with exponents, infinities, NaN and sNaN (a signed NaN is refused by
# the server however written), offsets to the second, texts with characters beyond the BMP and long ones
WIDE_DECIMAL = st.decimals(allow_nan=True, allow_infinity=True).filter(lambda d: not (d.is_nan() and d.is_signed()))
WIDE_ZONE = st.builds(lambda seconds: timezone(timedelta(seconds=seconds)), st.integers(-14 * 3600, 14 * 3600))
WIDE_INSTANT = st.builds(lambda when, zone: when.replace(tzinfo=timezone.utc).astimezone(zone),
                         st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)), WIDE_ZONE)
WIDE_TEXT = TEXT | st.text(st.sampled_from("a\\\t\n\r\U0001F600é"), min_size=500, max_size=3000)
WIDE_ROWS = st.lists(st.tuples(st.none() | WIDE_TEXT, st.none() | st.integers(-2**62, 2**62), st.none() | WIDE_INSTANT,
                               st.none() | st.dates(min_value=date(1, 1, 1)), st.none() | WIDE_DECIMAL,
                               st.none() | st.booleans()), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=WIDE_ROWS)
def test_wider_values_stored_as_write_row_stores_them(pg_engine, rows: list[tuple]) -> None:
    """The text built at once and the text built before store what ``write_row`` stores for any decimal the
    server takes (``sNaN`` written ``NaN``, as psycopg writes it), any offset and long or non-BMP texts."""
    _stored_alike(pg_engine, rows)


def test_a_signalling_nan_is_written_as_psycopg_writes_it() -> None:
    assert column_text([Decimal("sNaN"), Decimal("NaN"), None]) == ["NaN", "NaN", "\\N"]
