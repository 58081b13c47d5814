"""``canonical.common.slot_init``: the marketplace records made through their slots' descriptors are the records
``dataclass(frozen=True)``'s own ``__init__`` makes (same fields, defaults, ``__post_init__`` checks and
normalisation, same refusals), and they stay frozen; a class it does not fit is refused at definition."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fx.money import Money
from platform_adapters.canonical import Order, OrderLine, OrderStatus, Package, Platform
from platform_adapters.canonical.common import slot_init


def dataclass_made(cls: type, args: tuple, kwargs: dict):
    """What the dataclass's generated ``__init__`` does: bind the arguments to the fields (defaults for the
    rest), set each with ``object.__setattr__``, then run ``__post_init__``."""
    fields = dataclasses.fields(cls)
    names = [f.name for f in fields]
    if len(args) > len(names):
        raise TypeError("too many positional arguments")
    values = dict(zip(names, args))
    for name, value in kwargs.items():
        if name not in names or name in values:
            raise TypeError(f"bad argument {name!r}")
        values[name] = value
    record = object.__new__(cls)
    for f in fields:
        if f.name not in values and f.default is dataclasses.MISSING:
            raise TypeError(f"missing {f.name!r}")
        object.__setattr__(record, f.name, values.get(f.name, f.default))
    record.__post_init__()
    return record


def outcome(make):
    try:
        record = make()
    except Exception as exc:  # noqa: BLE001  (the kind of refusal is what is compared)
        return ("error", type(exc))
    return ("ok", record, [getattr(record, f.name) for f in dataclasses.fields(record)])


amounts = st.none() | st.builds(Money, st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False),
                                st.sampled_from(["MYR", "SGD"]))
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8))]) | st.none())
texts = st.text(max_size=5)
line_values = st.fixed_dictionaries(
    {"line_ref": texts, "seller_sku": texts,
     "quantity": st.integers(-2, 9) | st.sampled_from([True, 1.0, "1"])},
    optional={"unit_price": amounts, "paid_amount": amounts, "item_id": st.none() | texts,
              "status": st.none() | st.sampled_from(list(OrderStatus)), "bundle_sku": st.none() | texts})
order_values = st.fixed_dictionaries(
    {"platform": st.sampled_from([Platform.SHOPEE, Platform.TIKTOK]), "shop_id": texts, "order_id": texts,
     "status": st.sampled_from(list(OrderStatus)), "raw_status": texts, "created_at": times, "updated_at": times,
     "currency": st.sampled_from(["MYR", "SGD"])},
    optional={"total_amount": amounts, "paid_at": times, "buyer_country": st.none() | texts,
              "lines": st.just((OrderLine("1", "A", 1),)), "packages": st.just((Package("P1"),)),
              "shipping_fee": amounts})


@given(values=line_values, positional=st.integers(0, 4))
def test_order_lines_are_the_dataclass_records(values, positional) -> None:
    names = list(values)[:positional]
    args = tuple(values[n] for n in names)
    kwargs = {n: v for n, v in values.items() if n not in names}
    assert outcome(lambda: OrderLine(*args, **kwargs)) == outcome(lambda: dataclass_made(OrderLine, args, kwargs))


@given(values=order_values)
def test_orders_are_the_dataclass_records(values) -> None:
    mine, reference = outcome(lambda: Order(**values)), outcome(lambda: dataclass_made(Order, (), values))
    assert mine == reference
    if mine[0] == "ok":  # times normalised to UTC by __post_init__, as before
        assert all(t is None or t.tzinfo is timezone.utc for t in (mine[1].created_at, mine[1].paid_at))


def test_wrong_arguments_are_refused_and_records_stay_frozen() -> None:
    with pytest.raises(TypeError):
        OrderLine("1", "A")  # quantity missing
    with pytest.raises(TypeError):
        OrderLine("1", "A", 1, colour="red")
    with pytest.raises(TypeError):
        Package("P1", package_id="P2")
    with pytest.raises(ValueError, match="quantity"):
        OrderLine("1", "A", -1)
    line = OrderLine("1", "A", 2, unit_price=Money(Decimal("1.50"), "SGD"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.quantity = 3  # type: ignore[misc]
    assert line == OrderLine(line_ref="1", seller_sku="A", quantity=2, unit_price=Money(Decimal("1.50"), "SGD"))
    assert hash(line) == hash(dataclasses.replace(line))
    assert Package("P1").line_refs == () and OrderLine.__init__.__qualname__ == "OrderLine.__init__"


def test_classes_it_does_not_fit_are_refused() -> None:
    @dataclass(slots=True)
    class Open:
        a: int

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(frozen=True, slots=True)
    class Factory:
        a: list = field(default_factory=list)

    @dataclass(frozen=True, slots=True)
    class KeywordOnly:
        a: int = field(kw_only=True)

    @dataclass(frozen=True, slots=True)
    class NotInit:
        a: int = field(default=1, init=False)

    @dataclass(frozen=True, slots=True)
    class WithInitVar:
        a: int
        scale: dataclasses.InitVar[int] = 1

    for cls in (Open, NoSlots, Factory, KeywordOnly, NotInit, WithInitVar):
        with pytest.raises(TypeError, match="slot_init"):
            slot_init(cls)
