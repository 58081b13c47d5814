"""The one rule for instants typed on the command line: ISO 8601 with a time zone, ending aware UTC.

``2026-12-01T00:00:00+08:00`` and ``2026-12-01T00:00:00Z`` are accepted; a value without an offset
(``2026-12-01T00:00:00``) or a bare date (``2026-12-01``) is refused with an example, on every verb
(``sync --since/--until``, ``title position --at``, ``inventory … --at``, ``fx …``): guessing UTC for
a seller who works in UTC+8 would shift a backfill or a title position by eight hours silently.

Verbs declare ``type=INSTANT`` on the option (the value arrives as an aware UTC ``datetime``), or call
``parse_instant(text, "--option")``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import click

EXAMPLE = "2026-12-01T00:00:00+08:00 or 2026-12-01T00:00:00Z"


def parse_instant(value: str, what: str = "time") -> datetime:
    """An ISO 8601 date-time with an offset or ``Z``, as aware UTC; anything else is refused."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError as exc:
        raise click.BadParameter(f"{what}: not an ISO 8601 date-time: {value!r} (e.g. {EXAMPLE})") from exc
    if parsed.utcoffset() is None:
        raise click.BadParameter(f"{what}: {value!r} needs a time zone, e.g. {EXAMPLE}")
    return parsed.astimezone(timezone.utc)


class InstantType(click.ParamType):
    """A click option type applying ``parse_instant`` (the option's name goes into the message)."""

    name = "instant"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime) and value.utcoffset() is not None:
            return value.astimezone(timezone.utc)
        what = param.opts[0] if param is not None and param.opts else "time"
        try:
            return parse_instant(str(value), what)
        except click.BadParameter as exc:
            self.fail(exc.message, param, ctx)


INSTANT = InstantType()
