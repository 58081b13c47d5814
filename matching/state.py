"""The prepared state a matching run keeps for the next one: every input row normalised once.

``matching.frames.prepare`` turns raw rows into prepared rows (normalised keys, canonical SKU, record
``key``, ``partition``, and ``row_hash``, the row's 64-bit content hash). ``PreparedState`` keeps them,
every copy of every row, in any order. The next run does not prepare them again: ``apply_changes``
prepares only the rows that are new or changed and puts them in (a row replaces every row of its
key: an update, not a duplicate), and drops the keys ``removed`` names. A writer that stores the
prepared columns with each row at write time (the database path) builds the state from them directly:
``PreparedState(frames, crosswalk)``. A state's frames are never changed in place: ``apply_changes`` builds new
ones for the kinds that changed and hands the others on as they are (with what was derived from them,
``PreparedState.memo``).

The key of a row is its ``key`` column (``matching.frames``: ``platform|shop|order id|line`` for order
lines, ``owner|warehouse|outbound|line`` for shipment lines, ...); a manual link's is
``step|left_key|right_key`` (``record_keys``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from matching.crosswalk import SkuCrosswalk
from matching.engine import FRAME_KINDS, MatchInput, prepare_frames
from matching.frames import join_key, member, plain, plain_dtype, prepare, row_hashes, stack


@dataclass
class PreparedState:
    """Prepared rows per frame kind (``matching.engine.FRAME_KINDS``) and the crosswalk that made them."""

    frames: dict[str, pd.DataFrame]
    crosswalk: SkuCrosswalk
    # what was derived from some of the frames (``matching.incremental.remembered``): name -> (the frame
    # objects it came from, the value); a state's frames are never changed in place, so it holds while they
    # are the same objects
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [k for k in FRAME_KINDS if k not in self.frames]
        if missing:
            raise ValueError(f"prepared state lacks frame(s) {missing}")
        unhashed = [k for k, f in self.frames.items() if "row_hash" not in f.columns]
        if unhashed:
            raise ValueError(f"prepared frame(s) {unhashed} have no row_hash column (prepare them with "
                             "matching.frames.prepare)")


def prepare_state(inp: MatchInput) -> PreparedState:
    """Prepare every row of ``inp`` (the start of a chain of incremental runs)."""
    return PreparedState(prepare_frames(inp), inp.crosswalk or SkuCrosswalk())


def record_keys(kind: str, frame: pd.DataFrame) -> pd.Series:
    """The key that identifies a row of ``kind`` across runs (what a change replaces, what ``removed`` names)."""
    if kind == "manual_links":
        return join_key(frame["step"], frame["left_key"], frame["right_key"])
    return frame["key"]


def _like(rows: pd.DataFrame, kept: pd.DataFrame, kind: str) -> pd.DataFrame:
    """``rows`` with the dtypes of the kept rows (a few rows can infer another dtype than a million: a
    column all missing, another time resolution), hashed again if a dtype changed."""
    if kept.empty or rows.empty:
        return rows
    changed = {c: plain_dtype(kept[c]) for c in rows.columns
               if c in kept.columns and rows[c].dtype != plain_dtype(kept[c])}
    if not changed:
        return rows
    out = rows.astype(changed)
    out["row_hash"] = row_hashes(kind, out)
    return out


def apply_changes(state: PreparedState, changes: MatchInput,
                  removed: Mapping[str, Iterable[str]] | None = None) -> tuple[PreparedState, dict[str, pd.DataFrame]]:
    """The state after ``changes`` (raw rows, new or changed, in the frames contract) and ``removed``
    (frame kind -> record keys deleted); returns ``(new state, rows that left the state per kind)``.

    Only the change rows are prepared. A crosswalk in ``changes`` must be the state's own: a new
    crosswalk can change the canonical SKU of every row, so it needs a full run (refused here)."""
    if changes.crosswalk is not None and changes.crosswalk is not state.crosswalk:
        raise ValueError("changes bring another SKU crosswalk: every row's canonical SKU may change; "
                         "run matching.incremental.match_full (or prepare_state) instead")
    removed = {kind: list(keys_) for kind, keys_ in (removed or {}).items()}
    unknown = sorted(set(removed) - set(FRAME_KINDS))
    if unknown:
        raise ValueError(f"removed names unknown frame kind(s) {unknown}; kinds are {list(FRAME_KINDS)}")
    frames: dict[str, pd.DataFrame] = {}
    gone: dict[str, pd.DataFrame] = {}
    for kind in FRAME_KINDS:
        kept = state.frames[kind]
        raw = getattr(changes, kind)
        rows = prepare(kind, raw, state.crosswalk) if raw is not None and len(raw) else None
        drop_keys = list(removed.get(kind, ()))
        if rows is not None:
            drop_keys.extend(record_keys(kind, rows).dropna().unique().tolist())
        if drop_keys and not kept.empty:
            out = member(record_keys(kind, kept), drop_keys).to_numpy()
            if out.any():
                gone[kind] = plain(kept[out])
                kept = kept[~out].reset_index(drop=True)
        if rows is not None:
            rows = _like(rows, kept, kind)
            kept = stack(kept, rows) if not kept.empty else rows  # coded columns of the state stay coded
        frames[kind] = kept
    return PreparedState(frames, state.crosswalk, memo=dict(state.memo)), gone

