"""Quantity ladder and timeline checks on the receipt side (BL -> customs -> ASN -> receipt).

Each check returns exception rows (``matching.exceptions``); nothing here links anything.

* ``receipt``: received (good + damaged) vs planned on the ASN line, once the line is received;
* ``customs_vs_asn``: declared quantity of a customs line vs the planned quantity of the ASN lines
  linked to it (within the partition);
* ``document_vs_customs``: units on a transport document line (when the source gives units) vs the
  customs lines reached through its receipts;
* timeline: a receipt before the customs release of its entry, more than a day before the declared
  arrival, or before its document's on-board date.
"""
from __future__ import annotations

import pandas as pd

from matching.exceptions import Reason, combine, make_exceptions


def quantity_checks(r: pd.DataFrame, customs_hit: pd.DataFrame, doc_hit: pd.DataFrame, docs: pd.DataFrame,
                    tolerance) -> pd.DataFrame:
    received = r[r["line_received"]].copy()
    received["got"] = received["received_good_qty"] + received["received_damaged_qty"]
    received["diff"] = received["got"] - received["planned_qty"]
    short = received[tolerance.exceeded(received["diff"], received["planned_qty"])]

    frames = [make_exceptions(short, reason=Reason.QUANTITY_VARIANCE, step="receipt", record_kind="receipt_line",
                              record_key="key", qty="diff",
                              detail="ASN {asn_no} line {line_no} ({sku}): received {got} "
                                     "(good {received_good_qty}, damaged {received_damaged_qty}) "
                                     "vs {planned_qty} planned")]
    if not customs_hit.empty:
        planned = r.set_index("key")["planned_qty"]
        per = customs_hit.assign(planned=customs_hit["key"].map(planned))
        per = (per.groupby(["owner_id", "partition", "customs_key", "declaration_no"], as_index=False)
               .agg(planned=("planned", "sum"), declared=("c_qty", "first")))
        per["declared"] = pd.to_numeric(per["declared"]).fillna(0).astype("int64")
        per["diff"] = per["planned"] - per["declared"]
        bad = per[tolerance.exceeded(per["diff"], per["declared"])]
        frames.append(make_exceptions(
            bad, reason=Reason.QUANTITY_VARIANCE, step="customs_vs_asn", record_kind="customs_line",
            record_key="customs_key", qty="diff",
            detail="customs {declaration_no}: {declared} declared vs {planned} planned on the ASN lines"))
    if not customs_hit.empty and not doc_hit.empty:
        path = doc_hit[["key", "doc_key", "owner_id", "partition"]].merge(
            customs_hit[["key", "customs_key", "c_qty"]], on="key").drop_duplicates(["doc_key", "customs_key"])
        per_doc = path.groupby(["owner_id", "partition", "doc_key"], as_index=False)["c_qty"].sum()
        units = docs.set_index("key")["quantity"]
        per_doc["units"] = per_doc["doc_key"].map(units).fillna(0).astype("int64")
        per_doc = per_doc[per_doc["units"] > 0]
        per_doc["diff"] = per_doc["c_qty"].astype("int64") - per_doc["units"]
        bad = per_doc[tolerance.exceeded(per_doc["diff"], per_doc["units"])]
        frames.append(make_exceptions(
            bad, reason=Reason.QUANTITY_VARIANCE, step="document_vs_customs", record_kind="document_line",
            record_key="doc_key", qty="diff",
            detail="document line {doc_key}: {units} units on the document vs {c_qty} declared"))
    return combine(frames)


def timeline_checks(r: pd.DataFrame, customs_hit: pd.DataFrame, doc_hit: pd.DataFrame, docs: pd.DataFrame
                    ) -> pd.DataFrame:
    frames = []
    rec = r.set_index("key")["received_at"].where(r.set_index("key")["line_received"])
    if not customs_hit.empty:
        c = customs_hit[["owner_id", "partition", "key", "customs_key", "released_at"]].copy()
        c["received_at"] = c["key"].map(rec)
        bad = c[(c["received_at"] < c["released_at"]).fillna(False).astype(bool)]
        frames.append(make_exceptions(bad, reason=Reason.TIMELINE_VIOLATION, step="receipt_customs",
                                      record_kind="receipt_line", record_key="key", related="customs_key",
                                      detail="received {received_at} before customs release {released_at}"))
        # the declared arrival is a local date: a receipt more than a day before it cannot be right
        arrival = customs_hit[["owner_id", "partition", "key", "customs_key", "arrival_date"]].copy()
        arrival["received_at"] = arrival["key"].map(rec)
        early = (arrival["received_at"] < arrival["arrival_date"] - pd.Timedelta(days=1)).fillna(False)
        frames.append(make_exceptions(arrival[early.astype(bool)], reason=Reason.TIMELINE_VIOLATION,
                                      step="arrival", record_kind="receipt_line", record_key="key",
                                      related="customs_key",
                                      detail="received {received_at} before the declared arrival {arrival_date}"))
    if not doc_hit.empty:
        d = doc_hit[["owner_id", "partition", "key", "doc_key"]].copy()
        d["received_at"] = d["key"].map(rec)
        d["on_board"] = d["doc_key"].map(docs.set_index("key")["shipped_on_board_at"])
        bad = d[(d["received_at"] < d["on_board"]).fillna(False).astype(bool)]
        frames.append(make_exceptions(bad, reason=Reason.TIMELINE_VIOLATION, step="receipt_document",
                                      record_kind="receipt_line", record_key="key", related="doc_key",
                                      detail="received {received_at} before the goods went on board {on_board}"))
    return combine(frames)
