"""The next chunk mapped ahead while the one before is stored (``columnar_import.ColumnarReader._ahead``, used
when the import is given its owner): messy and mixed files imported with an owner given, at small chunk sizes
(records across chunks, repeats at chunk edges); the columnar path, read-ahead included, stores what the
per-row path stores."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest.columnar_import import ColumnarReader
from tests.ingest.test_import_paths import (_STOCK_MESSY, _MESSY, _both_paths, _csv, _messy_inbound, _messy_stock,
                                            _mixed_inbound, _mixed_outbound)

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _count_ahead(monkeypatch) -> list[bool]:
    used: list[bool] = []
    ahead = ColumnarReader._ahead

    def counting(reader, lines, cells, by_index):
        found = ahead(reader, lines, cells, by_index)
        used.append(found is not None)
        return found

    monkeypatch.setattr(ColumnarReader, "_ahead", counting)
    return used


def _same_stored(engine, folder: Path, kind: str, header: list[str], rows, chunk_rows: int) -> None:
    """A messy ``kind`` file imported with its owner given: the columnar path stores what the per-row path stores."""
    path = _csv(folder / f"{kind}.csv", header, rows)
    bulk, per_record, _ = _both_paths(engine, kind, path, chunk_rows=chunk_rows, owner_id="LUMINA")
    assert bulk == per_record


@SETTINGS
@given(rows=_messy_stock(), chunk_rows=st.sampled_from([1, 2, 3, 5]))
def test_messy_stock_with_an_owner_given(sqlite_engine, tmp_path_factory, rows, chunk_rows) -> None:
    _same_stored(sqlite_engine, tmp_path_factory.mktemp("messy"), "stock", list(_STOCK_MESSY), rows, chunk_rows)


@SETTINGS
@given(rows=_messy_inbound(), chunk_rows=st.sampled_from([1, 2, 3, 5]))
def test_messy_inbound_with_an_owner_given(sqlite_engine, tmp_path_factory, rows, chunk_rows) -> None:
    _same_stored(sqlite_engine, tmp_path_factory.mktemp("messy"), "inbound", list(_MESSY), rows, chunk_rows)


@pytest.mark.parametrize("kind", ["inbound", "outbound"])
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 4, 7, 10_000])
def test_mixed_files_with_an_owner_given(sqlite_engine, tmp_path: Path, monkeypatch, kind, chunk_rows) -> None:
    used = _count_ahead(monkeypatch)
    path = tmp_path / f"{kind}.csv"
    path.write_text((_mixed_inbound if kind == "inbound" else _mixed_outbound)(), encoding="utf-8")
    bulk, per_record, _ = _both_paths(sqlite_engine, kind, path, chunk_rows=chunk_rows, owner_id="LUMINA")
    assert bulk == per_record
    assert any(used) or chunk_rows == 10_000  # (one chunk holding rows to reject: none mapped ahead)
