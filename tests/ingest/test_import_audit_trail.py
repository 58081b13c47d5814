"""An imported record's audit trail shows the state it was created in, whichever path stored it: the
audit route (``GET /api/v1/audit``) answers the same ``create`` entry for a record written by the bulk
path (its JSON built by the database on both SQLite and PostgreSQL) as for one written by the
per-record upsert, and a later update's entry after it."""
from __future__ import annotations

from pathlib import Path

import pytest

from fastapi.testclient import TestClient

from aggregator.api.app import create_app
from aggregator.ingest import import_file
from tests.ingest.test_import_paths import _clear

KEY = "operator-test-key-0123456789"
HEADER = "wms_outbound_no,status,platform,shop_id,sku,qty,warehouse_code,created_at,shipped_at,weight_g,remark\n"
DAY1 = HEADER + ("OB-1,SHIPPED,SHOPEE,S1,SKU-A,1,WH1,2026-03-15T08:00:00+08:00,2026-03-15T09:30:00.250+08:00,180,é\\t\"x\"\n"
                 "OB-1,SHIPPED,SHOPEE,S1,SKU-B,2,WH1,2026-03-15T08:00:00+08:00,,20,\n"
                 "OB-2,DELIVERED,LAZADA,S2,SKU-C,1,WH1,2026-03-15T09:00:00Z,,,\n")
DAY2 = DAY1.replace("OB-2,DELIVERED", "OB-2,RETURNED")


def _trails(engine, tmp_path: Path, bulk: bool) -> list[list[tuple]]:
    _clear(engine)
    (tmp_path / "day1.csv").write_text(DAY1, encoding="utf-8")
    (tmp_path / "day2.csv").write_text(DAY2, encoding="utf-8")
    for day in ("day1.csv", "day2.csv"):
        assert import_file(engine, "outbound", tmp_path / day, owner_id="LUMINA", bulk=bulk).status == "COMPLETED"
    client = TestClient(create_app(engine, operator_key=KEY))
    trails = []
    for record in ("LUMINA|WH1|OB-1", "LUMINA|WH1|OB-2"):
        answer = client.get("/api/v1/audit", params={"entity": "warehouse_shipments", "record": record},
                            headers={"Authorization": f"Bearer {KEY}"})
        assert answer.status_code == 200, answer.text
        trails.append([(e["action"], e["owner_id"], e["actor"], e["changes"]) for e in answer.json()["items"]])
    return trails


def _logged(engine, entity: str) -> tuple[set, int]:
    """(action, entity key, owner) of the audit log's entries of ``entity``, and how many records they say
    their batches created."""
    from sqlalchemy import select

    from aggregator.store.db import session_scope
    from aggregator.store.models.audit import AuditEntry

    with session_scope(engine) as session:
        logged = session.scalars(select(AuditEntry).where(AuditEntry.entity == entity)).all()
        return {(e.action, e.entity_key, e.owner_id) for e in logged}, sum(e.changes.get("created", 0) for e in logged)


def test_the_audit_route_shows_an_imported_records_creation_state_on_both_paths(engine, tmp_path: Path) -> None:
    bulk = _trails(engine, tmp_path, bulk=True)
    assert bulk == _trails(engine, tmp_path, bulk=False)
    (action, owner, _, created), = bulk[0]
    assert (action, owner) == ("create", "LUMINA")
    assert created["wms_outbound_no"] == "OB-1" and created["weight_g"] == 200 and created["remark"] == 'é\\t"x"'
    assert created["shipped_at"] == "2026-03-15T01:30:00.250000+00:00" and created["delivered_at"] is None
    changes = {action: changes for action, _, _, changes in bulk[1]}  # (the newest first)
    assert [entry[0] for entry in bulk[1]] == ["update", "create"]
    assert changes["create"]["status"] == "DELIVERED" and changes["update"]["status"] == ["DELIVERED", "RETURNED"]


def test_a_batch_is_one_audit_entry_and_the_route_pages_and_scopes_its_records_create_entries(
        engine, tmp_path: Path) -> None:
    """Records created by a bulk batch: an ``import`` entry in the log per batch, none per record; the
    route still answers each record's ``create`` entry, pages through a trail one entry at a time (the
    batch's entry last, on a page of its own), and shows nothing of it to another owner's viewer."""
    from sqlalchemy import select

    from aggregator.api.keys import create_key
    from aggregator.store.db import session_scope
    from aggregator.store.models.tenancy import OwnerRow
    from aggregator.tenancy import add_owner

    _clear(engine)
    (tmp_path / "day1.csv").write_text(DAY1, encoding="utf-8")
    (tmp_path / "day2.csv").write_text(DAY2, encoding="utf-8")
    assert import_file(engine, "outbound", tmp_path / "day1.csv", owner_id="LUMINA").status == "COMPLETED"
    assert _logged(engine, "warehouse_shipments") == ({("import", "", "LUMINA")}, 2)  # (the last record: at the end)
    with session_scope(engine) as session:
        if session.scalar(select(OwnerRow).where(OwnerRow.owner_id == "OTHER")) is None:
            add_owner(session, "OTHER", "Other")
        other = create_key(session, role="owner-viewer", owner_id="OTHER")[1]
        lumina = create_key(session, role="owner-viewer", owner_id="LUMINA")[1]
    assert import_file(engine, "outbound", tmp_path / "day2.csv", owner_id="LUMINA").status == "COMPLETED"
    client = TestClient(create_app(engine, operator_key=KEY))

    def get(key: str, record: str, **params) -> dict:
        answer = client.get("/api/v1/audit", params={"entity": "warehouse_shipments", "record": record, **params},
                            headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert get(other, "LUMINA|WH1|OB-1")["items"] == [] and get(other, "LUMINA|WH1|OB-1")["count"] == 0
    assert [e["action"] for e in get(lumina, "LUMINA|WH1|OB-1")["items"]] == ["create"]
    assert get(KEY, "LUMINA|WH1|OB-9")["items"] == [] and get(KEY, "LUMINA|WH1")["items"] == []
    whole = get(KEY, "LUMINA|WH1|OB-2")
    assert [e["action"] for e in whole["items"]] == ["update", "create"] and whole["count"] == 2
    walked, cursor = [], None
    for _ in range(4):
        page = get(KEY, "LUMINA|WH1|OB-2", limit=1, **({"cursor": cursor} if cursor else {}))
        walked += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == whole["items"]


def test_a_record_key_holding_the_separator_still_names_its_batch_created_record(engine, tmp_path: Path) -> None:
    """``a|b|c`` is ambiguous when a key value holds ``|``: the route still finds the one record whose key
    joins to it, and no other."""
    _clear(engine)
    (tmp_path / "pipes.csv").write_text(HEADER + "OB|7,SHIPPED,SHOPEE,S1,SKU-A,1,WH|1,2026-03-15T08:00:00Z,,,\n"
                                        "1|OB|7,SHIPPED,SHOPEE,S1,SKU-A,1,WH,2026-03-15T08:00:00Z,,,\n",
                                        encoding="utf-8")
    assert import_file(engine, "outbound", tmp_path / "pipes.csv", owner_id="LUMINA").status == "COMPLETED"
    client = TestClient(create_app(engine, operator_key=KEY))
    found = {}
    for record in ("LUMINA|WH|1|OB|7", "LUMINA|WH|1|OB", "LUMINA|WH|7"):
        answer = client.get("/api/v1/audit", params={"entity": "warehouse_shipments", "record": record},
                            headers={"Authorization": f"Bearer {KEY}"})
        assert answer.status_code == 200, answer.text
        found[record] = [(e["action"], e["changes"]["warehouse_code"], e["changes"]["wms_outbound_no"])
                         for e in answer.json()["items"]]
    # both records join to the first key; the route answers the one the audit log's key names: each once
    assert sorted(found["LUMINA|WH|1|OB|7"]) == [("create", "WH", "1|OB|7"), ("create", "WH|1", "OB|7")]
    assert found["LUMINA|WH|1|OB"] == [] and found["LUMINA|WH|7"] == []


def test_a_batch_created_records_create_entry_is_written_once_by_two_writers_that_read_it_unsettled(
        engine, tmp_path: Path) -> None:
    """Two writers read a batch-created row before either changes it (two imports at once; on PostgreSQL
    each reads before the other's change commits): the first writes the record's own ``create`` entry,
    the second finds it written and writes none again."""
    from sqlalchemy import select

    from aggregator.store import audit_batch
    from aggregator.store.db import session_scope
    from aggregator.store.models.audit import AuditEntry
    from aggregator.store.models.warehouse import WarehouseShipmentRow

    _clear(engine)
    (tmp_path / "day1.csv").write_text(DAY1, encoding="utf-8")
    assert import_file(engine, "outbound", tmp_path / "day1.csv", owner_id="LUMINA").status == "COMPLETED"
    table = WarehouseShipmentRow.__table__
    with session_scope(engine) as session:
        stale = session.execute(select(table).where(table.c.wms_outbound_no == "OB-2")).mappings().one()
    assert stale[audit_batch.COLUMN] is not None
    for _ in range(2):  # the second writer's row is the one it read before the first's change
        with session_scope(engine) as session:
            audit_batch.settle(session, table, stale)
    with session_scope(engine) as session:
        creates = session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "warehouse_shipments", AuditEntry.entity_key == "LUMINA|WH1|OB-2")).all()
        assert [e.action for e in creates] == ["create"]
        assert audit_batch.batch_creates(session, "warehouse_shipments", "LUMINA|WH1|OB-2") == []


# -- stock snapshots: the key holds an instant ----------------------------------------------------------

STOCK = "snapshot_at,lot_id,sku,warehouse_code,qty_available,unit_landed_cost_myr,received_at\n"
STOCK_DAY1 = STOCK + ("2026-03-16T23:59:59+08:00,LOT-1,SKU-1,WH1,5,29.040,2026-03-13T18:20:00.5+08:00\n"
                      "2026-03-16T23:59:59.250+08:00,LOT-2,SKU-2,WH1,7,1.50e-1,\n"
                      "2026-03-16T15:59:59Z,,SKU-3,,1,,\n")
#: the records' keys as audited: the instant as ``str`` of its UTC value
STOCK_RECORDS = ("LUMINA|2026-03-16 15:59:59+00:00|LOT-1|WH1", "LUMINA|2026-03-16 15:59:59.250000+00:00|LOT-2|WH1",
                 "LUMINA|2026-03-16 15:59:59+00:00|SKU-3|")


def _stock_trails(engine, tmp_path: Path, bulk: bool, day1: str = STOCK_DAY1) -> list[list[tuple]]:
    _clear(engine)
    (tmp_path / "day1.csv").write_text(day1, encoding="utf-8")
    (tmp_path / "day2.csv").write_text(day1.replace(",LOT-1,SKU-1,WH1,5,", ",LOT-1,SKU-1,WH1,4,"), encoding="utf-8")
    for day in ("day1.csv", "day2.csv"):
        assert import_file(engine, "stock", tmp_path / day, owner_id="LUMINA", bulk=bulk).status == "COMPLETED"
    client = TestClient(create_app(engine, operator_key=KEY))
    trails = []
    for record in STOCK_RECORDS:
        answer = client.get("/api/v1/audit", params={"entity": "stock_snapshots", "record": record},
                            headers={"Authorization": f"Bearer {KEY}"})
        assert answer.status_code == 200, answer.text
        trails.append([(e["action"], e["owner_id"], e["actor"], e["changes"]) for e in answer.json()["items"]])
    return trails


@pytest.mark.parametrize("cost", ["1.50e-1", "-0.00"])
def test_a_stock_snapshots_trail_is_the_same_on_both_paths(engine, tmp_path: Path, cost: str) -> None:
    """Snapshots (keyed by their instant) created by a batch: the route answers each one's ``create`` entry,
    then a later update's, as the per-record path writes them; a ``-0`` landed cost (which PostgreSQL's
    NUMERIC stores as 0) too."""
    day1 = STOCK_DAY1.replace(",1.50e-1,", f",{cost},")
    bulk = _stock_trails(engine, tmp_path, True, day1)
    assert bulk == _stock_trails(engine, tmp_path, False, day1)
    assert [[entry[0] for entry in trail] for trail in bulk] == [["update", "create"], ["create"], ["create"]]
    created = bulk[0][1][3]
    assert created["snapshot_at"] == "2026-03-16T15:59:59+00:00" and created["qty_available"] == 5
    assert created["unit_landed_cost"] == "29.040" and created["received_at"] == "2026-03-13T10:20:00.500000+00:00"
    assert bulk[1][0][3]["unit_landed_cost"] == ("0.150" if cost == "1.50e-1" else "-0.00")
    assert bulk[0][0][3]["qty_available"] == [5, 4]


def test_a_stock_batch_is_one_audit_entry_and_only_the_key_as_audited_names_a_snapshot(engine, tmp_path: Path) -> None:
    """A clean snapshot file: ``import`` entries for its batches, none per record; the route finds a record
    by its key as audited, and nothing (never an error) for the instant written any other way or not an
    instant at all."""
    _clear(engine)
    (tmp_path / "day1.csv").write_text(STOCK_DAY1, encoding="utf-8")
    assert import_file(engine, "stock", tmp_path / "day1.csv", owner_id="LUMINA").status == "COMPLETED"
    assert _logged(engine, "stock_snapshots") == ({("import", "", "LUMINA")}, 3)
    client = TestClient(create_app(engine, operator_key=KEY))

    def actions(record: str) -> list[str]:
        answer = client.get("/api/v1/audit", params={"entity": "stock_snapshots", "record": record},
                            headers={"Authorization": f"Bearer {KEY}"})
        assert answer.status_code == 200, answer.text
        return [e["action"] for e in answer.json()["items"]]

    assert [actions(record) for record in STOCK_RECORDS] == [["create"]] * 3
    for other in ("LUMINA|2026-03-16T15:59:59+00:00|LOT-1|WH1", "LUMINA|2026-03-16 23:59:59+08:00|LOT-1|WH1",
                  "LUMINA|2026-03-16 15:59:59|LOT-1|WH1", "LUMINA|yesterday|LOT-1|WH1", "LUMINA|LOT-1|WH1",
                  "LUMINA|9999-12-31 23:59:59-01:00|LOT-1|WH1", "LUMINA|2026-03-16 15:59:59+00:00|LOT-1|WH1|x",
                  "LUMINA|2026-03-16 15:59:59+00:00|LOT-1"):
        assert actions(other) == [], other
