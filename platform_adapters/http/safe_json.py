"""Bounded JSON decoding for bodies an outsider controls (marketplace pushes; any small untrusted JSON).

``json.loads`` on hostile bytes can raise ``RecursionError`` (2,000 nested arrays), build a 4,000-digit
integer or an ``inf`` (``1e400``) that later overflows a date conversion, or hand a NUL byte to
PostgreSQL. ``loads_bounded`` refuses all of that up front with ``JsonRejected`` (a ``ValueError``
whose message says what and where), so a caller maps every malformed body to one 4xx:

* size: at most ``max_bytes`` (the HTTP edge also stops reading beyond its limit);
* encoding: strict UTF-8 (a BOM is refused: RFC 8259 §8.1 says a sender must not add one);
* depth: arrays/objects nested at most ``max_depth`` deep, measured on the raw text *before* the
  parser recurses (strings are skipped, so brackets inside them do not count);
* numbers: at most ``max_number_chars`` characters and an exponent within ±``max_exponent``; numbers
  with a fraction or exponent become exact ``Decimal`` (as ``values.loads``), ``NaN``/``Infinity``
  are refused (they are not JSON, RFC 8259 §6);
* strings: no NUL character anywhere (keys or values); a raw control character is already refused
  by the strict decoder;
* objects: a key given twice is refused (two parsers could read such a body differently, RFC 8259
  §4), and at most ``max_items`` values in all.

The checks cost one linear pass over the text plus the decoder's own pass.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import accumulate

__all__ = ["JsonLimits", "JsonRejected", "WEBHOOK_LIMITS", "loads_bounded"]


class JsonRejected(ValueError):
    """A body that is not acceptable JSON under the limits (the message says why)."""


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_bytes: int = 1 << 20
    max_depth: int = 32
    max_number_chars: int = 40
    max_exponent: int = 64
    max_items: int = 100_000


#: Marketplace pushes are a few hundred bytes, nested three or four levels (reference §2.7, §3, §4).
WEBHOOK_LIMITS = JsonLimits(max_bytes=256 * 1024, max_depth=32, max_number_chars=40, max_exponent=64,
                            max_items=20_000)

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _depth(text: str) -> int:
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(_STEP[c] for c in brackets), default=0)


def _check_number(token: str, limits: JsonLimits) -> None:
    if len(token) > limits.max_number_chars:
        raise JsonRejected(f"number too long ({len(token)} characters; at most {limits.max_number_chars})")


def _decimal(token: str, limits: JsonLimits) -> Decimal:
    _check_number(token, limits)
    try:
        value = Decimal(token)
    except InvalidOperation as exc:  # pragma: no cover - the decoder only hands over valid tokens
        raise JsonRejected(f"not a number: {token[:40]!r}") from exc
    exponent = value.adjusted()
    if value and abs(exponent) > limits.max_exponent:
        raise JsonRejected(f"number out of range: {token[:40]!r} (exponent beyond ±{limits.max_exponent})")
    return value


def _integer(token: str, limits: JsonLimits) -> int:
    _check_number(token, limits)
    return int(token)


def _constant(name: str) -> object:
    raise JsonRejected(f"{name} is not a JSON number")


def _walk(value: object, limits: JsonLimits) -> None:
    """Refuse NUL in any string and count values (depth is already bounded, so recursion is safe)."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += 1
        if count > limits.max_items:
            raise JsonRejected(f"too many values (more than {limits.max_items})")
        if isinstance(item, str):
            if "\x00" in item:
                raise JsonRejected("a string holds a NUL character")
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in key:
                    raise JsonRejected("a key holds a NUL character")
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def loads_bounded(raw: bytes | str, limits: JsonLimits = WEBHOOK_LIMITS) -> object:
    """Decode ``raw`` as JSON under ``limits``; ``JsonRejected`` (a ``ValueError``) on anything else."""
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > limits.max_bytes:
        raise JsonRejected(f"body too large ({size} bytes; at most {limits.max_bytes})")
    if isinstance(raw, (bytes, bytearray, memoryview)):
        data = bytes(raw)
        if data.startswith(b"\xef\xbb\xbf"):
            raise JsonRejected("body starts with a byte order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRejected(f"body is not UTF-8 (byte {exc.start})") from None
    else:
        text = raw
    if not text.strip():
        raise JsonRejected("empty body")
    depth = _depth(text)
    if depth > limits.max_depth:
        raise JsonRejected(f"nested {depth} levels deep (at most {limits.max_depth})")

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        result = dict(items)
        if len(result) != len(items):
            seen: set[str] = set()
            duplicate = next(k for k, _ in items if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise JsonRejected(f"key {duplicate[:40]!r} given twice")
        return result

    try:
        value = json.loads(text, parse_float=lambda t: _decimal(t, limits), parse_int=lambda t: _integer(t, limits),
                           parse_constant=_constant, object_pairs_hook=pairs)
    except JsonRejected:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRejected(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (RecursionError, ValueError) as exc:  # backstop: the depth check should have caught it
        raise JsonRejected(f"not acceptable JSON: {type(exc).__name__}") from None
    _walk(value, limits)
    return value
