"""Benchmark of the matching engine on a synthetic world, next to a plain pandas merge of the exact keys.

    .venv/bin/python bench/bench_matching.py            # 100k order lines (default, about a minute)
    .venv/bin/python bench/bench_matching.py --full     # 1M order lines, ~1M outbound lines,
                                                        # 100k receipt lines, 20k BL lines
    .venv/bin/python bench/bench_matching.py --size 300000

Prints the machine context, then for the same data in the same run: the baseline (``pandas.merge`` of
the raw exact keys, order line -> outbound line, no normalisation, no FIFO), the full match (all
rungs, exceptions), its peak memory, precision/recall against the ground truth per step and at full
depth (order line -> lot -> container -> bill of lading -> customs entry, in units), and an incremental
run after 10k new orders of one owner: ``match_changes`` prepares only the new order and shipment
lines, takes the other rows from the previous run's prepared state, fingerprints the partitions from
the kept row hashes and re-matches the changed ones (in a changed warehouse partition only the rungs whose
inputs changed: it prints how many warehouse partitions re-ran each rung). Memory: the process's peak resident set size
during the match (Linux: the high-water mark is reset after the world is generated, so it counts the
input frames the match reads plus what the match adds; elsewhere the peak since the start). The input
frames are handed over to the measured full match (``match_full(..., take_input=True)``: each frame is
dropped once its rows are prepared, as a caller that loads, matches and discards would let it), and read
back from a temporary file afterwards; ``--keep-input`` keeps them resident throughout instead. The ground
truth the scores are computed from is no input of the match: it waits in a temporary file during the
match, so the resident size before the match is the input frames plus the interpreter and libraries.
The bench also prints what the result itself holds (the prepared state kept for incremental runs, the
links as held, with their repeated texts as codes, and as read plain, and the exceptions) as the frames'
own sizes.
Timings: wall-clock and CPU time of this process (``time.process_time``), one run each.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import os
import pickle
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
import pyarrow as pa

from matching import keys
from matching.engine import STEPS, MatchInput
from matching.incremental import match_changes, match_full
from matching.quality import full_depth, unit_scores
from matching.synthetic import generate, precision_recall
from context import cpu_model  # noqa: E402  (bench/ is the script's own folder)


def machine() -> str:
    cpu = cpu_model()
    return (f"{cpu}; {os.cpu_count()} logical cores; Python {platform.python_version()}; "
            f"pandas {pd.__version__}; numpy {np.__version__}; {platform.system()} {platform.release()}")


def peak_rss_mib() -> float:
    """Peak resident set size (since the last ``reset_peak_rss``, where the system allows resetting it)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def reset_peak_rss() -> bool:
    """Hand freed memory back to the system (the world generator's temporaries) and reset the peak to the
    current resident size (Linux ``clear_refs``); False where the peak cannot be reset."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def timed(label: str, fn):
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"  {label:<56} {elapsed:8.2f} s wall {cpu:8.2f} s CPU")
    return value, (elapsed, cpu)


def frame_mib(*frames: pd.DataFrame | None) -> float:
    return sum(f.memory_usage(deep=True).sum() for f in frames if f is not None) / 2**20


def set_aside(world) -> object:
    """Write the world's ground truth to a temporary file and drop it from memory; ``restore`` reads it back."""
    spill = tempfile.TemporaryFile()
    pickle.dump((world.truth, world.full_depth), spill, protocol=pickle.HIGHEST_PROTOCOL)
    world.truth = world.full_depth = None
    return spill


def restore(world, spill) -> None:
    spill.seek(0)
    world.truth, world.full_depth = pickle.load(spill)
    spill.close()


def set_aside_input(world) -> object:
    """Write the world's input frames to a temporary file (the match is handed the frames themselves and
    drops them; ``restore_input`` reads them back for the incremental part)."""
    spill = tempfile.TemporaryFile()
    pickle.dump(world.input, spill, protocol=pickle.HIGHEST_PROTOCOL)
    return spill


def restore_input(world, spill) -> None:
    spill.seek(0)
    world.input = pickle.load(spill)
    spill.close()


def baseline_merge(inp: MatchInput) -> pd.DataFrame:
    """What a plain pandas user would do: join on the raw keys as written."""
    orders, ships = inp.order_lines, inp.shipment_lines
    by_ref = orders.merge(ships, left_on=["platform", "shop_id", "order_id", "line_ref"],
                          right_on=["platform", "shop_id", "order_id", "order_line_ref"], how="inner")
    no_ref = ships[ships["order_line_ref"].isna()]
    by_sku = orders.merge(no_ref, on=["platform", "shop_id", "order_id", "sku"], how="inner")
    return pd.concat([by_ref, by_sku], ignore_index=True)


def without_new_orders(inp: MatchInput, owner: str, count: int) -> tuple[MatchInput, MatchInput]:
    """The input as it was before the last ``count`` orders of ``owner`` (and their shipments) arrived,
    and those orders and shipments (the change)."""
    orders = inp.order_lines
    mine = orders.loc[orders["owner_id"] == owner, "order_id"].drop_duplicates()
    new = list(mine.iloc[-count:])
    ships = inp.shipment_lines
    late = (ships["owner_id"] == owner).to_numpy() & keys.order_ids(ships["order_id"]).isin(
        keys.order_ids(pd.Series(new))).to_numpy()
    fresh = orders["order_id"].isin(new).to_numpy()
    before = MatchInput(order_lines=orders[~fresh], shipment_lines=ships[~late], receipt_lines=inp.receipt_lines,
                        lots=inp.lots, document_lines=inp.document_lines, customs_lines=inp.customs_lines,
                        crosswalk=inp.crosswalk)
    return before, MatchInput(order_lines=orders[fresh], shipment_lines=ships[late])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="order lines (default 100k)")
    parser.add_argument("--full", action="store_true", help="the issue's full size: 1M order lines")
    parser.add_argument("--new-orders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-input", action="store_true",
                        help="keep the input frames during the measured full match (by default they are handed "
                             "over: match_full(take_input=True), and read back from a temporary file after it)")
    args = parser.parse_args()
    size = 1_000_000 if args.full else args.size

    print(f"machine: {machine()}")
    world, _ = timed(f"generate synthetic world ({size:,} order lines)",
                     lambda: generate(size=size, seed=args.seed, owners=10, warehouses=2, receipt_ratio=0.1,
                                      lines_per_bl=5))
    print("  sizes: " + ", ".join(f"{k}={v:,}" for k, v in world.sizes.items()))

    base, t_base = timed("baseline: pandas.merge on raw exact keys", lambda: baseline_merge(world.input))
    truth_os = world.truth[world.truth["step"] == "order_shipment"]
    print(f"  baseline links found: {len(base):,} of {len(truth_os):,} true order->shipment links "
          f"(no key normalisation, no crosswalk, no lots)")
    del base

    input_mib = frame_mib(world.input.order_lines, world.input.shipment_lines, world.input.receipt_lines,
                          world.input.lots, world.input.document_lines, world.input.customs_lines)
    del truth_os
    spill = set_aside(world)
    input_spill = None if args.keep_input else set_aside_input(world)
    reset = reset_peak_rss()
    rss_before = peak_rss_mib()
    result, t_full = timed("full match (all rungs + exceptions + fingerprints)",
                           lambda: match_full(world.input, take_input=input_spill is not None))
    rss_peak = peak_rss_mib()
    restore(world, spill)
    if input_spill is not None:
        restore_input(world, input_spill)
    state_mib = frame_mib(*result.state.frames.values())
    links_mib, exceptions_mib = frame_mib(result.coded("links")), frame_mib(result.exceptions)
    scores = precision_recall(result.links, world.truth, steps=STEPS)
    print(f"  links {len(result.links):,}, exceptions {len(result.exceptions):,}, "
          f"partitions {len(result.fingerprints)}")
    print("  precision / recall per step: " + ", ".join(f"{k} {p:.4f}/{r:.4f}" for k, (p, r) in scores.items()))
    (deep_p, deep_r), _ = timed("full depth (chains: order line -> lot -> BL -> customs entry)",
                                lambda: unit_scores(full_depth(result.links, result.prepared), world.full_depth))
    print(f"  precision / recall at full depth, in units: {deep_p:.4f}/{deep_r:.4f}")
    print(f"  input frames {input_mib:,.0f} MiB ("
          + ("kept by the caller during the match" if input_spill is None else
             "handed over to the match: match_full(take_input=True) drops each once prepared")
          + f"); resident before the match {rss_before:,.0f} MiB, peak during the match {rss_peak:,.0f} MiB"
          + ("" if reset else " (peak since the process started: no reset here)"))
    print(f"  the match's own memory (peak - resident before) {rss_peak - rss_before:,.0f} MiB; the result holds "
          f"{state_mib + links_mib + exceptions_mib:,.0f} MiB: prepared state {state_mib:,.0f} (kept for incremental "
          f"runs), links {links_mib:,.0f} (as held: repeated texts as codes; {frame_mib(result.links):,.0f} read "
          f"plain), exceptions {exceptions_mib:,.0f}")

    before, change = without_new_orders(world.input, "OWNER00", args.new_orders)
    full_links, full_exceptions = result.links, result.exceptions
    del result
    previous, _ = timed(f"full match without the last {args.new_orders:,} orders of OWNER00",
                        lambda: match_full(before))
    previous.prepared = None  # an incremental run starts from the prepared state, not the assembled frames
    del before
    print(f"  change: {len(change.order_lines):,} order lines, {len(change.shipment_lines):,} shipment lines")
    incremental, t_inc = timed(f"incremental run after {args.new_orders:,} new orders (match_changes)",
                               lambda: match_changes(previous, change))
    same = (incremental.links.reset_index(drop=True).astype(str)
            .equals(full_links.reset_index(drop=True).astype(str))
            and incremental.exceptions.reset_index(drop=True).astype(str)
            .equals(full_exceptions.reset_index(drop=True).astype(str)))
    print(f"  re-matched {len(incremental.rematched)} of {len(incremental.fingerprints)} partitions; "
          f"links and exceptions equal to the full run: {same}")
    warehouses = [p for p in incremental.rematched if p.startswith("wh|") and p in incremental.fingerprints]
    reran = {rung: sum(previous.rung_fingerprints.get(rung, {}).get(p) != found.get(p) for p in warehouses)
             for rung, found in incremental.rung_fingerprints.items()}
    print(f"  warehouse partitions re-matched {len(warehouses)}; rungs re-run in them: "
          + ", ".join(f"{rung} {count}" for rung, count in reran.items()))
    print()
    handed = "" if input_spill is None else ", input handed over"
    print(f"summary ({size:,} order lines{handed}; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}): "
          f"baseline merge {t_base[0]:.2f} s wall / {t_base[1]:.2f} s CPU | "
          f"full match {t_full[0]:.2f} s / {t_full[1]:.2f} s CPU ({t_full[0] / t_base[0]:.1f}x the merge, "
          f"{t_full[1] / t_base[1]:.1f}x in CPU) | incremental {t_inc[0]:.2f} s / {t_inc[1]:.2f} s CPU "
          f"({100 * t_inc[0] / t_full[0]:.0f}% of the full match, {100 * t_inc[1] / t_full[1]:.0f}% in CPU) | "
          f"peak RSS during the match {rss_peak:,.0f} MiB | full-depth precision/recall {deep_p:.4f}/{deep_r:.4f}")


if __name__ == "__main__":
    main()
