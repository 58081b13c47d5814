"""Matching fanned out per partition over Celery workers, next to the same world matched in-process.

    .venv/bin/python bench/bench_match_fanout.py                  # a 5,000-order sandbox world
    .venv/bin/python bench/bench_match_fanout.py --orders 20000   # the README's figure

One world (the sandbox's owners, shops and 3PL warehouses: orders synced over HTTP, the forwarders',
customs' and 3PL's files imported) in a fresh PostgreSQL database, then, in the same run, a full match
of every owner three ways:

* in-process: ``run_match`` owner after owner in this process (what the embedded scheduler and
  ``aggregator match`` do) — the baseline;
* Celery, 1 worker process (``aggregator worker --concurrency 1``, Redis broker and result backend):
  every owner's ``aggregator.match_owner`` sent at once; each fans out into a chord per phase of tasks
  grouping its partitions by size (``AGGREGATOR_MATCH_TASK_LINES``, default 20,000 lines) and a
  finalizing chord callback (``aggregator.jobs.match_fanout``);
* the same with 2 worker processes (``--concurrency 2``).

Printed per way: wall time from the first message sent to the last run recorded, partitions per second,
CPU seconds (this process for in-process; the worker's process tree from /proc for Celery, and what
the same tree spends idle over that wall time, measured for 10 s before the messages are sent) and
those of the PostgreSQL backends serving the database (same host, /proc; for Celery they include this
process polling ``job_runs`` 20 times a second, so they grow with the wall time), the load average,
and whether the stored links, title ledger and lot values equal the in-process ones.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from aggregator.config import load_settings  # noqa: E402
from aggregator.jobs.celery_app import make_celery  # noqa: E402
from aggregator.matching_service.service import plan_match, run_match  # noqa: E402
from aggregator.sandbox_link import connect_sandbox, import_logistics_dir  # noqa: E402
from aggregator.store.db import create_engine_for, normalise_url, upgrade_schema  # noqa: E402
from aggregator.store.models import OrderLineRow, ShopRow  # noqa: E402
from aggregator.store.models.jobs import JobRun  # noqa: E402
from aggregator.store.models.matching import LotValueRow, MatchLinkRow, TitleEventRow  # noqa: E402
from aggregator.store.models.tenancy import OwnerRow  # noqa: E402
from aggregator.store.vault import Vault  # noqa: E402
from aggregator.sync.marketplace import sync_shop  # noqa: E402
from context import cpu_model  # noqa: E402  (bench/ is the script's own folder)
from platform_adapters.sandbox import running_sandbox  # noqa: E402
from platform_adapters.sandbox.logistics import write_logistics  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BROKER = os.environ.get("AGGREGATOR_BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")
BACKEND = os.environ.get("AGGREGATOR_BENCH_RESULT_BACKEND", "redis://127.0.0.1:6379/2")


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def fresh_database() -> tuple[str, callable]:
    admin_url = normalise_url(os.environ.get("AGGREGATOR_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    name = f"agg_bench_fanout_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def build_world(engine, orders: int, seed: int, root: Path) -> None:
    """The sandbox world as users get it in: orders synced over HTTP, logistics files imported."""
    vault = Vault(Fernet.generate_key())
    with running_sandbox(seed=seed, orders=orders, faults="") as sandbox:
        connect_sandbox(engine, vault, sandbox.base_url, {})
        with Session(engine) as session:
            shops = session.scalars(select(ShopRow).order_by(ShopRow.id)).all()
        now = datetime.fromtimestamp(sandbox.state.now, UTC)
        for shop in shops:
            sync_shop(engine, shop, vault, "orders", since=now - timedelta(days=400), now=now, lag=timedelta(0))
        write_logistics(sandbox.state.world, sandbox.state.now, root / "logistics")
        import_logistics_dir(engine, root / "logistics")


def derived(engine) -> tuple:
    with Session(engine) as session:
        return (sorted(session.execute(select(MatchLinkRow.partition, MatchLinkRow.step, MatchLinkRow.left_key,
                                              MatchLinkRow.right_key, MatchLinkRow.qty)).all()),
                sorted(session.scalars(select(TitleEventRow.event_id).where(TitleEventRow.retracted_at.is_(None)))),
                sorted(session.execute(select(LotValueRow.lot_key, LotValueRow.unit_value)).all()))


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its live descendants (a prefork worker and its pool processes)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(p, 0.0) for p in tree)


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone (a backend closed): its time is not counted
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def database_cpu(engine) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving this database (the server on this host)."""
    with engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
        return {pid: process_cpu_seconds(pid) for pid in pids}


def database_cpu_since(engine, before: dict[int, float]) -> float:
    now = database_cpu(engine)
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())


def in_process(engine, owners: list[str]) -> dict:
    start_load, db = load(), database_cpu(engine)
    cpu, wall = time.process_time(), time.perf_counter()
    for owner in owners:
        run_match(engine, full=True, owner_id=owner)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "load": (start_load, load()),
            "db": database_cpu_since(engine, db)}


def with_workers(url: str, engine, owners: list[str], processes: int, data_dir: Path) -> dict:
    env = {"AGGREGATOR_DATABASE_URL": url, "AGGREGATOR_SECRET_KEY": Fernet.generate_key().decode(),
           "AGGREGATOR_DATA_DIR": str(data_dir), "AGGREGATOR_JOBS_MODE": "celery", "AGGREGATOR_BROKER_URL": BROKER,
           "AGGREGATOR_RESULT_BACKEND": BACKEND, "AGGREGATOR_TASK_QUEUE": f"agg-bench-{uuid.uuid4().hex[:8]}",
           "AGGREGATOR_LOG_LEVEL": "WARNING"}
    settings = load_settings(**{k.removeprefix("AGGREGATOR_").lower(): v for k, v in env.items()})
    app = make_celery(settings)
    log_path = data_dir / f"worker-{processes}.log"
    with log_path.open("w+") as log:
        worker = subprocess.Popen([sys.executable, "-m", "aggregator.cli.main", "worker", "--concurrency",
                                   str(processes)], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=0.5):  # started and consuming: its start is not timed
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(1.0)  # its pool processes up
            idle_cpu, idle_wall = tree_cpu_seconds(worker.pid), time.perf_counter()
            time.sleep(10.0)  # what the worker spends doing nothing (heartbeats, broker polling) per second
            idle_rate = (tree_cpu_seconds(worker.pid) - idle_cpu) / (time.perf_counter() - idle_wall)
            with Session(engine) as session:
                mark = session.scalar(select(func.max(JobRun.id))) or 0
            start_load, db = load(), database_cpu(engine)
            cpu, wall = tree_cpu_seconds(worker.pid), time.perf_counter()
            for owner in owners:
                app.send_task("aggregator.match_owner", args=[owner, True], queue=settings.task_queue)
            while True:
                with Session(engine) as session:
                    runs = session.execute(select(JobRun.target, JobRun.status, JobRun.error, JobRun.result).where(
                        JobRun.id > mark, JobRun.job == "match-owners",
                        JobRun.status.not_in(("running", "busy")))).all()
                if len(runs) >= len(owners):
                    break
                if worker.poll() is not None:
                    raise SystemExit(f"the worker stopped:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.05)
            elapsed, used = time.perf_counter() - wall, tree_cpu_seconds(worker.pid) - cpu
            db_used = database_cpu_since(engine, db)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    failed = [f"{r.target}: {r.error}" for r in runs if r.status != "succeeded"]
    if failed:
        raise SystemExit("a run failed: " + "; ".join(failed))
    workers = {w for r in runs for w in (r.result or {}).get("workers", [])}
    return {"wall": elapsed, "cpu": used, "db": db_used, "load": (start_load, load()), "workers": len(workers),
            "idle": idle_rate * elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=5000, help="sandbox orders (spread over its owners' shops)")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}; {os.cpu_count()} logical cores; Python {platform.python_version()}; "
          f"{platform.system()} {platform.release()}")
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load()}; PostgreSQL, broker {BROKER}, "
          f"result backend {BACKEND}")
    url, drop = fresh_database()
    root = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    try:
        engine = create_engine_for(url)
        upgrade_schema(engine)
        started = time.perf_counter()
        build_world(engine, args.orders, args.seed, root)
        with Session(engine) as session:
            owners = list(session.scalars(select(OwnerRow.owner_id).order_by(OwnerRow.owner_id)))
            lines = session.scalar(select(func.count()).select_from(OrderLineRow))
        partitions = sum(len(plan_match(engine, owner, full=True).partitions) for owner in owners)
        print(f"world: {len(owners)} owners, {lines} order lines, {partitions} partitions "
              f"(built in {time.perf_counter() - started:.0f} s)")
        rows = [("in-process (baseline)", in_process(engine, owners))]
        truth = derived(engine)
        for processes in (1, 2):
            result = with_workers(url, engine, owners, processes, root)
            result["equal"] = derived(engine) == truth
            rows.append((f"Celery, {processes} worker process{'es' if processes > 1 else ''}", result))
        print(f"\nfull match of every owner ({partitions} partitions), wall from first message to last run recorded:")
        base = rows[0][1]["wall"]
        one = rows[1][1]["wall"]
        for label, r in rows:
            extra = "" if "equal" not in r else (f"; idle worker CPU over that wall time {r['idle']:.2f} s; "
                                                 f"{r['workers']} worker process(es) took part; stored links, title "
                                                 f"and lot values {'equal' if r['equal'] else 'DIFFER from'} in-process")
            print(f"  {label:<28} {r['wall']:7.2f} s  {partitions / r['wall']:6.2f} partitions/s  "
                  f"CPU {r['cpu']:7.2f} s + database {r['db']:6.2f} s  "
                  f"({base / r['wall']:.2f}x in-process, {one / r['wall']:.2f}x 1 worker)  "
                  f"load {r['load'][0]} -> {r['load'][1]}{extra}")
        engine.dispose()
    finally:
        drop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"ended {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load()}")


if __name__ == "__main__":
    main()
