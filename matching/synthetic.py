"""Synthetic worlds with ground truth and controlled noise, for quality tests and benchmarks.

``generate(size=..., noise=Noise(), seed=...)`` builds owners x warehouses, SKUs, bills of lading,
customs entries, ASN receipts (one lot per receipt line), marketplace orders on three platforms and
the 3PL's outbound lines, vectorised with numpy (1M order lines in seconds). The truth is what
really happened: which shipment line fulfils which order line, and which lot each shipment line was
picked from (FIFO by receipt time per owner x warehouse x SKU, over the shipments the warehouse
really made). Noise is then applied to what the engine sees:

* key variants: order ids written in lower case, with spaces / dashes, full-width, or (numeric ids)
  with leading zeros; SKUs on shipments in lower case with ``_``;
* SKU aliases: order lines carry the platform's seller SKU, known through the owner's crosswalk;
* missing records: an order's shipment record is lost (order shipped, no warehouse record), or an
  order is unknown (shipment with no order);
* duplicate shipment rows; split shipments (one order line in two packages);
* typos: one character of the order id changed on the shipment (only the fuzzy rung can find it).

Shopee shipments carry no order line ref (matched by SKU), Lazada and TikTok ones do.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matching.allocation import allocate_fifo
from matching.crosswalk import CrosswalkRow, SkuCrosswalk
from matching.engine import MatchInput
from matching.synthetic_inbound import InboundNoise, build_inbound, product_name, sku_code

PLATFORMS = np.array(["SHOPEE", "LAZADA", "TIKTOK"])
T0 = pd.Timestamp("2026-01-01", tz="UTC")


@dataclass(frozen=True)
class Noise:
    key_variants: float = 0.10
    sku_aliases: float = 0.10
    missing_shipment: float = 0.005
    missing_order: float = 0.005
    duplicates: float = 0.005
    splits: float = 0.05
    typos: float = 0.002
    named_lots: float = 0.30
    inbound: InboundNoise = field(default_factory=InboundNoise)


@dataclass
class World:
    input: MatchInput
    truth: pd.DataFrame  # step, left_key, right_key, qty
    sizes: dict[str, int] = field(default_factory=dict)
    full_depth: pd.DataFrame | None = None  # order_line, lot, container, document, entry, qty (``matching.quality``)


def _variant(ids: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    """Write a share of ids the way sloppy sources do (the normaliser must undo every one)."""
    out = ids.astype(object).to_numpy().copy()
    pick = np.flatnonzero(rng.random(len(out)) < rate)
    kinds = rng.integers(0, 4, len(pick))
    full = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
    for i, kind in zip(pick, kinds):
        text = out[i]
        if kind == 0:
            out[i] = text.lower()
        elif kind == 1:
            out[i] = f" {text[:4]}-{text[4:]} "
        elif kind == 2:
            out[i] = text.translate(full)
        else:
            out[i] = ("00" + text) if text.isdigit() else f"#{text}"
    return pd.Series(out, index=ids.index, dtype="string")


def _typo(text: str, rng: np.random.Generator) -> str:
    pos = int(rng.integers(0, len(text)))
    alphabet = "0123456789" if text[pos].isdigit() else "ABCDEFGHJKLMNPQRSTUVWXYZ"
    choice = alphabet[int(rng.integers(0, len(alphabet)))]
    if choice == text[pos]:
        choice = alphabet[(alphabet.index(choice) + 1) % len(alphabet)]
    return text[:pos] + choice + text[pos + 1:]


def generate(size: int = 20_000, noise: Noise | None = None, seed: int = 7, *, owners: int | None = None,
             warehouses: int = 2, skus_per_owner: int = 150, receipt_ratio: float = 0.1,
             lines_per_bl: int = 5, order_offset: int = 0) -> World:
    """A world with about ``size`` order lines (see module docstring)."""
    noise = noise or Noise()
    rng = np.random.default_rng(seed)
    n_owners = owners or max(1, min(10, size // 50_000 or 1))

    # --- orders: ids unique, 1..3 lines per order, distinct SKUs within an order
    n = size
    order_no = np.cumsum(rng.random(n) < 0.6) + order_offset
    owner = order_no % n_owners
    platform = PLATFORMS[(order_no // n_owners) % 3]
    line_in_order = pd.Series(order_no).groupby(order_no).cumcount().to_numpy()
    sku_no = (rng.integers(0, skus_per_owner, n) + line_in_order * 7) % skus_per_owner
    owner_s = pd.Series(owner).map(lambda o: f"OWNER{o:02d}").astype("string")
    sku = sku_code(owner_s, sku_no)
    order_id = pd.Series(np.where(platform == "SHOPEE",
                                  [f"26{x:010d}SP" for x in order_no],
                                  [f"7{x:012d}" for x in order_no]), dtype="string")
    shop = (platform + "-" + owner_s.to_numpy()).astype(str)
    line_ref = (order_id + "-" + pd.Series(line_in_order + 1).astype("string")).astype("string")
    qty = rng.integers(1, 4, n)
    ordered_at = T0 + pd.to_timedelta(order_no.astype("int64") * 30, unit="s")
    wh_no = order_no % warehouses
    wh = pd.Series(wh_no).map(lambda w: f"WH{w}").astype("string")
    orders = pd.DataFrame({
        "owner_id": owner_s, "platform": platform, "shop_id": shop, "order_id": order_id, "line_ref": line_ref,
        "sku": sku, "qty": qty, "order_status": "SHIPPED", "ordered_at": ordered_at,
        "product_name": product_name(sku),
    })
    order_key = (orders["platform"] + "|" + orders["shop_id"] + "|" + orders["order_id"] + "|"
                 + orders["line_ref"].str.replace("-", "", regex=False))

    # --- shipments: one outbound per order and warehouse; splits make a second outbound
    split = (rng.random(n) < noise.splits) & (qty >= 2)
    base = pd.DataFrame({"i": np.arange(n), "part": 0, "qty": np.where(split, 1, qty)})
    extra = pd.DataFrame({"i": np.flatnonzero(split), "part": 1, "qty": qty[split] - 1})
    ship = pd.concat([base, extra], ignore_index=True).sort_values(["i", "part"], kind="mergesort")
    idx = ship["i"].to_numpy()
    ship_owner = owner_s.to_numpy()[idx]
    outbound = pd.Series([f"OB{o:09d}{p}" for o, p in zip(order_no[idx], ship["part"])], dtype="string")
    shipments = pd.DataFrame({
        "owner_id": ship_owner, "warehouse_code": wh.to_numpy()[idx], "wms_outbound_no": outbound.to_numpy(),
        "sku": sku.to_numpy()[idx], "qty": ship["qty"].to_numpy(), "platform": platform[idx],
        "shop_id": shop[idx], "order_id": order_id.to_numpy()[idx],
        "order_line_ref": np.where(platform[idx] == "SHOPEE", None, line_ref.to_numpy()[idx]),
        "status": "SHIPPED",
        "shipped_at": ordered_at[idx] + pd.to_timedelta(86_400 + ship["part"].to_numpy() * 3_600, unit="s"),
    })
    shipments["line_no"] = shipments.groupby("wms_outbound_no").cumcount() + 1
    shipments["key"] = (shipments["owner_id"] + "|" + shipments["warehouse_code"] + "|"
                        + shipments["wms_outbound_no"] + "|" + shipments["line_no"].astype("string"))
    shipments["truth_order_key"] = order_key.to_numpy()[idx]
    missing_ship = rng.random(len(shipments)) < noise.missing_shipment
    shipments = shipments[~missing_ship].reset_index(drop=True)

    # --- receipts (lots), BL lines and customs lines; capacity comfortably above demand
    groups = shipments.groupby(["owner_id", "warehouse_code", "sku"], as_index=False)["qty"].sum()
    n_receipts = max(len(groups), int(size * receipt_ratio))
    gi = np.concatenate([np.arange(len(groups)), rng.integers(0, len(groups), n_receipts - len(groups))])
    rec = groups.iloc[gi].reset_index(drop=True)[["owner_id", "warehouse_code", "sku"]]
    per_group = rec.groupby(["owner_id", "warehouse_code", "sku"])["sku"].transform("size").to_numpy()
    demand = groups.set_index(["owner_id", "warehouse_code", "sku"])["qty"]
    need = demand.reindex(pd.MultiIndex.from_frame(rec)).to_numpy()
    rec["planned_qty"] = (np.ceil(need / per_group * 1.25) + 5).astype("int64")
    inbound = build_inbound(rec, rng, noise.inbound, T0, lines_per_asn=lines_per_bl)
    receipts, docs, customs = inbound["receipts"], inbound["documents"], inbound["customs"]
    lot_supply = inbound["lots"]
    doc_truth = inbound["truth"]

    # --- truth: order line -> shipment line, shipment line -> lot (FIFO over what was shipped)
    alloc, _ = allocate_fifo(shipments, lot_supply, group=["owner_id", "warehouse_code", "sku"], demand_id="key",
                             supply_id="lot_key", demand_order=["shipped_at"], supply_order=["received_at"],
                             supply_qty="received_good_qty")
    lost_orders = np.unique(order_no[rng.random(n) < noise.missing_order])
    missing_order = shipments["truth_order_key"].isin(order_key[np.isin(order_no, lost_orders)])
    receipt_steps = [pd.DataFrame({"step": step, "left_key": doc_truth["key"], "right_key": doc_truth[column],
                                   "qty": doc_truth["qty"]}).dropna(subset=["right_key"])
                     for step, column in (("lot_receipt", "lot_key"), ("receipt_transport_doc", "document"),
                                          ("receipt_document", "document_line"), ("receipt_customs_entry", "entry"),
                                          ("receipt_customs", "customs_line"))]
    lot_receipt = receipt_steps[0]
    receipt_steps[0] = pd.DataFrame({"step": "lot_receipt", "left_key": lot_receipt["right_key"],
                                     "right_key": lot_receipt["left_key"], "qty": doc_truth["received"]})
    truth = pd.concat([
        pd.DataFrame({"step": "order_shipment", "left_key": shipments.loc[~missing_order, "truth_order_key"],
                      "right_key": shipments.loc[~missing_order, "key"], "qty": shipments.loc[~missing_order, "qty"]}),
        pd.DataFrame({"step": "shipment_lot", "left_key": alloc["key"], "right_key": alloc["lot_key"],
                      "qty": alloc["qty"]}),
        *receipt_steps,
    ], ignore_index=True)
    # full depth: order line -> lot -> container -> transport document -> customs entry, in units
    served = shipments.loc[~missing_order, ["key", "truth_order_key"]].rename(columns={"truth_order_key": "order_line"})
    deep = alloc.merge(served, on="key").merge(
        doc_truth.drop(columns=["key", "qty"]).rename(columns={"lot_key": "lot"}), left_on="lot_key", right_on="lot")
    full_depth = deep[["order_line", "lot", "container", "document", "entry", "qty"]].reset_index(drop=True)
    orders = orders[~np.isin(order_no, lost_orders)].reset_index(drop=True)

    # --- noise on what the engine sees
    seen = shipments.copy()
    named = rng.random(len(seen)) < noise.named_lots
    lot_of = alloc.drop_duplicates("key", keep=False).set_index("key")["lot_key"].str.split("|").str[2]
    seen["lot_id"] = seen["key"].map(lot_of).where(named)
    seen["order_id"] = _variant(seen["order_id"], rng, noise.key_variants)
    typo = np.flatnonzero(rng.random(len(seen)) < noise.typos)
    if len(typo):
        ids = np.array(seen["order_id"].astype(object).to_numpy(), dtype=object)
        for i in typo:
            ids[i] = _typo(str(ids[i]).strip().upper(), rng)
        seen["order_id"] = pd.Series(ids, dtype="string")
    lower = rng.random(len(seen)) < noise.key_variants
    seen.loc[lower, "sku"] = seen.loc[lower, "sku"].str.lower().str.replace("-", "_", regex=False)
    dup = seen[rng.random(len(seen)) < noise.duplicates]
    seen = pd.concat([seen, dup], ignore_index=True).drop(columns=["key", "truth_order_key"])

    cross = SkuCrosswalk()
    alias = rng.random(len(orders)) < noise.sku_aliases
    aliased = orders.loc[alias, ["owner_id", "platform", "sku"]].drop_duplicates()
    cross.extend([CrosswalkRow(owner_id=o, platform=p, platform_sku=f"{p[:2]}{s}", merchant_sku=s)
                  for o, p, s in aliased.itertuples(index=False)])
    orders.loc[alias, "sku"] = orders.loc[alias, "platform"].str[:2] + orders.loc[alias, "sku"]
    world_input = MatchInput(order_lines=orders, shipment_lines=seen, receipt_lines=receipts,
                             document_lines=docs.reset_index(drop=True), customs_lines=customs, crosswalk=cross)
    sizes = {"order_lines": len(orders), "shipment_lines": len(seen), "receipt_lines": len(receipts),
             "document_lines": len(docs), "customs_lines": len(customs)}
    return World(input=world_input, truth=truth.reset_index(drop=True), sizes=sizes, full_depth=full_depth)


def precision_recall(predicted: pd.DataFrame, truth: pd.DataFrame, steps=("order_shipment", "shipment_lot")
                     ) -> dict[str, tuple[float, float]]:
    """Precision and recall of links (identity = step, left key, right key, qty) per step and overall."""
    out: dict[str, tuple[float, float]] = {}
    tp_all = pred_all = truth_all = 0
    for step in steps:
        p = predicted[predicted["step"] == step][["left_key", "right_key", "qty"]].astype(str)
        t = truth[truth["step"] == step][["left_key", "right_key", "qty"]].astype(str)
        p_set = set(map(tuple, p.to_numpy()))
        t_set = set(map(tuple, t.to_numpy()))
        tp = len(p_set & t_set)
        out[step] = (tp / len(p_set) if p_set else 1.0, tp / len(t_set) if t_set else 1.0)
        tp_all, pred_all, truth_all = tp_all + tp, pred_all + len(p_set), truth_all + len(t_set)
    out["all"] = (tp_all / pred_all if pred_all else 1.0, tp_all / truth_all if truth_all else 1.0)
    return out
