"""Property tests: the three order mappers never raise, whatever the payload, and never invent data."""
from __future__ import annotations

import copy
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from platform_adapters.canonical import MappingResult, Order, OrderStatus, Severity
from platform_adapters.lazada.mapping import map_order as map_lazada
from platform_adapters.shopee.mapping import map_order as map_shopee
from platform_adapters.tiktok.mapping import map_order as map_tiktok
from tests.adapters.helpers import fixture_json

SHOPEE = fixture_json("shopee", "order_detail.json")
LAZADA = fixture_json("lazada", "order.json")
TIKTOK = fixture_json("tiktok", "order.json")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.decimals(allow_nan=False, allow_infinity=False) | st.text(max_size=12) | st.floats(allow_nan=False),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield prefix + (key,)
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield prefix + (index,)
            yield from _paths(child, prefix + (index,))


def mutated(template):
    paths = list(_paths(template))

    @st.composite
    def build(draw):
        raw = copy.deepcopy(template)
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            path = draw(st.sampled_from(paths))
            target = raw
            try:
                for step in path[:-1]:
                    target = target[step]
                target[path[-1]] = draw(json_values)
            except (KeyError, IndexError, TypeError):
                continue
        return raw

    return build()


def check(result):
    assert isinstance(result, MappingResult)
    if result.record is not None:
        order = result.record
        assert isinstance(order, Order) and order.order_id and len(order.currency) == 3
        assert order.created_at.tzinfo is not None and order.updated_at.tzinfo is not None
        assert not any(p.severity is Severity.ERROR for p in result.problems)
        if order.status is OrderStatus.UNKNOWN:
            assert any(p.code == "unknown_status" for p in result.problems)
        for line in order.lines:
            for amount in (line.unit_price, line.paid_amount):
                assert amount is None or (isinstance(amount.amount, Decimal) and amount.currency == order.currency)


@settings(max_examples=150, deadline=None)
@given(raw=mutated(SHOPEE))
def test_shopee_mapper_is_total(raw):
    check(map_shopee(raw, "1"))


@settings(max_examples=150, deadline=None)
@given(raw=mutated(LAZADA))
def test_lazada_mapper_is_total(raw):
    check(map_lazada(raw, "1", "SG", "SGD"))


@settings(max_examples=150, deadline=None)
@given(raw=mutated(TIKTOK))
def test_tiktok_mapper_is_total(raw):
    check(map_tiktok(raw, "1"))


@given(st.one_of(json_values, st.binary(max_size=8)))
def test_mappers_accept_any_top_level_value(value):
    for result in (map_shopee(value, "1"), map_lazada(value, "1", "SG", "SGD"), map_tiktok(value, "1")):
        assert isinstance(result, MappingResult)
        assert result.record is None or isinstance(value, dict)


SHOPEE_ESCROW = fixture_json("shopee", "escrow_detail.json")
TIKTOK_TX = fixture_json("tiktok", "statement_transaction.json")
LAZADA_ROW = fixture_json("lazada", "transaction_details.json")[0]


def check_settlement(lines, problems):
    from platform_adapters.canonical import SettlementLine

    assert isinstance(lines, list) and isinstance(problems, list)
    if lines:
        assert not any(p.severity is Severity.ERROR for p in problems)
    for line in lines:
        assert isinstance(line, SettlementLine) and isinstance(line.amount.amount, Decimal)
        assert line.occurred_at.tzinfo is not None and line.transaction_id


@settings(max_examples=100, deadline=None)
@given(escrow=mutated(SHOPEE_ESCROW), tx=mutated(TIKTOK_TX), row=mutated(LAZADA_ROW))
def test_settlement_mappers_are_total(escrow, tx, row):
    from platform_adapters.lazada.settlement_mapping import map_row
    from platform_adapters.shopee.settlement_mapping import map_escrow
    from platform_adapters.tiktok.settlement_mapping import map_transaction

    check_settlement(*map_escrow(escrow, "1", "MYR"))
    check_settlement(*map_transaction(tx, "1"))
    check_settlement(*map_row(row, "1", "SGD", 8))
