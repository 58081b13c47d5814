"""Two owners' receipts sharing an ASN number in one warehouse, their rows interleaved in one 3PL file
(the owner by ``owner_code``): each owner's receipt is stored whole, as if its rows were together, and a
re-import of the same rows in another order finds both unchanged (no ``rows_not_contiguous``, no
``store_failed``). (Review of receipt-groups 652d439: ``scattered.group_key`` keys a row without its owner,
so the pre-read sees one run of ``ASN-1`` and the owner LUMINA's rows are append-merged as before.)"""
from __future__ import annotations

from pathlib import Path

import pytest

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
