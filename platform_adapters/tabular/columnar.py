"""Column-wise reading of a chunk of rows (pure): the per-cell rules of ``rows.RowView`` applied to whole
columns, and the hash of a record's source rows.

A chunk's cells are turned into one list per canonical column; cleaning, control-character and length
checks, and value parsing then run per column: a column whose text is plain (printable ASCII, no
doubled space) is kept as it is, and a parser runs once per distinct value of a column (a file repeats
its statuses, times and quantities), so the cost follows the distinct values rather than the rows. Each
function gives exactly what the per-row reader gives for every cell (``tests/ingest/
test_columnar_properties.py`` checks it on arbitrary text); where a cell would raise a problem it is
marked so the row can go through the per-row mapper, which reports it.

``raw_hash`` fingerprints a record by the rows it was mapped from (their canonical cell texts), the
owner, where its lines start, the reading options and the mapping's version: a record of a re-imported
file is known unchanged before it is mapped, and a new mapping version makes every stored record be
compared again.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate, chain, compress, repeat
from operator import add, itemgetter, sub
from typing import Any

from fx.money import Money
from platform_adapters.canonical.identifiers import (_ISO6346_LETTER_VALUES, _SEPARATORS_RE, clean_text, is_valid_container_number,
                                                     is_valid_unlocode, normalize_document_number, normalize_unlocode)
from platform_adapters.tabular import values as parse
from platform_adapters.tabular.control import CONTROL_RE
from platform_adapters.tabular.rows import doc_list, line_number, ref_list

#: Bumped when the text the hash covers changes shape (each mapper also has its ``MAPPING_VERSION``).
RAW_HASH_FORMAT = 1
#: whitespace at a cell's edge in NUL-separated cells (``re``'s ``\s`` is exactly what ``str.strip`` removes)
_EDGE_SPACE = re.compile(r"\x00\s|\s\x00")


@dataclass(frozen=True)
class ColumnFacts:
    """What a reader found out about a column of the file over a chunk's rows (or more rows: both facts
    stay true of any of them), so ``columns_of`` and ``flagged_rows`` need not look at the text again.
    ``plain_csv`` finds them with Arrow's compute kernels."""

    plain: bool  # every cell printable ASCII, without a space at its edges nor a doubled space
    longest: int  # at least the length of its longest cell


class FileColumns(list):
    """A chunk's cells as one list per column of the file, with what the reader found out about each
    column (``facts``, one ``ColumnFacts`` per column)."""

    def __init__(self, columns: Iterable[list[str]], facts: list[ColumnFacts]) -> None:
        super().__init__(columns)
        self.facts = facts


def columns_of(rows: Sequence[tuple[str, ...]] | None, indexes: dict[str, int], defaults: dict[str, str],
               by_index: Sequence[Sequence[str]] | None = None,
               facts: Sequence[ColumnFacts] | None = None) -> tuple[dict[str, list[str]], set[str]]:
    """The canonical columns of ``rows`` (cell tuples as read): what ``ColumnMap.row`` gives for each
    row, as one list per column (trimmed text; a column's default where its cell is empty or absent);
    and the columns found ``plain`` while trimming them (each column's text is looked over once here, and
    ``flagged_rows`` and ``clean_column`` take the answer instead of looking again). ``by_index``: the
    same cells as one list per column of the file, when the reader has them so (``rows`` may then be
    None: every row has a cell in each of those columns). ``facts``: what the reader knows of each
    column of the file (``ColumnFacts``); a column it knows plain is kept as it is without a look."""
    if rows is None:
        assert by_index is not None
        count = len(by_index[0]) if by_index else 0
    else:
        count = len(rows)
    out: dict[str, list[str]] = {column: [value] * count for column, value in defaults.items()}
    plain = {column for column, value in defaults.items() if _plain_text(value, [value])}
    if not count:
        return {**out, **{column: [] for column in indexes}}, plain | set(indexes)
    if rows is None:
        width = len(by_index)
        cells: Sequence[Sequence[str]] | None = by_index
    else:
        width = min(map(len, rows))
        if by_index is not None:
            cells = by_index
        else:
            cells = list(zip(*rows)) if width == max(map(len, rows)) else None
    for column, index in indexes.items():
        if index >= width:
            texts: Sequence[str] = ([""] * count if rows is None else
                                    [row[index] if index < len(row) else "" for row in rows])
        else:
            texts = cells[index] if cells is not None else [row[index] for row in rows]
        if facts is not None and index < len(facts) and facts[index].plain:
            texts, is_plain = list(texts), True
        else:
            texts, is_plain = _trimmed(texts)
        default = defaults.get(column)
        if default:
            out[column] = [text or default for text in texts]
            is_plain = is_plain and column in plain
        else:
            out[column] = texts
        if is_plain:
            plain.add(column)
        else:
            plain.discard(column)
    return out, plain


def _trimmed(texts: Sequence[str]) -> tuple[list[str], bool]:
    """``[t.strip() for t in texts]``, found unnecessary with one search where no cell starts or ends
    with whitespace; and whether the cells are ``plain`` (known from the same search)."""
    joined = "".join(texts)
    marked = "\x00" + "\x00".join(texts) + "\x00"
    if joined.isprintable():  # then the only whitespace is the space
        if "\x00 " not in marked and " \x00" not in marked:
            return list(texts), joined.isascii() and "  " not in joined
    elif _EDGE_SPACE.search(marked) is None:
        return list(texts), False
    return [text.strip() for text in texts], False


def flagged_rows(columns: dict[str, Sequence[str]], max_chars: int, plain: Collection[str] = (),
                 short: Collection[str] = ()) -> set[int]:
    """Rows holding a control character (other than tab, LF, CR) or a cell longer than ``max_chars``:
    one look over each column's joined text (printable text holds no control character; nor does a
    column in ``plain``), row by row only where it finds something. ``short``: columns known to hold no
    cell longer than ``max_chars`` (``short_columns``)."""
    flagged: set[int] = set()
    for name, column in columns.items():
        if not column:
            continue
        if (name not in plain and not "".join(column).isprintable()
                and CONTROL_RE.search("\n".join(column)) is not None):
            flagged.update(i for i, text in enumerate(column) if CONTROL_RE.search(text) is not None)
        if name not in short and max(map(len, column)) > max_chars:
            flagged.update(i for i, text in enumerate(column) if len(text) > max_chars)
    return flagged


def short_columns(indexes: dict[str, int], defaults: dict[str, str], facts: Sequence[ColumnFacts] | None,
                  max_chars: int) -> set[str]:
    """The canonical columns (``columns_of``) that ``facts`` show hold no cell longer than ``max_chars``."""
    if facts is None:
        return set()
    return {column for column, index in indexes.items()
            if index < len(facts) and facts[index].longest <= max_chars and len(defaults.get(column, "")) <= max_chars}


def _plain(column: Sequence[str]) -> bool:
    """Every cell is trimmed printable ASCII without a doubled space: ``clean_text`` leaves it as it is."""
    return _plain_text("".join(column), column)


def _plain_text(joined: str, column: Sequence[str]) -> bool:
    if not (joined.isascii() and joined.isprintable() and "  " not in joined):
        return False
    marked = "\x00" + "\x00".join(column) + "\x00"  # a cell's edges (NUL is never printable)
    return "\x00 " not in marked and " \x00" not in marked


#: ``.get(text, text)``: ``text or None`` for a str, in C over a whole column
_NONE_IF_EMPTY = {"": None}


def clean_column(column: Sequence[str], plain: bool = False) -> list[str | None]:
    """``[clean_text(t) or None for t in column]`` (``plain``: the column is known plain, see ``columns_of``)."""
    if plain or _plain(column):
        return list(column) if all(column) else list(map(_NONE_IF_EMPTY.get, column, column))
    done = {text: clean_text(text) or None for text in set(column)}
    return list(map(done.__getitem__, column))


def upper_column(column: Sequence[str]) -> list[str | None]:
    """``RowView.upper`` of each cell: cleaned, upper case, None when empty."""
    done = {text: (clean_text(text).upper() or None) for text in set(column)}
    return list(map(done.__getitem__, column))


@dataclass(frozen=True)
class ChunkValues:
    """What a kind's columnar mapper read of a chunk: each record field as a list over the chunk's rows,
    and whether the per-row mapper would report nothing about each row."""

    fields: dict[str, list[Any]]
    ok: list[bool]


def mapped_column(column: Sequence[str], rule: Callable[[str], Any]) -> list[Any]:
    """``rule`` of each cell, once per distinct text (``rule`` never raises)."""
    done = {text: rule(text) for text in set(column)}
    return list(map(done.__getitem__, column))


#: the ASCII characters ``normalize_document_number`` drops (its separators and what ``re``'s ``\s`` matches)
_ASCII_SEPARATORS = bytes(code for code in range(128)
                          if _SEPARATORS_RE.fullmatch(chr(code)) is not None and code != 0)


def document_column(column: Sequence[str]) -> list[str | None]:
    """``[normalize_document_number(t) or None for t in column]`` with one pass over the column's joined
    text: the rule changes characters one by one (half-width forms, upper case) and drops runs of
    separators, none of which is NUL, so it can run over the cells joined by NUL (a cell holding a NUL,
    which the import rejects before mapping, is answered cell by cell). ASCII text, which has no
    half-width form to take, has its separators deleted by ``bytes.translate`` instead of the pattern."""
    joined = "\x00".join(column)
    if joined.isascii():
        parts = joined.encode("ascii").translate(None, _ASCII_SEPARATORS).decode("ascii").upper().split("\x00")
    else:
        parts = normalize_document_number(joined).split("\x00")
    if len(parts) != len(column):
        return mapped_column(column, lambda text: normalize_document_number(text) or None)
    return parts if all(parts) else list(map(_NONE_IF_EMPTY.get, parts, parts))


def container_column(column: Sequence[str]) -> tuple[list[str | None], set[str]]:
    """``RowView.container`` of each cell: the normalised numbers (None when empty), and those that are
    not valid ISO 6346 numbers (which it flags; ``invalid_containers``)."""
    numbers = document_column(column)
    distinct = set(numbers)
    distinct.discard(None)
    return numbers, invalid_containers(distinct)


#: ISO 6346 value of each byte (``identifiers.iso6346_check_digit``'s letters and digits; -1: no value)
_ISO6346_VALUES = [-1] * 256
for _letter, _value in _ISO6346_LETTER_VALUES.items():
    _ISO6346_VALUES[ord(_letter)] = _value
for _digit in range(10):
    _ISO6346_VALUES[ord("0") + _digit] = _digit
del _letter, _value, _digit


def invalid_containers(numbers: Collection[str]) -> set[str]:
    """Those of ``numbers`` (normalised document numbers, ``normalize_document_number``) that are not valid
    ISO 6346 container numbers (``identifiers.is_valid_container_number``): the numbers of eleven ASCII
    characters checked together by numpy — three letters, a category letter, six digits and the check
    digit the weighted sum of the first ten gives — the others one by one."""
    import numpy as np

    fixed = [number for number in numbers if len(number) == 11 and number.isascii()]
    invalid = {number for number in numbers if not (len(number) == 11 and number.isascii())
               and not is_valid_container_number(number)}
    if not fixed:
        return invalid
    codes = np.frombuffer("".join(fixed).encode("ascii"), dtype=np.uint8).reshape(len(fixed), 11)
    values = np.array(_ISO6346_VALUES, dtype=np.int64)[codes]
    letters = (codes[:, :3] >= ord("A")) & (codes[:, :3] <= ord("Z"))
    category = np.isin(codes[:, 3], np.frombuffer(b"UJZR", dtype=np.uint8))
    digits = (codes[:, 4:] >= ord("0")) & (codes[:, 4:] <= ord("9"))
    check = (values[:, :10] << np.arange(10)).sum(axis=1) % 11 % 10
    valid = letters.all(axis=1) & category & digits.all(axis=1) & (check == values[:, 10])
    invalid.update(compress(fixed, ~valid))
    return invalid


def unlocode_column(column: Sequence[str]) -> tuple[list[str | None], set[str]]:
    """``RowView.unlocode`` of each cell: the UN/LOCODE's key form (None when empty), or the cleaned text as
    written where it does not match the pattern; and those texts (which it flags), each rule once per
    distinct cell."""
    done: dict[str, str | None] = {}
    flagged: set[str] = set()
    for cell in set(column):
        text = clean_text(cell)
        if not text:
            done[cell] = None
            continue
        code = normalize_unlocode(text)
        if is_valid_unlocode(code):
            done[cell] = code
        else:
            done[cell] = text
            flagged.add(text)
    return list(map(done.__getitem__, column)), flagged


#: the amount ``refused_currencies`` checks a currency with: a Decimal ``parse_decimal`` reads is finite,
#: which ``Money`` keeps as its amount as it is, so only the currency can make it refuse
_PROBE = Decimal(1)


def refused_currencies(codes: Iterable[str | None]) -> set[str | None]:
    """Those of ``codes`` that ``Money`` refuses as a currency (an amount read by ``parse_decimal`` with one
    of them is reported by the per-row mapper), each tried once; None (no currency) among them."""
    refused: set[str | None] = set()
    for code in set(codes):
        try:
            Money(_PROBE, code)  # type: ignore[arg-type]
        except (ValueError, TypeError):
            refused.add(code)
    return refused


def line_numbers(stated: list[int | None], groups: Sequence[tuple[int, int]]) -> list[int]:
    """Each row's line number in its record (the groups ``(start, end)`` of rows, from the chunk's first row
    on): ``rows.line_number`` with no line stored before; the rows outside every group hold 0. ``stated`` itself when every row states one."""
    if None not in stated:
        return stated
    numbers = [0] * len(stated)
    for start, end in groups:
        numbers[start:end] = _numbered(stated, start, end)
    return numbers


def _numbered(stated: list[int | None], start: int, end: int) -> list[int]:
    part = stated[start:end]
    if None not in part:
        return part
    return [line_number(number, 0, index) for index, number in enumerate(part, 1)]


def check_line_numbers(values: ChunkValues, starts: Sequence[int]) -> None:
    """Mark not ``ok`` the rows of a record (rows ``starts[n]`` to ``starts[n + 1]``) whose line number
    (``line_numbers``, from the ``line_no`` field) another row of the record has too: the per-row mapper
    rejects the later one as ``duplicate_line_no``."""
    stated, ok = values.fields["line_no"], values.ok
    for start, end in zip(starts, starts[1:]):
        if end - start < 2:
            continue
        numbers = _numbered(stated, start, end)
        if len(set(numbers)) < len(numbers):
            first: dict[int, int] = {}
            for i, number in enumerate(numbers, start):
                if number in first:
                    ok[i] = ok[first[number]] = False
                else:
                    first[number] = i


class ChunkColumns:
    """A chunk's canonical columns as a kind's ``read_columns`` reads them, ``RowView``'s rules a column at a
    time: an absent column is empty; the rows holding a cell a parser refuses gather in ``refused``
    (``plain``: the columns known plain, ``columns_of``)."""

    def __init__(self, columns: dict[str, list[str]], rows: int, options: Any, plain: Collection[str] = ()) -> None:
        self.columns, self.rows, self.options, self.plain = columns, rows, options, plain
        self.empty = [""] * rows
        self.refused: set[int] = set()

    def raw(self, name: str) -> list[str]:
        return self.columns.get(name) or self.empty

    def text(self, name: str) -> list[str | None]:
        return clean_column(self.raw(name), name in self.plain)

    def upper(self, name: str) -> list[str | None]:
        return upper_column(self.raw(name))

    def doc(self, name: str) -> list[str | None]:
        return document_column(self.raw(name))

    def container(self, name: str) -> tuple[list[str | None], set[str]]:
        return container_column(self.raw(name))

    def parsed(self, name: str, parser: Callable[[str], Any]) -> list[Any]:
        values, refused = parsed_column(self.raw(name), parser)
        self.refused |= refused
        return values

    def datetime(self, name: str) -> list[Any]:
        formats, zone = self.options.datetime_formats, self.options.timezone
        return self.parsed(name, lambda text: parse.parse_datetime(text, formats, zone))

    def date(self, name: str) -> list[Any]:
        formats = self.options.date_formats
        return self.parsed(name, lambda text: parse.parse_date(text, formats))

    def quantity(self, name: str) -> list[int | None]:
        return self.parsed(name, parse.parse_quantity)

    def decimal(self, name: str) -> list[Any]:
        return self.parsed(name, parse.parse_decimal)

    def boolean(self, name: str) -> list[bool | None]:
        trues, falses = self.options.true_values, self.options.false_values
        return self.parsed(name, lambda text: parse.parse_bool(text, trues, falses))

    def docs(self, name: str) -> list[tuple[str, ...]]:
        """``RowView.docs`` of each cell (``rows.doc_list``), once per distinct text."""
        return mapped_column(self.raw(name), doc_list)

    def refs(self, name: str) -> list[tuple[str, ...]]:
        """``RowView.refs`` of each cell (``rows.ref_list``), once per distinct text."""
        return mapped_column(self.raw(name), ref_list)

    def unlocode(self, name: str) -> tuple[list[str | None], set[str]]:
        return unlocode_column(self.raw(name))

    def fields(self, texts: dict[str, str], *, uppers: Iterable[str] = (), docs: Iterable[str] = (),
               dates: Iterable[str] = (), times: Iterable[str] = (), quantities: Iterable[str] = ()
               ) -> dict[str, list[Any]]:
        """The named fields read each by its rule: ``texts`` field → source column (cleaned text); the other
        groups read the column of the field's own name (upper-cased text, document numbers, dates,
        datetimes, quantities)."""
        read: dict[str, list[Any]] = {name: self.text(source) for name, source in texts.items()}
        for names, reader in ((uppers, self.upper), (docs, self.doc), (dates, self.date),
                              (times, self.datetime), (quantities, self.quantity)):
            for name in names:
                read[name] = reader(name)
        return read

    def ok(self, required: Iterable[Sequence[Any]]) -> list[bool]:
        """``ok_rows`` of the chunk: no refused cell and a value in each ``required`` column."""
        return ok_rows(self.rows, self.refused, required)


def ok_rows(rows: int, refused: Collection[int], required: Iterable[Sequence[Any]]) -> list[bool]:
    """Whether each of ``rows`` rows is clean so far: not among the ``refused`` rows (a cell a parser
    refused) and holding a value in each of the ``required`` columns."""
    ok = [True] * rows
    for i in refused:
        ok[i] = False
    for column in required:
        if None in column:
            for i, value in enumerate(column):
                if value is None:
                    ok[i] = False
    return ok


def unmark(ok: list[bool], column: Sequence[Any], flagged: Collection[Any]) -> None:
    """Mark not ``ok`` the rows whose value in ``column`` is among ``flagged`` (values the per-row mapper
    reports on: an unknown status, an invalid container number…)."""
    if flagged:
        for i, value in enumerate(column):
            if value in flagged:
                ok[i] = False


def record_keys(columns: dict[str, Sequence[str]], owners: list[str], names: Sequence[str],
                plain: Collection[str] = ()) -> list[tuple[str, ...] | None]:
    """``(owner, *cleaned cells of names)`` of each row, None where one of those cells is empty (the
    ``record_key`` of the kinds keyed by their owner and cleaned texts; ``plain`` as for ``clean_column``)."""
    empty = [""] * len(owners)
    cleaned = [clean_column(columns.get(name) or empty, name in plain) for name in names]
    if all(map(all, cleaned)):  # (the usual chunk: every row has its key)
        return list(zip(owners, *cleaned))
    return [(owner, *texts) if all(texts) else None for owner, *texts in zip(owners, *cleaned)]


def group_columns(columns: Sequence[Sequence[Any]], groups: Sequence[tuple[int, int]]) -> list[list]:
    """For each column, each group ``(start, end)`` of rows' first value in it that is not None (a record's
    header field is its first value in the record's rows: ``rows.header_value``)."""
    starts = [start for start, _ in groups]
    # (each group's first row: the value, usually; one itemgetter of every start, applied per column in C)
    pick = itemgetter(*starts) if len(starts) > 1 else lambda column: tuple(column[start] for start in starts)
    picked = []
    for column in columns:
        values = list(pick(column))
        # only a column holding both values and gaps can have a group's value on a later row than its first
        if None in values and column.count(None) < len(column):
            for n, (start, end) in enumerate(groups):
                if values[n] is None and end - start > 1:
                    values[n] = next((v for v in column[start + 1:end] if v is not None), None)
        picked.append(values)
    return picked


class GroupedRows(Sequence):
    """Records' line rows held column by column: ``columns`` one list per line field over every record's
    rows in order, ``sizes`` each record's number of rows. It reads as a list with one list of row tuples
    per record (what a writer takes), each made as asked; a writer that binds columns takes ``columns``
    and ``sizes`` as they are, without a tuple per row."""

    def __init__(self, columns: list[list], sizes: list[int]) -> None:
        self.columns, self.sizes = columns, sizes
        self._bounds: list[int] | None = None
        self._rows: list[tuple] | None = None

    def bounds(self) -> list[int]:
        """Where each record's rows start in ``columns``, and (last) where the last one's end."""
        if self._bounds is None:
            self._bounds = [0, *accumulate(self.sizes)]
        return self._bounds

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        count = len(self.sizes)
        if i < 0:  # (from the end, as a list counts)
            i += count
        if not 0 <= i < count:
            raise IndexError("record index out of range")
        bounds = self.bounds()
        start, end = bounds[i], bounds[i + 1]
        return list(zip(*(column[start:end] for column in self.columns))) if self.columns else [()] * (end - start)

    def __iter__(self) -> Any:
        bounds = self.bounds()
        if self._rows is None:  # (made once: a writer taking rows may go over them more than once)
            self._rows = list(zip(*self.columns)) if self.columns else [()] * bounds[-1]
        rows = self._rows
        return (rows[start:end] for start, end in zip(bounds, bounds[1:]))

    def pick(self, records: Sequence[int]) -> GroupedRows:
        """The rows of the ``records`` (positions, in that order)."""
        bounds = self.bounds()
        at = list(chain.from_iterable(map(range, map(bounds.__getitem__, records),
                                          map(bounds.__getitem__, map(add, records, repeat(1))))))
        return GroupedRows([list(map(column.__getitem__, at)) for column in self.columns],
                           list(map(self.sizes.__getitem__, records)))

    @staticmethod
    def joined(parts: Sequence[GroupedRows]) -> GroupedRows:
        """The records of ``parts`` one after another."""
        if len(parts) == 1:
            return parts[0]
        return GroupedRows([list(chain.from_iterable(columns)) for columns in zip(*(part.columns for part in parts))],
                           list(chain.from_iterable(part.sizes for part in parts)))


def grouped_rows(columns: Sequence[Sequence[Any]], groups: Sequence[tuple[int, int]]) -> GroupedRows:
    """The rows of each group ``(start, end)`` of a chunk's ``columns`` (one list per line field over the
    chunk's rows), column by column (``GroupedRows``)."""
    starts, ends = list(map(itemgetter(0), groups)), list(map(itemgetter(1), groups))
    sizes = list(map(sub, ends, starts))
    if starts and starts[0] == 0 and ends[:-1] == starts[1:]:  # the groups are the first rows, one after another
        return GroupedRows([column[:ends[-1]] for column in columns], sizes)
    at = list(chain.from_iterable(map(range, starts, ends)))
    return GroupedRows([list(map(column.__getitem__, at)) for column in columns], sizes)


def kept_rows(columns: Sequence[Sequence[Any]], groups: Sequence[tuple[int, int]], keep: Sequence[bool]) -> GroupedRows:
    """The rows ``keep`` marks of each group ``(start, end)`` of a chunk's ``columns``, column by column
    (``GroupedRows``; a group keeping none has none)."""
    if all(keep):
        return grouped_rows(columns, groups)
    at: list[int] = []
    sizes = []
    for start, end in groups:
        kept = list(compress(range(start, end), keep[start:end]))
        at.extend(kept)
        sizes.append(len(kept))
    return GroupedRows([list(map(column.__getitem__, at)) for column in columns], sizes)


def parsed_column(column: Sequence[str], parse: Callable[[str], Any]) -> tuple[list[Any], set[int]]:
    """``parse`` of each cell, once per distinct text; the rows whose cell it refuses (their value None)."""
    done: dict[str, Any] = {}
    refused: set[str] = set()
    for text in set(column):
        try:
            done[text] = parse(text)
        except ValueError:
            done[text] = None
            refused.add(text)
    values = list(map(done.__getitem__, column))
    if not refused:
        return values, set()
    return values, {i for i, text in enumerate(column) if text in refused}


def hash_prefix(kind: str, version: int, options: Any, owner: str, offset: int, columns: Sequence[str]) -> str:
    """What besides the rows decides a record: kind and mapping version, the profile's reading options
    (zone, formats, yes/no words), the owner, the first line number and which columns the file has."""
    read = (options.timezone or "", *options.date_formats, "\x1c", *options.datetime_formats, "\x1c",
            *options.true_values, "\x1c", *options.false_values)
    return "\x1d".join((f"{kind}/{RAW_HASH_FORMAT}.{version}", "\x1f".join(read), owner, str(offset),
                        "\x1f".join(columns)))


def raw_hash(prefix: str, rows: Iterable[Sequence[str]]) -> str:
    """sha256 of ``prefix`` and the rows' canonical cell texts (controls other than tab/LF/CR never reach
    here, so the separators are unambiguous)."""
    return raw_hash_of_texts(prefix, map(row_text, rows))


#: what ``row_text`` joins a row's cells with
ROW_SEPARATOR = "\x1f"


def row_text(row: Sequence[str]) -> str:
    """A row's cells as ``raw_hash`` joins them (made once per row when a chunk's records are hashed,
    by ``ROW_SEPARATOR.join`` itself)."""
    return ROW_SEPARATOR.join(row)


def span_hashes(texts: Sequence[str], spans: Iterable[tuple[int, int]], prefixes: Iterable[str]) -> list[str]:
    """``raw_hash_of_texts(prefix, texts[start:end])`` of each span ``(start, end)`` of rows, with its
    ``prefix`` from ``prefixes`` (one per span): each distinct prefix hashed once, its state copied per span."""
    prefixes = list(prefixes)
    started = {prefix: hashlib.sha256((prefix + "\x1d").encode("utf-8", "surrogatepass")) for prefix in set(prefixes)}
    out = []
    for (start, end), prefix in zip(spans, prefixes):
        digest = started[prefix].copy()
        digest.update((texts[start] if end - start == 1 else "\x1e".join(texts[start:end]))
                      .encode("utf-8", "surrogatepass"))
        out.append(digest.hexdigest())
    return out


def raw_hash_of_texts(prefix: str, texts: Iterable[str]) -> str:
    """``raw_hash`` of the rows whose ``row_text`` are ``texts``."""
    return hashlib.sha256((prefix + "\x1d" + "\x1e".join(texts)).encode("utf-8", "surrogatepass")).hexdigest()


class RawHashParts:
    """``raw_hash_of_texts`` of a record's rows given a part at a time (a record longer than a chunk): the
    same hash as of all its rows at once."""

    def __init__(self, prefix: str) -> None:
        self._digest = hashlib.sha256((prefix + "\x1d").encode("utf-8", "surrogatepass"))
        self._empty = True

    def add(self, texts: Sequence[str]) -> None:
        """The next rows' ``row_text``."""
        if texts:
            self._digest.update((("" if self._empty else "\x1e") + "\x1e".join(texts))
                                .encode("utf-8", "surrogatepass"))
            self._empty = False

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
