"""The fast fingerprint encoder gives exactly the JSON of the recursive converter (hashes never drift)."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from aggregator.store.jsonutil import dumps, to_jsonable
from platform_adapters.canonical import OrderStatus
from tests.store.factories import T0, make_order


@given(order_id=st.text(min_size=1, max_size=20), hours=st.integers(0, 10_000),
       status=st.sampled_from(list(OrderStatus)), qty=st.integers(0, 999),
       price=st.decimals(min_value=Decimal("0"), max_value=Decimal("1e12"), places=4, allow_nan=False))
def test_fast_dumps_equals_the_recursive_form(order_id, hours, status, qty, price) -> None:
    order = make_order(order_id, updated=T0 + timedelta(hours=hours), status=status, qty=qty, price=str(price))
    expected = json.dumps(to_jsonable(order), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert dumps(order) == expected
