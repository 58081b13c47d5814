"""Run the sandbox: in-process on a free loopback port (tests), or in the foreground (CLI).

``with running_sandbox(seed=1, orders=200, faults="429=0.05") as sb: sb.base_url`` starts uvicorn
in a daemon thread on 127.0.0.1 with an OS-chosen port and stops it on exit. The server never
binds anything but loopback.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import uvicorn

from platform_adapters.sandbox.app import build_app
from platform_adapters.sandbox.faults import parse_faults
from platform_adapters.sandbox.shipments import REALISTIC, SAIL_DAYS, LogisticsNoise
from platform_adapters.sandbox.state import SandboxState
from platform_adapters.sandbox.world import generate_world

LOOPBACK = "127.0.0.1"


@dataclass
class RunningSandbox:
    base_url: str
    state: SandboxState

    @property
    def lazada_base_url(self) -> str:
        """The Lazada gateway (and auth) base, ``/rest`` included, as the Lazada settings expect it."""
        return self.base_url + "/rest"


def default_anchor() -> int:
    """Simulated 'now' at start: one day before the wall clock, so advancing up to a day stays in the past."""
    return int(time.time()) // 60 * 60 - 86400


class AnchorError(ValueError):
    """An anchor whose world would start before 1970-01-01 UTC (the message names the earliest allowed)."""


def earliest_anchor(days: int) -> int:
    """The earliest anchor (Unix seconds) whose world starts on or after 1970-01-01 UTC, the least instant a
    client can sync from: its orders go back ``days`` days and its first shipments sail ``SAIL_DAYS`` days
    before the first order."""
    return (days + SAIL_DAYS) * 86400


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def make_state(seed: int = 1, orders: int = 200, faults: str | None = None, anchor: int | None = None,
               days: int = 30, logistics_noise: LogisticsNoise = REALISTIC) -> SandboxState:
    """The sandbox's state for a world of ``seed``; ``anchor`` (its simulated now) before ``earliest_anchor(days)``
    is an ``AnchorError``."""
    if anchor is not None and anchor < earliest_anchor(days):
        earliest = earliest_anchor(days)
        raise AnchorError(f"{anchor} ({_iso(anchor)}) would start the world before 1970-01-01 UTC ({days} days of "
                          f"orders, their shipments sailing {SAIL_DAYS} days before): the earliest anchor with "
                          f"{days} days is {earliest} ({_iso(earliest)})")
    world = generate_world(seed=seed, orders=orders, anchor=default_anchor() if anchor is None else anchor, days=days)
    return SandboxState(world, parse_faults(faults), logistics_noise=logistics_noise)


@contextlib.contextmanager
def serving(app, name: str, lifespan: str = "off") -> Iterator[str]:
    """Serve the ASGI ``app`` on a free loopback port in a thread for the duration of the ``with`` block;
    yields its base URL (no access log: query strings carry access tokens and signs)."""
    # proto IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets of a TCP-protocol listener;
    # without it every keep-alive reply stalls ~40 ms on Nagle + delayed ACK
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=name)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the {name} server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def running_sandbox(seed: int = 1, orders: int = 200, faults: str | None = None, anchor: int | None = None,
                    days: int = 30, state: SandboxState | None = None,
                    logistics_noise: LogisticsNoise = REALISTIC) -> Iterator[RunningSandbox]:
    """Serve a sandbox on a free loopback port for the duration of the ``with`` block."""
    state = state or make_state(seed, orders, faults, anchor, days, logistics_noise)
    with serving(build_app(state), "sandbox") as base_url:
        yield RunningSandbox(base_url, state)


def run_clock(state: SandboxState, speed: float, stop: threading.Event, tick: float = 1.0) -> None:
    """Advance the simulated clock by ``speed`` simulated seconds per wall second until ``stop`` is set."""
    owed, last = 0.0, time.monotonic()
    while not stop.wait(tick):
        now = time.monotonic()
        owed += (now - last) * speed
        last = now
        whole = int(owed)
        if whole:
            owed -= whole
            state.advance(whole)


def serve_forever(state: SandboxState, port: int, speed: float = 0.0) -> None:
    """Serve in the foreground on 127.0.0.1:``port`` until interrupted (the CLI verb); with ``speed``
    the simulated clock moves on its own (statuses advance, webhooks fire)."""
    # no access log: query strings carry access tokens and signs, which are never logged
    config = uvicorn.Config(build_app(state), host=LOOPBACK, port=port, log_level="info", access_log=False,
                            lifespan="off")
    stop = threading.Event()
    if speed > 0:
        threading.Thread(target=run_clock, args=(state, speed, stop), daemon=True, name="sandbox-clock").start()
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()
