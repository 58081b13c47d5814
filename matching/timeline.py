"""An order's full timeline, from the marketplace back to the bill of lading and forward to settlement.

ordered -> paid -> lot (allocated) -> on board -> arrived -> customs released -> received ->
dispatched -> delivered / returned -> settled; one row per fact with its time, its source and the
record it comes from. Upstream facts (on board, customs, receipt) appear once per lot the order
drew from, so a TikTok line fed by an air lot and a sea lot shows both journeys.
"""
from __future__ import annotations

import pandas as pd

from matching import keys
from matching.engine import Prepared
from matching.frames import member

TIMELINE_COLUMNS = ["step", "at", "source", "record", "detail"]
_RANK = {s: i for i, s in enumerate(["ordered", "paid", "on_board", "arrived", "customs_released", "received",
                                     "lot", "dispatched", "delivered", "returned", "settled"])}


def order_timeline(p: Prepared, links: pd.DataFrame, *, platform: str, shop_id: str, order_id: str,
                   settlements: pd.DataFrame | None = None) -> pd.DataFrame:
    """Timeline rows (``TIMELINE_COLUMNS``) sorted by time; ``settlements`` has platform, shop_id, order_id,
    occurred_at, kind, amount, currency."""
    order_key = f"{keys.normalize_code(platform)}|{keys.normalize_code(shop_id)}|{keys.normalize_order_id(order_id)}"
    lines = p.orders[p.orders["order_key"] == order_key]
    rows: list[dict] = []

    def add(step, at, source, record, detail):
        if at is not None and not pd.isna(at):
            rows.append({"step": step, "at": pd.Timestamp(at), "source": source, "record": record, "detail": detail})

    for line in lines.drop_duplicates("order_key").itertuples(index=False):
        add("ordered", line.ordered_at, "marketplace", order_key, f"{line.platform} order {line.order_id}")
        add("paid", line.paid_at, "marketplace", order_key, "buyer paid")
    os_ = links[(links["step"] == "order_shipment") & member(links["left_key"], lines["key"])]
    ships = p.shipments.set_index("key")
    sl = links[(links["step"] == "shipment_lot") & member(links["left_key"], os_["right_key"])]
    lr = links[links["step"] == "lot_receipt"].sort_values("right_key").drop_duplicates("left_key")
    receipt_of = lr.set_index("left_key")["right_key"]
    def per_receipt(step: str) -> pd.Series:
        rows = links[links["step"] == step].sort_values(["left_key", "right_key"], kind="mergesort")
        return rows.drop_duplicates("left_key").set_index("left_key")["right_key"]

    # a document / customs row per receipt line: the linked line, else the first line of the document or
    # entry linked at document level (the header facts used here are the same on every line)
    rd, rc = per_receipt("receipt_document"), per_receipt("receipt_customs")
    first_doc_line = p.documents.sort_values("key").drop_duplicates("doc_key").set_index("doc_key")["key"]
    first_customs_line = p.customs.sort_values("key").drop_duplicates("entry_key").set_index("entry_key")["key"]
    rd = pd.concat([rd, per_receipt("receipt_transport_doc").map(first_doc_line).dropna()])
    rd = rd[~rd.index.duplicated(keep="first")]
    rc = pd.concat([rc, per_receipt("receipt_customs_entry").map(first_customs_line).dropna()])
    rc = rc[~rc.index.duplicated(keep="first")]
    rec, docs, customs = (p.receipts.set_index("key"), p.documents.set_index("key"), p.customs.set_index("key"))

    for shipment in sorted(set(os_["right_key"])):
        s = ships.loc[shipment]
        record = f"outbound {s['wms_outbound_no']} line {s['line_no']}"
        add("dispatched", s["shipped_at"], "warehouse", record,
            f"{s['carrier_code'] if not pd.isna(s['carrier_code']) else ''} tracking "
            f"{s['tracking_number'] if not pd.isna(s['tracking_number']) else '-'}".strip())
        add("delivered", s["delivered_at"], "last mile", record, "delivered to the buyer")
        add("returned", s["returned_at"], "warehouse", record, "returned to the warehouse")
    for link in sl.sort_values(["left_key", "right_key"]).itertuples(index=False):
        s = ships.loc[link.left_key]
        lot_id = link.right_key.split("|")[2]
        add("lot", s["created_at"] if not pd.isna(s["created_at"]) else s["shipped_at"], "matching",
            lot_id, f"{link.qty} unit(s) from lot {lot_id} ({link.method})")
        receipt = receipt_of.get(link.right_key)
        if receipt is None:
            continue
        r = rec.loc[receipt]
        if r["line_received"]:
            add("received", r["received_at"], "warehouse", f"ASN {r['asn_no']}", f"lot {lot_id} received")
        doc = rd.get(receipt)
        if doc is not None:
            d = docs.loc[doc]
            add("on_board", d["shipped_on_board_at"], "forwarder", f"{d['doc_type']} {d['doc_number']}",
                f"lot {lot_id} on board" + (f", container {d['container_no']}" if not pd.isna(d["container_no"])
                                            else ""))
        line = rc.get(receipt)
        if line is not None:
            c = customs.loc[line]
            add("arrived", c["arrival_date"] if not pd.isna(c["arrival_date"]) else (
                docs.loc[doc, "eta"] if doc is not None else None), "customs", f"declaration {c['declaration_no']}",
                f"lot {lot_id} arrived")
            add("customs_released", c["released_at"], "customs", f"declaration {c['declaration_no']}",
                f"lot {lot_id} released")
        elif doc is not None:
            add("arrived", docs.loc[doc, "eta"], "forwarder", f"document {docs.loc[doc, 'doc_number']}",
                f"lot {lot_id} ETA")
    if settlements is not None and not settlements.empty:
        mine = settlements[(keys.codes(settlements["platform"]) == keys.normalize_code(platform))
                           & (keys.codes(settlements["shop_id"]) == keys.normalize_code(shop_id))
                           & (keys.order_ids(settlements["order_id"]) == keys.normalize_order_id(order_id))]
        for s in mine.itertuples(index=False):
            add("settled", pd.Timestamp(s.occurred_at), "marketplace", f"settlement {s.kind}",
                f"{s.amount} {s.currency}")
    out = pd.DataFrame(rows, columns=TIMELINE_COLUMNS).drop_duplicates()
    if out.empty:
        return out
    out["_rank"] = out["step"].map(_RANK)
    out = out.sort_values(["at", "_rank", "record", "detail"], kind="mergesort").drop(columns="_rank")
    return out.reset_index(drop=True)
