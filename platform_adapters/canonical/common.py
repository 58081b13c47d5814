"""Shared pieces of the canonical records: platforms, problems, mapping results, time checks."""
from __future__ import annotations

import dataclasses
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


def slot_init(cls: type[T]) -> type[T]:
    """Give a frozen, slotted dataclass an ``__init__`` that stores each field through its slot's descriptor
    instead of ``object.__setattr__`` by name (which ``dataclass(frozen=True)`` generates): the same
    parameters, defaults and ``__post_init__``, about half the cost of making a record (a sync makes several
    per order). The class stays frozen. Refuses a class it does not fit (not frozen, no slots, a field with a
    default factory, left out of ``__init__``, keyword-only or an ``InitVar``)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"slot_init needs a frozen dataclass with slots, not {cls.__name__}")
    fields = dataclasses.fields(cls)
    odd = [f.name for f in fields if not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING]
    initvar = dataclasses._FIELD_INITVAR  # (InitVar pseudo-fields are left out of ``fields``)
    odd += [name for name, f in cls.__dataclass_fields__.items() if f._field_type is initvar]
    if odd:
        raise TypeError(f"slot_init cannot build {cls.__name__}: fields {odd} need the dataclass's own "
                        "__init__")
    namespace: dict[str, object] = {f"_set_{f.name}": cls.__dict__[f.name].__set__ for f in fields}
    names = []
    for f in fields:
        if f.default is dataclasses.MISSING:
            names.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            names.append(f"{f.name}=_default_{f.name}")
    body = [f"    _set_{f.name}(self, {f.name})" for f in fields]
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    # the source holds only the field names (identifiers) and the names of the namespace above
    source = f"def __init__(self, {', '.join(names)}):\n" + "\n".join(body or ["    pass"]) + "\n"
    exec(source, namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}
    cls.__init__ = init
    return cls
