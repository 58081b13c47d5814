"""Audit changes and event data built column by column are the text ``encode_columns`` writes per row."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.store.audit_json import json_objects
from aggregator.store.jsonutil import encode_columns

ZONES = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-3, minutes=-30))])
# each column of one kind (the writers' usual case, answered by a shortcut) or of mixed kinds (the general rule)
COLUMNS = [st.text(max_size=8), st.one_of(st.none(), st.text(max_size=8)), st.integers(-10**9, 10**9),
           st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False)),
           st.one_of(st.none(), st.datetimes(timezones=ZONES)),
           st.one_of(st.none(), st.booleans(), st.text(max_size=4), st.integers(), st.dates(),
                     st.decimals(allow_nan=False, allow_infinity=False, places=2))]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*COLUMNS), max_size=10))
def test_json_objects_are_what_encode_columns_writes(rows) -> None:
    columns = ["name", "note", "qty", "amount", "at", "other"]
    assert json_objects(columns, rows) == [encode_columns(dict(zip(columns, row))) for row in rows]


def test_names_and_texts_are_escaped_alike() -> None:
    columns = ['a "quoted" %s name', "ünïcode"]
    rows = [('line\nbreak "and" \\ %d', "中文"), ("\x00\x1f", "")]
    assert json_objects(columns, rows) == [encode_columns(dict(zip(columns, row))) for row in rows]
    assert json_objects(["x"], [(Decimal("1E+3"),)]) == [encode_columns({"x": Decimal("1E+3")})]
