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

import os
from collections.abc import Callable, Sequence
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
    items: Sequence[T],
    engine: Engine = "serial",
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    cost: Callable[[T], float] | None = None,
) -> list[R]:
    """``[fn(item) for item in items]``, here or on Dask; ``cost`` orders submission."""
    total = len(items)
    if engine == "serial" and scheduler is None:
        results = []
        for done, item in enumerate(items, start=1):
            results.append(fn(item))
            if progress is not None:
                progress(done, total)
        return results
    return _run_dask(fn, items, scheduler, workers or default_workers(), progress, cost)


def _run_dask(
    fn: Callable[[T], R],
    items: Sequence[T],
    scheduler: str | None,
    workers: int,
    progress: Progress | None,
    cost: Callable[[T], float] | None,
) -> list[R]:
    import importlib

    distributed: Any = importlib.import_module("distributed")  # untyped; imported on demand
    Client, LocalCluster, as_completed = (
        distributed.Client,
        distributed.LocalCluster,
        distributed.as_completed,
    )
    total = len(items)
    order = list(range(total))
    if cost is not None:
        order.sort(key=lambda i: -cost(items[i]))
    with ExitStack() as stack:
        try:
            if scheduler is None:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=":0",  # a free loopback port: no clash, no warning
                        silence_logs=40,
                    )
                )
                client = stack.enter_context(Client(cluster))
            else:
                client = stack.enter_context(Client(scheduler, timeout="10s"))
        except (OSError, TimeoutError) as exc:
            where = scheduler or "a local cluster"
            raise ExecutorError(f"cannot reach the Dask scheduler at {where}: {exc}") from None
        futures: dict[Any, int] = {}
        for i in order:
            future = client.submit(fn, items[i], pure=False, key=f"task-{i}-{os.getpid()}")
            futures[future] = i
        results: list[Any] = [None] * total
        for done, future in enumerate(as_completed(list(futures)), start=1):
            try:
                results[futures[future]] = future.result()
            except Exception as exc:
                for other in futures:
                    other.cancel()
                raise ExecutorError(f"task {futures[future]} failed on Dask: {exc}") from exc
            if progress is not None:
                progress(done, total)
        return results
