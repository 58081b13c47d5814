"""The visibility API under load, served by ``aggregator serve`` (uvicorn) in its own process and called
over loopback with a keep-alive client, as a user's program would:

* **order detail** p50/p99 with one owner holding 10k, 100k (and, with ``--full``, 1M) orders, each
  with lines, a package, a warehouse shipment, its links to a lot and receipt, and a settlement line.
  The store is built by bulk insert (one prepared ``executemany`` per table and chunk, the writers' own
  ``store.prepared_insert``), not by syncing. Baseline in the same run: the
  bare primary-key-free lookup of the order row by its natural key (SQLAlchemy Core, same database).
* **list page** p50/p99: the first page and the following pages by cursor, newest update first.
* **event delivery**: a writer in this process commits an order change; the time until the API's
  ``/api/v1/events`` stream (connected with the owner's key) delivers it.

    .venv/bin/python bench/bench_api.py                 # 10k and 100k orders, SQLite and PostgreSQL
    .venv/bin/python bench/bench_api.py --full          # adds 1M orders (SQLite; PostgreSQL at 100k)
    .venv/bin/python bench/bench_api.py --sizes 10000 --no-pg
    .venv/bin/python bench/bench_api.py --sizes 1000000 --no-sqlite --pg-max 1000000   # 1M on PostgreSQL
    .venv/bin/python bench/bench_api.py --compare ../old --rounds 3   # order detail: this code vs ../old's

``--compare DIR`` serves the same store from another checkout of the code (same schema) as well, in
alternating rounds (this code, then DIR's, ``--rounds`` times), and prints each round's order detail
figures: old and new code measured in the same session, on the same data, under the same load.

Webhook push → visible is ``bench/bench_webhooks.py``. PostgreSQL: ``AGGREGATOR_BENCH_PG_URL`` or
postgresql://postgres@127.0.0.1:5432/test (a database of its own, dropped afterwards).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from aggregator.api.chain import line_key  # noqa: E402  (the order-line key matching stores links under)
from aggregator.api.keys import create_key  # noqa: E402
from aggregator.store.db import create_engine_for, normalise_url, session_scope, upgrade_schema  # noqa: E402
from aggregator.store.marketplace_writer import write_order  # noqa: E402
from aggregator.store.prepared_insert import insert_rows  # noqa: E402
from aggregator.store.models import OrderLineRow, OrderPackageRow, OrderRow, OwnerRow, SettlementLineRow, ShopRow  # noqa: E402
from aggregator.store.models.marketplace import order_key  # noqa: E402
from aggregator.store.models.matching import MatchLinkRow  # noqa: E402
from aggregator.store.models.warehouse import WarehouseReceiptLineRow, WarehouseReceiptRow, WarehouseShipmentRow  # noqa: E402
from context import cpu_model  # noqa: E402

OWNER, OTHER = "BENCH-OWNER", "OTHER-OWNER"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
CHUNK = 20_000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.2f} ms, p99 {percentile(values, 99) * 1000:.2f} ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------- the store
def build_store(engine, n: int) -> None:
    """``n`` orders of OWNER (plus 1% as many of OTHER) with lines, packages, shipments, links, receipts,
    settlements: bulk inserted in chunks."""
    with session_scope(engine) as session:
        for owner in (OWNER, OTHER):
            session.add(OwnerRow(owner_id=owner, name=owner, base_currency="CNY"))
        session.add_all([ShopRow(owner_id=OWNER, platform="shopee", shop_id="5001", region="MY", name="bench"),
                         ShopRow(owner_id=OTHER, platform="shopee", shop_id="5002", region="SG", name="other")])
    receipts = max(1, n // 200)
    with engine.begin() as conn:
        conn.execute(insert(WarehouseReceiptRow), [
            {"owner_id": OWNER, "warehouse_code": "WH1", "asn_no": f"ASN{r:07d}", "status": "RECEIVED",
             "received_at": T0 + timedelta(hours=r % 500), "container_no": f"MSCU{r:07d}", "content_hash": "x",
             "is_final": True} for r in range(receipts)])
        conn.execute(insert(WarehouseReceiptLineRow), [
            {"receipt_pk": r + 1, "line_no": 1, "sku": "SKU-1", "planned_qty": 1000, "received_good_qty": 1000,
             "lot_id": f"LOT{r:07d}"} for r in range(receipts)])
        conn.execute(insert(MatchLinkRow), [
            {"owner_id": OWNER, "partition": "wh|BENCH-OWNER|WH1", "step": "lot_receipt",
             "left_key": f"{OWNER}|WH1|LOT{r:07d}", "right_key": f"{OWNER}|WH1|ASN{r:07d}|1", "qty": 1000,
             "method": "exact", "confidence": 1.0} for r in range(receipts)])
    for owner, shop, count, prefix in ((OWNER, "5001", n, "O"), (OTHER, "5002", max(1, n // 100), "X")):
        for start in range(0, count, CHUNK):
            ids = range(start, min(count, start + CHUNK))
            with session_scope(engine) as session:
                first_pk = (session.execute(select(OrderRow.id).order_by(OrderRow.id.desc()).limit(1)).scalar()
                            or 0) + 1
                bulk(session, OrderRow, [
                    {"owner_id": owner, "platform": "shopee", "shop_id": shop, "order_id": f"{prefix}{i:09d}",
                     "order_key": order_key("shopee", shop, f"{prefix}{i:09d}"),
                     "status": ("SHIPPED", "DELIVERED", "COMPLETED")[i % 3], "raw_status": "SHIPPED", "currency": "MYR",
                     "total_amount": 19 + i % 100, "ordered_at": T0 + timedelta(seconds=i * 7),
                     "paid_at": T0 + timedelta(seconds=i * 7 + 60), "source_updated_at": T0 + timedelta(seconds=i * 11),
                     "content_hash": "x"} for i in ids])
                pks = [first_pk + k for k in range(len(ids))]
                bulk(session, OrderLineRow, [
                    {"order_pk": pk, "line_ref": f"{i}:1", "seller_sku": "SKU-1", "quantity": 1, "currency": "MYR",
                     "unit_price": 19, "tracking_number": f"SPX{prefix}{i:09d}", "package_id": f"PK{prefix}{i:09d}"}
                    for pk, i in zip(pks, ids)])
                bulk(session, OrderPackageRow, [
                    {"order_pk": pk, "package_id": f"PK{prefix}{i:09d}", "tracking_number": f"SPX{prefix}{i:09d}",
                     "line_refs": f"{i}:1"} for pk, i in zip(pks, ids)])
                if owner != OWNER:
                    continue
                bulk(session, WarehouseShipmentRow, [
                    {"owner_id": owner, "warehouse_code": "WH1", "wms_outbound_no": f"OB{i:09d}", "platform": "shopee",
                     "shop_id": shop, "order_id": f"{prefix}{i:09d}", "tracking_number": f"SPX{prefix}{i:09d}",
                     "wms_created_at": T0 + timedelta(seconds=i * 7 + 3600),
                     "shipped_at": T0 + timedelta(seconds=i * 7 + 7200),
                     "delivered_at": T0 + timedelta(seconds=i * 7 + 86400), "content_hash": "x"} for i in ids])
                bulk(session, MatchLinkRow, [
                    row for i in ids for row in (
                        {"owner_id": owner, "partition": "shop|x", "step": "order_shipment",
                         "left_key": line_key(SimpleNamespace(platform="shopee", shop_id=shop,
                                                              order_id=f"{prefix}{i:09d}"), f"{i}:1"),
                         "right_key": f"{owner}|WH1|OB{i:09d}|1", "qty": 1, "method": "exact", "confidence": 1.0},
                        {"owner_id": owner, "partition": "wh|x", "step": "shipment_lot",
                         "left_key": f"{owner}|WH1|OB{i:09d}|1", "right_key": f"{owner}|WH1|LOT{i % receipts:07d}",
                         "qty": 1, "method": "fifo", "confidence": 0.9})])
                bulk(session, SettlementLineRow, [
                    {"owner_id": owner, "platform": "shopee", "shop_id": shop, "statement_id": f"ST{i // 1000}",
                     "transaction_id": f"T{i:09d}", "kind": "ORDER_INCOME", "amount": 17, "currency": "MYR",
                     "occurred_at": T0 + timedelta(days=10, seconds=i), "order_id": f"{prefix}{i:09d}",
                     "content_hash": "x"} for i in ids])


def bulk(session, model, rows: list[dict]) -> None:
    """One prepared executemany of ``rows`` (the writers' own bulk path, ``store.prepared_insert``)."""
    insert_rows(session, model.__table__, rows)


# ---------------------------------------------------------------------------------------------- the server
class Server:
    def __init__(self, url: str, admin_key: str, code: Path = REPO) -> None:
        """``aggregator serve`` from the checkout ``code`` (its modules first on the path)."""
        self.port = free_port()
        env = {**os.environ, "AGGREGATOR_LOG_LEVEL": "WARNING", "AGGREGATOR_OPERATOR_API_KEY": admin_key,
               "PYTHONPATH": os.pathsep.join([str(code), *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.proc = subprocess.Popen([sys.executable, "-m", "aggregator.cli.main", "--database-url", url, "serve",
                                      "--port", str(self.port)], env=env, cwd=code)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the API server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) the process has used: what a request costs the server, which
    a machine shared with other work does not inflate the way it inflates wall-clock latency."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client: httpx.Client, path: str, n: int, make_path=None) -> list[float]:
    out = []
    for k in range(n):
        target = make_path(k) if make_path else path
        start = time.perf_counter()
        reply = client.get(target)
        out.append(time.perf_counter() - start)
        if reply.status_code != 200:
            raise RuntimeError(f"{target}: {reply.status_code} {reply.text[:200]}")
    return out


def owner_key(engine) -> str:
    with session_scope(engine) as session:
        return create_key(session, role="owner-viewer", owner_id=OWNER, name="bench")[1]


def detail_round(server: Server, client: httpx.Client, sample: list[int]) -> tuple[list[float], float]:
    """The order detail of each sampled order (after 20 to warm up): latencies, and server CPU per request."""
    timed(client, "", 20, lambda k: f"/api/v1/orders/shopee/5001/O{sample[k]:09d}")  # warm up
    cpu = cpu_seconds(server.proc.pid)
    detail = timed(client, "", len(sample), lambda k: f"/api/v1/orders/shopee/5001/O{sample[k]:09d}")
    return detail, (cpu_seconds(server.proc.pid) - cpu) / len(sample)


def compare(engine, url: str, n: int, requests: int, label: str, other: Path, rounds: int) -> None:
    """The order detail served by this code and by ``other``'s, alternately, on the same store."""
    key = owner_key(engine)
    rng = random.Random(11)
    sample = [rng.randrange(n) for _ in range(requests)]
    for round_no in range(1, rounds + 1):
        for name, code in (("new", REPO), ("old", other)):
            server = Server(url, "bench-admin-" + uuid.uuid4().hex, code)
            try:
                with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {key}"},
                                  timeout=60) as client:
                    detail, cpu = detail_round(server, client, sample)
            finally:
                server.stop()
            print(f"  [{label} {n:,} orders] round {round_no} {name} code ({code}): order detail {ms(detail)}, "
                  f"server CPU {cpu * 1000:.2f} ms per request; load average {load()}", flush=True)


def measure(engine, url: str, n: int, requests: int, label: str) -> dict:
    key = owner_key(engine)
    server = Server(url, "bench-admin-" + uuid.uuid4().hex)
    rng = random.Random(7)
    try:
        with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            sample = [rng.randrange(n) for _ in range(requests)]
            detail, detail_cpu = detail_round(server, client, sample)
            body = client.get(f"/api/v1/orders/shopee/5001/O{sample[0]:09d}").json()
            steps = [s["step"] for s in body["timeline"]]
            first = timed(client, "/api/v1/orders?limit=50", requests // 3)
            page = client.get("/api/v1/orders?limit=50").json()
            cursors = [page["next_cursor"]]
            for _ in range(requests // 3):
                page = client.get(f"/api/v1/orders?limit=50&cursor={cursors[-1]}").json()
                cursors.append(page["next_cursor"])
            deep = timed(client, "", len(cursors) - 1, lambda k: f"/api/v1/orders?limit=50&cursor={cursors[k]}")
            search = timed(client, "", requests // 3, lambda k: f"/api/v1/orders?q=SPXO{sample[k]:09d}")
            events = event_latency(engine, client, 30)
        baseline = []
        with engine.connect() as conn:
            for k in range(requests):
                start = time.perf_counter()
                conn.execute(select(OrderRow).where(OrderRow.platform == "shopee", OrderRow.shop_id == "5001",
                                                    OrderRow.order_id == f"O{sample[k]:09d}")).first()
                baseline.append(time.perf_counter() - start)
    finally:
        server.stop()
    print(f"  [{label} {n:,} orders] order detail {ms(detail)}, server CPU {detail_cpu * 1000:.2f} ms per request "
          f"(timeline steps: {', '.join(steps)}); baseline bare row lookup {ms(baseline)}")
    print(f"  [{label} {n:,} orders] list first page {ms(first)}; later pages by cursor {ms(deep)}; "
          f"q=tracking number {ms(search)}; count {page['count']}{'' if page['count_exact'] else '+'}")
    print(f"  [{label} {n:,} orders] event delivery (commit -> SSE client) {ms(events)}")
    return {"detail": detail, "first": first, "deep": deep, "events": events}


def event_latency(engine, client: httpx.Client, n: int) -> list[float]:
    """Commit an order change from this process n times; time until the SSE stream delivers each."""
    from platform_adapters.canonical import Order, OrderLine, OrderStatus, Platform
    from fx.money import Money

    arrivals: dict[str, float] = {}
    ready = threading.Event()

    def listen() -> None:
        with client.stream("GET", "/api/v1/events?topics=order.created", timeout=60) as stream:
            ready.set()
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    key = json.loads(line[5:])["key"]
                    arrivals[key] = time.perf_counter()
                    if len(arrivals) >= n:
                        return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(10)
    time.sleep(0.3)
    sent: dict[str, float] = {}
    for k in range(n):
        order_id = f"EV{uuid.uuid4().hex[:12]}"
        order = Order(platform=Platform.SHOPEE, shop_id="5001", order_id=order_id, status=OrderStatus.UNPAID,
                      raw_status="UNPAID", created_at=T0, updated_at=T0, currency="MYR",
                      total_amount=Money.of("1", "MYR"),
                      lines=(OrderLine(line_ref="1", seller_sku="S", quantity=1, unit_price=Money.of("1", "MYR")),))
        with session_scope(engine) as session:
            write_order(session, order, OWNER)
        sent[f"shopee|5001|{order_id}"] = time.perf_counter()
        time.sleep(0.05)
    thread.join(timeout=30)
    return [arrivals[k] - t for k, t in sent.items() if k in arrivals]


def pg_engine():
    admin_url = normalise_url(os.environ.get("AGGREGATOR_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    name = f"agg_bench_api_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def run(size: int, backend: str, requests: int, other: Path | None = None, rounds: int = 0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            url, drop = f"sqlite:///{tmp}/bench.sqlite", (lambda: None)
        else:
            url, drop = pg_engine()
        engine = create_engine_for(url)
        try:
            upgrade_schema(engine)
            start = time.perf_counter()
            build_store(engine, size)
            if backend == "postgresql":
                with engine.connect() as conn:
                    conn.execute(text("ANALYZE"))
                    conn.commit()
            print(f"  [{backend} {size:,} orders] store built by bulk insert in {time.perf_counter() - start:.1f} s; "
                  f"load average {load()}", flush=True)
            measure(engine, url, size, requests, backend)
            if other is not None:
                compare(engine, url, size, requests, backend, other, rounds)
        finally:
            engine.dispose()
            drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=None, help="comma-separated order counts (default 10000,100000)")
    parser.add_argument("--full", action="store_true", help="10k, 100k and 1M orders")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--pg-max", type=int, default=100_000, help="largest size also run on PostgreSQL")
    parser.add_argument("--compare", type=Path, default=None, metavar="DIR",
                        help="also serve the order detail from the checkout DIR, alternating with this code")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of --compare")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [10_000, 100_000, 1_000_000] if args.full else [10_000, 100_000])
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load()}")
    for size in sizes:
        if not args.no_sqlite:
            run(size, "sqlite", args.requests, args.compare, args.rounds)
        if not args.no_pg and size <= args.pg_max:
            run(size, "postgresql", args.requests, args.compare, args.rounds)
    print(f"done {time.strftime('%H:%M UTC', time.gmtime())}; load average {load()}")
    return 0


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    raise SystemExit(main())
