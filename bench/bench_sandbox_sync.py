"""Load test: N sandbox orders synced end to end through real HTTP on loopback.

    .venv/bin/python bench/bench_sandbox_sync.py                 # 5,000 orders (default)
    .venv/bin/python bench/bench_sandbox_sync.py --orders 100000 # the issue's figure

The sandbox runs in a child process (``aggregator sandbox``) so its CPU time is read separately from
``/proc/<pid>/stat``. Two phases run against the same world, one after the other:

* baseline ``pull+map``: every shop's adapter lists and fetches its orders over HTTP and maps them to
  canonical records, nothing stored;
* ``sync``: the real path, ``aggregator.sync.marketplace.sync_shop_orders`` for every shop into a fresh
  database (SQLite file by default, ``--database-url`` for PostgreSQL; a database server's own CPU is
  not counted), then the stored orders are checked against the sandbox's ground truth.

Printed per phase: orders, wall seconds, orders/s, client CPU per order, sandbox CPU per order and
the sandbox's share of the CPU. The client's per-shop rate limiter is off (it would measure the
limiter, not the code); retries stay on. Loopback only.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path

import httpx
from context import cpu_model  # noqa: E402  (bench/ is the script's own folder)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_context() -> list[str]:
    model = cpu_model()
    libs = ", ".join(f"{name} {version(name)}" for name in ("httpx", "starlette", "uvicorn", "SQLAlchemy", "tenacity"))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [f"CPU: {model}; cores: {os.cpu_count()}; load average at start: {load}",
            f"Python {platform.python_version()} on {platform.platform()}", f"libraries: {libs}"]


def child_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(orders: int, seed: int, faults: str | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "aggregator.cli.main", "sandbox", "--port", str(port), "--orders", str(orders),
           "--seed", str(seed), "--days", "30"]
    if faults:
        cmd += ["--faults", faults]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while True:
        try:
            httpx.get(base + "/_sandbox/health", timeout=2).raise_for_status()
            return process, base
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the sandbox did not start")
            time.sleep(0.2)


def base_url_for(platform_name: str, base: str) -> str:
    return base + "/rest" if platform_name == "lazada" else base


def bare_transport(platform_name: str):
    from platform_adapters.http.retry import RetryPolicy
    from platform_adapters.http.transport import Transport

    return Transport(httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)), retry=RetryPolicy(),
                     platform=platform_name)


def token_set(pair: dict):
    from platform_adapters.auth import TokenSet

    return TokenSet(access_token=pair["access_token"], refresh_token=pair["refresh_token"],
                    access_expires_at=datetime.fromtimestamp(pair["access_expires_at"], timezone.utc),
                    refresh_expires_at=datetime.fromtimestamp(pair["refresh_expires_at"], timezone.utc))


def fresh_pair(control: httpx.Client, shop: dict) -> dict:
    return control.post(f"/_sandbox/shops/{shop['platform']}/{shop['shop_id']}/token").json()


def pull_and_map(control: httpx.Client, base: str, info: dict, since: datetime, until: datetime) -> int:
    """Baseline: every shop's adapter pulls and maps its orders over HTTP; nothing is stored."""
    from platform_adapters.auth import StaticTokenProvider
    from platform_adapters.registry import ShopContext, get_adapter

    count = 0
    for shop in info["shops"]:
        adapter, app = get_adapter(shop["platform"]), info["apps"][shop["platform"]]
        settings = adapter.settings_for(app_key=app["app_key"], app_secret=app["app_secret"], region=shop["region"],
                                        base_url=base_url_for(shop["platform"], base))
        context = ShopContext(shop["shop_id"], shop["region"], shop["shop_cipher"])
        transport = bare_transport(shop["platform"])
        tokens = StaticTokenProvider(shop["shop_id"], token_set(fresh_pair(control, shop)))
        try:
            source = adapter.order_source(settings, context, tokens, transport, lambda: datetime.now(timezone.utc))
            for window_start in _windows(since, until, adapter.max_window):
                for raw in source.iter_orders(*window_start):
                    adapter.map_order(raw, context, settings)
                    count += 1
        finally:
            transport.close()
    return count


def _windows(since: datetime, until: datetime, size: timedelta):
    cursor = since
    while cursor < until:
        upper = min(cursor + size, until)
        yield cursor, upper
        cursor = upper


def prepare_database(control: httpx.Client, base: str, info: dict, database_url: str):
    """A fresh database with the sandbox's owners and shops registered and authorized:
    (engine, vault, shop primary keys)."""
    from cryptography.fernet import Fernet

    from aggregator.auth.shops import add_shop, store_authorization
    from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
    from aggregator.store.vault import Vault
    from aggregator.tenancy import add_owner

    engine = create_engine_for(database_url)
    upgrade_schema(engine)
    vault = Vault(Fernet.generate_key())
    shop_pks = []
    with session_scope(engine) as session:
        for owner in info["owners"]:
            add_owner(session, owner["owner_id"], owner["name"])
        for shop in info["shops"]:
            app = info["apps"][shop["platform"]]
            row = add_shop(session, vault, platform=shop["platform"], owner_id=shop["owner_id"],
                           shop_id=shop["shop_id"], region=shop["region"], app_key=app["app_key"],
                           app_secret=app["app_secret"], base_url=base_url_for(shop["platform"], base))
            session.flush()
            store_authorization(session, vault, row, token_set(fresh_pair(control, shop)),
                                shop_cipher=shop["shop_cipher"])
            shop_pks.append(row.id)
    return engine, vault, shop_pks


def full_sync(control: httpx.Client, base: str, info: dict, database_url: str, since: datetime,
              until: datetime, *, workers: int = 1, limiter: bool = False) -> tuple[int, int]:
    """The real path into a fresh database, ``workers`` shops at a time (``aggregator.sync.pool``);
    ``limiter``: each shop's production rate limiter on (off: the bare transport). Returns (orders
    written, orders stored)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from aggregator.store.models import OrderRow, ShopRow
    from aggregator.sync.marketplace import make_transport, sync_shop_orders
    from aggregator.sync.pool import run_pooled

    engine, vault, shop_pks = prepare_database(control, base, info, database_url)

    def one(pk: int) -> int:
        with Session(engine) as session:
            row = session.get(ShopRow, pk)
        transport = make_transport(row.platform) if limiter else bare_transport(row.platform)
        try:
            summary = sync_shop_orders(engine, row, vault, since=since, until=until, transport=transport,
                                       now=until + timedelta(minutes=1))
        finally:
            transport.close()
        if summary.status != "succeeded":
            raise SystemExit(f"sync of {row.platform}:{row.shop_id} ended {summary.status}: {summary.error}")
        return summary.created + summary.updated + summary.unchanged

    written = 0
    for outcome in run_pooled(shop_pks, one, workers=workers):
        if outcome.error is not None:
            raise outcome.error
        written += outcome.value
    with Session(engine) as session:
        stored = session.scalar(select(func.count()).select_from(OrderRow))
    engine.dispose()
    return written, stored


def measure(label: str, pid: int, fn):
    wall0, cpu0, child0 = time.perf_counter(), own_cpu_seconds(), child_cpu_seconds(pid)
    result = fn()
    wall, cpu, child = time.perf_counter() - wall0, own_cpu_seconds() - cpu0, child_cpu_seconds(pid) - child0
    return label, result, wall, cpu, child


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders in the sandbox world (issue: 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", default=None, help='fault plan for the sandbox, e.g. "429=0.01,5xx=0.01"')
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--workers", type=int, default=None,
                        help="shops at once in the pooled phases (default: the product's sync_concurrency)")
    args = parser.parse_args()

    # the modules the phases use are imported before any is timed (importing them costs seconds of CPU
    # that would otherwise be charged to whichever phase came first)
    import aggregator.store.models  # noqa: F401
    import aggregator.sync.marketplace  # noqa: F401
    import aggregator.sync.pool  # noqa: F401
    if args.workers is None:
        from aggregator.config import Settings
        args.workers = Settings.model_fields["sync_concurrency"].default

    print("bench_sandbox_sync")
    for line in machine_context():
        print("  " + line)
    started = time.perf_counter()
    process, base = start_sandbox(args.orders, args.seed, args.faults)
    startup_wall, startup_cpu = time.perf_counter() - started, child_cpu_seconds(process.pid)
    try:
        with httpx.Client(base_url=base, timeout=60) as control:
            info = control.get("/_sandbox/shops").json()
            now = control.get("/_sandbox/clock").json()["now"]
            expected = len(control.get("/_sandbox/truth/orders").json()["orders"])
            since = datetime.fromtimestamp(now - 31 * 86400, timezone.utc)
            until = datetime.fromtimestamp(now + 1, timezone.utc)
            print(f"  sandbox: {args.orders} orders generated, {expected} visible now in {len(info['shops'])} shops; "
                  f"start-up {startup_wall:.1f} s wall, {startup_cpu:.1f} s CPU (world generation, not counted below)")
            print(f"  faults: {args.faults or 'none'}")
            tmp = tempfile.TemporaryDirectory()
            database_url = args.database_url or f"sqlite:///{tmp.name}/bench.sqlite"
            runs = [measure("baseline pull+map", process.pid, lambda: (pull_and_map(control, base, info, since, until),)),
                    measure("sync into database", process.pid,
                            lambda: full_sync(control, base, info, database_url, since, until))]
            pooled = []
            for label, workers in (("limited, 1 at a time", 1), (f"limited, {args.workers} at once", args.workers)):
                url = f"sqlite:///{tmp.name}/pooled-{workers}.sqlite"  # a fresh SQLite file per phase
                pooled.append(measure(label, process.pid, lambda u=url, w=workers: full_sync(
                    control, base, info, u, since, until, workers=w, limiter=True)))
            tmp.cleanup()
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"\n  {'phase':<20}{'orders':>9}{'wall s':>9}{'orders/s':>10}{'client CPU ms/order':>21}"
          f"{'sandbox CPU ms/order':>22}{'sandbox share':>15}")
    for label, result, wall, cpu, child in runs:
        n = result[0]
        share = child / (cpu + child) if cpu + child else 0.0
        print(f"  {label:<20}{n:>9}{wall:>9.2f}{n / wall:>10.0f}{cpu * 1000 / n:>21.3f}{child * 1000 / n:>22.3f}"
              f"{share:>14.0%}")
    print("\n  the product's path with each shop's rate limiter on (as in production), shops one after another "
          "and through the pool (aggregator.sync.pool):")
    for label, result, wall, cpu, child in pooled:
        n = result[0]
        print(f"  {label:<24}{n:>9} orders {wall:>9.2f} s wall {n / wall:>8.0f} orders/s  "
              f"client CPU {cpu * 1000 / n:.3f} ms/order  sandbox CPU {child * 1000 / n:.3f} ms/order  "
              f"stored {result[1]} ({'OK' if result[1] == expected else 'MISMATCH'})")
    print(f"  pooled speed-up: {pooled[0][2] / pooled[1][2]:.1f}x ({args.workers} at once vs one after another; "
          f"client CPU ratio {pooled[1][3] / pooled[0][3]:.2f})")
    stored = runs[1][1][1]
    print(f"\n  database: {stored} orders stored, ground truth {expected}: {'OK' if stored == expected else 'MISMATCH'}")
    print(f"  database URL kind: {database_url.split(':', 1)[0]} (a database server's own CPU is not counted)")
    print(f"  load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (other processes share the cores)")


if __name__ == "__main__":
    main()
