"""Typed access to one canonical row, collecting problems instead of raising.

Mappers read fields through ``RowView``: every failed parse becomes a ``Problem`` located at
``file:line`` and naming the *source* column, and the caller decides whether the row is rejected
(any ERROR) or only flagged (WARNINGs).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from platform_adapters.canonical.common import Problem, Severity
from platform_adapters.canonical.tenancy import OwnerClaim
from platform_adapters.canonical.identifiers import (
    clean_text,
    is_valid_container_number,
    is_valid_unlocode,
    normalize_container_number,
    normalize_document_number,
    normalize_unlocode,
)
from platform_adapters.tabular import values as parse

T = TypeVar("T")


@dataclass(frozen=True)
class ReadOptions:
    """What a profile says about values: formats, zone, extra yes/no words; plus where we are."""

    filename: str = ""
    timezone: str | None = None
    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    owner_id: str | None = None
    source_name: Callable[[str], str] = field(default=lambda column: column)


@dataclass(frozen=True, slots=True)
class CanonicalRow:
    """A data row after profile application: its physical line and canonical column -> text."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class GroupResult(Generic[T]):
    """A record built from a group of rows, the problems found, and the lines it was built from."""

    record: T | None
    problems: tuple[Problem, ...] = ()
    accepted_lines: tuple[int, ...] = ()


class RowView:
    """Read typed values from one row; ``problems`` fills up as fields fail."""

    def __init__(self, row: CanonicalRow, options: ReadOptions) -> None:
        self.row = row
        self.options = options
        self.problems: list[Problem] = []

    @property
    def location(self) -> str:
        return f"{self.options.filename}:{self.row.line}"

    @property
    def rejected(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)

    def problem(self, column: str, code: str, message: str, severity: Severity = Severity.ERROR,
                value: str | None = None) -> None:
        self.problems.append(Problem(code=code, message=message, severity=severity,
                                     field=self.options.source_name(column),
                                     value=self.row.values.get(column, "") if value is None else value,
                                     location=self.location))

    def raw(self, column: str) -> str:
        return self.row.values.get(column, "")

    def text(self, column: str, required: bool = False) -> str | None:
        value = clean_text(self.raw(column))
        if not value:
            if required:
                self.problem(column, "missing_value", "a value is required")
            return None
        return value

    def upper(self, column: str) -> str | None:
        value = self.text(column)
        return value.upper() if value else None

    def doc(self, column: str, required: bool = False) -> str | None:
        value = normalize_document_number(self.raw(column))
        if not value:
            if required:
                self.problem(column, "missing_value", "a value is required")
            return None
        return value

    def docs(self, column: str) -> tuple[str, ...]:
        """Several document numbers in one cell (``doc_list``)."""
        return doc_list(self.raw(column))

    def refs(self, column: str) -> tuple[str, ...]:
        """Several references in one cell (``ref_list``)."""
        return ref_list(self.raw(column))

    def container(self, column: str) -> tuple[str | None, bool | None]:
        """Normalised container number and its ISO 6346 validity (an invalid one is flagged, kept)."""
        number = normalize_container_number(self.raw(column))
        if not number:
            return None, None
        valid = is_valid_container_number(number)
        if not valid:
            self.problem(column, "container_check_digit",
                         "not a valid ISO 6346 container number (check digit or shape); kept and flagged",
                         Severity.WARNING)
        return number, valid

    def unlocode(self, column: str) -> str | None:
        text = clean_text(self.raw(column))
        if not text:
            return None
        code = normalize_unlocode(text)
        if not is_valid_unlocode(code):
            self.problem(column, "unlocode_pattern", "does not match the UN/LOCODE pattern; kept as written",
                         Severity.WARNING)
            return text
        return code

    def _parsed(self, column: str, parser: Callable[[str], T], required: bool, code: str) -> T | None:
        raw = self.raw(column)
        try:
            value = parser(raw)
        except ValueError as exc:
            self.problem(column, code, str(exc))
            return None
        if value is None and required:
            self.problem(column, "missing_value", "a value is required")
        return value

    def quantity(self, column: str, required: bool = False) -> int | None:
        return self._parsed(column, parse.parse_quantity, required, "bad_quantity")

    def signed_int(self, column: str) -> int | None:
        return self._parsed(column, parse.parse_signed_int, False, "bad_number")

    def decimal(self, column: str, required: bool = False) -> Decimal | None:
        return self._parsed(column, parse.parse_decimal, required, "bad_decimal")

    def boolean(self, column: str) -> bool | None:
        opts = self.options
        return self._parsed(column, lambda t: parse.parse_bool(t, opts.true_values, opts.false_values), False,
                            "bad_boolean")

    def date(self, column: str, required: bool = False) -> dt.date | None:
        return self._parsed(column, lambda t: parse.parse_date(t, self.options.date_formats), required, "bad_date")

    def datetime(self, column: str, required: bool = False) -> dt.datetime | None:
        opts = self.options
        return self._parsed(column, lambda t: parse.parse_datetime(t, opts.datetime_formats, opts.timezone),
                            required, "bad_datetime")


def claim(values: dict[str, str], via: str, column: str, scope_column: str | None = None,
          scope: str = "") -> OwnerClaim:
    """An ``OwnerClaim`` from a row's cell texts (the value may be empty: then it claims nothing)."""
    if scope_column is not None:
        scope = clean_text(values.get(scope_column, ""))
    return OwnerClaim(via, column, clean_text(values.get(column, "")), scope)


@dataclass(frozen=True, slots=True)
class ClaimSpec:
    """A claim a row makes that reads only its own cells: the value in ``column``, its scope in
    ``scope_column`` (if any). A mapper whose every claim is one (``CLAIM_SPECS``, ``claims_of``) has its rows'
    owners found column by column (each distinct cell pair once) by the columnar import."""

    via: str
    column: str
    scope_column: str | None = None

    def cleaned(self, value: str, scope: str = "") -> tuple[str, str]:
        """The (value, scope) of the claim a row whose ``column`` cell is ``value`` and ``scope_column`` cell
        ``scope`` makes (``claim``'s cleaning, without a claim object: the scope only read from a scope column)."""
        return clean_text(value), clean_text(scope) if self.scope_column is not None else ""


def claims_of(values: dict[str, str], specs: tuple[ClaimSpec, ...]) -> tuple[OwnerClaim, ...]:
    """A row's claims by ``specs``, in their order."""
    return tuple(claim(values, spec.via, spec.column, spec.scope_column) for spec in specs)


def reject_duplicates(views: list[RowView]) -> None:
    """Mark rows identical to an earlier row of the same group as rejected duplicates."""
    seen: dict[tuple, int] = {}
    for view in views:
        signature = tuple(sorted(view.row.values.items()))
        if signature in seen:
            view.problems.append(Problem(code="duplicate_row", message=f"duplicate of line {seen[signature]}",
                                         location=view.location))
        else:
            seen[signature] = view.row.line


def build_group(rows: list[CanonicalRow], options: ReadOptions,
                read_row: Callable[[RowView], dict],
                build: Callable[[list[tuple[RowView, dict]]], tuple[T | None, list[Problem]]]) -> GroupResult[T]:
    """Shared shape of a grouped mapper: drop duplicates, read every row, build from the good ones.

    Every row is read in full (header fields repeat on each row and are checked on each); a row with
    an ERROR is left out of the record and reported; the record is built from the remaining rows.
    """
    views = [RowView(row, options) for row in rows]
    reject_duplicates(views)
    accepted: list[tuple[RowView, dict]] = []
    for view in views:
        if view.rejected:
            continue
        data = read_row(view)
        if not view.rejected:
            accepted.append((view, data))
    problems = [p for view in views for p in view.problems]
    if not accepted:
        return GroupResult(None, tuple(problems), ())
    record, extra = build(accepted)
    problems.extend(extra)
    lines = tuple(view.row.line for view, _ in accepted) if record is not None else ()
    return GroupResult(record, tuple(problems), lines)


def doc_list(text: str) -> tuple[str, ...]:
    """Several document numbers in one cell, separated by ';', '|', '/' or a newline: each one's key form, once."""
    parts = clean_text(text.replace("|", ";").replace("\n", ";").replace("/", ";")).split(";")
    return tuple(dict.fromkeys(p for p in (normalize_document_number(x) for x in parts) if p))


def ref_list(text: str) -> tuple[str, ...]:
    """Several references (PO numbers…) in one cell, separated by ';', '|' or a newline, kept readable (trimmed,
    upper case), each once."""
    parts = text.replace("|", ";").replace("\n", ";").split(";")
    return tuple(dict.fromkeys(p for p in (clean_text(x).upper() for x in parts) if p))


def line_number(stated: int | None, offset: int, index: int) -> int:
    """A line's number: the one the row states, else its place among the record's rows (``index`` from 1)
    after the ``offset`` lines already stored."""
    return stated if stated is not None else offset + index


def header_value(accepted: list[tuple[RowView, dict]], name: str):
    """First non-empty parsed value of a header field across the accepted rows of a group."""
    for _, data in accepted:
        value = data.get(name)
        if value not in (None, "", ()):
            return value
    return None
