"""Lots and documents with their open quantities on the sample story (they agree with the 3PL snapshot)."""
from __future__ import annotations

from matching.engine import match_prepared, prepare_input
from matching.open_quantities import open_documents, open_lots
from tests.matching import story


def test_open_lots_and_documents():
    prepared = prepare_input(story.story_input())
    links = match_prepared(prepared).links
    lots = open_lots(prepared, links).set_index("lot_id")
    # the snapshot of 16 March says available 237 / 9979 / 6399 / 2978 / 2499 (before the 21 March return)
    assert lots["open"].to_dict() == {
        "LOT-SEGU4812090-PCA": 0, "LOT-SEGU4812090-PCB": 2499, "LOT-SEGU4812090-PCC": 2978,
        "LOT-SZXAIR260305-EBB": 237, "LOT-TCLU6543214-EBB": 9979, "LOT-TCLU6543214-EBW": 6399,
        "LOT-TCLU6543214-LMP": 1847}
    assert lots.loc["LOT-TCLU6543214-LMP", ["shipped", "returned", "received_damaged"]].tolist() == [2, 1, 12]
    assert lots.loc["LOT-SEGU4812090-PCA", "in_receiving"] == 1500
    docs = open_documents(prepared, links).set_index(["doc_number", "line_no"])
    house = docs.loc[("SZXFWD2603001", 1)]
    assert house[["declared_qty", "planned_qty", "received_qty", "open_qty"]].tolist() == [7000, 7000, 5480, 1520]
    assert docs.loc[("ZCRU260301234", 1), "open_qty"] == 0
    assert docs.loc[("SZXFWD2603002", 1), "received_qty"] == 0  # another owner's flasks: never received here
