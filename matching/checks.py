"""Quantity ladder and timeline checks on the receipt side (BL -> customs -> ASN -> receipt).

Each check returns exception rows (``matching.exceptions``); nothing here links anything.

* ``receipt``: received (good + damaged) vs planned on the ASN line, once the line is received;
* ``customs_vs_asn``: declared quantity of a customs line vs the planned quantity of the ASN lines
  linked to it (within the partition);
* ``document_vs_receipt``: cartons on a bill-of-lading line vs the cartons of the ASN lines linked to it
  (from their box ranges, ``C0001-C0500`` = 500; only when every linked line gives one), and units on
  the line (when the source gives units) vs their planned units;
* timeline: a receipt before the customs release of its entry, more than a day before the declared
  arrival, or before its document's on-board date.
"""
from __future__ import annotations

import pandas as pd

from matching.exceptions import Reason, combine, make_exceptions

# the steps of the exceptions these checks make (``matching.engine.WAREHOUSE_RUNGS`` reads them)
STEPS = ("receipt", "customs_vs_asn", "document_vs_receipt", "arrival", "receipt_customs", "receipt_document")


def quantity_checks(r: pd.DataFrame, links, docs: pd.DataFrame, tolerance) -> pd.DataFrame:
    """``links``: the ``matching.documents.DocumentLinks`` of the run."""
    received = r[r["line_received"]].copy()
    received["got"] = received["received_good_qty"] + received["received_damaged_qty"]
    received["diff"] = received["got"] - received["planned_qty"]
    short = received[tolerance.exceeded(received["diff"], received["planned_qty"])]

    frames = [make_exceptions(short, reason=Reason.QUANTITY_VARIANCE, step="receipt", record_kind="receipt_line",
                              record_key="key", qty="diff",
                              detail="ASN {asn_no} line {line_no} ({sku}): received {got} "
                                     "(good {received_good_qty}, damaged {received_damaged_qty}) "
                                     "vs {planned_qty} planned")]
    planned = r.set_index("key")["planned_qty"]
    customs_hit = links.customs_hit
    if not customs_hit.empty:
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
    line_hit = links.line_hit
    if not line_hit.empty:
        cartons = r.set_index("key")["cartons"]
        per = line_hit.assign(planned=line_hit["key"].map(planned), cartons=line_hit["key"].map(cartons))
        per["missing"] = per["cartons"].isna().astype("int64")
        per = (per.groupby(["owner_id", "partition", "doc_line_key"], as_index=False)
               .agg(planned=("planned", "sum"), counted=("cartons", "sum"), missing=("missing", "sum")))
        heads = docs.set_index("key")
        per["packages"] = per["doc_line_key"].map(heads["packages"]).fillna(0).astype("int64")
        per["units"] = per["doc_line_key"].map(heads["quantity"]).fillna(0).astype("int64")
        per["counted"] = per["counted"].astype("int64")
        boxes = per[(per["packages"] > 0) & (per["missing"] == 0)].assign(diff=lambda f: f["counted"] - f["packages"])
        boxes = boxes[tolerance.exceeded(boxes["diff"], boxes["packages"])]
        frames.append(make_exceptions(
            boxes, reason=Reason.QUANTITY_VARIANCE, step="document_vs_receipt", record_kind="document_line",
            record_key="doc_line_key", qty="diff",
            detail="document line {doc_line_key}: {packages} cartons on the bill vs {counted} in the box ranges "
                   "of the ASN lines linked to it"))
        units = per[per["units"] > 0].assign(diff=lambda f: f["planned"] - f["units"])
        units = units[tolerance.exceeded(units["diff"], units["units"])]
        frames.append(make_exceptions(
            units, reason=Reason.QUANTITY_VARIANCE, step="document_vs_receipt", record_kind="document_line",
            record_key="doc_line_key", qty="diff",
            detail="document line {doc_line_key}: {units} units on the document vs {planned} planned on the ASN "
                   "lines linked to it"))
    return combine(frames)


def timeline_checks(r: pd.DataFrame, links, docs: pd.DataFrame, customs: pd.DataFrame) -> pd.DataFrame:
    frames = []
    rec = r.set_index("key")["received_at"].where(r.set_index("key")["line_received"])
    entry_hit = links.entry_hit
    if not entry_hit.empty and not customs.empty:
        heads = customs.sort_values(["entry_key", "line_no"], kind="mergesort").drop_duplicates("entry_key")
        heads = heads.set_index("entry_key")
        c = entry_hit.assign(received_at=entry_hit["key"].map(rec),
                             released_at=entry_hit["entry_key"].map(heads["released_at"]),
                             arrival_date=entry_hit["entry_key"].map(heads["arrival_date"]))
        bad = c[(c["received_at"] < c["released_at"]).fillna(False).astype(bool)]
        frames.append(make_exceptions(bad, reason=Reason.TIMELINE_VIOLATION, step="receipt_customs",
                                      record_kind="receipt_line", record_key="key", related="entry_key",
                                      detail="received {received_at} before customs release {released_at}"))
        # the declared arrival is a local date: a receipt more than a day before it cannot be right
        early = (c["received_at"] < c["arrival_date"] - pd.Timedelta(days=1)).fillna(False)
        frames.append(make_exceptions(c[early.astype(bool)], reason=Reason.TIMELINE_VIOLATION,
                                      step="arrival", record_kind="receipt_line", record_key="key",
                                      related="entry_key",
                                      detail="received {received_at} before the declared arrival {arrival_date}"))
    doc_hit = links.doc_hit
    if not doc_hit.empty and not docs.empty:
        heads = docs.sort_values(["doc_key", "line_no"], kind="mergesort").drop_duplicates("doc_key")
        d = doc_hit.assign(received_at=doc_hit["key"].map(rec),
                           on_board=doc_hit["doc_key"].map(heads.set_index("doc_key")["shipped_on_board_at"]))
        bad = d[(d["received_at"] < d["on_board"]).fillna(False).astype(bool)]
        frames.append(make_exceptions(bad, reason=Reason.TIMELINE_VIOLATION, step="receipt_document",
                                      record_kind="receipt_line", record_key="key", related="doc_key",
                                      detail="received {received_at} before the goods went on board {on_board}"))
    return combine(frames)
