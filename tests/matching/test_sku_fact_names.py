"""``sku_facts`` joins each SKU's product names by slices of the sorted names; property-tested against the
grouped join it replaced."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.sku_facts import sku_facts

_TEXT = st.sampled_from(["", " ", "Lamp", "lamp", "Desk Lamp", "台灯", "Bag M", "bag", None])


def _reference(orders: pd.DataFrame, receipts: pd.DataFrame) -> pd.DataFrame:
    """The facts as the grouped ``" ".join`` made them."""
    skus = pd.concat([receipts[["owner_id", "sku_c"]], orders[["owner_id", "sku_c"]]],
                     ignore_index=True).dropna().drop_duplicates()
    named = orders[["owner_id", "sku_c", "product_name"]].dropna()
    named = named[named["product_name"].str.strip() != ""].drop_duplicates()
    names = (named.sort_values(["owner_id", "sku_c", "product_name"], kind="mergesort")
             .groupby(["owner_id", "sku_c"], as_index=False)["product_name"].agg(" ".join)
             .rename(columns={"product_name": "names"}))
    out = skus.merge(names, on=["owner_id", "sku_c"], how="left")
    out["descriptor"] = (out["sku_c"].astype("string").str.replace("-", " ", regex=False) + " "
                         + out["names"].astype("string").fillna("")).str.strip()
    out["hs_hint"] = pd.NA
    out = out[["owner_id", "sku_c", "descriptor", "hs_hint"]].astype("string")
    return out.sort_values(["owner_id", "sku_c"], kind="mergesort").reset_index(drop=True)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["O1", "O2", None]), st.sampled_from(["A-1", "B", "A", None]), _TEXT),
                     max_size=30),
       received=st.lists(st.tuples(st.sampled_from(["O1", "O3"]), st.sampled_from(["A-1", "C"])), max_size=5))
def test_names_joined_as_by_a_grouped_join(rows, received):
    orders = pd.DataFrame(rows, columns=["owner_id", "sku_c", "product_name"]).astype("string")
    receipts = pd.DataFrame(received, columns=["owner_id", "sku_c"]).astype("string")
    got, expected = sku_facts(orders, receipts, None), _reference(orders, receipts)
    assert list(got.columns) == list(expected.columns)
    assert got.astype(object).where(got.notna(), None).values.tolist() == \
        expected.astype(object).where(expected.notna(), None).values.tolist()
