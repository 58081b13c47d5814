"""The scattered records' pre-read of a UTF-8 CSV takes to Python only the rows where a cell it reads differs
from the row before (``scattered._run_starts``, found by Arrow's kernels): the rows it drops cannot start a
run, so the records found spread are exactly those found from every row. Checked on generated files with
runs of repeated rows, blank cells given defaults, owner columns changing within a key's rows, keys
interleaved, and runs crossing the blocks Arrow parses (a block of a few rows)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.ingest import scattered
from aggregator.ingest.registry import TABULAR
from platform_adapters.profiles import KINDS, guess_kind, standard_profile
from platform_adapters.tabular import open_table
from platform_adapters.tabular.columns import ColumnMap

_HEADERS = {
    "inbound": ["asn_no", "warehouse_code", "owner_code", "sku", "planned_qty"],
    "outbound": ["wms_outbound_no", "warehouse_code", "platform", "shop_id", "owner_code", "sku", "qty"],
    "bl": ["doc_number", "consignee", "doc_level", "description_of_goods"],
}
#: defaults the profile gives a blank cell of these columns
_DEFAULTS = {"inbound": {"warehouse_code": "WH1", "owner_code": "LMN"},
             "outbound": {"warehouse_code": "WH1", "platform": "SHOPEE"},
             "bl": {"doc_level": "HOUSE"}}
_KEY = st.sampled_from(["K-1", "K-1", " K-1", "K-2", "K-3", "", "ＫＡ"])
_OTHER = st.sampled_from(["A", "A", "B", "", " A"])


def _pre_read(path: Path, kind: str, owner_names: bool) -> set[int]:
    profile, spec = standard_profile(kind), KINDS[kind]
    reader = open_table(path, profile.layout)
    columns = ColumnMap.build(reader.header, known=spec.all_columns, required=(), mapping=profile.columns,
                              defaults=_DEFAULTS[kind], location=path.name, guess=guess_kind)
    reader.close()
    handler = TABULAR[kind]
    return scattered.scattered_keys(path, profile.layout, reader.header_line, len(reader.header), columns,
                                    handler.mapper.KEY_COLUMNS, handler.mapper.OWNER_COLUMNS if owner_names else (),
                                    scattered.record_keys_of(handler.mapper,
                                                             handler.columnar and handler.columnar.mapper), 3)


def _noting_run_starts(patch: pytest.MonkeyPatch) -> list[int]:
    """``scattered._run_starts`` made (through ``patch``) to note how many rows of each block it takes to
    Python, in the list answered."""
    taken: list[int] = []
    real = scattered._run_starts

    def noted(cells, last):
        starts = real(cells, last)
        taken.append(len(starts[0]))
        return starts

    patch.setattr(scattered, "_run_starts", noted)
    return taken


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(_HEADERS)),
       runs=st.lists(st.tuples(_KEY, _OTHER, _OTHER, st.integers(1, 6)), min_size=1, max_size=20),
       block=st.sampled_from([64, 100, 256, 1 << 20]), owner_names=st.booleans())
def test_the_rows_dropped_before_python_change_nothing_found(tmp_path_factory, monkeypatch, kind: str, runs,
                                                             block: int, owner_names: bool) -> None:
    path = tmp_path_factory.mktemp("runs") / "runs.csv"
    header = _HEADERS[kind]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n, (key, first, second, repeat) in enumerate(runs):
            middle = [(first, second)[j % 2] for j in range(len(header) - 2)]
            for i in range(repeat):  # (the cells read repeated; the last, not read, differs row by row)
                writer.writerow([key, *middle, f"{n}-{i}"])
    with monkeypatch.context() as patch:
        patch.setattr(scattered, "_KEY_BLOCK", block)
        taken = _noting_run_starts(patch)
        filtered = _pre_read(path, kind, owner_names)
        patch.setattr(scattered, "_run_starts", lambda cells, last: cells)
        every = _pre_read(path, kind, owner_names)
    assert filtered == every
    assert sum(taken) <= sum(repeat for *_, repeat in runs)


def test_a_file_of_repeated_rows_takes_one_row_per_run_to_python(tmp_path, monkeypatch) -> None:
    """Two receipts of three rows each, the first's rows again after the second's: three runs, three rows
    taken to Python, the first receipt found spread; whatever the block."""
    path = tmp_path / "runs.csv"
    rows = [f"ASN-{n},WH1,LMN,SKU-{i},1" for n in (1, 2, 1) for i in range(3)]
    path.write_text("\n".join([",".join(_HEADERS["inbound"]), *rows]) + "\n", encoding="utf-8")
    for block in (64, 1 << 20):
        with monkeypatch.context() as patch:
            patch.setattr(scattered, "_KEY_BLOCK", block)
            taken = _noting_run_starts(patch)
            found = _pre_read(path, "inbound", owner_names=True)
        assert sum(taken) == 3
        assert found == {hash(TABULAR["inbound"].mapper.record_key({"warehouse_code": "WH1", "asn_no": "ASN-1"},
                                                                    ""))}


@pytest.mark.parametrize("kind", sorted(_HEADERS))
def test_an_empty_file_finds_nothing(tmp_path, kind: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(",".join(_HEADERS[kind]) + "\n", encoding="utf-8")
    assert _pre_read(path, kind, owner_names=True) == set()
