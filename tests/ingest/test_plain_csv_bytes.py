"""The numpy plain-CSV pass (offset, width, cell facts) against the csv module and Arrow's own reading of the
same file, on broad bytes (tabs, DEL, controls, high bytes, lone CRs, spaces at edges, small blocks)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_adapters.tabular import plain_csv
from platform_adapters.tabular.columnar import _plain
from tests.ingest.test_plain_csv import decided

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PIECES = st.sampled_from([b"a", b"1", b",", b";", b"\t", b"|", b"\n", b"\r\n", b"\r", b" ", b"  ", b"\x7f", b"\x1f",
                          b"\x0b", b"\xc3\xa9", b"\xe8\xb4\xa7", b"ab,c", b"x" * 9, b"\n\n", b" ,", b", "])


@pytest.fixture(params=[8, 16, 1 << 20])
def block(request, monkeypatch):
    monkeypatch.setattr(plain_csv, "_BLOCK", request.param)
    return request.param


@SETTINGS
@given(body=st.lists(PIECES, max_size=50).map(b"".join), delimiter=st.sampled_from([",", ";", "\t", "|"]),
       header_line=st.integers(0, 2))
def test_plain_data_and_cell_facts(tmp_path: Path, block: int, body: bytes, delimiter: str, header_line: int) -> None:
    found, expected = decided(tmp_path / "f.csv", body, header_line, delimiter)
    assert (None if found is None else (found.offset, found.width)) == (
        None if expected is None else (expected.offset, expected.width))
    if found is None or not found.plain:
        return
    text = body[found.offset:].decode("utf-8")
    cells = [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in row]
    assert all(_plain([cell]) for cell in cells), cells
    assert found.longest >= max(map(len, cells), default=0)
