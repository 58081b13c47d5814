"""Bring a database made by an earlier build of the one pre-release revision up to the models.

Until the first release the project keeps one migration, ``0001_initial``, regenerated from the models
(``aggregator.store.regen_migration``). A database created by an earlier build is stamped ``0001`` too, so
Alembic finds nothing to do, and the columns, tables and indexes added since are missing (an import's
update failed with ``no such column``, the audit route answered 500). After the migrations,
``upgrade_schema`` (``aggregator.store.db``) has ``catch_up`` compare the database with the models
(Alembic's autogenerate comparison, in the migration's transaction and, on PostgreSQL, under its lock) and
apply what can be applied without losing anything: missing tables, missing columns that may be NULL or
have a server default, missing indexes, and indexes named like the models' (``ix_<table>_…``) that the
models no longer have, and foreign keys the models no longer have (dropping a constraint loses nothing
stored). Anything else (an index named otherwise, which an operator may have added; a column's
type or nullability changed, a required column added, a column or table gone) is not guessed at: it is
logged as a warning naming it. The comparison runs only when catalogue reads show the columns, the ``ix_``
indexes or the foreign keys differ from the models'.

One known difference is left as it is, silently (``_earlier_key``): a table the models key by its columns
without an ``id`` (the line tables, keyed by (header id, line number): ``models.warehouse``) that an earlier
build made with a surrogate ``id`` primary key and a unique constraint over the models' key columns. It
works as the models' layout does (a row written without an id gets one from the column's default; the
unique constraint refuses what the primary key would), so nothing is done and nothing logged: rebuilding
the table to drop the column would rewrite every line under the migration's lock for no change a reader
sees, and a warning at every start would name what needs no one's attention.
"""
from __future__ import annotations

import logging
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, UniqueConstraint

log = logging.getLogger(__name__)


def catch_up(connection: Connection, metadata: MetaData) -> list[str]:
    """Apply the lossless differences between the database on ``connection`` and ``metadata``; what was
    done, one line each (nothing when the database matches)."""
    if not _drifted(connection, metadata):
        return []
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    differences = compare_metadata(context, metadata)
    if not differences:
        return []
    operations = Operations(context)
    done: list[str] = []
    for diff in differences:
        kind = diff[0] if isinstance(diff, tuple) else "modify"
        if _earlier_key(metadata, diff):
            continue
        if kind == "add_table":  # (its indexes follow as add_index)
            diff[1].create(connection)
            done.append(f"created table {diff[1].name}")
        elif kind == "add_column" and (diff[3].nullable or diff[3].server_default is not None):
            _, schema, table, column = diff
            operations.add_column(table, column._copy(), schema=schema)
            done.append(f"added column {table}.{column.name}")
        elif kind == "add_index":
            diff[1].create(connection, checkfirst=True)
            done.append(f"created index {diff[1].name}")
        elif kind == "remove_fk" and diff[1].name:  # (a constraint dropped: nothing stored is lost)
            fk = diff[1]
            with operations.batch_alter_table(fk.parent.name) as batch:
                batch.drop_constraint(fk.name, type_="foreignkey")
            done.append(f"dropped foreign key {fk.name} (the models no longer have it)")
        elif kind == "remove_index" and diff[1].name.startswith(f"ix_{diff[1].table.name}_"):
            # (named like the models' indexes: one an earlier build made; an index named otherwise, one an
            # operator added, is kept and logged below)
            operations.drop_index(diff[1].name, table_name=diff[1].table.name)
            done.append(f"dropped index {diff[1].name} (the models no longer have it)")
        else:
            log.warning("schema: the database differs from the models in a way not caught up automatically: %s",
                        _described(diff))
    for line in done:
        log.info("schema caught up with the models: %s", line)
    return done


def _earlier_key(metadata: MetaData, diff: Any) -> bool:
    """Whether ``diff`` (one of Alembic's comparison) is the surrogate key an earlier build gave a table the
    models key otherwise (see the module's docstring): its ``id`` column, or its unique constraint over the
    models' primary key columns."""
    if not isinstance(diff, tuple) or diff[0] not in ("remove_column", "remove_constraint"):
        return False
    if diff[0] == "remove_column":
        _, _, table, column = diff
        return column.name == "id" and _keyed_without_id(metadata, table)
    constraint = diff[1]
    table = constraint.table.name
    return (isinstance(constraint, UniqueConstraint) and _keyed_without_id(metadata, table)
            and {c.name for c in constraint.columns} == {c.name for c in metadata.tables[table].primary_key})


def _keyed_without_id(metadata: MetaData, table: str) -> bool:
    model = metadata.tables.get(table)
    return model is not None and "id" not in model.c and len(model.primary_key.columns) > 1


def _described(diff: Any) -> str:
    if isinstance(diff, list):  # column modifications
        return "; ".join(f"{d[0]} {d[2]}.{d[3]}" for d in diff)
    return " ".join(str(getattr(part, "name", part)) for part in diff)


def _drifted(connection: Connection, metadata: MetaData) -> bool:
    """Whether the database's columns or ``ix_`` indexes of the models' tables differ from the models' (two
    catalogue reads; Alembic's comparison reflects every table, ~0.1 s of CPU, so it runs only then), an
    earlier build's surrogate ``id`` of a table the models key otherwise not counted (``_earlier_key``)."""
    if connection.dialect.name == "sqlite":
        columns = connection.exec_driver_sql("SELECT m.name, p.name FROM sqlite_master m "
                                             "JOIN pragma_table_info(m.name) p WHERE m.type = 'table'").all()
        indexes = connection.exec_driver_sql("SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'").all()
    elif connection.dialect.name == "postgresql":
        columns = connection.exec_driver_sql("SELECT table_name, column_name FROM information_schema.columns "
                                             "WHERE table_schema = current_schema()").all()
        indexes = connection.exec_driver_sql("SELECT tablename, indexname FROM pg_indexes "
                                             "WHERE schemaname = current_schema()").all()
    else:
        return True
    tables = metadata.tables
    if connection.dialect.name == "sqlite":
        fks = connection.exec_driver_sql("SELECT m.name, f.\"table\" FROM sqlite_master m "
                                         "JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'").all()
    else:
        fks = connection.exec_driver_sql("SELECT c.conrelid::regclass::text, c.confrelid::regclass::text "
                                         "FROM pg_constraint c WHERE c.contype = 'f' AND "
                                         "c.connamespace = current_schema()::regnamespace").all()
    if {(t, r) for t, r in fks if t in tables} != {(t.name, fk.column.table.name) for t in tables.values()
                                                    for fk in t.foreign_keys}:
        return True
    return ({(t, c) for t, c in columns if t in tables and not (c == "id" and _keyed_without_id(metadata, t))}
            != {(t.name, c.name) for t in tables.values() for c in t.columns}
            or {(t, i) for t, i in indexes if t in tables and i.startswith("ix_")}
            != {(t.name, i.name) for t in tables.values() for i in t.indexes})
