"""Small helpers shared by the DCSA eBL and Track & Trace mappers: safe access and timestamp parsing."""
from __future__ import annotations

import datetime as dt
from typing import Any


def dig(data: Any, *path: str | int) -> Any:
    """``data[p0][p1]…`` or None when any step is missing or of the wrong type (never raises)."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or not -len(data) <= step < len(data):
                return None
            data = data[step]
        else:
            if not isinstance(data, dict):
                return None
            data = data.get(step)
    return data


def text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    result = str(value).strip()
    return result or None


def parse_instant(value: Any) -> dt.datetime:
    """An ISO 8601 instant with an offset, as aware UTC; ValueError otherwise (DCSA times carry offsets)."""
    raw = text(value)
    if raw is None:
        raise ValueError("missing date-time")
    parsed = dt.datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    if parsed.tzinfo is None:
        raise ValueError("date-time without an offset")
    return parsed.astimezone(dt.UTC)


def parse_local_date(value: Any) -> dt.date | None:
    raw = text(value)
    return dt.date.fromisoformat(raw[:10]) if raw else None
