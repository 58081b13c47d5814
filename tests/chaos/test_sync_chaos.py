"""Chaos with real processes: ``aggregator sync`` runs as its own process against the sandbox over
loopback and a real PostgreSQL, and is hurt mid-run:

* ``kill -9`` of the sync: an immediate re-run closes the dead run as ``abandoned`` (its worker is
  gone) and completes every shop;
* its database connections killed (``pg_terminate_backend``);
* the database away for ``AGGREGATOR_CHAOS_OUTAGE_SECONDS`` (default 3; the issue measured 20) through
  a loopback TCP proxy that cuts every connection and refuses new ones.

Each ends equal to the sandbox's ground truth (every order, status, source time, line and parcel) with
no run left ``running``.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from aggregator.sandbox_link import connect_sandbox
from aggregator.store.models import OrderRow, SyncRun
from aggregator.store.vault import Vault
from platform_adapters.sandbox import running_sandbox
from tests.chaos.tcp_proxy import TcpProxy
from tests.sandbox.test_e2e_sync import _assert_database_equals_truth

OUTAGE_SECONDS = float(os.environ.get("AGGREGATOR_CHAOS_OUTAGE_SECONDS", "3"))
CLI = str(Path(sys.executable).with_name("aggregator"))


@dataclass
class World:
    engine: Engine
    url: str
    key: str
    data_dir: Path
    shops: list[int]
    truth: list[dict]
    sandbox_url: str

    def calm(self) -> None:
        """The sandbox answers at full speed again (the 'slow' replies only stretch the run until it is hurt)."""
        httpx.post(self.sandbox_url + "/_sandbox/faults", json={"spec": ""}, timeout=10).raise_for_status()

    def env(self, url: str | None = None) -> dict[str, str]:
        return dict(os.environ, AGGREGATOR_DATABASE_URL=url or self.url, AGGREGATOR_SECRET_KEY=self.key,
                    AGGREGATOR_DATA_DIR=str(self.data_dir), AGGREGATOR_SYNC_INITIAL_LOOKBACK_DAYS="60",
                    AGGREGATOR_SYNC_LAG_SECONDS="0",
                    AGGREGATOR_DB_RETRY_SECONDS=str(max(30.0, OUTAGE_SECONDS * 3)))

    def start_sync(self, url: str | None = None) -> subprocess.Popen:
        return subprocess.Popen([CLI, "sync"], env=self.env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def sync(self) -> subprocess.CompletedProcess:
        return subprocess.run([CLI, "sync"], env=self.env(), capture_output=True, text=True, timeout=300)

    def runs(self) -> dict[str, int]:
        with Session(self.engine) as session:
            return dict(session.execute(select(SyncRun.status, func.count()).group_by(SyncRun.status)).all())

    def wait_mid_run(self, process: subprocess.Popen) -> None:
        """Until the sync has committed some orders, not all, and has a run open."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, "the sync finished before it could be hurt: " + process.stderr.read()
            with Session(self.engine) as session:
                stored = session.scalar(select(func.count()).select_from(OrderRow))
                running = session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.status == "running"))
            if 0 < stored < len(self.truth) - 5 and running:
                return
            time.sleep(0.05)
        raise AssertionError("the sync never got going")

    def assert_whole(self) -> None:
        _assert_database_equals_truth(self.engine, self.truth)
        assert self.runs().get("running", 0) == 0, self.runs()


def _world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    url = engine.url.render_as_string(hide_password=False)
    key = Fernet.generate_key().decode()
    # every reply 'slow' (0.25 s) stretches the run to a few seconds so it can be hurt in its middle
    with running_sandbox(seed=23, orders=40, faults="slow=1,slow_seconds=0.25") as sandbox:
        shops = connect_sandbox(engine, Vault(key.encode()), sandbox.base_url)
        truth = httpx.get(sandbox.base_url + "/_sandbox/truth/orders", timeout=30).json()["orders"]
        yield World(engine, url, key, tmp_path, shops, truth, sandbox.base_url)


@pytest.fixture
def world(pg_engine: Engine, tmp_path: Path) -> Iterator[World]:
    """The session's PostgreSQL database (emptied), the sandbox's shops connected to it."""
    yield from _world(pg_engine, tmp_path)


@pytest.fixture
def embedded_world(sqlite_engine: Engine, tmp_path: Path) -> Iterator[World]:
    """The embedded default: a SQLite file of its own, the sandbox's shops connected to it."""
    yield from _world(sqlite_engine, tmp_path)


def _finish(process: subprocess.Popen, shops: int) -> tuple[int, str]:
    """Wait for the hurt sync; it must have said something of every shop (none left unattempted)."""
    out, err = process.communicate(timeout=300)
    reported = [line for line in out.splitlines() if " orders: " in line]
    assert len(reported) == shops, out + err
    return process.returncode, out + err


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_kill_9_mid_sync_then_an_immediate_rerun_completes_every_shop(request, database: str) -> None:
    world: World = request.getfixturevalue("world" if database == "postgresql" else "embedded_world")
    process = world.start_sync()
    world.wait_mid_run(process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    world.calm()
    killed = world.runs().get("running", 0)  # what kill -9 leaves behind (shops sync side by side)
    assert killed >= 1

    rerun = world.sync()  # at once: no waiting for a lease to lapse
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"worker process {socket.gethostname()}:{process.pid}:" in rerun.stdout and "is gone" in rerun.stdout
    assert rerun.stdout.count(": succeeded") == len(world.shops), rerun.stdout
    assert "skipped" not in rerun.stdout
    world.assert_whole()
    assert world.runs()["abandoned"] == killed and rerun.stdout.count("is gone") == killed


def test_killed_database_connections_mid_sync(world: World) -> None:
    process = world.start_sync()
    world.wait_mid_run(process)
    with world.engine.connect() as conn:
        killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    assert killed >= 1
    world.calm()
    code, output = _finish(process, len(world.shops))
    assert "Traceback" not in output and code in (0, 1), output
    assert world.runs().get("running", 0) == 0, world.runs()
    rerun = world.sync()
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    world.assert_whole()


def test_a_database_outage_through_a_tcp_proxy_mid_sync(world: World) -> None:
    host_port = world.url.rsplit("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    with TcpProxy((host, int(port or 5432))) as proxy:
        proxied = world.url.replace(f"@{host_port}/", f"@127.0.0.1:{proxy.port}/")
        process = world.start_sync(proxied)
        world.wait_mid_run(process)
        started = time.monotonic()
        proxy.outage(OUTAGE_SECONDS)
        world.calm()
        code, output = _finish(process, len(world.shops))
    assert proxy.cut >= 1 and time.monotonic() - started >= OUTAGE_SECONDS * 0.9
    assert "Traceback" not in output and code in (0, 1), output
    assert world.runs().get("running", 0) == 0, world.runs()  # every run closed once the database answered
    rerun = world.sync()
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    world.assert_whole()
