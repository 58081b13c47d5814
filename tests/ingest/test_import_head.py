"""The head of a columnar import, before the server gets its first rows.

Whether the CSV is plain (``plain_csv.plain_data``) is found on a worker thread from the import's start
(``plain_csv.PlainScan``): its error is raised where the reader would have raised it, and no scan thread
outlives the import, whatever way it ends (done, already imported, a file refused, an interrupt).

The import reads its first chunk in parts (``columnar_import.ramp``: a quarter, a quarter, a half),
so the store starts sooner; only the chunks handed out are smaller. What is stored, rejected and audited is
what the same import stores with whole chunks: records crossing the parts, a record longer than a chunk
(written in parts of ``chunk_rows``), a run of repeated rows crossing them (reported once, as with whole
chunks), rows with a control character; a plain CSV (read by Arrow) and one with quoted cells (read by the
csv module)."""
from __future__ import annotations

import gc
import io
import threading
from pathlib import Path

import pytest

import aggregator.ingest.columnar_import as columnar_import
import aggregator.ingest.tabular_import as tabular_import
import aggregator.ingest.runner as runner
from aggregator.ingest import import_file
from aggregator.ingest.columnar_import import ramp
from tests.ingest.test_import_hostile import _row, _write
from platform_adapters.tabular import plain_csv
from tests.ingest.test_import_paths import _clear, _snapshot

CHUNK = 8


def test_the_first_chunk_is_read_in_a_quarter_a_quarter_and_a_half_of_it(monkeypatch) -> None:
    assert ramp(10_000) == (2500, 2500, 5000)
    assert ramp(4001) == (1000, 1000, 2001)
    assert ramp(3999) == ()  # (a part under RAMP_MIN_ROWS: whole chunks)
    monkeypatch.setattr(columnar_import, "RAMP_MIN_ROWS", 1)
    assert ramp(CHUNK) == (2, 2, 4) and sum(ramp(9)) == 9


def _rows(quoted: bool) -> list[list[str]]:
    """Records of one to three rows across the parts of the first chunk and the chunks after, a run of
    repeated rows from the first part into the second, a record longer than a chunk, a row with a control
    character; with ``quoted`` a remark holding the delimiter (the file is read by the csv module)."""
    rows = [_row("OB-A", sku="SKU-1"), _row("OB-A", sku="SKU-1"), _row("OB-A", sku="SKU-1"),  # lines 2-4
            _row("OB-B", sku="SKU-1"), _row("OB-B", sku="SKU-2"), _row("OB-C", sku="SKU-1"),
            _row("OB-C", remark="bad\x1bremark", sku="SKU-2"),
            _row("OB-D", sku="SKU-1", remark="a, b" if quoted else "")]
    rows += [_row("OB-LONG", sku=f"SKU-{i}") for i in range(CHUNK + 3)]  # (longer than a chunk: in parts)
    rows += [_row(f"OB-{i:02d}", sku=f"SKU-{j}") for i in range(12) for j in range(1 + i % 3)]
    return rows


def _imported(engine, path: Path, monkeypatch, minimum: int) -> tuple[tuple, dict, list[int]]:
    """Import ``path`` (after clearing) with ``RAMP_MIN_ROWS`` at ``minimum``: the summary's counts, what was
    stored, and the number of rows of each chunk handed out."""
    _clear(engine)
    sizes: list[int] = []
    real_open = tabular_import.open_table

    def noting(*args, **kwargs):
        reader = real_open(*args, **kwargs)
        chunks = reader.column_chunks

        def noted():
            for chunk in chunks():
                sizes.append(len(chunk[0]))
                yield chunk

        reader.column_chunks = noted
        return reader

    with monkeypatch.context() as patch:
        patch.setattr(columnar_import, "RAMP_MIN_ROWS", minimum)
        patch.setattr(tabular_import, "open_table", noting)
        summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    counts = (summary.status, summary.rows_read, summary.rows_rejected, summary.created, summary.updated,
              summary.unchanged, dict(summary.problem_counts))
    return counts, _snapshot(engine), sizes


@pytest.mark.parametrize("quoted", [False, True])
def test_reading_the_first_chunk_in_parts_stores_what_whole_chunks_store(engine, tmp_path, monkeypatch,
                                                                           quoted: bool) -> None:
    path = _write(tmp_path / "outbound.csv", _rows(quoted))
    whole, stored, whole_sizes = _imported(engine, path, monkeypatch, minimum=10**9)
    assert whole_sizes == [CHUNK] * 5 + [3]
    assert whole[0] == "COMPLETED_WITH_REJECTS" and whole[6] == {"duplicate_row": 2, "control_character": 1}
    ramped, ramped_stored, sizes = _imported(engine, path, monkeypatch, minimum=1)
    assert sizes == [2, 2, 4] + [CHUNK] * 4 + [3]
    assert ramped == whole
    assert ramped_stored == stored


def _scans() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "import-plain-scan"]


def test_no_scan_thread_outlives_the_import_whatever_way_it_ends(engine, tmp_path, monkeypatch) -> None:
    path = _write(tmp_path / "outbound.csv", _rows(False))
    started = threading.Thread.start
    scans: list[threading.Thread] = []

    def noting(thread):
        if thread.name == "import-plain-scan":
            scans.append(thread)
        started(thread)

    monkeypatch.setattr(threading.Thread, "start", noting)
    assert import_file(engine, "outbound", path, owner_id="LUMINA").status == "COMPLETED_WITH_REJECTS"
    assert len(scans) == 1 and not _scans()
    # (rows were rejected: the file is read again)
    assert import_file(engine, "outbound", path, owner_id="LUMINA").status == "COMPLETED_WITH_REJECTS"
    scan = plain_csv.plain_data

    def slow(path, header_line, delimiter, halt=None):  # (a scan that ends only when stopped)
        assert halt is not None and halt.wait(60)
        return scan(path, header_line, delimiter, halt)

    monkeypatch.setattr(plain_csv, "plain_data", slow)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(path.read_bytes() + b"OB-X,\xff\n")
    summary = import_file(engine, "outbound", bad, owner_id="LUMINA")
    assert (summary.status, summary.problem_counts["wrong_encoding"]) == ("FAILED", 1) and not _scans()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "file_digest", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_file(engine, "outbound", path, owner_id="LUMINA")
    assert not _scans() and len(scans) == 4


def test_an_import_already_done_stops_the_scan(engine, tmp_path, monkeypatch) -> None:
    path = _write(tmp_path / "outbound.csv", [_row(f"OB-{i:03d}") for i in range(50)])
    assert import_file(engine, "outbound", path, owner_id="LUMINA").status == "COMPLETED"
    halted: list[bool] = []
    scan = plain_csv.plain_data

    def slow(path, header_line, delimiter, halt=None):
        halted.append(halt is not None and halt.wait(60))  # (stopped long before a minute)
        return scan(path, header_line, delimiter, halt)

    monkeypatch.setattr(plain_csv, "plain_data", slow)
    assert import_file(engine, "outbound", path, owner_id="LUMINA").status == "ALREADY_IMPORTED"
    assert halted == [True] and not _scans()


def test_the_scan_s_error_is_raised_where_the_reader_meets_it(engine, tmp_path, monkeypatch) -> None:
    """A scan that fails (the disk gone) fails the import as the reader's own scan would: FAILED, with why."""
    path = _write(tmp_path / "outbound.csv", _rows(False))
    threads: list[bool] = []

    def failing(path, header_line, delimiter, halt=None):
        threads.append(threading.current_thread().name == "import-plain-scan")
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(plain_csv, "plain_data", failing)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA")
    assert summary.status == "FAILED" and "OSError" in summary.error and "Input/output error" in summary.error
    assert threads == [True] and not _scans()


def _open_handles(path: Path) -> list:
    """The file objects still open on ``path`` (the cyclic collector held off by the caller: a handle
    closed only when its reader is collected is found)."""
    return [thing for thing in gc.get_objects()
            if isinstance(thing, io.IOBase) and not thing.closed and str(getattr(thing, "name", "")) == str(path)]


def test_no_file_handle_outlives_an_import_that_fails_before_its_rows(engine, tmp_path, monkeypatch) -> None:
    """The reader's handle on the file is closed when the import ends FAILED before a row is handed out: the
    scan's error (the disk gone), a header the profile does not fit; not left for the collector to find
    (the run and its reader are in a cycle, and the collector is held off while an import reads)."""
    path = _write(tmp_path / "outbound.csv", _rows(False))
    missing = tmp_path / "missing.csv"
    missing.write_text("foo,bar\n1,2\n", encoding="utf-8")

    def failing(path, header_line, delimiter, halt=None):
        raise OSError(5, "Input/output error")

    enabled = gc.isenabled()
    gc.disable()
    try:
        with monkeypatch.context() as patch:
            patch.setattr(plain_csv, "plain_data", failing)
            summary = import_file(engine, "outbound", path, owner_id="LUMINA")
        assert summary.status == "FAILED" and "Input/output error" in summary.error
        assert not _open_handles(path)
        summary = import_file(engine, "outbound", missing, owner_id="LUMINA")
        assert summary.status == "FAILED" and "missing required column" in summary.error
        assert not _open_handles(missing)
    finally:
        if enabled:
            gc.enable()


def test_no_scan_thread_is_left_when_the_session_cannot_be_made(engine, tmp_path, monkeypatch) -> None:
    path = _write(tmp_path / "outbound.csv", _rows(False))
    scan = plain_csv.plain_data

    def slow(path, header_line, delimiter, halt=None):  # (a scan that ends only when stopped)
        assert halt is not None and halt.wait(60)
        return scan(path, header_line, delimiter, halt)

    def refused(engine):
        raise RuntimeError("no session")

    monkeypatch.setattr(plain_csv, "plain_data", slow)
    monkeypatch.setattr(runner, "session_factory", refused)
    with pytest.raises(RuntimeError, match="no session"):
        import_file(engine, "outbound", path, owner_id="LUMINA")
    assert not _scans()
