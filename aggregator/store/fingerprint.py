"""Content fingerprints of canonical records.

``content_hash`` (version 1, unprefixed): sha256 of the record's key-sorted JSON form; kept for the
records imported from files and for statements, whose stored hashes it must go on matching.

``record_hash`` (version 2, ``v2:`` prefix): the one marketplace orders and settlement lines are stored
under. The record's field values are laid out in field order (nested records as nested arrays, money as
its exact amount text and currency, times as ISO-8601 text), that flat array is written as the JSON text
the C encoder gives it (``_encode``: compact, not ASCII-escaped) and hashed with BLAKE2b-160: about a
third of the cost of version 1, which went through the encoder's per-object fallback and sorted every
key. The layout of a record is compiled once per pattern of its values' types (``_layout``: one f-string
writing the text, no loop over the fields and no list in between); property tests hold it to the
value-by-value layout encoded by ``json.dumps``. A value of a type it does not know is refused
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
from json.encoder import encode_basestring  # the C string encoder ``_encode`` uses
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
    return VERSION + hashlib.blake2b(_text(record).encode("utf-8"), digest_size=20).hexdigest()


def is_current(stored: str | None) -> bool:
    """Whether ``stored`` was made by ``record_hash`` (else it is a version-1 ``content_hash``)."""
    return stored is not None and stored.startswith(VERSION)


def _fields_of(cls: type) -> Callable[[Any], tuple]:
    names = tuple(f.name for f in dataclasses.fields(cls))
    getter = operator.attrgetter(*names)
    _FIELDS[cls] = getter if len(names) > 1 else (lambda record: (getter(record),))
    return _FIELDS[cls]


def _text(record: Any) -> str:
    """The JSON text (``_encode``'s) of the record's values in field order: str, int, bool and None as they
    are, everything else as text."""
    values = (_FIELDS.get(type(record)) or _fields_of(type(record)))(record)
    kinds = tuple(map(type, values))
    layout = _LAYOUTS.get(kinds)
    if layout is None:
        layout = _layout(kinds)
        if len(_LAYOUTS) < 4096:  # records of a few classes give a few dozen type patterns
            _LAYOUTS[kinds] = layout
    return layout(values)


def _flat(record: Any) -> list:
    """The record's layout as JSON values (for a record nested in a dict or set, which ``_value`` sorts): its
    text decoded, which encodes back to the same text (strings, ints, booleans and null only)."""
    return json.loads(_text(record))


#: the function writing a record's values as JSON text, by the types of those values (``_layout``)
_LAYOUTS: dict[tuple[type, ...], Callable[[tuple], str]] = {}
_NONE = type(None)


def _layout(kinds: tuple[type, ...]) -> Callable[[tuple], str]:
    """A function from a record's values of these ``kinds`` to the JSON text ``_encode`` gives their flat
    layout: each value by its type (plain values as they are, ``Money`` as amount text and currency, a
    ``datetime`` in ISO-8601, a str subclass as its text, a tuple or list item by item, a nested record as
    its layout, anything else through ``_value``; the same layout ``_value`` gives each of them), compiled
    into one f-string so that a record is written without a loop over its fields or a list in between. A
    decimal's fixed-point text and an ISO-8601 time need no escaping: they are quoted as they are. Every
    string, a currency code included, goes through ``quote`` (the encoder's own), never ``format``: a str
    subclass such as a ``(str, Enum)`` member formats as ``Cls.NAME`` but is encoded as its text. The source
    holds only positions and the helper names below, never a value."""
    parts = []
    for i, kind in enumerate(kinds):
        if kind is str:
            parts.append(f"{{quote(v[{i}])}}")
        elif kind is _NONE:
            parts.append("null")
        elif kind is int:
            parts.append(f"{{v[{i}]}}")
        elif kind is bool:
            parts.append(f"{{TRUE if v[{i}] else FALSE}}")
        elif kind is Money:
            parts.append(f'"{{fmt(v[{i}].amount, FIXED)}}",{{quote(v[{i}].currency)}}')
        elif kind is datetime:
            parts.append(f'"{{v[{i}].isoformat()}}"')
        elif kind is tuple or kind is list:
            parts.append(f"{{items(v[{i}])}}")
        elif kind in _FIELDS or dataclasses.is_dataclass(kind):
            parts.append(f"{{record(v[{i}])}}")
        elif issubclass(kind, str):  # Platform, str-valued enums: their text
            parts.append(f"{{quote(v[{i}])}}")
        else:
            parts.append(f"{{encode(value(v[{i}]))}}")
    namespace = {"fmt": format, "FIXED": "f", "TRUE": "true", "FALSE": "false", "quote": encode_basestring,
                 "items": _items, "record": _text, "value": _value, "encode": _encode}
    exec(f"def layout(v):\n    return f'''[{','.join(parts)}]'''", namespace)  # noqa: S102 (positions only)
    return namespace["layout"]


def _items(values: tuple | list) -> str:
    """A tuple or list of values as JSON text: strings quoted, records as their layout, others by
    ``_value``."""
    return "[" + ",".join([encode_basestring(item) if type(item) is str
                           else _text(item) if type(item) in _FIELDS else _encode(_value(item))
                           for item in values]) + "]"


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
