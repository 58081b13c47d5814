"""A customs entry a receipt reaches only through the bill of lading it found by container alone
(``rule:document_ref``): a change to that entry re-matches the receipt's warehouse partition, so an incremental
run equals a full run over the same input, in memory and on both databases.

The story's ASN-LMN-260310-01 is made to name only its container (no master bill, no declaration) and its
customs entry K1-PLACEHOLDER-0001 to name only the master bill (no container): the ASN finds the bill
ZCRU260301234 by container (``rule:container``) and the entry by the bill's number (``rule:document_ref``),
and the entry names nothing the ASN names. Before 2a1d7dd the entry's lines belonged to no warehouse
partition, so a changed quantity or release date left the partition's fingerprint as it was and the
incremental run kept the old timeline and quantity exceptions; on the database path a new such entry named
no warehouse partition (``changes.document_keys`` recorded no number of the documents a partition holds).
Also: a master bill found by container alone brings the lines of the house bills under it (line-level
candidates), so a changed house bill re-matches the partition.
"""
from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select, update

from aggregator.matching_service.service import plan_match, run_match
from aggregator.store.db import session_scope
from aggregator.store.models.logistics import CustomsEntryRow, TransportDocumentRow
from aggregator.store.models.marketplace import OrderRow
from aggregator.store.models.matching import MatchLinkRow
from aggregator.store.models.warehouse import StockSnapshotRow, WarehouseReceiptRow, WarehouseShipmentRow
from matching.engine import MatchInput
from matching.incremental import match_changes, match_full, match_incremental
from tests.matching import story
from tests.matching.db_story import cli_run, load_story
from tests.matching.test_db_incremental import stored_state

ASN = "ASN-LMN-260310-01"
ENTRY = "K1-PLACEHOLDER-0001"
PARTITION = "wh|LUMINA-HK|MYPKG-WH01"
LATER_RELEASE = "2026-03-14T10:50:00+08:00"  # after the ASN's receipt (13 March): a timeline violation


def _receipts() -> pd.DataFrame:
    frame = story.receipt_lines()
    frame.loc[frame["asn_no"] == ASN, ["mbl_no", "customs_declaration_no"]] = pd.NA
    return frame


def _customs(changed: bool) -> pd.DataFrame:
    frame = story.customs_lines()
    entry = frame["declaration_no"] == ENTRY
    frame.loc[entry, "container_no"] = pd.NA
    if changed:
        frame.loc[entry & (frame["line_no"].astype(str) == "1"), "qty"] = "15000"
        frame.loc[entry, "released_at"] = LATER_RELEASE
    return frame


def _entry_links(links: pd.DataFrame) -> set[tuple[str, str]]:
    rows = links[links["left_key"].str.contains(ASN, regex=False)
                 & links["step"].isin(["receipt_transport_doc", "receipt_customs_entry"])]
    return set(zip(rows["step"], rows["method"]))


def _assert_as_full(result, full) -> None:
    pd.testing.assert_frame_equal(result.links, full.links, check_dtype=False)
    pd.testing.assert_frame_equal(result.exceptions, full.exceptions, check_dtype=False)
    assert result.fingerprints == full.fingerprints
    assert result.rung_fingerprints == full.rung_fingerprints


def test_the_world_reaches_the_entry_through_the_bill_found_by_container():
    result = match_full(story.story_input(receipt_lines=_receipts(), customs_lines=_customs(False)))
    assert _entry_links(result.links) == {("receipt_transport_doc", "rule:container"),
                                          ("receipt_customs_entry", "rule:document_ref")}


@pytest.mark.parametrize("path", ["match_changes", "match_incremental"])
def test_a_changed_entry_reached_by_document_ref_rematches_the_warehouse_partition(path):
    first = match_full(story.story_input(receipt_lines=_receipts(), customs_lines=_customs(False)))
    now = _customs(True)
    changed_input = story.story_input(receipt_lines=_receipts(), customs_lines=now)
    full = match_full(changed_input)
    if path == "match_changes":
        after = match_changes(first, MatchInput(customs_lines=now[now["declaration_no"] == ENTRY]))
    else:
        after = match_incremental(changed_input, first)
    assert PARTITION in after.rematched
    assert full.rung_fingerprints["documents"][PARTITION] != first.rung_fingerprints["documents"][PARTITION]
    assert full.rung_fingerprints["lots"][PARTITION] == first.rung_fingerprints["lots"][PARTITION]
    _assert_as_full(after, full)
    # the change shows: the received goods now precede the later release
    late = full.exceptions[(full.exceptions["reason"] == "timeline_violation")
                           & full.exceptions["record_key"].str.contains(ASN, regex=False)]
    assert not late.empty


def test_a_new_entry_reached_by_document_ref_rematches_the_warehouse_partition():
    without = story.story_input(receipt_lines=_receipts(),
                                customs_lines=_customs(False).loc[lambda f: f["declaration_no"] != ENTRY])
    first = match_full(without)
    assert ("receipt_customs_entry", "rule:document_ref") not in _entry_links(first.links)
    complete = story.story_input(receipt_lines=_receipts(), customs_lines=_customs(False))
    full = match_full(complete)
    customs = _customs(False)
    after = match_changes(first, MatchInput(customs_lines=customs[customs["declaration_no"] == ENTRY]))
    assert PARTITION in after.rematched
    _assert_as_full(after, full)


def test_a_changed_house_bill_under_a_master_found_by_container_rematches_the_warehouse_partition():
    asn = "ASN-LMN-260310-02"
    receipts = story.receipt_lines()
    receipts.loc[receipts["asn_no"] == asn, ["mbl_no", "hbl_no"]] = pd.NA
    docs = story.document_lines()
    docs.loc[docs["master_doc_number"] == "ZCRU260304417", "container_no"] = pd.NA  # only the master is in the box
    first = match_full(story.story_input(receipt_lines=receipts, document_lines=docs))
    linked = first.links[first.links["left_key"].str.contains(asn, regex=False)]
    assert set(zip(linked["step"], linked["right_key"], linked["method"])) >= {
        ("receipt_transport_doc", "LUMINA-HK|ZCRU260304417", "rule:container"),
        ("receipt_document", "LUMINA-HK|SZXFWD2603001|1", "rule:po_hs")}  # a house bill's line
    house = docs["doc_number"] == "SZXFWD2603001"
    docs.loc[house, "po_number"] = "PO-SOMEONE-ELSE"
    full = match_full(story.story_input(receipt_lines=receipts, document_lines=docs))
    after = match_changes(first, MatchInput(document_lines=docs[house]))
    assert PARTITION in after.rematched
    _assert_as_full(after, full)


# ------------------------------------------------------------------------------------------ the database path

def _rewrite(path: Path, change) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    rows = [row for row in (change(dict(row)) for row in rows) if row is not None]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _samples(tmp_path: Path, *, entry: bool) -> Path:
    """The story's files with the ASN naming its container only and the entry naming no container (left
    out when ``entry`` is false)."""
    samples = tmp_path / "samples"
    shutil.copytree(story.SAMPLES, samples)

    def receipt(row):
        if row["asn_no"] == ASN:
            row["mbl_no"] = row["customs_declaration_no"] = ""
        return row

    def customs(row):
        if row["declaration_no"] == ENTRY:
            if not entry:
                return None
            row["container_no"] = ""
        return row
    _rewrite(samples / "warehouse_inbound.csv", receipt)
    _rewrite(samples / "customs_entry_my_k1.csv", customs)
    return samples


def _entry_file(tmp_path: Path, *, changed: bool) -> Path:
    """The entry alone as a customs file (changed: line 1's quantity and the release date)."""
    path = tmp_path / ("entry_changed.csv" if changed else "entry.csv")
    shutil.copy(story.SAMPLES / "customs_entry_my_k1.csv", path)

    def only(row):
        if row["declaration_no"] != ENTRY:
            return None
        row["container_no"] = ""
        if changed:
            row["released_at"] = LATER_RELEASE
            if row["line_no"] == "1":
                row["qty"] = "15000"
        return row
    _rewrite(path, only)
    return path


def _import_entry(engine, tmp_path: Path, path: Path) -> None:
    with session_scope(engine) as session:  # every row the first run read was stored well before this import
        for model in (OrderRow, WarehouseShipmentRow, WarehouseReceiptRow, StockSnapshotRow, TransportDocumentRow,
                      CustomsEntryRow):
            session.execute(update(model).values(stored_at=datetime.now(UTC) - timedelta(hours=1)))
    result = cli_run(engine, tmp_path, "import", "customs", str(path), "--owner", story.OWNER)
    assert result.exit_code == 0, result.output


def _assert_db_incremental_as_full(engine) -> None:
    assert set(plan_match(engine, story.OWNER).partitions) == {PARTITION, f"doc|{story.OWNER}"}
    summary = run_match(engine)
    assert 0 < summary.rematched
    incremental = stored_state(engine)
    run_match(engine, full=True)
    assert incremental == stored_state(engine)


def _db_entry_methods(engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(MatchLinkRow.method).where(
            MatchLinkRow.step == "receipt_customs_entry", MatchLinkRow.left_key.contains(ASN))))


def test_db_a_changed_entry_reached_by_document_ref_rematches_the_warehouse_partition(engine, tmp_path):
    load_story(engine, tmp_path, samples=_samples(tmp_path, entry=True))
    run_match(engine)
    assert _db_entry_methods(engine) == {"rule:document_ref"}
    _import_entry(engine, tmp_path, _entry_file(tmp_path, changed=True))
    _assert_db_incremental_as_full(engine)


def test_db_a_new_entry_reached_by_document_ref_rematches_the_warehouse_partition(engine, tmp_path):
    load_story(engine, tmp_path, samples=_samples(tmp_path, entry=False))
    run_match(engine)
    assert _db_entry_methods(engine) == set()
    _import_entry(engine, tmp_path, _entry_file(tmp_path, changed=False))
    _assert_db_incremental_as_full(engine)
    assert _db_entry_methods(engine) == {"rule:document_ref"}
