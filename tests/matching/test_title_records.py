"""The title derivation reads its input rows column by column (``derive._records``): the same values, and
so the same events, as reading them row by row with ``itertuples``."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from matching.engine import match_prepared, prepare_input
from matching.synthetic import generate
from matching.title import derive
from matching.title.derive import allocation_inputs, endorsement_chains, lot_inputs, subject_events
from tests.matching import story
from tests.matching.title_reference import allocation_events
from tests.matching.title_story import endorsements, policy_book


def _same(a, b) -> bool:
    if pd.isna(a) is True or pd.isna(b) is True:
        return pd.isna(a) is True and pd.isna(b) is True and derive._t(a) is None and derive._t(b) is None
    return a == b and derive._t(a) == derive._t(b) if isinstance(b, pd.Timestamp) else a == b and type(a) is type(b)


def test_records_hold_what_itertuples_gives_for_every_dtype():
    frame = pd.DataFrame({
        "key": pd.array(["a", None, "c"], dtype="string"),
        "plain": pd.Series(["x", None, "z"], dtype="str"),
        "qty": [1, 2, 3],
        "ratio": [0.5, float("nan"), 2.0],
        "flag": [True, False, True],
        "at": pd.to_datetime(["2026-03-04T02:30:05Z", None, "2026-03-05T01:00:00.123456Z"], utc=True, format="ISO8601"),
        "day": pd.Series(pd.to_datetime(["2026-03-04", None, "2026-03-06"])),
        "mixed": pd.Series([datetime(2026, 1, 1, tzinfo=UTC), None, "text"], dtype=object),
    })
    records, tuples = list(derive._records(frame)), list(frame.itertuples(index=False))
    assert [r._fields for r in records] == [t._fields for t in tuples]
    for record, row in zip(records, tuples):
        assert all(_same(a, b) for a, b in zip(record, row)), (record, row)
    assert list(derive._records(frame.iloc[0:0])) == []


def _reference(lots: pd.DataFrame, allocations: pd.DataFrame, book, chains) -> list:
    out = []
    for row in lots.itertuples(index=False):
        out.extend(derive._lot_events(row, book, chains))
    for row in allocations.itertuples(index=False):
        out.extend(allocation_events(row, book))
    return out


def test_subject_events_equal_a_row_by_row_reading_on_the_story_and_a_synthetic_world():
    prepared = prepare_input(story.story_input())
    links = match_prepared(prepared).links
    book, chains = policy_book(), endorsement_chains(endorsements())
    lots, allocations = lot_inputs(prepared, links), allocation_inputs(prepared, links)
    events = subject_events(lots, allocations, book, chains)
    assert events and events == _reference(lots, allocations, book, chains)

    prepared = prepare_input(generate(size=2_000, seed=5, owners=2, warehouses=2, receipt_ratio=0.1,
                                      lines_per_bl=5).input)
    links = match_prepared(prepared).links
    lots, allocations = lot_inputs(prepared, links), allocation_inputs(prepared, links)
    events = subject_events(lots, allocations)
    assert len(events) > 1_000 and events == _reference(lots, allocations, derive.PolicyBook(), {})
