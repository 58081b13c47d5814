"""Rows → PostgreSQL ``COPY … FROM STDIN`` text, built column by column (pure).

psycopg's ``Copy.write_row`` formats one row at a time in Python; for the tens of thousands of rows
of an import's batch that is most of the client's cost of a COPY. ``copy_text`` gives the same
text-format data for a whole batch at once: each column's values are turned into text by their
type, once per distinct value where equal values write alike, escaped only when the column holds a
character COPY's text format escapes (backslash, tab, LF, CR), and the rows are joined by the C
``str.join``. A column holding a type this module does not write (JSON, intervals, arrays, a ``str``
or ``int`` subclass…) makes it answer None: the caller then writes the rows with ``write_row``.
``copy_layout`` puts the columns whose every value writes one text (a batch's owner, its audit entry…)
last, their text written once as the end of every line; ``copy_pieces`` gives the text a slice of rows
at a time, so the server stores the first rows while the next are built.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import eq, is_
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


def instant_text(value: datetime) -> str:
    """``value`` as the server's timestamptz input parses fastest: a space, not ``T``, between date and time
    and a zero offset as ``+00`` (measured: 0.51 µs of the server's CPU a value against ISO 8601's 0.63)."""
    text = value.isoformat(" ")
    return text[:-3] if text.endswith("+00:00") else text


def _plain(texts: list[str]) -> bool:
    """Whether none of ``texts`` holds a character COPY's text format escapes."""
    joined = "".join(texts)
    return not ("\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined)


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
        plain = _plain(present)
        if plain and not nulls:
            return present
        distinct = set(values)
        done = dict(zip(distinct, distinct)) if plain else {v: v.translate(_ESCAPES) for v in distinct if v is not None}
        done[None] = NULL  # (texts as they are when none holds an escaped character)
        return list(map(done.__getitem__, values))
    if kind is datetime:
        zones = fixed_zones(values)
        if zones is not None and len(zones) <= 1:  # one fixed offset: equal is alike
            done = {v: NULL if v is None else instant_text(v) for v in set(values)}
            return list(map(done.__getitem__, values))
        # equal instants at other offsets (or one wall time at two) write otherwise: keyed by offset too
        keyed = [(v, None if v is None else v.utcoffset()) for v in values]
        done = {k: NULL if k[0] is None else instant_text(k[0]) for k in set(keyed)}
        return list(map(done.__getitem__, keyed))
    if kind is int or kind is date:
        done = {v: NULL if v is None else (str(v) if kind is int else v.isoformat()) for v in set(values)}
        return list(map(done.__getitem__, values))
    if kind is bool:
        return [NULL if v is None else ("t" if v else "f") for v in values]
    if kind is Decimal:  # (1.0 == 1.00: no caching by value)
        texts = [NULL if v is None else str(v) for v in values]
        # a signalling NaN as psycopg writes it (the server reads no "sNaN")
        return [("NaN" if text == "sNaN" else text) for text in texts] if "sNaN" in texts else texts
    return None


def row_texts(columns: Sequence[Sequence[Any]]) -> list[str] | None:
    """Each row of ``columns`` (one sequence per column, all of one length) as COPY's text format writes
    its values, tab-joined, without a line end; None when a column holds a type ``column_text`` does not
    write."""
    texts = []
    for values in columns:
        text = column_text(values)
        if text is None:
            return None
        texts.append(text)
    return list(map("\t".join, zip(*texts))) if texts else []


def copy_text(columns: Sequence[Sequence[Any]], tail: str | None = None) -> str | None:
    """The rows whose values are ``columns`` as the data of a text-format COPY (``row_texts``), each line
    ending in LF, after ``tail`` (the text of further columns every row writes alike, ``copy_layout``)
    when given; None when a column holds a type ``column_text`` does not write."""
    rows = row_texts(columns)
    if not rows:
        return rows if rows is None else ""
    end = "\n" if tail is None else f"\t{tail}\n"
    return end.join(rows) + end


def one_text(values: Sequence[Any]) -> str | None:
    """The text every one of ``values`` writes, when they all write one (the same object, or equal values
    of one type whose equal values write alike: str, int, date, None); else None."""
    if not values:
        return None
    first = values[0]
    if not all(map(is_, values, repeat(first))):
        # (``all`` stops at the first value that differs: a column of many values costs a comparison or two,
        # where counting the first one's copies read the whole column)
        if type(first) not in (str, int, date) or not all(map(eq, values, repeat(first))) or len(set(map(type, values))) > 1:
            return None
    text = column_text([first])
    return None if text is None else text[0]


def copy_layout(columns: Sequence[Sequence[Any]]) -> tuple[list[int], int, str | None]:
    """The order to COPY ``columns`` in, those whose values all write one text (``one_text``) last (the
    first column stays ahead when all do), how many come before them, and their text tab-joined (None
    when there is none): each row's line ends in it, built once for the batch."""
    alike = {i: text for i, values in enumerate(columns) if (text := one_text(values)) is not None}
    if len(alike) == len(columns):
        alike.pop(0, None)
    order = [i for i in range(len(columns)) if i not in alike]
    return order + list(alike), len(order), "\t".join(alike.values()) if alike else None


#: rows per piece of ``copy_pieces``: small enough that the server stores a piece while the next is built,
#: large enough that building a piece costs little more per row than building the whole batch
PIECE_ROWS = 2000


def copy_pieces(columns: Sequence[Sequence[Any]], tail: str | None = None,
                rows: int = PIECE_ROWS) -> Iterator[tuple[int, int, str | None]]:
    """``copy_text(columns, tail)`` a slice of ``rows`` rows at a time: (first row, end row, the slice's
    text or None when a column of the slice holds a type ``column_text`` does not write). The pieces
    joined are the whole text when no piece is None."""
    count = len(columns[0]) if columns else 0
    for start in range(0, count, rows):
        end = min(start + rows, count)
        yield start, end, copy_text([values[start:end] for values in columns], tail)


@dataclass
class Prepared:
    """Rows' COPY text built before their COPY (``prepare``), but for a column given only then (``led_text``):
    the order to COPY the columns in and how many vary (``copy_layout``), each row's text of those that
    vary (``row_texts``) and the text of those every row writes alike (None: there is none)."""

    order: list[int]
    varying: int
    rows: list[str]
    tail: str | None


def prepare(columns: Sequence[Sequence[Any]]) -> Prepared | None:
    """``columns`` (one sequence per column) made ``Prepared``; None when a column holds a type
    ``column_text`` does not write, or there are no columns."""
    if not columns:
        return None
    order, varying, tail = copy_layout(columns)
    rows = row_texts([columns[i] for i in order[:varying]])
    return None if rows is None else Prepared(order, varying, rows, tail)


def led_text(prepared: Prepared, leads: Iterable[str] | None, tail: Sequence[str] = ()) -> str:
    """The COPY text of ``prepared``'s rows, each led by its text in ``leads`` (a column written first:
    an id drawn when the rows are stored; None: no such column) and ended by ``prepared``'s tail and then
    ``tail`` (texts of further columns every row writes alike)."""
    end = "\t".join(["", *([prepared.tail] if prepared.tail is not None else []), *tail]) + "\n"
    if not prepared.rows:
        return ""
    if leads is None:
        return end.join(prepared.rows) + end
    return end.join(map("{}\t{}".format, leads, prepared.rows)) + end
