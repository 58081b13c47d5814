"""Match exceptions: what could not be linked (or looks wrong), why, and which records are involved.

An exception is a row with a reason from ``Reason``, the step of the ladder it belongs to, the
record it is about (kind + key), the related records, a quantity when one applies and a sentence
for people. Its ``exception_id`` is a stable hash of (reason, step, record_key, related), so the
same problem found twice keeps its id (the store uses it to keep a status and a resolution).
"""
from __future__ import annotations

import enum
import hashlib
import math
import string

import pandas as pd

EXCEPTION_COLUMNS = [
    "exception_id", "reason", "step", "owner_id", "partition", "record_kind", "record_key",
    "related_keys", "qty", "detail",
]


class Reason(str, enum.Enum):
    ORDER_WITHOUT_SHIPMENT = "order_without_shipment"  # order shipped, no warehouse record
    SHIPMENT_WITHOUT_ORDER = "shipment_without_order"
    OVER_SHIPPED = "over_shipped"  # more shipped against an order line than ordered
    OVER_ALLOCATION = "over_allocation"  # more shipped from a lot / SKU than received
    QUANTITY_VARIANCE = "quantity_variance"  # BL -> customs -> ASN -> receipt beyond tolerance
    DUPLICATE = "duplicate"
    CONFLICTING_REFERENCE = "conflicting_reference"
    AMBIGUOUS = "ambiguous"  # several equally good candidates: not linked
    TIMELINE_VIOLATION = "timeline_violation"
    UNLINKED_RECEIPT = "unlinked_receipt"  # receipt with no transport document / customs entry at all
    UNMATCHED_LINE = "unmatched_line"  # receipt linked to a document / entry, but no line of it fits


def exception_id(reason: str, step: str, record_key: str, related: str) -> str:
    digest = hashlib.sha1(f"{reason}\x1f{step}\x1f{record_key}\x1f{related}".encode()).hexdigest()
    return digest[:20]


def make_exceptions(
    frame: pd.DataFrame,
    *,
    reason: Reason,
    step: str,
    record_kind: str,
    record_key: str,
    detail: str,
    related: str | None = None,
    qty: str | None = None,
    partition: str = "partition",
    owner: str = "owner_id",
) -> pd.DataFrame:
    """Turn the rows of ``frame`` into exception rows (column names of ``frame`` are passed in).

    ``detail`` is a ``str.format`` template over the row's columns.
    """
    if frame.empty:
        return empty_exceptions()
    rows = frame.reset_index(drop=True)
    out = pd.DataFrame({
        "reason": reason.value,
        "step": step,
        "owner_id": rows[owner].astype("string"),
        "partition": rows[partition].astype("string"),
        "record_kind": record_kind,
        "record_key": rows[record_key].astype("string"),
        "related_keys": rows[related].astype("string").fillna("") if related else "",
        "qty": pd.to_numeric(rows[qty]).fillna(0).astype("int64") if qty else 0,
    })
    out["detail"] = _details(detail, rows)
    out["exception_id"] = [
        exception_id(reason.value, step, k, rel)
        for k, rel in zip(out["record_key"].fillna("").tolist(), out["related_keys"].fillna("").tolist())
    ]
    return out[EXCEPTION_COLUMNS]


def _blank(value: object) -> object:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else value


def _details(detail: str, rows: pd.DataFrame) -> list[str]:
    """``detail`` formatted for every row: a name the row lacks, or a missing value, reads as "". The
    template is turned into a positional one and fed column lists (no dict per row)."""
    parsed = list(string.Formatter().parse(detail))
    names = [name for _, name, _, _ in parsed if name]
    if not all(name.isidentifier() for name in names):
        fields = sorted(set(names) & set(rows.columns))
        records = rows[fields].to_dict("records") if fields else [{}] * len(rows)
        return [detail.format_map(_Blank(r)) for r in records]
    order = list(dict.fromkeys(names))
    template = "".join(
        literal.replace("{", "{{").replace("}", "}}")
        + ("" if name is None else "{" + str(order.index(name)) + ("!" + conversion if conversion else "")
           + (":" + spec if spec else "") + "}")
        for literal, name, spec, conversion in parsed)
    columns = [[_blank(v) for v in rows[name].tolist()] if name in rows.columns else [""] * len(rows)
               for name in order]
    if not columns:
        return [template.format()] * len(rows)
    return [template.format(*values) for values in zip(*columns)]


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""

    def __getitem__(self, key: str) -> object:
        return _blank(super().__getitem__(key) if key in self else "")


def empty_exceptions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "qty" else "string") for c in EXCEPTION_COLUMNS})


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate exception frames, drop repeats, sort deterministically."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_exceptions()
    out = pd.concat(frames, ignore_index=True).drop_duplicates("exception_id")
    return out.sort_values(["partition", "step", "reason", "record_key", "exception_id"],
                           kind="mergesort").reset_index(drop=True)
