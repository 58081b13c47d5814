"""What every analytics report is: named tables of one owner (and period), the first one the main table.

The CLI (``aggregator report``) prints or writes a ``Report``; the API answers with the same tables as
JSON. Building a report is the job of each report's module (``cash_cycle`` …); this module only holds the
shape and the period parsing shared by all of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from aggregator.tenancy import require_owner
from fx.gains import period_bounds


@dataclass
class Report:
    name: str
    owner_id: str
    period: str | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # the first is the main table
    notes: list[str] = field(default_factory=list)  # one line each, for people

    @property
    def main(self) -> str:
        return next(iter(self.tables))


@dataclass(frozen=True, slots=True)
class Scope:
    """An owner that exists and the period (inclusive days; ``None``: everything stored)."""

    owner_id: str
    period: str | None
    first: date | None
    last: date | None


def scope(session: Session, owner_id: str, period: str | None) -> Scope:
    """``owner_id`` checked with ``require_owner`` (unknown → ``UnknownOwner``) and ``period`` (``YYYY-MM``)
    parsed (malformed → ``ValueError`` naming it)."""
    require_owner(session, owner_id)
    if period is None:
        return Scope(owner_id, None, None, None)
    first, last = period_bounds(period)
    if not 1971 <= first.year <= 9998:
        raise ValueError(f"period must be YYYY-MM between 1971-01 and 9998-12, got {period!r}")
    return Scope(owner_id, period, first, last)


def rounded(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    """``frame`` with its float columns rounded to ``digits`` (for people and files; the computation keeps
    full precision)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(digits)
    return out
