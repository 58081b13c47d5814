"""Fingerprints: the fast encoder gives exactly the JSON of the recursive converter (version-1 hashes never
drift); version 2 (``record_hash``) is pinned by a known value and tells records apart as version 1 does."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
import pytest

from aggregator.store.fingerprint import content_hash, is_current, record_hash
from aggregator.store.jsonutil import dumps, to_jsonable
from platform_adapters.canonical import OrderStatus
from tests.store.factories import T0, make_order

GOLDEN = "v2:d0d69532cbbe7d0bcdac1e173747cfb3c066387e"


@given(order_id=st.text(min_size=1, max_size=20), hours=st.integers(0, 10_000),
       status=st.sampled_from(list(OrderStatus)), qty=st.integers(0, 999),
       price=st.decimals(min_value=Decimal("0"), max_value=Decimal("1e12"), places=4, allow_nan=False))
def test_fast_dumps_equals_the_recursive_form(order_id, hours, status, qty, price) -> None:
    order = make_order(order_id, updated=T0 + timedelta(hours=hours), status=status, qty=qty, price=str(price))
    expected = json.dumps(to_jsonable(order), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert dumps(order) == expected


def test_record_hash_is_stable_and_versioned() -> None:
    """The stored hashes of orders must not drift between releases: a change to ``record_hash``'s layout is
    a new version (prefix), never the same prefix with other digests."""
    order = make_order("2611010001", updated=T0, qty=2, price="19.90")
    assert record_hash(order) == record_hash(make_order("2611010001", updated=T0, qty=2, price="19.90"))
    assert record_hash(order) == GOLDEN and is_current(record_hash(order))
    assert not is_current(content_hash(order))


@given(a=st.tuples(st.text(min_size=1, max_size=8), st.integers(0, 50), st.sampled_from(list(OrderStatus)),
                   st.integers(0, 9), st.sampled_from(["1.00", "1.0", "2.50", "19.90"])),
       b=st.tuples(st.text(min_size=1, max_size=8), st.integers(0, 50), st.sampled_from(list(OrderStatus)),
                   st.integers(0, 9), st.sampled_from(["1.00", "1.0", "2.50", "19.90"])))
def test_record_hash_tells_records_apart_as_the_previous_version_does(a, b) -> None:
    """Two orders get the same version-2 hash exactly when they get the same version-1 hash."""
    first, second = (make_order(o, updated=T0 + timedelta(hours=h), status=s, qty=q, price=p) for o, h, s, q, p in (a, b))
    assert (record_hash(first) == record_hash(second)) == (content_hash(first) == content_hash(second))


def test_record_hash_refuses_what_it_cannot_lay_out() -> None:
    @dataclasses.dataclass(frozen=True)
    class Odd:
        value: object

    assert record_hash(Odd(frozenset({"a"}))) == record_hash(Odd(frozenset({"a"})))
    with pytest.raises(TypeError):
        record_hash(Odd(1.5))
