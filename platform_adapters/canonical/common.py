"""Shared pieces of the canonical records: platforms, problems, mapping results, time checks."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Generic, TypeVar

T = TypeVar("T")


class Platform(str, enum.Enum):
    SHOPEE = "shopee"
    LAZADA = "lazada"
    TIKTOK = "tiktok"

    @classmethod
    def parse(cls, value: str) -> "Platform":
        key = value.strip().lower().replace(" ", "").replace("_", "")
        aliases = {"tiktokshop": "tiktok", "tts": "tiktok"}
        return cls(aliases.get(key, key))


class Severity(str, enum.Enum):
    """``ERROR``: the record cannot be used (parked). ``WARNING``: usable but suspicious (flagged)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a mapper found wrong with its input: where, what and why."""

    code: str
    message: str
    severity: Severity = Severity.ERROR
    field: str | None = None
    value: str | None = None
    location: str | None = None  # e.g. "orders.csv:17" or "order_list[3]"

    def describe(self) -> str:
        where = f"{self.location}: " if self.location else ""
        what = f"{self.field}={self.value!r}: " if self.field else ""
        return f"{where}{what}{self.message} [{self.code}]"


@dataclass(frozen=True, slots=True)
class MappingResult(Generic[T]):
    """What a pure mapper returns: the record (None when unusable) and the problems it found."""

    record: T | None
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.record is not None and not any(p.severity is Severity.ERROR for p in self.problems)


def aware_utc(value: datetime | None, name: str = "datetime") -> datetime | None:
    """Return ``value`` converted to UTC; refuse naive datetimes."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(timezone.utc)


def require_aware(record: object, *names: str) -> None:
    """Normalise the named datetime attributes of a frozen record to aware UTC."""
    for name in names:
        current = getattr(record, name)
        if current is not None:
            object.__setattr__(record, name, aware_utc(current, name))
