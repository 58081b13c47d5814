"""Fingerprints: the fast encoder gives exactly the JSON of the recursive converter (version-1 hashes never
drift); version 2 (``record_hash``) is pinned by a known value and tells records apart as version 1 does."""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
import pytest

from aggregator.store.fingerprint import content_hash, is_current, record_hash
from aggregator.store.jsonutil import dumps, to_jsonable
from fx.money import Money
from platform_adapters.canonical import Order, OrderLine, OrderStatus, Package, Platform
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


def reference_layout(record) -> list:
    """Version 2's layout written out plainly, value by value (``record_hash`` compiles it per type pattern)."""
    out: list = []
    for name in (f.name for f in dataclasses.fields(record)):
        value = getattr(record, name)
        if type(value) in (str, int, bool) or value is None:
            out.append(value)
        elif isinstance(value, Money):
            out += [format(value.amount, "f"), value.currency]
        elif isinstance(value, datetime):
            out.append(value.isoformat())
        elif isinstance(value, tuple):
            out.append([reference_layout(v) if dataclasses.is_dataclass(v) else v for v in value])
        elif isinstance(value, str):  # Platform, OrderStatus
            out.append(str.__str__(value))
        else:
            raise AssertionError(f"unexpected {type(value)}")
    return out


def reference_hash(record) -> str:
    text = json.dumps(reference_layout(record), ensure_ascii=False, separators=(",", ":"))
    return "v2:" + hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()


amounts = st.none() | st.builds(Money, st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False),
                                st.sampled_from(["MYR", "SGD", "IDR"]))
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8))]))
texts = st.text(max_size=6)
lines = st.builds(OrderLine, line_ref=texts, seller_sku=texts, quantity=st.integers(0, 99), unit_price=amounts,
                  paid_amount=amounts, item_id=st.none() | texts, model_id=st.none() | texts, product_name=texts,
                  status=st.none() | st.sampled_from(list(OrderStatus)), raw_status=st.none() | texts,
                  package_id=st.none() | texts, tracking_number=st.none() | texts, bundle_ref=st.none() | texts,
                  bundle_sku=st.none() | texts)
packages = st.builds(Package, package_id=texts, tracking_number=st.none() | texts, carrier=st.none() | texts,
                     status=st.none() | texts, line_refs=st.lists(texts, max_size=3).map(tuple))
orders = st.builds(Order, platform=st.sampled_from([Platform.SHOPEE, Platform.LAZADA, Platform.TIKTOK]),
                   shop_id=texts, order_id=texts, status=st.sampled_from(list(OrderStatus)), raw_status=texts,
                   created_at=times, updated_at=times, currency=st.sampled_from(["MYR", "SGD"]), total_amount=amounts,
                   paid_at=st.none() | times, buyer_country=st.none() | texts,
                   lines=st.lists(lines, max_size=4).map(tuple), packages=st.lists(packages, max_size=2).map(tuple),
                   shipping_fee=amounts)


@given(order=orders)
def test_record_hash_equals_the_plain_layout(order) -> None:
    """Whatever mix of None, amounts, times, lines and packages an order holds, the compiled layouts hash it
    exactly as the value-by-value layout does."""
    assert record_hash(order) == reference_hash(order)


class Colour(enum.Enum):
    RED = 1
    BLUE = "blue"


@dataclasses.dataclass(frozen=True)
class Holder:
    """A record whose values are of any kind the layout knows (nested records, containers, odd scalars)."""

    first: object
    second: object = None


def reference_value(value):
    """``_value``'s rules written out plainly: what a value that is not a plain field of a record lays out as."""
    if type(value) in (str, int, bool) or value is None:
        return value
    if dataclasses.is_dataclass(value):
        return reference_fields(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, enum.Enum):
        return reference_value(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [reference_value(v) for v in value]
    if isinstance(value, dict):
        return [[str(k), reference_value(v)] for k, v in sorted(value.items(), key=lambda item: str(item[0]))]
    if isinstance(value, (set, frozenset)):
        return sorted((reference_value(v) for v in value), key=repr)
    raise TypeError(type(value))


def reference_fields(record) -> list:
    """A record's fields in order, a field of ``Money`` as its two values, a tuple or list field item by item."""
    out: list = []
    for name in (f.name for f in dataclasses.fields(record)):
        value = getattr(record, name)
        if type(value) is Money:
            out += [format(value.amount, "f"), value.currency]
        else:
            out.append(reference_value(value))
    return out


scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.text(max_size=4)
           | st.decimals(allow_nan=False, allow_infinity=False) | st.dates() | st.sampled_from(list(Colour))
           | st.sampled_from([OrderStatus.SHIPPED, Platform.LAZADA])
           | st.builds(Money, st.decimals(min_value=-999, max_value=999, places=2, allow_nan=False),
                       st.sampled_from(["MYR", "SGD"]))
           | st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-3))])))
values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.text(max_size=3) | st.integers(0, 9), inner, max_size=3)
                   | st.frozensets(st.text(max_size=3) | st.integers(0, 99), max_size=3)
                   | st.builds(Holder, inner, inner)),
    max_leaves=8)


@given(first=values, second=values)
def test_record_hash_of_any_known_values_equals_the_plain_layout(first, second) -> None:
    """Records, containers, enums, decimals, dates and amounts, nested in any way, hash as the value-by-value
    layout encoded by ``json.dumps``."""
    record = Holder(first, second)
    text = json.dumps(reference_fields(record), ensure_ascii=False, separators=(",", ":"))
    assert record_hash(record) == "v2:" + hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()


class Code(str, enum.Enum):
    """A currency code kept as a str-valued enum member: Money accepts it (it is a str of three capitals)."""

    SGD = "SGD"


@given(amount=st.decimals(min_value=-999, max_value=999, places=2, allow_nan=False),
       currency=st.sampled_from(["SGD", Code.SGD]), first=values)
def test_record_hash_writes_an_amounts_currency_as_its_text(amount, currency, first) -> None:
    """An amount whose currency is a str subclass that formats otherwise (``f"{Code.SGD}"`` is ``Code.SGD``)
    hashes as its text, as ``json.dumps`` encodes it: the same hash as the same amount in plain ``"SGD"``."""
    record = Holder(first, Money(amount, currency))
    text = json.dumps(reference_fields(record), ensure_ascii=False, separators=(",", ":"))
    assert record_hash(record) == "v2:" + hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()
    assert record_hash(record) == record_hash(Holder(first, Money(amount, "SGD")))
