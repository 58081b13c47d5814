"""Two owners' receipts sharing an ASN number in one warehouse, their rows interleaved in one 3PL file
(the owner by ``owner_code``): each owner's receipt is stored whole, as if its rows were together, and a
re-import of the same rows in another order finds both unchanged (no ``rows_not_contiguous``, no
``store_failed``). (Review of receipt-groups 652d439: ``scattered.group_key`` keys a row without its owner,
so the pre-read sees one run of ``ASN-1`` and the owner LUMINA's rows are append-merged as before.)"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest import import_file
from tests.ingest.test_import_paths import INBOUND_HEADER, _inbound_owners


def _row(code: str, ln: int) -> str:
    return f"ASN-1,IC1,WH1,{code},,FULFILLED,,,,2026-03-02T16:00:00+08:00,,{ln},SKU-{ln},{10 * ln},{10 * ln},0,0,r{ln}"


@pytest.mark.parametrize("bulk", [True, False])
def test_two_owners_receipts_of_one_number_interleaved_are_each_stored_whole(engine, tmp_path: Path, bulk: bool) -> None:
    _inbound_owners(engine)
    spread = tmp_path / "spread.csv"
    spread.write_text("\n".join([INBOUND_HEADER, _row("LMN", 1), _row("LMN", 2), _row("TRP", 1), _row("LMN", 3)]) + "\n",
                      encoding="utf-8")
    first = import_file(engine, "inbound", spread, bulk=bulk)
    assert (first.status, first.created, first.updated, first.rows_rejected, dict(first.problem_counts)) == \
        ("COMPLETED", 2, 0, 0, {})
    other = tmp_path / "other.csv"
    other.write_text("\n".join([INBOUND_HEADER, _row("LMN", 3), _row("TRP", 1), _row("LMN", 1), _row("LMN", 2)]) + "\n",
                     encoding="utf-8")
    again = import_file(engine, "inbound", other, bulk=bulk)
    assert (again.status, again.created, again.updated, again.unchanged, again.rows_rejected,
            dict(again.problem_counts)) == ("COMPLETED", 0, 0, 2, 0, {})


def _owner_rows(code: str, asn: int, lines: int) -> list[str]:
    """Owner ``code``'s receipt ``ASN-asn`` in WH1: its lines' content its own (the other owner's receipt of
    the number holds other SKUs and quantities)."""
    shift = 0 if code == "LMN" else 50
    return [f"ASN-{asn},IC{code}{asn},WH1,{code},,FULFILLED,,,,2026-03-02T16:00:00+08:00,,{ln},SKU-{shift + ln},"
            f"{10 * ln + shift},{10 * ln + shift},0,0,r{code}{ln}" for ln in range(1, lines + 1)]


def _receipts(engine) -> dict:
    """Each stored receipt's (owner, warehouse, ASN) → its lines (line number, SKU, planned quantity)."""
    from tests.ingest.test_import_paths import _snapshot

    stored: dict = {}
    for key, line in _snapshot(engine)["warehouse_receipt_lines"]:
        line = dict(line)
        stored.setdefault(key, []).append((line["line_no"], line["sku"], line["planned_qty"]))
    return {key: sorted(lines) for key, lines in stored.items()}


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sizes=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), min_size=1, max_size=3),
       orders=st.lists(st.randoms(use_true_random=False), min_size=2, max_size=2),
       chunk_rows=st.sampled_from([4, 10_000]), bulk=st.booleans())
def test_two_owners_receipts_of_one_number_in_any_order_are_each_stored_whole(
        engine, tmp_path_factory, sizes, orders, chunk_rows: int, bulk: bool) -> None:
    """LUMINA's and TROPIKA's receipts of the same ASN numbers, their rows in any order: each owner's
    receipt is stored whole (its lines and no other's), and the same rows in another order re-imported
    are all unchanged, no reject."""
    from tests.ingest.test_import_paths import _clear

    _clear(engine)
    _inbound_owners(engine)
    rows = [row for n, (lumina, tropika) in enumerate(sizes, 1)
            for row in (*_owner_rows("LMN", n, lumina), *_owner_rows("TRP", n, tropika))]
    expected = {(owner, "WH1", f"ASN-{n}"): [(ln, f"SKU-{shift + ln}", 10 * ln + shift) for ln in range(1, size + 1)]
                for n, pair in enumerate(sizes, 1)
                for owner, shift, size in (("LUMINA", 0, pair[0]), ("TROPIKA", 50, pair[1]))}
    folder = tmp_path_factory.mktemp("owners")
    summaries, files = [], []
    for name, order in zip(("first.csv", "second.csv"), orders):
        shuffled = list(rows)
        order.shuffle(shuffled)
        if shuffled in files:  # (another order: the same file again would be found already imported)
            shuffled = shuffled[1:] + shuffled[:1]
        files.append(shuffled)
        path = folder / name
        path.write_text("\n".join([INBOUND_HEADER, *shuffled]) + "\n", encoding="utf-8")
        summaries.append(import_file(engine, "inbound", path, chunk_rows=chunk_rows, bulk=bulk))
        assert _receipts(engine) == expected
    first, again = summaries
    assert (first.status, first.created, first.updated, first.rows_rejected, dict(first.problem_counts)) == \
        ("COMPLETED", len(expected), 0, 0, {})
    assert (again.status, again.created, again.updated, again.unchanged, again.rows_rejected,
            dict(again.problem_counts)) == ("COMPLETED", 0, 0, len(expected), 0, {})
