"""The bounded JSON decoder refuses every kind of hostile body with ``JsonRejected`` (a ValueError), and
decodes ordinary pushes exactly (decimals as Decimal, big ids digit for digit)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platform_adapters.http.safe_json import JsonLimits, JsonRejected, loads_bounded


def test_ordinary_push_decodes_exactly() -> None:
    body = b'{"shop_id":900719925474099312,"amount":12.30,"text":"a [ { \\" bracket","nested":{"a":[1,2,{"b":null}]}}'
    value = loads_bounded(body)
    assert value["shop_id"] == 900719925474099312 and value["amount"] == Decimal("12.30")
    assert value["text"] == 'a [ { " bracket'


@pytest.mark.parametrize("body, reason", [
    (b"[" * 2000 + b"]" * 2000, "nested 2000 levels"),
    (b'{"a":' * 100 + b"1" + b"}" * 100, "nested 100 levels"),
    (b'{"t":1e400}', "out of range"),
    (b'{"t":1e-400}', "out of range"),
    (b'{"t":' + b"9" * 5000 + b"}", "number too long"),
    (b'{"t":NaN}', "not a JSON number"),
    (b'{"t":-Infinity}', "not a JSON number"),
    (b'{"shop_id":"1\\u0000"}', "NUL"),
    (b'{"a\\u0000":1}', "NUL"),
    (b'{"a":1,"a":2}', "given twice"),
    (b"\xef\xbb\xbf{}", "byte order mark"),
    (b'{"a":"\xff"}', "not UTF-8"),
    (b"", "empty body"),
    (b"not json", "not JSON"),
    (b'{"a":"unterminated', "not JSON"),
    (b'{"a":"raw \x01 control"}', "not JSON"),
])
def test_hostile_bodies_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(JsonRejected, match=reason):
        loads_bounded(body)


def test_size_and_count_limits() -> None:
    with pytest.raises(JsonRejected, match="too large"):
        loads_bounded(b"[" + b"1," * 200_000 + b"1]")
    with pytest.raises(JsonRejected, match="too many values"):
        loads_bounded(b"[" + b"1," * 50 + b"1]", JsonLimits(max_items=10))


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    assert loads_bounded(json.dumps({"a": "[" * 500}).encode()) == {"a": "[" * 500}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False, allow_infinity=False).map(str).map(Decimal)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_are_refused(raw: bytes) -> None:
    try:
        loads_bounded(raw)
    except JsonRejected:
        pass


@given(json_values)
def test_any_json_decodes_to_itself_or_is_refused(value) -> None:
    text = json.dumps(value, default=str)
    try:
        decoded = loads_bounded(text.encode())
    except JsonRejected as exc:
        assert any(word in str(exc) for word in ("NUL", "number", "nested", "too many", "range")), str(exc)
        return
    assert json.dumps(decoded, default=str, sort_keys=True) == json.dumps(json.loads(text, parse_float=Decimal),
                                                                          default=str, sort_keys=True)
