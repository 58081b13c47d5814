"""Seeded fault injection for the sandbox's platform endpoints.

A plan is written like ``"429=0.05,5xx=0.05,slow=0.01,expire=once,truncate=0.01"``:

* ``429``: rate-limit reply (HTTP 429 with ``Retry-After`` and the platform's throttling error);
* ``5xx``: a server error (500, 502 or 503);
* ``slow``: the reply is delayed by ``slow_seconds`` (default 1.5, set with ``slow_seconds=…``);
* ``truncate``: a 200 reply whose JSON body is cut short (never on token endpoints);
* ``expire``: token expiry mid-run: ``once`` expires each shop's access token once, on a seeded
  call number, 2 or 3; a number is a per-call probability.

Decisions come from one ``random.Random(seed)``, so a single-threaded client sees the same faults
on every run. Faults are decided before a request is handled and never change world state.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("429", "5xx", "slow", "truncate")


class FaultSpecError(ValueError):
    """The fault plan text cannot be read."""


@dataclass(frozen=True, slots=True)
class FaultPlan:
    rates: dict[str, float] = field(default_factory=dict)
    expire_once: bool = False
    expire_rate: float = 0.0
    slow_seconds: float = 1.5

    @property
    def empty(self) -> bool:
        return not any(self.rates.values()) and not self.expire_once and not self.expire_rate


def parse_faults(text: str | None) -> FaultPlan:
    """Read a plan like ``429=0.05,5xx=0.05,expire=once``; raise ``FaultSpecError`` saying why."""
    rates: dict[str, float] = {}
    expire_once, expire_rate, slow_seconds = False, 0.0, 1.5
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip().lower(), value.strip().lower()
        if not sep:
            raise FaultSpecError(f"fault {part!r}: expected name=value")
        if name == "expire" and value == "once":
            expire_once = True
            continue
        try:
            number = float(value)
        except ValueError:
            raise FaultSpecError(f"fault {name!r}: {value!r} is not a number") from None
        if name == "slow_seconds":
            if number < 0:
                raise FaultSpecError("slow_seconds must be >= 0")
            slow_seconds = number
            continue
        if not 0.0 <= number <= 1.0:
            raise FaultSpecError(f"fault {name!r}: rate {number} is outside [0, 1]")
        if name == "expire":
            expire_rate = number
        elif name in KINDS:
            rates[name] = number
        else:
            raise FaultSpecError(f"unknown fault {name!r} (known: {', '.join(KINDS + ('expire', 'slow_seconds'))})")
    if sum(rates.values()) > 1.0:
        raise FaultSpecError("fault rates add up to more than 1")
    return FaultPlan(rates, expire_once, expire_rate, slow_seconds)


class FaultInjector:
    """Draws faults for requests from a seeded RNG; counts what it injected."""

    def __init__(self, plan: FaultPlan, seed: int) -> None:
        self.plan = plan
        self._rng = random.Random(seed * 7919 + 17)
        self._lock = threading.Lock()
        self._calls_per_shop: dict[str, int] = {}
        self._expire_at: dict[str, int] = {}
        self.injected: dict[str, int] = {}

    def _count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    def draw(self, allow_truncate: bool = True) -> str | None:
        """The fault for the next request (``429``, ``5xx``, ``slow``, ``truncate``) or None."""
        if not self.plan.rates:
            return None
        with self._lock:
            roll = self._rng.random()
            edge = 0.0
            for kind in KINDS:
                edge += self.plan.rates.get(kind, 0.0)
                if roll < edge:
                    if kind == "truncate" and not allow_truncate:
                        return None
                    self._count(kind)
                    return kind
        return None

    def server_error_status(self) -> int:
        with self._lock:
            return self._rng.choice((500, 502, 503))

    def should_expire(self, shop_key: str) -> bool:
        """Whether this authorised call on ``shop_key`` should find its access token expired."""
        if not (self.plan.expire_once or self.plan.expire_rate):
            return False
        with self._lock:
            calls = self._calls_per_shop[shop_key] = self._calls_per_shop.get(shop_key, 0) + 1
            if self.plan.expire_once:
                target = self._expire_at.setdefault(shop_key, self._rng.randint(2, 3))
                if calls == target:
                    self._count("expire")
                    return True
            if self.plan.expire_rate and self._rng.random() < self.plan.expire_rate:
                self._count("expire")
                return True
        return False
