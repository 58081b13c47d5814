"""JSON encoding for payloads and fingerprints: Decimal, datetime, date, enum and dataclasses.

``encode_columns`` serialises a row of column values in one pass of the C encoder (the bulk writers'
audit entries); the result is an ``EncodedJSON``, which the engines' serializer stores as it is.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Turn records and their parts into plain JSON values (Decimals become exact strings)."""
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    try:
        return to_jsonable(_default(value))
    except TypeError:
        return value  # left to the JSON encoder of the caller (which may know the type)


def _default(value: Any) -> Any:
    """The ``json`` encoder's fallback: the same conversions as ``to_jsonable``, one level at a time
    (the C encoder does the recursion)."""
    kind = type(value)
    if kind is datetime:  # the usual column values first
        return value.isoformat()
    if kind is Decimal:
        return format(value, "f")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _field_names(type(value))}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)  # stable order, for hashing
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@functools.lru_cache(maxsize=256)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON (stable across runs: usable for hashing)."""
    return json.dumps(value, default=_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class EncodedJSON(str):
    """JSON text already serialised: stored as it is by the engines' JSON serializer (``aggregator.store.db``)."""


_encode_row = json.JSONEncoder(default=_default, ensure_ascii=False).encode  # built once, not per call


def encode_columns(values: dict[str, Any]) -> EncodedJSON:
    """A row of column values (str keys; str, int, bool, Decimal, date, datetime, enum values) as the
    same JSON text ``json.dumps(to_jsonable(values), ensure_ascii=False)`` gives, in one pass."""
    return EncodedJSON(_encode_row(values))
