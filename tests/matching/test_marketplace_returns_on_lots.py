"""Returned units on their lot from the marketplace's return records: a unit a return record says came
back (received or refunded) goes back on the lot its shipment was drawn from, even when the 3PL's
outbound record does not flag the shipment as returned; a unit the marketplace's warehouse disposed of
(disposition SCRAP) is written off instead (``open_quantities.open_lots``)."""
from __future__ import annotations

from matching.engine import match_prepared, prepare_input
from matching.open_quantities import open_lots
from tests.matching import story


def _lots_with(returned: int, written_off: int):
    data = story.story_input()
    prepared = prepare_input(data)
    links = match_prepared(prepared).links
    ships = prepared.shipments.set_index("key")
    unreturned = ships.index[ships["returned_at"].isna() & (ships["status"] != "RETURNED").fillna(True)]
    sl = links[(links["step"] == "shipment_lot") & links["left_key"].isin(unreturned)]
    os_ = links[(links["step"] == "order_shipment") & links["right_key"].isin(sl["left_key"])]
    order_line, shipment_line = os_.iloc[0]["left_key"], os_.iloc[0]["right_key"]
    lot = sl[sl["left_key"] == shipment_line].iloc[0]["right_key"].split("|")[2]
    orders = prepared.orders
    hit = orders["key"] == order_line
    orders.loc[hit, "returned_qty"] = returned
    orders.loc[hit, "written_off_qty"] = written_off
    return open_lots(prepared, links).set_index("lot_id").loc[lot]


def test_a_returned_unit_goes_back_on_its_lot_and_a_disposed_one_is_written_off():
    before = _lots_with(0, 0)
    back = _lots_with(1, 0)
    scrapped = _lots_with(1, 1)
    assert (back["returned"], back["written_off"], back["open"]) == (before["returned"] + 1, 0, before["open"] + 1)
    assert (scrapped["returned"], scrapped["written_off"], scrapped["open"]) == (
        before["returned"] + 1, 1, before["open"])
