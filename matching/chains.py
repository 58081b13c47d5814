"""Flatten the step links into one row per (order line, lot) chain: the export shape of issue 6.

Columns: platform, shop_id, order_id, order_line_ref, sku, qty, lot_id, warehouse_code, asn_no,
container_no, transport_document_no, customs_declaration_no, method, confidence,
transport_document_line, customs_line.

An order line's quantity on a shipment line is spread over the lots that shipment line drew from
(in the lots' receipt order, ``allocate_fifo``), so quantities balance: the rows of an order line sum
to what was linked to it. The transport document and customs entry come from the receipt's
document-level links (``receipt_transport_doc``, ``receipt_customs_entry``) whenever they exist; the
line-level links (``receipt_document``, ``receipt_customs``) add the line numbers and, under a master
bill, the house bill of the line. The row's ``method`` and ``confidence`` are those of its weakest
link (lowest confidence; ties go to the earlier rung; for documents the line-level link counts when
there is one). Identifiers are the normalised keys.

``chain_keys`` gives the same rows with the record keys of every rung (order line, shipment line, lot,
receipt line, document, document line, customs entry, customs line): the shape quality measures use.
"""
from __future__ import annotations

import pandas as pd

from matching.allocation import allocate_fifo
from matching.engine import Prepared
from matching.frames import lookup

CHAIN_COLUMNS = ["platform", "shop_id", "order_id", "order_line_ref", "sku", "qty", "lot_id", "warehouse_code",
                 "asn_no", "container_no", "transport_document_no", "customs_declaration_no", "method",
                 "confidence", "transport_document_line", "customs_line"]
KEY_COLUMNS = ["order_line", "shipment", "lot", "receipt", "document", "document_line", "entry", "customs_line",
               "qty", "method", "confidence"]


def _step(links: pd.DataFrame, name: str) -> pd.DataFrame:
    return links[links["step"] == name]


def _per_receipt(links: pd.DataFrame, step: str, name: str, tag: str) -> pd.DataFrame:
    rows = _step(links, step).sort_values(["left_key", "right_key"], kind="mergesort").drop_duplicates("left_key")
    return rows[["left_key", "right_key", "method", "confidence"]].rename(columns={
        "left_key": "receipt", "right_key": name, "method": f"m{tag}", "confidence": f"c{tag}"})


def chain_keys(links: pd.DataFrame, p: Prepared) -> pd.DataFrame:
    """One row per (order line, shipment line, lot) with the keys of every rung (``KEY_COLUMNS``)."""
    os_ = _step(links, "order_shipment").rename(columns={"left_key": "order_line", "right_key": "shipment",
                                                         "method": "m1", "confidence": "c1"})
    sl = _step(links, "shipment_lot").rename(columns={"left_key": "shipment", "right_key": "lot",
                                                      "method": "m2", "confidence": "c2"})
    if os_.empty:
        return pd.DataFrame(columns=KEY_COLUMNS)
    lot_rank = p.receipts[["key", "received_at"]]  # receipt time orders the lots of one shipment line
    lr = _step(links, "lot_receipt").sort_values(["left_key", "right_key"], kind="mergesort").drop_duplicates(
        "left_key").rename(columns={"left_key": "lot", "right_key": "receipt"})
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
    for step, name, tag in (("receipt_transport_doc", "document", "4"), ("receipt_document", "document_line", "5"),
                            ("receipt_customs_entry", "entry", "6"), ("receipt_customs", "customs_line", "7")):
        rows = rows.merge(_per_receipt(links, step, name, tag), on="receipt", how="left")
    # a line-level link is the stronger statement about a document: it counts instead of the document's
    for line, head in (("5", "4"), ("7", "6")):
        has_line = rows[f"c{line}"].notna()
        rows.loc[has_line, f"m{head}"] = rows.loc[has_line, f"m{line}"]
        rows.loc[has_line, f"c{head}"] = rows.loc[has_line, f"c{line}"]
    methods = rows[["m1", "m2", "m3", "m4", "m6"]].to_numpy()
    confs = rows[["c1", "c2", "c3", "c4", "c6"]].astype("float64").fillna(2.0).to_numpy()
    weakest = confs.argmin(axis=1)
    rows["method"] = methods[range(len(rows)), weakest]
    rows["confidence"] = confs[range(len(rows)), weakest]
    rows["qty"] = rows["qty"].astype("int64")
    return rows[KEY_COLUMNS].reset_index(drop=True)


def build_chains(links: pd.DataFrame, p: Prepared) -> pd.DataFrame:
    rows = chain_keys(links, p)
    if rows.empty:
        return pd.DataFrame(columns=CHAIN_COLUMNS)
    ol = p.orders.drop_duplicates("key").set_index("key")
    rec = p.receipts.set_index("key")
    docs = p.documents.set_index("key")
    heads = p.documents.drop_duplicates("doc_key").set_index("doc_key")
    customs = p.customs.set_index("key")
    entries = p.customs.drop_duplicates("entry_key").set_index("entry_key")
    document_no = lookup(rows["document_line"], docs["doc_number"]).fillna(
        lookup(rows["document"], heads["doc_number"]))
    out = pd.DataFrame({
        "platform": lookup(rows["order_line"], ol["platform"]),
        "shop_id": lookup(rows["order_line"], ol["shop_id"]),
        "order_id": lookup(rows["order_line"], ol["order_id"]),
        "order_line_ref": lookup(rows["order_line"], ol["line_ref"]),
        "sku": lookup(rows["order_line"], ol["sku_c"]),
        "qty": rows["qty"],
        "lot_id": rows["lot"].astype("string").str.split("|").str[2],
        "warehouse_code": rows["shipment"].astype("string").str.split("|").str[1],
        "asn_no": lookup(rows["receipt"], rec["asn_no"]),
        "container_no": lookup(rows["document_line"], docs["container_no"]).fillna(
            lookup(rows["receipt"], rec["container_no"])),
        "transport_document_no": document_no,
        "customs_declaration_no": lookup(rows["customs_line"], customs["declaration_no"]).fillna(
            lookup(rows["entry"], entries["declaration_no"])),
        "method": rows["method"],
        "confidence": rows["confidence"],
        "transport_document_line": lookup(rows["document_line"], docs["line_no"]).astype("Int64"),
        "customs_line": lookup(rows["customs_line"], customs["line_no"]).astype("Int64"),
    })
    out = out.sort_values(["platform", "shop_id", "order_id", "order_line_ref", "lot_id"], kind="mergesort",
                          na_position="last")
    return out[CHAIN_COLUMNS].reset_index(drop=True)
