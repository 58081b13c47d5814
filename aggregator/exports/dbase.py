"""A minimal dBase III (.dbf) table writer: character, numeric, date and logical fields.

Enough for import files such as Kingdee's voucher DBF: fixed-width records, text in a given
encoding (GBK by default, code-page mark 0x7A), numbers written from ``Decimal`` exactly (a value
that does not fit its width and decimals is refused, never silently rounded), no memo fields.
"""
from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

CODE_PAGE_MARKS = {"gbk": 0x7A, "cp936": 0x7A, "ascii": 0x00}


class DbfValueError(ValueError):
    """A value does not fit its field."""


@dataclass(frozen=True, slots=True)
class DbfField:
    name: str  # at most 10 ASCII characters
    kind: str  # "C" character, "N" numeric, "D" date, "L" logical
    width: int
    decimals: int = 0
    truncate: bool = False  # "C" only: cut text to the width (on a character boundary) instead of refusing

    def __post_init__(self) -> None:
        if not (1 <= len(self.name) <= 10 and self.name.isascii()):
            raise ValueError(f"bad dBase field name {self.name!r}")
        if self.kind == "D" and self.width != 8 or self.kind == "L" and self.width != 1:
            raise ValueError(f"field {self.name}: D is 8 wide and L is 1 wide")


def _text(field: DbfField, value: str, encoding: str) -> bytes:
    if field.truncate:
        data = b""
        for char in value:
            encoded = char.encode(encoding, errors="replace")
            if len(data) + len(encoded) > field.width:
                break
            data += encoded
    else:
        try:
            data = value.encode(encoding)
        except UnicodeEncodeError as exc:
            raise DbfValueError(f"{field.name}: {value!r} cannot be written in {encoding}") from exc
        if len(data) > field.width:
            raise DbfValueError(f"{field.name}: {value!r} is longer than {field.width} bytes")
    return data.ljust(field.width, b" ")


def _number(field: DbfField, value: Decimal | int | None) -> bytes:
    if value is None:
        return b" " * field.width
    number = Decimal(value)
    quantum = Decimal(1).scaleb(-field.decimals)
    if number != number.quantize(quantum):
        raise DbfValueError(f"{field.name}: {number} has more than {field.decimals} decimals")
    text = format(abs(number.quantize(quantum)), "f")
    if number < 0:
        text = "-" + text
    if len(text) > field.width:
        raise DbfValueError(f"{field.name}: {number} does not fit {field.width} characters")
    return text.rjust(field.width).encode("ascii")


def encode_value(field: DbfField, value: object, encoding: str) -> bytes:
    if field.kind == "C":
        return _text(field, "" if value is None else str(value), encoding)
    if field.kind == "N":
        if value is not None and not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise DbfValueError(f"{field.name}: numeric fields take Decimal or int, got {type(value).__name__}")
        return _number(field, value)  # type: ignore[arg-type]
    if field.kind == "D":
        if value is None:
            return b" " * 8
        if not isinstance(value, date):
            raise DbfValueError(f"{field.name}: date fields take a date")
        return value.strftime("%Y%m%d").encode("ascii")
    if field.kind == "L":
        return b"?" if value is None else (b"T" if value else b"F")
    raise ValueError(f"unsupported dBase field type {field.kind!r}")


def dbf_bytes(fields: Sequence[DbfField], records: Sequence[Mapping[str, object]], *, updated: date,
              encoding: str = "gbk") -> bytes:
    """The table as a dBase III file; ``updated`` is the header's last-update date (kept stable)."""
    record_length = 1 + sum(f.width for f in fields)
    header_length = 32 + 32 * len(fields) + 1
    header = struct.pack("<BBBBIHH", 0x03, updated.year - 1900, updated.month, updated.day, len(records),
                         header_length, record_length)
    header += bytes(17) + bytes([CODE_PAGE_MARKS.get(encoding.lower(), 0x00)]) + bytes(2)
    descriptors = b"".join(
        f.name.encode("ascii").ljust(11, b"\0") + f.kind.encode("ascii") + bytes(4)
        + bytes([f.width, f.decimals]) + bytes(14) for f in fields)
    body = b"".join(b" " + b"".join(encode_value(f, record.get(f.name), encoding) for f in fields)
                    for record in records)
    return header + descriptors + b"\r" + body + b"\x1a"
