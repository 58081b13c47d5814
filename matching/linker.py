"""First rung of the ladder: marketplace order lines <-> warehouse shipment lines.

For each shipment line the order is found by, in this order: its order id (platform + shop +
normalised order id), the package id, the tracking number, and last a fuzzy order id (one edit away,
same shop, same SKU, only among orders no shipment names, and only when exactly one candidate
exists). Inside the order the line is found by the order line ref when the 3PL gives one, else by
canonical SKU, quantities spread over same-SKU lines in line order (``allocate_fifo``). Methods and
confidences:

``exact`` 1.0 (order id + line ref) · ``rule:order_sku`` 0.95 · ``rule:package`` / ``rule:package_sku``
0.9 · ``rule:tracking`` / ``rule:tracking_sku`` 0.9 · ``fuzzy`` 0.75 · ``manual`` 1.0.

Manual links (step ``order_shipment``) take the shipment line out of automatic matching, so they
survive every re-match. Cancelled shipments are not linked.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from matching.allocation import allocate_fifo
from matching.exceptions import Reason, combine, make_exceptions
from matching.frames import map_keys, member, positions, rows_where, sort_order, take_consuming

LINK_COLUMNS = ["step", "owner_id", "partition", "left_key", "right_key", "qty", "method", "confidence"]
LINK_SORT = ["partition", "left_key", "right_key"]  # the order of this rung's links (unique per link)
STEP = "order_shipment"
CONFIDENCE = {
    "exact": 1.0, "manual": 1.0, "rule:order_sku": 0.95, "rule:package": 0.9, "rule:package_sku": 0.9,
    "rule:tracking": 0.9, "rule:tracking_sku": 0.9, "fuzzy": 0.75,
}
CANCELLED = {"CANCELLED", "CANCELED"}
# how a shipment line found its order -> the link's method (linked by line ref, by SKU), as lookup tables
_BY_REF = pd.Series({"order_id": "exact", "package": "rule:package", "tracking": "rule:tracking", "fuzzy": "fuzzy"},
                    dtype="str")
_BY_SKU = pd.Series({"order_id": "rule:order_sku", "package": "rule:package_sku", "tracking": "rule:tracking_sku",
                     "fuzzy": "fuzzy"}, dtype="str")
_CONFIDENCE = pd.Series(CONFIDENCE, dtype="float64")
SHIPPED_ORDER_STATUSES = {"SHIPPED", "DELIVERED", "COMPLETED", "RETURNING", "RETURNED", "LOST"}  # goods left the warehouse


def empty_links() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c == "confidence" else
                                      ("int64" if c == "qty" else "string")) for c in LINK_COLUMNS})


def active_shipments(shipments: pd.DataFrame) -> pd.DataFrame:
    return rows_where(shipments, ~shipments["status"].isin(CANCELLED).fillna(False).astype(bool))


# the columns this rung reads (and its exceptions quote): the rest of a prepared frame is not copied along
ORDER_COLUMNS = ["key", "partition", "owner_id", "order_key", "platform", "shop_id", "order_id", "order_id_n",
                 "line_ref", "line_ref_n", "package_id", "tracking_n", "sku", "sku_c", "qty", "order_status"]
SHIP_COLUMNS = ["key", "partition", "shop_partition", "owner_id", "platform", "shop_id", "order_id", "order_id_n",
                "line_ref_n", "package_id", "tracking_number", "tracking_n", "sku", "sku_c", "qty", "line_no",
                "wms_outbound_no", "status"]


def first_rows(frame: pd.DataFrame, key: str = "key") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the first row of each ``key``, the further copies); the first is ``frame`` itself when the keys
    are unique (no copy)."""
    repeated = frame[key].duplicated(keep="first").to_numpy()
    return (frame[~repeated] if repeated.any() else frame), frame[repeated]


def link_orders(orders: pd.DataFrame, shipments: pd.DataFrame, manual: pd.DataFrame
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(links, exceptions)`` of the order -> shipment step (prepared frames in)."""
    orders = orders[[c for c in ORDER_COLUMNS if c in orders.columns]]
    ship = active_shipments(shipments[[c for c in SHIP_COLUMNS if c in shipments.columns]])
    manual_step = manual[manual["step"] == STEP]
    ol, dup = first_rows(orders)
    order_part = ol.set_index("key")["partition"]
    manual_links = _manual_links(manual_step, order_part, ship)
    auto = rows_where(ship, ~member(ship["key"], manual_step["right_key"]))

    resolved = _resolve_orders(orders, auto)
    links, leftovers = _link_lines(ol, resolved, manual_links)
    del resolved, auto
    found = [l for l in (manual_links, links) if not l.empty]
    links = (pd.concat(found, ignore_index=True) if len(found) > 1
             else found[0].reset_index(drop=True) if found else empty_links())
    del found
    exceptions = _exceptions(dup, ol, links, leftovers)
    links = links[LINK_COLUMNS]
    # sorted one column at a time while the unsorted columns are dropped: the links never exist twice
    return take_consuming(links, sort_order(links, LINK_SORT)), exceptions


def _manual_links(manual: pd.DataFrame, order_part: pd.Series, ship: pd.DataFrame) -> pd.DataFrame:
    if manual.empty:
        return empty_links()
    owner = ship.drop_duplicates("key").set_index("key")["owner_id"]
    out = pd.DataFrame({
        "step": STEP,
        "owner_id": manual["right_key"].map(owner).fillna(manual["right_key"].str.split("|").str[0]),
        "partition": manual["left_key"].map(order_part).fillna("shop|?"),
        "left_key": manual["left_key"], "right_key": manual["right_key"],
        "qty": manual["qty"].astype("int64"), "method": "manual", "confidence": 1.0,
    })
    return out


def _resolve_orders(orders: pd.DataFrame, ship: pd.DataFrame) -> pd.DataFrame:
    """Add ``order_key`` and ``via`` (order_id, package, tracking, fuzzy) to each shipment line."""
    direct_key = (ship["platform"].fillna("") + "|" + ship["shop_id"].fillna("") + "|"
                  + ship["order_id_n"].fillna("")).astype("string")
    hit = (member(ship["owner_id"] + "|" + direct_key, orders["owner_id"] + "|" + orders["order_key"])
           & ship["order_id_n"].notna()).to_numpy()
    # whole columns at once (a masked write into an Arrow string column copies it)
    ship["order_key"] = direct_key.where(hit)
    ship["via"] = pd.Series(np.where(hit, "order_id", None), index=ship.index, dtype="string")

    for column, order_column, via in (("package_id", "package_id", "package"),
                                      ("tracking_n", "tracking_n", "tracking")):
        todo = ship["order_key"].isna() & ship[column].notna()
        if not todo.any():
            continue
        # within the shipment's shop when it names one, else anywhere in the owner's shops
        for scope in (["owner_id", "platform", "shop_id"], ["owner_id"]):
            named_shop = ship["platform"].notna() & ship["shop_id"].notna()
            rows = todo & (named_shop if len(scope) == 3 else ~named_shop)
            if not rows.any():
                continue
            index = orders[orders[order_column].notna()][[*scope, order_column, "order_key"]].drop_duplicates()
            unique = index.drop_duplicates([*scope, order_column], keep=False)
            probe = ship.loc[rows, [*scope, column]].rename(columns={column: order_column})
            found = probe.reset_index().merge(unique, on=[*scope, order_column], how="inner").set_index("index")
            ship.loc[found.index, "order_key"] = found["order_key"]
            ship.loc[found.index, "via"] = via

    todo = ship["order_key"].isna() & ship["order_id_n"].notna()
    if todo.any():
        fuzzy = _fuzzy_orders(orders, ship, ship[todo])
        ship.loc[fuzzy.index, "order_key"] = fuzzy
        ship.loc[fuzzy.index, "via"] = "fuzzy"
    return ship


def _deletions(text: str) -> set[str]:
    return {text} | {text[:i] + text[i + 1:] for i in range(len(text))}


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _shop_of(frame: pd.DataFrame) -> pd.Series:
    return frame["owner_id"].fillna("") + "|" + frame["platform"].fillna("") + "|" + frame["shop_id"].fillna("")


def _columns(frame: pd.DataFrame, *extra: str) -> list[list]:
    """Owner, platform, shop ("" when missing), order id, [extra...], canonical SKU as Python lists (walking
    Arrow strings value by value is slow)."""
    names = ["owner_id", "platform", "shop_id", "order_id_n", *extra, "sku_c"]
    return [frame[c].fillna("").tolist() if c in ("platform", "shop_id") else frame[c].tolist() for c in names]


def _fuzzy_orders(orders: pd.DataFrame, ship: pd.DataFrame, todo: pd.DataFrame) -> pd.Series:
    """Order key for shipment lines whose order id is one edit from exactly one unnamed order."""
    pool = orders[~member(orders["order_key"], ship["order_key"])]  # orders no shipment names
    pool = pool[member(_shop_of(pool), _shop_of(todo)).to_numpy()]
    index: dict[tuple[str, str, str, str], set[str]] = {}
    skus_of: dict[str, set[str]] = {}
    for owner, platform, shop, oid, okey, sku in zip(*_columns(pool, "order_key")):
        if oid is None or oid is pd.NA:
            continue
        skus_of.setdefault(okey, set()).add(sku)
        for variant in _deletions(oid):
            index.setdefault((owner, platform, shop, variant), set()).add(okey)
    found: dict[object, str] = {}
    for idx, (owner, platform, shop, oid, sku) in zip(todo.index, zip(*_columns(todo))):
        candidates: set[str] = set()
        for variant in _deletions(oid):
            candidates |= index.get((owner, platform, shop, variant), set())
        candidates = {c for c in candidates
                      if sku in skus_of.get(c, ()) and _within_one_edit(c.rsplit("|", 1)[-1], oid)}
        if len(candidates) == 1:
            found[idx] = candidates.pop()
    return pd.Series(found, dtype="string")


def _by_line_ref(probe: pd.DataFrame, ol: pd.DataFrame) -> pd.DataFrame:
    """The inner join of ``probe`` (shipment lines with an order key and a line ref) with ``ol`` on (order key,
    line ref), in ``probe``'s order, with the order line's ``left_key`` and ``o_partition``. An order line's
    key is its order key and line ref joined by ``|`` (unique in ``ol``), so the join is a lookup of that key;
    the parts are compared as well, in case an id holds a ``|``."""
    at = positions(probe["order_key"] + "|" + probe["line_ref_n"], ol["key"])
    rows = np.flatnonzero(at >= 0)
    found = at[rows]
    same = np.ones(len(rows), dtype=bool)
    for column in ("order_key", "line_ref_n"):
        mine = pa.array(probe[column].iloc[rows].reset_index(drop=True))
        theirs = pa.array(ol[column].iloc[found].reset_index(drop=True))
        same &= pc.fill_null(pc.equal(mine, theirs), False).to_numpy(zero_copy_only=False)
    rows, found = rows[same], found[same]
    out = probe.iloc[rows].reset_index(drop=True)
    out["left_key"] = ol["key"].iloc[found].reset_index(drop=True)
    out["o_partition"] = ol["partition"].iloc[found].reset_index(drop=True)
    return out


def _link_lines(ol: pd.DataFrame, ship: pd.DataFrame, manual_links: pd.DataFrame
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Link resolved shipment lines to order lines (``ol``: the first row of each order line key); return
    links (unsorted; each (order line, shipment line) pair once) and shipment lines left unlinked.

    The joins carry only the columns they need; the leftovers (the exceptions quote every column) are
    taken from ``ship`` itself."""
    found = ship["order_key"].notna().to_numpy()
    with_ref = found & ship["line_ref_n"].notna().to_numpy()
    by_ref = _by_line_ref(ship.loc[with_ref, ["owner_id", "order_key", "line_ref_n", "key", "qty", "via"]], ol)
    exact = pd.DataFrame({
        "step": STEP, "owner_id": by_ref["owner_id"], "partition": by_ref["o_partition"],
        "left_key": by_ref["left_key"], "right_key": by_ref["key"], "qty": by_ref["qty"].astype("int64"),
        "method": map_keys(by_ref["via"], _BY_REF),
    }, copy=False)  # columns shared with ``by_ref`` (copy-on-write), not copied
    is_rest = found & ~member(ship["key"], by_ref["key"]).to_numpy()
    rest = ship.loc[is_rest, ["owner_id", "order_key", "sku_c", "key", "line_no", "wms_outbound_no", "qty", "via"]]

    used = pd.concat([exact[["left_key", "qty"]], manual_links[["left_key", "qty"]]])
    used = used.groupby("left_key")["qty"].sum()
    wanted = ol[member(ol["order_key"], rest["order_key"])]  # only orders a shipment line still needs
    supply = wanted[["owner_id", "order_key", "sku_c", "key", "line_ref_n", "qty"]].copy()
    supply["cap"] = (supply["qty"] - map_keys(supply["key"], used).fillna(0).astype("int64")).clip(lower=0)
    alloc, short = allocate_fifo(
        rest.drop(columns="via"), supply.rename(columns={"key": "left_key"}),
        group=["owner_id", "order_key", "sku_c"], demand_id="key", supply_id="left_key",
        demand_order=["wms_outbound_no", "line_no"], supply_order=["line_ref_n"], supply_qty="cap")
    via = rest.set_index("key")["via"]
    by_sku = pd.DataFrame({
        "step": STEP, "owner_id": alloc["owner_id"],
        # typed as the order lines' partition even when nothing is allocated (an empty lookup is untyped)
        "partition": map_keys(alloc["left_key"], wanted.set_index("key")["partition"]).astype(ol["partition"].dtype),
        "left_key": alloc["left_key"], "right_key": alloc["key"], "qty": alloc["qty"].astype("int64"),
        "method": map_keys(map_keys(alloc["key"], via), _BY_SKU),
    }, copy=False)
    del alloc, supply, via, rest, wanted, used
    links = pd.concat([exact, by_sku], ignore_index=True)
    del exact, by_sku, by_ref  # the pieces are in ``links`` now: not kept twice while the rest runs
    links["confidence"] = map_keys(links["method"], _CONFIDENCE).astype("float64")
    # pairs are unique: a shipment line is linked either by its line ref or by SKU, and the allocation
    # already sums each (shipment line, order line) pair
    over = short.rename(columns={"key": "shipment_key"})
    unresolved = ship[~found]
    leftovers = pd.concat([unresolved.assign(short=unresolved["qty"], reason="no_order"),
                           ship[is_rest & member(ship["key"], over["shipment_key"]).to_numpy()].assign(
                               short=lambda f: f["key"].map(over.set_index("shipment_key")["short"]),
                               reason="over")], ignore_index=True)
    return links, leftovers


def _exceptions(dup: pd.DataFrame, ol: pd.DataFrame, links: pd.DataFrame, leftovers: pd.DataFrame
                ) -> pd.DataFrame:
    """The order rung's exceptions; ``dup``: the further copies of repeated order line keys."""
    # units linked to each order line (``ol`` has one row per key): summed by position, and only the
    # exception rows get the column (no copy of every order line)
    at = positions(links["left_key"], ol["key"])
    hit = at >= 0
    linked = np.bincount(at[hit], weights=links["qty"].to_numpy()[hit], minlength=len(ol)).astype(np.int64)
    shipped_status = ol["order_status"].isin(SHIPPED_ORDER_STATUSES).fillna(False).astype(bool).to_numpy()
    none = shipped_status & (linked == 0)
    missing = ol[none].assign(linked=linked[none])
    beyond = linked > ol["qty"].to_numpy()
    over_order = ol[beyond].assign(linked=linked[beyond]).assign(excess=lambda f: f["linked"] - f["qty"])
    no_order = leftovers[leftovers["reason"] == "no_order"]
    over_ship = leftovers[leftovers["reason"] == "over"]
    return combine([
        make_exceptions(missing, reason=Reason.ORDER_WITHOUT_SHIPMENT, step=STEP, record_kind="order_line",
                        record_key="key", qty="qty",
                        detail="order {order_id} line {line_ref} ({sku} x{qty}) is {order_status} but no "
                               "warehouse shipment names it"),
        make_exceptions(no_order, reason=Reason.SHIPMENT_WITHOUT_ORDER, step=STEP,
                        record_kind="shipment_line", record_key="key", qty="qty", partition="shop_partition",
                        detail="outbound {wms_outbound_no} line {line_no} ({sku} x{qty}) names order "
                               "{order_id} / package {package_id} / tracking {tracking_number}: no such order"),
        make_exceptions(over_ship, reason=Reason.OVER_SHIPPED, step=STEP, record_kind="shipment_line",
                        record_key="key", related="order_key", qty="short", partition="shop_partition",
                        detail="outbound {wms_outbound_no} line {line_no} ships {short} unit(s) of {sku} more "
                               "than order {order_id} still has open"),
        make_exceptions(over_order, reason=Reason.OVER_SHIPPED, step=STEP, record_kind="order_line",
                        record_key="key", qty="excess",
                        detail="order line {line_ref} of {order_id}: {linked} shipped for {qty} ordered"),
        make_exceptions(dup, reason=Reason.DUPLICATE, step=STEP, record_kind="order_line", record_key="key",
                        qty="qty", detail="order line {line_ref} of {order_id} appears more than once"),
    ])
