"""Shopee lost pushes: ``GET /api/v2/push/get_lost_push_message`` and
``POST /api/v2/push/confirm_consumed_lost_push_message`` (Public API sign: partner_id, timestamp, sign).

Per the schemas ``v2.push.get_lost_push_message`` / ``confirm_consumed_lost_push_message``: the list
returns "the earliest 100 lost push messages that were lost within 3 days of the current time and not
confirmed to have been consumed", as ``response.push_message_list[] {shop_id (absent for a partner level
push such as code 1, 2, 12), code, timestamp, data}`` where ``data`` is the push body as a JSON
*string*, plus ``has_next_page`` and ``last_message_id``; confirming with that ``last_message_id``
marks them consumed, so the next call returns the following ones. The bodies are handed back as the
exact bytes of the original push, for the same parser as live pushes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.transport import Transport
from platform_adapters.http.values import as_list
from platform_adapters.shopee.auth import _public_post
from platform_adapters.shopee.client import _request_id, read_envelope
from platform_adapters.shopee.settings import ShopeeSettings
from platform_adapters.shopee.signing import sign_request

LOST_PATH = "/api/v2/push/get_lost_push_message"
CONFIRM_PATH = "/api/v2/push/confirm_consumed_lost_push_message"


@dataclass(frozen=True, slots=True)
class LostPushes:
    bodies: tuple[bytes, ...]  # each message's push body, as it would have been delivered
    last_message_id: int | None
    has_next_page: bool


def lost_pushes(settings: ShopeeSettings, transport: Transport, clock: Callable[[], datetime]) -> LostPushes:
    def build() -> httpx.Request:
        timestamp = int(clock().timestamp())
        sig = sign_request(settings.partner_id, settings.partner_key, LOST_PATH, timestamp)
        return httpx.Request("GET", settings.host + LOST_PATH, params={
            "partner_id": str(settings.partner_id), "timestamp": str(timestamp), "sign": sig.sign})

    envelope = transport.send(build, lambda r: read_envelope(r, LOST_PATH), limiter_key=("shopee", "push"),
                              request_id_of=_request_id)
    response = envelope.get("response") if isinstance(envelope.get("response"), dict) else {}
    bodies = []
    for message in as_list(response.get("push_message_list")):
        data = message.get("data") if isinstance(message, dict) else None
        if not isinstance(data, str) or not data:
            raise PlatformError(ErrorKind.FATAL, "bad_lost_push", "a lost push message without its data string",
                                platform="shopee", path=LOST_PATH, request_id=envelope.get("request_id"))
        bodies.append(data.encode("utf-8"))
    last = response.get("last_message_id")
    return LostPushes(tuple(bodies), int(last) if isinstance(last, int) and not isinstance(last, bool) else None,
                      bool(response.get("has_next_page")))


def confirm_consumed(settings: ShopeeSettings, transport: Transport, last_message_id: int,
                     clock: Callable[[], datetime]) -> None:
    _public_post(settings, transport, CONFIRM_PATH, {"last_message_id": last_message_id}, clock)
