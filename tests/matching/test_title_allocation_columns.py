"""An allocation's title events built from the frame's columns (``derive._allocations_events``) are the
events the per-row derivation emits (``title_reference.allocation_events``), in the same order, for arbitrary
allocation rows: any mix of missing and present times, texts and write-offs, every column dtype the loaders
give (pandas strings, plain objects, all-missing columns), and consumer policies that pass title or risk on
dispatch for some owners, platforms and countries; and their ledger rows (event ids, ``seq``) are those of
the per-event ``TitleEvent.row``."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.title import derive
from matching.title.policy import PolicyBook, TitlePolicy
from tests.matching.title_reference import allocation_events

_T0 = datetime(2026, 3, 1, tzinfo=UTC)
_TEXT = st.one_of(st.none(), st.sampled_from(["", "A", "shopee", "MY", "WH-1", "x y", "ÄÖ", "1"]))
_TIME = st.one_of(st.none(), st.integers(0, 10**7).map(lambda s: _T0 + timedelta(seconds=s, microseconds=s % 7)))
_TEXT_COLUMNS = ("platform", "shop_id", "order_id", "country", "warehouse_code", "wms_outbound_no",
                 "tracking_number", "carrier_code")
_TIME_COLUMNS = ("created_at", "shipped_at", "delivered_at", "returned_at", "written_off_at")

_ROW = st.fixed_dictionaries({
    "owner_id": st.sampled_from(["O1", "O2"]), "left_key": st.sampled_from(["O1|W|S1|1", "O2|W|S2|1", "k"]),
    "right_key": st.sampled_from(["O1|W|L1", "O2|W|L2", "l"]), "qty": st.integers(0, 9),
    **{c: _TEXT for c in _TEXT_COLUMNS}, **{c: _TIME for c in _TIME_COLUMNS}, "written_off": st.integers(0, 3)})


@st.composite
def _frames(draw) -> pd.DataFrame:
    rows = draw(st.lists(_ROW, max_size=12))
    frame = pd.DataFrame(rows, columns=["owner_id", "left_key", "right_key", "qty", *_TEXT_COLUMNS, *_TIME_COLUMNS,
                                        "written_off"])
    for column in _TEXT_COLUMNS:
        if draw(st.booleans()):
            frame[column] = frame[column].astype("string")
    for column in _TIME_COLUMNS:
        if draw(st.booleans()):  # as loaded: an aware timestamp column (else plain objects, None where missing)
            frame[column] = pd.to_datetime(frame[column], utc=True)
    if draw(st.booleans()):
        frame = frame.drop(columns=["written_off", "written_off_at"])
    return frame


@st.composite
def _books(draw) -> PolicyBook:
    book = PolicyBook()
    for _ in range(draw(st.integers(0, 3))):
        policy = TitlePolicy(consumer_title_on=draw(st.sampled_from(["DELIVERY", "DISPATCH"])),
                             consumer_risk_on=draw(st.sampled_from(["DELIVERY", "DISPATCH"])))
        book.set(policy, owner_id=draw(st.sampled_from([None, "O1", "O2"])),
                 platform=draw(st.sampled_from([None, "A", "shopee"])), country=draw(st.sampled_from([None, "MY", "1"])))
    return book


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames(), _books())
def test_columnar_allocation_events_are_the_per_row_ones(frame: pd.DataFrame, book: PolicyBook) -> None:
    expected = [e for row in frame.itertuples(index=False) for e in allocation_events(row, book)]
    events = derive._allocations_events(frame, book)
    assert events == expected
    assert [type(e) for e in events] == [type(e) for e in expected]
    assert derive.ledger_rows(events) == [(*e.row(), seq) for e, seq in zip(expected, _seqs(expected))]


def _seqs(events) -> list[int]:
    seen: dict[str, int] = {}
    out = []
    for e in events:
        seen[e.subject_key] = seen.get(e.subject_key, 0) + 1
        out.append(seen[e.subject_key])
    return out


def test_a_frame_without_a_required_column_is_refused() -> None:
    frame = pd.DataFrame({"owner_id": ["O1"], "left_key": ["k"], "right_key": ["l"], "qty": [1]})
    with pytest.raises(KeyError, match="platform"):
        derive._allocations_events(frame, PolicyBook())
