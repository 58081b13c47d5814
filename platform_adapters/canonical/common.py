"""Shared pieces of the canonical records: platforms, problems, mapping results, time checks."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
import re
from typing import ClassVar, Generic, TypeVar

T = TypeVar("T")


class Platform(str):
    """A marketplace's registered name (``shopee``, ``lazada``, ``tiktok`` or a plug-in's, see
    ``platform_adapters.registry``): an open set, not an enum. A ``Platform`` is the plain lower-case
    name (it equals and hashes as that string); ``value`` gives it as ``str``. Whether an adapter is
    registered under the name is the registry's question (``registry.get_adapter`` refuses unknown
    names with the known ones); here only the form is checked.
    """

    __slots__ = ()
    NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
    ALIASES = {"tiktokshop": "tiktok", "tts": "tiktok"}
    SHOPEE: ClassVar["Platform"]
    LAZADA: ClassVar["Platform"]
    TIKTOK: ClassVar["Platform"]

    def __new__(cls, value: object) -> "Platform":
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text is None or not cls.NAME.match(text):
            raise ValueError(f"not a platform name: {str(value)[:40]!r} (lower-case letters, digits, '_')")
        return super().__new__(cls, text)

    @property
    def value(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"Platform({self.value!r})"

    @classmethod
    def parse(cls, value: str) -> "Platform":
        """A platform name as users write it ("TikTok Shop", "tiktok-shop", "TTS"); each text parsed once."""
        return _parse_platform(cls, str(value))


@lru_cache(maxsize=1024)
def _parse_platform(cls: type[Platform], text: str) -> Platform:
    key = text.strip().lower().replace(" ", "").replace("-", "_")
    return cls(cls.ALIASES.get(key.replace("_", ""), key))


Platform.SHOPEE = Platform("shopee")
Platform.LAZADA = Platform("lazada")
Platform.TIKTOK = Platform("tiktok")


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
    if value.tzinfo is timezone.utc:
        return value  # already UTC (what the parsers return): no copy
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(timezone.utc)


def require_aware(record: object, *names: str) -> None:
    """Normalise the named datetime attributes of a frozen record to aware UTC."""
    for name in names:
        current = getattr(record, name)
        if current is not None and current.tzinfo is not timezone.utc:  # else already aware UTC: kept as it is
            object.__setattr__(record, name, aware_utc(current, name))
