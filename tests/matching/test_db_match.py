"""The sample story through the store: ``aggregator import`` the files, write the orders, ``aggregator match``,
export links / exceptions / timeline, ``aggregator title position``; manual links survive re-matching."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from sqlalchemy import select

from aggregator.store.db import session_scope
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.matching import ManualLinkRow, MatchLinkRow, TitleEventRow
from tests.matching.db_story import cli_run, load_story
from tests.matching.story import FIXTURES
from tests.matching.test_story_links import EXPECTED_CHAINS, chain_rows

POLICY = str(FIXTURES / "matching" / "story_title_policy.toml")
W = "LUMINA-HK|MYPKG-WH01|"


@pytest.fixture
def story_db(engine, tmp_path):
    load_story(engine, tmp_path)
    result = cli_run(engine, tmp_path, "match", "--policy", POLICY)
    assert result.exit_code == 0, result.output
    assert "matched 5 of 5 partition(s): 53 link(s), 1 exception(s), 85 title event(s) added" in result.output
    return engine


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_exported_links_are_the_story_chains(story_db, tmp_path):
    out = tmp_path / "links.csv"
    result = cli_run(story_db, tmp_path, "export", "links", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False).replace("", None)
    assert list(frame.columns) == ["platform", "shop_id", "order_id", "order_line_ref", "sku", "qty", "lot_id",
                                   "warehouse_code", "asn_no", "container_no", "transport_document_no",
                                   "customs_declaration_no", "method", "confidence", "transport_document_line",
                                   "customs_line"]
    frame["qty"] = frame["qty"].astype(int)
    assert set(frame["platform"]) <= {"lazada", "shopee", "tiktok"}  # the stored value, not the matching key
    assert chain_rows(frame.assign(platform=frame["platform"].str.upper())) == EXPECTED_CHAINS


def test_exceptions_incremental_rerun_title_position_and_timeline(story_db, tmp_path):
    exported = read_csv(cli_run(story_db, tmp_path, "export", "exceptions").output)
    assert [(e["queue"], e["kind"], e["record_key"], e["qty"], e["status"]) for e in exported] == [
        ("match", "quantity_variance", W + "ASN-LMN-260310-02|1", "-20", "open")]
    again = cli_run(story_db, tmp_path, "match", "--policy", POLICY)
    assert "matched 0 of 5 partition(s)" in again.output and "0 title event(s) added" in again.output
    position = cli_run(story_db, tmp_path, "title", "position", "--at", "2026-03-03T08:00:00+08:00", "--detail",
                       "--format", "csv")
    assert position.exit_code == 0, position.output
    # the owner books in CNY (the default) and no rates are loaded: the values stay unconverted, and say so
    assert [(r["title_holder"], r["title_state"], r["location_state"], r["qty"], r["value"], r["currency"])
            for r in read_csv(position.output)] == [
        ("LUMINA-HK", "SELLER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN", "6980", "0.00", "CNY"),
        ("Shenzhen Brightway Electronics Co. Ltd.", "SUPPLIER_TITLE_IN_TRANSIT", "IN_TRANSIT_OCEAN", "18260",
         "0.00", "CNY"),
        ("LUMINA-HK", "", "", "6980", "0.00", "CNY")]
    assert "40553.80 MYR not converted" in read_csv(position.output)[0]["unconverted"]
    owned = read_csv(cli_run(story_db, tmp_path, "title", "position", "--at", "2026-03-16T00:00:00Z",
                             "--owner", "LUMINA-HK", "--format", "csv").output)
    assert {r["title_holder"] for r in owned} == {"LUMINA-HK"}
    later = read_csv(cli_run(story_db, tmp_path, "title", "position", "--at", "2026-03-17T00:00:00Z",
                             "--format", "csv").output)
    assert [(r["title_holder"], r["qty"], r["unvalued_qty"]) for r in later
            if r["stage"] == "ON_THE_WATER"] == [("SUPPLIER-BRIGHTWAY", "8000", "8000")]
    assert cli_run(story_db, tmp_path, "title", "position", "--at", "2026-03-16").exit_code == 2
    result = cli_run(story_db, tmp_path, "export", "timeline", "--order", "578000000000000001", "--platform",
                     "tiktok", "--shop", "TTS-MY-7300000001")
    assert result.exit_code == 0, result.output
    steps = [r["step"] for r in read_csv(result.output)]
    assert steps[:2] == ["on_board", "on_board"] and steps[-2:] == ["delivered", "delivered"]
    lots = {r["lot_id"]: r["open"] for r in read_csv(cli_run(story_db, tmp_path, "export", "lots").output)}
    assert lots["LOT-SZXAIR260305-EBB"] == "237" and lots["LOT-SEGU4812090-PCC"] == "2978"
    docs = read_csv(cli_run(story_db, tmp_path, "export", "documents", "--owner", "LUMINA-HK").output)
    assert [d["open_qty"] for d in docs if d["doc_number"] == "SZXFWD2603001"] == ["1520"]
    missing = cli_run(story_db, tmp_path, "export", "timeline", "--order", "NOPE", "--platform", "tiktok",
                      "--shop", "TTS-MY-7300000001")
    assert missing.exit_code == 1 and "no order" in missing.output


def test_manual_link_resolves_an_exception_and_survives_incremental_and_full_rematching(story_db, tmp_path):
    """The Lazada returned order's outbound was reported without its order id: link it by hand."""
    with session_scope(story_db) as session:
        from aggregator.store.models.warehouse import WarehouseShipmentRow
        row = session.execute(select(WarehouseShipmentRow).where(
            WarehouseShipmentRow.wms_outbound_no == "OC900260315000007")).scalar_one()
        row.order_id, row.package_id, row.tracking_number = None, None, None
    assert cli_run(story_db, tmp_path, "match", "--policy", POLICY).exit_code == 0
    open_ = read_csv(cli_run(story_db, tmp_path, "export", "exceptions", "--kind", "match").output)
    missing = next(e for e in open_ if e["kind"] == "shipment_without_order")
    shipment = W + "OC900260315000007|1"
    assert missing["record_key"] == shipment
    target = "LAZADA|LAZADA-MY-100987|8812345679999|8812345679901"
    linked = cli_run(story_db, tmp_path, "match", "link", "--owner", "LUMINA-HK", "--step", "order_shipment",
                     "--left", target, "--right", shipment, "--qty", "1", "--note", "ops ticket 17",
                     "--resolves", missing["ref"])
    assert linked.exit_code == 0, linked.output
    for args in (["match"], ["match"], ["match", "--full"]):
        assert cli_run(story_db, tmp_path, *args, "--policy", POLICY).exit_code == 0
        with session_scope(story_db) as session:
            rows = session.execute(select(MatchLinkRow.left_key, MatchLinkRow.method).where(
                MatchLinkRow.right_key == shipment, MatchLinkRow.step == "order_shipment")).all()
            assert rows == [(target, "manual")], args
            status, resolution = session.execute(select(ExceptionItem.status, ExceptionItem.resolution)
                                                 .where(ExceptionItem.ref == missing["ref"])).one()
            assert (status, resolution) == ("resolved", "manual link: ops ticket 17"), args


def test_changed_data_retracts_title_events_instead_of_rewriting_them(story_db, tmp_path):
    with session_scope(story_db) as session:
        before = session.execute(select(TitleEventRow.event_id)).scalars().all()
        session.add(ManualLinkRow(owner_id="LUMINA-HK", step="shipment_lot", left_key=W + "OC900260315000002|1",
                                  right_key=W + "LOT-TCLU6543214-EBB", qty=1, note="picked from the wrong lot"))
    result = cli_run(story_db, tmp_path, "match", "--policy", POLICY)
    assert "retracted" in result.output and " 0 retracted" not in result.output
    with session_scope(story_db) as session:
        after = dict(session.execute(select(TitleEventRow.event_id, TitleEventRow.retracted_at)).all())
    assert set(before) <= set(after)  # nothing deleted
    assert any(after[e] is not None for e in before)


def test_title_position_in_the_owners_base_currency_with_the_rate_path(story_db, tmp_path):
    rates = tmp_path / "rates.json"
    rates.write_text('{"amount": 1, "base": "EUR", "date": "2026-03-02", "rates": {"MYR": 5.0, "CNY": 8.0}}')
    imported = cli_run(story_db, tmp_path, "fx", "rates", "import", str(rates), "--source", "json",
                       "--source-name", "TESTBANK")
    assert imported.exit_code == 0, imported.output
    shown = cli_run(story_db, tmp_path, "title", "position", "--at", "2026-03-03T08:00:00+08:00")
    assert shown.exit_code == 0, shown.output
    assert "LUMINA-HK: holds title to 64886.08 CNY at cost; 0 unit(s) without a cost; 0 value(s) not converted" \
        in shown.output  # 40553.80 MYR / 5 x 8
    rows = read_csv(cli_run(story_db, tmp_path, "title", "position", "--at", "2026-03-03T08:00:00+08:00",
                            "--format", "csv").output)
    assert [(r["stage"], r["title_holder"], r["qty"], r["value"], r["currency"], r["rate_path"]) for r in rows] == [
        ("ON_THE_WATER", "LUMINA-HK", "6980", "64886.08", "CNY", "MYR→EUR→CNY (TESTBANK 2026-03-02)"),
        ("ON_THE_WATER", "Shenzhen Brightway Electronics Co. Ltd.", "18260", "877240.32", "CNY",
         "MYR→EUR→CNY (TESTBANK 2026-03-02)"),
        ("TOTAL", "LUMINA-HK", "6980", "64886.08", "CNY", "MYR→EUR→CNY (TESTBANK 2026-03-02)")]
    changed = cli_run(story_db, tmp_path, "owners", "set", "LUMINA-HK", "--base-currency", "myr")
    assert changed.exit_code == 0 and "base currency MYR" in changed.output
    rows = read_csv(cli_run(story_db, tmp_path, "title", "position", "--at", "2026-03-03T08:00:00+08:00",
                            "--format", "csv").output)
    assert [(r["value"], r["currency"], r["rate_path"]) for r in rows][0] == ("40553.80", "MYR", "")
    refused = cli_run(story_db, tmp_path, "owners", "set", "LUMINA-HK", "--base-currency", "XYZ")
    assert refused.exit_code == 1 and "unknown currency 'XYZ'" in refused.output
    assert cli_run(story_db, tmp_path, "owners", "set", "NOPE", "--base-currency", "USD").exit_code == 2
    unknown = cli_run(story_db, tmp_path, "title", "position", "--at", "2026-03-03T00:00:00Z", "--owner", "NOPE")
    assert unknown.exit_code == 2 and "no owner 'NOPE'" in unknown.output


def test_match_on_an_empty_store(engine, tmp_path):
    result = cli_run(engine, tmp_path, "match")
    assert result.exit_code == 0, result.output
    assert "matched 0 of 0 partition(s): 0 link(s), 0 exception(s), 0 title event(s) added" in result.output
    assert cli_run(engine, tmp_path, "export", "links").output.startswith("platform,shop_id,order_id")


def test_order_chain_carries_the_bill_when_only_the_document_level_links(engine, tmp_path):
    """No BL line of ZCRU260301234 fits (another PO): the receipt is still linked to the bill, and the order's
    chain read from the stored links (the API's) carries it."""
    from aggregator.api.chain import order_chain
    from aggregator.store.models.logistics import TransportDocumentLineRow, TransportDocumentRow
    from aggregator.store.models.marketplace import OrderLineRow, OrderRow

    load_story(engine, tmp_path)
    with session_scope(engine) as session:
        doc = session.execute(select(TransportDocumentRow).where(
            TransportDocumentRow.doc_number == "ZCRU260301234")).scalar_one()
        for line in session.execute(select(TransportDocumentLineRow).where(
                TransportDocumentLineRow.document_pk == doc.id)).scalars():
            line.po_numbers = "PO-SOMEONE-ELSE"
    assert cli_run(engine, tmp_path, "match", "--policy", POLICY).exit_code == 0
    with session_scope(engine) as session:
        assert session.execute(select(MatchLinkRow.method).where(
            MatchLinkRow.step == "receipt_transport_doc", MatchLinkRow.left_key == W + "ASN-LMN-260310-01|3")
        ).scalar_one() == "exact:document"
        order = session.execute(select(OrderRow).where(OrderRow.order_id == "8812345679999")).scalar_one()
        lines = list(session.execute(select(OrderLineRow).where(OrderLineRow.order_pk == order.id)).scalars())
        chain = order_chain(session, order, [line.line_ref for line in lines])
    assert [(c["lot_id"], c["container_no"], c["transport_document_no"], c["customs_declaration_no"])
            for c in chain.links] == [("LOT-TCLU6543214-LMP", "TCLU6543214", "ZCRU260301234", "K1PLACEHOLDER0001")]
    assert "on_board" in [s["step"] for s in chain.timeline]
