"""``background.Background``, the worker thread an import's early reads run on (``plain_csv.PlainScan``,
``preread.PreRead``): its answer taken, its error raised on the thread that asks and then let go, so nothing
the work's frames held waits for the collector; ``close`` stops the work and waits for its thread."""
from __future__ import annotations

import gc
import threading
import weakref

import pytest

from platform_adapters.tabular.background import Background


def test_the_answer_is_taken_where_it_is_asked() -> None:
    work = Background(lambda stop: (threading.current_thread().name, stop.is_set()), "test-background")
    assert work.wait() is None
    assert work.result() == ("test-background", False)


def test_the_error_is_raised_once_and_let_go_at_once() -> None:
    """Held, the error's traceback (the worker's frames, the ``Background`` among them) would keep the object
    and what its work held alive until the collector's next pass (disabled here to tell them apart)."""

    def failing(stop: threading.Event) -> None:
        raise RuntimeError("the work broke")

    collecting = gc.isenabled()
    gc.disable()
    try:
        work = Background(failing, "test-background")
        assert isinstance(work.wait(), RuntimeError)
        try:  # (not ``pytest.raises``: the error it keeps would keep the ``Background`` from its traceback)
            work.result()
        except RuntimeError as exc:
            raised = str(exc)
        assert raised == "the work broke" and work.error is None
        gone = weakref.ref(work)
        del work
        assert gone() is None
    finally:
        if collecting:
            gc.enable()


def test_close_stops_the_work_and_waits_for_its_thread() -> None:
    began = threading.Event()

    def waiting(stop: threading.Event) -> str:
        began.set()
        stop.wait(60)
        return "stopped" if stop.is_set() else "not stopped"

    work = Background(waiting, "test-background")
    began.wait(60)
    work.close()
    assert not [thread for thread in threading.enumerate() if thread.name == "test-background"]
    assert work.result() == "stopped"


def test_the_result_is_taken_once() -> None:
    """A second ``result`` would find the error let go and answer nothing: it is refused instead."""
    failing = Background(lambda stop: (_ for _ in ()).throw(RuntimeError("the work broke")), "test-background")
    with pytest.raises(RuntimeError, match="the work broke"):
        failing.result()
    with pytest.raises(RuntimeError, match="taken already"):
        failing.result()
    answering = Background(lambda stop: 42, "test-background")
    assert answering.result() == 42
    with pytest.raises(RuntimeError, match="taken already"):
        answering.result()
