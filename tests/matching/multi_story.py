"""Test helper: the multi-owner story (``tests/fixtures/matching/multi_owner``) as engine frames.

One forwarder's bill-of-lading report and one broker's customs file for two owners, one 3PL's inbound,
outbound and stock files for its Laem Chabang warehouse covering both. Aurora Living's PO AUR-PO-0100
travels FCL in two containers on master bill ZCRU261100001 (fans and cables, BL lines with description,
HS code, PO and cartons, no SKU), declared on one entry; Bamboo Home's mugs travel LCL on house bill
SZXHB2604001 inside consolidation ZCRU261100002 (consigned to the forwarder's agent). The owners are
told apart the way ``aggregator owners alias`` would: 3PL owner codes, legal names, registered shops.
"""
from __future__ import annotations

from matching.crosswalk import SkuCrosswalk
from matching.engine import MatchInput
from tests.matching import standard_files as sf
from tests.matching.story import FIXTURES

FILES = FIXTURES / "matching" / "multi_owner"
OWNERS = sf.Owners(
    codes={"AUR01": "AURORA", "BMB01": "BAMBOO"},
    names={"Aurora Living (TH) Co., Ltd.": "AURORA", "Bamboo Home (TH) Co., Ltd.": "BAMBOO"},
    shops={"SHOPEE-TH-7001": "AURORA", "LAZADA-TH-7002": "AURORA", "TTS-TH-7003": "BAMBOO"})
BASE_CURRENCY = {"AURORA": "CNY", "BAMBOO": "USD"}


def frames() -> dict:
    receipts = sf.receipt_lines(sf.read(FILES, "warehouse_inbound.csv"), OWNERS)
    return {
        "order_lines": sf.read(FILES, "orders.csv"),
        "shipment_lines": sf.shipment_lines(sf.read(FILES, "warehouse_outbound.csv"), OWNERS),
        "receipt_lines": receipts,
        "lots": sf.lots(sf.read(FILES, "stock_lots_snapshot.csv"), receipts, None),
        "document_lines": sf.document_lines(sf.read(FILES, "forwarder_bl.csv"), OWNERS),
        "customs_lines": sf.customs_lines(sf.read(FILES, "customs_entries.csv"), OWNERS, "THB"),
    }


def story_input(**overrides) -> MatchInput:
    values = {**frames(), "crosswalk": SkuCrosswalk()}
    values.update(overrides)
    return MatchInput(**values)
