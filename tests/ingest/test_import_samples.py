"""Every kind imports its standard sample as it is, on SQLite and PostgreSQL; re-import is a no-op."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    ImportFileRow,
    TransportContainerRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
    TransportEndorsementRow,
    TransportEventRow,
    TransportMilestoneRow,
    TransportReferenceRow,
)
from aggregator.store.models.warehouse import (
    StockSnapshotRow,
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)

SAMPLE_FILES = {
    "bl": "forwarder_bl.csv", "customs": "customs_entry_my_k1.csv", "inbound": "warehouse_inbound.csv",
    "outbound": "warehouse_outbound.csv", "stock": "stock_lots_snapshot.csv", "dcsa-ebl": "ebl_dcsa_v3.json",
    "dcsa-events": "ebl_dcsa_v3.json",
}
EXPECTED = {  # kind: (rows read, records)
    "bl": (7, 6), "customs": (4, 3), "inbound": (7, 3), "outbound": (10, 7), "stock": (8, 8), "dcsa-ebl": (1, 1),
    "dcsa-events": (11, 11),
}


def count(engine, model, *where) -> int:
    with session_factory(engine)() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.mark.parametrize("kind", list(SAMPLE_FILES))
def test_standard_sample_imports_cleanly_and_reimport_is_a_noop(engine, samples, kind, tmp_path):
    summary = import_file(engine, kind, samples / SAMPLE_FILES[kind], owner_id="LUMINA")
    assert summary.status == "COMPLETED", summary.describe()
    assert (summary.rows_read, summary.created) == EXPECTED[kind]
    assert summary.rows_rejected == 0 and summary.warnings == 0
    audit_before = count(engine, AuditEntry)
    again = import_file(engine, kind, samples / SAMPLE_FILES[kind], owner_id="LUMINA")
    assert again.status == "ALREADY_IMPORTED" and again.import_id == summary.import_id
    assert count(engine, AuditEntry) == audit_before
    assert count(engine, ImportFileRow) == 1


def test_same_content_under_another_name_is_a_noop(engine, samples, tmp_path):
    copy = tmp_path / "renamed.csv"
    copy.write_bytes((samples / "warehouse_outbound.csv").read_bytes())
    import_file(engine, "outbound", samples / "warehouse_outbound.csv", owner_id="LUMINA")
    assert import_file(engine, "outbound", copy, owner_id="LUMINA").status == "ALREADY_IMPORTED"


def test_bl_report_maps_documents_containers_and_lines(engine, samples):
    import_file(engine, "bl", samples / "forwarder_bl.csv", owner_id="LUMINA")
    with session_factory(engine)() as s:
        doc = s.execute(select(TransportDocumentRow).where(TransportDocumentRow.doc_number == "ZCRU260301234")).scalar_one()
        assert (doc.doc_type, doc.mode, doc.doc_level, doc.is_to_order, doc.is_electronic) == ("BOL", "OCEAN", "MASTER", True, True)
        assert doc.shipped_on_board_date.isoformat() == "2026-03-02" and doc.port_of_discharge == "MYPKG"
        lines = s.execute(select(TransportDocumentLineRow).where(TransportDocumentLineRow.document_pk == doc.id)
                          .order_by(TransportDocumentLineRow.line_no)).scalars().all()
        assert [(ln.packages, ln.gross_weight_kg) for ln in lines] == [(820, Decimal("6150.000")), (310, Decimal("2480.500"))]
        container = s.execute(select(TransportContainerRow).where(TransportContainerRow.document_pk == doc.id)).scalar_one()
        assert (container.container_no, container.check_digit_valid, container.seals) == ("TCLU6543214", True, "ZC0918231")
        house = s.execute(select(TransportDocumentRow).where(TransportDocumentRow.doc_number == "SZXFWD2603001")).scalar_one()
        assert (house.doc_level, house.master_doc_number, house.release_type) == ("HOUSE", "ZCRU260304417", "TELEX_RELEASE")
        mawb = s.execute(select(TransportDocumentRow).where(TransportDocumentRow.doc_number == "61850123452")).scalar_one()
        assert (mawb.mode, mawb.doc_type, mawb.doc_number_valid) == ("AIR", "MAWB", True)
        refs = set(s.execute(select(TransportReferenceRow.kind, TransportReferenceRow.value)
                             .where(TransportReferenceRow.document_pk == house.id)).all())
        assert refs == {("MBL", "ZCRU260304417"), ("BKG", "ZCRB7781377"), ("PO", "PO-LMN-2026-0044")}


def test_customs_entry_keeps_money_exact_and_references(engine, samples):
    import_file(engine, "customs", samples / "customs_entry_my_k1.csv", owner_id="LUMINA")
    with session_factory(engine)() as s:
        entry = s.execute(select(CustomsEntryRow).where(CustomsEntryRow.declaration_no == "K1PLACEHOLDER0001")).scalar_one()
        assert entry.released_at == datetime(2026, 3, 11, 2, 50, tzinfo=UTC)
        assert entry.transport_doc_refs == "MBL:ZCRU260301234" and entry.container_nos == "TCLU6543214"
        assert (entry.importer_registration_no, entry.vessel_or_flight) == ("BRN-PLACEHOLDER-0001", "ZC HARMONY 2609W")
        lines = s.execute(select(CustomsEntryLineRow).where(CustomsEntryLineRow.entry_pk == entry.id)
                          .order_by(CustomsEntryLineRow.line_no)).scalars().all()
        assert [(ln.quantity, ln.customs_value, ln.currency, ln.tax, ln.invoice_value, ln.invoice_currency)
                for ln in lines] == [
            (16400, Decimal("438000.00"), "MYR", Decimal("43800.00"), Decimal("98400.00"), "USD"),
            (1860, Decimal("65472.00"), "MYR", Decimal("6547.20"), Decimal("14880.00"), "USD")]
        assert [(ln.fx_rate, ln.valuation_basis, ln.preference_doc_no) for ln in lines] == [
            (Decimal("4.4000"), "CIF", "FORM-E-PLACEHOLDER-01")] * 2


def test_inbound_receipts_with_partial_confirmation(engine, samples):
    from aggregator.owners.aliases import add_alias
    from aggregator.store.db import session_scope

    with session_scope(engine) as session:
        add_alias(session, "LUMINA-HK", "owner_code", "LUMINA-HK")
    import_file(engine, "inbound", samples / "warehouse_inbound.csv")  # owner from owner_code
    with session_factory(engine)() as s:
        partial = s.execute(select(WarehouseReceiptRow).where(WarehouseReceiptRow.asn_no == "ASN-LMN-260310-02")).scalar_one()
        assert (partial.owner_id, partial.status, partial.raw_status, partial.is_final) == (
            "LUMINA-HK", "PARTIALLY_RECEIVED", "PARTFULFILLED", False)
        assert partial.container_no == "SEGU4812090" and partial.container_no_valid is True
        lines = s.execute(select(WarehouseReceiptLineRow).where(WarehouseReceiptLineRow.receipt_pk == partial.id)
                          .order_by(WarehouseReceiptLineRow.line_no)).scalars().all()
        assert [(ln.planned_qty, ln.received_good_qty) for ln in lines] == [(3000, 2980), (2500, 2500), (1500, 0)]


def test_outbound_groups_lines_per_package(engine, samples):
    import_file(engine, "outbound", samples / "warehouse_outbound.csv", owner_id="LUMINA")
    with session_factory(engine)() as s:
        lazada = s.execute(select(WarehouseShipmentRow).where(WarehouseShipmentRow.wms_outbound_no == "OC900260315000004")).scalar_one()
        assert (lazada.platform, lazada.order_id, lazada.status) == ("lazada", "8812345670001", "DELIVERED")
        refs = s.execute(select(WarehouseShipmentLineRow.order_line_ref).where(
            WarehouseShipmentLineRow.shipment_pk == lazada.id).order_by(WarehouseShipmentLineRow.line_no)).scalars().all()
        assert refs == ["8812345670101", "8812345670103", "8812345670102"]
        cancelled = s.execute(select(WarehouseShipmentRow).where(WarehouseShipmentRow.wms_outbound_no == "OC900260315000006")).scalar_one()
        assert (cancelled.status, cancelled.raw_status) == ("CANCELLED", "CANCELED")
    assert count(engine, WarehouseShipmentLineRow) == 10


def test_stock_snapshot_keeps_title_risk_custody_apart(engine, samples):
    import_file(engine, "stock", samples / "stock_lots_snapshot.csv", owner_id="LUMINA")
    with session_factory(engine)() as s:
        transit = s.execute(select(StockSnapshotRow).where(StockSnapshotRow.lot_id == "LOT-MSMU7300156-EBB")).scalar_one()
        assert (transit.title_holder, transit.risk_bearer, transit.custodian, transit.warehouse_code) == (
            "SUPPLIER-BRIGHTWAY", "LUMINA-HK", "CARRIER-ZCRU", "")
        lot = s.execute(select(StockSnapshotRow).where(StockSnapshotRow.lot_id == "LOT-SZXAIR260305-EBB")).scalar_one()
        assert (lot.qty_available, lot.unit_landed_cost, lot.cost_currency) == (237, Decimal("31.90"), "MYR")


def test_dcsa_ebl_and_events(engine, samples):
    import_file(engine, "dcsa-ebl", samples / "ebl_dcsa_v3.json", owner_id="LUMINA")
    import_file(engine, "dcsa-events", samples / "ebl_dcsa_v3.json", owner_id="LUMINA")
    with session_factory(engine)() as s:
        doc = s.execute(select(TransportDocumentRow)).scalar_one()
        codes = s.execute(select(TransportEndorsementRow.action_code).where(TransportEndorsementRow.document_pk == doc.id)
                          .order_by(TransportEndorsementRow.seq)).scalars().all()
        assert codes == ["ISSUE", "ENDORSE", "TRANSFER", "SURRENDER_FOR_DELIVERY", "SURRENDERED"]
        arrival = s.execute(select(TransportMilestoneRow).where(TransportMilestoneRow.code == "ARRI")).scalar_one()
        assert (arrival.classifier, arrival.event_id) == ("ACT", "evt-0006")
    assert count(engine, TransportEventRow) == 11
