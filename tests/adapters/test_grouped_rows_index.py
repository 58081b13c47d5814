"""``columnar.GroupedRows`` reads as the list of each record's row tuples it stands for, for every index a
list takes: a negative one counts from the end, one out of range raises IndexError (never an empty record)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from platform_adapters.tabular.columnar import GroupedRows


@given(sizes=st.lists(st.integers(0, 3), max_size=6), width=st.integers(0, 2), data=st.data())
def test_grouped_rows_index_like_the_list_they_stand_for(sizes, width, data) -> None:
    total = sum(sizes)
    columns = [[f"c{c}r{r}" for r in range(total)] for c in range(width)]
    held = GroupedRows(columns, sizes)
    expected = list(held)
    assert len(expected) == len(sizes)
    for i in range(-len(sizes), len(sizes)):
        assert held[i] == expected[i]
    wrong = data.draw(st.one_of(st.integers(len(sizes), len(sizes) + 3), st.integers(-len(sizes) - 3, -len(sizes) - 1)))
    with pytest.raises(IndexError):
        held[wrong]


def test_the_last_record_is_read_from_the_end() -> None:
    held = GroupedRows([[1, 2, 3], ["a", "b", "c"]], [1, 2])
    assert held[-1] == [(2, "b"), (3, "c")]
    assert held[-2] == [(1, "a")]
