"""The settlement export (``aggregator export settlement``) on N settlement lines, CSV and XLSX, time and
peak memory, next to baselines of the same run writing the same output rows:

* ours: group the lines per order, spread each statement's booking over its rows, write the rows
  (``aggregator.exports.settlement``: ``build_rows`` + ``csv_bytes`` / ``xlsx_bytes``);
* baseline CSV: a bare ``csv.writer`` and ``pandas.DataFrame.to_csv`` of the finished rows (what
  writing alone costs, without grouping, booking or cell neutralisation);
* baseline XLSX: a bare openpyxl write-only workbook of the finished rows (text cells; openpyxl is
  the project's other XLSX writer).

Each case runs in a fresh child process; peak memory is the child's maximum resident set size (so a
case never inherits another's heap). Lines come six per order (revenue, buyer-paid shipping,
shipping charged, commission, transaction and service fee) over 200 statements, all booked.

    .venv/bin/python bench/bench_settlement_export.py                 # 100,000 lines
    .venv/bin/python bench/bench_settlement_export.py --lines 1000000  # the issue's size
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from context import cpu_model  # noqa: E402  (bench/ is the script's own folder)

KINDS = (("REVENUE", "59.90"), ("SHIPPING_BUYER_PAID", "4.90"), ("SHIPPING_CHARGED", "-4.90"),
         ("COMMISSION", "-3.59"), ("TRANSACTION_FEE", "-1.20"), ("SERVICE_FEE", "-1.20"))
STATEMENTS = 200
CASES = ("ours-csv", "csv.writer", "pandas.to_csv", "ours-xlsx", "openpyxl-write-only")


def make_input(lines: int):  # noqa: ANN201
    from aggregator.exports.settlement import Booking, LineRecord

    orders = lines // len(KINDS)
    statements: dict[tuple[str, str, str], date] = {}
    bookings = {}
    records = []
    for n in range(orders):
        statement = ("lazada", "1001", f"2026-W{n % STATEMENTS:03d}")
        if statement not in statements:
            statements[statement] = date(2026, 10, 1 + n % 28)
            bookings[statement] = Booking("CNY", Decimal(0), Decimal("0.2000957395883197702249880326"), "ECB",
                                          "sha256:73db21584dd46ceb", date(2026, 10, 1), Decimal(0))
        for kind, amount in KINDS:
            records.append(LineRecord(*statement, f"9{n:015d}", kind, Decimal(amount), "THB"))
    per_statement = {}
    for record in records:
        key = (record.platform, record.shop_id, record.statement_id)
        per_statement[key] = per_statement.get(key, Decimal(0)) + record.amount
    for key, total in per_statement.items():  # carried at the rate, realized 1 % of it
        carrying = (total * Decimal("0.2000957395883197702249880326")).quantize(Decimal("0.01"))
        bookings[key] = Booking("CNY", carrying, bookings[key].rate, "ECB", "sha256:73db21584dd46ceb",
                                date(2026, 10, 1), (carrying / 100).quantize(Decimal("0.01")))
    return statements, records, bookings


def run_case(case: str, lines: int, out_dir: Path) -> dict:
    from aggregator.exports import settlement as layout

    statements, records, bookings = make_input(lines)
    recon = {("lazada", "1001", r.order_id): ("settled", Decimal("64.80"), Decimal("0.00")) for r in records[::6]}
    start = time.perf_counter()
    if case in ("ours-csv", "ours-xlsx"):
        rows = layout.build_rows("OWNER", statements, records, bookings, recon)
        if case == "ours-csv":
            data = layout.csv_bytes(rows)
        else:
            data = layout.xlsx_bytes(rows, {"owner": "OWNER"}, stamp_day=date(2026, 10, 31))
        elapsed = time.perf_counter() - start
    else:  # baselines: the finished rows, written with no grouping, booking or neutralisation
        values = [layout.row_values(r) for r in layout.build_rows("OWNER", statements, records, bookings, recon)]
        start = time.perf_counter()
        if case == "csv.writer":
            import csv
            import io

            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(layout.COLUMNS)
            writer.writerows(values)
            data = text.getvalue().encode()
        elif case == "pandas.to_csv":
            import pandas as pd

            data = pd.DataFrame(values, columns=list(layout.COLUMNS)).to_csv(index=False).encode()
        else:
            import io

            from openpyxl import Workbook

            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("settlement")
            sheet.append(list(layout.COLUMNS))
            for row in values:
                sheet.append(row)
            raw = io.BytesIO()
            workbook.save(raw)
            data = raw.getvalue()
        elapsed = time.perf_counter() - start
    (out_dir / f"{case}.out").write_bytes(data)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"case": case, "seconds": elapsed, "peak_mib": peak_kib / 1024, "bytes": len(data)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--case", choices=CASES, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    out_dir = Path(args.out or REPO / "bench" / "out" / "settlement_export")
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.case:
        print(json.dumps(run_case(args.case, args.lines, out_dir)))
        return 0
    libs = ", ".join(f"{n} {version(n)}" for n in ("openpyxl", "pandas"))
    print(f"CPU: {cpu_model()}; cores: {os.cpu_count()}; Python {platform.python_version()}; {libs}")
    print(f"settlement export of {args.lines:,} settlement lines ({args.lines // len(KINDS):,} orders, "
          f"{STATEMENTS} statements); each case in a fresh process")
    print(f"{'case':<22}{'seconds':>10}{'peak MiB':>11}{'output MiB':>12}")
    results = {}
    for case in CASES:
        done = subprocess.run([sys.executable, __file__, "--lines", str(args.lines), "--case", case,
                               "--out", str(out_dir)], capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results[case] = result
        print(f"{case:<22}{result['seconds']:>10.2f}{result['peak_mib']:>11.0f}{result['bytes'] / 2**20:>12.1f}")
    ours, bare = results["ours-csv"], results["csv.writer"]
    print(f"CSV: ours / bare csv.writer = {ours['seconds'] / bare['seconds']:.1f}x time "
          f"(ours includes grouping per order, booking spread and cell neutralisation)")
    xl, bare_xl = results["ours-xlsx"], results["openpyxl-write-only"]
    print(f"XLSX: ours / bare openpyxl write-only = {xl['seconds'] / bare_xl['seconds']:.1f}x time")
    print(f"outputs under {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
