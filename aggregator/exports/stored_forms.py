"""Matching's key forms turned back into the values as stored, for the files a user reads.

The matcher compares codes upper-cased (``matching.keys.normalize_code``: platform, shop id, owner id),
so the rows it derives (chains, open lots and documents) carry those key forms. An export names the
records as the store and the marketplaces do: the platform's registered name (``shopee``), the shop id
and the owner id as registered. A value the store does not know is left as it is (never guessed).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.owners.key_form import OwnerOfKey
from aggregator.store.models.tenancy import ShopRow
from matching import keys
from platform_adapters.canonical.common import Platform


def _platform(value: object) -> object:
    try:
        return Platform.parse(str(value)).value if isinstance(value, str) and value else value
    except ValueError:
        return value


def as_stored(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its ``platform``, ``shop_id`` and ``owner_id`` columns (those it has) as stored."""
    out = frame.copy()
    if "platform" in out.columns:
        out["platform"] = out["platform"].map(_platform)
    if "shop_id" in out.columns and "platform" in out.columns and len(out):
        shops = {(platform, keys.normalize_code(shop_id)): shop_id
                 for platform, shop_id in session.execute(select(ShopRow.platform, ShopRow.shop_id))}
        out["shop_id"] = [shops.get((p, keys.normalize_code(s)), s) if isinstance(s, str) else s
                          for p, s in zip(out["platform"], out["shop_id"])]
    if "owner_id" in out.columns and len(out):
        owner_of = OwnerOfKey(session)
        out["owner_id"] = [(owner_of(o) or o) if isinstance(o, str) else o for o in out["owner_id"]]
    return out
