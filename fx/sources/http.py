"""The one place rate fetchers do network I/O: GET/POST with timeouts and bounded retries.

Transient failures (connection errors, timeouts, 5xx, 429) are retried with exponential backoff;
anything else fails at once with a ``FetchError`` saying which URL and why. No secrets are logged:
only the URL without its query string appears in messages.
"""
from __future__ import annotations

from typing import Any

import httpx
from tenacity import RetryError, retry, retry_if_exception, stop_after_attempt, wait_exponential

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
USER_AGENT = "crossborder-aggregator-fx/0.1"


class FetchError(RuntimeError):
    """A rate source could not be downloaded."""


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    return False


def _safe_url(url: str) -> str:
    return url.split("?", 1)[0]


def _describe(exc: BaseException | None) -> str:
    """Why a request failed, without echoing URLs (whose query may carry an API key)."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"


def new_client() -> httpx.Client:
    """The client every fetcher uses: timeouts, our User-Agent, redirects followed."""
    return httpx.Client(timeout=DEFAULT_TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=True)


def request_bytes(
    method: str,
    url: str,
    *,
    client: httpx.Client | None = None,
    attempts: int = 3,
    backoff_seconds: float = 1.0,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request (retried when transient) and return the successful response."""
    own_client = client is None
    http = client or new_client()

    @retry(retry=retry_if_exception(_transient), stop=stop_after_attempt(attempts),
           wait=wait_exponential(multiplier=backoff_seconds, max=30), reraise=False)
    def _send() -> httpx.Response:
        response = http.request(method, url, **kwargs)
        response.raise_for_status()
        return response

    try:
        return _send()
    except RetryError as exc:
        cause = exc.last_attempt.exception()
        raise FetchError(f"{method} {_safe_url(url)} failed after {attempts} attempts: {_describe(cause)}") from cause
    except httpx.HTTPError as exc:
        raise FetchError(f"{method} {_safe_url(url)} failed: {_describe(exc)}") from exc
    finally:
        if own_client:
            http.close()


def get_bytes(url: str, **kwargs: Any) -> bytes:
    return request_bytes("GET", url, **kwargs).content
