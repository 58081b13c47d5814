"""Webhook push → visible in the API, on SQLite and PostgreSQL, over loopback.

The sandbox marketplaces run in this process; the API is ``aggregator serve`` in its own process
(in-process jobs: the push is stored before the 200 and applied right after it, re-reading the order
from the sandbox through the platform's long-lived client). For each order whose status moved on in
the sandbox, this script sends the platform's signed push (the sandbox's own message and signer) and
polls the order through the API until the new status shows: that interval is "push → visible".

Baseline in the same run: the apply step alone (re-read + upsert) in this process, with a new HTTP
client per push (what the apply path did before) and with the shared pool's client.

    .venv/bin/python bench/bench_webhooks.py                # 150 pushes, SQLite and PostgreSQL
    .venv/bin/python bench/bench_webhooks.py --pushes 400 --no-pg

Half the pushes go round-robin over the shops (as pushes from many shops arrive); the other half are one
shop's back to back, where each re-read waits for the shop's call budget (the adapters keep to each
platform's rate limit, ``calls_per_second``): that row is bounded by the platform, not by this code.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
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
from aggregator.store.vault import Vault  # noqa: E402
from aggregator.sync.marketplace import refresh_orders, sync_shop  # noqa: E402
from aggregator.transport_pool import TransportPool  # noqa: E402
from bench_api import Server, ms, pg_engine  # noqa: E402
from context import cpu_model  # noqa: E402
from platform_adapters.sandbox import running_sandbox  # noqa: E402
from platform_adapters.sandbox.webhooks import sign_message, status_messages  # noqa: E402


def changed_orders(engine, sandbox) -> list[tuple]:
    truth = {(o["platform"], o["shop_id"], o["order_id"]): o["raw_status"]
             for o in httpx.get(sandbox.base_url + "/_sandbox/truth/orders", timeout=60).json()["orders"]}
    with Session(engine) as session:
        stored = {(r.platform, r.shop_id, r.order_id): (r.raw_status, r.owner_id) for r in session.execute(
            select(OrderRow.platform, OrderRow.shop_id, OrderRow.order_id, OrderRow.raw_status, OrderRow.owner_id))}
    by_id = {(o.shop.platform, o.shop.shop_id, o.order_id): o for o in sandbox.state.world.orders}
    return [(key, raw, stored[key][1], by_id[key]) for key, raw in sorted(truth.items())
            if key in stored and stored[key][0] != raw and key in by_id]


def run(backend: str, pushes: int) -> None:
    fernet = Fernet.generate_key()
    vault = Vault(fernet)
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = (f"sqlite:///{tmp}/bench.sqlite", lambda: None) if backend == "sqlite" else pg_engine()
        engine = create_engine_for(url)
        try:
            upgrade_schema(engine)
            with running_sandbox(seed=5, orders=max(600, pushes * 4), days=30) as sandbox:
                keys: dict[str, str] = {}
                connect_sandbox(engine, vault, sandbox.base_url, keys)
                with Session(engine) as session:
                    shops = session.scalars(select(ShopRow)).all()
                for shop in shops:
                    sync_shop(engine, shop, vault, "orders")
                httpx.post(sandbox.base_url + "/_sandbox/clock/advance", params={"seconds": 5 * 86400},
                           timeout=60).raise_for_status()
                todo = changed_orders(engine, sandbox)
                baseline_cut = min(len(todo) // 3, 60)
                base_new, base_pool = apply_baseline(engine, vault, shops, todo[:baseline_cut])
                todo = todo[baseline_cut:baseline_cut + pushes]
                half = len(todo) // 2
                interleaved, by_shop = round_robin(todo[:half]), todo[half:]
                with session_scope(engine) as session:
                    _, admin = create_key(session, role="admin", name="bench")
                os.environ["AGGREGATOR_SECRET_KEY"] = fernet.decode()
                server = Server(url, "unused-operator-" + os.urandom(8).hex())
                try:
                    shops_count = len({item[0][:2] for item in interleaved})
                    push_and_poll(server.base, admin, sandbox, interleaved[:shops_count])  # warm up: one per shop
                    visible = push_and_poll(server.base, admin, sandbox, interleaved[shops_count:])
                    queued = push_and_poll(server.base, admin, sandbox, by_shop)
                finally:
                    server.stop()
        finally:
            engine.dispose()
            drop()
    print(f"  [{backend}] push -> visible over {len(visible)} pushes, shops interleaved: {ms(visible)}")
    print(f"  [{backend}] push -> visible over {len(queued)} pushes, one shop's back to back (each re-read waits "
          f"for that shop's call budget, {RATE_NOTE}): {ms(queued)}")
    print(f"  [{backend}] baseline, apply step alone ({len(base_new)} each): new client per push {ms(base_new)}; "
          f"shared pool client {ms(base_pool)}")


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


def apply_baseline(engine, vault, shops, orders) -> tuple[list[float], list[float]]:
    shop_of = {(s.platform, s.shop_id): s for s in shops}
    pool = TransportPool()
    fresh, pooled = [], []
    try:
        for k, (key, _raw, _owner, _order) in enumerate(orders):
            shop = shop_of[key[:2]]
            start = time.perf_counter()
            if k % 2:
                refresh_orders(engine, shop, vault, [key[2]], transport=pool.transport(shop.platform))
                pooled.append(time.perf_counter() - start)
            else:
                refresh_orders(engine, shop, vault, [key[2]])
                fresh.append(time.perf_counter() - start)
    finally:
        pool.close()
    return fresh, pooled


def push_and_poll(base: str, admin: str, sandbox, orders) -> list[float]:
    now = int(sandbox.state.now)
    out = []
    with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {admin}"}) as client:
        for (platform, shop_id, order_id), raw, _owner, order in orders:
            body = json.dumps(status_messages(sandbox.state, order, raw, now)[0], separators=(",", ":")).encode()
            url = f"{base}/webhooks/{platform}"
            start = time.perf_counter()
            reply = client.post(url, content=body, headers={"Content-Type": "application/json",
                                                            "Authorization": sign_message(sandbox.state, platform,
                                                                                          url, body)})
            if reply.status_code != 200:
                raise RuntimeError(f"push refused: {reply.status_code} {reply.text[:200]}")
            deadline = start + 10
            while True:
                detail = client.get(f"/api/v1/orders/{platform}/{shop_id}/{order_id}").json()
                if detail.get("raw_status") == raw:
                    out.append(time.perf_counter() - start)
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{platform}/{order_id} did not become {raw} within 10 s")
                time.sleep(0.001)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pushes", type=int, default=150)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    run("sqlite", args.pushes)
    if not args.no_pg:
        run("postgresql", args.pushes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
