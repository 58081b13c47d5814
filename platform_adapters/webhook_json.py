"""Reading a verified push body into the fields of a ``WebhookEvent``, within bounds (all platforms).

The platforms' ``webhooks.parse`` run only after the signature over the raw bytes verified
(``aggregator.webhooks``), and every value they take from the body goes through here:

* ``push_object``: the body decoded by ``http.safe_json.loads_bounded`` (size, depth, number size,
  NUL, duplicate keys) and required to be a JSON object;
* ``id_of``: an id (shop, order) as ``values.id_str`` reads it, at most ``MAX_ID`` characters (the
  width of the stored columns), no control character;
* ``text_of``: a short label (a status) as text, at most ``MAX_LABEL`` characters;
* ``event_key``: the dedupe id built from parts; past ``MAX_EVENT_ID`` characters it becomes a
  SHA-256 of the parts, so a long but valid push is still stored once.

Every failure is a ``WebhookError`` naming the field, which the edge answers with a 4xx.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from platform_adapters.http.safe_json import WEBHOOK_LIMITS, JsonLimits, loads_bounded
from platform_adapters.http.values import id_str
from platform_adapters.registry import WebhookError

MAX_ID = 64
MAX_LABEL = 64
MAX_EVENT_ID = 255


def push_object(raw_body: bytes, what: str, limits: JsonLimits = WEBHOOK_LIMITS) -> Mapping[str, Any]:
    """The push body as a JSON object, decoded under ``limits``."""
    try:
        body = loads_bounded(raw_body, limits)
    except ValueError as exc:
        raise WebhookError(f"{what}: body is not acceptable JSON: {exc}") from exc
    if not isinstance(body, Mapping):
        raise WebhookError(f"{what}: body is not a JSON object")
    return body


def child(body: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    """``body[field]`` when it is an object, else an empty one."""
    value = body.get(field)
    return value if isinstance(value, Mapping) else {}


def id_of(value: Any, field: str, what: str, *, required: bool = True) -> str | None:
    """An id field: digits or text, no control character, at most ``MAX_ID`` characters."""
    if value is None and not required:
        return None
    try:
        text = id_str(value)
    except ValueError as exc:
        raise WebhookError(f"{what}: {field}: {exc}") from exc
    if len(text) > MAX_ID:
        raise WebhookError(f"{what}: {field}: longer than {MAX_ID} characters")
    return text


def shop_of(body: Mapping[str, Any], field: str, what: str) -> str | None:
    """The shop (seller) id a push names, or ``None`` when it names none."""
    return id_of(body.get(field), field, what, required=False)


def text_of(value: Any, field: str, what: str) -> str | None:
    """A short label (a status name): text or a number, at most ``MAX_LABEL`` characters; empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list, bool)):
        raise WebhookError(f"{what}: {field}: not a label")
    text = str(value).strip()
    if len(text) > MAX_LABEL or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise WebhookError(f"{what}: {field}: not a label (too long or a control character)")
    return text or None


def event_key(platform: str, *parts: object) -> str:
    """``platform:part:part…``; a SHA-256 of the same parts when that would be too long to store."""
    key = ":".join([platform, *("" if p is None else str(p) for p in parts)])
    if len(key) <= MAX_EVENT_ID:
        return key
    return f"{platform}:sha256:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"
