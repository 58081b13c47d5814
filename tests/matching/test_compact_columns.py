"""Repeated texts kept as integer codes (``frames.compact``) give back exactly the plain frame (``frames.plain``):
same values, missing values, dtypes; a state grown by ``frames.stack`` equals the plain rows stacked and
coded; lookups (``member``) answer the same on codes as on texts."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import synthetic
from matching.engine import FRAME_KINDS, prepare_frames
from matching.frames import compact, member, plain, stack
from matching.synthetic import Noise

_WORLD = synthetic.generate(size=120, seed=5, noise=Noise(duplicates=0.3, missing_order=0.1, missing_shipment=0.1))
_PREPARED = prepare_frames(_WORLD.input)
_TEXTS = st.one_of(st.none(), st.sampled_from(["A", "b", "", "ＳＫＵ", "x|y", "A "]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(FRAME_KINDS), data=st.data())
def test_compact_then_plain_gives_the_frame_back(kind: str, data) -> None:
    frame = _PREPARED[kind]
    frame = frame.take(data.draw(st.permutations(range(len(frame))))).reset_index(drop=True)
    coded = compact(frame.copy())
    pd.testing.assert_frame_equal(plain(coded), frame, check_exact=True)
    columns = data.draw(st.lists(st.sampled_from(list(frame.columns)), unique=True))
    pd.testing.assert_frame_equal(plain(coded, columns), frame[columns], check_exact=True)


@settings(max_examples=60, deadline=None)
@given(kept=st.lists(_TEXTS, min_size=2, max_size=30), rows=st.lists(_TEXTS, min_size=1, max_size=10),
       dtype=st.sampled_from(["string", "str"]), probe=st.lists(_TEXTS, max_size=5))
def test_stacked_codes_equal_stacked_texts(kept, rows, dtype, probe) -> None:
    old = pd.DataFrame({"c": pd.Series(kept, dtype=dtype), "n": np.arange(len(kept))})
    new = pd.DataFrame({"c": pd.Series(rows, dtype=dtype), "n": np.arange(len(rows))})
    expected = pd.concat([old, new], ignore_index=True)
    grown = stack(compact(old.copy()), new)
    pd.testing.assert_frame_equal(plain(grown), expected, check_exact=True)
    pd.testing.assert_series_equal(member(grown["c"], probe), member(expected["c"], probe), check_exact=True)


def test_a_full_runs_prepared_orders_read_as_one_plain_frame_that_keeps_changes() -> None:
    """``Prepared.orders`` of a full run (held coded) answers one decoded frame until replaced: a column set
    through one read is seen by the next, as on a plain frame; replacing the frame replaces the view."""
    from matching.incremental import match_full

    prepared = match_full(_WORLD.input).prepared
    held = prepared.coded("orders")
    assert any(isinstance(held[c].dtype, pd.CategoricalDtype) for c in held.columns)
    assert prepared.orders is prepared.orders
    pd.testing.assert_frame_equal(prepared.orders, plain(held), check_exact=True)
    prepared.orders["reviewed"] = 7
    prepared.orders.loc[prepared.orders.index[:1], "returned_qty"] = 9
    assert (prepared.orders["reviewed"] == 7).all() and prepared.orders["returned_qty"].iloc[0] == 9
    prepared.orders = plain(held).head(3)
    assert len(prepared.orders) == 3 and "reviewed" not in prepared.orders
