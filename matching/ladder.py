"""The warehouse side of the ladder: shipment line -> lot -> receipt line. Everything here stays inside
one owner x warehouse (the partition); FIFO never crosses owners or warehouses. The receipt's links to
transport documents and customs entries are in ``matching.documents``.

Steps and methods:

* ``lot_receipt``: the lot the receipt line names (``exact``), else the lot the lot list names for
  the same ASN and SKU (``exact``), else one lot per receipt line ``LOT-<asn>-<line>``
  (``rule:receipt_line``).
* ``shipment_lot``: the lot the 3PL names on the shipment line (``exact``), else FIFO by receipt time
  per owner x warehouse x SKU over what is left (``rule:fifo``, 0.9); ``manual`` links first.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from matching.allocation import allocate_fifo
from matching.exceptions import Reason, combine, make_exceptions
from matching.frames import join_key, map_keys, member, rows_where
from matching.linker import LINK_COLUMNS, active_shipments, empty_links

CONFIDENCE = {"exact": 1.0, "manual": 1.0, "rule:receipt_line": 1.0, "rule:fifo": 0.9}
_CONFIDENCE = pd.Series(CONFIDENCE, dtype="float64")
STEP = "shipment_lot"


@dataclass(frozen=True)
class Tolerance:
    """Quantity variance allowed at each step before it is an exception (units and fraction)."""

    units: int = 0
    fraction: float = 0.0

    def exceeded(self, diff: pd.Series, base: pd.Series) -> pd.Series:
        allowed = (base.abs() * self.fraction).clip(lower=self.units)
        return diff.abs() > allowed


def _links(step: str, frame: pd.DataFrame, left: str, right: str, qty: str, method: str | pd.Series,
           partition: str = "partition") -> pd.DataFrame:
    if frame.empty:
        return empty_links()
    out = pd.DataFrame({
        "step": step, "owner_id": frame["owner_id"].astype("string"),
        "partition": frame[partition].astype("string"),
        "left_key": frame[left].astype("string"), "right_key": frame[right].astype("string"),
        "qty": pd.to_numeric(frame[qty]).fillna(0).astype("int64"), "method": method,
    }, copy=False)  # the columns are shared with ``frame`` (copy-on-write), not copied
    out["confidence"] = map_keys(out["method"], _CONFIDENCE).astype("float64")
    return out[LINK_COLUMNS]


def build_lots(receipts: pd.DataFrame, lots: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Name the lot of every receipt line; return ``(receipts with lot columns, lot table)``."""
    r = receipts.copy()
    named = lots[lots["asn_no"].notna()][["owner_id", "warehouse_code", "asn_no", "sku_c", "lot_id"]]
    named = named.drop_duplicates().drop_duplicates(["owner_id", "warehouse_code", "asn_no", "sku_c"],
                                                     keep=False)
    r = r.merge(named.rename(columns={"lot_id": "listed_lot"}),
                on=["owner_id", "warehouse_code", "asn_no", "sku_c"], how="left")
    derived = "LOT-" + r["asn_no"].fillna("") + "-" + r["line_no"].astype("string")
    r["lot_id"] = r["lot_id"].fillna(r["listed_lot"]).fillna(derived)
    r["lot_method"] = "exact"
    r.loc[r["listed_lot"].isna() & receipts["lot_id"].isna().to_numpy(), "lot_method"] = "rule:receipt_line"
    r["lot_key"] = join_key(r["owner_id"], r["warehouse_code"], r["lot_id"])
    r["received_time"] = r["received_at"].where(r["line_received"])
    received = r["line_received"]
    r["good"] = r["received_good_qty"].where(received, 0)
    r["lot_qty"] = (r["received_good_qty"] + r["received_damaged_qty"]).where(received, r["planned_qty"])
    table = (r.sort_values(["lot_key", "line_no"], kind="mergesort")
             .groupby("lot_key", sort=True)
             .agg(owner_id=("owner_id", "first"), warehouse_code=("warehouse_code", "first"),
                  partition=("partition", "first"), lot_id=("lot_id", "first"), sku_c=("sku_c", "first"),
                  received_at=("received_time", "min"), capacity=("good", "sum"), planned=("planned_qty", "sum"),
                  receipt_key=("key", "first"))
             .reset_index())
    return r, table


# the shipment columns this rung reads (and its exceptions quote)
SHIP_COLUMNS = ["key", "partition", "owner_id", "warehouse_code", "wms_outbound_no", "line_no", "sku", "sku_c", "qty",
                 "lot_id", "status", "shipped_at", "created_at"]


def link_shipments_to_lots(ship: pd.DataFrame, lot_table: pd.DataFrame, manual: pd.DataFrame
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    step = STEP
    s = active_shipments(ship[[c for c in SHIP_COLUMNS if c in ship.columns]])
    s["ship_time"] = s["shipped_at"].fillna(s["created_at"])
    ship_times = s.set_index("key")["ship_time"]
    man = manual[manual["step"] == step]
    man_links = pd.DataFrame()
    if not man.empty:
        man_links = man.assign(owner_id=man["right_key"].str.split("|").str[0],
                               partition="wh|" + man["right_key"].str.split("|").str[:2].str.join("|"))
        man_links = _links(step, man_links, "left_key", "right_key", "qty", "manual")
    s = rows_where(s, ~member(s["key"], man["left_key"]))

    lots_by_id = lot_table[["owner_id", "warehouse_code", "lot_id", "lot_key", "sku_c", "received_at"]]
    named = s[s["lot_id"].notna()].merge(lots_by_id.rename(columns={"sku_c": "lot_sku",
                                                                     "received_at": "lot_received_at"}),
                                         on=["owner_id", "warehouse_code", "lot_id"], how="left")
    good = named["lot_key"].notna() & (named["lot_sku"] == named["sku_c"]).fillna(False).astype(bool)
    named_ok = named[good]
    bad_named = named[~good]
    named_links = _links(step, named_ok, "key", "lot_key", "qty", "exact")

    drawn = pd.concat([named_links[["right_key", "qty"]], man_links[["right_key", "qty"]]
                       if not man_links.empty else None]).groupby("right_key")["qty"].sum()
    lots = lot_table.copy()
    lots["drawn"] = map_keys(lots["lot_key"], drawn).fillna(0).astype("int64")
    lots["left"] = (lots["capacity"] - lots["drawn"]).clip(lower=0)
    over_named = lots[lots["drawn"] > lots["capacity"]].assign(excess=lambda f: f["drawn"] - f["capacity"])

    demand = rows_where(s, ~member(s["key"], named_ok["key"]))
    alloc, short = allocate_fifo(
        demand[["owner_id", "warehouse_code", "sku_c", "key", "ship_time", "qty", "partition"]],
        lots[["owner_id", "warehouse_code", "sku_c", "lot_key", "received_at", "left"]],
        group=["owner_id", "warehouse_code", "sku_c"], demand_id="key", supply_id="lot_key",
        demand_order=["ship_time"], supply_order=["received_at"], supply_qty="left")
    alloc["partition"] = join_key("wh", alloc["owner_id"], alloc["warehouse_code"])
    fifo_links = _links(step, alloc, "key", "lot_key", "qty", "rule:fifo")
    del alloc, demand
    links = pd.concat([x for x in (man_links, named_links, fifo_links) if not x.empty] or [empty_links()],
                      ignore_index=True)
    del named_links, fifo_links  # the pieces are in ``links`` now: not kept twice while the checks run

    short = short.merge(s[["key", "wms_outbound_no", "line_no", "sku", "partition"]], on="key", how="left")
    where = ["owner_id", "partition", "left_key", "right_key"]
    if not links.empty and not lot_table.empty:
        # only the violating links are copied (with their times), not every link
        lot_times = pd.to_datetime(lot_table.set_index("lot_key")["received_at"], utc=True)
        shipped = pd.to_datetime(map_keys(links["left_key"], ship_times), utc=True)
        received = pd.to_datetime(map_keys(links["right_key"], lot_times), utc=True)
        early = (shipped < received).to_numpy()
        timeline = links.loc[early, where].assign(shipped=shipped[early], received=received[early])
    else:
        timeline = links[where].iloc[0:0].assign(shipped=None, received=None)
    exceptions = combine([
        make_exceptions(bad_named, reason=Reason.CONFLICTING_REFERENCE, step=step, record_kind="shipment_line",
                        record_key="key", related="lot_id", qty="qty",
                        detail="outbound {wms_outbound_no} line {line_no} names lot {lot_id} which is not a "
                               "received lot of {sku} in {warehouse_code}; allocated FIFO instead"),
        make_exceptions(over_named, reason=Reason.OVER_ALLOCATION, step=step, record_kind="lot",
                        record_key="lot_key", qty="excess",
                        detail="lot {lot_id}: the 3PL names {drawn} unit(s) shipped, {capacity} received good"),
        make_exceptions(short, reason=Reason.OVER_ALLOCATION, step=step, record_kind="shipment_line",
                        record_key="key", qty="short",
                        detail="outbound {wms_outbound_no} line {line_no}: {short} unit(s) of {sku} shipped "
                               "beyond what was received in the warehouse"),
        make_exceptions(timeline, reason=Reason.TIMELINE_VIOLATION, step=step, record_kind="shipment_line",
                        record_key="left_key", related="right_key",
                        detail="shipped {shipped} before lot {right_key} was received {received}"),
    ])
    return links, exceptions
