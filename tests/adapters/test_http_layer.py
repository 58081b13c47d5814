"""The shared transport pieces: redaction, Retry-After, backoff bounds, the per-shop rate limiter."""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from platform_adapters.auth import AuthorizationRevoked, StaticTokenProvider, TokenSet
from platform_adapters.http import values
from platform_adapters.http.errors import ErrorKind, PlatformError
from platform_adapters.http.ratelimit import RateLimiter
from platform_adapters.http.redaction import redact_headers, redact_url
from platform_adapters.http.retry import RetryPolicy
from platform_adapters.http.transport import Transport, parse_retry_after
from tests.adapters.helpers import T0, Clock, Sleeps, tokens


def test_redaction_masks_tokens_signs_and_secrets():
    url = "https://h/api?partner_id=1&access_token=SECRET1&sign=SECRET2&app_secret=SECRET3&page_size=5"
    out = redact_url(url)
    assert "SECRET" not in out and "partner_id=1" in out and "page_size=5" in out
    headers = redact_headers({"Authorization": "abc", "x-tts-access-token": "tok", "content-type": "json"})
    assert headers == {"Authorization": "***", "x-tts-access-token": "***", "content-type": "json"}


def test_transport_debug_log_never_contains_the_token(caplog):
    caplog.set_level(logging.DEBUG, logger="platform_adapters.http.transport")
    with respx.mock() as router:
        router.get("https://h.test/x").mock(return_value=httpx.Response(200, json={"ok": 1}))
        transport = Transport(httpx.Client(), retry=RetryPolicy(sleep=Sleeps()))
        transport.send(lambda: httpx.Request("GET", "https://h.test/x", params={"access_token": "TOPSECRET"}),
                       lambda r: r.json())
    assert "TOPSECRET" not in caplog.text and "access_token=***" in caplog.text


def test_retry_after_parsing():
    now = datetime(2024, 11, 24, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Sun, 24 Nov 2024 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


@given(attempt=st.integers(min_value=1, max_value=40), seed=st.integers(0, 2**32))
def test_backoff_is_jittered_and_capped(attempt, seed):
    policy = RetryPolicy(base_wait=0.5, max_wait=30.0, rng=random.Random(seed))
    wait = policy.wait_seconds(attempt, None)
    assert 0 <= wait <= min(30.0, 0.5 * 2 ** (attempt - 1))
    huge = PlatformError(ErrorKind.THROTTLE, "429", retry_after=10_000)
    assert policy.wait_seconds(attempt, huge) == policy.max_retry_after


def test_connection_errors_are_retried_then_surface_as_platform_error():
    sleeps = Sleeps()
    with respx.mock() as router:
        route = router.get("https://h.test/x").mock(side_effect=httpx.ConnectError("refused"))
        transport = Transport(httpx.Client(), retry=RetryPolicy(max_attempts=3, sleep=sleeps))
        with pytest.raises(PlatformError) as info:
            transport.send(lambda: httpx.Request("GET", "https://h.test/x"), lambda r: r.json())
    assert route.call_count == 3 and len(sleeps) == 2 and info.value.kind is ErrorKind.RETRYABLE


def test_a_truncated_success_body_is_retried_but_an_unreadable_client_error_is_not():
    sleeps = Sleeps()
    with respx.mock() as router:
        route = router.get("https://h.test/x").mock(side_effect=[
            httpx.Response(200, content=b'{"response": {"order_list": [{"order_sn": "26'),
            httpx.Response(200, json={"response": {"order_list": []}}),
        ])
        transport = Transport(httpx.Client(), retry=RetryPolicy(max_attempts=3, sleep=sleeps))
        body = transport.send(lambda: httpx.Request("GET", "https://h.test/x"), lambda r: r.json())
        assert body == {"response": {"order_list": []}} and route.call_count == 2 and len(sleeps) == 1
        router.get("https://h.test/y").mock(return_value=httpx.Response(400, content=b"<html>bad</html>"))
        with pytest.raises(PlatformError) as info:
            transport.send(lambda: httpx.Request("GET", "https://h.test/y"), lambda r: r.json())
    assert info.value.kind is ErrorKind.FATAL and len(sleeps) == 1


def test_rate_limiter_is_per_key_and_waits_for_tokens():
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(rate=2, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(2):
        assert limiter.acquire("shop-a") == 0
    assert limiter.acquire("shop-b") == 0  # another shop is not held up
    assert limiter.acquire("shop-a") == pytest.approx(0.5)
    assert slept == [pytest.approx(0.5)]


def test_static_provider_refreshes_before_expiry_and_is_single_flight():
    clock = Clock(T0)
    calls: list[TokenSet] = []

    def refresher(stale: TokenSet) -> TokenSet:
        calls.append(stale)
        return tokens(f"access-{len(calls) + 1}", f"refresh-{len(calls) + 1}", now=clock())

    provider = StaticTokenProvider("s", tokens(expires_in=timedelta(minutes=5)), refresher, clock=clock)
    first = provider.current()  # within the 10-minute margin: refreshed first
    assert first.access_token == "access-2" and len(calls) == 1
    assert provider.refresh(tokens("access-1")) is provider.tokens and len(calls) == 1  # someone already did
    clock.now = T0 + timedelta(days=60)
    with pytest.raises(AuthorizationRevoked, match="refresh token expired"):
        provider.current()


def test_token_repr_masks_secrets():
    text = repr(tokens("A-SECRET", "R-SECRET"))
    assert "A-SECRET" not in text and "R-SECRET" not in text
    with pytest.raises(ValueError):
        TokenSet("a", "r", datetime(2024, 1, 1))  # naive expiry refused


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_ids_keep_every_digit(n):
    assert values.id_str(n) == str(n)
    assert values.id_str(values.loads(f'{{"id": {n}}}')["id"]) == str(n)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9))
def test_json_amounts_decode_exactly(amount):
    decoded = values.loads(f'{{"a": {amount:.2f}}}')["a"]
    assert values.money(decoded, "MYR").amount == Decimal(f"{amount:.2f}")


@given(st.integers(min_value=10**9, max_value=4102444800))  # 2001..2100: where s and ms are told apart
def test_epoch_seconds_and_milliseconds_agree(seconds):
    assert values.epoch(seconds) == values.epoch(seconds * 1000) == values.epoch(str(seconds))
    assert values.epoch(seconds).tzinfo is not None


@given(st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(9998, 12, 30)),
       st.integers(min_value=-14 * 60, max_value=14 * 60), st.sampled_from(["{d} {t} {o}", "{d}T{t}{o}", "{d} {t}{o}"]),
       st.booleans(), st.booleans())
def test_iso_time_reads_every_marketplace_shape_as_dateutil_does(moment, offset_minutes, shape, colon, fraction):
    from dateutil import parser as date_parser

    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    offset = "Z" if offset_minutes == 0 and colon else f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"
    clock = moment.strftime("%H:%M:%S") + (f".{moment.microsecond:06d}" if fraction else "")
    text = shape.format(d=moment.strftime("%Y-%m-%d"), t=clock, o=offset)
    expected = date_parser.parse(text).astimezone(timezone.utc)
    assert values.iso_time(text) == expected and values.iso_time(text).tzinfo is timezone.utc


def test_iso_times_need_an_offset():
    assert values.iso_time("2024-11-24 08:15:30 +0800").isoformat() == "2024-11-24T00:15:30+00:00"
    assert values.iso_time("2024-11-24T08:15:30+08:00") == values.iso_time("2024-11-24T00:15:30Z")
    with pytest.raises(ValueError):
        values.iso_time("2024-11-24 08:15:30")
    with pytest.raises(ValueError):
        values.id_str(1.5)
