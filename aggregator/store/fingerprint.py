"""Content fingerprints of canonical records.

``content_hash`` (version 1, unprefixed): sha256 of the record's key-sorted JSON form; kept for the
records imported from files and for statements, whose stored hashes it must go on matching.

``record_hash`` (version 2, ``v2:`` prefix): the one marketplace orders and settlement lines are stored
under. The record's field values are laid out in field order (nested records as nested arrays, money as
its exact amount text and currency, times as ISO-8601 text) and that flat array is encoded by the C
JSON encoder and hashed with BLAKE2b-160: about a third of the cost of version 1, which went through
the encoder's per-object fallback and sorted every key. A value of a type it does not know is refused
(``TypeError``), never hashed by its ``repr``. A stored version-1 hash is recognised by its missing
prefix (``is_current``); ``aggregator.store.upsert`` then compares the incoming record's version-1 hash
with it once and, when equal, refreshes it without counting a change.
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import operator
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fx.money import Money
from aggregator.store.jsonutil import dumps

VERSION = "v2:"
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_FIELDS: dict[type, Callable[[Any], tuple]] = {}


def content_hash(record: Any) -> str:
    """Version 1: sha256 of the record's stable JSON form (``jsonutil.dumps``)."""
    return hashlib.sha256(dumps(record).encode("utf-8")).hexdigest()


def record_hash(record: Any) -> str:
    """Version 2 (``v2:`` + 40 hex digits): BLAKE2b-160 of the record's values in field order."""
    return VERSION + hashlib.blake2b(_encode(_flat(record)).encode("utf-8"), digest_size=20).hexdigest()


def is_current(stored: str | None) -> bool:
    """Whether ``stored`` was made by ``record_hash`` (else it is a version-1 ``content_hash``)."""
    return stored is not None and stored.startswith(VERSION)


def _fields_of(cls: type) -> Callable[[Any], tuple]:
    names = tuple(f.name for f in dataclasses.fields(cls))
    getter = operator.attrgetter(*names)
    _FIELDS[cls] = getter if len(names) > 1 else (lambda record: (getter(record),))
    return _FIELDS[cls]


def _flat(record: Any) -> list:
    """The record's values in field order: str, int, bool and None as they are, everything else as text."""
    out: list = []
    add = out.append
    getter = _FIELDS.get(type(record)) or _fields_of(type(record))
    for value in getter(record):
        kind = type(value)
        if kind is str or value is None or kind is int or kind is bool:
            add(value)
        elif kind is Money:
            add(format(value.amount, "f"))
            add(value.currency)
        elif kind is datetime:
            add(value.isoformat())
        elif kind is tuple or kind is list:
            add([_flat(item) if type(item) in _FIELDS else _value(item) for item in value])
        else:
            add(_value(value))
    return out


def _value(value: Any) -> Any:
    """One value that is not a plain field of a record: a nested record, a member of a list, an odd type."""
    kind = type(value)
    if kind is str or value is None or kind is int or kind is bool:
        return value
    if kind in _FIELDS or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return _flat(value)
    if isinstance(value, str):  # Platform, str-valued enums
        return str.__str__(value)
    if isinstance(value, enum.Enum):
        return _value(value.value)
    if kind is Decimal:
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return [[str(k), _value(v)] for k, v in sorted(value.items(), key=lambda item: str(item[0]))]
    if isinstance(value, (frozenset, set)):
        return sorted((_value(item) for item in value), key=repr)
    raise TypeError(f"record_hash cannot hash a {kind.__name__}")
