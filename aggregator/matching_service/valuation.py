"""The title position in money: each lot valued at its cost, converted to its owner's base currency at the
rate of the instant, summed per stage of the journey, with the rate path of every conversion recorded.

Input is ``matching.title.title_position`` (quantity and value per owner x title holder x title state x
location x cost currency; costs from ``lot_unit_values``: landed, else invoice, else customs value).
Each value is converted with ``fx.convert.Converter`` on the instant's date (the last published rate up
to the converter's maximum age when that day has none; the path and the rate date say which) into the
owner's ``base_currency``. Stages (``STAGE_OF_LOCATION``): on the water (ocean or air, before arrival),
at port / in customs (arrived, under customs control, cleared but not yet at the warehouse), in
warehouse (receiving, available, allocated, returned for inspection), in last mile (dispatched, not
delivered), delivered (the consumer's), written off (returned goods disposed of: a write-off event's stage;
the position never holds such units). A ``TOTAL`` row per owner sums what the owner holds title to.

Nothing is dropped silently: units with no cost are ``unvalued_qty``; a value that cannot be converted
(no rate) stays in ``unconverted`` with its currency and the reason, outside ``value``.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from fx.convert import Converter, RateNotFound
from fx.money import Money

STAGES = ("ON_THE_WATER", "AT_PORT_AND_CUSTOMS", "IN_WAREHOUSE", "IN_LAST_MILE", "DELIVERED", "WRITTEN_OFF", "OTHER")
STAGE_OF_LOCATION = {
    "IN_TRANSIT_OCEAN": "ON_THE_WATER", "IN_TRANSIT_AIR": "ON_THE_WATER",
    "AT_DESTINATION": "AT_PORT_AND_CUSTOMS", "UNDER_CUSTOMS_CONTROL": "AT_PORT_AND_CUSTOMS",
    "CLEARED": "AT_PORT_AND_CUSTOMS",
    "IN_RECEIVING": "IN_WAREHOUSE", "AVAILABLE": "IN_WAREHOUSE", "ALLOCATED": "IN_WAREHOUSE",
    "RETURNED_PENDING_QC": "IN_WAREHOUSE",
    "IN_LAST_MILE": "IN_LAST_MILE", "DELIVERED": "DELIVERED",
    "DISPOSED": "WRITTEN_OFF",  # returned goods disposed of: a write-off event's stage (the position holds none)
}
VALUED_COLUMNS = ["owner_id", "stage", "title_holder", "qty", "value", "currency", "unvalued_qty", "rate_path",
                  "unconverted"]
DETAIL_COLUMNS = ["owner_id", "stage", "title_holder", "title_state", "location_state", "qty", "value", "currency",
                  "unvalued_qty", "rate_path", "unconverted"]


class MissingBaseCurrency(LookupError):
    """A position row names an owner whose base currency is not known."""


def _convert(converter: Converter, amount: Decimal, currency: str, base: str, on: date
             ) -> tuple[Decimal | None, str, str]:
    """(value in base or None, rate path, problem)."""
    if currency == base:
        return amount, "", ""
    try:
        conversion = converter.convert(Money(amount, currency), base, on, allow_fallback=True)
    except RateNotFound as exc:
        return None, "", f"{Money(amount, currency)} not converted: {exc}"
    return conversion.result.amount, f"{conversion.path} ({conversion.source} {conversion.rate_date})", ""


def value_position(position: pd.DataFrame, base_currency: dict[str, str], converter: Converter, on: date, *,
                   detail: bool = False) -> pd.DataFrame:
    """``VALUED_COLUMNS`` (or ``DETAIL_COLUMNS`` with ``detail``) from a ``title_position`` frame."""
    columns = DETAIL_COLUMNS if detail else VALUED_COLUMNS
    if position.empty:
        return pd.DataFrame(columns=columns)
    missing = sorted(set(position["owner_id"]) - set(base_currency))
    if missing:
        raise MissingBaseCurrency(f"no base currency for owner(s) {', '.join(missing)}")
    rows = position.copy()
    rows["stage"] = rows["location_state"].map(STAGE_OF_LOCATION).fillna("OTHER")
    rows["base"] = rows["owner_id"].map(base_currency)
    converted = [_convert(converter, Decimal(v), c, b, on) if c and Decimal(v) != 0 else (Decimal(0), "", "")
                 for v, c, b in zip(rows["value"], rows["currency"], rows["base"])]
    rows["value_base"] = [v if v is not None else Decimal(0) for v, _, _ in converted]
    rows["rate_path"] = [p for _, p, _ in converted]
    rows["unconverted"] = [u for _, _, u in converted]
    keys = ["owner_id", "stage", "title_holder", *(["title_state", "location_state"] if detail else [])]

    def joined(values: pd.Series) -> str:
        # a TOTAL row joins already-joined cells: split them so each path or problem is listed once
        return "; ".join(sorted({part for v in values if v for part in v.split("; ")}))

    out = rows.groupby(keys, as_index=False, sort=False).agg(
        qty=("qty", "sum"), value=("value_base", lambda v: sum(v, Decimal(0))), currency=("base", "first"),
        unvalued_qty=("unvalued_qty", "sum"), rate_path=("rate_path", joined), unconverted=("unconverted", joined))
    held = out[out["title_holder"] == out["owner_id"]]
    if not held.empty:
        total = held.groupby("owner_id", as_index=False, sort=True).agg(
            qty=("qty", "sum"), value=("value", lambda v: sum(v, Decimal(0))), currency=("currency", "first"),
            unvalued_qty=("unvalued_qty", "sum"), rate_path=("rate_path", joined),
            unconverted=("unconverted", joined))
        total["stage"], total["title_holder"] = "TOTAL", total["owner_id"]
        if detail:
            total["title_state"], total["location_state"] = "", ""
        out = pd.concat([out, total], ignore_index=True)
    order = {s: i for i, s in enumerate((*STAGES, "TOTAL"))}
    out["_s"] = out["stage"].map(order)
    out["_h"] = (out["title_holder"] != out["owner_id"]).astype(int)
    sort = ["owner_id", "_s", "_h", "title_holder", *(["title_state", "location_state"] if detail else [])]
    out = out.sort_values(sort, kind="mergesort").drop(columns=["_s", "_h"])
    out["qty"] = out["qty"].astype("int64")
    out["unvalued_qty"] = out["unvalued_qty"].astype("int64")
    return out[columns].reset_index(drop=True)
