"""PostgreSQL: ``bulk._stored_positions`` reads a batch's stored keys as ranges of the table's unique index (one
per group of keys of one owner, the index's first column, all in one round trip) and answers exactly what seeking
each key alone answers: the stored hash of each position whose key is stored (texts equal as written, instants
equal as instants whatever their offset), nothing for the others. A range holding many more stored rows than
the group has keys (a sparse batch), or read back in another order than Python's (a column in a collation
other than "C"), has its keys sought one by one. (The plan of the range read: ``test_stored_keys_seek``.)"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, MetaData, String, Table, UniqueConstraint, insert

from aggregator.ingest import bulk
from aggregator.ingest.bulk import NewRows, _stored_positions
from aggregator.ingest.writers import STOCK_KEY
from aggregator.store.models.warehouse import StockSnapshotRow

TABLE = StockSnapshotRow.__table__
AT = datetime(2026, 3, 31, 15, 59, 59, tzinfo=UTC)


class CursorProxy:
    """A psycopg cursor's results and connection passed through, for a proxy that notes or explains what
    ``bulk._stored_positions`` sends (``execute``, ``executemany`` its own)."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def fetchall(self):
        return self.cursor.fetchall()

    def nextset(self):
        return self.cursor.nextset()

    @property
    def connection(self):
        return self.cursor.connection


class _Recording(CursorProxy):
    """A cursor that notes each statement it runs: ("range", number of ranges) or ("seek", number of keys)."""

    def __init__(self, cursor) -> None:
        self.cursor, self.statements = cursor, []

    def execute(self, query: str, params=None):
        self.statements.append(("seek" if "unnest(" in query else query, params[0].count("\x1f")))
        return self.cursor.execute(query, params)

    def executemany(self, query: str, params_seq, returning: bool = False):
        params_seq = list(params_seq)
        assert ") <= (" in query and "LIMIT %s" in query, query
        self.statements.append(("range", len(params_seq)))
        return self.cursor.executemany(query, params_seq, returning=returning)


def _store(engine: Engine, rows: dict[tuple, str], table: Table = TABLE, key: tuple[str, ...] = STOCK_KEY) -> None:
    extra = {"sku": "S"} if table is TABLE else {}
    with engine.begin() as conn:
        conn.execute(insert(table), [{**dict(zip(key, k)), "content_hash": h, **extra} for k, h in rows.items()])


def _answer(engine: Engine, keys: list[tuple], table: Table = TABLE,
            key: tuple[str, ...] = STOCK_KEY) -> tuple[dict[int, str] | None, list]:
    new = NewRows(table, key, list(key), keys, [])
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            recording = _Recording(cursor)
            found = _stored_positions(recording, engine.dialect, new)
            assert raw.execute("SHOW enable_sort").fetchone()[0] == "on"  # (as it was before the ranges)
            assert raw.execute("SHOW enable_incremental_sort").fetchone()[0] == "on"
        raw.rollback()
    return found, recording.statements


def _expected(stored: dict[tuple, str], keys: list[tuple]) -> dict[int, str]:
    return {i: stored[k] for i, k in enumerate(keys) if k in stored}


def _lot(owner: str, lot: str, warehouse: str = "WH1", at: datetime = AT) -> tuple:
    return (owner, at, lot, warehouse)  # (``STOCK_KEY``'s order: owner, time, lot, warehouse)


def test_a_batch_of_stored_and_new_keys_is_read_as_one_range(pg_engine: Engine) -> None:
    stored = {_lot("L", f"LOT-{i:05d}"): f"h{i}" for i in range(0, 1200, 2)}
    _store(pg_engine, stored)
    keys = [_lot("L", f"LOT-{i:05d}") for i in range(300, 800)] + [_lot("L", "LOT-99999")]
    found, statements = _answer(pg_engine, keys)
    assert found == _expected(stored, keys) and len(found) == 250
    assert statements == [("range", 1)]


def test_a_sparse_batch_is_sought_key_by_key(pg_engine: Engine) -> None:
    """Thirty keys a hundred stored rows apart: the range holds more rows than four a key and 64 more, so the
    read stops at that many (193 rows, to LOT-00192) and the keys beyond them (28 of the lots and LOT-A) are
    sought one by one."""
    stored = {_lot("L", f"LOT-{i:05d}"): f"h{i}" for i in range(3000)}
    _store(pg_engine, stored)
    keys = [_lot("L", f"LOT-{i:05d}") for i in range(0, 3000, 100)] + [_lot("L", "LOT-00050x"), _lot("L", "LOT-A")]
    found, statements = _answer(pg_engine, keys)
    assert found == _expected(stored, keys) and len(found) == 30
    assert statements == [("range", 1), ("seek", 29)]


def test_equal_instants_at_other_offsets_are_one_instant(pg_engine: Engine) -> None:
    """A batch naming its snapshot instant at +08:00 and at -05:00 (one instant) is one group, one range, and
    finds the keys stored at UTC."""
    stored = {_lot("L", f"LOT-{i:03d}"): f"h{i}" for i in range(100)}
    _store(pg_engine, stored)
    offsets = [timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)), UTC]
    keys = [_lot("L", f"LOT-{i:03d}", at=AT.astimezone(offsets[i % 3])) for i in range(0, 120, 2)]
    found, statements = _answer(pg_engine, keys)
    assert found == _expected(stored, keys) and len(found) == 50
    assert statements == [("range", 1)]


def test_keys_of_several_owners_are_read_as_one_range_each_in_one_round_trip(pg_engine: Engine) -> None:
    """Two owners, two warehouses, two instants: a range per owner of the batch (the index's first column; the
    lot comes before the warehouse in a snapshot's key, so a group sharing all columns but the last would be one
    key), each key matched to its own row alone (the same lots are stored under each prefix, other hashes)."""
    prefixes = [(owner, warehouse, at) for owner in ("L", "M") for warehouse in ("WH1", "WH2")
                for at in (AT, AT + timedelta(days=1))]
    stored = {_lot(o, f"LOT-{i:03d}", w, a): f"{o}{w}{a:%d}-{i}" for o, w, a in prefixes[:-1] for i in range(0, 60, 3)}
    _store(pg_engine, stored)
    keys = [_lot(o, f"LOT-{i:03d}", w, a) for i in range(60) for o, w, a in prefixes[1:]]
    found, statements = _answer(pg_engine, keys)
    assert found == _expected(stored, keys) and len(found) == 20 * 6
    assert statements == [("range", 2)]


def _numbers_table(name: str, collation: str | None = None) -> Table:
    """A table keyed by (owner_id, number), both text columns in ``collation`` (None: the database's default)."""
    return Table(name, MetaData(), Column("id", String(8), primary_key=True),
                 Column("owner_id", String(64, collation=collation), nullable=False),
                 Column("number", String(64, collation=collation), nullable=False),
                 Column("content_hash", String(64), nullable=False), UniqueConstraint("owner_id", "number"))


def test_a_range_read_back_in_another_order_is_sought_key_by_key(pg_engine: Engine) -> None:
    """A key column in a collation other than "C" (an earlier build's database's default): its range, bounded by
    Python's least and greatest key, would leave out keys the collation orders outside them ('a' before 'B'):
    the collation check sends the keys to the seek, all found; and should that check pass such a column (the
    guard behind it), the rows read come back out of Python's order, so the keys are sought one by one too."""
    table = _numbers_table("key_range_collated", "en-US-x-icu")
    table.create(pg_engine)
    try:
        numbers = ["a", "B", "c", "D", "e-1", "E1", "é", "F"]
        stored = {("L", n): f"h{i}" for i, n in enumerate(numbers)}
        with pg_engine.begin() as conn:
            conn.execute(insert(table), [{"id": str(i), "owner_id": o, "number": n, "content_hash": h}
                                         for i, ((o, n), h) in enumerate(stored.items())])
        keys = [("L", n) for n in numbers] + [("L", "b"), ("L", "A")]
        found, statements = _answer(pg_engine, keys, table, ("owner_id", "number"))
        assert found == _expected(stored, keys) and len(found) == len(numbers)
        assert statements == [("range", 1), ("seek", len(keys))]
        with pytest.MonkeyPatch.context() as patch:  # (the check passing every column: the order guard alone)
            patch.setattr(bulk, "_CODE_POINT_ORDER", "SELECT %s::text <> '' AND cardinality(%s::text[]) > 0")
            found, statements = _answer(pg_engine, keys, table, ("owner_id", "number"))
        assert found == _expected(stored, keys) and len(found) == len(numbers)
        assert statements == [("range", 1), ("seek", len(keys))]
    finally:
        table.drop(pg_engine)


NUMBERS = st.sampled_from(["OB-1", "OB-2", "OB-10", "OB-9", "ob-1", "OB-1é", "OB-1😀", "", "A", "Z", "OB-3", "OB-1 "])
INSTANTS = st.sampled_from([AT, AT.astimezone(timezone(timedelta(hours=8))), AT.astimezone(timezone(timedelta(hours=-5))),
                            AT + timedelta(microseconds=1), AT + timedelta(days=1)])
SNAPSHOT = st.tuples(st.sampled_from(["L", "TROPIKA"]), INSTANTS, NUMBERS, st.sampled_from(["", "WH1", "wh1"]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(SNAPSHOT, max_size=40), asked=st.lists(SNAPSHOT, min_size=1, max_size=30),
       cap=st.sampled_from([(4, 64), (1, 0), (0, 1)]))
def test_any_batch_is_answered_as_each_key_sought_alone(pg_engine: Engine, stored, asked, cap) -> None:
    """Any stored keys and any batch (repeated keys, instants at other offsets, texts differing by case, a
    trailing space or an astral character), with the range's cap as it is and small enough to make ranges
    fall back: the answer is the stored hash of each position whose key is stored, and the seek of every key
    alone answers the same."""
    with pg_engine.begin() as conn:
        conn.execute(TABLE.delete())
    rows = {k: f"h{n}" for n, k in enumerate(dict.fromkeys(stored))}  # (equal instants: one key)
    if rows:
        _store(pg_engine, rows)
    per_key, more = bulk._RANGE_ROWS_PER_KEY, bulk._RANGE_ROWS_MORE
    bulk._RANGE_ROWS_PER_KEY, bulk._RANGE_ROWS_MORE = cap
    try:
        found, _ = _answer(pg_engine, asked)
    finally:
        bulk._RANGE_ROWS_PER_KEY, bulk._RANGE_ROWS_MORE = per_key, more
    assert found == _expected(rows, asked)
    order = bulk.index_order(TABLE, STOCK_KEY)
    values = [[key[STOCK_KEY.index(k)] for key in asked] for k in order]
    with pg_engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            assert bulk._sought_one_by_one(cursor, pg_engine.dialect.identifier_preparer.quote, TABLE, order, values,
                                           list(range(len(asked)))) == found
        raw.rollback()


def _three_keys_sought_one_by_one(engine: Engine, table: Table) -> None:
    """'a', 'B', 'c' stored under owner L in ``table`` (created here, empty) and asked back: every one found,
    through one range read whose answers are dropped and a seek of the three."""
    stored = {("L", n): f"h{i}" for i, n in enumerate(["a", "B", "c"])}
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": str(i), "owner_id": o, "number": n, "content_hash": h}
                                     for i, ((o, n), h) in enumerate(stored.items())])
    keys = list(stored)
    found, statements = _answer(engine, keys, table, ("owner_id", "number"))
    assert found == _expected(stored, keys)
    assert statements == [("range", 1), ("seek", 3)]


def test_a_key_in_another_collation_is_sought_key_by_key(pg_engine: Engine) -> None:
    """'B' < 'a' < 'c' in Python, 'a' < 'B' < 'c' in en-US: a range [B, c] would hold B and c, in Python's order
    too (no disorder to see), and miss 'a'; a key column in a collation other than "C" sends the batch to the
    per-key seek, which finds all three (review2, 2026-12-01: 'a' was answered not stored)."""
    table = _numbers_table("key_range_collated_en", "en-US-x-icu")
    table.create(pg_engine)
    try:
        _three_keys_sought_one_by_one(pg_engine, table)
    finally:
        table.drop(pg_engine)


def test_a_planner_setting_the_server_lacks_is_left_alone(pg_engine: Engine, monkeypatch) -> None:
    """``enable_incremental_sort`` exists from PostgreSQL 13 on: a setting the server does not know is neither
    read, set nor set back (setting it would fail the statement and send every batch the per-record way), and
    those it knows are set back as they were."""
    monkeypatch.setattr(bulk, "_UNSORTED", (*bulk._UNSORTED, "enable_no_such_sort"))
    stored = {_lot("L", f"LOT-{i:03d}"): f"h{i}" for i in range(0, 100, 2)}
    _store(pg_engine, stored)
    keys = [_lot("L", f"LOT-{i:03d}") for i in range(100)]
    found, statements = _answer(pg_engine, keys)
    assert found == _expected(stored, keys) and statements == [("range", 1)]


def test_no_keys_read_nothing(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            assert bulk._ranges_read(cursor, pg_engine.dialect.identifier_preparer.quote, TABLE,
                                     bulk.index_order(TABLE, STOCK_KEY), [[], [], [], []]) == ({}, [])
        raw.rollback()


def test_a_default_collation_of_the_icu_provider_is_sought_key_by_key(pg_database_factory) -> None:
    """A database of the ICU provider with LOCALE 'C' (datcollate 'C', its default collation ICU's en-US): a key
    column in "default" does not compare by code point there, so the batch is sought key by key and 'a' is found
    (final review, 2026-12-01: the check trusted datcollate and the range [B, c] missed it)."""
    from sqlalchemy import create_engine, text

    from tests.conftest import _admin_engine

    name = pg_database_factory().rsplit("/", 1)[1] + "_icu"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE \'en-US\' '
                          "LOCALE 'C'"))
    engine = create_engine(admin.url.set(database=name))
    try:
        table = _numbers_table("key_range_icu_default")
        table.create(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
                                ).scalar() == "C"
        _three_keys_sought_one_by_one(engine, table)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
