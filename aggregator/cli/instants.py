"""Parsing the instants users type on the command line: ISO 8601, always ending timezone-aware UTC."""
from __future__ import annotations

from datetime import datetime, timezone

import click


def parse_instant(value: str, what: str = "time", *, naive_is_utc: bool = False) -> datetime:
    """An ISO 8601 date or date-time (``Z`` accepted). Without an offset it is refused, unless the
    command says in its help that it reads such a value as UTC (``naive_is_utc``)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{what}: not an ISO 8601 date or date-time: {value!r}") from exc
    if parsed.utcoffset() is None:
        if not naive_is_utc:
            raise click.BadParameter(f"{what} needs a time zone, e.g. 2026-12-01T00:00:00+08:00 or …Z")
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
