"""``match_full(take_input=True)``: the caller hands its frames over; the run drops them from the input once
prepared and gives the result of a run that leaves them alone."""
from __future__ import annotations

import copy

import pandas as pd

from matching import synthetic
from matching.engine import FRAME_KINDS
from matching.incremental import match_full


def test_a_run_handed_the_input_drops_it_and_matches_the_same() -> None:
    world = synthetic.generate(size=3_000, seed=11, owners=3)
    kept = copy.deepcopy(world.input)
    given = copy.deepcopy(world.input)
    left_alone = match_full(kept)
    taken = match_full(given, take_input=True)
    assert all(getattr(given, kind) is None for kind in FRAME_KINDS)
    assert given.crosswalk is world.input.crosswalk or given.crosswalk == world.input.crosswalk
    for kind in FRAME_KINDS:  # without take_input the caller's frames are left as they were
        mine, theirs = getattr(kept, kind), getattr(world.input, kind)
        assert (mine is None) == (theirs is None)
        if mine is not None:
            pd.testing.assert_frame_equal(mine, theirs)
    pd.testing.assert_frame_equal(taken.links, left_alone.links)
    pd.testing.assert_frame_equal(taken.exceptions, left_alone.exceptions)
    assert taken.fingerprints == left_alone.fingerprints
