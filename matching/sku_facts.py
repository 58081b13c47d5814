"""What the engine knows about each SKU of an owner, for comparing it with documents that name no SKU.

One row per (owner, canonical SKU): a ``descriptor`` text (the SKU's parts, ``LMN-EB-BT53-BLK`` ->
``LMN EB BT53 BLK``, plus every product name the marketplaces give for it) and an ``hs_hint`` (the
HS code the owner's crosswalk records for it). ``matching.documents`` compares the descriptor's
tokens with bill-of-lading and customs descriptions and the hint with their HS codes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from matching.crosswalk import SkuCrosswalk
from matching.frames import change_points

SKU_FACT_COLUMNS = ["owner_id", "sku_c", "descriptor", "hs_hint"]


def empty_facts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in SKU_FACT_COLUMNS})


def _joined_names(named: pd.DataFrame) -> pd.DataFrame:
    """(owner_id, sku_c, names): the product names of each (owner, SKU) of ``named`` (sorted by the three
    columns, no repeated row) joined by a space in that order; one ``str.join`` per SKU over slices of
    the sorted names, not a grouped Python call."""
    starts = np.flatnonzero(change_points(named, ["owner_id", "sku_c"]))
    ends = np.append(starts[1:], len(named)).tolist()
    texts = named["product_name"].tolist()
    firsts = named[["owner_id", "sku_c"]].iloc[starts].reset_index(drop=True)
    return firsts.assign(names=[" ".join(texts[a:b]) for a, b in zip(starts.tolist(), ends)])


def sku_facts(orders: pd.DataFrame, receipts: pd.DataFrame, crosswalk: SkuCrosswalk | None) -> pd.DataFrame:
    """Facts of every SKU received (receipt lines) or sold (order lines), sorted by owner and SKU."""
    parts = [f[["owner_id", "sku_c"]] for f in (receipts, orders) if not f.empty]
    if not parts:
        return empty_facts()
    skus = pd.concat(parts, ignore_index=True).dropna().drop_duplicates()
    names = pd.DataFrame(columns=["owner_id", "sku_c", "names"])
    if not orders.empty and "product_name" in orders:
        named = orders[["owner_id", "sku_c", "product_name"]].dropna()
        named = named[named["product_name"].str.strip() != ""].drop_duplicates()
        if not named.empty:
            names = _joined_names(named.sort_values(["owner_id", "sku_c", "product_name"], kind="mergesort"))
    out = skus.merge(names, on=["owner_id", "sku_c"], how="left")
    out["descriptor"] = (out["sku_c"].astype("string").str.replace("-", " ", regex=False) + " "
                         + out["names"].astype("string").fillna("")).str.strip()
    hints = crosswalk.hs_hints() if crosswalk is not None else {}
    if hints:
        table = pd.DataFrame([(o, s, h) for (o, s), h in hints.items()], columns=["owner_id", "sku_c", "hs_hint"])
        out = out.merge(table.astype("string"), on=["owner_id", "sku_c"], how="left")
    else:
        out["hs_hint"] = pd.NA
    out = out[SKU_FACT_COLUMNS].astype("string")
    return out.sort_values(["owner_id", "sku_c"], kind="mergesort").reset_index(drop=True)
