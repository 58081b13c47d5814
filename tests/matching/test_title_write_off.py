"""Returned goods the marketplace's warehouse disposed of (return disposition SCRAP) end their title with a
write-off: a ``WRITTEN_OFF`` event with the units and the time the disposition is known, and from that
instant the title position counts them nowhere (``matching.title``)."""
from __future__ import annotations

import pandas as pd
import pytest

from matching.engine import match_prepared, prepare_input
from matching.title import derive_title_events, title_position
from matching.title.derive import allocation_inputs, input_hashes, lot_inputs
from tests.matching import story
from tests.matching.title_story import endorsements, policy_book


def _scrapped(*, returned_by_3pl: bool, units: int, at: pd.Timestamp | None):
    """The story matched, with one order line's ``units`` written off at ``at`` (returned_qty as many):
    a line whose outbound the 3PL marked returned, or one it did not."""
    prepared = prepare_input(story.story_input())
    links = match_prepared(prepared).links
    ships = prepared.shipments.set_index("key")
    flagged = ships["returned_at"].notna()
    wanted = ships.index[flagged if returned_by_3pl else ships["delivered_at"].notna() & ~flagged]
    os_ = links[(links["step"] == "order_shipment") & links["right_key"].isin(wanted)].sort_values("left_key")
    order_line, shipment_line = os_.iloc[0]["left_key"], os_.iloc[0]["right_key"]
    allocation = links[(links["step"] == "shipment_lot") & (links["left_key"] == shipment_line)].iloc[0]
    hit = prepared.orders["key"] == order_line
    prepared.orders.loc[hit, "returned_qty"] = units
    prepared.orders.loc[hit, "written_off_qty"] = units
    prepared.orders["written_off_at"] = pd.Series(pd.NaT, index=prepared.orders.index, dtype="datetime64[ns, UTC]")
    if at is not None:
        prepared.orders.loc[hit, "written_off_at"] = at
    return prepared, links, f"{allocation['left_key']}>{allocation['right_key']}", int(allocation["qty"])


def _held(ledger: pd.DataFrame, at) -> dict[tuple[str, str], int]:
    position = title_position(ledger, at)
    return position.groupby(["title_holder", "location_state"])["qty"].sum().to_dict()


@pytest.mark.parametrize("returned_by_3pl", [True, False])
def test_scrapped_units_leave_the_position_at_the_write_off(returned_by_3pl: bool) -> None:
    at = pd.Timestamp("2026-06-01T08:00:00Z")
    prepared, links, allocation, allocated = _scrapped(returned_by_3pl=returned_by_3pl, units=1, at=at)
    ledger = derive_title_events(prepared, links, policy_book(), endorsements())
    off = ledger[ledger["kind"] == "WRITTEN_OFF"]
    assert len(off) == 1
    event = off.iloc[0]
    assert (event["subject_kind"], event["subject_key"], event["parent_key"], event["qty"]) == (
        "WRITE_OFF", f"{allocation}>WRITTEN_OFF", allocation, 1)
    assert pd.Timestamp(event["effective_at"]) == at
    assert (event["title_holder"], event["title_state"], event["location_state"]) == (
        "LUMINA-HK", "WRITTEN_OFF", "DISPOSED")
    assert "SCRAP" in event["evidence"] and event["basis"] == "PLATFORM_TC"
    # the allocation's own state just before the write-off: its units, one of them written off after
    last = ledger[(ledger["subject_key"] == allocation)].sort_values("seq").iloc[-1]
    where = (last["title_holder"], last["location_state"])
    assert where == (("LUMINA-HK", "RETURNED_PENDING_QC") if returned_by_3pl else ("CONSUMER", "DELIVERED"))
    before, after = _held(ledger, at - pd.Timedelta(seconds=1)), _held(ledger, at)
    assert after.get(where, 0) == before[where] - 1
    assert sum(after.values()) == sum(before.values()) - 1  # gone from every holder, not moved to another
    assert not any(state == "DISPOSED" for _, state in after)
    assert allocated >= 1
    # derived twice: the same events (the ledger appends only ids it has not seen)
    again = derive_title_events(prepared, links, policy_book(), endorsements())
    assert list(again["event_id"]) == list(ledger["event_id"])


def test_a_whole_returned_allocation_written_off_holds_nothing() -> None:
    at = pd.Timestamp("2026-06-01T08:00:00Z")
    prepared, links, allocation, allocated = _scrapped(returned_by_3pl=True, units=99, at=at)
    ledger = derive_title_events(prepared, links, policy_book(), endorsements())
    off = ledger[ledger["kind"] == "WRITTEN_OFF"]
    assert off["qty"].tolist() == [allocated]  # never more than the allocation took from its lot
    position = title_position(ledger, at)
    before = title_position(ledger, at - pd.Timedelta(seconds=1))
    assert position["qty"].sum() == before["qty"].sum() - allocated
    pending = position[position["location_state"] == "RETURNED_PENDING_QC"]["qty"].sum()
    assert pending == before[before["location_state"] == "RETURNED_PENDING_QC"]["qty"].sum() - allocated


def test_no_write_off_without_a_disposition_time_and_a_new_one_rederives_the_allocation() -> None:
    prepared, links, allocation, _ = _scrapped(returned_by_3pl=True, units=1, at=None)
    ledger = derive_title_events(prepared, links, policy_book(), endorsements())
    assert "WRITTEN_OFF" not in set(ledger["kind"])
    hashes = input_hashes(lot_inputs(prepared, links), allocation_inputs(prepared, links), {})
    prepared.orders.loc[prepared.orders["written_off_qty"] > 0, "written_off_at"] = pd.Timestamp("2026-06-01T00:00:00Z")
    changed = input_hashes(lot_inputs(prepared, links), allocation_inputs(prepared, links), {})
    differ = hashes.merge(changed, on="subject_key")
    differ = differ[differ["input_hash_x"] != differ["input_hash_y"]]["subject_key"].tolist()
    assert differ == [allocation]


def test_an_order_line_shipped_in_two_outbound_lines_writes_off_its_scrapped_units_once() -> None:
    """The story's TikTok order line is shipped in two warehouse outbound lines (2 + 1 units): one unit
    scrapped is one unit written off, not one per outbound line."""
    at = pd.Timestamp("2026-06-01T08:00:00Z")
    prepared = prepare_input(story.story_input())
    links = match_prepared(prepared).links
    os_ = links[links["step"] == "order_shipment"]
    split = os_.groupby("left_key").size()
    order_line = split[split > 1].index[0]
    hit = prepared.orders["key"] == order_line
    prepared.orders["returned_qty"] = 0
    prepared.orders["written_off_qty"] = 0
    prepared.orders.loc[hit, ["returned_qty", "written_off_qty"]] = 1
    prepared.orders["written_off_at"] = pd.Series(pd.NaT, index=prepared.orders.index, dtype="datetime64[ns, UTC]")
    prepared.orders.loc[hit, "written_off_at"] = at
    ledger = derive_title_events(prepared, links, policy_book(), endorsements())
    assert ledger[ledger["kind"] == "WRITTEN_OFF"]["qty"].sum() == 1
    before = title_position(ledger, at - pd.Timedelta(seconds=1))["qty"].sum()
    assert title_position(ledger, at)["qty"].sum() == before - 1
