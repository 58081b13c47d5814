"""Many shops synced at once: a bounded pool of threads, one (shop, stream) run per task.

A sync run is mostly waiting: HTTP round trips, each shop's own rate limiter (one token bucket per
shop, kept as it is), backoff after a 429 or a 5xx. Run one after another, fifteen shops wait fifteen
times; in a pool the waits overlap. Every task still takes its own lease and commits its own pages,
so the pool changes nothing a single run does; on SQLite the writers take turns on the write lock
(``BEGIN IMMEDIATE`` with a busy timeout), on PostgreSQL they write side by side.

``run_pooled`` returns one ``Outcome`` per task in the order the tasks were given (never in the
order they finished), so what a caller prints or records does not depend on timing; ``on_done`` is
called as each task ends (from the calling thread), for progress.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What one task gave: its value, or the exception it raised (never both)."""

    task: T
    value: R | None = None
    error: BaseException | None = None


def run_pooled(tasks: Sequence[T], work: Callable[[T], R], *, workers: int,
               on_done: Callable[[Outcome[T, R]], None] | None = None) -> list[Outcome[T, R]]:
    """Run ``work`` over ``tasks`` with at most ``workers`` at a time; outcomes in task order.

    ``workers`` of 1 runs the tasks one after another in the calling thread (no pool at all). An
    exception in one task is its outcome and never stops the others; ``KeyboardInterrupt`` and
    ``SystemExit`` raised in the calling thread cancel the tasks not yet started.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    outcomes: list[Outcome[T, R] | None] = [None] * len(tasks)

    def settle(index: int, outcome: Outcome[T, R]) -> None:
        outcomes[index] = outcome
        if on_done is not None:
            on_done(outcome)

    if workers == 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            try:
                settle(index, Outcome(task, value=work(task)))
            except Exception as exc:  # noqa: BLE001 - the task's outcome, reported by the caller
                settle(index, Outcome(task, error=exc))
        return [o for o in outcomes if o is not None]

    with ThreadPoolExecutor(max_workers=min(workers, len(tasks)), thread_name_prefix="sync") as pool:
        pending: dict[Future[R], int] = {pool.submit(work, task): i for i, task in enumerate(tasks)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    error = future.exception()
                    settle(index, Outcome(tasks[index], error=error) if error is not None
                           else Outcome(tasks[index], value=future.result()))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return [o for o in outcomes if o is not None]
