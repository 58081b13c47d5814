"""The bulk import path stores exactly what the per-record path stores: rows, rejects, the audit trails the
audit route answers (a batch's ``create`` entries included).

Each file is imported twice into the same empty database, once through the batch writer
(``aggregator.ingest.bulk``) and once with ``bulk=False`` (every record through the per-record
upsert), and everything the import wrote is compared, minus surrogate ids and write times.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from aggregator.ingest import import_file
from aggregator.store.db import session_factory
from aggregator.store.models.audit import AuditEntry
from aggregator.store.models.logistics import (
    CustomsEntryLineRow,
    CustomsEntryRow,
    ImportFileRow,
    ImportRejectRow,
    TransportContainerRow,
    TransportDocumentLineRow,
    TransportDocumentRow,
    TransportEndorsementRow,
    TransportReferenceRow,
)
from aggregator.store.models.warehouse import (
    StockSnapshotRow,
    WarehouseReceiptLineRow,
    WarehouseReceiptRow,
    WarehouseShipmentLineRow,
    WarehouseShipmentRow,
)
from aggregator.store import audit_batch
from aggregator.store.upsert import BOOKKEEPING, entity_key

HEADERS = {TransportDocumentRow: ("owner_id", "doc_number"), CustomsEntryRow: ("owner_id", "country", "declaration_no"),
           WarehouseReceiptRow: ("owner_id", "warehouse_code", "asn_no"),
           WarehouseShipmentRow: ("owner_id", "warehouse_code", "wms_outbound_no"),
           StockSnapshotRow: ("owner_id", "snapshot_at", "lot_or_sku", "warehouse_code")}
CHILDREN = [(TransportDocumentLineRow, "document_pk", TransportDocumentRow),
            (TransportContainerRow, "document_pk", TransportDocumentRow),
            (TransportEndorsementRow, "document_pk", TransportDocumentRow),
            (TransportReferenceRow, "document_pk", TransportDocumentRow),
            (CustomsEntryLineRow, "entry_pk", CustomsEntryRow), (WarehouseReceiptLineRow, "receipt_pk", WarehouseReceiptRow),
            (WarehouseShipmentLineRow, "shipment_pk", WarehouseShipmentRow)]
SKIP = BOOKKEEPING | {"at", "import_file_pk"}

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "broken"

HOSTILE_OUTBOUND = "\n".join([
    "wms_outbound_no,outbound_type,status,platform,shop_id,sku,qty,warehouse_code,created_at,weight_g,remark",
    "OB-1,JYCK,SHIPPED,SHOPEE,S1,SKU-A,1,WH1,2026-03-15T08:00:00+08:00,180,first",
    "OB-1,JYCK,SHIPPED,SHOPEE,S1,SKU-B,2,WH1,2026-03-15T08:00:00+08:00,20,second line",
    "OB-2,JYCK,SHIPPED,LAZADA,S2,SKU-A,-3,WH1,2026-03-15T09:00:00+08:00,180,negative quantity",
    "OB-3,JYCK,SHIPPED,LAZADA,S2,SKU-C,1,WH1,15/03/2026,180,bad time",
    "OB-4,JYCK,SHIPPED,TIKTOK,S3,SKU-C,1,WH1,2026-03-15T10:00:00Z,180,ok  with   spaces ",
    "OB-4,JYCK,SHIPPED,TIKTOK,S3,SKU-C,1,WH1,2026-03-15T10:00:00Z,180,ok  with   spaces ",
    "OB-5,JYCK,SHIPPED,TIKTOK,S3,ＳＫＵ－Ｄ,1,WH1,2026-03-15T10:00:00Z,180,ful\x1bl-width SKU with ESC",
    "OB-6,JYCK,SHIPPED,NOWHERE,S3,ＳＫＵ－Ｄ,１,WH1,2026-03-15T10:00:00Z,180,unknown platform",
    "OB-1,JYCK,SHIPPED,SHOPEE,S1,SKU-Z,1,WH1,2026-03-15T08:00:00+08:00,5,late line of OB-1",
    ",JYCK,SHIPPED,SHOPEE,S1,SKU-Z,1,WH1,2026-03-15T08:00:00+08:00,5,no outbound number",
]) + "\n"


def _exact(value):
    """``value`` compared as written: a Decimal by its text (``1.0`` and ``1.00`` are equal numbers but not the
    same stored amount)."""
    return str(value) if isinstance(value, Decimal) else value


def _snapshot(engine) -> dict:
    """Everything an import wrote, keyed by natural keys (no surrogate ids, no write times)."""
    with session_factory(engine)() as session:
        out: dict = {}
        natural: dict = {}
        for model, key in HEADERS.items():
            rows = session.execute(select(model.__table__)).mappings().all()
            natural[model] = {row["id"]: tuple(row[k] for k in key) for row in rows}
            out[model.__tablename__] = sorted(
                (tuple(sorted((c, _exact(v)) for c, v in row.items() if c not in SKIP)) for row in rows), key=repr)
        for model, parent_col, parent in CHILDREN:
            rows = session.execute(select(model.__table__)).mappings().all()
            out[model.__tablename__] = sorted(
                ((natural[parent][row[parent_col]],
                  tuple(sorted((c, _exact(v)) for c, v in row.items() if c not in SKIP and c != parent_col))) for row in rows),
                key=repr)
        out["rejects"] = sorted((tuple(sorted((c, v) for c, v in row.items() if c not in SKIP))
                                 for row in session.execute(select(ImportRejectRow.__table__)).mappings()), key=repr)
        out["audit"] = _audit_trails(session)
        return out


def _audit_trails(session) -> list:
    """Every audit entry the audit route answers (``GET /api/v1/audit``) about the records: those stored per
    record, and the ``create`` entries of records whose creation an import batch recorded
    (``audit_batch.batch_creates``); not the exceptions queue's entries (a failed run's item, resolved by the
    clean run after it: ``tests/ingest/test_import_exception_item.py``)."""
    entries = [dict(row) for row in session.execute(  # (the exceptions queue's own entries are not the records')
        select(AuditEntry.__table__).where(AuditEntry.action != audit_batch.ACTION,
                                           AuditEntry.entity != "exception_items")).mappings()]
    for model, key in HEADERS.items():
        if audit_batch.COLUMN in model.__table__.c:
            records = {entity_key(row, key) for row in session.execute(select(model.__table__).where(
                model.__table__.c[audit_batch.COLUMN].is_not(None))).mappings()}
            for record in sorted(records):
                entries.extend(audit_batch.batch_creates(session, model.__tablename__, record))
    return sorted((tuple(sorted((c, json.dumps(v, sort_keys=True, default=str)) for c, v in entry.items() if c not in SKIP))
                   for entry in entries), key=repr)


def _clear(engine) -> None:
    with session_factory(engine)() as session:
        for model, _, _ in CHILDREN:
            session.execute(delete(model))
        for model in (*HEADERS, ImportRejectRow, ImportFileRow, AuditEntry):
            session.execute(delete(model))
        session.commit()


def _both_paths(engine, kind: str, path: Path, **options) -> tuple[dict, dict, tuple]:
    summaries = []
    snapshots = []
    for bulk in (True, False):
        _clear(engine)
        summary = import_file(engine, kind, path, bulk=bulk, **options)
        summaries.append((summary.status, summary.rows_read, summary.rows_rejected, summary.created,
                          dict(summary.problem_counts)))
        snapshots.append(_snapshot(engine))
    assert summaries[0] == summaries[1]
    return snapshots[0], snapshots[1], summaries[0]


@pytest.mark.parametrize(("kind", "name"), [("bl", "forwarder_bl.csv"), ("customs", "customs_entry_my_k1.csv"),
                                            ("inbound", "warehouse_inbound.csv"), ("outbound", "warehouse_outbound.csv"),
                                            ("stock", "stock_lots_snapshot.csv")])
def test_samples_store_the_same_on_both_paths(engine, kind: str, name: str) -> None:
    bulk, per_record, summary = _both_paths(engine, kind, SAMPLES / name, owner_id="LUMINA")
    assert summary[3] > 0 and bulk["audit"]
    assert bulk == per_record


def test_rejects_and_repairs_are_the_same_on_both_paths(engine, tmp_path: Path) -> None:
    path = tmp_path / "hostile_outbound.csv"
    path.write_text(HOSTILE_OUTBOUND, encoding="utf-8")
    bulk, per_record, summary = _both_paths(engine, "outbound", path, owner_id="L")
    assert summary[0] == "COMPLETED_WITH_REJECTS" and summary[2] >= 4
    assert {dict(r)["code"] for r in bulk["rejects"]} >= {"bad_quantity", "bad_datetime", "control_character",
                                                         "duplicate_row", "missing_value"}
    assert bulk == per_record


@pytest.mark.parametrize("name", ["outbound_bad_values.csv", "outbound_duplicate_row.csv"])
def test_broken_files_store_the_same_on_both_paths(engine, name: str) -> None:
    bulk, per_record, _ = _both_paths(engine, "outbound", BROKEN / name, owner_id="L")
    assert bulk == per_record


def test_reimport_of_a_cumulative_file_is_the_same_on_both_paths(engine, tmp_path: Path) -> None:
    """Yesterday's file again plus today's changes: unchanged, updated and new records come out the same
    (the bulk path finds the unchanged ones from their stored content hash)."""
    first = (SAMPLES / "warehouse_outbound.csv").read_text(encoding="utf-8")
    lines = first.splitlines()
    changed = lines[2].replace("DELIVERED", "RETURNED")
    assert changed != lines[2]
    second = "\n".join([*lines[:2], changed, *lines[3:],
                        lines[1].replace("OC900260315000001", "OC900260315000099")]) + "\n"
    (tmp_path / "day1.csv").write_text(first, encoding="utf-8")
    (tmp_path / "day2.csv").write_text(second, encoding="utf-8")
    results = []
    for bulk in (True, False):
        _clear(engine)
        import_file(engine, "outbound", tmp_path / "day1.csv", owner_id="LUMINA")
        summary = import_file(engine, "outbound", tmp_path / "day2.csv", owner_id="LUMINA", bulk=bulk)
        results.append(((summary.status, summary.created, summary.updated, summary.unchanged, summary.rows_rejected),
                        _snapshot(engine)))
    assert results[0][0][1:4] == (1, 1, 6)  # 7 outbounds yesterday, one changed today, one new
    assert results[0] == results[1]


# -- the columnar path (outbound with ``bulk``) against the per-row path -------------------------------

OUTBOUND_HEADER = ("wms_outbound_no,outbound_type,status,platform,shop_id,marketplace_order_id,order_line_ref,sku,qty,"
                   "stock_lot_id,warehouse_code,created_at,shipped_at,weight_g,remark")


def _outbound_rows(numbers: range, lines: int = 2, shop: str = "S1", platform: str = "SHOPEE") -> list[str]:
    return [f"OB-{n},JYCK,SHIPPED,{platform},{shop},O{n},{n}-{ln},SKU-{ln},{ln},LOT-1,WH1,"
            f"2026-03-{1 + n % 28:02d}T08:00:00+08:00,2026-03-{1 + n % 28:02d}T16:00:00+08:00,{10 * ln},r{n}"
            for n in numbers for ln in range(1, lines + 1)]


def _mixed_outbound() -> str:
    """Clean records around every case the columnar path hands to the per-row path: a record longer than
    a chunk, rows out of order, repeats, hostile and unparseable cells, an unknown status, a
    row naming no owner, one naming another owner's shop, a full-width and a padded key."""
    rows = [*_outbound_rows(range(1, 6)),
            *[f"OB-LONG,JYCK,SHIPPED,SHOPEE,S1,OL,L-{i},SKU-{i % 3},1,LOT-1,WH1,2026-03-05T08:00:00Z,,5,long"
              for i in range(9)],
            *_outbound_rows(range(6, 9), lines=1),
            "OB-FRAC,JYCK,SHIPPED,SHOPEE,S1,OF,F-1,SKU-1,1,LOT-1,WH1,2026-03-05T08:00:00.25Z,"
            "2026-03-05T08:00:01.000001+08:00,1,fractions of a second",
            "OB-2,JYCK,SHIPPED,SHOPEE,S1,O2,2-9,SKU-9,1,LOT-1,WH1,2026-03-03T08:00:00+08:00,,1,late line of OB-2",
            *_outbound_rows(range(9, 11)),
            _outbound_rows(range(9, 11))[-1],  # an exact repeat of the row before
            "OB-11,JYCK,SHIPPED,SHOPEE,S1,O11,11-1,SKU-1,-3,LOT-1,WH1,2026-03-03T08:00:00+08:00,,1,negative",
            "OB-11,JYCK,SHIPPED,SHOPEE,S1,O11,11-2,SKU-2,1,LOT-1,WH1,2026-03-03T08:00:00+08:00,,1,good line",
            "OB-12,JYCK,weird,SHOPEE,S1,O12,12-1,SKU-1,1,LOT-1,WH1,2026-03-03T08:00:00+08:00,,1,unknown status",
            "OB-12,JYCK,weird,nowhere,S1,O12,12-2,SKU-1,1,LOT-1,WH1,2026-03-03T08:00:00+08:00,,1,unknown platform",
            "OB-13,JYCK,SHIPPED,SHOPEE,S1,O13,13-1,SKU-1,1,LOT-1,WH1,15/03/2026,,1,bad time",
            "OB-14,JYCK,SHIPPED,SHOPEE,S1,O14,14-1,SKU-1,1,LOT-1,WH1,2026-03-03T08:00:00Z,,1,esc\x1b",
            "OB-15,JYCK,SHIPPED,SHOPEE,UNKNOWN-SHOP,O15,15-1,SKU-1,1,LOT-1,WH1,2026-03-03T08:00:00Z,,1,no owner",
            *_outbound_rows(range(16, 18), shop="S2", platform="LAZADA"),
            "ＯＢ－１８,JYCK,SHIPPED,SHOPEE,S1,O18,18-1,ＳＫＵ－１,１,LOT-1,WH1,2026-03-03T08:00:00Z,,1,full  width",
            " OB-19 ,JYCK,SHIPPED,SHOPEE,S1,O19,19-1,SKU-1,1,LOT-1, WH1 ,2026-03-03T08:00:00Z,,1,padded",
            *_outbound_rows(range(20, 26), lines=3)]
    return "\n".join([OUTBOUND_HEADER, *rows]) + "\n"


def _shops(engine) -> None:
    from cryptography.fernet import Fernet

    from aggregator.auth.shops import add_shop
    from aggregator.store.db import session_scope
    from aggregator.store.vault import Vault

    vault = Vault(Fernet.generate_key())
    with session_scope(engine) as session:
        for platform, shop_id, owner in (("shopee", "S1", "LUMINA"), ("lazada", "S2", "TROPIKA")):
            add_shop(session, vault, platform=platform, owner_id=owner, shop_id=shop_id, region="MY",
                     app_key="2001234" if platform == "shopee" else "100001", app_secret="secret-value")


@pytest.mark.parametrize("chunk_rows", [3, 10_000])
def test_a_cumulative_reimport_touches_only_what_changed_on_both_paths(engine, tmp_path: Path, chunk_rows: int) -> None:
    """Yesterday's rows again (one line changed, one written differently but meaning the same, one new
    record): the columnar path finds the rest unchanged from the source rows' hash and stores the same."""
    day1 = [OUTBOUND_HEADER, *_outbound_rows(range(1, 30))]
    day2 = list(day1)
    day2[3] = day2[3].replace(",SHIPPED,", ",DELIVERED,")  # OB-2 changed
    day2[5] = day2[5].replace(",JYCK,", ", JYCK ,")  # OB-3: the same record, its text padded
    day2.extend(_outbound_rows(range(30, 31)))
    (tmp_path / "day1.csv").write_text("\n".join(day1) + "\n", encoding="utf-8")
    (tmp_path / "day2.csv").write_text("\n".join(day2) + "\n", encoding="utf-8")
    results = []
    for bulk in (True, False):
        _clear(engine)
        import_file(engine, "outbound", tmp_path / "day1.csv", owner_id="LUMINA", chunk_rows=chunk_rows, bulk=bulk)
        summary = import_file(engine, "outbound", tmp_path / "day2.csv", owner_id="LUMINA", chunk_rows=chunk_rows,
                              bulk=bulk)
        results.append(((summary.status, summary.created, summary.updated, summary.unchanged), _snapshot(engine)))
    assert results[0][0] == ("COMPLETED", 1, 1, 28)
    assert results[0] == results[1]
    updates = [dict(a) for a in results[0][1]["audit"] if dict(a)["action"] == '"update"']
    assert [u["entity_key"] for u in updates] == ['"LUMINA|WH1|OB-2"']  # the padded record is unchanged


def test_a_clean_file_and_its_cumulative_reimport_go_the_fast_way_only(engine, tmp_path: Path, monkeypatch) -> None:
    """A clean new file, and the next day's file with one record more, never reach the per-record path."""
    _refuse_the_per_record_path(monkeypatch)
    fraction = ("OB-FRAC,JYCK,SHIPPED,SHOPEE,S1,OF,F-1,SKU-1,1,LOT-1,WH1,2026-03-05T08:00:00.25Z,"
                "2026-03-05T08:00:01.000001+08:00,1,fractions of a second")
    day1 = [OUTBOUND_HEADER, *_outbound_rows(range(1, 40)), fraction]
    (tmp_path / "day1.csv").write_text("\n".join(day1) + "\n", encoding="utf-8")
    (tmp_path / "day2.csv").write_text("\n".join([*day1, *_outbound_rows(range(40, 41))]) + "\n", encoding="utf-8")
    first = import_file(engine, "outbound", tmp_path / "day1.csv", owner_id="LUMINA", chunk_rows=25)
    assert (first.status, first.created) == ("COMPLETED", 40)
    again = import_file(engine, "outbound", tmp_path / "day2.csv", owner_id="LUMINA", chunk_rows=25)
    assert (again.status, again.created, again.updated, again.unchanged) == ("COMPLETED", 1, 0, 40)


def test_a_batch_whose_first_and_last_keys_are_new_but_others_stored_stores_what_the_per_record_path_does(
        engine, tmp_path: Path) -> None:
    """Records stored already in the middle of a batch whose first and last keys are new (on PostgreSQL the
    batch is COPied straight into the tables, meets a stored key and is written by the staged statement
    instead): the same rows, audit trails and counts as the per-record path, nothing written twice."""
    day1 = [OUTBOUND_HEADER, *_outbound_rows(range(10, 13))]
    day2 = [OUTBOUND_HEADER, *_outbound_rows(range(1, 21))]
    day2[day2.index(_outbound_rows(range(11, 12))[0])] = _outbound_rows(range(11, 12))[0].replace(",SHIPPED,", ",DELIVERED,")
    (tmp_path / "day1.csv").write_text("\n".join(day1) + "\n", encoding="utf-8")
    (tmp_path / "day2.csv").write_text("\n".join(day2) + "\n", encoding="utf-8")
    results = []
    for bulk in (True, False):
        _clear(engine)
        import_file(engine, "outbound", tmp_path / "day1.csv", owner_id="LUMINA", bulk=bulk)
        summary = import_file(engine, "outbound", tmp_path / "day2.csv", owner_id="LUMINA", bulk=bulk)
        results.append(((summary.status, summary.created, summary.updated, summary.unchanged), _snapshot(engine)))
    assert results[0][0] == ("COMPLETED", 17, 1, 2)
    assert results[0] == results[1]
    assert len(results[0][1]["warehouse_shipments"]) == 20


@pytest.mark.parametrize("chunk_rows", [2, 10_000])
def test_a_plain_csv_read_by_pyarrow_stores_what_the_csv_module_reading_stores(engine, tmp_path: Path,
                                                                              chunk_rows: int) -> None:
    """The mixed file as it is (plain: its data rows read column-wise by pyarrow) and with one cell quoted
    (the same cells, read by the csv module): the same rows, rejects with the same lines, audit, counts."""
    from platform_adapters.tabular import plain_csv

    _shops(engine)
    text = _mixed_outbound()
    quoted = text.replace("\nOB-1,", '\n"OB-1",', 1)
    snapshots, summaries = [], []
    for name, body in (("plain.csv", text), ("quoted.csv", quoted)):
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        _clear(engine)
        summaries.append(import_file(engine, "outbound", path, chunk_rows=chunk_rows))
        snapshots.append(_snapshot(engine))
    assert plain_csv.plain_data(tmp_path / "plain.csv", 1, ",") is not None
    assert plain_csv.plain_data(tmp_path / "quoted.csv", 1, ",") is None
    plain, by_csv = ((s.status, s.rows_read, s.rows_rejected, s.created, dict(s.problem_counts)) for s in summaries)
    assert plain == by_csv and plain[2] > 0 and plain[3] > 20
    assert snapshots[0] == snapshots[1]


# -- the columnar path for inbound (3PL receipts) against the per-row path ------------------------------

INBOUND_HEADER = ("asn_no,wms_receipt_no,warehouse_code,owner_code,importer_of_record,status,confirm_type,container_no,"
                  "mbl_no,received_at,expiry_date,line_no,sku,planned_qty,received_good_qty,received_damaged_qty,"
                  "variance_qty,remark")
#: a valid ISO 6346 container number and one whose check digit is wrong
CONTAINER, BAD_CONTAINER = "TCLU6543214", "TCLU6543215"


def _inbound_rows(numbers: range, lines: int = 2, code: str = "LMN") -> list[str]:
    return [f"ASN-{n},IC{n},WH1,{code},,FULFILLED,,{CONTAINER if n % 2 else ''},zcru-{n},"
            f"2026-03-{1 + n % 28:02d}T16:00:00+08:00,,{ln},SKU-{ln},{10 * ln},{10 * ln - 1},1,-1,r{n}"
            for n in numbers for ln in range(1, lines + 1)]


def _mixed_inbound() -> str:
    """Clean receipts around every case the columnar path hands to the per-row path."""
    rows = [*_inbound_rows(range(1, 5)),
            *[f"ASN-LONG,ICL,WH1,LMN,,PUT_AWAY,,,,2026-03-05T08:00:00Z,,,SKU-{i},5,5,0,0,long" for i in range(9)],
            *_inbound_rows(range(5, 8), lines=1),
            "ASN-2,IC2,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,9,SKU-9,1,1,0,0,late line of ASN-2",
            *_inbound_rows(range(8, 10)),
            _inbound_rows(range(8, 10))[-1],  # an exact repeat of the row before
            "ASN-10,IC10,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,1,SKU-1,-3,1,0,,negative",
            "ASN-10,IC10,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,2,SKU-2,\"1,200\",\"1,200\",0,0,separator",
            "ASN-11,IC11,WH1,LMN,,weird,,,,2026-03-03T16:00:00+08:00,,1,SKU-1,1,1,0,0,unknown status",
            "ASN-12,IC12,WH1,LMN,,RECEIVING,,,,15/03/2026,,1,SKU-1,1,1,0,0,bad time",
            "ASN-13,IC13,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,1,SKU-1,1,1,0,0,esc\x1b",
            "ASN-14,IC14,WH1,NOPE,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,1,SKU-1,1,1,0,0,unknown owner code",
            "ASN-15,IC15,WH1,,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,1,SKU-1,1,1,0,0,no owner at all",
            "ASN-16,IC16,WH1,,Lumina Commerce (M) Sdn Bhd,FULFILLED,1,,,2026-03-03T16:00:00+08:00,,1,SKU-1,1,1,0,0,"
            "by legal name; intermediate",
            *_inbound_rows(range(17, 19), code="TRP"),
            f"ASN-19,IC19,WH1,LMN,,FULFILLED,,{BAD_CONTAINER},,2026-03-03T16:00:00+08:00,,1,SKU-1,1,1,0,0,check digit",
            "ASN-20,IC20,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,2026-03-01,1,SKU-1,1,1,0,0,expired",
            "ASN-21,IC21,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,2027-03-01,1,SKU-1,5,3,0,0,variance",
            "ASN-22,IC22,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,1,SKU-1,5,5,0,0,line 1",
            "ASN-22,IC22,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,,SKU-2,5,5,0,0,numbered 2 by place",
            "ASN-22,IC22,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,2,SKU-3,5,5,0,0,line 2 again",
            "ＡＳＮ－２３,IC23,WH1,LMN,,ＦＵＬＦＩＬＬＥＤ,,,,２０２６-03-03T16:00:00+08:00,,１,ＳＫＵ－１,１,１,0,0,full  width",
            " ASN-24 ,IC24, WH1 ,LMN,,FULFILLED,,,,2026-03-03T08:00:00Z,,,SKU-1,1,1,,,padded",
            "ASN-25,IC25,WH1,LMN,,,,,,,,,SKU-1,1,,,,blank cells",
            "ASN-26,IC26,WH1,LMN,,,,,,2026-03-03T16:00:00,,,SKU-1,1,,,,local time without a zone",
            *_inbound_rows(range(27, 32), lines=3)]
    return "\n".join([INBOUND_HEADER, *rows]) + "\n"


def _inbound_owners(engine) -> None:
    from aggregator.owners.aliases import add_alias
    from aggregator.store.db import session_scope

    with session_scope(engine) as session:
        add_alias(session, "LUMINA", "owner_code", "LMN", "WH1")
        add_alias(session, "TROPIKA", "owner_code", "TRP", "WH1")
        add_alias(session, "LUMINA", "legal_name", "Lumina Commerce (M) Sdn Bhd", None)


#: kind → (mixed file, what its owners need, reject codes besides the common ones, header table)
MIXED = {"outbound": (_mixed_outbound, _shops, set(), "warehouse_shipments"),
         "inbound": (_mixed_inbound, _inbound_owners, {"container_check_digit", "expired_on_receipt",
                                                       "variance_mismatch"}, "warehouse_receipts")}


@pytest.mark.parametrize("kind", sorted(MIXED))
@pytest.mark.parametrize("chunk_rows", [1, 2, 4, 7, 10_000])
def test_the_columnar_path_stores_what_the_per_row_path_stores(engine, tmp_path: Path, kind: str,
                                                              chunk_rows: int) -> None:
    """Records carried across chunks, written in parts, merged, rejected or attributed per row: the same
    rows, rejects, audit entries and counts whatever the chunk size."""
    text, owners_for, codes_of_kind, table = MIXED[kind]
    owners_for(engine)
    path = tmp_path / f"mixed_{kind}.csv"
    path.write_text(text(), encoding="utf-8")
    bulk, per_record, summary = _both_paths(engine, kind, path, chunk_rows=chunk_rows)
    assert summary[0] == "COMPLETED_WITH_REJECTS" and summary[3] > 20
    codes = {dict(r)["code"] for r in bulk["rejects"]}
    assert codes >= {"bad_quantity", "bad_datetime", "control_character", "duplicate_row", "owner_unknown",
                     "unknown_status", *codes_of_kind}
    # (the late line of OB-2 / ASN-2 is stored with the record's other lines: ``test_import_scattered``)
    assert "rows_not_contiguous" not in codes
    if kind == "inbound":  # (a line number repeated in another part of a receipt: rejected as in one chunk)
        assert "duplicate_line_no" in codes
    assert {dict(row)["owner_id"] for row in bulk[table]} == {"LUMINA", "TROPIKA"}
    assert bulk == per_record


def _refuse_the_per_record_path(monkeypatch) -> None:
    """The fast path must not fail quietly into the per-record one (which stores the same)."""
    from aggregator.ingest import bulk, columnar_import

    def refuse(*args, **kwargs):
        raise AssertionError("a clean record went through the per-record path")

    monkeypatch.setattr(bulk, "write_aggregate", refuse)
    monkeypatch.setattr(columnar_import.ColumnarReader, "_per_record", refuse)


def test_a_clean_inbound_file_and_its_cumulative_reimport_go_the_fast_way_only(engine, tmp_path: Path,
                                                                                monkeypatch) -> None:
    _inbound_owners(engine)
    _refuse_the_per_record_path(monkeypatch)
    day1 = [INBOUND_HEADER, *_inbound_rows(range(1, 40), lines=3)]
    (tmp_path / "day1.csv").write_text("\n".join(day1) + "\n", encoding="utf-8")
    (tmp_path / "day2.csv").write_text("\n".join([*day1, *_inbound_rows(range(40, 41))]) + "\n", encoding="utf-8")
    first = import_file(engine, "inbound", tmp_path / "day1.csv", chunk_rows=25)
    assert (first.status, first.created) == ("COMPLETED", 39)
    again = import_file(engine, "inbound", tmp_path / "day2.csv", chunk_rows=25)
    assert (again.status, again.created, again.updated, again.unchanged) == ("COMPLETED", 1, 0, 39)


# messy cells: blank, padded, full-width, separators, odd dates and zones, unknown owners and statuses (the
# first two of each list are clean)
_MESSY = {
    "asn_no": ["ASN-1", "ASN-2", "ASN-3", " ASN-1 ", "ＡＳＮ－２", ""],
    "warehouse_code": ["WH1", "WH1", " WH1", "WH2", ""],
    "owner_code": ["LMN", "LMN", "TRP", "NOPE", "", "lmn"],
    "importer_of_record": ["", "", "Lumina Commerce (M) Sdn Bhd", "Somebody Else Sdn Bhd"],
    "status": ["FULFILLED", "PUT_AWAY", "partfulfilled", "RECEIVING", "", "weird", "ＣＬＯＳＥＤ"],
    "confirm_type": ["", "", "1", "0"],
    "container_no": ["", CONTAINER, "tclu 654321-4", BAD_CONTAINER],
    "mbl_no": ["", "ZCRU260301234", "zcru-2603 01234", "ＺＣＲＵ１"],
    "received_at": ["", "2026-03-12T14:40:00+08:00", "2026-03-12T06:40:00Z", "2026-03-12 14:40", "2026-03-12T14:40:00",
                    "12/03/2026 14:40", "2026-02-30T00:00:00Z", "２０２６-03-12T14:40:00+08:00", "2026-03-12T23:30:00-05:00"],
    "expiry_date": ["", "", "2027-01-31", "2026-03-12", "2026-03-11", "31/01/2027", "2026-03-12T00:00:00"],
    "line_no": ["", "", "1", "2", "3", "１", "0", "-1", "1.0"],
    "sku": ["SKU-1", "SKU-2", "ＳＫＵ－１", " SKU-3 ", ""],
    "planned_qty": ["10", "1,200", "１２", "", "-3", "1.5", "abc", "10.0", "1e2"],
    "received_good_qty": ["10", "", "9", "1,200", "x"],
    "received_damaged_qty": ["", "0", "1", "-1"],
    "variance_qty": ["", "0", "-1", "1,190", "1.5"],
    "remark": ["", "ok", "  spaced   out ", "tab\there", "ctl\x07", "是"],
}


@st.composite
def _messy_inbound(draw) -> list[dict[str, str]]:
    """Rows of up to 8 receipts; about half the receipts drawn from clean cells only (each list's first two)."""
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        cells = {name: values[:2] for name, values in _MESSY.items()} if draw(st.booleans()) else _MESSY
        record = {name: draw(st.sampled_from(cells[name])) for name in
                  ("asn_no", "warehouse_code", "owner_code", "importer_of_record", "status", "confirm_type",
                   "container_no", "mbl_no", "received_at")}
        for _ in range(draw(st.integers(1, 3))):
            row = dict(record)
            for name in ("expiry_date", "line_no", "sku", "planned_qty", "received_good_qty", "received_damaged_qty",
                         "variance_qty", "remark"):
                row[name] = draw(st.sampled_from(cells[name]))
            if draw(st.integers(0, 9)) == 0:  # now and then a header cell differs on a later row
                name = draw(st.sampled_from(("status", "owner_code", "container_no", "received_at", "confirm_type")))
                row[name] = draw(st.sampled_from(_MESSY[name]))
            rows.append(row)
            if draw(st.integers(0, 14)) == 0:
                rows.append(dict(row))  # an exact repeat
    return rows


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=_messy_inbound(), chunk_rows=st.sampled_from([1, 3, 10_000]))
def test_messy_inbound_rows_store_the_same_on_both_paths(engine, tmp_path_factory, rows, chunk_rows) -> None:
    """Arbitrary messy receipts (blank cells, odd dates and zones, separators, unknown owners and brands,
    repeats, rows out of order): the columnar and the per-row path store the same rows, rejects, audit
    entries and counts; a row whose owner is unknown is rejected, never defaulted."""
    import csv

    from aggregator.owners.aliases import add_alias
    from aggregator.store.db import session_scope
    from aggregator.store.models.tenancy import OwnerAliasRow

    with session_scope(engine) as session:
        if session.execute(select(OwnerAliasRow)).first() is None:
            for owner, kind, value, scope in (("LUMINA", "owner_code", "LMN", "WH1"),
                                              ("TROPIKA", "owner_code", "TRP", "WH1"),
                                              ("TROPIKA", "owner_code", "TRP", "WH2"),
                                              ("LUMINA", "legal_name", "Lumina Commerce (M) Sdn Bhd", None)):
                add_alias(session, owner, kind, value, scope)
    path = tmp_path_factory.mktemp("messy") / "inbound.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(_MESSY), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    bulk, per_record, summary = _both_paths(engine, "inbound", path, chunk_rows=chunk_rows)
    assert bulk == per_record
    owners = {dict(row)["owner_id"] for row in bulk["warehouse_receipts"]}
    assert owners <= {"LUMINA", "TROPIKA"}
    named_nobody = [row for row in rows if row["owner_code"].strip().upper() in ("NOPE", "")
                    and row["importer_of_record"] in ("", "Somebody Else Sdn Bhd") and "\x07" not in row["remark"]]
    if named_nobody:
        assert summary[4].get("owner_unknown", 0) > 0


# -- the columnar path for stock snapshots against the per-row path -------------------------------------

_STOCK_MESSY = {
    "snapshot_at": ["2026-03-16T23:59:59+08:00", "2026-03-16T15:59:59Z", "2026-03-16 23:59:59", "",
                    "16/03/2026", "２０２６-03-16T23:59:59+08:00", "2026-03-16T10:59:59-05:00",
                    "2026-03-16T23:59:59.25+08:00"],
    "lot_id": ["LOT-1", "LOT-2", "", " LOT-1 ", "ＬＯＴ－３"],
    "sku": ["SKU-1", "SKU-2", "", "ＳＫＵ－１"],
    "owner_code": ["LMN", "TRP", "", "NOPE"],
    "title_holder": ["", "", "LMN", "TRP", "SOMEONE"],
    "warehouse_code": ["WH1", "WH1", "", "WH2", " WH1 "],
    "title_state": ["owned_in_warehouse", "", "In Transit"],
    "container_no": ["", CONTAINER, BAD_CONTAINER, "tclu 654321-4"],
    "source_doc_no": ["", "zcru-2603 01234"],
    "received_at": ["", "2026-03-13T18:20:00+08:00", "13/03/2026", "2026-03-13 18:20"],
    "qty_available": ["", "10", "1,200", "-1", "１２", "1.5"],
    "qty_defective": ["0", "", "2", "x"],
    "unit_landed_cost_myr": ["", "29.04", "29.040", "1,029.5", "abc", "NaN", "1e2", "-0.00", "0.000", "1.50e-1", "-3.1"],
    "unit_landed_cost_currency": ["", "", "usd", "MYRX", "Ｍ"],
    "expiry_date": ["", "", "2027-01-31", "2026-03-15", "2026-03-16"],
    "cost_basis_note": ["", "note", "ctl\x07", "  spaced  "],
}


@st.composite
def _messy_stock(draw) -> list[dict[str, str]]:
    """Up to 12 snapshot rows, about half drawn from clean cells only (each list's first two), now and then a
    row repeated or a row with another row's key (its instant perhaps written another way)."""
    rows: list[dict[str, str]] = []
    for _ in range(draw(st.integers(1, 12))):
        cells = {name: values[:2] for name, values in _STOCK_MESSY.items()} if draw(st.booleans()) else _STOCK_MESSY
        row = {name: draw(st.sampled_from(values)) for name, values in cells.items()}
        if rows and draw(st.integers(0, 4)) == 0:
            earlier = draw(st.sampled_from(rows))
            row.update({name: earlier[name] for name in ("lot_id", "sku", "warehouse_code", "owner_code")})
        rows.append(row)
        if draw(st.integers(0, 14)) == 0:
            rows.append(dict(row))
    return rows


def _aliases_once(engine, aliases: list[tuple[str, str, str, str | None]]) -> None:
    """Register ``aliases`` (owner, kind, value, scope) unless the database holds aliases already (a hypothesis
    example after the first runs on the same database)."""
    from aggregator.owners.aliases import add_alias
    from aggregator.store.db import session_scope
    from aggregator.store.models.tenancy import OwnerAliasRow

    with session_scope(engine) as session:
        if session.execute(select(OwnerAliasRow)).first() is None:
            for owner, kind, value, scope in aliases:
                add_alias(session, owner, kind, value, scope)


def _stock_owners(engine) -> None:
    from aggregator.owners.aliases import add_alias
    from aggregator.store.db import session_scope
    from aggregator.store.models.tenancy import OwnerAliasRow

    with session_scope(engine) as session:
        if session.execute(select(OwnerAliasRow)).first() is None:
            for owner, code, scope in (("LUMINA", "LMN", "WH1"), ("TROPIKA", "TRP", "WH1"), ("TROPIKA", "TRP", "WH2")):
                add_alias(session, owner, "owner_code", code, scope)


def _csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=_messy_stock(), chunk_rows=st.sampled_from([1, 3, 10_000]))
def test_messy_stock_rows_store_the_same_on_both_paths(engine, tmp_path_factory, rows, chunk_rows) -> None:
    """Arbitrary messy snapshots (blank cells, instants written in other zones, separators, bad costs and
    currencies, unknown owner codes, repeated keys): the columnar and the per-row path store the same
    rows, rejects, audit entries and counts."""
    _stock_owners(engine)
    path = _csv(tmp_path_factory.mktemp("messy") / "stock.csv", list(_STOCK_MESSY), rows)
    bulk, per_record, _ = _both_paths(engine, "stock", path, chunk_rows=chunk_rows)
    assert bulk == per_record
    assert {dict(row)["owner_id"] for row in bulk["stock_snapshots"]} <= {"LUMINA", "TROPIKA"}


def test_equal_costs_written_with_other_exponents_are_stored_as_written_on_both_paths(engine, tmp_path: Path) -> None:
    """``1.0`` and ``1.00`` are equal numbers: the columnar path, which prices each distinct cost once, stores
    each cell's own amount (as the per-row path does), not the first-seen one for both."""
    _stock_owners(engine)
    rows = [{"snapshot_at": "2026-03-16T23:59:59+08:00", "lot_id": f"LOT-{n}", "sku": "SKU-1", "owner_code": "LMN",
             "warehouse_code": "WH1", "qty_available": "1", "unit_landed_cost_myr": cost}
            for n, cost in enumerate(["1.00", "1.0", "1.00", "1.0", "2.50", "2.5"])]
    path = _csv(tmp_path / "stock.csv", list(rows[0]), rows)
    bulk, per_record, _ = _both_paths(engine, "stock", path)
    assert bulk == per_record
    stored = {dict(row)["lot_id"]: dict(row)["unit_landed_cost"] for row in bulk["stock_snapshots"]}
    assert stored == {"LOT-0": "1.00", "LOT-1": "1.0", "LOT-2": "1.00", "LOT-3": "1.0", "LOT-4": "2.50", "LOT-5": "2.5"}


def test_a_clean_stock_file_and_its_reimport_go_the_fast_way_only(engine, tmp_path: Path, monkeypatch) -> None:
    _stock_owners(engine)
    _refuse_the_per_record_path(monkeypatch)
    rows = [{"snapshot_at": "2026-03-16T23:59:59+08:00", "lot_id": f"LOT-{n}", "sku": f"SKU-{n % 7}",
             "owner_code": "LMN", "warehouse_code": "WH1", "qty_available": str(n), "unit_landed_cost_myr": "1,029.50",
             "container_no": CONTAINER if n % 2 else ""} for n in range(60)]
    header = list(rows[0])
    _csv(tmp_path / "day1.csv", header, rows)
    _csv(tmp_path / "day2.csv", header, [*rows, {**rows[0], "lot_id": "LOT-NEW"}])
    first = import_file(engine, "stock", tmp_path / "day1.csv", chunk_rows=25)
    assert (first.status, first.created) == ("COMPLETED", 60)
    again = import_file(engine, "stock", tmp_path / "day2.csv", chunk_rows=25)
    assert (again.status, again.created, again.updated, again.unchanged) == ("COMPLETED", 1, 0, 60)


@pytest.mark.parametrize("chunk_rows", [1, 2, 10_000])
def test_one_snapshot_written_two_ways_is_stored_once_in_file_order_on_both_paths(engine, tmp_path: Path,
                                                                                 chunk_rows: int) -> None:
    """The same instant in two zones is the same snapshot key: the later row updates the earlier one on
    both paths (clean rows of one key, a clean row after a flagged one, and one in the next chunk)."""
    _stock_owners(engine)
    base = {"lot_id": "LOT-1", "sku": "SKU-1", "owner_code": "LMN", "warehouse_code": "WH1", "qty_available": "1"}
    rows = [{**base, "snapshot_at": "2026-03-16T23:59:59+08:00"},
            {**base, "snapshot_at": "2026-03-16T15:59:59Z", "qty_available": "2"},
            {**base, "lot_id": "LOT-2", "snapshot_at": "2026-03-16T23:59:59+08:00", "expiry_date": "2026-03-01"},
            {**base, "lot_id": "LOT-2", "snapshot_at": "2026-03-16T10:59:59-05:00", "qty_available": "3"},
            {**base, "lot_id": "LOT-3", "snapshot_at": "2026-03-16T23:59:59+08:00"},
            {**base, "lot_id": "LOT-3", "snapshot_at": "2026-03-16T15:59:59+00:00", "qty_available": "4"}]
    path = _csv(tmp_path / "stock.csv", [*base, "snapshot_at", "expiry_date"], rows)
    bulk, per_record, summary = _both_paths(engine, "stock", path, chunk_rows=chunk_rows)
    assert bulk == per_record
    stored = sorted((dict(row)["lot_or_sku"], dict(row)["qty_available"]) for row in bulk["stock_snapshots"])
    assert stored == [("LOT-1", 2), ("LOT-2", 3), ("LOT-3", 4)] and summary[3] == 3


# -- values longer than their stored column ------------------------------------------------------------

LONG_ID, LONG_SKU = "OB-" + "9" * 70, "SKU-" + "X" * 130  # wms_outbound_no holds 64, a line's sku 128


@pytest.mark.parametrize("chunk_rows", [1, 3, 10_000])
def test_a_value_longer_than_its_column_is_rejected_with_its_line_and_field_on_both_databases(
        engine, tmp_path: Path, chunk_rows: int) -> None:
    """PostgreSQL would refuse such a value and SQLite store it whole: both reject the record before writing,
    naming each of its lines and the field, on the column-wise and the per-record path alike; the records
    around it are stored."""
    rows = [*_outbound_rows(range(1, 4)),
            f"{LONG_ID},JYCK,SHIPPED,SHOPEE,S1,O5,5-1,SKU-1,1,LOT-1,WH1,2026-03-03T08:00:00Z,,1,header too long",
            f"{LONG_ID},JYCK,SHIPPED,SHOPEE,S1,O5,5-2,SKU-2,1,LOT-1,WH1,2026-03-03T08:00:00Z,,1,its second line",
            "OB-6,JYCK,SHIPPED,SHOPEE,S1,O6,6-1,SKU-1,1,LOT-1,WH1,2026-03-03T08:00:00Z,,1,fine line",
            f"OB-6,JYCK,SHIPPED,SHOPEE,S1,O6,6-2,{LONG_SKU},1,LOT-1,WH1,2026-03-03T08:00:00Z,,1,line too long",
            *_outbound_rows(range(7, 9)),
            # a record met again later in the file (stored whole, as if its rows were together: its late line
            # rejects it, naming each of its lines; written a chunk at a time, only that line)
            f"OB-7,JYCK,SHIPPED,SHOPEE,S1,O7,7-9,{LONG_SKU},1,LOT-1,WH1,2026-03-03T08:00:00Z,,1,late and too long",
            *_outbound_rows(range(9, 11))]
    path = tmp_path / "long_values.csv"
    path.write_text("\n".join([OUTBOUND_HEADER, *rows]) + "\n", encoding="utf-8")
    bulk, per_record, summary = _both_paths(engine, "outbound", path, owner_id="LUMINA", chunk_rows=chunk_rows)
    assert bulk == per_record
    # (a record longer than a chunk, written a chunk at a time, is rejected whole as in one chunk: the parts it
    # wrote before its line too long undone, their rows rejected naming the field)
    assert summary[0] == "COMPLETED_WITH_REJECTS" and summary[3] == 6
    stored = {dict(row)["wms_outbound_no"] for row in bulk["warehouse_shipments"]}
    assert stored == {f"OB-{n}" for n in (1, 2, 3, 8, 9, 10)}
    header = "73 characters: the column warehouse_shipments.wms_outbound_no holds 64; the record is not stored"
    line = "134 characters: the column warehouse_shipment_lines.sku holds 128; the record is not stored"
    long = []  # (a reject of a record's parts written before names their run of lines, then the same reason)
    for reject in map(dict, bulk["rejects"]):
        if reject["code"] == "too_long":
            run = re.search(r" rows over lines? (\d+)(?:–(\d+))? of the file: (.*)$", reject["reason"])
            first, last = (int(run[1]), int(run[2] or run[1])) if run else (reject["line"], reject["line"])
            long.extend((at, reject["column"], run[3] if run else reject["reason"]) for at in range(first, last + 1))
    assert sorted(long) == [(8, "wms_outbound_no", header), (9, "wms_outbound_no", header), (10, "sku", line),
                            (11, "sku", line), (12, "sku", line), (13, "sku", line), (16, "sku", line)]
    assert {dict(r)["value"] for r in bulk["rejects"] if dict(r)["code"] == "too_long"} == {LONG_ID, LONG_SKU[:80] + "…"}


def test_a_receipt_value_longer_than_its_column_is_rejected_on_both_databases(engine, tmp_path: Path) -> None:
    _inbound_owners(engine)
    long_mbl = "ZCRU" + "1" * 66
    rows = [*_inbound_rows(range(1, 3)),
            f"ASN-50,IC50,WH1,LMN,,FULFILLED,,,{long_mbl},2026-03-03T16:00:00+08:00,,1,SKU-1,1,1,0,0,bl too long",
            "ASN-51,IC51,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,1,SKU-1,1,1,0,0,fine",
            f"ASN-51,IC51,WH1,LMN,,FULFILLED,,,,2026-03-03T16:00:00+08:00,,2,{LONG_SKU},1,1,0,0,sku too long",
            *_inbound_rows(range(3, 5))]
    path = tmp_path / "long_receipts.csv"
    path.write_text("\n".join([INBOUND_HEADER, *rows]) + "\n", encoding="utf-8")
    bulk, per_record, summary = _both_paths(engine, "inbound", path)
    assert bulk == per_record
    assert summary[3] == 4 and {dict(row)["asn_no"] for row in bulk["warehouse_receipts"]} == {f"ASN-{n}" for n in range(1, 5)}
    assert sorted((dict(r)["line"], dict(r)["column"]) for r in bulk["rejects"] if dict(r)["code"] == "too_long") == [
        (6, "mbl_no"), (7, "sku"), (8, "sku")]
