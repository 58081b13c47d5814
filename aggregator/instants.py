"""The one rule for instants from outside (command line, API query): ISO 8601 with a time zone, within a sane
range of years (of the UTC instant), ending aware UTC.

A value without an offset is refused (guessing UTC for a seller in UTC+8 would shift a backfill or a report by
eight hours silently); so is one outside ``MIN_YEAR``–``MAX_YEAR`` (near year 1 or 9999 converting to UTC or
going back a report's window would overflow ``datetime``). Errors are ``InstantError`` (a ``ValueError``) with a
message for people; the CLI turns it into a usage error (``aggregator.cli.instants``), the API into a 422
(``aggregator.api.instants``).
"""
from __future__ import annotations

from datetime import datetime, timezone

EXAMPLE = "2026-12-01T00:00:00+08:00 or 2026-12-01T00:00:00Z"
MIN_YEAR, MAX_YEAR = 1970, 9000


class InstantError(ValueError):
    """An instant refused: no time zone, not ISO 8601, or out of range (the message names it)."""


def checked_instant(value: datetime, what: str = "time") -> datetime:
    """``value`` as aware UTC, refused without a time zone or outside ``MIN_YEAR``–``MAX_YEAR``. The years bound
    the instant, so they are checked in UTC, not in the offset written: 1970-01-01T00:00:00+14:00 is 1969 in UTC
    (a negative Unix time, refused), 1969-12-31T20:00:00-04:00 is 1970-01-01Z (accepted)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InstantError(f"{what}: {value.isoformat()!r} needs a time zone, e.g. {EXAMPLE}")
    try:
        utc = value.astimezone(timezone.utc)
    except OverflowError:  # year 1 east of UTC or 9999 west of it: before or after anything datetime holds
        utc = None
    if utc is None or not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise InstantError(f"{what}: {value.isoformat()!r} is out of range (years {MIN_YEAR} to {MAX_YEAR})")
    return utc


def parse_instant_text(value: str, what: str = "time") -> datetime:
    """An ISO 8601 date-time with an offset or ``Z``, as aware UTC; anything else is refused."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except (ValueError, OverflowError) as exc:
        raise InstantError(f"{what}: not an ISO 8601 date-time: {value!r} (e.g. {EXAMPLE})") from exc
    if parsed.utcoffset() is None:
        raise InstantError(f"{what}: {value!r} needs a time zone, e.g. {EXAMPLE}")
    return checked_instant(parsed, what)
