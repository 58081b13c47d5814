"""The one rule for instants typed on the command line (``aggregator.instants``, shared with the API): ISO 8601
with a time zone, within a sane range of years, ending aware UTC.

``2026-12-01T00:00:00+08:00`` and ``2026-12-01T00:00:00Z`` are accepted; a value without an offset
(``2026-12-01T00:00:00``) or a bare date (``2026-12-01``) is refused with an example, on every verb
(``sync --since/--until``, ``title position --at``, ``inventory … --at``, ``fx …``): guessing UTC for
a seller who works in UTC+8 would shift a backfill or a title position by eight hours silently.

Verbs declare ``type=INSTANT`` on the option (the value arrives as an aware UTC ``datetime``), or call
``parse_instant(text, "--option")``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from aggregator.instants import EXAMPLE, InstantError, checked_instant, parse_instant_text

__all__ = ["EXAMPLE", "INSTANT", "InstantType", "parse_instant"]


def parse_instant(value: str, what: str = "time") -> datetime:
    """An ISO 8601 date-time with an offset or ``Z``, as aware UTC (``aggregator.instants``); anything else,
    or an instant out of range, is a ``click.BadParameter``."""
    try:
        return parse_instant_text(value, what)
    except InstantError as exc:
        raise click.BadParameter(str(exc)) from exc


class InstantType(click.ParamType):
    """A click option type applying ``parse_instant`` (the option's name goes into the message)."""

    name = "instant"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        what = param.opts[0] if param is not None and param.opts else "time"
        try:
            if isinstance(value, datetime):
                return checked_instant(value, what)
            return parse_instant_text(str(value), what)
        except InstantError as exc:
            self.fail(str(exc), param, ctx)


INSTANT = InstantType()
