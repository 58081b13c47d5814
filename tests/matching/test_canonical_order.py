"""The engine's row order is one order however it is reached: sorting a frame while consuming it, and taking a
selection of rows straight into order (what an incremental run does), give exactly the frame that
sorting a copy gives (same rows, values, dtypes, duplicates last)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import synthetic
from matching.engine import FRAME_KINDS, canonical_frames, canonical_rows, prepare_frames
from matching.frames import take_positions
from matching.synthetic import Noise

_WORLD = synthetic.generate(size=120, seed=5, noise=Noise(duplicates=0.3, missing_order=0.1, missing_shipment=0.1))
_PREPARED = prepare_frames(_WORLD.input)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from([k for k in FRAME_KINDS if len(_PREPARED[k])]), data=st.data())
def test_a_selection_taken_into_order_equals_selecting_then_sorting(kind: str, data) -> None:
    frame = _PREPARED[kind]
    # shuffled rows, as a state holds them after changes were appended
    frame = frame.take(data.draw(st.permutations(range(len(frame))))).reset_index(drop=True)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame))), dtype=bool)
    expected = canonical_frames({kind: frame[keep]})[kind]
    got = canonical_rows(kind, frame, np.flatnonzero(keep))
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(FRAME_KINDS), data=st.data())
def test_sorting_while_consuming_equals_sorting_a_copy(kind: str, data) -> None:
    frame = _PREPARED[kind]
    frame = frame.take(data.draw(st.permutations(range(len(frame))))).reset_index(drop=True)
    expected = canonical_frames({kind: frame})[kind]
    given_away = frame.copy()
    got = canonical_frames({kind: given_away}, consume=True)[kind]
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert given_away.columns.empty  # the caller's frame was emptied as the ordered one was built


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from([k for k in FRAME_KINDS if len(_PREPARED[k]) > 2]), data=st.data())
def test_rows_taken_from_a_state_grown_by_concat_equal_a_plain_take(kind: str, data) -> None:
    """A state that grew by ``pd.concat`` holds its Arrow columns in several chunks, which ``take_positions``
    takes chunk by chunk: the same frame as ``DataFrame.take`` (any positions, repeats, any order)."""
    frame = _PREPARED[kind]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(frame)), min_size=1, max_size=3)))
    pieces = [frame.iloc[a:b] for a, b in zip([0, *cuts], [*cuts, len(frame)])]
    grown = pd.concat(pieces, ignore_index=True)
    positions = np.array(data.draw(st.lists(st.integers(0, len(frame) - 1), max_size=2 * len(frame))), dtype=np.intp)
    expected = grown.take(positions).reset_index(drop=True)
    pd.testing.assert_frame_equal(take_positions(grown, positions), expected, check_exact=True)
    pd.testing.assert_frame_equal(take_positions(frame, positions), expected, check_exact=True)
