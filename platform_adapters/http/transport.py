"""Sends one marketplace call with the shared policy: rate limit, retries, request-id log, redaction.

A platform client gives ``Transport.send`` a *builder* (called again for every attempt, so the
timestamp and sign are fresh) and a *reader* that turns a response into data or raises a
``PlatformError`` classified by the platform's own error table. Each retry is one INFO line naming the
platform, the delay, the error and the request (method and URL, secret query values masked by
``redact_url``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx

from platform_adapters.http.errors import ErrorKind, PlatformError, kind_for_http_status
from platform_adapters.http.ratelimit import RateLimiter
from platform_adapters.http.redaction import redact_url
from platform_adapters.http.retry import RetryPolicy

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None when absent/invalid."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class Transport:
    """One HTTP client plus the retry policy and rate limiter, shared by the calls of one shop or run.

    ``request_ids`` collects the request id of every response (success or error) for the run log.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        platform: str = "",
    ) -> None:
        self.client = client or httpx.Client(timeout=DEFAULT_TIMEOUT)
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.platform = platform
        self.request_ids: list[str] = []
        self.retries = 0

    def close(self) -> None:
        self.client.close()

    def send(
        self,
        build: Callable[[], httpx.Request],
        read: Callable[[httpx.Response], T],
        *,
        limiter_key: Hashable = None,
        request_id_of: Callable[[httpx.Response], str | None] = lambda r: None,
        once: bool = False,
    ) -> T:
        """Send with retries; returns ``read(response)`` or raises the last ``PlatformError``.

        ``once``: the call is not idempotent (a single-use refresh token is spent by the platform when
        it processes the call), so it is retried only when the request provably never reached the
        platform: the connection was never made (connect error or timeout, no pooled connection) or the
        platform throttled it (a 429 / throttle code refuses before processing). Any other transient
        failure (read timeout, 5xx, an unreadable 2xx) may have been processed: it is raised at once as
        ``ErrorKind.UNCERTAIN`` for the caller to decide (as Stripe's client treats non-idempotent
        requests without an idempotency key)."""

        sent: list[httpx.Request] = []  # the last attempt's request, for the retry's log line

        def attempt() -> T:
            if self.limiter is not None:
                self.limiter.acquire(limiter_key)
            request = build()
            sent[:] = [request]
            log.debug("%s %s %s", self.platform, request.method, redact_url(str(request.url)))
            try:
                response = self.client.send(request)
            except httpx.TransportError as exc:
                raise PlatformError(
                    ErrorKind.RETRYABLE, type(exc).__name__, str(exc) or "connection error",
                    platform=self.platform, path=request.url.path,
                ) from exc
            request_id = _safe(request_id_of, response)
            status_kind = kind_for_http_status(response.status_code)
            try:
                result = read(response)
            except PlatformError as exc:
                self._note(exc.request_id or request_id)
                if status_kind is not None and exc.kind is ErrorKind.FATAL:
                    exc.kind = status_kind  # an HTTP 429/5xx with an odd body is still transient
                if exc.retry_after is None:
                    exc.retry_after = parse_retry_after(response.headers.get("retry-after"))
                exc.http_status = exc.http_status or response.status_code
                raise
            except ValueError as exc:  # body was not the envelope (HTML error page, truncated JSON)
                self._note(request_id)
                # a 2xx whose body cannot be read was cut off or garbled in transit: ask again
                unreadable_kind = ErrorKind.RETRYABLE if 200 <= response.status_code < 300 else ErrorKind.FATAL
                raise PlatformError(
                    status_kind or unreadable_kind, f"HTTP {response.status_code}",
                    f"unreadable response body: {exc}", platform=self.platform, request_id=request_id,
                    http_status=response.status_code, path=request.url.path,
                    retry_after=parse_retry_after(response.headers.get("retry-after")),
                ) from exc
            self._note(request_id)
            return result

        def on_retry(exc: BaseException, delay: float) -> None:
            self.retries += 1
            line = f"{sent[0].method} {redact_url(str(sent[0].url))}" if sent else "-"
            log.info("%s retry in %.2fs after %s; request %s", self.platform, delay, exc, line)

        def attempt_once() -> T:
            try:
                return attempt()
            except PlatformError as exc:
                if exc.kind is ErrorKind.RETRYABLE and not isinstance(exc.__cause__, NEVER_SENT):
                    exc.kind = ErrorKind.UNCERTAIN  # never retried: the platform may have processed it
                raise

        return self.retry.call(attempt_once if once else attempt, on_retry=on_retry)

    def single_use(self) -> "SingleUseTransport":
        """This transport for non-idempotent calls (every ``send`` with ``once=True``)."""
        return SingleUseTransport(self)


    def _note(self, request_id: str | None) -> None:
        if request_id:
            self.request_ids.append(request_id)


def _safe(fn: Callable[[httpx.Response], str | None], response: httpx.Response) -> str | None:
    try:
        return fn(response)
    except Exception:  # noqa: BLE001 - a request id is best effort
        return None


#: Transport errors raised before a byte of the request left: the platform cannot have processed it.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class SingleUseTransport:
    """A view of a ``Transport`` whose every call is sent ``once`` (token refresh: single-use tokens)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @property
    def request_ids(self) -> list[str]:
        return self.transport.request_ids

    def send(self, build, read, **options):  # noqa: ANN001 - Transport.send's signature
        return self.transport.send(build, read, **{**options, "once": True})
