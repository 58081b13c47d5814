"""One task at a time run behind the caller on a worker thread: the columnar import stores and commits a
chunk while it reads the next one (``columnar_import.ColumnarReader.read``).

``start(task)`` waits for the task before (raising its error) and runs ``task`` on the worker; ``wait()``
waits for the running one and raises its error. Leaving the ``with`` block waits as well, so no task
outlives it; when both the task and the caller's block fail, the task's error is raised (the caller's
as its context): one after another, the task's work came first and the caller's would not have run.
The caller keeps off whatever the running task uses (the session, the batch, the sink) until ``wait``.
``inline=True`` runs each task at once on the caller's thread, its error still raised at the next ``wait``:
for a connection that may only be used on the thread that made it (an in-memory SQLite database, whose
pool hands each thread its own connection).
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any


class Behind:
    """A worker thread running one task at a time behind its caller."""

    def __init__(self, name: str = "behind", inline: bool = False) -> None:
        self.name = name
        self.inline = inline
        self._pool: ThreadPoolExecutor | None = None
        self._running: Future | None = None

    def __enter__(self) -> Behind:
        return self

    @property
    def busy(self) -> bool:
        """Whether a task was started and not waited for."""
        return self._running is not None

    @property
    def done(self) -> bool:
        """Whether no task runs (none started, or the one started has ended)."""
        return self._running is None or self._running.done()

    def start(self, task: Callable[[], Any]) -> None:
        self.wait()
        if self.inline:
            done: Future = Future()
            try:
                done.set_result(task())
            except Exception as failed:  # (raised at the next wait, as from the worker)
                done.set_exception(failed)
            self._running = done
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
        self._running = self._pool.submit(task)

    def wait(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            running.result()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            running, self._running = self._running, None
            if running is not None:
                failed = running.exception()  # (waits)
                if failed is not None:
                    raise failed
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
