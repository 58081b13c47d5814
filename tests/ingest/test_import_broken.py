"""The corpus of broken files: clear errors (file, line, column, value, reason), no crash, nothing valid lost."""
from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.logistics import ImportFileRow, ImportRejectRow
from aggregator.store.models.warehouse import (
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)


def rejects(engine, severity="error"):
    with session_factory(engine)() as s:
        return s.execute(select(ImportRejectRow).where(ImportRejectRow.severity == severity)
                         .order_by(ImportRejectRow.line, ImportRejectRow.id)).scalars().all()


def shipment_lines(engine) -> int:
    with session_factory(engine)() as s:
        return s.execute(select(func.count()).select_from(WarehouseShipmentLineRow)).scalar_one()


def test_bad_values_reject_only_their_rows(engine, ingest_fixtures, tmp_path):
    report = tmp_path / "rejects.csv"
    summary = import_file(engine, "outbound", ingest_fixtures / "broken" / "outbound_bad_values.csv",
                          owner_id="LUMINA", report_path=report)
    assert summary.status == "COMPLETED_WITH_REJECTS" and summary.rows_rejected == 3
    assert shipment_lines(engine) == 7  # the seven good rows are all stored
    found = [(r.line, r.column, r.value, r.code) for r in rejects(engine)]
    assert found == [(2, "created_at", "2026-13-45T00:00:00+08:00", "bad_datetime"), (3, "qty", "-1", "bad_quantity"),
                     (4, "qty", "1.5", "bad_quantity")]
    assert "negative quantity" in rejects(engine)[1].reason
    with report.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["column"], r["code"]) for r in rows] == [
        ("2", "created_at", "bad_datetime"), ("3", "qty", "bad_quantity"), ("4", "qty", "bad_quantity")]
    assert all(r["file"].endswith("outbound_bad_values.csv") and r["reason"] for r in rows)


def test_a_rejected_row_keeps_its_raw_values_for_the_fix(engine, ingest_fixtures):
    import_file(engine, "outbound", ingest_fixtures / "broken" / "outbound_bad_values.csv", owner_id="LUMINA")
    negative = next(r for r in rejects(engine) if r.line == 3)
    assert negative.raw_row["qty"] == "-1" and negative.raw_row["wms_outbound_no"] == "OC900260315000002"


def test_duplicate_row_is_rejected_and_the_original_kept(engine, ingest_fixtures):
    summary = import_file(engine, "outbound", ingest_fixtures / "broken" / "outbound_duplicate_row.csv", owner_id="L")
    assert summary.rows_rejected == 1 and summary.problem_counts["duplicate_row"] == 1
    (dup,) = rejects(engine)
    assert dup.line == 6 and dup.reason == "duplicate of line 5"
    assert shipment_lines(engine) == 10


@pytest.mark.parametrize("name,kind,code,words", [
    ("outbound_missing_qty_column.csv", "outbound", "missing_columns", "missing required column(s): qty"),
    ("empty.csv", "outbound", "empty", "the file is empty"),
    ("outbound_gbk_remark.csv", "outbound", "wrong_encoding", "--encoding gbk"),
    ("not_json.json", "dcsa-events", "bad_json", "not valid JSON"),
])
def test_unusable_files_fail_with_a_clear_reason_and_store_nothing(engine, ingest_fixtures, name, kind, code, words):
    summary = import_file(engine, kind, ingest_fixtures / "broken" / name, owner_id="L")
    assert summary.status == "FAILED" and not summary.clean
    assert words in summary.error and name in summary.error
    assert summary.problem_counts[code] == 1
    assert shipment_lines(engine) == 0
    with session_factory(engine)() as s:
        assert s.execute(select(ImportFileRow.status)).scalar_one() == "FAILED"


def test_failed_import_can_be_retried_with_the_right_encoding(engine, ingest_fixtures):
    path = ingest_fixtures / "broken" / "outbound_gbk_remark.csv"
    assert import_file(engine, "outbound", path, owner_id="L").status == "FAILED"
    retry = import_file(engine, "outbound", path, owner_id="L", encoding="gbk")
    assert retry.status == "COMPLETED" and shipment_lines(engine) == 10
    with session_factory(engine)() as s:
        remark = s.execute(select(WarehouseShipmentRow.remark).where(
            WarehouseShipmentRow.wms_outbound_no == "OC900260315000001")).scalar_one()
    assert remark == "买家取消订单"


def test_header_only_file_imports_nothing_cleanly(engine, ingest_fixtures):
    summary = import_file(engine, "outbound", ingest_fixtures / "broken" / "header_only.csv", owner_id="L")
    assert summary.status == "COMPLETED" and summary.rows_read == 0


def test_file_of_another_kind_is_named(engine, samples):
    summary = import_file(engine, "outbound", samples / "warehouse_inbound.csv", owner_id="L")
    assert summary.status == "FAILED" and "looks like a file of kind 'inbound'" in summary.error
    ebl = import_file(engine, "dcsa-events", samples / "forwarder_bl.csv", owner_id="L")
    assert ebl.status == "FAILED" and "not valid JSON" in ebl.error


def test_huge_field_rejects_that_row_only(engine, ingest_fixtures):
    summary = import_file(engine, "outbound", ingest_fixtures / "broken" / "outbound_huge_field.csv", owner_id="L")
    assert summary.rows_rejected == 1 and shipment_lines(engine) == 9
    (huge,) = rejects(engine)
    assert (huge.line, huge.column, huge.code) == (2, "remark", "field_too_long")
    assert "200000 characters" in huge.reason and len(huge.value) < 200


def test_local_times_need_a_declared_zone(engine, ingest_fixtures):
    path = ingest_fixtures / "broken" / "outbound_local_times.csv"
    refused = import_file(engine, "outbound", path, owner_id="L")
    assert refused.rows_rejected == 3 and "declare one with --timezone" in rejects(engine)[0].reason
    accepted = import_file(engine, "outbound", path, owner_id="L", timezone_name="Asia/Kuala_Lumpur")
    assert accepted.status == "COMPLETED" and accepted.created == 3
    with session_factory(engine)() as s:
        created = s.execute(select(WarehouseShipmentRow.wms_created_at).where(
            WarehouseShipmentRow.wms_outbound_no == "OC900260315000001")).scalar_one()
    assert created == datetime(2026, 3, 14, 16, 5, 12, tzinfo=UTC)


def test_bad_container_check_digit_is_flagged_not_dropped(engine, ingest_fixtures):
    summary = import_file(engine, "inbound", ingest_fixtures / "broken" / "inbound_bad_check_digit.csv",
                          owner_id="LUMINA-HK")
    assert summary.status == "COMPLETED" and summary.rows_rejected == 0
    assert summary.warnings == 3 and summary.problem_counts == {"container_check_digit": 3}
    with session_factory(engine)() as s:
        receipt = s.execute(select(WarehouseReceiptRow).where(WarehouseReceiptRow.asn_no == "ASN-LMN-260310-01")).scalar_one()
    assert (receipt.container_no, receipt.container_no_valid) == ("TCLU6543215", False)


def test_an_import_with_rejects_parks_one_exception_for_operations(engine, ingest_fixtures):
    from aggregator.store.models.exceptions import ExceptionItem

    summary = import_file(engine, "outbound", ingest_fixtures / "broken" / "outbound_bad_values.csv", owner_id="L")
    with session_factory(engine)() as s:
        item = s.execute(select(ExceptionItem)).scalar_one()
    assert (item.source, item.kind, item.status, item.owner_id) == ("import:outbound", "import_rejects", "open", "L")
    assert item.record_key == f"import_files:{summary.import_id}" and "3 row(s) rejected" in item.reason
    assert len(item.raw_payload["problems"]) == 3


def test_bad_awb_check_digit_and_non_unlocode_port_are_flagged_not_dropped(engine, samples, tmp_path):
    text = (samples / "forwarder_bl.csv").read_text(encoding="utf-8")
    broken = tmp_path / "bl.csv"
    broken.write_text(text.replace("AIR,MASTER,618-50123452", "AIR,MASTER,618-50123453")
                      .replace("CNSZX,CNSZX,MYKUL,MYKUL", "CNSZX,CNSZX,KUALA LUMPUR,MYKUL"), encoding="utf-8")
    summary = import_file(engine, "bl", broken, owner_id="L")
    assert summary.status == "COMPLETED" and summary.created == 6 and summary.rows_rejected == 0
    assert summary.problem_counts["awb_check_digit"] == 1 and summary.problem_counts["unlocode_pattern"] == 2
    with session_factory(engine)() as s:
        from aggregator.store.models.logistics import TransportDocumentRow

        mawb = s.execute(select(TransportDocumentRow).where(TransportDocumentRow.doc_number == "61850123453")).scalar_one()
    assert (mawb.doc_number_valid, mawb.port_of_discharge) == (False, "KUALA LUMPUR")
