"""The scattered records' pre-read of a UTF-8 CSV runs on a worker thread from the import's start
(``preread.PreRead``): the import takes its answer instead of reading the keys again, meets its error
where it would have met it, and neither the thread nor its handle on the file outlives the import,
whatever way the import ends (done, already imported, its owner unknown, the database's setup failing,
a header the profile does not fit)."""
from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest

import aggregator.ingest.preread as preread
import aggregator.ingest.runner as runner
from aggregator.ingest import import_file, scattered
from aggregator.tenancy import UnknownOwner
from tests.ingest.test_import_head import _rows
from tests.ingest.test_import_hostile import _row, _write
from tests.ingest.test_import_paths import _clear, _snapshot


def _pre_reads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "import-pre-read"]


def _open_on(path: Path) -> list[str]:
    """The descriptors this process holds open on ``path`` (Arrow's own handles included), read from Linux's
    ``/proc/self/fd`` (the project's tests run on Linux: a platform without it fails here, it is not passed)."""
    assert Path("/proc/self/fd").is_dir(), "these tests list open descriptors in /proc/self/fd (Linux)"
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                held.append(fd)
        except OSError:  # (the descriptor listing the directory itself, closed since)
            continue
    return held


@pytest.fixture
def slow_read(monkeypatch) -> list[preread.PreRead]:
    """Every pre-read started, each reading its file a few rows at a time and held at its first block until
    it is stopped or its answer asked for (or a minute passes): a read still under way, its file open, when
    the import ends early."""
    started: list[preread.PreRead] = []
    asked, made = threading.Event(), threading.Event()
    real_init, real_result, real_starts = preread.PreRead.__init__, preread.PreRead.result, scattered._run_starts

    def noting(self, *args, **kwargs):
        started.append(self)
        asked.clear()
        made.clear()
        real_init(self, *args, **kwargs)
        made.set()  # (its thread may reach its first block before the constructor has returned)

    def result(self, *args):
        asked.set()
        return real_result(self, *args)

    def held(cells, last):
        if last is None:
            made.wait(60)
            halt = started[-1]._read.stop
            for _ in range(6000):
                if halt.is_set() or asked.is_set():
                    break
                halt.wait(0.01)
        return real_starts(cells, last)

    monkeypatch.setattr(preread.PreRead, "__init__", noting)
    monkeypatch.setattr(preread.PreRead, "result", result)
    monkeypatch.setattr(scattered, "_run_starts", held)
    monkeypatch.setattr(scattered, "_KEY_BLOCK", 256)
    return started


def test_the_import_takes_the_thread_s_answer_and_stores_what_it_read_itself(engine, tmp_path, monkeypatch) -> None:
    """Spread outbounds: the keys read once, on the pre-read's thread; what is stored is what the import
    reading them on its own thread stores."""
    rows = [_row(f"OB-{i % 4}", sku=f"SKU-{i}") for i in range(12)]  # (each outbound's rows spread)
    path = _write(tmp_path / "outbound.csv", rows)
    threads: list[str] = []
    real = preread.arrow_scattered_keys

    def noted(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(preread, "arrow_scattered_keys", noted)
    monkeypatch.setattr(scattered, "arrow_scattered_keys", noted)
    _clear(engine)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA")
    assert summary.status == "COMPLETED" and summary.created == 4
    assert threads == ["import-pre-read"] and not _pre_reads()
    stored = _snapshot(engine)
    _clear(engine)
    monkeypatch.setattr(runner, "pre_read_ahead", lambda *args: None)
    assert import_file(engine, "outbound", path, owner_id="LUMINA").created == 4
    assert threads == ["import-pre-read", "MainThread"]
    assert _snapshot(engine) == stored


def test_the_thread_s_error_is_raised_on_the_import_s_thread(engine, tmp_path, monkeypatch) -> None:
    path = _write(tmp_path / "outbound.csv", _rows(False))

    def failing(*args, **kwargs):
        raise RuntimeError("the key read broke")

    monkeypatch.setattr(preread, "arrow_scattered_keys", failing)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA")
    assert summary.status == "FAILED" and "RuntimeError" in summary.error and "the key read broke" in summary.error
    assert not _pre_reads()


def test_the_thread_s_error_leaves_no_handle_on_the_file(engine, tmp_path, monkeypatch) -> None:
    """The kind's mapper failing while Arrow's read is paused at a block, its file open: the read is closed
    on the thread as the error leaves it, and the error the import raised is not kept, so the file's handle
    is gone when the import returns, not at the collector's next pass (disabled here to tell them apart)."""
    path = _write(tmp_path / "outbound.csv", _rows(False))
    real = preread.key_reading

    def broken_mapper(kind, owner_id):
        names, owner_names, _ = real(kind, owner_id)

        def record_keys(columns, owners):
            raise RuntimeError("mapper broke")

        return names, owner_names, record_keys

    monkeypatch.setattr(preread, "key_reading", broken_mapper)
    collecting = gc.isenabled()
    gc.disable()
    try:
        summary = import_file(engine, "outbound", path, owner_id="LUMINA")
        assert summary.status == "FAILED" and "RuntimeError: mapper broke" in summary.error
        assert not _pre_reads() and _open_on(path) == []
    finally:
        if collecting:
            gc.enable()


def test_a_file_arrow_does_not_read_is_read_by_the_import_s_reader(engine, tmp_path) -> None:
    """A row not as wide as the header: the thread answers ``NotForArrow`` and the import's reader reads the
    keys; the spread outbound is still stored whole."""
    rows = [_row("OB-1", sku="SKU-1"), _row("OB-2"), _row("OB-1", sku="SKU-2"), _row("OB-3")[:5]]
    path = _write(tmp_path / "outbound.csv", rows)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA")
    assert (summary.created, summary.rows_rejected) == (2, 1) and not _pre_reads()


def test_no_pre_read_outlives_an_import_that_ends_early(engine, tmp_path, monkeypatch, slow_read) -> None:
    path = _write(tmp_path / "outbound.csv", _rows(False))
    assert import_file(engine, "outbound", path, owner_id="LUMINA").status == "COMPLETED_WITH_REJECTS"
    assert len(slow_read) == 1 and slow_read[0]._read.error is None and not _pre_reads() and not _open_on(path)
    # an owner unknown (raised to the caller)
    with pytest.raises(UnknownOwner):
        import_file(engine, "outbound", path, owner_id="NOBODY")
    assert len(slow_read) == 2 and isinstance(slow_read[-1]._read.error, scattered.Halted)
    assert not _pre_reads() and not _open_on(path)
    # a header the profile does not fit
    missing = tmp_path / "missing.csv"
    missing.write_text("foo,bar\n" + "1,2\n" * 200, encoding="utf-8")
    summary = import_file(engine, "outbound", missing, owner_id="LUMINA")
    assert summary.status == "FAILED" and "missing required column" in summary.error
    assert len(slow_read) == 3 and not _pre_reads() and not _open_on(missing)

    # the database's setup failing
    def refused(*args, **kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(runner, "require_owner", refused)
        with pytest.raises(RuntimeError, match="went away"):
            import_file(engine, "outbound", path, owner_id="LUMINA")
    assert len(slow_read) == 4 and isinstance(slow_read[-1]._read.error, scattered.Halted)
    assert not _pre_reads() and not _open_on(path)


def test_an_import_already_done_stops_the_pre_read(engine, tmp_path, slow_read) -> None:
    path = _write(tmp_path / "outbound.csv", [_row(f"OB-{i:03d}") for i in range(50)])
    assert import_file(engine, "outbound", path, owner_id="LUMINA").status == "COMPLETED"
    assert import_file(engine, "outbound", path, owner_id="LUMINA").status == "ALREADY_IMPORTED"
    assert len(slow_read) == 2 and isinstance(slow_read[-1]._read.error, scattered.Halted)
    assert not _pre_reads() and not _open_on(path)


def test_no_pre_read_for_a_kind_without_lines_or_a_file_arrow_cannot_read(engine, tmp_path) -> None:
    from platform_adapters.profiles import standard_profile

    path = _write(tmp_path / "outbound.csv", [_row("OB-1")])
    assert preread.pre_read_ahead(path, "stock", standard_profile("stock"), None) is None
    assert preread.pre_read_ahead(tmp_path / "outbound.xlsx", "outbound", standard_profile("outbound"), None) is None
    assert preread.pre_read_ahead(path, "outbound", standard_profile("outbound").with_overrides(
        encoding="gbk", timezone=None), None) is None
    ahead = preread.pre_read_ahead(path, "outbound", standard_profile("outbound"), None)
    assert ahead is not None
    ahead.close()
    assert not _pre_reads()
