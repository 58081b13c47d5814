"""Rows → PostgreSQL ``COPY … FROM STDIN`` text, built column by column (pure).

psycopg's ``Copy.write_row`` formats one row at a time in Python; for the tens of thousands of rows
of an import's batch that is most of the client's cost of a COPY. ``copy_text`` gives the same
text-format data for a whole batch at once: each column's values are turned into text by their
type, once per distinct value where equal values write alike, escaped only when the column holds a
character COPY's text format escapes (backslash, tab, LF, CR), and the rows are joined by the C
``str.join``. A column holding a type this module does not write (JSON, intervals, arrays, a ``str``
or ``int`` subclass…) makes it answer None: the caller then writes the rows with ``write_row``.
``copy_pieces`` gives the same text a slice of rows at a time, so the server stores the first rows
while the next are built.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NONE = type(None)


def fixed_zones(values: Sequence[Any]) -> set | None:
    """The zones of the datetimes ``values`` (None skipped) when each is a fixed offset (``datetime.timezone``)
    or none (naive): then equal values are one instant at one offset each, and a cache keyed by the value
    holds. None otherwise: in a zone with daylight saving Python compares by wall time, so the two instants
    of an ambiguous local time (``fold`` 0 and 1, an hour apart) are equal values."""
    zones = {v.tzinfo for v in values if v is not None}
    return zones if all(z is None or type(z) is timezone for z in zones) else None


def _escaped(texts: list[str]) -> list[str]:
    joined = "".join(texts)
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        return [text.translate(_ESCAPES) for text in texts]
    return texts


def column_text(values: Sequence[Any]) -> list[str] | None:
    """Each of ``values`` as COPY's text format writes it (``\\N`` for None); None when a value's type
    is not one written here."""
    kinds = set(map(type, values))
    nulls = _NONE in kinds
    kinds.discard(_NONE)
    if not kinds:
        return [NULL] * len(values)
    if len(kinds) > 1:
        return None
    kind = kinds.pop()
    if kind is str:
        present = [v for v in values if v is not None] if nulls else list(values)
        if len(present) < len(values) or _escaped(present) is not present:
            done = {v: NULL if v is None else v.translate(_ESCAPES) for v in set(values)}
            return list(map(done.__getitem__, values))
        return present
    if kind is datetime:
        zones = fixed_zones(values)
        if zones is not None and len(zones) <= 1:  # one fixed offset: equal is alike
            done = {v: NULL if v is None else v.isoformat() for v in set(values)}
            return list(map(done.__getitem__, values))
        # equal instants at other offsets (or one wall time at two) write otherwise: keyed by offset too
        keyed = [(v, None if v is None else v.utcoffset()) for v in values]
        done = {k: NULL if k[0] is None else k[0].isoformat() for k in set(keyed)}
        return list(map(done.__getitem__, keyed))
    if kind is int or kind is date:
        done = {v: NULL if v is None else (str(v) if kind is int else v.isoformat()) for v in set(values)}
        return list(map(done.__getitem__, values))
    if kind is bool:
        return [NULL if v is None else ("t" if v else "f") for v in values]
    if kind is Decimal:  # (1.0 == 1.00: no caching by value)
        return [NULL if v is None else str(v) for v in values]
    return None


def copy_text(columns: Sequence[Sequence[Any]]) -> str | None:
    """The rows whose values are ``columns`` (one sequence per column, all of one length) as the data
    of a text-format COPY, each line ending in LF; None when a column holds a type ``column_text``
    does not write."""
    texts = []
    for values in columns:
        text = column_text(values)
        if text is None:
            return None
        texts.append(text)
    if not texts or not texts[0]:
        return ""
    return "\n".join(map("\t".join, zip(*texts))) + "\n"


#: rows per piece of ``copy_pieces``: small enough that the server stores a piece while the next is built,
#: large enough that building a piece costs little more per row than building the whole batch
PIECE_ROWS = 2000


def copy_pieces(columns: Sequence[Sequence[Any]], rows: int = PIECE_ROWS) -> Iterator[tuple[int, int, str | None]]:
    """``copy_text`` of the rows ``columns`` hold, ``rows`` rows at a time: (first row, end row, the
    slice's text or None when a column of the slice holds a type ``column_text`` does not write). The
    pieces joined are ``copy_text``'s text when no piece is None."""
    count = len(columns[0]) if columns else 0
    for start in range(0, count, rows):
        end = min(start + rows, count)
        yield start, end, copy_text([values[start:end] for values in columns])
