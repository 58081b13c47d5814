"""The input hashes' text of a UTC timestamp column (``matching.title.derive._text``, written by Arrow) is the
text pandas writes (``astype("string")``): the same hashes, so stored subjects are not derived again."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matching.title.derive import _text


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_timestamp_text_is_pandas_text(unit: str) -> None:
    rng = np.random.default_rng(len(unit))
    base = pd.Timestamp("2025-06-01", tz="UTC")
    for trial in range(120):
        n = int(rng.integers(0, 40))
        step = (10**9, 10**6, 10**3, 1)[trial % 4]  # the finest part of a second present: none, ms, us, ns
        offsets = rng.integers(-10**6, 10**6, n) * step * int(rng.integers(1, 1000))
        column = pd.Series(base + pd.to_timedelta(offsets, unit="ns"), dtype="datetime64[ns, UTC]")
        if trial % 3 == 0 and n:
            column[rng.random(n) < 0.3] = pd.NaT
        column = column.astype(f"datetime64[{unit}, UTC]")
        expected, got = column.astype("string"), _text(column)
        assert got.dtype == expected.dtype
        assert got.fillna("<NA>").tolist() == expected.fillna("<NA>").tolist()
        assert (pd.util.hash_pandas_object(got.to_frame(), index=False).to_numpy()
                == pd.util.hash_pandas_object(expected.to_frame(), index=False).to_numpy()).all()


def test_other_columns_as_pandas_writes_them() -> None:
    frame = pd.DataFrame({"a": [1, None], "b": ["x", None],
                          "c": pd.Series(["2026-01-01 10:00", None], dtype="datetime64[us]"),
                          "d": pd.Series(["2026-01-01", None], dtype="datetime64[s]").dt.tz_localize("Asia/Tokyo")})
    for name in frame.columns:
        assert _text(frame[name]).fillna("<NA>").tolist() == frame[name].astype("string").fillna("<NA>").tolist()
