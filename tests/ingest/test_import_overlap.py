"""The columnar import stores and commits a chunk on a worker thread while it reads the next one and maps
it ahead (``aggregator.ingest.behind``, ``ColumnarReader._ahead``): the next chunk is fed (repeats,
rejects, records) only once the one before is committed; a chunk that cannot be stored ends the import
FAILED with the reason, keeping what was committed before it and nothing after; a file that cannot be
read further keeps the chunk being stored; running the import again stores exactly what one clean run
stores."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

import aggregator.ingest.tabular_import as tabular_import
from aggregator.ingest import import_file
from aggregator.ingest.behind import Behind
from aggregator.ingest.columnar_import import ColumnarReader
from aggregator.ingest.tabular_import import TabularRun
from aggregator.store.db import create_engine_for, session_factory, session_scope, upgrade_schema
from aggregator.store.models.exceptions import ExceptionItem
from aggregator.store.models.logistics import ImportFileRow
from aggregator.store.models.warehouse import WarehouseShipmentLineRow, WarehouseShipmentRow
from aggregator.tenancy import add_owner
from platform_adapters.warehouse import outbound_columns
from tests.conftest import PG_ADMIN_URL
from tests.ingest.test_import_hostile import _row, _write
from tests.ingest.test_import_paths import _clear, _snapshot

CHUNK = 10


def _outbound(tmp_path: Path, count: int = 40) -> Path:
    return _write(tmp_path / "outbound.csv", [_row(f"OC{i:03d}") for i in range(count)])


def _stored(engine) -> list[str]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(WarehouseShipmentRow.wms_outbound_no).order_by(
            WarehouseShipmentRow.wms_outbound_no)))


def test_each_chunk_is_fed_only_after_the_one_before_is_committed(engine, tmp_path, monkeypatch) -> None:
    """Repeats, rejects, keys met and records gathered of a chunk come after the chunk before is committed
    (what is mapped ahead touches none of them); progress is reported once each chunk is committed."""
    events: list[tuple] = []
    gather, store_chunk = ColumnarReader._gather, TabularRun.store_chunk

    def feeding(reader, rows, starts, continued, final):
        events.append(("fed", rows.lines[0]))
        gather(reader, rows, starts, continued, final)

    def storing(run):
        worker = threading.current_thread() is not threading.main_thread()
        store_chunk(run)
        events.append(("committed", run.summary.rows_read, worker))

    monkeypatch.setattr(ColumnarReader, "_gather", feeding)
    monkeypatch.setattr(TabularRun, "store_chunk", storing)
    progress: list[int] = []
    summary = import_file(engine, "outbound", _outbound(tmp_path, 30), owner_id="LUMINA", chunk_rows=CHUNK,
                          progress=lambda rows, _total: progress.append(rows))
    assert (summary.status, summary.created) == ("COMPLETED", 30)
    # (each chunk's last record is carried: the next chunk's rows begin with it)
    assert events == [("fed", 2), ("committed", 10, True), ("fed", 11), ("committed", 20, True),
                      ("fed", 21), ("committed", 30, True), ("fed", 31)]
    assert progress == [10, 20, 30]  # each reported once its chunk is committed


def _noting_mapped(monkeypatch) -> tuple[list[int], threading.Condition]:
    """Note the first line of each chunk once it is mapped ahead, notifying the condition returned."""
    mapped: list[int] = []
    ready = threading.Condition()
    ahead = ColumnarReader._ahead

    def mapping(reader, lines, cells, by_index):
        found = ahead(reader, lines, cells, by_index)
        with ready:
            mapped.append(lines[0])
            ready.notify_all()
        return found

    monkeypatch.setattr(ColumnarReader, "_ahead", mapping)
    return mapped, ready


def test_the_next_chunk_is_mapped_while_the_one_before_is_stored(engine, tmp_path, monkeypatch) -> None:
    """The store of each chunk but the last waits (up to seconds) until the next chunk has been mapped
    ahead: were the two not run side by side it would wait in vain. The rows stored are those of a run
    one chunk after another."""
    path = _outbound(tmp_path, 30)
    _clear(engine)
    assert import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK).status == "COMPLETED"
    alone = _snapshot(engine)
    _clear(engine)
    waited: list[bool] = []
    store_chunk = TabularRun.store_chunk
    mapped, ready = _noting_mapped(monkeypatch)

    def storing(run):
        chunk = len(waited)
        if chunk < 2:  # (the third chunk is the file's last)
            with ready:
                waited.append(ready.wait_for(lambda: len(mapped) > chunk + 1, timeout=60))
        else:
            waited.append(True)
        store_chunk(run)

    monkeypatch.setattr(TabularRun, "store_chunk", storing)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    assert (summary.status, summary.created) == ("COMPLETED", 30)
    assert waited == [True, True, True] and mapped == [2, 12, 22]
    assert _snapshot(engine) == alone


def _builds(engine, path: Path, monkeypatch, ahead: str) -> tuple[list[bool], list]:
    """Import ``path`` (after clearing) with the fast records' columns built ahead (``ahead="yes"``), not
    (``"no"``), or built ahead for other records than those sent the fast way (``"other"``: all but the
    first): whether each ``build_columns`` ran on the store's worker thread, and what was stored."""
    _clear(engine)
    workers: list[bool] = []
    build, build_ahead = outbound_columns.build_columns, ColumnarReader._build_ahead

    def building(*args, **kwargs):
        workers.append(threading.current_thread() is not threading.main_thread())
        return build(*args, **kwargs)

    def building_other(reader, rows, starts, continued):
        build_ahead(reader, rows, starts[1:], continued)

    with monkeypatch.context() as patch:
        patch.setattr(outbound_columns, "build_columns", building)
        if ahead != "yes":
            patch.setattr(ColumnarReader, "_build_ahead", (lambda *_: None) if ahead == "no" else building_other)
        summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    assert summary.status == "COMPLETED"
    return workers, _snapshot(engine)


def test_the_fast_records_are_built_while_the_chunk_before_is_stored(engine, tmp_path, monkeypatch) -> None:
    """A clean chunk's fast records (columns, hashes) are built as it is mapped ahead, on the reading
    thread, so the store goes straight to the database; records built ahead that are not those the chunk
    sends the fast way are not used (the store builds them again). Either way the rows, audit entries and
    counts are those of an import that builds them in the store."""
    path = _outbound(tmp_path, 30)
    workers, stored = _builds(engine, path, monkeypatch, "yes")
    assert workers and not any(workers)  # (none built by the store)
    assert stored == _builds(engine, path, monkeypatch, "no")[1]
    workers, stored = _builds(engine, path, monkeypatch, "other")
    assert any(workers)
    assert stored == _builds(engine, path, monkeypatch, "no")[1]


def test_a_chunks_copy_text_is_built_while_the_one_before_is_stored(pg_engine, tmp_path, monkeypatch) -> None:
    """PostgreSQL: the COPY texts of every chunk's fast records but the first chunk's (whose store the server
    waits for: built by the store a slice at a time) are built as the chunk is mapped ahead, on the reading
    thread, and the store only adds the ids and defaults; the rows and audit entries stored are those of an
    import that builds every text in the store."""
    import aggregator.ingest.bulk as bulk

    path = _outbound(tmp_path, 40)
    _clear(pg_engine)
    with monkeypatch.context() as patch:
        patch.setattr(bulk.CopyTexts, "of", classmethod(lambda *_: None))  # (none built ahead)
        assert import_file(pg_engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK).status == "COMPLETED"
    in_store = _snapshot(pg_engine)
    _clear(pg_engine)
    prepared: list[bool] = []
    used: list[tuple[str, bool]] = []
    prepare, ready_text = bulk.prepare, bulk._ready_text

    def preparing(columns):
        prepared.append(threading.current_thread() is threading.main_thread())
        return prepare(columns)

    def sending(names, columns, ready, leads):
        found = ready_text(names, columns, ready, leads)
        used.append((names[0], found is not None))
        return found

    monkeypatch.setattr(bulk, "prepare", preparing)
    monkeypatch.setattr(bulk, "_ready_text", sending)
    summary = import_file(pg_engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    assert (summary.status, summary.created) == ("COMPLETED", 40)
    assert prepared and all(prepared)  # (headers and lines of the second, third and fourth chunks)
    assert used == [("id", True), ("shipment_pk", True)] * 3
    assert _snapshot(pg_engine) == in_store


def test_the_next_chunk_is_read_once_the_server_has_the_one_before(pg_engine, tmp_path, monkeypatch) -> None:
    """PostgreSQL: having handed the store a chunk, the reading thread reads the next one only once the store
    has handed the server the chunk's first rows (a new file) or its keys to look up (the file re-imported
    with one more row), when the store sets the pace: not while the store's round trip waits for the
    interpreter."""
    import aggregator.ingest.bulk as bulk
    from aggregator.ingest import columnar_import

    monkeypatch.setattr(columnar_import, "SENDING_WAIT", 60)  # (not cut short on a loaded machine)
    store_chunk, init = TabularRun.store_chunk, ColumnarReader.__init__
    events: list[str] = []
    # What the reader did since it handed the store its chunk, with a condition the store waits on: the store
    # holds back its first rows until the reader has either begun to wait for them (``sending``), read on
    # (mapped the next chunk) or looked whether the store is done (the last chunk): so a reader that does not
    # wait reads on before the server has anything, whatever the machine's load; one that waits is released
    # by the store's first rows. Each chunk's store also ends only once the reader has looked at it since it
    # began (``Behind.done``, counted), so the server sets the pace (``server_paced``) from the second on.
    moved, state = threading.Condition(), {"reader": 0, "looks": 0}

    def note(event: str | None = None, look: bool = False) -> None:
        with moved:
            if event:
                events.append(event)
            state["reader"] += 1
            state["looks"] += look
            moved.notify_all()

    class Sending(threading.Event):
        def wait(self, timeout=None):
            note()
            return super().wait(timeout)

    def reader_init(reader, run):
        init(reader, run)
        reader.sending = Sending()

    is_done, start = Behind.done.fget, Behind.start

    def done(behind: Behind) -> bool:
        value = is_done(behind)
        note(look=True)
        return value

    def handing(behind: Behind, task) -> None:  # (on the reading thread: what it had done before handing it)
        with moved:
            events.append("store")
            state["handed"], state["handed_looks"] = state["reader"], state["looks"]
        start(behind, task)

    def gated(run):
        with moved:
            began, looks = state["handed"], state["handed_looks"]
            assert moved.wait_for(lambda: state["reader"] > began, timeout=60), "the reader did nothing"
        store_chunk(run)
        with moved:
            assert moved.wait_for(lambda: state["looks"] > looks, timeout=60), "the reader never looked at it"

    monkeypatch.setattr(ColumnarReader, "__init__", reader_init)
    monkeypatch.setattr(Behind, "done", property(done))
    monkeypatch.setattr(Behind, "start", handing)
    monkeypatch.setattr(TabularRun, "store_chunk", gated)
    copy, lookup, insert_new, ahead = bulk._copy, bulk._stored_positions, bulk.insert_new, ColumnarReader._ahead
    monkeypatch.setattr(bulk, "_copy", lambda *args: events.append("server") or copy(*args))
    monkeypatch.setattr(bulk, "_stored_positions", lambda *args: events.append("server") or lookup(*args))

    def inserting(session, new, actor, sent=None):  # (the keys' look-up is told just before it is sent)
        return insert_new(session, new, actor, None if sent is None else lambda: events.append("server") or sent())

    monkeypatch.setattr(bulk, "insert_new", inserting)
    monkeypatch.setattr(ColumnarReader, "_ahead", lambda reader, *args: note("read") or ahead(reader, *args))
    _clear(pg_engine)
    for rows in (40, 41):
        events.clear()
        path = _outbound(tmp_path, rows)
        summary = import_file(pg_engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
        assert summary.status == "COMPLETED" and (summary.created, summary.unchanged) == ((40, 0) if rows == 40 else (1, 40))
        stores = [i for i, event in enumerate(events) if event == "store"]
        reads = [i for i, event in enumerate(events) if event == "read"]
        assert len(reads) == len(stores) == (5 if rows == 41 else 4)
        # from the second chunk's store on (the first one's is still running when the second is mapped): the
        # server has the chunk's first rows or keys before the next chunk is read
        paced = list(zip(stores[1:], reads[2:]))
        assert [("server" in events[store:read]) for store, read in paced] == [True] * len(paced), events


def _lose_the_database(session) -> None:
    """What a server going away while a chunk commits looks like: on PostgreSQL the import's connection
    is terminated (the commit then fails), SQLite's disk fails."""
    if session.get_bind().dialect.name == "postgresql":
        pid = session.connection().connection.driver_connection.info.backend_pid
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            admin.dispose()
    else:
        raise sqlite3.OperationalError("disk I/O error")


def test_a_chunk_that_cannot_be_committed_fails_the_import_and_a_rerun_stores_what_one_clean_run_does(
        engine, tmp_path, monkeypatch) -> None:
    path = _outbound(tmp_path)
    _clear(engine)  # (what ``_snapshot`` compares: the import's own rows and audit entries only)
    assert import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK).status == "COMPLETED"
    clean = _snapshot(engine)
    _clear(engine)

    store_chunk, stored = TabularRun.store_chunk, []

    def failing(run):
        stored.append(run.summary.rows_read)
        if len(stored) == 2:  # the second chunk written, then the database lost before its commit
            run.flush_batch()
            run.sink.flush(run.session)
            _lose_the_database(run.session)
            run.session.commit()
        store_chunk(run)

    monkeypatch.setattr(TabularRun, "store_chunk", failing)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    assert summary.status == "FAILED" and summary.error.startswith("import stopped by ")
    assert stored == [10, 20]  # nothing of the third chunk mapped, let alone stored
    # the first chunk kept (its last record waits for the next chunk: it might go on there), the second undone
    assert _stored(engine) == [f"OC{i:03d}" for i in range(CHUNK - 1)]
    with session_factory(engine)() as session:
        assert session.scalars(select(ImportFileRow.status)).one() == "FAILED"

    monkeypatch.setattr(TabularRun, "store_chunk", store_chunk)
    again = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    assert (again.status, again.import_id, again.created, again.unchanged) == (
        "COMPLETED", summary.import_id, 31, 9)
    assert _snapshot(engine) == clean
    with session_factory(engine)() as session:  # (and the failure's item in the exceptions queue closed)
        item = session.scalars(select(ExceptionItem).where(
            ExceptionItem.record_key == f"import_files:{summary.import_id}")).one()
    assert item.status == "resolved"


def test_a_file_that_cannot_be_read_further_keeps_the_chunk_being_stored(engine, tmp_path, monkeypatch) -> None:
    path = _outbound(tmp_path)
    real_open = tabular_import.open_table

    def failing_disk(*args, **kwargs):
        reader = real_open(*args, **kwargs)
        chunks = reader.column_chunks

        def two_then_broken():
            iterator = chunks()
            yield next(iterator)
            yield next(iterator)
            raise OSError(5, "Input/output error")  # read while the second chunk is being stored

        reader.column_chunks = two_then_broken
        return reader

    monkeypatch.setattr(tabular_import, "open_table", failing_disk)
    summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    assert summary.status == "FAILED" and "Input/output error" in summary.error
    assert _stored(engine) == [f"OC{i:03d}" for i in range(2 * CHUNK - 1)]  # (the last one carried)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentLineRow)) == 2 * CHUNK - 1


# -- Behind ---------------------------------------------------------------------------------------

def test_behind_runs_one_task_at_a_time_in_order_off_the_callers_thread() -> None:
    done: list[tuple[int, bool]] = []
    gate = threading.Event()

    def task(n: int):
        def run() -> None:
            if n == 0:
                gate.wait(60)  # (set just after the caller has looked: bounds a hang only)
            done.append((n, threading.current_thread() is threading.main_thread()))
        return run

    with Behind() as behind:
        assert behind.done
        behind.start(task(0))
        assert behind.busy and not behind.done and done == []  # the caller goes on while the task runs
        gate.set()
        behind.start(task(1))  # (waits for the one before)
        assert done == [(0, False)]
    assert done == [(0, False), (1, False)] and not behind.busy


def test_behind_raises_a_tasks_error_at_the_next_wait() -> None:
    def fail() -> None:
        raise ValueError("could not store")

    with Behind() as behind:
        behind.start(fail)
        with pytest.raises(ValueError, match="could not store"):
            behind.wait()
        behind.start(lambda: None)  # (usable again)
    with pytest.raises(ValueError, match="could not store"), Behind() as behind:
        behind.start(fail)  # never waited for: leaving the block raises it


def test_behind_raises_the_tasks_error_over_the_callers_one_after_the_task_ends() -> None:
    ended = threading.Event()

    def fail() -> None:
        ended.wait(0.2)
        ended.set()
        raise ValueError("could not store")

    with pytest.raises(ValueError, match="could not store") as raised, Behind() as behind:
        behind.start(fail)
        raise OSError("could not read")
    assert ended.is_set() and isinstance(raised.value.__context__, OSError)


def test_a_columnar_import_into_an_in_memory_sqlite_database_completes(tmp_path: Path) -> None:
    """An in-memory SQLite database (``create_engine_for("sqlite://")``: a connection per thread, each usable
    only on its own) is imported into with each chunk stored in line, not on the worker thread."""
    engine = create_engine_for("sqlite://")  # (``sqlite:///:memory:`` fails in upgrade_schema already)
    try:
        upgrade_schema(engine)
        with session_scope(engine) as session:
            add_owner(session, "LUMINA", "Lumina")
        path = _write(tmp_path / "outbound.csv", [_row(f"OC{i:03d}") for i in range(30)])
        summary = import_file(engine, "outbound", path, owner_id="LUMINA", chunk_rows=10)
        assert (summary.status, summary.created, summary.error) == ("COMPLETED", 30, None)
    finally:
        engine.dispose()


@pytest.mark.parametrize("failure", ["refused", "lost"])
def test_a_copy_failing_while_the_next_chunk_is_read(pg_engine, tmp_path, monkeypatch, failure) -> None:
    """The second chunk's COPY fails while the third chunk has been read and mapped ahead. Refused by the
    server (a value it cannot store): the batch goes the per-record way and the import stores exactly what
    a clean run does. Its connection lost: the import ends FAILED naming the error (no traceback), the
    first chunk stays committed, nothing of the second or the third; a re-run stores what one clean run
    does."""
    import aggregator.ingest.bulk as bulk

    path = _outbound(tmp_path)
    _clear(pg_engine)
    assert import_file(pg_engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK).status == "COMPLETED"
    clean = _snapshot(pg_engine)
    _clear(pg_engine)

    copy = bulk._copy
    headers: list[int] = []

    def failing(cursor, target, names, columns, *rest):
        if target.strip('"') == "warehouse_shipments":
            headers.append(len(columns[0]))
            if len(headers) == 2:  # the second chunk's
                with ready:
                    assert ready.wait_for(lambda: len(mapped) >= 3, timeout=60)  # (the third chunk read)
                if failure == "refused":  # its last id one the server cannot store (its COPY text built ahead)
                    columns = [[*columns[0][:-1], 10**12], *columns[1:]]
                else:
                    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
                    try:
                        with admin.connect() as conn:
                            conn.execute(text("SELECT pg_terminate_backend(:pid)"),
                                         {"pid": cursor.connection.info.backend_pid})
                    finally:
                        admin.dispose()
        return copy(cursor, target, names, columns, *rest)

    monkeypatch.setattr(bulk, "_copy", failing)
    mapped, ready = _noting_mapped(monkeypatch)
    summary = import_file(pg_engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    assert mapped[:3] == [2, 12, 22]
    if failure == "refused":
        assert (summary.status, summary.created, summary.error) == ("COMPLETED", 40, None)
        assert _snapshot(pg_engine) == clean
        return
    assert summary.status == "FAILED" and summary.error.startswith("import stopped by ")
    assert "Traceback" not in summary.error
    assert len(headers) == 2  # nothing of the third chunk written
    assert _stored(pg_engine) == [f"OC{i:03d}" for i in range(CHUNK - 1)]  # (the first chunk's last carried)
    with session_factory(pg_engine)() as session:
        assert session.scalars(select(ImportFileRow.status)).one() == "FAILED"
        assert session.scalar(select(func.count()).select_from(WarehouseShipmentLineRow)) == CHUNK - 1
    monkeypatch.setattr(bulk, "_copy", copy)
    again = import_file(pg_engine, "outbound", path, owner_id="LUMINA", chunk_rows=CHUNK)
    assert (again.status, again.import_id, again.created, again.unchanged) == (
        "COMPLETED", summary.import_id, 31, 9)
    assert _snapshot(pg_engine) == clean
