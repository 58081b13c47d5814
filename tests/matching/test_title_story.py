"""Title ledger on the sample story: the four facts per lot and allocation, policies, positions."""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from matching.engine import match_prepared, prepare_input
from matching.title import TitlePolicy, derive_title_events, title_position
from matching.title.position import lot_unit_values
from tests.matching import story
from tests.matching.title_story import endorsements, policy_book

W = "LUMINA-HK|MYPKG-WH01|"
SUPPLIER = "Shenzhen Brightway Electronics Co. Ltd."


@pytest.fixture(scope="module")
def matched():
    prepared = prepare_input(story.story_input())
    return prepared, match_prepared(prepared).links


@pytest.fixture(scope="module")
def ledger(matched):
    prepared, links = matched
    return derive_title_events(prepared, links, policy_book(), endorsements())


def facts(ledger: pd.DataFrame, subject: str) -> list[tuple]:
    rows = ledger[ledger["subject_key"] == subject].sort_values("seq")
    return [tuple(r) for r in rows[["kind", "title_holder", "risk_bearer", "document_holder", "title_state",
                                    "location_state"]].itertuples(index=False)]


def test_negotiable_ebl_lot_title_moves_by_endorsement_risk_on_board(ledger):
    assert facts(ledger, W + "LOT-TCLU6543214-EBB") == [
        ("SHIPPED_ON_BOARD", SUPPLIER, "LUMINA-HK", SUPPLIER, "SUPPLIER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN"),
        ("BL_ISSUED", SUPPLIER, "LUMINA-HK", SUPPLIER, "SUPPLIER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN"),
        ("ENDORSED", SUPPLIER, "LUMINA-HK", SUPPLIER, "SUPPLIER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN"),
        ("TRANSFERRED", "LUMINA-HK", "LUMINA-HK", "LUMINA-HK", "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN"),
        ("ARRIVED", "LUMINA-HK", "LUMINA-HK", "LUMINA-HK", "SELLER_TITLE_AT_DESTINATION", "AT_DESTINATION"),
        ("SURRENDER_REQUESTED", "LUMINA-HK", "LUMINA-HK", "LUMINA-HK", "SELLER_TITLE_AT_DESTINATION",
         "AT_DESTINATION"),
        ("CUSTOMS_LODGED", "LUMINA-HK", "LUMINA-HK", "LUMINA-HK", "UNDER_CUSTOMS_CONTROL", "UNDER_CUSTOMS_CONTROL"),
        ("SURRENDERED", "LUMINA-HK", "LUMINA-HK", "ZC Container Line (placeholder carrier)",
         "UNDER_CUSTOMS_CONTROL", "UNDER_CUSTOMS_CONTROL"),
        ("CUSTOMS_RELEASED", "LUMINA-HK", "LUMINA-HK", "ZC Container Line (placeholder carrier)", "CLEARED",
         "CLEARED"),
        ("ARRIVED_AT_WAREHOUSE", "LUMINA-HK", "LUMINA-HK", "ZC Container Line (placeholder carrier)",
         "OWNED_IN_WAREHOUSE", "IN_RECEIVING"),
        ("RECEIVED_AT_WAREHOUSE", "LUMINA-HK", "LUMINA-HK", "ZC Container Line (placeholder carrier)",
         "OWNED_IN_WAREHOUSE", "AVAILABLE"),
    ]
    transfer = ledger[(ledger["subject_key"] == W + "LOT-TCLU6543214-EBB") & (ledger["kind"] == "TRANSFERRED")]
    assert transfer["evidence"].item() == "endorsement chain AUD-0003 (TRANSFER)"
    assert transfer["effective_at"].item() == pd.Timestamp("2026-03-04T02:30:05Z")
    assert set(ledger.loc[ledger["kind"] == "CUSTOMS_RELEASED", "basis"]) == {"STATUTE"}


def test_telex_released_consol_house_bill(ledger):
    rows = ledger[ledger["subject_key"] == W + "LOT-SEGU4812090-PCC"].set_index("kind")
    on_board = rows.loc["SHIPPED_ON_BOARD"]
    assert (on_board["title_holder"], on_board["basis"]) == ("LUMINA-HK", "POLICY_DEFAULT")
    telex = rows.loc["TELEX_RELEASED"]
    assert (telex["document_holder"], telex["title_state"], telex["confidence"]) == (
        "LUMINA-HK", "RELEASED_BY_CARRIER", "INFERRED")
    # the not-yet-counted cartons arrived at the warehouse but are not received
    pca = facts(ledger, W + "LOT-SEGU4812090-PCA")
    assert pca[-1][0] == "ARRIVED_AT_WAREHOUSE" and pca[-1][4:] == ("OWNED_IN_WAREHOUSE", "IN_RECEIVING")


def test_policy_can_move_straight_bill_title_to_arrival(matched):
    prepared, links = matched
    book = policy_book()
    book.set(TitlePolicy(straight_document_title="ON_ARRIVAL"), owner_id="LUMINA-HK")
    ledger = derive_title_events(prepared, links, book, endorsements())
    rows = ledger[ledger["subject_key"] == W + "LOT-SEGU4812090-PCC"].set_index("kind")
    assert rows.loc["SHIPPED_ON_BOARD", "title_state"] == "SUPPLIER_TITLE_IN_TRANSIT"
    assert rows.loc["ARRIVED", "title_holder"] == "LUMINA-HK"


def test_failed_delivery_returned_title_never_left_the_seller(ledger):
    subject = W + "OC900260315000007|1>" + W + "LOT-TCLU6543214-LMP"
    assert [(k, h, s, loc) for k, h, _, _, s, loc in facts(ledger, subject)] == [
        ("ALLOCATED", "LUMINA-HK", "ALLOCATED", "ALLOCATED"),
        ("DISPATCHED", "LUMINA-HK", "IN_LAST_MILE", "IN_LAST_MILE"),
        ("RETURN_RECEIVED", "LUMINA-HK", "OWNED_IN_WAREHOUSE", "RETURNED_PENDING_QC"),
    ]
    delivered = facts(ledger, W + "OC900260315000005|2>" + W + "LOT-TCLU6543214-EBB")
    assert delivered[-1][:3] == ("DELIVERED", "CONSUMER", "CONSUMER")


def test_consumer_title_on_dispatch_for_one_platform(matched):
    prepared, links = matched
    book = policy_book()
    book.set(TitlePolicy(consumer_title_on="DISPATCH"), owner_id="LUMINA-HK", platform="TIKTOK", country="MY")
    ledger = derive_title_events(prepared, links, book, endorsements())
    tiktok = facts(ledger, W + "OC900260315000005|2>" + W + "LOT-TCLU6543214-EBB")
    assert tiktok[1][:3] == ("DISPATCHED", "CONSUMER", "LUMINA-HK")  # title on dispatch, risk on delivery
    shopee = facts(ledger, W + "OC900260315000002|1>" + W + "LOT-TCLU6543214-EBW")
    assert shopee[1][:2] == ("DISPATCHED", "LUMINA-HK")


def _position(ledger, matched, at):
    prepared, links = matched
    pos = title_position(ledger, pd.Timestamp(at), unit_values=lot_unit_values(prepared, links))
    return [(r.title_holder, r.title_state, r.location_state, r.qty, r.value)
            for r in pos.itertuples(index=False)]


def test_value_on_the_water_before_and_after_endorsement(ledger, matched):
    assert _position(ledger, matched, "2026-03-03T00:00:00Z") == [
        ("LUMINA-HK", "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN", 6980, Decimal("40553.80")),
        (SUPPLIER, "SUPPLIER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN", 18260, Decimal("548275.20")),
    ]
    assert _position(ledger, matched, "2026-03-05T00:00:00Z") == [
        ("LUMINA-HK", "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_AIR", 240, Decimal("7656.00")),
        ("LUMINA-HK", "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN", 25240, Decimal("588829.00")),
    ]


def test_position_after_deliveries_and_the_return(ledger, matched):
    assert _position(ledger, matched, "2026-03-22T00:00:00Z") == [
        ("CONSUMER", "CONSUMER_OWNED", "DELIVERED", 8, Decimal("171.21")),
        ("LUMINA-HK", "IN_LAST_MILE", "IN_LAST_MILE", 1, Decimal("38.72")),
        ("LUMINA-HK", "OWNED_IN_WAREHOUSE", "AVAILABLE", 23970, Decimal("587521.35")),
        ("LUMINA-HK", "OWNED_IN_WAREHOUSE", "IN_RECEIVING", 1500, Decimal("8715.00")),
        ("LUMINA-HK", "OWNED_IN_WAREHOUSE", "RETURNED_PENDING_QC", 1, Decimal("38.72")),
    ]


def test_ledger_is_reproducible_with_stable_unique_ids(ledger, matched):
    prepared, links = matched
    again = derive_title_events(prepared, links, policy_book(), endorsements())
    assert again["event_id"].tolist() == ledger["event_id"].tolist()
    assert ledger["event_id"].is_unique


def test_naive_instant_is_refused(ledger):
    with pytest.raises(ValueError, match="timezone-aware"):
        title_position(ledger, pd.Timestamp("2026-03-03T00:00:00"))


def test_lots_reported_on_the_water_count_in_the_position(matched):
    prepared, links = matched
    ledger = derive_title_events(prepared, links, policy_book(), endorsements(), story.transit_lots())
    pos = title_position(ledger, pd.Timestamp("2026-03-17T00:00:00Z"),
                         unit_values=lot_unit_values(prepared, links))
    water = pos[pos["location_state"] == "IN_TRANSIT_OCEAN"]
    assert water[["title_holder", "title_state", "qty", "unvalued_qty"]].values.tolist() == [
        ["SUPPLIER-BRIGHTWAY", "SUPPLIER_TITLE_IN_TRANSIT", 8000, 8000]]
    before = title_position(ledger, pd.Timestamp("2026-03-16T00:00:00Z"))
    assert "IN_TRANSIT_OCEAN" not in set(before["location_state"])  # reported only from the snapshot on
    event = ledger[ledger["subject_key"] == "LUMINA-HK||LOT-MSMU7300156-EBB"]
    assert event[["kind", "risk_bearer", "confidence"]].values.tolist() == [
        ["REPORTED_IN_TRANSIT", "LUMINA-HK", "ASSERTED"]]


def test_empty_input_gives_an_empty_ledger_and_position():
    from matching.engine import MatchInput

    prepared = prepare_input(MatchInput())
    ledger = derive_title_events(prepared, match_prepared(prepared).links)
    assert ledger.empty and "seq" in ledger.columns
    assert title_position(ledger, pd.Timestamp("2026-03-05T00:00:00Z")).empty


def test_lot_without_a_document_is_the_owners_once_in_its_warehouse(matched):
    receipts = story.receipt_lines()  # the 3PL's ASN for the air restock names no waybill
    receipts.loc[receipts["asn_no"] == "ASN-LMN-260305-03", ["mbl_no", "hbl_no", "awb_no"]] = pd.NA
    prepared = prepare_input(story.story_input(receipt_lines=receipts))
    ledger = derive_title_events(prepared, match_prepared(prepared).links, policy_book(), endorsements())
    rows = ledger[ledger["subject_key"] == W + "LOT-SZXAIR260305-EBB"].sort_values("seq")
    assert rows["kind"].tolist() == ["ARRIVED", "CUSTOMS_LODGED", "CUSTOMS_RELEASED", "TITLE_PASSED",
                                     "ARRIVED_AT_WAREHOUSE", "RECEIVED_AT_WAREHOUSE"]
    passed = rows[rows["kind"] == "TITLE_PASSED"].iloc[0]
    assert (passed["title_holder"], passed["risk_bearer"], passed["basis"], passed["confidence"]) == (
        "LUMINA-HK", "LUMINA-HK", "POLICY_DEFAULT", "INFERRED")
    assert rows.iloc[-1]["title_state"] == "OWNED_IN_WAREHOUSE"


def test_to_order_bill_without_an_endorsement_record_passes_title_on_delivery(matched):
    prepared, links = matched
    ledger = derive_title_events(prepared, links, policy_book())  # the eBL's chain was never loaded
    rows = ledger[ledger["subject_key"] == W + "LOT-TCLU6543214-EBB"].set_index("kind")
    assert rows.loc["SHIPPED_ON_BOARD", "title_holder"] == SUPPLIER  # a to-order bill: not on board
    assert (rows.loc["TITLE_PASSED", "title_holder"], rows.loc["TITLE_PASSED", "basis"]) == (
        "LUMINA-HK", "BL_ENDORSEMENT")
    assert rows.loc["RECEIVED_AT_WAREHOUSE", "title_state"] == "OWNED_IN_WAREHOUSE"


def _chain_through_a_bank(endorsed_to: str, transferred_to: str) -> pd.DataFrame:
    """The story's eBL chain with the supplier endorsing the bill to a bank (not the owner): the
    ENDORSE record names the bank ``endorsed_to`` and the TRANSFER record ``transferred_to``."""
    chain = endorsements()
    chain.loc[chain["action_code"] == "ENDORSE", "recipient"] = endorsed_to
    chain.loc[chain["action_code"] == "TRANSFER", "recipient"] = transferred_to
    return chain


def _transfer(ledger: pd.DataFrame) -> pd.Series:
    rows = ledger[(ledger["subject_key"] == W + "LOT-TCLU6543214-EBB") & (ledger["kind"] == "TRANSFERRED")]
    return rows.iloc[0]


def test_an_endorsee_spelt_another_way_on_the_transfer_takes_title(matched):
    """Two records of one chain name the bank the bill was endorsed to in two spellings (case, punctuation,
    company form): they compare as the owner's legal names do, so the transfer passes title to the bank."""
    prepared, links = matched
    bank_on_transfer = "PACIFIC TRADE-FINANCE BANK COMPANY LIMITED"
    ledger = derive_title_events(prepared, links, policy_book(), _chain_through_a_bank(
        "Pacific Trade Finance Bank Co., Ltd.", bank_on_transfer))
    transfer = _transfer(ledger)
    assert (transfer["title_holder"], transfer["document_holder"], transfer["title_state"]) == (
        bank_on_transfer, bank_on_transfer, "SUPPLIER_TITLE_IN_TRANSIT")


def test_a_transfer_to_another_party_than_the_endorsee_passes_no_title(matched):
    """Normalisation never makes two names one: a transfer to a party other than the endorsee (another
    word in its name) moves the document, not title."""
    prepared, links = matched
    ledger = derive_title_events(prepared, links, policy_book(), _chain_through_a_bank(
        "Pacific Trade Finance Bank Co., Ltd.", "Pacific Trade Finance Bank (HK) Co., Ltd."))
    transfer = _transfer(ledger)
    assert (transfer["title_holder"], transfer["document_holder"]) == (
        SUPPLIER, "Pacific Trade Finance Bank (HK) Co., Ltd.")
