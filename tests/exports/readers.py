"""Independent readers for the export tests: CSV text and dBase III tables read back byte by byte."""
from __future__ import annotations

import csv
import io
import struct
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal


def read_csv(data: bytes, encoding: str = "utf-8") -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode(encoding), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def read_dbf(data: bytes, encoding: str = "gbk") -> tuple[list[tuple[str, str, int, int]], list[dict[str, str]]]:
    """(fields as (name, type, width, decimals), records as stripped text) of a dBase III file."""
    version, _, _, _, count, header_length, record_length = struct.unpack("<BBBBIHH", data[:12])
    assert version == 0x03
    fields = []
    offset = 32
    while data[offset] != 0x0D:
        raw = data[offset:offset + 32]
        fields.append((raw[:11].rstrip(b"\0").decode("ascii"), chr(raw[11]), raw[16], raw[17]))
        offset += 32
    assert offset + 1 == header_length
    assert record_length == 1 + sum(width for _, _, width, _ in fields)
    records = []
    for number in range(count):
        start = header_length + number * record_length
        raw = data[start:start + record_length]
        assert raw[:1] == b" "
        position = 1
        record = {}
        for name, _, width, _ in fields:
            record[name] = raw[position:position + width].decode(encoding).strip()
            position += width
        records.append(record)
    assert data[header_length + count * record_length:] == b"\x1a"
    return fields, records


def sums_by(rows: Iterable[dict[str, str]], key: str, debit: str, credit: str | None = None) -> dict[str, tuple]:
    """Per ``key``: (debits, credits). With one signed column, positive = debit, negative = credit."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        if credit is None:
            value = Decimal(row[debit])
            totals[row[key]][0 if value > 0 else 1] += abs(value)
        else:
            totals[row[key]][0] += Decimal(row[debit] or "0")
            totals[row[key]][1] += Decimal(row[credit] or "0")
    return {k: tuple(v) for k, v in totals.items()}
