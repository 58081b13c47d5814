"""The sandbox's logistics files import cleanly through the ingestion runner with the standard profiles,
and a later render of the same world (clock moved on) re-imports as updates, not duplicates."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.ingest import import_file
from aggregator.store.models.warehouse import WarehouseShipmentRow
from platform_adapters.sandbox.logistics import write_logistics
from platform_adapters.sandbox.server import make_state

KINDS = {"forwarder_bl.csv": "bl", "customs_entries.csv": "customs", "warehouse_inbound.csv": "inbound",
         "warehouse_outbound.csv": "outbound", "stock_lots_snapshot.csv": "stock"}


def _import_all(engine, directory: Path) -> dict[str, object]:
    results = {}
    for owner_dir in sorted(directory.iterdir()):
        for name, kind in KINDS.items():
            summary = import_file(engine, kind, owner_dir / name, owner_id=owner_dir.name,
                                  report_path=directory.parent / f"report-{owner_dir.name}-{kind}.csv")
            results[f"{owner_dir.name}/{name}"] = summary
    return results


def test_logistics_files_import_without_rejects(sqlite_engine, tmp_path: Path) -> None:
    state = make_state(seed=8, orders=150, anchor=1_773_532_800)
    write_logistics(state.world, state.now, tmp_path / "first")
    first = _import_all(sqlite_engine, tmp_path / "first")
    for name, summary in first.items():
        assert summary.status == "COMPLETED", (name, summary.status, summary.error,
                                               [p.describe() for p in summary.sample_problems])
        assert summary.rows_rejected == 0 and summary.records > 0, name
    with Session(sqlite_engine) as session:
        shipments = session.scalar(select(func.count()).select_from(WarehouseShipmentRow))
    state.advance(3 * 86400)
    write_logistics(state.world, state.now, tmp_path / "later")
    later = _import_all(sqlite_engine, tmp_path / "later")
    outbound = [s for n, s in later.items() if n.endswith("warehouse_outbound.csv")]
    assert sum(s.updated for s in outbound) > 0
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)) >= shipments
        created = [s.created for run in (first, later) for n, s in run.items() if n.endswith("warehouse_outbound.csv")]
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)) == sum(created)
