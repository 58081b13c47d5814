"""Fuzzing each platform's push parser: whatever the bytes, it returns an event whose fields fit the
store (ids ≤ 64 characters, no control character, event id ≤ 255) or raises ``WebhookError``; never
anything else (no RecursionError, OverflowError, KeyError, TypeError…)."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from platform_adapters.lazada import webhooks as lazada
from platform_adapters.registry import WebhookError
from platform_adapters.shopee import webhooks as shopee
from platform_adapters.tiktok import webhooks as tiktok

PARSERS = {"shopee": shopee.parse, "lazada": lazada.parse, "tiktok": tiktok.parse}
KEYS = ["code", "type", "message_type", "shop_id", "seller_id", "tts_notification_id", "timestamp", "data",
        "ordersn", "order_id", "trade_order_id", "trade_order_line_id", "status", "order_status", "update_time",
        "status_update_time"]

leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**45), max_value=10**45),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=80),
                   st.sampled_from([0, 1, 2, 3, 6, 7, 12, "\u0000", "x" * 200]))
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=6),
                      max_leaves=25)
pushes = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def _check(parse, raw: bytes) -> None:
    try:
        event = parse(raw)
    except WebhookError:
        return
    assert len(event.event_id) <= 255
    for value in (event.shop_id, event.order_id, event.raw_status):
        assert value is None or (len(value) <= 64 and not any(ord(c) < 32 for c in value))


@pytest.mark.parametrize("platform", sorted(PARSERS))
@settings(max_examples=80)
@given(raw=st.binary(max_size=400))
def test_any_bytes(platform: str, raw: bytes) -> None:
    _check(PARSERS[platform], raw)


@pytest.mark.parametrize("platform", sorted(PARSERS))
@settings(max_examples=150)
@given(push=pushes)
def test_any_push_shaped_json(platform: str, push: dict) -> None:
    _check(PARSERS[platform], json.dumps(push).encode())


@pytest.mark.parametrize("platform", sorted(PARSERS))
def test_known_crashers(platform: str) -> None:
    for raw in (b"[" * 5000, b'{"code":3,"type":1,"message_type":0,"shop_id":1,"seller_id":1,'
                b'"tts_notification_id":"n","data":{"update_time":1e400,"status_update_time":1e400}}',
                b'{"code":3,"type":1,"message_type":0,"shop_id":1,"seller_id":1,"tts_notification_id":"n",'
                b'"data":{"ordersn":"o","order_id":"o","trade_order_id":"o","update_time":100000000000000000000,'
                b'"status_update_time":100000000000000000000}}'):
        _check(PARSERS[platform], raw)
