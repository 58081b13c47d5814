"""Structured logging with secrets redacted.

``configure_logging`` installs one handler whose filter scrubs tokens, keys, signatures and
Authorization headers from every record (message, args and extra fields) before it is formatted,
so no code path can leak a secret by logging a URL, a header dict or a response body.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from platform_adapters.http.redaction import SECRET_HEADERS, SECRET_PARAMS

REDACTED = "***"

#: Field names whose values are secrets wherever they appear (query strings, JSON, dicts, headers):
#: the adapters' own list (``platform_adapters.http.redaction``) plus the application's.
SECRET_NAMES = tuple(sorted(SECRET_PARAMS | SECRET_HEADERS | {
    "app_key_secret", "secret", "signature", "password", "api_key", "apikey", "token", "secret_key",
    "operator_api_key", "key", "api-key", "auth", "bearer",  # API key names refused in query strings
}))
_NAMES = "|".join(sorted((re.escape(n) for n in SECRET_NAMES), key=len, reverse=True))
# key=value in query strings / form bodies / plain text
_KV = re.compile(rf"(?i)(?<![\w-])({_NAMES})=([^&\s\"',;]+)")
# "key": "value" in JSON-ish text
_JSON = re.compile(rf"(?i)([\"']({_NAMES})[\"']\s*:\s*)([\"'])(.*?)\3")
# Authorization: Bearer xxx / key: value header lines
_HEADER = re.compile(rf"(?im)^(\s*({_NAMES})\s*:\s*)(.+)$")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_SECRET_SET = {n.lower() for n in SECRET_NAMES}


def redact_text(text: str) -> str:
    """Scrub secret values out of free text (URLs, bodies, header dumps)."""
    text = _JSON.sub(lambda m: f"{m.group(1)}{m.group(3)}{REDACTED}{m.group(3)}", text)
    text = _KV.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _HEADER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def redact(value: Any) -> Any:
    """Redact a value of any shape: mappings by key name, sequences item by item, text by pattern."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if str(k).lower() in _SECRET_SET else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    return value


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Rewrites each record so that its rendered message and extra fields carry no secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact_text(message)
        record.args = None
        for key, val in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS:
                record.__dict__[key] = REDACTED if key.lower() in _SECRET_SET else redact(val)
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, val in record.__dict__.items():
            if key not in _STANDARD_ATTRS:
                payload[key] = val
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable line followed by the record's extra fields as key=value pairs."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS]
        if not extras:
            return line
        head, sep, tail = line.partition("\n")
        return f"{head} [{' '.join(extras)}]{sep}{tail}"


def make_handler(stream: Any = None, fmt: str = "text") -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    return handler


def configure_logging(level: str = "INFO", fmt: str = "text", stream: Any = None) -> None:
    """Install the redacting handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_aggregator", False):
            root.removeHandler(existing)
    handler = make_handler(stream, fmt)
    handler._aggregator = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs full URLs (with signed query strings) at INFO: keep them, redacted, at WARNING+.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
