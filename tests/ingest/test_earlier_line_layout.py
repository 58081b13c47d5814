"""A database whose line tables an earlier build made (a surrogate ``id`` serial primary key and a unique
(header id, line number) constraint, where the models now key a line by (header id, line number) alone:
``models.warehouse``) keeps working: upgrading it does nothing and logs nothing (``store/catch_up``), and
outbound and receipt files imported, changed and re-imported store the same lines, headers and audit
entries as in a database made by this build, on both import paths and with records longer than a chunk
(written in parts), on SQLite and PostgreSQL."""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Column, Index, Integer, MetaData, Table, UniqueConstraint, inspect, select

import aggregator.store.models  # noqa: F401  (every table in the metadata)
from aggregator.ingest import import_file
from aggregator.store.base import Base
from aggregator.store.db import create_engine_for, session_factory, upgrade_schema
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseShipmentLineRow
from tests.ingest.conftest import add_owners
from tests.ingest.test_import_paths import _snapshot

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
#: the line tables and their header id column (the first of the models' primary key)
LINE_TABLES = {"warehouse_shipment_lines": "shipment_pk", "warehouse_receipt_lines": "receipt_pk",
               "transport_document_lines": "document_pk", "customs_entry_lines": "entry_pk"}


def _earlier_layout(engine) -> None:
    """Make the line tables of ``engine``'s (empty) database as the earlier build did: the models' columns
    behind an ``id`` serial primary key, the unique constraint over (header id, line number), the models'
    indexes and foreign keys."""
    earlier = MetaData(naming_convention=Base.metadata.naming_convention)
    for header in ("warehouse_shipments", "warehouse_receipts", "transport_documents", "customs_entries"):
        Base.metadata.tables[header].to_metadata(earlier)  # (for the foreign keys to resolve; not created)
    tables = []
    for name, parent in LINE_TABLES.items():
        model = Base.metadata.tables[name]
        columns = [Column(c.name, c.type, *(fk._copy() for fk in c.foreign_keys), nullable=c.nullable,
                          index=c.index) for c in model.columns]
        table = Table(name, earlier, Column("id", Integer, primary_key=True), *columns,
                      UniqueConstraint(parent, "line_no"))
        for index in model.indexes:  # (those not made by a column's ``index=True``, as above)
            if not any(c.index for c in index.columns):
                Index(index.name, *(table.c[c.name] for c in index.columns), **index.dialect_kwargs)
        tables.append(table)
    with engine.begin() as connection:
        for name in LINE_TABLES:
            connection.exec_driver_sql(f"DROP TABLE {name}")
        earlier.create_all(connection, tables=tables)


def _database(kind: str, name: str, tmp_path: Path, pg_database_factory: Callable[[], str], earlier: bool):
    engine = create_engine_for(pg_database_factory() if kind == "postgresql" else f"sqlite:///{tmp_path / name}")
    upgrade_schema(engine)
    add_owners(engine)
    if earlier:
        _earlier_layout(engine)
    return engine


def _files(tmp_path: Path) -> list[tuple[str, Path]]:
    """(kind, file) of each import in turn: the samples; the next day's files (an outbound's status changed,
    one line's quantity, a new outbound; a receipt's received quantity changed and its last line gone);
    the next day's files again, written differently (unchanged records)."""
    outbound = (SAMPLES / "warehouse_outbound.csv").read_text(encoding="utf-8").splitlines()
    inbound = (SAMPLES / "warehouse_inbound.csv").read_text(encoding="utf-8").splitlines()
    outbound2 = [*outbound[:2], outbound[2].replace("DELIVERED", "RETURNED"), *outbound[3:],
                 outbound[1].replace("OC900260315000001", "OC900260315000099")]
    quantity = outbound2[4].split(",")
    quantity[9] = "3"
    outbound2[4] = ",".join(quantity)
    inbound2 = [inbound[0], inbound[1].replace(",9980,20,CC,9980,", ",9970,30,CC,9970,"), *inbound[2:3], *inbound[4:]]
    written = []
    for day, (out_rows, in_rows) in enumerate(((outbound, inbound), (outbound2, inbound2),
                                               (outbound2, inbound2))):
        end = "\n" if day < 2 else "\n\n"  # (the same rows again, another file)
        for kind, rows in (("outbound", out_rows), ("inbound", in_rows)):
            path = tmp_path / f"{kind}_{day}.csv"
            path.write_text("\n".join(rows) + end, encoding="utf-8")
            written.append((kind, path))
    return written


def _imports(engine, files: list[tuple[str, Path]], bulk: bool, chunk_rows: int) -> list[tuple]:
    summaries = []
    for kind, path in files:
        summary = import_file(engine, kind, path, owner_id="LUMINA", bulk=bulk, chunk_rows=chunk_rows)
        summaries.append((kind, summary.status, summary.created, summary.updated, summary.unchanged,
                          summary.rows_rejected))
    return summaries


@pytest.mark.parametrize("chunk_rows", [2, 10_000])
@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_database_with_the_earlier_line_layout_stores_what_a_new_one_stores(
        kind: str, bulk: bool, chunk_rows: int, tmp_path: Path, pg_database_factory: Callable[[], str],
        caplog: pytest.LogCaptureFixture) -> None:
    files = _files(tmp_path)
    results = []
    for earlier in (False, True):
        engine = _database(kind, f"{earlier}.sqlite", tmp_path, pg_database_factory, earlier)
        try:
            if earlier:
                for name, parent in LINE_TABLES.items():
                    assert inspect(engine).get_pk_constraint(name)["constrained_columns"] == ["id"]
                    assert [u["column_names"] for u in inspect(engine).get_unique_constraints(name)] == [
                        [parent, "line_no"]]
                with caplog.at_level(logging.INFO, logger="aggregator.store"):
                    assert upgrade_schema(engine) == []  # (compatible: left as it is, nothing logged)
                assert not [r for r in caplog.records if r.name.startswith("aggregator.store")]
            summaries = _imports(engine, files, bulk, chunk_rows)
            with session_factory(engine)() as session:
                lines = {model.__tablename__: sorted(session.execute(
                    select(model.__table__.c[parent], model.line_no, model.sku)).all())
                    for model, parent in ((WarehouseShipmentLineRow, "shipment_pk"),
                                          (WarehouseReceiptLineRow, "receipt_pk"))}
            stored = _snapshot(engine)
            stored["audit"] = [entry for entry in stored["audit"]  # (the imports', not the owners' keys')
                               if dict(entry)["entity"] in ('"warehouse_shipments"', '"warehouse_receipts"')]
            results.append((summaries, stored))
        finally:
            engine.dispose()
    fresh, old = results
    assert [s[1:5] for s in fresh[0]] == [
        ("COMPLETED", 7, 0, 0), ("COMPLETED", 3, 0, 0),  # (7 outbounds of 10 lines, 3 receipts of 7)
        ("COMPLETED", 1, 2, 5), ("COMPLETED", 0, 1, 2),  # (two outbounds changed, one new; one receipt changed)
        ("COMPLETED", 0, 0, 8), ("COMPLETED", 0, 0, 3)]  # (the same again)
    assert len(lines["warehouse_shipment_lines"]) == 11 and len(lines["warehouse_receipt_lines"]) == 6
    assert old == fresh
    assert [dict(entry)["action"] for entry in old[1]["audit"]].count('"update"') == 3


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_earlier_key_is_left_alone_while_the_rest_is_caught_up(
        kind: str, tmp_path: Path, pg_database_factory: Callable[[], str], caplog: pytest.LogCaptureFixture) -> None:
    """A database of the earlier line layout that differs from the models in something else too — the index of
    a document's lines beside its key, which builds before this one made (``ix_transport_document_lines_
    document_pk``): the comparison runs, drops that index, and leaves the lines' ``id`` and unique constraint
    as they are without a warning about them (``catch_up._earlier_key``)."""
    engine = _database(kind, "drift.sqlite", tmp_path, pg_database_factory, earlier=True)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE INDEX ix_transport_document_lines_document_pk "
                                       "ON transport_document_lines (document_pk)")
        with caplog.at_level(logging.INFO, logger="aggregator.store"):
            done = upgrade_schema(engine)
        assert done == ["dropped index ix_transport_document_lines_document_pk (the models no longer have it)"]
        assert not [r for r in caplog.records if r.name.startswith("aggregator.store") and r.levelno >= logging.WARNING]
        names = {index["name"] for index in inspect(engine).get_indexes("transport_document_lines")}
        assert "ix_transport_document_lines_document_pk" not in names
        for name, parent in LINE_TABLES.items():
            assert inspect(engine).get_pk_constraint(name)["constrained_columns"] == ["id"]
    finally:
        engine.dispose()
