"""Test helper: the linked sample story as engine frames (``matching.frames`` contract).

This maps the sample CSVs column by column onto the frame contract; it is not an importer (the
ingestion importers in ``platform_adapters`` / ``aggregator import`` are). Owner of every row is
``LUMINA-HK`` (the WMS owner code of the story).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from matching.crosswalk import SkuCrosswalk
from matching.engine import MatchInput
from tests.matching import standard_files as sf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = FIXTURES / "samples"
OWNER = "LUMINA-HK"


OWNERS = sf.Owners(default=OWNER)


def _csv(name: str) -> pd.DataFrame:
    return sf.read(SAMPLES, name)


def order_lines() -> pd.DataFrame:
    return sf.read(FIXTURES / "matching", "story_orders.csv")


def shipment_lines() -> pd.DataFrame:
    raw = _csv("warehouse_outbound.csv")
    # the sample's outbound file has no return time: the failed delivery came back on 21 March
    return sf.shipment_lines(raw, OWNERS).assign(returned_at=pd.Series([pd.NA] * len(raw)).mask(
        raw["status"] == "RETURNED", "2026-03-21T10:00:00+08:00"))


def receipt_lines() -> pd.DataFrame:
    return sf.receipt_lines(_csv("warehouse_inbound.csv"), OWNERS)


def lots() -> pd.DataFrame:
    raw = _csv("stock_lots_snapshot.csv")
    return pd.DataFrame({
        "owner_id": OWNER, "warehouse_code": raw["warehouse_code"], "lot_id": raw["lot_id"], "sku": raw["sku"],
        "asn_no": raw["asn_no"], "unit_cost": raw["unit_landed_cost_myr"], "cost_currency": "MYR",
    })


def document_lines() -> pd.DataFrame:
    return sf.document_lines(_csv("forwarder_bl.csv"), OWNERS)


def customs_lines() -> pd.DataFrame:
    return sf.customs_lines(_csv("customs_entry_my_k1.csv"), OWNERS, "MYR")


def crosswalk() -> SkuCrosswalk:
    cross = SkuCrosswalk()
    problems = cross.load_csv(FIXTURES / "matching" / "story_crosswalk.csv")
    assert not problems, problems
    return cross


def story_input(**overrides) -> MatchInput:
    values = {"order_lines": order_lines(), "shipment_lines": shipment_lines(), "receipt_lines": receipt_lines(),
              "lots": lots(), "document_lines": document_lines(), "customs_lines": customs_lines(),
              "crosswalk": crosswalk()}
    values.update(overrides)
    return MatchInput(**values)


def transit_lots() -> pd.DataFrame:
    """Lots the snapshot reports on the water (no warehouse yet)."""
    raw = _csv("stock_lots_snapshot.csv")
    raw = raw[raw["warehouse_code"].isna()]
    return pd.DataFrame({
        "owner_id": OWNER, "lot_id": raw["lot_id"], "sku": raw["sku"], "qty": raw["qty_expected"].astype(int),
        "as_of": raw["snapshot_at"], "title_holder": raw["title_holder"], "risk_bearer": raw["risk_bearer"],
        "custodian": raw["custodian"], "title_state": raw["title_state"], "location_state": raw["location_state"],
        "source_doc_no": raw["source_doc_no"],
    })
