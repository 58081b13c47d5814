"""Who is on the CPU during an import: the client's threads and the PostgreSQL backends, sampled every few
milliseconds from /proc (``schedstat``: nanoseconds run), printed per bucket of time, with the whole machine's busy
CPU beside (``machine``, 200% = both cores; coarse: /proc/stat counts 10 ms ticks) (measurement only;
``bench_import.py --timeline`` runs it beside a PostgreSQL import).

    python bench/timeline.py CLIENT_PID DATABASE [--every-ms 2] [--bucket-ms 25] [--summary-only]

Samples until SIGTERM or SIGINT, then prints one line per bucket: each client thread's and the backends'
share of the bucket on the CPU, and a summary: how much of the time the client (any thread) and the
server ran together, one without the other, or neither (waiting: a round trip, a WAL flush, the scheduler).
The backends are the processes whose command line names ``DATABASE`` (``postgres: user DATABASE …``).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path


def _ran(path: str) -> tuple[int, int] | None:
    """(nanoseconds on a CPU, nanoseconds waiting for one) of a thread or process."""
    try:
        with open(path) as handle:
            ran, queued = handle.read().split()[:2]
        return int(ran), int(queued)
    except (OSError, ValueError):
        return None


def _machine_busy() -> int:
    """Nanoseconds every CPU of the machine was busy (/proc/stat: in ticks of 10 ms, so coarse)."""
    with open("/proc/stat") as handle:
        fields = handle.readline().split()[1:]
    ticks = sum(map(int, fields)) - int(fields[3]) - int(fields[4])  # (less idle and iowait)
    return ticks * 10_000_000


def _threads(pid: int) -> dict[str, str]:
    """{schedstat path: thread name} of ``pid``'s threads."""
    found = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{task}/comm").read_text().strip()
        except OSError:
            continue
        found[f"/proc/{pid}/task/{task}/schedstat"] = "main" if int(task) == pid else f"t{task}"
    return found


def _backends(database: str) -> dict[str, str]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"postgres: ") and f" {database} ".encode() in command:
                found[f"/proc/{entry}/schedstat"] = f"backend{entry}"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pid", type=int)
    parser.add_argument("database")
    parser.add_argument("--every-ms", type=float, default=2.0)
    parser.add_argument("--bucket-ms", type=float, default=25.0)
    parser.add_argument("--summary-only", action="store_true", help="the summary without the buckets")
    args = parser.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    watched: dict[str, str] = {}
    samples: list[tuple[float, dict[str, int]]] = []
    rescan = 0.0
    while not stop:
        if not os.path.exists(f"/proc/{args.pid}"):  # (the bench gone: stop, never orphaned)
            break
        now = time.perf_counter()
        if now >= rescan:  # (threads and backends come and go)
            watched.update(_threads(args.pid))
            watched.update(_backends(args.database))
            rescan = now + 0.3
        ran = {name: ran for path, name in watched.items() if (ran := _ran(path)) is not None}
        ran["machine"] = (_machine_busy(), 0)
        samples.append((now, ran))
        time.sleep(args.every_ms / 1000)
    _report(samples, args.bucket_ms / 1000, not args.summary_only)


def _report(samples: list[tuple[float, dict[str, tuple[int, int]]]], bucket: float, buckets_too: bool) -> None:
    if len(samples) < 2:
        return
    ran_at_all = {name for (_, before), (_, after) in zip(samples, samples[1:]) for name in after
                  if name in before and after[name][0] > before[name][0]}
    names = sorted(ran_at_all, key=lambda n: (n == "machine", n.startswith("backend"), n != "main", n))
    start = samples[0][0]
    buckets: dict[int, dict[str, float]] = {}
    together = client_only = server_only = idle = lost = 0.0
    for (t0, before), (t1, after) in zip(samples, samples[1:]):
        span = t1 - t0
        used = {n: (after[n][0] - before[n][0]) / 1e9 for n in after if n in before}
        queued = sum(after[n][1] - before[n][1] for n in after if n in before) / 1e9
        slot = buckets.setdefault(int(((t0 + t1) / 2 - start) / bucket), {})
        for name, seconds in used.items():
            slot[name] = slot.get(name, 0.0) + seconds
        client = any(v > span * 0.3 for n, v in used.items() if n != "machine" and not n.startswith("backend"))
        server = any(v > span * 0.3 for n, v in used.items() if n.startswith("backend"))
        if client and server:
            together += span
        elif client:
            client_only += span
        elif server:
            server_only += span
        else:
            idle += span
            if queued > span * 0.3:  # (none of ours ran, and one waited for a CPU: taken by other processes)
                lost += span
    if buckets_too:
        short = {n: n[:8] for n in names}
        print(f"{'ms':>6} " + " ".join(f"{short[n]:>8}" for n in names), file=sys.stderr)
        for slot in sorted(buckets):
            shares = [buckets[slot].get(n, 0.0) / bucket for n in names]
            bars = " ".join(f"{share * 100:7.0f}%" for share in shares)
            print(f"{slot * bucket * 1000:6.0f} {bars}", file=sys.stderr)
    total = samples[-1][0] - start
    ran = {n: sum(slot.get(n, 0.0) for slot in buckets.values()) for n in names}
    print("CPU s: " + ", ".join(f"{n} {ran[n]:.2f}" for n in names), file=sys.stderr)
    print(f"timeline {total:.2f} s: client and server together {together:.2f} s, client only {client_only:.2f} s, "
          f"server only {server_only:.2f} s, neither {idle:.2f} s (of which waiting for a CPU other processes held "
          f"{lost:.2f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
