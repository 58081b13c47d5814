"""Run every benchmark at its default size, one after another, and keep the output.

    .venv/bin/python bench/run_all.py            # defaults (minutes)
    .venv/bin/python bench/run_all.py --full     # the issues' sizes (long: tens of minutes)

Each benchmark prints the machine context and its baseline from the same run; this script only
sequences them (never in parallel: they would measure each other) and writes everything to
bench/out/<UTC time>.txt.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "bench_adapters.py": ["--size", "100000"],
    "bench_import.py": ["--full"],
    "bench_matching.py": ["--full"],
    "bench_match_fanout.py": ["--orders", "20000"],
    "bench_matching_db.py": ["--size", "300000", "--no-verify"],
    "bench_sandbox_sync.py": ["--orders", "100000"],
    "bench_fx.py": [],
    "bench_api.py": ["--full"],
    "bench_webhooks.py": ["--pushes", "300"],
    "bench_settlement_export.py": ["--lines", "1000000"],
    "bench_exceptions_queue.py": ["--sizes", "20000", "1000000"],
    "bench_analytics.py": ["--orders", "1000000", "--series", "1000"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="run each benchmark at the size its issue names")
    parser.add_argument("--only", action="append", default=[], help="run only this script (repeatable)")
    args = parser.parse_args()
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.txt"
    failed = []
    with out.open("w") as log:
        for script, full_args in BENCHMARKS.items():
            if args.only and script not in args.only:
                continue
            command = [sys.executable, str(HERE / script), *(full_args if args.full else [])]
            banner = f"\n=== {' '.join(command[1:])} ===\n"
            print(banner, flush=True)
            log.write(banner)
            with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
                for line in proc.stdout:
                    sys.stdout.write(line)
                    log.write(line)
            if proc.returncode:
                failed.append(script)
    print(f"\nwrote {out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
