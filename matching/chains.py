"""Flatten the step links into one row per (order line, lot) chain: the export shape of issue 6.

Columns: platform, shop_id, order_id, order_line_ref, sku, qty, lot_id, warehouse_code, asn_no,
container_no, transport_document_no, customs_declaration_no, method, confidence.

An order line's quantity on a shipment line is spread over the lots that shipment line drew from
(in the lots' receipt order, ``allocate_fifo``), so quantities balance: the rows of an order line sum
to what was linked to it. The row's ``method`` and ``confidence`` are those of its weakest link
(lowest confidence; ties go to the earlier rung). Identifiers are the normalised keys.
"""
from __future__ import annotations

import pandas as pd

from matching.allocation import allocate_fifo
from matching.engine import Prepared
from matching.frames import lookup

CHAIN_COLUMNS = ["platform", "shop_id", "order_id", "order_line_ref", "sku", "qty", "lot_id", "warehouse_code",
                 "asn_no", "container_no", "transport_document_no", "customs_declaration_no", "method",
                 "confidence"]


def _step(links: pd.DataFrame, name: str) -> pd.DataFrame:
    return links[links["step"] == name]


def build_chains(links: pd.DataFrame, p: Prepared) -> pd.DataFrame:
    os_ = _step(links, "order_shipment").rename(columns={"left_key": "order_line", "right_key": "shipment",
                                                         "method": "m1", "confidence": "c1"})
    sl = _step(links, "shipment_lot").rename(columns={"left_key": "shipment", "right_key": "lot",
                                                      "method": "m2", "confidence": "c2"})
    if os_.empty:
        return pd.DataFrame(columns=CHAIN_COLUMNS)
    lot_rank = p.receipts[["key", "received_at"]]  # receipt time orders the lots of one shipment line
    lr = _step(links, "lot_receipt").drop_duplicates("left_key").rename(
        columns={"left_key": "lot", "right_key": "receipt"})
    lr = lr.merge(lot_rank.rename(columns={"key": "receipt"}), on="receipt", how="left")
    sl = sl.merge(lr[["lot", "received_at"]], on="lot", how="left")

    alloc, short = allocate_fifo(
        os_[["shipment", "order_line", "qty"]], sl[["shipment", "lot", "received_at", "qty"]],
        group=["shipment"], demand_id="order_line", supply_id="lot",
        demand_order=["order_line"], supply_order=["received_at"])
    rows = pd.concat([alloc, short.assign(lot=pd.NA, qty=short["short"]).drop(columns="short")],
                     ignore_index=True)
    rows = rows.merge(os_[["order_line", "shipment", "m1", "c1"]], on=["order_line", "shipment"], how="left")
    rows = rows.merge(sl[["shipment", "lot", "m2", "c2"]].drop_duplicates(["shipment", "lot"]),
                      on=["shipment", "lot"], how="left")
    rows = rows.merge(lr[["lot", "receipt", "method", "confidence"]].rename(
        columns={"method": "m3", "confidence": "c3"}), on="lot", how="left")
    rc = _step(links, "receipt_customs").drop_duplicates("left_key")[["left_key", "right_key", "method",
                                                                      "confidence"]]
    rows = rows.merge(rc.rename(columns={"left_key": "receipt", "right_key": "customs", "method": "m4",
                                         "confidence": "c4"}), on="receipt", how="left")
    rd = _step(links, "receipt_document").drop_duplicates("left_key")[["left_key", "right_key", "method",
                                                                       "confidence"]]
    rows = rows.merge(rd.rename(columns={"left_key": "receipt", "right_key": "document", "method": "m5",
                                         "confidence": "c5"}), on="receipt", how="left")

    ol = p.orders.drop_duplicates("key").set_index("key")
    rec = p.receipts.set_index("key")
    docs = p.documents.set_index("key")
    customs = p.customs.set_index("key")
    out = pd.DataFrame({
        "platform": lookup(rows["order_line"], ol["platform"]),
        "shop_id": lookup(rows["order_line"], ol["shop_id"]),
        "order_id": lookup(rows["order_line"], ol["order_id"]),
        "order_line_ref": lookup(rows["order_line"], ol["line_ref"]),
        "sku": lookup(rows["order_line"], ol["sku_c"]),
        "qty": rows["qty"].astype("int64"),
        "lot_id": rows["lot"].astype("string").str.split("|").str[2],
        "warehouse_code": rows["shipment"].astype("string").str.split("|").str[1],
        "asn_no": lookup(rows["receipt"], rec["asn_no"]),
        "container_no": lookup(rows["document"], docs["container_no"]).fillna(
            lookup(rows["receipt"], rec["container_no"])),
        "transport_document_no": lookup(rows["document"], docs["doc_number"]),
        "customs_declaration_no": lookup(rows["customs"], customs["declaration_no"]),
    })
    methods = rows[["m1", "m2", "m3", "m5", "m4"]].to_numpy()
    confs = rows[["c1", "c2", "c3", "c5", "c4"]].fillna(2.0).to_numpy()
    weakest = confs.argmin(axis=1)
    out["method"] = methods[range(len(rows)), weakest]
    out["confidence"] = confs[range(len(rows)), weakest]
    out = out.sort_values(["platform", "shop_id", "order_id", "order_line_ref", "lot_id"], kind="mergesort",
                          na_position="last")
    return out[CHAIN_COLUMNS].reset_index(drop=True)
