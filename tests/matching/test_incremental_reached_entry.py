"""A customs entry a receipt reaches only through the document its receipt is linked to (the ASN names the
master bill; the house bill under it is linked; the entry names that house bill and nothing the ASN names)
is read by the receipt's documents rung (``documents._entry_level``: ``rule:document_ref``), so a change to
that entry changes the result there: the incremental run must equal a full run of the input as it then is.

Found by review2: ``incremental._document_members`` counted a customs line in a warehouse partition only when
it named a number or container the partition's receipts name themselves, so the entry was in no partition's
fingerprint (nor in the rows ``restrict`` hands a re-run), and the receipt's partition kept the link to an
entry that no longer names its house bill. A partition now holds the documents it names whole, and the
entries naming those documents."""
from __future__ import annotations

import pandas as pd
import pytest

from matching.engine import MatchInput
from matching.incremental import match_changes, match_full
from matching.synthetic import generate

_KINDS = ("order_lines", "shipment_lines", "receipt_lines", "lots", "document_lines", "customs_lines")
ENTRY, ENTRY_KEY = "K1-00000013", "OWNER00|K100000013"  # ASN0000013-1 names master ZCRU000000013 only


@pytest.fixture(scope="module")
def world():
    return generate(size=4_000, seed=33, owners=3, warehouses=2)


def test_an_entry_reached_through_the_linked_house_bill_changed_equals_a_full_run(world):
    inp = world.input
    frames = {kind: getattr(inp, kind) for kind in _KINDS if getattr(inp, kind) is not None}
    customs = frames["customs_lines"].copy()
    entry = customs["declaration_no"] == ENTRY
    customs.loc[entry, ["mbl_no", "container_no"]] = pd.NA  # the entry names the house bill only
    start = MatchInput(**{**frames, "customs_lines": customs}, crosswalk=inp.crosswalk)
    first = match_full(start)
    reached = first.links[first.links["right_key"] == ENTRY_KEY]
    assert set(reached["method"]) == {"rule:document_ref"}  # reached through the linked house bill

    moved = customs[entry].assign(hbl_no="SZXHB99999999")  # the entry now names another house bill
    now = MatchInput(**{**frames, "customs_lines": pd.concat([customs[~entry], moved])}, crosswalk=inp.crosswalk)
    after = match_changes(first, MatchInput(customs_lines=moved))
    full = match_full(now)
    assert not (full.links["right_key"] == ENTRY_KEY).any()
    pd.testing.assert_frame_equal(after.links, full.links, check_dtype=False)
    pd.testing.assert_frame_equal(after.exceptions, full.exceptions, check_dtype=False)


def test_a_line_without_the_container_of_a_document_linked_by_container_changed_equals_a_full_run(world):
    """The ASN names the container only; the document carrying it is linked (``rule:container``) and its
    lines are matched whole, the one without a container included: a change to that line (it no longer fits
    the receipt line it was linked to) changes the result, and the incremental run equals a full run."""
    inp = world.input
    frames = {kind: getattr(inp, kind) for kind in _KINDS if getattr(inp, kind) is not None}
    receipts, docs = frames["receipt_lines"].copy(), frames["document_lines"].copy()
    receipts.loc[receipts["asn_no"] == "ASN0000004-1", "mbl_no"] = pd.NA  # container TCLU0000004 only
    line = (docs["doc_number"] == "ZCRU000000004") & (docs["line_no"] == 1)
    docs.loc[line, "container_no"] = pd.NA
    start = MatchInput(**{**frames, "receipt_lines": receipts, "document_lines": docs}, crosswalk=inp.crosswalk)
    first = match_full(start)
    linked = first.links[first.links["left_key"].str.startswith("OWNER00|WH0|ASN0000004-1|")]
    assert "rule:container" in set(linked["method"])
    assert (linked["right_key"] == "OWNER00|ZCRU000000004|1").any()

    changed = docs[line].assign(hs_code="999999", po_number="PO-X", description="NOTHING ALIKE")
    now = MatchInput(**{**frames, "receipt_lines": receipts, "document_lines": pd.concat([docs[~line], changed])},
                     crosswalk=inp.crosswalk)
    after = match_changes(first, MatchInput(document_lines=changed))
    full = match_full(now)
    assert not (full.links["right_key"] == "OWNER00|ZCRU000000004|1").any()
    pd.testing.assert_frame_equal(after.links, full.links, check_dtype=False)
    pd.testing.assert_frame_equal(after.exceptions, full.exceptions, check_dtype=False)
