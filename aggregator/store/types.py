"""Column types that behave the same on SQLite and PostgreSQL.

* ``UTCDateTime``: refuses naive datetimes on the way in, returns aware UTC on the way out
  (``timestamptz`` on PostgreSQL; a sortable UTC text on SQLite).
* ``ExactDecimal``: exact ``Decimal`` (``NUMERIC`` on PostgreSQL, text on SQLite, where NUMERIC would
  round-trip through float).
* ``JSONPayload``: JSON (``JSONB`` on PostgreSQL) for raw payloads and structured details.
* ``uncollated``: a column's type as a database has it, without a collation (for casts and staging columns).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused: {value.isoformat()}")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class ExactDecimal(TypeDecorator[Decimal]):
    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, (float, bool)) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"exact decimal columns take Decimal or int, got {type(value).__name__}")
        value = Decimal(value)
        if not value.is_finite():
            raise ValueError("non-finite decimal refused")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class JSONPayload(TypeDecorator[Any]):
    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def uncollated(kind: TypeEngine, dialect: Dialect) -> TypeEngine:
    """``kind`` as ``dialect`` has it, without a collation: what a staging column or an array cast names
    (``VARCHAR(64) COLLATE "C"[]`` is no type to PostgreSQL, and a staged key compared with a stored column
    takes the stored column's collation, so its index answers on databases of any build)."""
    resolved = kind.dialect_impl(dialect)
    return String(resolved.length) if isinstance(resolved, String) and resolved.collation is not None else kind
