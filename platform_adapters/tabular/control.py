"""Control characters in cell text: found, named and made visible (pure).

A cell may hold tab, line feed and carriage return (a quoted CSV field spans lines; a description
keeps its tabs). Any other C0 control (NUL, BEL, ESC, …), DEL or a C1 control means the file was
damaged or produced by a broken export: the row's meaning cannot be trusted, and PostgreSQL cannot
store NUL in text at all. Such a row is rejected naming the column and the character
(``aggregator.ingest.tabular_import``); what is stored about it (the reject's value and raw row) has
its control characters written as visible ``\\xNN`` escapes, so nothing is lost and every database
accepts it.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from datetime import date, datetime
from decimal import Decimal

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: NUL alone: what no database text column can hold (records from marketplaces keep other controls)
NUL_RE = re.compile("\x00")


def first_control(text: str, pattern: re.Pattern[str] = CONTROL_RE) -> str | None:
    """The first forbidden control character of ``text``, or None."""
    found = pattern.search(text)
    return found.group() if found else None


def describe_control(char: str) -> str:
    """``U+0000 (NUL)`` style name of a control character."""
    names = {0: "NUL", 7: "BEL", 8: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}
    code = ord(char)
    return f"U+{code:04X}" + (f" ({names[code]})" if code in names else "")


def visible(text: str) -> str:
    """``text`` with every forbidden control character written as a ``\\xNN`` escape."""
    return CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def holds(value: object, char: str) -> bool:
    """Whether a string (key or value) anywhere in a decoded JSON value or a record holds ``char``: the
    quick question asked of every record (no paths built); ``find_control`` then says where."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if char in item:
                return True
        elif kind in _PLAIN or item is None:
            continue
        elif kind is tuple or kind is list:
            stack.extend(item)
        elif kind is dict:
            for key, inner in item.items():
                if char in str(key):
                    return True
                stack.append(inner)
        elif isinstance(item, str):
            if char in item:
                return True
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.items())
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(_fields_of(type(item))(item))
    return False


_PLAIN = frozenset({int, float, bool, Decimal, datetime, date})


@functools.lru_cache(maxsize=256)
def _fields_of(cls: type):
    names = [f.name for f in dataclasses.fields(cls)]
    return lambda record: [getattr(record, name) for name in names]


def find_control(value: object, path: str = "$",
                 pattern: re.Pattern[str] = CONTROL_RE) -> tuple[str, str, str] | None:
    """In a decoded JSON value or a record (dataclass), the first string (key or value) holding a
    character of ``pattern``: ``(path, the character, the string)``; None when there is none."""
    stack: list[tuple[str, object]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            char = first_control(item, pattern)
            if char is not None:
                return where, char, item
        elif isinstance(item, dict):
            for key, inner in reversed(list(item.items())):
                char = first_control(str(key), pattern)
                if char is not None:
                    return f"{where}.{visible(str(key))}", char, str(key)
                stack.append((f"{where}.{key}", inner))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{index}]", inner) for index, inner in reversed(list(enumerate(item))))
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend((f"{where}.{f.name}", getattr(item, f.name)) for f in reversed(dataclasses.fields(item)))
    return None
