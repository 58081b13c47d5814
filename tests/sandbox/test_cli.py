"""The `aggregator sandbox` verb: writes the logistics files, refuses bad fault plans, serves on loopback."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from aggregator.cli.main import cli


def test_write_logistics_writes_the_files_as_their_senders_send_them(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--orders", "40", "--seed", "3", "--write-logistics",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    warehouses = sorted(p.name.removeprefix("3pl-") for p in out.glob("3pl-*"))
    assert warehouses and "forwarder/forwarder_bl.csv" in written and "ground_truth.json" in written
    for warehouse in warehouses:  # one inbound, one outbound and one stock file per warehouse
        for kind in ("warehouse_inbound", "warehouse_outbound", "stock_lots_snapshot"):
            assert f"3pl-{warehouse}/{kind}-{warehouse}.csv" in written
    assert all(name.startswith(("forwarder/", "broker/customs_entries-", "3pl-", "ground_truth"))
               for name in written), written
    assert sorted(Path(line).relative_to(out).as_posix() for line in result.output.split()) == written


def test_the_clean_world_is_written_on_request(tmp_path: Path) -> None:
    args = ["sandbox", "--orders", "60", "--seed", "42", "--write-logistics"]
    clean = CliRunner().invoke(cli, [*args, str(tmp_path / "clean"), "--logistics-noise", "clean"])
    noisy = CliRunner().invoke(cli, [*args, str(tmp_path / "noisy")])
    assert clean.exit_code == noisy.exit_code == 0, (clean.output, noisy.output)

    def variances(root: Path) -> set[str]:
        return {row.split(",")[26] for path in root.glob("3pl-*/warehouse_inbound-*.csv")
                for row in path.read_text().splitlines()[1:]}
    assert variances(tmp_path / "clean") == {"0"} and variances(tmp_path / "noisy") != {"0"}
    assert json.loads((tmp_path / "clean" / "ground_truth.json").read_text())["chains"]


def test_bad_fault_plan_is_refused_with_the_reason() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--faults", "429=3"])
    assert result.exit_code == 2
    assert "outside [0, 1]" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serves_on_loopback_until_stopped() -> None:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "aggregator.cli.main", "sandbox", "--port", str(port),
                                "--orders", "30"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # (bounds a hang only: a loaded machine starts a process slowly)
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=30)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.1)
        assert reply.json() == {"ok": True}
        shops = httpx.get(f"http://127.0.0.1:{port}/_sandbox/shops", timeout=60).json()["shops"]
        assert len(shops) == 15
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_webhook_url_must_be_loopback() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--orders", "5", "--webhook-url", "https://example.com/hook"])
    assert result.exit_code == 2
    assert "loopback" in result.output


def test_clock_runs_on_its_own_with_speed() -> None:
    import threading

    from platform_adapters.sandbox.server import make_state, run_clock

    state = make_state(seed=1, orders=20, anchor=1_773_532_800)
    stop = threading.Event()
    thread = threading.Thread(target=run_clock, args=(state, 3600.0, stop, 0.01), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while state.now == 1_773_532_800 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(timeout=60)
    assert state.now > 1_773_532_800
    assert not thread.is_alive()


@pytest.mark.parametrize(("anchor", "says"), [
    ("2026-03-15T00:00:00", "needs a time zone"),
    ("2026-03-15", "needs a time zone"),
    ("0001-01-01T00:00:00+14:00", "out of range"),
    ("9999-12-31T23:59:59-14:00", "out of range"),
    ("221879952000", "out of range"),  # 9001-02-05
    ("999999999999999999999999", "out of range"),
    ("the ides of March", "not an ISO 8601 date-time"),
])
def test_a_bad_anchor_is_refused_by_the_one_instant_rule(tmp_path: Path, anchor: str, says: str) -> None:
    """``--anchor`` is an instant under ``aggregator.instants`` (as ``--at``/``--since`` are): refused with the
    reason, exit 2, no traceback, nothing written."""
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["sandbox", "--orders", "5", "--anchor", anchor, "--write-logistics", str(out)])
    assert result.exit_code == 2, result.output
    assert says in result.output and "--anchor" in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(("argv", "earliest"), [
    (["--anchor", "0"], "4320000 (1970-02-20T00:00:00+00:00)"),  # 30 days of orders + 20 at sea: all before 1970
    (["--anchor", "4319999"], "4320000 (1970-02-20T00:00:00+00:00)"),
    (["--anchor", "1970-01-01T00:00:00+14:00"], None),  # 1969-12-31T10:00Z: out of range in UTC
    (["--days", "1", "--anchor", "1970-01-21T23:59:59Z"], "1814400 (1970-01-22T00:00:00+00:00)"),
])
def test_an_anchor_whose_world_would_start_before_1970_is_refused(tmp_path: Path, argv: list[str],
                                                                   earliest: str | None) -> None:
    """No client can sync from before 1970 (``--since`` is an instant of 1970 or later): an anchor whose world
    (``--days`` of orders, its shipments sailing 20 days before the first) would start earlier is refused,
    naming the earliest allowed anchor; exit 2, no traceback, nothing written."""
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["sandbox", "--orders", "5", *argv, "--write-logistics", str(out)])
    assert result.exit_code == 2, result.output
    assert "--anchor" in result.output and "Traceback" not in result.output and not out.exists()
    if earliest is None:
        assert "out of range" in result.output, result.output
    else:
        assert "before 1970-01-01 UTC" in result.output and "the earliest anchor with" in result.output
        assert earliest in result.output, result.output


@pytest.mark.parametrize(("argv", "days"), [(["--anchor", "4320000"], 30),
                                            (["--days", "1", "--anchor", "1970-01-22T00:00:00Z"], 1)])
def test_the_earliest_anchor_builds_a_world_from_1970(tmp_path: Path, argv: list[str], days: int) -> None:
    """At the earliest anchor the world is built and written, nothing in it (orders, shipments sailing) before
    1970-01-01 UTC."""
    from platform_adapters.sandbox.server import earliest_anchor, make_state
    from platform_adapters.sandbox.shipments import build_shipments

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["sandbox", "--orders", "40", "--seed", "3", *argv, "--write-logistics",
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "ground_truth.json").exists()
    world = make_state(seed=3, orders=40, anchor=earliest_anchor(days), days=days).world
    assert min(o.created_at for o in world.orders) >= 0 and min(s.etd for s in build_shipments(world)) >= 0


def test_an_anchor_in_seconds_or_with_an_offset_is_the_same_instant(tmp_path: Path) -> None:
    """Unix seconds and an ISO 8601 instant with any offset name the same simulated now (the same files)."""
    runs = {}
    for anchor in ("1773532800", "2026-03-15T00:00:00Z", "2026-03-15T08:00:00+08:00"):
        out = tmp_path / anchor.replace(":", "-")
        result = CliRunner().invoke(cli, ["sandbox", "--orders", "5", "--seed", "2", "--anchor", anchor,
                                          "--write-logistics", str(out)])
        assert result.exit_code == 0, result.output
        runs[anchor] = (out / "ground_truth.json").read_text()
    assert len(set(runs.values())) == 1
