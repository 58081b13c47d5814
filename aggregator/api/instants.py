"""Instants in API queries: the rule of ``aggregator.instants`` (time zone required, sane range), a refusal
answered 422 with its message (never a 500)."""
from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException

from aggregator.instants import InstantError, checked_instant


def aware(name: str, value: datetime, *, utc: bool = False) -> datetime:
    """``value`` (a query parameter named ``name``) checked, or a 422 saying why not; kept in its own offset
    (a series steps by months in it) unless ``utc``."""
    try:
        checked = checked_instant(value, name)
    except InstantError as exc:
        raise HTTPException(422, str(exc)) from None
    return checked if utc else value


def aware_or_none(name: str, value: datetime | None, *, utc: bool = False) -> datetime | None:
    """``aware`` for an optional parameter (None stays None)."""
    return None if value is None else aware(name, value, utc=utc)
