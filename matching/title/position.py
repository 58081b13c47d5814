"""The title position at an instant: a fold of the ledger (latest event per subject at or before it).

A lot's units that sit in allocations active at the instant are counted under the allocation's
state; the rest under the lot's state. Units of an allocation written off by the instant (a ``WRITE_OFF``
subject: returned goods disposed of) are no one's any more: taken out of the allocation, never counted. The result is quantity and value by owner x title holder x
title state x location state (e.g. value on the water per owner: ``location_state ==
'IN_TRANSIT_OCEAN'``). Values are exact Decimals (quantity x unit value of the lot), never rounded
here; lots with no unit value count in ``qty`` and ``unvalued_qty``.
"""
from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

import pandas as pd

from matching.engine import Prepared

POSITION_COLUMNS = ["owner_id", "title_holder", "title_state", "location_state", "qty", "value", "currency",
                    "unvalued_qty"]


def _decimal(value) -> Decimal | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def lot_unit_values(p: Prepared, links: pd.DataFrame) -> dict[str, tuple[Decimal, str, str]]:
    """lot key -> (unit cost, currency, basis). Basis, first that exists: ``LANDED`` (the lot list's landed
    cost), ``INVOICE`` (invoice value / declared units of the customs line the lot's receipt line is linked
    to), ``CUSTOMS_VALUE`` (that line's customs value / declared units). A lot with none is unvalued."""
    values: dict[str, tuple[Decimal, str, str]] = {}
    # each customs line's fields by its key (customs keys are unique: a line's natural key), read column by
    # column once, not cell by cell
    fields = ("qty", "invoice_value", "invoice_currency", "customs_value", "currency")
    customs = dict(zip(p.customs["key"].tolist(), zip(*(p.customs[c].to_numpy(dtype=object) for c in fields)))) \
        if not p.customs.empty else {}
    rc = links[links["step"] == "receipt_customs"].sort_values(["left_key", "right_key"], kind="mergesort")
    rc = dict(zip(*(rc.drop_duplicates("left_key")[c].tolist() for c in ("left_key", "right_key"))))
    lr = links[links["step"] == "lot_receipt"].sort_values(["left_key", "right_key"], kind="mergesort")
    lr = lr.drop_duplicates("left_key")
    for lot_key, receipt in zip(lr["left_key"].tolist(), lr["right_key"].tolist()):
        line = customs.get(rc.get(receipt))
        if line is None:
            continue
        qty_value, invoice_value, invoice_currency, customs_value, currency_ = line
        qty = _decimal(qty_value)
        if not qty:
            continue
        for amount, currency, basis in ((invoice_value, invoice_currency, "INVOICE"),
                                        (customs_value, currency_, "CUSTOMS_VALUE")):
            total = _decimal(amount)
            if total is not None and not pd.isna(currency):
                values[lot_key] = (total / qty, str(currency), basis)
                break
    for key, cost, currency in zip(p.lots["key"], p.lots["unit_cost"], p.lots["cost_currency"]):
        amount = _decimal(cost)
        if amount is not None and not pd.isna(currency):
            values[key] = (amount, str(currency), "LANDED")
    return values


def state_at(ledger: pd.DataFrame, at) -> pd.DataFrame:
    """The latest event of every subject at or before ``at``."""
    when = pd.Timestamp(at)
    if when.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    frame = ledger.assign(_at=pd.to_datetime(ledger["effective_at"], utc=True))
    frame = frame[frame["_at"] <= when]
    frame = frame.sort_values(["subject_key", "_at", "seq"], kind="mergesort")
    return frame.drop_duplicates("subject_key", keep="last").drop(columns="_at")


def holdings_at(ledger: pd.DataFrame, at, *, owner_id: str | None = None) -> pd.DataFrame:
    """What each subject holds at ``at``: one row per lot (its units not in an active allocation) and per
    allocation, with ``lot`` (the lot's key), ``qty`` > 0 and the subject's latest event (title holder,
    states, basis, evidence). ``title_position`` sums these; a drill-down lists them."""
    current = state_at(ledger if owner_id is None else ledger[ledger["owner_id"] == owner_id], at)
    allocs = current[current["subject_kind"] == "ALLOCATION"]
    taken = allocs.groupby("parent_key")["qty"].sum()
    lots = current[current["subject_kind"] == "LOT"].copy()
    lots["qty"] = lots["qty"] - lots["subject_key"].map(taken).fillna(0).astype("int64")
    lots["lot"] = lots["subject_key"]
    written_off = current[current["subject_kind"] == "WRITE_OFF"].groupby("parent_key")["qty"].sum()
    allocs = allocs.assign(lot=allocs["parent_key"],
                           qty=allocs["qty"] - allocs["subject_key"].map(written_off).fillna(0).astype("int64"))
    rows = pd.concat([lots, allocs], ignore_index=True)
    return rows[rows["qty"] > 0]


def title_position(ledger: pd.DataFrame, at, *, owner_id: str | None = None,
                   unit_values: dict[str, tuple] | None = None) -> pd.DataFrame:
    rows = holdings_at(ledger, at, owner_id=owner_id)
    unit_values = unit_values or {}
    if rows.empty:
        return pd.DataFrame(columns=POSITION_COLUMNS)
    rows = rows.copy()
    units = rows["lot"].map(lambda k: unit_values.get(k, (None, None))[:2])
    rows["unit"] = [u for u, _ in units]
    rows["currency"] = [c for _, c in units]
    rows["value"] = [u * q if u is not None else Decimal(0) for u, q in zip(rows["unit"], rows["qty"])]
    rows["unvalued_qty"] = rows["qty"].where(rows["unit"].isna(), 0)
    rows["currency"] = rows["currency"].fillna("")
    keys = ["owner_id", "title_holder", "title_state", "location_state", "currency"]
    out = rows.groupby(keys, as_index=False, sort=True).agg(
        qty=("qty", "sum"), value=("value", lambda v: sum(v, Decimal(0))), unvalued_qty=("unvalued_qty", "sum"))
    return out[POSITION_COLUMNS].reset_index(drop=True)
