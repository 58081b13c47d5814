"""Quality of a matching run against ground truth: precision and recall per step and at full depth, in units.

Full depth is the whole chain an export row states: order line -> lot -> container -> transport document
-> customs entry. ``full_depth(links, prepared)`` gives the engine's rows in that shape (record keys
as ``matching.frames`` builds them: documents ``owner|doc_number``, entries ``owner|declaration_no``,
containers normalised); ``unit_scores(predicted, truth, keys)`` compares two such frames in units:
for every distinct key tuple the units both sides agree on are ``min(predicted, truth)``; precision is
their sum over the predicted units, recall over the true units. A row whose document or entry is
missing or wrong counts as wrong in all its units.
"""
from __future__ import annotations

import pandas as pd

from matching.chains import chain_keys
from matching.engine import Prepared
from matching.frames import lookup

FULL_DEPTH = ["order_line", "lot", "container", "document", "entry"]


def full_depth(links: pd.DataFrame, p: Prepared) -> pd.DataFrame:
    """The engine's chain rows as (order_line, lot, container, document, entry, qty)."""
    rows = chain_keys(links, p)
    if rows.empty:
        return pd.DataFrame(columns=[*FULL_DEPTH, "qty"])
    doc_of_line = p.documents.set_index("key")["doc_key"]
    entry_of_line = p.customs.set_index("key")["entry_key"]
    out = pd.DataFrame({
        "order_line": rows["order_line"], "lot": rows["lot"],
        "container": lookup(rows["document_line"], p.documents.set_index("key")["container_no"]).fillna(
            lookup(rows["receipt"], p.receipts.set_index("key")["container_no"])),
        "document": lookup(rows["document_line"], doc_of_line).fillna(rows["document"]),
        "entry": lookup(rows["customs_line"], entry_of_line).fillna(rows["entry"]),
        "qty": rows["qty"].astype("int64"),
    })
    return out


def unit_scores(predicted: pd.DataFrame, truth: pd.DataFrame, keys: list[str] | None = None
                ) -> tuple[float, float]:
    """(precision, recall) in units over the key tuple ``keys`` (default ``FULL_DEPTH``)."""
    keys = keys or FULL_DEPTH

    def totals(frame: pd.DataFrame) -> pd.Series:
        if frame.empty:
            return pd.Series(dtype="int64")
        return frame.assign(**{k: frame[k].astype("string").fillna("") for k in keys}).groupby(keys)["qty"].sum()

    pred, true = totals(predicted), totals(truth)
    both = pd.concat([pred.rename("p"), true.rename("t")], axis=1).fillna(0)
    agreed = both.min(axis=1).sum()
    p_total, t_total = both["p"].sum(), both["t"].sum()
    return (float(agreed / p_total) if p_total else 1.0, float(agreed / t_total) if t_total else 1.0)
