"""The sandbox's logistics files follow real practice, and its ground truth of the chain is published at an
endpoint and as a file, consistent with the files."""
from __future__ import annotations

import csv
import io
import json
import shutil
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from platform_adapters.canonical.identifiers import normalize_document_number
from platform_adapters.sandbox import running_sandbox
from platform_adapters.sandbox.logistics import render_files
from platform_adapters.sandbox.server import make_state
from platform_adapters.sandbox.shipments import CLEAN, build_shipments
from platform_adapters.sandbox.truth import logistics_truth, write_truth

ANCHOR = 1_773_532_800


def _rows(files: dict[str, str], prefix: str) -> list[dict]:
    return [row for name, text in files.items() if prefix in name for row in csv.DictReader(io.StringIO(text))]


@pytest.fixture(scope="module")
def state():
    return make_state(seed=42, orders=300, anchor=ANCHOR)


def test_files_are_written_as_forwarders_brokers_and_3pls_write_them(state) -> None:
    files = render_files(state.world, state.now)
    bl, customs = _rows(files, "forwarder_bl"), _rows(files, "customs_entries")
    inbound, outbound = _rows(files, "warehouse_inbound"), _rows(files, "warehouse_outbound")
    skus = {sku.seller_sku for sku in state.world.skus}
    # BL lines carry no SKU: description, HS code, PO and cartons
    assert not any(sku in files["forwarder/forwarder_bl.csv"] for sku in skus)
    assert all(row["description_of_goods"] and row["hs_code"] and row["po_number"] and int(row["packages"]) > 0
               and row["package_code"] == "CT" for row in bl)
    # customs lines declare a product (all its variants) with a SKU pattern
    assert all(row["sku_group"].endswith("-*") and row["sku_group"] not in skus for row in customs)
    assert any(row["sku_group"] == "LMN-EB-BT53-*" for row in customs)
    # one PO over two containers: two ASNs, two containers on one bill
    containers = defaultdict(set)
    for row in bl:
        containers[row["doc_number"]].add(row["container_no"])
    assert any(len(boxes) == 2 for boxes in containers.values())
    asns = defaultdict(set)
    for row in inbound:
        asns[row["po_number"]].add(row["asn_no"])
    assert any(len(names) == 2 for names in asns.values())
    # key variants: the 3PL types some references its own way; they name the same documents once normalised
    documents = {row["doc_number"] for row in bl} | {row["container_no"] for row in bl}
    typed = {row["mbl_no"] for row in inbound} | {row["container_no"] for row in inbound}
    assert typed - documents and {normalize_document_number(v) for v in typed} == documents
    assert any(row["owner_code"].islower() for row in inbound)
    # short receipts: fewer units arrived than the ASN planned, no damage to explain it
    assert any(int(r["received_good_qty"]) + int(r["received_damaged_qty"]) < int(r["planned_qty"])
               for r in inbound)
    # a customs entry listed without one of its lines
    lines = defaultdict(list)
    for row in customs:
        lines[row["declaration_no"]].append(int(row["line_no"]))
    assert any(numbers != list(range(1, len(numbers) + 1)) for numbers in lines.values())
    # one outbound file per warehouse; rows name their owner by the shop, and every status a 3PL reports
    assert {row["status"] for row in outbound} >= {"NEW", "SHIPPED", "DELIVERED", "CANCELED", "RETURNED"}


def test_the_clean_world_has_none_of_the_noise(state) -> None:
    files = render_files(state.world, state.now, CLEAN)
    inbound, customs = _rows(files, "warehouse_inbound"), _rows(files, "customs_entries")
    assert all(r["mbl_no"] == normalize_document_number(r["mbl_no"]) for r in inbound)
    assert all(int(r["variance_qty"]) == 0 for r in inbound)
    assert all(len(s.boxes) == 1 and s.missing_product is None for s in build_shipments(state.world, CLEAN))
    assert len({r["declaration_no"] + r["line_no"] for r in customs}) == len(customs)


def test_truth_is_served_and_written_and_agrees_with_the_files(tmp_path: Path) -> None:
    with running_sandbox(seed=5, orders=120, anchor=ANCHOR) as sb, httpx.Client(base_url=sb.base_url, timeout=60) as client:
        served = client.get("/_sandbox/truth/logistics").json()
        files = {name: client.get(f"/_sandbox/logistics/{name}").text
                 for name in ("warehouse_outbound.csv", "warehouse_inbound.csv")}
        one = client.get("/_sandbox/logistics/warehouse_inbound.csv", params={"warehouse": "THLCH-WH01"}).text
        assert client.get("/_sandbox/logistics/warehouse_inbound.csv", params={"warehouse": "NOPE"}).status_code == 404
        path = write_truth(sb.state.world, sb.state.now, tmp_path / "ground_truth.json")
        expected = logistics_truth(sb.state.world, sb.state.now)
    assert served == json.loads(path.read_text()) == json.loads(json.dumps(expected))
    assert {r["warehouse_code"] for r in csv.DictReader(io.StringIO(one))} == {"THLCH-WH01"}
    outbound = list(csv.DictReader(io.StringIO(files["warehouse_outbound.csv"])))
    inbound = list(csv.DictReader(io.StringIO(files["warehouse_inbound.csv"])))
    # every unit the 3PL allocated or shipped is in one chain, at full depth
    units = sum(int(r["qty"]) for r in outbound if r["status"] != "CANCELED")
    assert sum(c["qty"] for c in served["chains"]) == units > 0
    assert all(c["transport_document_no"] and c["customs_declaration_no"] and c["container_no"]
               for c in served["chains"])
    chained = {(c["platform"].upper(), c["shop_id"], c["order_id"], c["order_line_ref"]) for c in served["chains"]}
    assert chained == {(r["platform"], r["shop_id"], r["marketplace_order_id"], r["order_line_ref"])
                       for r in outbound if r["status"] != "CANCELED"}
    # every unit received is in the title truth exactly once
    received = sum(int(r["received_good_qty"]) + int(r["received_damaged_qty"]) for r in inbound)
    assert sum(t["qty"] for t in served["title"]) == received
    states = {(t["title_holder"] == "CONSUMER", t["title_state"]) for t in served["title"]}
    assert (True, "CONSUMER_OWNED") in states and (False, "OWNED_IN_WAREHOUSE") in states


def _title_of_store(state, noise, root: Path, template: Path):
    """The store's title position after importing the world's files as they stand now (fresh database)."""
    from datetime import datetime, timezone

    from cryptography.fernet import Fernet

    from aggregator.auth.shops import add_shop
    from aggregator.matching_service.queries import position_at
    from aggregator.matching_service.service import run_match
    from aggregator.sandbox_link import import_logistics_dir, register_owners
    from aggregator.store.db import create_engine_for, session_scope
    from aggregator.store.vault import Vault
    from platform_adapters.sandbox.logistics import owner_identities, write_logistics

    shutil.copy(template, root / "store.sqlite")  # a database at head (tests/conftest.py)
    engine = create_engine_for(f"sqlite:///{root / 'store.sqlite'}")
    register_owners(engine, owner_identities(state.world))
    vault = Vault(Fernet.generate_key())
    with session_scope(engine) as session:
        for shop in state.world.shops:
            app = state.world.apps[shop.platform]
            add_shop(session, vault, platform=shop.platform, owner_id=shop.owner_id, shop_id=shop.shop_id,
                     region=shop.region, app_key=app.app_key, app_secret=app.app_secret)
    write_logistics(state.world, state.now, root / "files", noise)
    assert all(s.rows_rejected == 0 for s in import_logistics_dir(engine, root / "files"))
    run_match(engine, full=True)
    position = position_at(engine, datetime.fromtimestamp(state.now, timezone.utc))
    engine.dispose()
    return position


@pytest.mark.slow
def test_a_replenishment_on_the_water_then_at_port_in_customs_cleared_and_received(tmp_path: Path,
                                                                                   _sqlite_template: Path) -> None:
    """Goods at sea are the owner's from loading (FOB), released by the carrier at the ETA day (telex),
    under customs control once lodged, cleared, then in the warehouse: the store, fed only the files of
    each instant, says what the truth says, in units and at cost."""
    from dataclasses import replace

    from aggregator.demo.verdict import ChainVerdict, title_verdict
    from platform_adapters.sandbox.shipments import REALISTIC

    noise = replace(REALISTIC, at_sea=1.0)
    first = make_state(seed=5, orders=30, anchor=ANCHOR, logistics_noise=noise)
    sea = next(s for s in build_shipments(first.world, noise) if s.replenishment)
    instants = {"SELLER_TITLE_IN_TRANSIT": first.now, "RELEASED_BY_CARRIER": sea.eta + 3600,
                "UNDER_CUSTOMS_CONTROL": sea.submitted + 3600, "CLEARED": sea.released + 3600,
                "OWNED_IN_WAREHOUSE": sea.boxes[0].received + 3600}
    for expected, at in instants.items():
        state = make_state(seed=5, orders=30, anchor=ANCHOR, logistics_noise=noise)
        state.advance(at - state.now)
        truth = logistics_truth(state.world, state.now, noise)
        lots = {sea.lot_id(line) for line in sea.lines}
        assert {t["title_state"] for t in truth["title"] if t["lot_id"] in lots} >= {expected}, expected
        (tmp_path / expected).mkdir()
        position = _title_of_store(state, noise, tmp_path / expected, _sqlite_template)
        verdict = title_verdict(ChainVerdict(), position, truth)
        assert verdict.title == (1.0, 1.0) and verdict.value == (1.0, 1.0), (expected, verdict.title_table)
        assert verdict.unvalued[0] == verdict.unvalued[1], expected


def test_scrapped_returns_are_written_off_and_count_nowhere_in_the_title_truth() -> None:
    """A return of goods (Shopee, Lazada) received or refunded with disposition SCRAP by the instant is a
    write-off: listed in the truth's ``write_offs`` and its units gone from every holder of their lot."""
    from platform_adapters.sandbox.returns import returns_of
    from platform_adapters.sandbox.truth import title_truth, write_off_truth

    found = 0
    for seed in (2, 9):
        state = make_state(seed=seed, orders=40, anchor=ANCHOR)
        world, now = state.world, state.now
        offs = write_off_truth(world, now)
        found += len(offs)
        cases = {(c.order.order_id, line.line_ref): c for o in world.orders for c in returns_of(o)
                 for line, _ in c.lines}
        for off in offs:
            case = cases[(off["order_id"], off["order_line_ref"])]
            assert off["platform"] in ("shopee", "lazada") and case.disposition == "SCRAP" and case.kind == "RETURN"
            assert case.step_at(now)[0] in ("RECEIVED", "REFUNDED") and off["at"] <= off["updated_at"] <= now
        assert logistics_truth(world, now)["write_offs"] == offs
        # conservation per received lot: its rows add up to the units received less those written off
        held: dict[str, int] = defaultdict(int)
        for row in title_truth(world, now):
            held[row["lot_id"]] += row["qty"]
        written = defaultdict(int)
        for off in offs:
            written[off["lot_id"]] += off["qty"]
        for s in build_shipments(world):
            for line in s.lines:
                if s.boxes[line.box].received <= now:
                    assert held[s.lot_id(line)] == line.good + line.damaged - written[s.lot_id(line)]
    assert found > 0
