"""The sandbox's logistics files import cleanly through the ingestion runner with the standard profiles,
without ``--owner`` (each row's owner from the row, through the aliases the world publishes and the
registered shops), and a later render of the same world (clock moved on) re-imports as updates, not
duplicates."""
from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.auth.shops import add_shop
from aggregator.exceptions_queue.queries import Filters, count_by_kind
from aggregator.matching_service.queries import link_chains
from aggregator.matching_service.service import load_previous, run_match
from aggregator.sandbox_link import import_logistics_dir, register_owners
from aggregator.store.db import session_scope
from aggregator.store.models.warehouse import WarehouseShipmentRow
from aggregator.store.vault import Vault
from platform_adapters.sandbox.logistics import owner_identities, write_logistics
from platform_adapters.sandbox.server import make_state
from platform_adapters.sandbox.shipments import CLEAN, REALISTIC, build_shipments


def _register(engine, world) -> None:
    register_owners(engine, owner_identities(world))
    vault = Vault(Fernet.generate_key())
    with session_scope(engine) as session:
        for shop in world.shops:
            app = world.apps[shop.platform]
            add_shop(session, vault, platform=shop.platform, owner_id=shop.owner_id, shop_id=shop.shop_id,
                     region=shop.region, app_key=app.app_key, app_secret=app.app_secret)


def _import_all(engine, directory: Path) -> dict[str, object]:
    return {str(Path(s.file).relative_to(directory)): s
            for s in import_logistics_dir(engine, directory, reports=directory.parent / "reports")}


def test_logistics_files_import_without_rejects(sqlite_engine, tmp_path: Path) -> None:
    state = make_state(seed=8, orders=150, anchor=1_773_532_800)
    _register(sqlite_engine, state.world)
    register_owners(sqlite_engine, owner_identities(state.world))  # registering again changes nothing
    write_logistics(state.world, state.now, tmp_path / "first")
    first = _import_all(sqlite_engine, tmp_path / "first")
    warehouses = {shop.warehouse_code for shop in state.world.shops}
    countries = {shop.region for shop in state.world.shops}
    assert len(first) == 1 + len(countries) + 3 * len(warehouses)  # forwarder, brokers, 3PL warehouses
    for name, summary in first.items():
        assert summary.status == "COMPLETED", (name, summary.status, summary.error,
                                               [p.describe() for p in summary.sample_problems])
        assert summary.rows_rejected == 0 and summary.records > 0 and summary.owner_id is None, name
    owners_of = {name: set(summary.owners) for name, summary in first.items()}
    assert owners_of["forwarder/forwarder_bl.csv"] == set(dict(state.world.owners))  # one file, every brand
    serving = {w: {s.owner_id for s in state.world.shops if s.warehouse_code == w} for w in warehouses}
    for warehouse, owners in serving.items():  # each 3PL file covers every owner the warehouse serves
        for kind in ("warehouse_inbound", "warehouse_outbound", "stock_lots_snapshot"):
            assert owners_of[f"3pl-{warehouse}/{kind}-{warehouse}.csv"] == owners, (warehouse, kind)
    assert max(len(owners) for owners in serving.values()) >= 3
    with Session(sqlite_engine) as session:
        shipments = session.scalar(select(func.count()).select_from(WarehouseShipmentRow))
    state.advance(3 * 86400)
    write_logistics(state.world, state.now, tmp_path / "later")
    later = _import_all(sqlite_engine, tmp_path / "later")
    outbound = [s for n, s in later.items() if "/warehouse_outbound-" in n]
    assert sum(s.updated for s in outbound) > 0
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)) >= shipments
        created = [s.created for run in (first, later) for n, s in run.items() if "/warehouse_outbound-" in n]
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentRow)) == sum(created)


@pytest.mark.parametrize("noise", [CLEAN, REALISTIC], ids=["clean", "realistic"])
def test_every_receipt_links_to_its_bill_and_entry(sqlite_engine, tmp_path: Path, noise) -> None:
    """Each file imported once, matched: no receipt is left unlinked; on the clean world nothing is open
    but the orders never synced here, and the realistic noise shows as the exceptions it should cause
    (short receipts, a customs line missing), never as a wrong or missing document link."""
    state = make_state(seed=42, orders=300, anchor=1_773_532_800)
    _register(sqlite_engine, state.world)
    write_logistics(state.world, state.now, tmp_path / "files", noise)
    assert all(s.rows_rejected == 0 for s in _import_all(sqlite_engine, tmp_path / "files").values())
    run_match(sqlite_engine, full=True)
    with Session(sqlite_engine) as session:
        reasons = set(count_by_kind(session, Filters(kind="match", status="open")))
    assert "unlinked_receipt" not in reasons and "ambiguous" not in reasons
    with Session(sqlite_engine) as session:
        links = load_previous(session).links
    lines = sum(len(s.lines) for s in build_shipments(state.world, noise))
    for step in ("receipt_transport_doc", "receipt_customs_entry"):  # every receipt line, at document level
        assert links.loc[links["step"] == step, "left_key"].nunique() == lines, step
    chains = link_chains(sqlite_engine)
    if noise is CLEAN:
        assert reasons <= {"shipment_without_order"}, reasons
    else:
        assert {"quantity_variance", "unmatched_line"} <= reasons, reasons
    assert chains.empty  # no order synced here: the order side is the demo's (tests/cli/test_demo.py)


def test_the_forwarder_and_broker_files_list_documents_apart_and_import_as_if_together(sqlite_engine,
                                                                                       tmp_path: Path) -> None:
    """The forwarder's report sorted by container and the brokers' files by HS code, as real exports are:
    some bills and entries have their rows apart, and each file stores exactly what the same rows with
    each document's rows together store (documents, lines, containers, references, audit entries, counts),
    with no ``rows_not_contiguous``."""
    import csv
    import io

    from aggregator.ingest import import_file
    from platform_adapters.sandbox.logistics import render_files
    from tests.ingest.test_import_paths import _clear, _snapshot

    state = make_state(seed=8, orders=150, anchor=1_773_532_800)
    _register(sqlite_engine, state.world)
    apart = {"bl": 0, "customs": 0}
    for name, text in render_files(state.world, state.now).items():
        kind = "bl" if name.startswith("forwarder/") else "customs" if name.startswith("broker/") else None
        if kind is None:
            continue
        header, *rows = list(csv.reader(io.StringIO(text)))
        at = header.index("doc_number" if kind == "bl" else "declaration_no")
        documents: dict[str, list[list[str]]] = {}
        for row in rows:
            documents.setdefault(row[at], []).append(row)
        runs = [row[at] for n, row in enumerate(rows) if n == 0 or rows[n - 1][at] != row[at]]
        apart[kind] += len(runs) - len(set(runs))
        results = []
        for label, ordered in (("as-sent", rows), ("together", [r for d in documents.values() for r in d])):
            path = tmp_path / label / Path(name).name
            path.parent.mkdir(exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle, lineterminator="\n").writerows([header, *ordered])
            _clear(sqlite_engine)
            summary = import_file(sqlite_engine, kind, path)
            assert summary.status == "COMPLETED" and "rows_not_contiguous" not in summary.problem_counts, name
            results.append(((summary.created, summary.updated, summary.rows_rejected, dict(summary.problem_counts)),
                            _snapshot(sqlite_engine)))
        assert results[0] == results[1], name
        assert results[0][0][:3] == (len(documents), 0, 0), name  # (each document new once, nothing rejected)
    assert apart["bl"] > 0 and apart["customs"] > 0, apart
