"""A per-shop token-bucket rate limiter (in process), so one busy shop cannot starve the others."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows ``rate`` calls per second per key with bursts of up to ``burst`` calls.

    ``acquire(key)`` blocks (through the injected ``sleep``) until the key has a token. The clock and
    sleep are injectable so tests never really wait.
    """

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1, int(rate)))
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[Hashable, _Bucket] = {}
        self._lock = threading.Lock()

    def _take(self, key: Hashable) -> float:
        """Take a token if one is there (returns 0) or return how long to wait for one."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    def acquire(self, key: Hashable) -> float:
        """Wait for a token for ``key``; returns the total time waited."""
        waited = 0.0
        while (delay := self._take(key)) > 0:
            self._sleep(delay)
            waited += delay
        return waited
