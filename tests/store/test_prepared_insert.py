"""The prepared inserts' shortcuts convert values exactly as the columns' own bind processors do."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
import pytest

from aggregator.store.db import create_engine_for
from aggregator.store.models import OrderRow
from aggregator.store.prepared_insert import converted_rows, converters

DIALECTS = {"sqlite": create_engine_for("sqlite://").dialect,
            "postgresql": create_engine_for("postgresql+psycopg://postgres@127.0.0.1:5432/test").dialect}
moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8)),
                                                  timezone(timedelta(hours=-5, minutes=-30))]))
amounts = st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1e15"), max_value=Decimal("1e15"))


def general(dialect, column: str):
    return OrderRow.__table__.c[column].type.dialect_impl(dialect).bind_processor(dialect)


def fast(dialect, column: str):
    [(_, process)] = converters(dialect, OrderRow.__table__, [column])
    return process


@pytest.mark.parametrize("name", sorted(DIALECTS))
@given(moment=moments, amount=amounts)
def test_shortcuts_equal_the_bind_processors(name, moment, amount) -> None:
    dialect = DIALECTS[name]
    for value in (moment, moment.astimezone(timezone.utc), None):
        assert fast(dialect, "ordered_at")(value) == general(dialect, "ordered_at")(value)
    for value in (amount, None, 7):
        assert fast(dialect, "total_amount")(value) == general(dialect, "total_amount")(value)


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_shortcuts_refuse_what_the_columns_refuse(name) -> None:
    dialect = DIALECTS[name]
    with pytest.raises(ValueError):
        fast(dialect, "ordered_at")(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        fast(dialect, "total_amount")(Decimal("NaN"))
    with pytest.raises(TypeError):
        fast(dialect, "total_amount")(1.5)


@pytest.mark.parametrize("name", sorted(DIALECTS))
@given(rows=st.lists(st.tuples(st.one_of(st.none(), amounts, st.integers(-10**6, 10**6)), st.one_of(st.none(), moments)),
                     max_size=12))
def test_a_batch_converts_as_the_bind_processors_convert_each_value(name, rows) -> None:
    """A batch's columns converted at once (amounts inline, equal instants once) are the values one by one."""
    dialect = DIALECTS[name]
    expected = [(general(dialect, "total_amount")(amount), general(dialect, "ordered_at")(moment))
                for amount, moment in rows]
    assert converted_rows(dialect, OrderRow.__table__, ["total_amount", "ordered_at"], rows) == expected


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_a_batch_refuses_what_the_column_refuses(name) -> None:
    dialect = DIALECTS[name]
    for bad, error in ((Decimal("NaN"), ValueError), (1.5, TypeError)):
        with pytest.raises(error):
            converted_rows(dialect, OrderRow.__table__, ["total_amount"], [(Decimal("1.5"),), (bad,)])


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_a_batch_keeps_the_two_instants_of_an_ambiguous_local_time(name) -> None:
    """01:30 on the night DST ends in New York is two instants (fold 0: EDT, fold 1: EST) that Python
    holds equal (same zone: compared by wall time), so a cache keyed by the value alone stored the second
    as the first, an hour off. Each converts as the bind processor converts it."""
    from zoneinfo import ZoneInfo

    dialect = DIALECTS[name]
    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    rows = [(None, first), (None, first.replace(fold=1))]
    converted = converted_rows(dialect, OrderRow.__table__, ["total_amount", "ordered_at"], rows)
    assert converted == [(None, general(dialect, "ordered_at")(moment)) for _, moment in rows]
    assert converted[0] != converted[1]


def _literal_table():
    """A table whose columns have the SQLite affinities the models use (TEXT, NUMERIC for instants, INTEGER),
    created in a fresh in-memory database: (table, engine)."""
    import sqlalchemy as sa

    from aggregator.store.types import UTCDateTime

    table = sa.Table("literal_check", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("t", sa.String(64)), sa.Column("n", sa.Integer), sa.Column("at", UTCDateTime),
                     sa.Column("x", sa.Text))
    engine = create_engine_for("sqlite://")
    table.metadata.create_all(engine)
    return table, engine


CELLS = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["'", "a'b''", "12", "1.5", "-0", " 7 ", "é", "\x00x",
                                                                   "\n", "\x85", "2026-01-01 00:00:00"]),
                  st.integers(-2**64, 2**64), st.booleans(), st.floats(allow_nan=False), st.binary(max_size=3))


@given(value=st.tuples(CELLS, CELLS, st.one_of(st.none(), moments), CELLS), others=st.lists(
    st.tuples(CELLS, CELLS, st.one_of(st.none(), moments), CELLS), max_size=2), copies=st.sampled_from([1, 63, 64, 70, 129]))
def test_constant_columns_bound_once_store_what_binding_each_row_stores(value, others, copies) -> None:
    """``sqlite_insert`` binds a batch's constant columns once per statement (NULL written in it): each row
    reads back with the same values and storage classes as the plain prepared INSERT binding every value
    stores (or both refuse the batch)."""
    from aggregator.store.prepared_insert import _statement, converted_rows, sqlite_insert

    table, engine = _literal_table()
    dialect = engine.dialect
    columns = ["t", "n", "at", "x"]
    rows = [value] * copies + others
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        outcomes = []
        for how in ("bound", "shared"):
            cursor.execute("DELETE FROM literal_check")
            try:
                if how == "bound":
                    cursor.executemany(_statement(dialect, table, columns, "?"), converted_rows(dialect, table, columns, rows))
                else:
                    assert sqlite_insert(dialect, table, columns, rows).run(cursor) == len(rows)
            except Exception as exc:  # noqa: BLE001 (both ways must refuse alike)
                outcomes.append(type(exc).__name__)
                continue
            outcomes.append(cursor.execute("SELECT typeof(t), t, typeof(n), n, typeof(at), at, typeof(x), x "
                                           "FROM literal_check ORDER BY id").fetchall())
        assert outcomes[0] == outcomes[1]
    finally:
        raw.close()
        engine.dispose()


POOL = st.lists(st.tuples(st.one_of(st.none(), amounts, st.sampled_from([Decimal("1.0"), Decimal("1.00"), Decimal("-0")])),
                          st.one_of(st.none(), st.dates())), min_size=1, max_size=4)


@pytest.mark.parametrize("name", sorted(DIALECTS))
@given(pool=POOL, picks=st.lists(st.integers(0, 3), min_size=1, max_size=40))
def test_a_column_of_repeated_objects_converts_as_each_value_does(name, pool, picks) -> None:
    """Values repeated as one object (each distinct text parsed once) are converted once per object: the
    same as converting each value, equal decimals of other exponents (``1.0``, ``1.00``) kept apart."""
    from aggregator.store.models.warehouse import StockSnapshotRow

    dialect = DIALECTS[name]
    table = StockSnapshotRow.__table__
    rows = [pool[i % len(pool)] for i in picks] + [(Decimal("1.0"), None), (Decimal("1.00"), None)]
    columns = ["unit_landed_cost", "expiry_date"]
    processes = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v) for c in columns]
    expected = [tuple(process(value) for process, value in zip(processes, row)) for row in rows]
    assert converted_rows(dialect, table, columns, rows) == expected


@given(rows=st.lists(st.tuples(st.text(max_size=3), st.one_of(st.none(), moments), st.booleans()), max_size=140),
       extra=st.sampled_from([(), ("x",), ("x", None), ("x", datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=8))))]))
def test_an_insert_of_columns_binds_what_the_insert_of_rows_binds(rows, extra) -> None:
    """``sqlite_insert`` of values held column by column (``cells``) and constant trailing columns
    (``extra``, converted once: an instant): the statement and parameters of the same rows given as tuples,
    the constants in each."""
    import sqlalchemy as sa

    from aggregator.store.prepared_insert import sqlite_insert
    from aggregator.store.types import UTCDateTime

    table = sa.Table("columns_check", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("t", sa.String(8)), sa.Column("at", UTCDateTime), sa.Column("b", sa.Boolean),
                     sa.Column("c1", sa.String(8)), sa.Column("c2", UTCDateTime))
    dialect = DIALECTS["sqlite"]
    columns = ["t", "at", "b", "c1", "c2"][:3 + len(extra)]
    whole = [row + extra for row in rows]
    cells = [list(column) for column in zip(*rows)] if rows else [[], [], []]
    def bound(insert):
        return insert.many, insert.params, insert.one, insert.rest

    assert bound(sqlite_insert(dialect, table, columns, rows, extra=extra, cells=cells)) == \
        bound(sqlite_insert(dialect, table, columns, whole))
    assert bound(sqlite_insert(dialect, table, columns, rows, extra=extra)) == bound(sqlite_insert(dialect, table, columns, whole))


@pytest.mark.parametrize("name", sorted(DIALECTS))
@given(pool=st.lists(st.one_of(st.none(), moments), min_size=1, max_size=4), picks=st.lists(st.integers(0, 5), max_size=40),
       fold=st.booleans())
def test_a_column_of_repeated_instants_converts_as_each_value_does(name, pool, picks, fold) -> None:
    """Instants repeated as one object (each distinct text parsed once) are converted once per object, and
    a column of mostly distinct objects once per instant: either way as each value converts alone, the
    two instants of an ambiguous local time (equal in Python) kept apart."""
    from zoneinfo import ZoneInfo

    from aggregator.store.models.warehouse import StockSnapshotRow

    dialect = DIALECTS[name]
    ambiguous = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    pool = [*pool, ambiguous, ambiguous.replace(fold=1)]
    values = [pool[i % len(pool)] for i in picks] + ([ambiguous.replace(fold=int(fold))] if fold else [])
    process = general(dialect, "ordered_at")
    assert converted_rows(dialect, StockSnapshotRow.__table__, ["snapshot_at"], [(v,) for v in values]) == \
        [(None if v is None else process(v),) for v in values]


@pytest.mark.parametrize("refused_at", [0, 40, 63, 64, 150, 199])
def test_a_refused_row_stops_the_insert_and_a_savepoint_undoes_it(refused_at) -> None:
    """``sqlite_insert``'s statements are ``INSERT OR FAIL`` (no statement journal): a row the table refuses
    (NOT NULL here) raises, the rows before it stay until the caller's SAVEPOINT is rolled back, which
    leaves the table as it was; the conflict target still skips a stored key."""
    import sqlite3

    import sqlalchemy as sa

    from aggregator.store.prepared_insert import sqlite_insert

    table = sa.Table("fail_check", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("k", sa.String(8), nullable=False, unique=True), sa.Column("v", sa.String(8), nullable=False),
                     sa.Column("c", sa.String(8)))
    engine = create_engine_for("sqlite://")
    table.metadata.create_all(engine)
    dialect = engine.dialect
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        cursor = connection.cursor()
        cursor.execute("INSERT INTO fail_check (k, v) VALUES ('stored', 'x')")
        rows = [(f"k{i}", None if i == refused_at else f"v{i}", "same") for i in range(200)]
        rows[10] = ("stored", "y", "same")  # (a stored key: skipped by the conflict target)
        cursor.execute("SAVEPOINT batch")
        with pytest.raises(sqlite3.IntegrityError):
            sqlite_insert(dialect, table, ["k", "v", "c"], rows, " ON CONFLICT (k) DO NOTHING").run(cursor)
        kept = cursor.execute("SELECT count(*) FROM fail_check").fetchone()[0]
        assert kept == 1 + refused_at - (refused_at > 10)  # (the rows before the refused one, the stored key not twice)
        cursor.execute("ROLLBACK TO batch")
        cursor.execute("RELEASE batch")
        assert cursor.execute("SELECT k, v FROM fail_check").fetchall() == [("stored", "x")]
        rows[refused_at] = (f"k{refused_at}", "v", "same")
        assert sqlite_insert(dialect, table, ["k", "v", "c"], rows, " ON CONFLICT (k) DO NOTHING").run(cursor) == 199
        assert cursor.execute("SELECT v FROM fail_check WHERE k = 'stored'").fetchone() == ("x",)
    finally:
        raw.close()
        engine.dispose()


def test_batches_of_one_shape_share_one_statement_text() -> None:
    """Two batches whose constant columns hold other values (a batch's time, its audit batch id) run the
    same statement text, which sqlite3 prepares once; their rows store their own constants."""
    import sqlalchemy as sa

    from aggregator.store.prepared_insert import sqlite_insert
    from aggregator.store.types import UTCDateTime

    table = sa.Table("shape_check", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("t", sa.String(8)), sa.Column("at", UTCDateTime), sa.Column("n", sa.Integer),
                     sa.Column("x", sa.String(8)))
    engine = create_engine_for("sqlite://")
    table.metadata.create_all(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        texts = set()
        for batch, at in enumerate((datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 3, 2, 8, tzinfo=timezone.utc))):
            rows = [(f"r{batch}-{i}", at, batch, None) for i in range(130)]
            insert = sqlite_insert(engine.dialect, table, ["t", "at", "n", "x"], rows)
            texts.add(insert.many)
            assert insert.run(cursor) == 130
        assert len(texts) == 1
        assert cursor.execute("SELECT n, at, count(*), count(x) FROM shape_check GROUP BY n ORDER BY n").fetchall() == [
            (0, "2026-03-01 00:00:00.000000", 130, 0), (1, "2026-03-02 08:00:00.000000", 130, 0)]
    finally:
        raw.close()
        engine.dispose()
