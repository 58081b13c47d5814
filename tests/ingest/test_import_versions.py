"""Newer versions replace older ones by natural key with an audit entry; events keep ACT over EST;
chunk boundaries and non-contiguous rows never lose or duplicate lines."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func, select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.logistics import TransportMilestoneRow
from aggregator.store.models.warehouse import WarehouseShipmentLineRow, WarehouseShipmentRow


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def lines_of(engine, outbound_no: str) -> list[tuple]:
    with session_factory(engine)() as s:
        pk = s.execute(select(WarehouseShipmentRow.id).where(WarehouseShipmentRow.wms_outbound_no == outbound_no)).scalar_one()
        return s.execute(select(WarehouseShipmentLineRow.line_no, WarehouseShipmentLineRow.sku, WarehouseShipmentLineRow.quantity,
                                WarehouseShipmentLineRow.lot_id).where(WarehouseShipmentLineRow.shipment_pk == pk)
                         .order_by(WarehouseShipmentLineRow.line_no)).all()


def test_newer_version_replaces_older_with_an_audit_entry(engine, samples, tmp_path):
    header, rows = read_rows(samples / "warehouse_outbound.csv")
    col = {n: i for i, n in enumerate(header)}
    import_file(engine, "outbound", samples / "warehouse_outbound.csv", owner_id="L")
    with session_factory(engine)() as s:
        first_hash = s.execute(select(WarehouseShipmentRow.content_hash).where(
            WarehouseShipmentRow.wms_outbound_no == "OC900260315000003")).scalar_one()
    # version 2: the shipped Shopee package is now delivered; the TikTok outbound lost its second lot line
    v2 = [list(r) for r in rows]
    v2[2][col["status"]], v2[2][col["delivered_at"]] = "DELIVERED", "2026-03-18T09:00:00+08:00"
    v2 = v2[:7] + v2[8:]
    v2[6][col["qty"]] = "3"
    summary = import_file(engine, "outbound", write_rows(tmp_path / "v2.csv", header, v2), owner_id="L")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 5)
    with session_factory(engine)() as s:
        shipped = s.execute(select(WarehouseShipmentRow).where(WarehouseShipmentRow.wms_outbound_no == "OC900260315000003")).scalar_one()
        assert shipped.status == "DELIVERED"
        entry = s.execute(select(AuditEntry).where(AuditEntry.entity == "warehouse_shipments", AuditEntry.action == "update",
                                                   AuditEntry.entity_key == "L|MYPKG-WH01|OC900260315000003")).scalar_one()
        # the audit entry names the values that changed; the new source rows' hash is stored with them
        assert entry.changes == {"status": ["SHIPPED", "DELIVERED"], "raw_status": ["SHIPPED", "DELIVERED"],
                                 "delivered_at": [None, "2026-03-18T01:00:00+00:00"]}
        assert shipped.content_hash != first_hash
    assert lines_of(engine, "OC900260315000005") == [(1, "LMN-EB-BT53-BLK", 3, "LOT-SZXAIR260305-EBB")]


def test_chunk_boundaries_do_not_split_records(engine, samples):
    summary = import_file(engine, "outbound", samples / "warehouse_outbound.csv", owner_id="L", chunk_rows=2)
    assert (summary.rows_read, summary.created, summary.rows_rejected) == (10, 7, 0)
    assert [ln[1] for ln in lines_of(engine, "OC900260315000004")] == ["LMN-PC-IP15-CLR", "LMN-PC-IP15-CLR", "LMN-PC-IP15-BLK"]


def test_non_contiguous_rows_of_one_record_are_stored_together(engine, samples, tmp_path):
    header, rows = read_rows(samples / "warehouse_outbound.csv")
    shuffled = [rows[3], rows[0], rows[4], rows[1], rows[5]] + rows[6:] + [rows[2]]
    summary = import_file(engine, "outbound", write_rows(tmp_path / "s.csv", header, shuffled), owner_id="L", chunk_rows=3)
    assert (summary.rows_rejected, summary.created, summary.updated, summary.warnings) == (0, 7, 0, 0)
    assert [ln[0] for ln in lines_of(engine, "OC900260315000004")] == [1, 2, 3]
    with session_factory(engine)() as s:
        assert s.execute(select(func.count()).select_from(WarehouseShipmentLineRow)).scalar_one() == 10


def _event(event_id: str, classifier: str, at: str, created: str) -> dict:
    return {"metadata": {"eventID": event_id, "eventCreatedDateTime": created, "eventType": "TRANSPORT"},
            "payload": {"eventType": "TRANSPORT", "eventClassifierCode": classifier, "eventDateTime": at,
                        "transportEventTypeCode": "ARRI",
                        "transportCall": {"transportCallReference": "TC-MYPKG-1", "location": {"UNLocationCode": "MYPKG"}}}}


def milestone(engine) -> tuple[str, str]:
    with session_factory(engine)() as s:
        row = s.execute(select(TransportMilestoneRow)).scalar_one()
        return row.classifier, row.event_id


def test_est_replaces_earlier_est_and_act_is_never_overwritten_by_est(engine, tmp_path):
    def feed(name: str, *events: dict):
        path = tmp_path / name
        path.write_text(json.dumps({"events": list(events)}), encoding="utf-8")
        return import_file(engine, "dcsa-events", path, owner_id="L")

    feed("1.json", _event("e1", "EST", "2026-03-09T07:00:00+08:00", "2026-03-05T00:00:00+08:00"))
    assert milestone(engine) == ("EST", "e1")
    feed("2.json", _event("e2", "EST", "2026-03-09T09:00:00+08:00", "2026-03-07T00:00:00+08:00"))
    assert milestone(engine) == ("EST", "e2")
    feed("3.json", _event("e0", "EST", "2026-03-08T00:00:00+08:00", "2026-03-01T00:00:00+08:00"))  # older estimate, late
    assert milestone(engine) == ("EST", "e2")
    feed("4.json", _event("a1", "ACT", "2026-03-09T07:42:00+08:00", "2026-03-09T07:48:00+08:00"))
    assert milestone(engine) == ("ACT", "a1")
    summary = feed("5.json", _event("e3", "EST", "2026-03-10T00:00:00+08:00", "2026-03-09T12:00:00+08:00"))
    assert summary.created == 1 and milestone(engine) == ("ACT", "a1")  # the event is kept, the actual stays


def test_bad_event_is_reported_and_the_others_kept(engine, tmp_path):
    bad = _event("x", "MAYBE", "not a time", "2026-03-01T00:00:00Z")
    path = tmp_path / "events.json"
    path.write_text(json.dumps([_event("ok", "ACT", "2026-03-09T07:42:00+08:00", "2026-03-09T07:48:00+08:00"), bad]))
    summary = import_file(engine, "dcsa-events", path, owner_id="L")
    assert summary.created == 1 and summary.rows_rejected == 1
    assert summary.problem_counts["bad_classifier"] == 1 and summary.problem_counts["bad_datetime"] == 1
    assert {p.field for p in summary.sample_problems} == {"[1].eventClassifierCode", "[1].eventDateTime"}


def test_a_batch_that_fails_falls_back_to_one_record_at_a_time(engine, samples, monkeypatch):
    from aggregator.ingest import bulk

    def refuse(*args, **kwargs):
        raise ValueError("batch refused")

    monkeypatch.setattr(bulk, "insert_new", refuse)  # the columnar and the Aggregate batches
    summary = import_file(engine, "outbound", samples / "warehouse_outbound.csv", owner_id="L")
    assert (summary.status, summary.created) == ("COMPLETED", 7)
    with session_factory(engine)() as s:
        assert s.execute(select(func.count()).select_from(WarehouseShipmentLineRow)).scalar_one() == 10
        assert s.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "create", AuditEntry.entity == "warehouse_shipments")).scalar_one() == 7


def test_every_commit_of_an_import_waits_for_the_wal_flush(pg_engine, samples, monkeypatch):
    """No chunk commits asynchronously: one lost in a server crash and restart would leave the file marked
    COMPLETED (the import goes on over a fresh pooled connection) with its rows missing, and a re-import
    would answer ALREADY_IMPORTED."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    seen = []
    commit = Session.commit

    def noting(session):
        seen.append(session.execute(text("SHOW synchronous_commit")).scalar_one())
        commit(session)

    monkeypatch.setattr(Session, "commit", noting)
    summary = import_file(pg_engine, "outbound", samples / "warehouse_outbound.csv", owner_id="L", chunk_rows=4)
    assert (summary.status, summary.created) == ("COMPLETED", 7)
    assert len(seen) > 2 and set(seen) == {"on"}


def test_a_value_the_database_refuses_rejects_only_its_record(pg_engine, samples, tmp_path):
    header, rows = read_rows(samples / "warehouse_outbound.csv")
    rows[0][header.index("weight_g")] = "9" * 12  # more than PostgreSQL's integer column holds
    summary = import_file(pg_engine, "outbound", write_rows(tmp_path / "heavy.csv", header, rows), owner_id="L")
    assert summary.created == 6 and summary.rows_rejected == 1
    assert summary.problem_counts["store_failed"] == 1


def test_a_value_longer_than_its_column_is_refused_before_the_database(engine, samples, tmp_path):
    header, rows = read_rows(samples / "warehouse_outbound.csv")
    rows[0][header.index("wms_outbound_no")] = "OC" + "9" * 80  # longer than the column allows
    summary = import_file(engine, "outbound", write_rows(tmp_path / "long.csv", header, rows), owner_id="L")
    assert summary.created == 6 and summary.rows_rejected == 1
    assert summary.problem_counts["too_long"] == 1 and "store_failed" not in summary.problem_counts


def test_an_older_version_never_overwrites_a_newer_one(engine, samples, tmp_path):
    header, rows = read_rows(samples / "warehouse_outbound.csv")
    header = [*header, "source_updated_at"]
    newer = [[*r, "2026-03-20T00:00:00Z"] for r in rows[:2]]
    older = [[*r, "2026-03-16T00:00:00Z"] for r in rows[:2]]
    older[0][header.index("status")] = "PICKED"
    import_file(engine, "outbound", write_rows(tmp_path / "newer.csv", header, newer), owner_id="L")
    summary = import_file(engine, "outbound", write_rows(tmp_path / "older.csv", header, older), owner_id="L")
    assert (summary.stale, summary.updated) == (2, 0)
    with session_factory(engine)() as s:
        status = s.execute(select(WarehouseShipmentRow.status).where(
            WarehouseShipmentRow.wms_outbound_no == "OC900260315000001")).scalar_one()
    assert status == "DELIVERED"
