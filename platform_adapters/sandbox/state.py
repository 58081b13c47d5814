"""The running sandbox's mutable state: world, simulated clock, tokens, faults, webhook settings.

One :class:`SandboxState` backs one server. The simulated clock (orders, statuses, settlements)
starts at the world's anchor and only moves when told to (``advance``); signatures, timestamps and
token lifetimes use the real wall clock like the platforms do. Also holds the small HTTP helpers
the platform modules share (JSON replies, fault wrapping).
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from platform_adapters.sandbox.faults import FaultInjector, FaultPlan
from platform_adapters.sandbox.returns import ReturnBook
from platform_adapters.sandbox.shipments import REALISTIC, LogisticsNoise
from platform_adapters.sandbox.snapshot import Snapshot, group_by_shop
from platform_adapters.sandbox.tokens import TokenPair, TokenStore
from platform_adapters.sandbox.world import World, WorldShop

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class WebhookSettings:
    url: str | None = None
    duplicate_rate: float = 0.0
    out_of_order: bool = False
    platforms: tuple[str, ...] = ("shopee", "lazada", "tiktok")
    deliveries: list[dict] = field(default_factory=list)
    lose_rate: float = 0.0  # share of pushes never delivered (Shopee lists them as lost pushes)
    lost: list[tuple[int, dict]] = field(default_factory=list)  # Shopee (message id, lost push message)
    lost_confirmed: int = 0  # confirm_consumed_lost_push_message's last_message_id


class SandboxState:
    def __init__(self, world: World, faults: FaultPlan | None = None,
                 wall_clock: Callable[[], float] = time.time, logistics_noise: LogisticsNoise = REALISTIC) -> None:
        self.world = world
        self.logistics_noise = logistics_noise  # how the logistics files (and their truth) are written
        self.tokens = TokenStore(wall_clock)
        self.faults = FaultInjector(faults or FaultPlan(), world.seed)
        self.webhooks = WebhookSettings()
        self._orders_by_shop = group_by_shop(world)
        self.returns = ReturnBook(self._orders_by_shop)
        self._lock = threading.Lock()
        self._now = world.anchor
        self._snapshot: Snapshot | None = None
        self.shops_by_key = {(s.platform, s.shop_id): s for s in world.shops}
        self.tiktok_by_cipher = {s.cipher: s for s in world.shops if s.cipher}
        self.initial_tokens: dict[tuple[str, str], TokenPair] = {
            (s.platform, s.shop_id): self.tokens.issue(s.platform, s.shop_id) for s in world.shops
        }
        self.request_counts: dict[str, int] = {}
        self.on_advance: list[Callable[[int, int], None]] = []
        #: an instant at which each local Shopee shop's last withdrawal is still pending (``wallet.SLOW_UNTIL``;
        #: the demo sets its clock); None: every withdrawal ends a day after its creation
        self.pending_at: int | None = None

    @property
    def now(self) -> int:
        return self._now

    def snapshot(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None or self._snapshot.now != self._now:
                self._snapshot = Snapshot(self.world, self._now, self._orders_by_shop)
            return self._snapshot

    def advance(self, seconds: int) -> tuple[int, int]:
        """Move the simulated clock forward; returns (before, after) and notifies listeners."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            before = self._now
            self._now += seconds
            after = self._now
        for listener in self.on_advance:
            listener(before, after)
        return before, after

    def shop(self, platform: str, shop_id: str) -> WorldShop | None:
        return self.shops_by_key.get((platform, shop_id))

    def count(self, name: str) -> None:
        self.request_counts[name] = self.request_counts.get(name, 0) + 1


def json_reply(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def request_id() -> str:
    return uuid.uuid4().hex


def with_faults(state: SandboxState, platform: str, handler: Handler, rate_limit_body: Callable[[], dict],
                allow_truncate: bool = True) -> Handler:
    """Wrap a platform handler with the fault plan (decided before the handler runs)."""

    async def wrapped(request: Request) -> Response:
        state.count(platform)
        fault = state.faults.draw(allow_truncate)
        if fault == "429":
            return json_reply(rate_limit_body(), status=429, headers={"Retry-After": "1"})
        if fault == "5xx":
            status = state.faults.server_error_status()
            return Response(f"<html><body><h1>{status}</h1>upstream error</body></html>",
                            status_code=status, media_type="text/html")
        if fault == "slow":
            await asyncio.sleep(state.faults.plan.slow_seconds)
        response = await handler(request)
        if fault == "truncate" and response.status_code == 200:
            cut = response.body[: max(1, len(response.body) // 2)]
            return Response(cut, status_code=200, media_type="application/json")
        return response

    return wrapped
