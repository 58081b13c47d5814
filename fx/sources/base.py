"""What every rate parser returns: the rates it could read and the problems it found."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fx.rates import Rate


class SourceFormatError(ValueError):
    """The whole payload is not in the expected layout (nothing could be read)."""


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A value or row that was skipped: where it is, why, and the raw text."""

    location: str
    message: str
    raw: str | None = None
    skipped_by_design: bool = False  # e.g. a withdrawn currency column: reported, not an error

    def describe(self) -> str:
        raw = f" (raw {self.raw!r})" if self.raw is not None else ""
        return f"{self.location}: {self.message}{raw}"


@dataclass(slots=True)
class ParsedRates:
    """Rates read from one payload, in payload order, and the problems met on the way."""

    source: str
    rates: list[Rate] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)

    def dates(self) -> list[date]:
        return sorted({r.on for r in self.rates})

    def currencies(self) -> set[str]:
        return {r.base for r in self.rates} | {r.quote for r in self.rates}
