"""The database path's incremental run: a customs entry stored later that names only the house bill a
receipt is linked to (the ASN names the master bill and no declaration) is reached through that document
(``documents._entry_level``: ``rule:document_ref``), so the plan names the receipt's warehouse partition and
the incremental run stores what a full run stores (``matching_service.changes.document_keys``: a partition
records the numbers of the documents it holds as references too)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from aggregator.matching_service.service import plan_match, run_match
from aggregator.matching_service.synthetic_store import store_world
from aggregator.store.db import session_scope
from matching.engine import MatchInput
from matching.synthetic import generate
from tests.matching.test_db_incremental import OWNER, stored_state

ASN, ENTRY = "ASN0000030-1", "K1-00000030"  # the ASN names master ZCRU000000026; house SZXHB…030 is linked


def test_an_entry_stored_later_naming_the_linked_house_bill_is_matched_as_a_full_run_matches_it(engine):
    world = generate(size=1_500, seed=11, owners=2, warehouses=3, receipt_ratio=0.1, lines_per_bl=5).input
    receipts, customs = world.receipt_lines.copy(), world.customs_lines.copy()
    receipts.loc[receipts["asn_no"] == ASN, "customs_declaration_no"] = None
    entry = customs["declaration_no"] == ENTRY
    customs.loc[entry, ["mbl_no", "container_no"]] = None  # the entry names the house bill only
    before = MatchInput(order_lines=world.order_lines, shipment_lines=world.shipment_lines, receipt_lines=receipts,
                        document_lines=world.document_lines, customs_lines=customs[~entry], crosswalk=world.crosswalk)
    with session_scope(engine) as session:
        store_world(session, before, stored_at=datetime.now(UTC) - timedelta(hours=1))
    run_match(engine)
    partition = f"wh|{OWNER}|" + receipts.loc[receipts["asn_no"] == ASN, "warehouse_code"].iloc[0]
    with session_scope(engine) as session:
        store_world(session, MatchInput(customs_lines=customs[entry]))
    assert partition in plan_match(engine, OWNER).partitions
    run_match(engine)
    incremental = stored_state(engine)
    run_match(engine, full=True)
    full = stored_state(engine)
    assert any(step == "receipt_customs_entry" and right.endswith(ENTRY.replace("-", ""))
               for _, step, _, right, *_ in full["links"])
    assert incremental == full
