"""The sync pool: tasks overlap up to the bound, outcomes come back in task order, a failure is an outcome."""
from __future__ import annotations

import threading
import time

import pytest

from aggregator.sync.pool import run_pooled


def test_tasks_overlap_up_to_the_bound_and_never_beyond() -> None:
    barrier = threading.Barrier(4, timeout=60)  # passes only when four tasks wait at once
    lock, active, peak = threading.Lock(), [0], [0]

    def work(n: int) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            if n < 4:
                barrier.wait()
            time.sleep(0.01)
            return n * n
        finally:
            with lock:
                active[0] -= 1

    outcomes = run_pooled(list(range(12)), work, workers=4)
    assert [o.value for o in outcomes] == [n * n for n in range(12)]
    assert [o.task for o in outcomes] == list(range(12))
    assert peak[0] == 4


def test_outcomes_in_task_order_whatever_finishes_first() -> None:
    done_order: list[int] = []

    def work(n: int) -> int:
        time.sleep(0.05 * (5 - n))  # the last task finishes first
        return n

    outcomes = run_pooled(list(range(5)), work, workers=5, on_done=lambda o: done_order.append(o.task))
    assert [o.task for o in outcomes] == [0, 1, 2, 3, 4]
    assert sorted(done_order) == [0, 1, 2, 3, 4] and len(done_order) == 5


@pytest.mark.parametrize("workers", [1, 3])
def test_a_failing_task_is_its_outcome_and_the_others_go_on(workers: int) -> None:
    def work(n: int) -> int:
        if n == 2:
            raise RuntimeError("shop 2 broke")
        return n

    outcomes = run_pooled([0, 1, 2, 3], work, workers=workers)
    assert [o.value for o in outcomes] == [0, 1, None, 3]
    assert isinstance(outcomes[2].error, RuntimeError) and str(outcomes[2].error) == "shop 2 broke"
    assert all(o.error is None for i, o in enumerate(outcomes) if i != 2)


def test_one_worker_runs_in_the_calling_thread() -> None:
    caller = threading.get_ident()
    outcomes = run_pooled(["a", "b"], lambda _: threading.get_ident(), workers=1)
    assert {o.value for o in outcomes} == {caller}


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_pooled([1], lambda n: n, workers=0)
