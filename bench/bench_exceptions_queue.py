"""The exceptions queue on N match exceptions (embedded SQLite), next to bare baselines of the same run:

* store: ``exceptions_queue.writes.store_match_exceptions`` of N new exceptions (rows, ids, one
  ``exception.opened`` event each), then of the same N again (found again: last seen, detail, quantity);
  baselines: a bare ``executemany`` INSERT of the same rows (no ids back, no events) and a bare
  ``executemany`` UPDATE by id;
* list: one page (50) of one owner's open items, first page and one deep in the list (keyset cursor), with
  ``queries.Filters``; baseline: the bare ``SELECT … WHERE owner_id = ? AND status = 'open' AND id < ?
  ORDER BY id DESC LIMIT 50`` on the same connection. A page should cost the same at any N.

    .venv/bin/python bench/bench_exceptions_queue.py              # 20,000 and 200,000 exceptions
    .venv/bin/python bench/bench_exceptions_queue.py --sizes 1000000
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from context import cpu_model  # noqa: E402  (bench/ is the script's own folder)

OWNERS = ("BRAND-A", "BRAND-B")
PAGE = 50


def frame(n: int):  # noqa: ANN201 - a DataFrame of the matcher's exception rows
    import pandas as pd

    from matching.exceptions import EXCEPTION_COLUMNS

    return pd.DataFrame({
        "exception_id": [f"{i:020x}" for i in range(n)], "reason": "unlinked_receipt",
        "step": "receipt_transport_doc", "owner_id": [OWNERS[i % 2] for i in range(n)],
        "partition": [f"wh|{OWNERS[i % 2]}|WH{i % 20}" for i in range(n)], "record_kind": "receipt",
        "record_key": [f"{OWNERS[i % 2]}|WH{i % 20}|ASN{i}" for i in range(n)], "related_keys": "", "qty": 0,
        "detail": [f"ASN{i} names container MSCU{i:07d}: no transport document carries it" for i in range(n)],
    })[EXCEPTION_COLUMNS]


def timed(function) -> float:  # noqa: ANN001
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def median_ms(function, repeat: int = 30) -> float:  # noqa: ANN001
    return statistics.median(timed(function) for _ in range(repeat)) * 1000


def run(n: int, folder: Path) -> list[tuple[str, str]]:
    from sqlalchemy import bindparam, insert, select, text, update

    from aggregator.exceptions_queue.queries import Filters, list_items
    from aggregator.exceptions_queue.writes import store_match_exceptions
    from aggregator.store.db import create_engine_for, session_scope, upgrade_schema
    from aggregator.store.models.exceptions import ExceptionItem

    rows = frame(n)
    parts = set(rows["partition"])
    out = []
    for name in ("ours", "bare"):
        engine = create_engine_for(f"sqlite:///{folder / f'{name}-{n}.sqlite'}")
        upgrade_schema(engine)
        now = datetime.now(timezone.utc)
        if name == "ours":
            with session_scope(engine) as session:
                first = timed(lambda: store_match_exceptions(session, rows, parts, now))
            with session_scope(engine) as session:
                again = timed(lambda: store_match_exceptions(session, rows, parts, now))
            out += [("store new (ours)", f"{first:.2f} s"), ("store found again (ours)", f"{again:.2f} s")]
            with session_scope(engine) as session:
                mid = sorted(session.scalars(select(ExceptionItem.id).where(ExceptionItem.owner_id == OWNERS[0])))[
                    n // 4]
                filters = Filters(owner_id=OWNERS[0], status="open")
                top = median_ms(lambda: list_items(session, filters, limit=PAGE))
                deep = median_ms(lambda: list_items(session, filters, limit=PAGE, before_id=mid))
                assert len(list_items(session, filters, limit=PAGE, before_id=mid)) == PAGE
            out += [("page 1 (ours)", f"{top:.2f} ms"), (f"page at id {mid} (ours)", f"{deep:.2f} ms")]
        else:
            records = [{"queue": "match", "source": "match", "owner_id": r["owner_id"], "kind": r["reason"],
                        "reason": r["detail"], "step": r["step"], "partition": r["partition"],
                        "record_kind": r["record_kind"], "record_key": r["record_key"], "related_keys": "",
                        "qty": 0, "ref": r["exception_id"], "status": "open", "attempts": 0, "created_at": now,
                        "last_seen_at": now} for r in rows.to_dict("records")]
            with engine.begin() as connection:
                first = timed(lambda: connection.execute(insert(ExceptionItem.__table__), records))
            with engine.begin() as connection:
                ids = [{"i": i, "r": r["reason"]} for i, r in enumerate(records, start=1)]
                table = ExceptionItem.__table__
                stmt = update(table).where(table.c.id == bindparam("i")).values(reason=bindparam("r"),
                                                                                last_seen_at=now)
                again = timed(lambda: connection.execute(stmt, ids))
            out += [("insert (bare executemany)", f"{first:.2f} s"), ("update by id (bare executemany)",
                                                                          f"{again:.2f} s")]
            sql = text("SELECT * FROM exception_items WHERE owner_id = :o AND status = 'open' AND id < :b "
                       "ORDER BY id DESC LIMIT :n")
            with engine.connect() as connection:
                top = median_ms(lambda: connection.execute(sql, {"o": OWNERS[0], "b": 2**62, "n": PAGE}).all())
                deep = median_ms(lambda: connection.execute(sql, {"o": OWNERS[0], "b": n // 2, "n": PAGE}).all())
            out += [("page 1 (bare SELECT)", f"{top:.2f} ms"), ("page deep (bare SELECT)", f"{deep:.2f} ms")]
        engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    args = parser.parse_args()
    print(f"{cpu_model()}; Python {platform.python_version()}; SQLite file database; {len(OWNERS)} owners")
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            print(f"\n{n:,} match exceptions")
            for what, figure in run(n, Path(folder)):
                print(f"  {what:<40} {figure:>12}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
