"""The quick NUL question asked of every synced record answers as the full search does."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from platform_adapters.tabular.control import NUL_RE, find_control, holds
from tests.store.factories import make_order

texts = st.text(alphabet=st.sampled_from(["a", "é", "\x00", "\x1b", "中", " "]), max_size=6)
json_values = st.recursive(st.none() | st.integers() | st.booleans() | texts,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
                           max_leaves=20)


@given(value=json_values)
def test_holds_answers_as_find_control_on_decoded_json(value) -> None:
    assert holds(value, "\x00") == (find_control(value, "$", NUL_RE) is not None)


@given(order_id=texts.filter(bool), sku=texts, name=texts)
def test_holds_answers_as_find_control_on_records(order_id, sku, name) -> None:
    order = make_order(order_id)
    order = replace(order, lines=(replace(order.lines[0], seller_sku=sku, product_name=name),))
    assert holds(order, "\x00") == (find_control(order, "record", NUL_RE) is not None)
