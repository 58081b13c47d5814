"""Webhook push → visible in the API, on SQLite and PostgreSQL, over loopback.

The sandbox marketplaces run in this process; the API is ``aggregator serve`` in its own process
(in-process jobs: the push is stored before the 200 and applied right after it: what the push says
is written at once, in the push's transaction before its event is stored, then, ``GATHER_SECONDS``
later so that the pushes of one change are all written first, the shop's pushed orders are re-read in
batches through the platform's long-lived client, ``aggregator/push_apply.py``). For each order whose status moved on in the
sandbox, this script sends the platform's signed pushes of that change (the sandbox's own messages
and signer: Lazada one per order line, Shopee a code 4 per package when the order is PROCESSED) and
polls the order through the API until the new status shows: that interval is "push → visible". It
also waits for the pushes' re-read to be stored ("push → re-read stored": the whole order as the
platform has it, within the shop's call budget) and counts the order-read calls the sandbox answered.

Three shapes of arrival: pushes round-robin over the shops (as pushes from many shops arrive); one
shop's back to back (the next push once the last is visible), where re-reads queue behind the shop's
call budget (the adapters keep each platform's rate limit, ``calls_per_second``: 10/s per shop on
Shopee and Lazada, 20/s on TikTok); and a burst of one shop's pushes sent at once (as when a seller
ships many orders together), where the re-reads are batched.

Baseline in the same run: the apply step alone done the previous way (one re-read + upsert per push,
through the shared pool's client) in this process, one shop's pushes back to back.

    .venv/bin/python bench/bench_webhooks.py                # 150 pushes, SQLite and PostgreSQL
    .venv/bin/python bench/bench_webhooks.py --pushes 80 --no-pg
    .venv/bin/python bench/bench_webhooks.py --pushes 80 --no-sqlite
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from aggregator.api.keys import create_key  # noqa: E402
from aggregator.sandbox_link import connect_sandbox  # noqa: E402
from aggregator.store.db import create_engine_for, session_scope, upgrade_schema  # noqa: E402
from aggregator.store.models import OrderRow, ShopRow  # noqa: E402
from aggregator.store.models.webhooks import WebhookEventRow  # noqa: E402
from aggregator.store.vault import Vault  # noqa: E402
from aggregator.sync.marketplace import refresh_orders, sync_shop  # noqa: E402
from aggregator.transport_pool import TransportPool  # noqa: E402
from bench_api import Server, cpu_seconds, ms, pg_engine  # noqa: E402
from context import cpu_model  # noqa: E402
from platform_adapters.sandbox import running_sandbox, server as sandbox_server  # noqa: E402
from platform_adapters.sandbox.webhooks import sign_message, status_messages  # noqa: E402

#: Paths of the calls that read orders by id (the re-reads), per platform.
READ_PATHS = ("/api/v2/order/get_order_detail", "/api/v2/order/get_package_detail", "/order/get",
              "/orders/items/get", "/order/202309/orders")
CALLS: Counter = Counter()
_calls_lock = threading.Lock()


def counting(build_app):
    """The sandbox's app with every request's path counted (the order reads a push costs)."""
    def build(state):
        app = build_app(state)

        async def counted(scope, receive, send):
            if scope["type"] == "http":
                path = scope["path"].removeprefix("/rest")
                with _calls_lock:
                    CALLS[path] += 1
            await app(scope, receive, send)
        return counted
    return build


sandbox_server.build_app = counting(sandbox_server.build_app)


def read_calls() -> int:
    with _calls_lock:
        return sum(n for path, n in CALLS.items() if path in READ_PATHS)


def changed_orders(engine, sandbox) -> list[tuple]:
    truth = {(o["platform"], o["shop_id"], o["order_id"]): o["raw_status"]
             for o in httpx.get(sandbox.base_url + "/_sandbox/truth/orders", timeout=60).json()["orders"]}
    with Session(engine) as session:
        stored = {(r.platform, r.shop_id, r.order_id): (r.raw_status, r.owner_id) for r in session.execute(
            select(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id, OrderRow.raw_status, OrderRow.owner_id))}
    by_id = {(o.shop.platform, o.shop.shop_id, o.order_id): o for o in sandbox.state.world.orders}
    return [(key, raw, stored[key][1], by_id[key]) for key, raw in sorted(truth.items())
            if key in stored and stored[key][0] != raw and key in by_id]


def run(backend: str, pushes: int, burst: int) -> None:
    fernet = Fernet.generate_key()
    vault = Vault(fernet)
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = (f"sqlite:///{tmp}/bench.sqlite", lambda: None) if backend == "sqlite" else pg_engine()
        engine = create_engine_for(url)
        try:
            upgrade_schema(engine)
            with running_sandbox(seed=5, orders=max(600, (pushes + burst) * 6), days=30) as sandbox:
                keys: dict[str, str] = {}
                connect_sandbox(engine, vault, sandbox.base_url, keys)
                with Session(engine) as session:
                    shops = session.scalars(select(ShopRow)).all()
                for shop in shops:
                    sync_shop(engine, shop, vault, "orders")
                httpx.post(sandbox.base_url + "/_sandbox/clock/advance", params={"seconds": 5 * 86400},
                           timeout=60).raise_for_status()
                todo = changed_orders(engine, sandbox)
                bursts = busiest_shop(todo, burst)
                todo = [item for item in todo if item not in bursts]
                baseline_cut = min(len(todo) // 3, 60)
                base_pool = apply_baseline(engine, vault, shops, todo[:baseline_cut])
                todo = todo[baseline_cut:baseline_cut + pushes]
                half = len(todo) // 2
                interleaved, by_shop = round_robin(todo[:half]), todo[half:]
                with session_scope(engine) as session:
                    _, admin = create_key(session, role="admin", name="bench")
                os.environ["AGGREGATOR_SECRET_KEY"] = fernet.decode()
                server = Server(url, "unused-operator-" + os.urandom(8).hex())
                try:
                    shops_count = len({item[0][:2] for item in interleaved})
                    push_and_poll(server.base, admin, sandbox, engine, interleaved[:shops_count])  # warm up
                    cpu0, calls0 = cpu_seconds(server.proc.pid), read_calls()
                    visible, stored = push_and_poll(server.base, admin, sandbox, engine, interleaved[shops_count:])
                    queued, queued_stored = push_and_poll(server.base, admin, sandbox, engine, by_shop)
                    cpu1, calls1 = cpu_seconds(server.proc.pid), read_calls()
                    burst_visible, burst_stored = push_burst(server.base, admin, sandbox, engine, bursts)
                    calls2 = read_calls()
                finally:
                    server.stop()
        finally:
            engine.dispose()
            drop()
    sequential = len(visible) + len(queued)
    print(f"  [{backend}] push -> visible over {len(visible)} pushes, shops interleaved: {ms(visible)}; "
          f"-> re-read stored: {ms(stored)}")
    print(f"  [{backend}] push -> visible over {len(queued)} pushes, one shop's back to back: {ms(queued)}; "
          f"-> re-read stored: {ms(queued_stored)} (re-reads wait for the shop's call budget, {RATE_NOTE})")
    print(f"  [{backend}] the {sequential} changes above: {calls1 - calls0} order-read calls "
          f"({(calls1 - calls0) / max(1, sequential):.2f} per change); server CPU "
          f"{(cpu1 - cpu0) / max(1, sequential) * 1000:.1f} ms per change")
    print(f"  [{backend}] burst of {len(bursts)} changes of one shop ({bursts[0][0][0] if bursts else '-'}) "
          f"pushed at once: push -> visible {ms(burst_visible)}; -> re-read stored {ms(burst_stored)}; "
          f"{calls2 - calls1} order-read calls")
    print(f"  [{backend}] baseline, the previous apply step alone (one re-read + upsert per push, shared pool "
          f"client, {len(base_pool)} pushes of a few shops back to back): {ms(base_pool)}")


RATE_NOTE = "10 calls/s per shop on Shopee and Lazada, 20 on TikTok"


def round_robin(orders: list) -> list:
    """The pushes ordered one shop after another, as pushes from many shops arrive (so no shop's re-reads
    queue behind its own rate limit)."""
    by_shop: dict[tuple, list] = {}
    for item in orders:
        by_shop.setdefault(item[0][:2], []).append(item)
    queues = list(by_shop.values())
    out = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


def busiest_shop(orders: list, n: int) -> list:
    """Up to ``n`` changes of the shop with the most changes (the burst)."""
    if n <= 0:
        return []
    counts = Counter(item[0][:2] for item in orders)
    shop = max(counts, key=lambda k: (counts[k], k))
    return [item for item in orders if item[0][:2] == shop][:n]


def apply_baseline(engine, vault, shops, orders) -> list[float]:
    """The previous apply path timed in this process: one ``refresh_orders`` per pushed order."""
    shop_of = {(s.platform, s.shop_id): s for s in shops}
    pool = TransportPool()
    pooled = []
    try:
        for key, _raw, _owner, _order in orders:
            shop = shop_of[key[:2]]
            start = time.perf_counter()
            refresh_orders(engine, shop, vault, [key[2]], transport=pool.transport(shop.platform))
            pooled.append(time.perf_counter() - start)
    finally:
        pool.close()
    return pooled


def bodies(sandbox, order, raw: str, now: int) -> list[bytes]:
    return [json.dumps(message, separators=(",", ":")).encode()
            for message in status_messages(sandbox.state, order, raw, now)]


def send(client: httpx.Client, base: str, sandbox, platform: str, body: bytes) -> None:
    url = f"{base}/webhooks/{platform}"
    reply = client.post(url, content=body, headers={"Content-Type": "application/json",
                                                    "Authorization": sign_message(sandbox.state, platform, url, body)})
    if reply.status_code != 200:
        raise RuntimeError(f"push refused: {reply.status_code} {reply.text[:200]}")


def wait_visible(client: httpx.Client, key: tuple, raw: str, start: float) -> float:
    platform, shop_id, order_id = key
    deadline = start + 30
    while True:
        detail = client.get(f"/api/v1/orders/{platform}/{shop_id}/{order_id}").json()
        if detail.get("raw_status") == raw:
            return time.perf_counter() - start
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{platform}/{order_id} did not become {raw} within 30 s")
        time.sleep(0.001)


def wait_stored(engine, key: tuple, start: float) -> float:
    """Until no push of the order waits for its re-read any more."""
    platform, shop_id, order_id = key
    deadline = start + 60
    while True:
        with Session(engine) as session:
            waiting = session.scalar(select(WebhookEventRow.id).where(
                WebhookEventRow.platform == platform, WebhookEventRow.shop_id == shop_id,
                WebhookEventRow.order_id == order_id, WebhookEventRow.status == "received").limit(1))
        if waiting is None:
            return time.perf_counter() - start
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{platform}/{order_id} was not re-read within 60 s")
        time.sleep(0.002)


def push_and_poll(base: str, admin: str, sandbox, engine, orders) -> tuple[list[float], list[float]]:
    """Each change's pushes, then wait until it shows in the API (and until its re-read is stored)
    before the next change."""
    now = int(sandbox.state.now)
    visible, stored = [], []
    with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {admin}"}) as client:
        for key, raw, _owner, order in orders:
            start = time.perf_counter()
            for body in bodies(sandbox, order, raw, now):
                send(client, base, sandbox, key[0], body)
            visible.append(wait_visible(client, key, raw, start))
            stored.append(wait_stored(engine, key, start))
    return visible, stored


def push_burst(base: str, admin: str, sandbox, engine, orders) -> tuple[list[float], list[float]]:
    """Every change's pushes sent at once (8 senders); one poller (as the sequential rows have) then
    goes round the changes not yet visible, then those not yet re-read."""
    if not orders:
        return [0.0], [0.0]
    now = int(sandbox.state.now)
    started: dict[tuple, float] = {}
    with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {admin}"},
                      limits=httpx.Limits(max_connections=16)) as client:
        def one(item) -> None:
            key, raw, _owner, order = item
            started[key] = time.perf_counter()
            for body in bodies(sandbox, order, raw, now):
                send(client, base, sandbox, key[0], body)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, orders))
        visible: dict[tuple, float] = {}
        deadline = time.perf_counter() + 60
        while len(visible) < len(orders):
            for key, raw, _owner, _order in orders:
                if key not in visible and key in started and client.get(
                        f"/api/v1/orders/{key[0]}/{key[1]}/{key[2]}").json().get("raw_status") == raw:
                    visible[key] = time.perf_counter() - started[key]
            if time.perf_counter() > deadline:
                raise RuntimeError("the burst did not become visible within 60 s")
    stored = [wait_stored(engine, key, started[key]) for key, _raw, _owner, _order in orders]
    return list(visible.values()), stored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pushes", type=int, default=150, help="changes pushed one after another")
    parser.add_argument("--burst", type=int, default=40, help="changes of one shop pushed at once (at most)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    started = resource.getrusage(resource.RUSAGE_SELF)
    if not args.no_sqlite:
        run("sqlite", args.pushes, args.burst)
    if not args.no_pg:
        run("postgresql", args.pushes, args.burst)
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(f"bench process (sandbox + client) CPU {used.ru_utime + used.ru_stime - started.ru_utime - started.ru_stime:.1f} s; "
          f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
