"""Running independent tasks in this process or on Dask, with the same results either way.

``run_tasks(fn, items)`` returns ``[fn(item) for item in items]``, in the order of ``items``,
whatever ran where. With ``engine="dask"`` it starts a local cluster of ``workers`` processes
(one thread each, loopback only, status page on a free port) or connects to ``scheduler`` (an
existing cluster's address), submits the biggest tasks first so the long ones do not start
last, and reports progress as tasks finish. Tasks must be pure functions of their item
(replays and sweep points are: every random stream is seeded from the item), which is why a
distributed run gives exactly the single-process numbers.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from typing import Any, Literal, TypeVar

T = TypeVar("T")
R = TypeVar("R")
Engine = Literal["serial", "dask"]
Progress = Callable[[int, int], None]
"""``progress(done, total)``, called after each finished task."""


class ExecutorError(RuntimeError):
    """The cluster could not be reached or a task failed on it; the message says which."""


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def run_tasks(
    fn: Callable[[T], R],
    items: Iterable[T],
    engine: Engine = "serial",
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    cost: Callable[[T], float] | None = None,
) -> list[R]:
    """``[fn(item) for item in items]``, here or on Dask.

    A list of items is submitted biggest ``cost`` first; any other iterable is consumed as
    it goes (progress then has no total: ``0``): at most ``LOOKAHEAD`` items are read ahead
    and submitted biggest ``cost`` first among them, with at most ``WINDOW_PER_WORKER`` tasks
    per worker in flight, so a whole public trace day streams through in bounded memory,
    and a small trace (all of it within the lookahead) is ordered exactly as a list would be.
    """
    total = len(items) if isinstance(items, Sequence) else 0
    if engine == "serial" and scheduler is None:
        results = []
        for done, item in enumerate(items, start=1):
            results.append(fn(item))
            if progress is not None:
                progress(done, total)
        return results
    pairs: Iterable[tuple[int, T]] = enumerate(items)
    if cost is not None:
        if isinstance(items, Sequence):
            pairs = sorted(enumerate(items), key=lambda pair: -cost(pair[1]))
        else:
            pairs = biggest_first(enumerate(items), cost, LOOKAHEAD)
    return _run_dask(fn, pairs, total, scheduler, workers or default_workers(), progress)


def biggest_first(
    pairs: Iterable[tuple[int, T]], cost: Callable[[T], float], lookahead: int
) -> Iterator[tuple[int, T]]:
    """``pairs`` reordered: the biggest of the next ``lookahead`` (ties: the first read)."""
    heap: list[tuple[float, int, T]] = []
    for index, item in pairs:
        heapq.heappush(heap, (-cost(item), index, item))
        if len(heap) >= lookahead:
            _cost, first, chosen = heapq.heappop(heap)
            yield first, chosen
    while heap:
        _cost, first, chosen = heapq.heappop(heap)
        yield first, chosen


LOOKAHEAD = 256
"""Items a streamed run reads ahead to submit the biggest first (tasks hold trace functions:
a 2019 function is ~12 kB, so this bounds the read-ahead to a few MB)."""
WINDOW_PER_WORKER = 8
CONNECT_TIMEOUT = "10s"
"""How long to wait for an existing scheduler (``--scheduler``) before giving up."""


def _run_dask(
    fn: Callable[[T], R],
    pairs: Iterable[tuple[int, T]],
    total: int,
    scheduler: str | None,
    workers: int,
    progress: Progress | None,
) -> list[R]:
    import importlib

    distributed: Any = importlib.import_module("distributed")  # untyped; imported on demand
    with ExitStack() as stack:
        try:
            if scheduler is None:
                cluster = stack.enter_context(
                    distributed.LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=":0",  # a free loopback port: no clash, no warning
                        silence_logs=40,
                    )
                )
                client = stack.enter_context(distributed.Client(cluster))
            else:
                client = stack.enter_context(distributed.Client(scheduler, timeout=CONNECT_TIMEOUT))
        except (OSError, TimeoutError) as exc:
            where = scheduler or "a local cluster"
            raise ExecutorError(f"cannot reach the Dask scheduler at {where}: {exc}") from None
        window = WINDOW_PER_WORKER * max(1, len(client.scheduler_info().get("workers", {})))
        source = iter(pairs)
        index_of: dict[Any, int] = {}
        running = distributed.as_completed()

        def submit_next() -> bool:
            pair = next(source, None)
            if pair is None:
                return False
            index, item = pair
            future = client.submit(fn, item, pure=False, key=f"task-{index}-{os.getpid()}")
            index_of[future] = index
            running.add(future)
            return True

        while len(index_of) < window and submit_next():
            pass
        results: dict[int, Any] = {}
        for done, future in enumerate(running, start=1):
            index = index_of.pop(future)
            try:
                results[index] = future.result()
            except Exception as exc:
                for other in index_of:
                    other.cancel()
                raise ExecutorError(f"task {index} failed on Dask: {exc}") from exc
            del future
            submit_next()
            if progress is not None:
                progress(done, total)
        return [results[i] for i in range(len(results))]
