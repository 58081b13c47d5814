"""A piece of an import's reading begun on a worker thread at the import's start (``Background``), beside
what comes before the file is read: its content hash, the database's setup, the other reads begun so.

Two reads work so (``plain_csv.PlainScan``, ``aggregator.ingest.preread.PreRead``), and they share one way of
doing it. The work runs on a daemon thread from the moment it is made; the import asks for its answer where
it needs it (``wait``, then ``result``), and its error is raised there, on the import's thread, where the
read done in line would have raised it. Whatever way the import ends, ``close`` tells the work to stop
(the event the work was given: it stops at its next block) and waits for the thread, so neither the thread
nor its handles on the file outlive the import. The error is let go once raised: held, its traceback (the
worker's frames, this object among them) would make a reference cycle that only the collector's next pass
frees, and with it whatever those frames still hold.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``work(stop)`` run on a daemon thread named ``name`` from construction; ``stop`` is set by
    ``close``. ``wait`` waits for the work and tells its error; ``result`` answers its value or raises
    its error."""

    def __init__(self, work: Callable[[threading.Event], T], name: str) -> None:
        self.stop = threading.Event()
        #: what the work raised (None: it answered, or is still running, or its error was raised already)
        self.error: BaseException | None = None
        self._value: T | None = None
        self._taken = False  # (whether ``result`` answered or raised already)
        self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[threading.Event], T]) -> None:
        try:
            self._value = work(self.stop)
        except BaseException as exc:  # (raised by ``result``, on the thread that asks)
            self.error = exc

    def wait(self) -> BaseException | None:
        """Wait for the work to end; its error (None: it answered)."""
        self._thread.join()
        return self.error

    def result(self) -> T:
        """The work's answer, once it has ended; its error raised instead (and no longer held). Asked once: a
        second call would find the error let go and answer nothing, so it is refused."""
        self._thread.join()
        if self._taken:
            raise RuntimeError("the work's result was taken already")
        self._taken = True
        error, self.error = self.error, None
        if error is not None:
            try:
                raise error
            finally:  # (this frame's name for it would keep it, its traceback and so this frame in a cycle)
                del error
        return self._value  # type: ignore[return-value]  (set by the work, which ended without error)

    def close(self) -> None:
        """Tell the work to stop and wait for its thread."""
        self.stop.set()
        self._thread.join()
