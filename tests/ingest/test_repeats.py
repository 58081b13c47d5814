"""Rows repeating the row before: found column by column (``_Repeats.kept_columns``, the plain-CSV
path) exactly as row by row (``_Repeats.kept``), across chunks, with the same rejects (property test)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aggregator.ingest.summary import ImportSummary
from aggregator.ingest.tabular_import import _ChunkSink, _Repeats

ROW = st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["", "x"]), st.sampled_from(["1", "2"]))
CHUNKS = st.lists(st.lists(ROW, min_size=1, max_size=8), max_size=6)


def _run(chunks: list[list[tuple]], columnwise: bool) -> tuple:
    summary = ImportSummary(file="f.csv", kind="outbound", owner_id=None)
    sink = _ChunkSink(1, summary)
    repeats = _Repeats("f.csv", sink, summary)
    kept_rows, line = [], 2
    for chunk in chunks:
        lines = list(range(line, line + len(chunk)))
        line += len(chunk)
        if columnwise:
            kept, cells = repeats.kept_columns(lines, [list(column) for column in zip(*chunk)])
            assert cells is None or cells == chunk
        else:
            kept = repeats.kept(lines, chunk)
        kept_rows.append([lines[i] for i in kept])
    repeats.close()
    return kept_rows, sink.rows, summary.rows_rejected, dict(summary.problem_counts)


@given(CHUNKS)
def test_column_wise_repeats_are_the_row_wise_ones(chunks: list[list[tuple]]) -> None:
    assert _run(chunks, columnwise=True) == _run(chunks, columnwise=False)
