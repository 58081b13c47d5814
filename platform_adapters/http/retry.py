"""The retry policy: which failures are retried, and how long to wait between attempts.

Retried: connection/timeout errors, HTTP 5xx, HTTP 429 and the platforms' throttle codes (every
``PlatformError`` whose kind is RETRYABLE or THROTTLE). The wait honours a ``Retry-After`` the
server sent (capped), otherwise it is full-jitter exponential backoff capped at ``max_wait``.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
import tenacity

from platform_adapters.http.errors import PlatformError

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, PlatformError):
        return exc.retryable
    return isinstance(exc, (httpx.TransportError,))


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts, base and cap of the backoff (seconds); ``sleep`` is injectable for tests."""

    max_attempts: int = 6
    base_wait: float = 0.5
    max_wait: float = 30.0
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def wait_seconds(self, attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return max(0.0, min(float(retry_after), self.max_retry_after))
        ceiling = min(self.max_wait, self.base_wait * (2 ** (attempt - 1)))
        return self.rng.uniform(0, ceiling)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self.wait_seconds(state.attempt_number, exc)

    def call(self, fn: Callable[[], T], on_retry: Callable[[BaseException, float], None] | None = None) -> T:
        """Run ``fn`` until it succeeds, fails with a non-retryable error, or attempts run out.

        The last error is re-raised as itself (not wrapped in tenacity's RetryError).
        """

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if on_retry is not None and state.outcome is not None and state.next_action is not None:
                on_retry(state.outcome.exception(), state.next_action.sleep)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(is_retryable),
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self.sleep,
            reraise=True,
            before_sleep=before_sleep,
        )
        return retrying(fn)
