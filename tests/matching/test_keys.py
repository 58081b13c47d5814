"""Key normalisers and SKU crosswalk: idempotent, scalar == vectorised, variants collapse to one key."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import keys
from matching.crosswalk import CrosswalkRow, SkuCrosswalk

PAIRS = [
    (keys.normalize_order_id, keys.order_ids),
    (keys.normalize_tracking, keys.tracking_numbers),
    (keys.normalize_line_ref, keys.line_refs),
    (keys.normalize_sku, keys.skus),
    (keys.normalize_code, keys.codes),
]
any_text = st.one_of(st.none(), st.text(max_size=20),
                     st.text(alphabet="0１２３ABCabc-_ ./#:Ｘｙ\u3000", max_size=16))
ids = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=18)
FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@settings(max_examples=100, deadline=None)
@given(st.lists(any_text, max_size=12))
def test_scalar_and_vectorised_agree_and_are_idempotent(values):
    series = pd.Series(values, dtype=object)
    for scalar, vector in PAIRS:
        expected = [scalar(v) for v in values]
        got = [None if pd.isna(v) else v for v in vector(series)]
        assert got == expected
        assert [scalar(v) for v in expected] == expected


@settings(max_examples=25, deadline=None)
@given(st.lists(any_text, min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_long_columns_of_repeated_values_take_the_distinct_value_path_and_still_agree(values, rnd):
    # more than 2,000 rows drawn from a few values: each distinct value is normalised once
    series = pd.Series([rnd.choice(values) for _ in range(3_000)], dtype=object)
    for scalar, vector in PAIRS:
        got = [None if pd.isna(v) else v for v in vector(series)]
        assert got == [scalar(v) for v in series]


@settings(max_examples=300, deadline=None)
@given(ids, st.sampled_from(["lower", "spaces", "dashes", "full", "zeros", "hash"]))
def test_order_id_variants_collapse_to_one_key(order_id, variant):
    written = {
        "lower": order_id.lower(),
        "spaces": f"  {order_id[:3]} {order_id[3:]} ",
        "dashes": "-".join(order_id),
        "full": order_id.translate(FULL),
        "zeros": "00" + order_id if order_id.isdigit() else order_id,
        "hash": "#" + order_id,
    }[variant]
    assert keys.normalize_order_id(written) == keys.normalize_order_id(order_id)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ABCDEFGH0123456789", min_size=1, max_size=5), min_size=1, max_size=4),
       st.sampled_from(["-", "_", " ", "/", "."]), st.booleans())
def test_sku_separator_and_case_variants_collapse(parts, separator, lower):
    canonical = "-".join(parts)
    written = separator.join(parts)
    written = written.lower() if lower else written
    assert keys.normalize_sku(written) == keys.normalize_sku(canonical) == canonical


@pytest.mark.parametrize("written", ["ORDERNO5", "orderid 5", "Order-5", "NO.5", "ORDERNOX5", "NOORDER1",
                                     "ORDER5ID", "ORDERIDNO5", "no5a", "ＯＲＤＥＲ５", "ß1", "\x1c12\x1f"])
def test_order_prefix_rules_agree_between_fast_and_scalar_paths(written):
    assert keys.order_ids(pd.Series([written])).iloc[0] == keys.normalize_order_id(written)


@given(st.text(alphabet="0123456789ABCDEIMNORZabz", max_size=10) | st.text(max_size=6)
       | st.sampled_from(["NO5", "ORDER5", "ORDERNO5", "NOX", "ORDERX", "NO", "0", "00", "05", "0A", "A0", "5A", "Ab",
                          "ß1", "ǅ1", "Ⅻ", "²3"]))
def test_order_ids_already_normal_take_the_shortcut_to_the_same_key(value):
    assert keys.normalize_order_id(value) == keys._normalize_order_id(value)


def test_numeric_ids_lose_leading_zeros_alphanumeric_keep_them():
    assert keys.normalize_order_id("000881234") == "881234"
    assert keys.normalize_order_id("0A12") == "0A12"
    assert keys.normalize_tracking(" spxmy 0000-0001 ") == "SPXMY00000001"
    assert keys.normalize_order_id("Order-No. 42") == "42"
    assert keys.normalize_order_id("   ") is None


def test_crosswalk_resolves_aliases_per_owner_and_refuses_conflicts():
    cross = SkuCrosswalk()
    problems = cross.extend([
        CrosswalkRow("OWNER-A", platform_sku="eb53-black", merchant_sku="LMN-EB-BT53-BLK"),
        CrosswalkRow("OWNER-B", platform_sku="EB53-BLACK", merchant_sku="OTHER-SKU"),
        CrosswalkRow("OWNER-A", platform_sku="EB53 BLACK", merchant_sku="LMN-EB-BT53-WHT"),  # conflict
        CrosswalkRow("OWNER-A"),
    ])
    assert [p.location for p in problems] == ["rows:3", "rows:4"]
    assert "already maps to LMN-EB-BT53-BLK" in problems[0].reason
    assert cross.canonical("owner-a", "EB53_black") == "LMN-EB-BT53-BLK"
    assert cross.canonical("OWNER-B", "eb53-black") == "OTHER-SKU"
    assert cross.canonical("OWNER-C", "eb53-black") == "EB53-BLACK"  # unknown owner: itself
    resolved = cross.resolve(pd.Series(["OWNER-A", "OWNER-B", "OWNER-A"]),
                             pd.Series(["eb53 black", "EB53-BLACK", "x_y"]))
    assert resolved.tolist() == ["LMN-EB-BT53-BLK", "OTHER-SKU", "X-Y"]


def test_crosswalk_csv_load_reports_missing_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("platform_sku,merchant_sku\nA,B\n", encoding="utf-8")
    assert SkuCrosswalk().load_csv(bad)[0].reason == "missing column(s): ['owner_id']"
