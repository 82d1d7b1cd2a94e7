"""Trace replay: each function of a public Azure Functions trace as its own deployment.

    from models.replay import ReplaySpec, replay, cold_share_by_function

    result = replay(ReplaySpec(trace="assets/traces/azure2019_busy10_fullday"), engine="dask")
    result.totals()[("traditional", "platform")].cold_share

    cold_share_by_function("assets/traces/azure2019_busy10_fullday", keep_alive=600)
    # {'47658c9c': 3.2e-05, ...}: share of each function's invocations that start cold

Modules: ``spec`` (what to replay, the stated assumptions), ``workload`` (a function's
invocations as requests), ``run`` (one task, totals), ``fast`` (the exact aggregates-only
replay of one-request-per-instance platforms), ``executor`` (serial or Dask).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from models.replay.executor import Engine, ExecutorError, Progress, run_tasks
from models.replay.result import FunctionResult
from models.replay.run import ReplayResult, Task, functions_of, iter_tasks, run_task, tasks_of
from models.replay.spec import POLICY_PRESETS, ReplaySpec

__all__ = [
    "POLICY_PRESETS",
    "ExecutorError",
    "FunctionResult",
    "ReplayResult",
    "ReplaySpec",
    "Task",
    "cold_share_by_function",
    "replay",
    "run_task",
    "tasks_of",
]


def _cost(task: Task) -> float:
    return float(task.fn.invocations) * (1.0 if task.model == "traditional" else 3.0)


def replay(
    spec: ReplaySpec,
    engine: Engine = "serial",
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    stream: bool = True,
) -> ReplayResult:
    """Replay every selected function under every platform model and keep-alive policy.

    By default (``stream=True``) the trace is read one function at a time as tasks are taken:
    in this process one task at a time, on Dask with a bounded read-ahead
    (``executor.LOOKAHEAD`` tasks, biggest first among them), so a whole public day replays
    in bounded memory. ``stream=False`` reads every function first and submits the biggest
    tasks first. The numbers are the same either way: results go back in task order.
    """
    if stream:  # one function at a time: bounded memory for a whole public day
        tasks: Iterable[Task] = iter_tasks(spec)
    else:
        tasks = tasks_of(spec, list(functions_of(spec)))
    results = run_tasks(run_task, tasks, engine, scheduler, workers, progress, cost=_cost)
    return ReplayResult(spec, results)


def cold_share_by_function(
    trace_path: str | Path,
    keep_alive: float = 600.0,
    seed: int = 0,
    model: str = "traditional",
    hours: float | None = None,
) -> dict[str, float]:
    """Share of each function's invocations that start cold under a fixed keep-alive.

    Keys are the functions' 8-character names (full hashes if two names collide); values are
    in [0, 1]. One request per instance (``traditional``) by default, replayed exactly by the
    fast path: the 10-function full-day sample takes about half a minute.
    """
    spec = ReplaySpec(
        trace=str(trace_path),
        seed=seed,
        hours=hours,
        platforms={model: {"keep_alive": keep_alive}},
        policies=["platform"],
    )
    results = replay(spec).functions
    names = [r.name for r in results]
    unique = len(set(names)) == len(names)
    return {(r.name if unique else r.function): r.cold_share for r in results}
