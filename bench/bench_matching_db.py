"""Matching on the database path: a full match, then an incremental one after N new orders, next to bare
baselines of the same run.

    .venv/bin/python bench/bench_matching_db.py                     # 100k order lines, 1k new orders, SQLite
    .venv/bin/python bench/bench_matching_db.py --size 300000 --new-orders 3000
    .venv/bin/python bench/bench_matching_db.py --full              # 1M order lines, 10k new orders
    .venv/bin/python bench/bench_matching_db.py --postgresql        # a fresh database on the local server
    .venv/bin/python bench/bench_matching_db.py --full --world /tmp/w1m  # store the world once, reuse it after
    .venv/bin/python bench/bench_matching_db.py --full --world /tmp/w1m --profile full.prof  # cProfile full

A synthetic world (``matching.synthetic``: 10 owners, 2 warehouses, receipts for 10% of the units, 5 lines
per bill of lading) is stored without the last N orders of OWNER00 and their outbound lines (bare
executemany inserts, ``aggregator.matching_service.synthetic_store``; stored an hour back, as data of an
earlier day; the later batch is kept in a pickle next to the database, so no later step generates the world
again). Then, each in its own process (so each peak RSS is its own):

* baseline ``bare SELECT``: the order lines and outbound lines of every owner read as tuples (the reads
  a full match cannot do without), and ``plain merge``: those rows joined on their raw exact keys with
  ``pandas.merge`` (what a plain user would do; it finds only part of the order -> outbound links and none
  of the rest of the chain);
* ``full match``: ``run_match(full=True)``, every owner and partition, title ledger included;
* the N new orders and their outbound lines are stored (now);
* ``incremental``: ``run_match()``: finds the changed partitions by indexed queries, matches only those,
  derives title events only for the lots and allocations whose inputs changed;
* with ``--verify`` (default below 500k lines) a second full run, whose links and title ledger must equal
  what the incremental run left.

With ``--world DIR`` (SQLite only) the stored world (the database as the store step left it and the later
batch) is kept in DIR and, when DIR already holds one of the same size, seed and N, copied instead of stored
again: runs comparing two versions of the code can share one world (the store step's line is then absent).

Every step prints wall time, CPU time of the process (user + system) and its peak RSS; the summary gives
the incremental run's share of the full run in both. The machine is shared: the load average is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from context import cpu_model  # noqa: E402  (bench/ is the script's own folder)

PG_ADMIN_URL = os.environ.get("AGGREGATOR_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def machine() -> str:
    import numpy as np
    import pandas as pd
    return (f"{cpu_model()}; {os.cpu_count()} logical cores; Python {platform.python_version()}; "
            f"pandas {pd.__version__}; numpy {np.__version__}; {platform.system()} {platform.release()}")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def world(size: int, seed: int):
    from matching.synthetic import generate
    return generate(size=size, seed=seed, owners=10, warehouses=2, receipt_ratio=0.1, lines_per_bl=5).input


# -- the steps, each run in a child process ---------------------------------------------------------

def step(name: str, url: str, args: argparse.Namespace) -> dict:
    from sqlalchemy import func, select

    from aggregator.matching_service.service import run_match
    from aggregator.matching_service.synthetic_store import split_new_orders, store_world
    from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
    from aggregator.store.models.matching import MatchLinkRow, TitleEventRow

    engine = create_engine_for(url)
    out: dict = {}
    if name == "store":
        upgrade_schema(engine)
        inp = world(args.size, args.seed)
        before, new = split_new_orders(inp, "OWNER00", args.new_orders)
        with open(args.batch, "wb") as kept:  # the later batch, so its step need not generate the world again
            pickle.dump(new, kept)
        del inp
        out["rows"] = {"order lines": len(before.order_lines), "outbound lines": len(before.shipment_lines),
                       "receipt lines": len(before.receipt_lines), "BL lines": len(before.document_lines),
                       "customs lines": len(before.customs_lines)}
        start, cpu = time.perf_counter(), cpu_seconds()
        with session_scope(engine) as session:
            store_world(session, before, stored_at=datetime.now(UTC) - timedelta(hours=1))
        out["wall"], out["cpu"] = time.perf_counter() - start, cpu_seconds() - cpu
        return out
    start, cpu = time.perf_counter(), cpu_seconds()
    if name == "select":
        from aggregator.store.models.marketplace import OrderLineRow, OrderRow
        from aggregator.store.models.warehouse import WarehouseShipmentLineRow, WarehouseShipmentRow
        with session_scope(engine) as session:
            o, ol = OrderRow, OrderLineRow
            orders = session.execute(select(o.owner_id, o.platform, o.shop_id, o.order_id, ol.line_ref, ol.seller_sku,
                                            ol.quantity).join(ol, ol.order_pk == o.id)).all()
            s, sl = WarehouseShipmentRow, WarehouseShipmentLineRow
            ships = session.execute(select(s.owner_id, s.platform, s.shop_id, s.order_id, sl.order_line_ref, sl.sku,
                                           sl.quantity).join(sl, sl.shipment_pk == s.id)).all()
        out["rows"] = len(orders) + len(ships)
        if args.merge:
            import pandas as pd
            left = pd.DataFrame(orders, columns=["owner_id", "platform", "shop_id", "order_id", "line_ref", "sku",
                                                 "qty"])
            right = pd.DataFrame(ships, columns=["owner_id", "platform", "shop_id", "order_id", "line_ref", "sku",
                                                 "qty"])
            out["merged"] = len(left.merge(right, on=["platform", "shop_id", "order_id", "line_ref"]))
    elif name == "new":
        with open(args.batch, "rb") as kept:
            new = pickle.load(kept)
        start, cpu = time.perf_counter(), cpu_seconds()  # reading the batch is not part of the write
        with session_scope(engine) as session:
            store_world(session, new, orders_only=True)
        out["rows"] = len(new.order_lines) + len(new.shipment_lines)
    else:
        if name == "full" and args.profile:  # cProfile's own cost inflates this step's times
            import cProfile
            profiler = cProfile.Profile()
            summary = profiler.runcall(run_match, engine, full=True)
            profiler.dump_stats(args.profile)
        else:
            summary = run_match(engine, full=name != "incremental")
        out["summary"] = summary.describe()
        out["rematched"], out["partitions"] = summary.rematched, summary.partitions
    out["wall"], out["cpu"] = time.perf_counter() - start, cpu_seconds() - cpu
    out["rss"] = peak_rss_mib()
    if name in ("full", "incremental", "verify"):
        with session_scope(engine) as session:
            links = session.execute(select(func.count(), func.sum(MatchLinkRow.qty))).one()
            events = session.execute(select(func.count()).where(TitleEventRow.retracted_at.is_(None))).scalar_one()
            digest = session.execute(select(func.count(), func.max(TitleEventRow.event_id), func.min(
                TitleEventRow.event_id)).where(TitleEventRow.retracted_at.is_(None))).one()
        out["state"] = [int(links[0]), int(links[1] or 0), int(events), str(digest)]
    return out


def child(name: str, url: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--step", name, "--url", url, "--size", str(args.size),
               "--new-orders", str(args.new_orders), "--seed", str(args.seed), "--batch", args.batch]
    if args.merge:
        command.append("--merge")
    if args.profile:
        command += ["--profile", args.profile]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"step {name} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="order lines (default 100k)")
    parser.add_argument("--full", action="store_true", help="the issue's size: 1M order lines, 10k new orders")
    parser.add_argument("--new-orders", type=int, default=None, help="default: 1%% of the order lines")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgresql", action="store_true", help="a fresh database on the local PostgreSQL")
    parser.add_argument("--verify", action=argparse.BooleanOptionalAction, default=None,
                        help="a second full run must leave what the incremental one left (default below 500k)")
    parser.add_argument("--world", help="SQLite: keep the stored world in this folder, reuse it when it is there")
    parser.add_argument("--profile", help="cProfile the full match into this stats file (its times then inflated)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--merge", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch", help=argparse.SUPPRESS)  # where the store step keeps the later batch
    args = parser.parse_args()
    if args.full:
        args.size = 1_000_000
    if args.new_orders is None:
        args.new_orders = max(1, args.size // 100)
    if args.step:
        print(json.dumps(step(args.step, args.url, args)))
        return
    verify = args.verify if args.verify is not None else args.size < 500_000

    print(f"machine: {machine()}")
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load_average()}")
    with tempfile.TemporaryDirectory() as folder:
        args.batch = str(Path(folder) / "new_orders.pickle")
        if args.postgresql:
            from sqlalchemy import create_engine, text
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            name = f"bench_matchdb_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        else:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        try:
            run(url, args, verify, kept_world(args, Path(folder) / "bench.sqlite"))
        finally:
            if args.postgresql:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def kept_world(args: argparse.Namespace, database: Path) -> bool:
    """With ``--world``: the kept world copied to ``database`` and the batch's path (True), or False when there
    is none yet for these arguments (``save_world`` keeps it after the store step)."""
    if args.world is None:
        return False
    if args.postgresql:
        raise SystemExit("--world keeps SQLite worlds only")
    folder = Path(args.world)
    key = folder / "world.json"
    if not key.exists() or json.loads(key.read_text()) != world_key(args):
        return False
    shutil.copyfile(folder / "bench.sqlite", database)
    args.batch = str(folder / "new_orders.pickle")
    return True


def world_key(args: argparse.Namespace) -> dict:
    """What a kept world was made with: a world kept by a build making other pages is not reused."""
    from aggregator.store.db import SQLITE_PAGE_SIZE

    return {"size": args.size, "seed": args.seed, "new_orders": args.new_orders, "page_size": SQLITE_PAGE_SIZE}


def save_world(args: argparse.Namespace, url: str) -> None:
    """The stored world kept in ``--world`` (a consistent copy through SQLite's backup, the batch beside it)."""
    import sqlite3
    folder = Path(args.world)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "world.json").unlink(missing_ok=True)
    for kept in ("bench.sqlite", "bench.sqlite-wal", "bench.sqlite-shm"):  # (a backup into a database of other
        (folder / kept).unlink(missing_ok=True)  # pages, kept by an earlier build, fails: made anew)
    source, target = sqlite3.connect(url.split("///", 1)[1]), sqlite3.connect(folder / "bench.sqlite")
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    shutil.copyfile(args.batch, folder / "new_orders.pickle")
    (folder / "world.json").write_text(json.dumps(world_key(args)))


def run(url: str, args: argparse.Namespace, verify: bool, reused: bool = False) -> None:
    print(f"database: {url.split(':', 1)[0]}; {args.size:,} order lines in the world, "
          f"{args.new_orders:,} new orders of OWNER00 after the first match")

    def show(label: str, result: dict) -> None:
        extra = f", peak RSS {result['rss']:,.0f} MiB" if "rss" in result else ""
        print(f"  {label:<52} {result['wall']:8.2f} s wall {result['cpu']:8.2f} s CPU{extra}")

    if reused:
        print(f"  the stored world reused from {args.world}")
    else:
        stored = child("store", url, args)
        print("  stored: " + ", ".join(f"{k} {v:,}" for k, v in stored["rows"].items()))
        show("store the world (bare executemany)", stored)
        if args.world is not None:
            save_world(args, url)
    args.merge = False
    select_ = child("select", url, args)
    show(f"baseline: bare SELECT of order + outbound lines ({select_['rows']:,})", select_)
    args.merge = True
    merge = child("select", url, args)
    show(f"baseline: SELECT + plain merge on raw keys ({merge['merged']:,})", merge)
    args.merge = False
    full = child("full", url, args)
    show("full match (run_match --full)", full)
    print(f"    {full['summary']}")
    new = child("new", url, args)
    show(f"store {args.new_orders:,} new orders + outbound ({new['rows']:,} lines)", new)
    inc = child("incremental", url, args)
    show("incremental match (run_match)", inc)
    print(f"    {inc['summary']}")
    print(f"    state (links, their quantity, live title events, event-id digest): full {full['state']}, "
          f"incremental {inc['state']}")
    if verify:
        again = child("verify", url, args)
        show("verify: full match again", again)
        print(f"    links and title ledger equal after incremental and full: {again['state'] == inc['state']}")
    print()
    print(f"summary ({args.size:,} order lines, {url.split(':', 1)[0]}, load {load_average()}): "
          f"bare SELECT {select_['wall']:.2f} s | full {full['wall']:.2f} s wall / {full['cpu']:.2f} s CPU, "
          f"peak RSS {full['rss']:,.0f} MiB | incremental after {args.new_orders:,} new orders "
          f"{inc['wall']:.2f} s wall / {inc['cpu']:.2f} s CPU, peak RSS {inc['rss']:,.0f} MiB "
          f"({inc['rematched']} of {inc['partitions']} partitions) = {inc['wall'] / full['wall']:.1%} of the full "
          f"run's wall time, {inc['cpu'] / full['cpu']:.1%} of its CPU time")


if __name__ == "__main__":
    main()
