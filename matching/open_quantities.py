"""Lots and transport documents with their open quantities, from the links of a run.

Lots: planned, received good / damaged, shipped (every outbound line drawn from the lot), returned,
written off, open = received good - shipped + returned - written off, and still in receiving (planned on
lines not counted yet). Returned units come from the 3PL's outbound record (a shipment marked returned)
or, when it says nothing, from the marketplace's return records of the order line (``returned_qty``:
received back), whichever is larger; written off are those the marketplace's warehouse disposed of
(``written_off_qty``). A shipment line drawn from several lots gives its returned units to its lots in
order, never more than each link's quantity.
Document lines: the units the document gives (when it does), the customs declared quantity and the ASN
planned / received quantities reached through its receipts; open = what is expected (units on the
document, else declared, else planned) - received. Every document line appears, linked or not.
"""
from __future__ import annotations

import pandas as pd

from matching.engine import Prepared
from matching.frames import plain

LOT_COLUMNS = ["owner_id", "warehouse_code", "lot_id", "sku", "planned", "received_good", "received_damaged",
               "in_receiving", "shipped", "returned", "written_off", "open"]
DOCUMENT_COLUMNS = ["owner_id", "doc_number", "line_no", "container_no", "po_number", "units_on_document",
                    "declared_qty", "planned_qty", "received_qty", "open_qty"]


def _step(links: pd.DataFrame, name: str) -> pd.DataFrame:
    return links[links["step"] == name]


def open_lots(p: Prepared, links: pd.DataFrame) -> pd.DataFrame:
    lr = _step(links, "lot_receipt")[["left_key", "right_key"]].rename(columns={"left_key": "lot",
                                                                               "right_key": "key"})
    rec = lr.merge(p.receipts[["key", "owner_id", "warehouse_code", "sku_c", "planned_qty", "received_good_qty",
                               "received_damaged_qty", "line_received"]], on="key", how="left")
    received = rec["line_received"].fillna(False).astype(bool)
    rec["good"] = rec["received_good_qty"].where(received, 0)
    rec["damaged"] = rec["received_damaged_qty"].where(received, 0)
    rec["waiting"] = rec["planned_qty"].where(~received, 0)
    lots = rec.groupby("lot", as_index=False, sort=True).agg(
        owner_id=("owner_id", "first"), warehouse_code=("warehouse_code", "first"), sku=("sku_c", "first"),
        planned=("planned_qty", "sum"), received_good=("good", "sum"), received_damaged=("damaged", "sum"),
        in_receiving=("waiting", "sum"))
    sl = _step(links, "shipment_lot")
    ships = plain(p.coded("shipments"), ["key", "returned_at", "status"]).set_index("key")
    returned_flag = ships["returned_at"].notna() | (ships["status"] == "RETURNED").fillna(False)
    sl = sl.assign(returned=sl["left_key"].map(returned_flag).fillna(False).astype(bool))
    shipped = sl.groupby("right_key")["qty"].sum()
    back, off = _marketplace_returns(p, links, sl)
    sl = sl.assign(back=sl["qty"].where(sl["returned"], 0).clip(lower=back), off=off)
    sl = sl.assign(off=sl["off"].clip(upper=sl["back"]))
    lots["shipped"] = lots["lot"].map(shipped).fillna(0).astype("int64")
    lots["returned"] = lots["lot"].map(sl.groupby("right_key")["back"].sum()).fillna(0).astype("int64")
    lots["written_off"] = lots["lot"].map(sl.groupby("right_key")["off"].sum()).fillna(0).astype("int64")
    lots["open"] = lots["received_good"] - lots["shipped"] + lots["returned"] - lots["written_off"]
    lots["lot_id"] = lots["lot"].str.split("|").str[2]
    return lots[LOT_COLUMNS].reset_index(drop=True)


def _marketplace_returns(p: Prepared, links: pd.DataFrame, sl: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per shipment_lot link (aligned with ``sl``): units the marketplace's return records bring back to
    its lot and units written off, spread over the links of each shipment line in order."""
    zero = pd.Series(0, index=sl.index, dtype="int64")
    orders = plain(p.coded("orders"), ["key", "returned_qty", "written_off_qty"])
    if sl.empty or "returned_qty" not in orders or not (orders["returned_qty"] > 0).any():
        return zero, zero
    per_line = orders.set_index("key")[["returned_qty", "written_off_qty"]]
    os_ = _step(links, "order_shipment")[["left_key", "right_key", "qty"]]
    os_ = os_.join(per_line, on="left_key", how="inner").sort_values(["left_key", "right_key"], kind="stable")
    # an order line's returned units are spread over its shipment lines in order, each getting at most its own
    # quantity (an order line shipped in two outbound lines does not bring its units back twice)
    shipped_before = os_.groupby("left_key")["qty"].cumsum() - os_["qty"]
    os_ = os_.assign(back=(os_["returned_qty"] - shipped_before).clip(lower=0).clip(upper=os_["qty"]),
                     off=(os_["written_off_qty"] - shipped_before).clip(lower=0).clip(upper=os_["qty"]))
    per_shipment = os_.groupby("right_key")[["back", "off"]].sum()
    if per_shipment.empty:
        return zero, zero
    ordered = sl.sort_values(["left_key", "right_key"], kind="stable")
    before = ordered.groupby("left_key")["qty"].cumsum() - ordered["qty"]
    out = []
    for column in ("back", "off"):
        units = ordered["left_key"].map(per_shipment[column]).fillna(0)
        out.append((units - before).clip(lower=0).clip(upper=ordered["qty"]).reindex(sl.index).astype("int64"))
    return out[0], out[1]


def open_documents(p: Prepared, links: pd.DataFrame) -> pd.DataFrame:
    docs = p.documents[["key", "owner_id", "doc_number", "line_no", "container_no", "po_number", "quantity"]]
    rd = _step(links, "receipt_document")[["left_key", "right_key"]].rename(
        columns={"left_key": "receipt", "right_key": "key"})
    rec = p.receipts.set_index("key")
    got = rec["received_good_qty"] + rec["received_damaged_qty"]
    rd = rd.assign(planned=rd["receipt"].map(rec["planned_qty"]),
                   received=rd["receipt"].map(got.where(rec["line_received"], 0)))
    per_doc = rd.groupby("key").agg(planned_qty=("planned", "sum"), received_qty=("received", "sum"))
    rc = _step(links, "receipt_customs")[["left_key", "right_key"]].rename(
        columns={"left_key": "receipt", "right_key": "customs"})
    declared = rd[["receipt", "key"]].merge(rc, on="receipt").drop_duplicates(["key", "customs"])
    declared["qty"] = declared["customs"].map(p.customs.set_index("key")["qty"])
    declared = declared.groupby("key")["qty"].sum()
    out = docs.rename(columns={"quantity": "units_on_document"}).copy()
    out["declared_qty"] = out["key"].map(declared).fillna(0).astype("int64")
    out["planned_qty"] = out["key"].map(per_doc["planned_qty"]).fillna(0).astype("int64")
    out["received_qty"] = out["key"].map(per_doc["received_qty"]).fillna(0).astype("int64")
    expected = out["units_on_document"].where(out["units_on_document"] > 0, out["declared_qty"])
    expected = expected.where(expected > 0, out["planned_qty"])
    out["open_qty"] = (expected - out["received_qty"]).astype("int64")
    out = out.sort_values(["owner_id", "doc_number", "line_no"], kind="mergesort")
    return out[DOCUMENT_COLUMNS].reset_index(drop=True)
