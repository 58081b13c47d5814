"""Value parsers shared by the marketplace mappers: JSON with exact decimals, ids, amounts, times.

Each parser raises ``ValueError`` with a short reason on bad input; mappers catch it and turn it
into a ``Problem`` with the field name, so mapping never raises.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from dateutil import parser as date_parser

from fx.money import Money, money_of, to_decimal
from platform_adapters.canonical.common import MappingResult, Problem, Severity

# epoch values above this are milliseconds (1e11 s is the year 5138)
_MS_THRESHOLD = 10**11
# the last millisecond a datetime holds (9999-12-31T23:59:59.999Z); beyond it is not a time
_MS_MAX = 253_402_300_799_999
#: The longest id any of the platforms sends is a few dozen characters; beyond this it is not an id.
MAX_ID_CHARS = 128
_ID_INT_MIN, _ID_INT_MAX = -10**(MAX_ID_CHARS - 1), 10**MAX_ID_CHARS
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The shapes the marketplaces send ("2026-03-15T09:12:00Z", "2026-03-15 09:12:00 +0800"): read by
# ``datetime.fromisoformat`` once the space before the offset is dropped; anything else goes to dateutil.
_PLAIN_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) ?(Z|[+-]\d{2}:?\d{2})")


_DECODER = json.JSONDecoder(parse_float=Decimal)  # built once: ``json.loads(…, parse_float=…)`` builds one per call


def loads(raw: bytes | str) -> object:
    """Decode JSON with every number that has a fraction or exponent as an exact ``Decimal``: what
    ``json.loads(raw, parse_float=Decimal)`` answers (same text checks, same errors), with one decoder."""
    if isinstance(raw, str):
        if raw.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
    elif isinstance(raw, (bytes, bytearray)):
        # an object's "{" then a byte other than NUL: what ``json.detect_encoding`` reads as UTF-8
        encoding = "utf-8" if raw[:1] == b"{" and raw[1:2] != b"\x00" else json.detect_encoding(raw)
        raw = raw.decode(encoding, "surrogatepass")
    else:
        raise TypeError(f"the JSON object must be str, bytes or bytearray, not {raw.__class__.__name__}")
    return _DECODER.decode(raw)


def id_str(value: object) -> str:
    """An id as a string; ints (even > 2**53) are kept digit for digit; floats are refused, and so is
    text with a control character (a NUL cannot even be stored in PostgreSQL) or longer than
    ``MAX_ID_CHARS``."""
    kind = type(value)
    if kind is int and _ID_INT_MIN < value < _ID_INT_MAX:  # the usual cases first: an int of at most
        return str(value)                                  # MAX_ID_CHARS characters,
    if kind is str and 0 < len(value) <= MAX_ID_CHARS and value.isdigit():  # digits only (nothing to strip)
        return value
    if isinstance(value, bool) or value is None:
        raise ValueError("missing id")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if _CONTROL.search(text):
            raise ValueError(f"id holds a control character: {text[:40]!r}")
    elif isinstance(value, Decimal) and value == value.to_integral_value() and "E" not in str(value).upper():
        text = str(int(value))
    else:
        raise ValueError(f"not an id: {str(value)[:40]!r}")
    if len(text) > MAX_ID_CHARS:
        raise ValueError(f"id longer than {MAX_ID_CHARS} characters")
    return text


def money(value: object, currency: str) -> Money:
    """An amount from a decimal string, int or Decimal (JSON decoded with ``loads``)."""
    if type(value) is Decimal and value.is_finite():  # the usual case: a JSON number decoded by ``loads``
        return money_of(value, currency)
    if type(value) is str:  # a decimal string (Lazada, TikTok): ``Decimal`` strips the same white space as
        try:                # ``to_decimal``; text it refuses (a comma, not a number) takes the general path
            amount = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if amount.is_finite():
                return money_of(amount, currency)
    if value is None or value == "":
        raise ValueError("missing amount")
    return money_of(to_decimal(value), currency)


def optional_money(value: object, currency: str) -> Money | None:
    return None if value is None or value == "" else money(value, currency)


def epoch(value: object) -> datetime:
    """An aware UTC datetime from Unix seconds or milliseconds (int, digit string or Decimal)."""
    if type(value) is int and 0 < value <= _MS_MAX:  # the usual case: an int of seconds or milliseconds
        return _EPOCH + (timedelta(seconds=value) if value < _MS_THRESHOLD else timedelta(milliseconds=value))
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("missing time")
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise ValueError(f"not an epoch time: {value!r}")
        value = int(value.strip())
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > 20:
            raise ValueError(f"epoch time out of range: {str(value)[:40]}")
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"not an epoch time: {str(value)[:40]!r}")
    if value <= 0:
        raise ValueError(f"epoch time must be positive, got {str(value)[:40]}")
    if value > _MS_MAX:
        raise ValueError(f"epoch time out of range: {str(value)[:40]}")
    if value >= _MS_THRESHOLD:
        return _EPOCH + timedelta(milliseconds=value)
    return _EPOCH + timedelta(seconds=value)


def optional_epoch(value: object) -> datetime | None:
    return None if value in (None, "", 0, "0") else epoch(value)


def iso_time(value: object) -> datetime:
    """An aware UTC datetime from ISO-8601 or 'YYYY-MM-DD HH:MM:SS +0800'; an offset is required."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("missing time")
    plain = _PLAIN_TIME.fullmatch(value.strip())
    if plain is not None:
        try:
            return datetime.fromisoformat(plain[1] + ("+00:00" if plain[2] == "Z" else plain[2])).astimezone(timezone.utc)
        except ValueError:
            pass  # e.g. month 13: dateutil says why below
    try:
        parsed = date_parser.isoparse(value.strip())
    except ValueError:
        try:
            parsed = date_parser.parse(value.strip())
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"not a date-time: {value!r}") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"date-time without a UTC offset: {value!r}")
    return parsed.astimezone(timezone.utc)


def to_epoch_seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return int(moment.timestamp())


class Problems:
    """Collects mapping problems; ``parse`` turns a parser's ``ValueError`` into a Problem."""

    def __init__(self, location: str | None = None) -> None:
        self.location = location
        self.items: list[Problem] = []

    def parse(self, parser, value: object, field: str, *args, required: bool = True, code: str = "bad_value"):
        """``parser(value, *args)``; on ``ValueError``/``TypeError`` record a problem (error when required)."""
        try:
            return parser(value, *args)
        except (ValueError, TypeError, ArithmeticError) as exc:
            self.add(code, str(exc), field=field, value=value,
                     severity="error" if required else "warning")
            return None

    def add(self, code: str, message: str, *, field: str | None = None, value: object = None,
            severity: str = "error") -> None:
        self.items.append(Problem(
            code=code, message=message, severity=Severity(severity), field=field,
            value=None if value is None else str(value)[:200], location=self.location,
        ))

    @property
    def has_errors(self) -> bool:
        return bool(self.items) and any(p.severity is Severity.ERROR for p in self.items)


def as_list(value: object) -> list:
    """``value`` when it is a JSON array, else an empty list (a wrong shape is never iterated)."""
    return value if isinstance(value, list) else []


def not_an_object(what: str, raw: object, location: str | None = None) -> MappingResult:
    """What a mapper answers for a payload that is not a JSON object: no record, one problem saying what
    ``what`` (e.g. "order payload") was instead."""
    problems = Problems(location)
    problems.add("not_an_object", f"{what} is {type(raw).__name__}, not an object")
    return MappingResult(None, tuple(problems.items))
