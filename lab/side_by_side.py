"""A scenario's platform models simulated side by side: one worker process per model.

The playground compares two models of the same requests, and their runs are independent, so
on a machine with two cores each can be simulated (and laid out for drawing) in its own
process at the same time. A fresh 10,000-request setting costs about the slower of the two
runs instead of their sum (measured in ``benchmarks/web_rerun.py``).

What comes back from a worker is the model's measured result *without* its events, plus its
``Timeline``: both pickle quickly (the timeline is mostly flat columns), where a run's hundred
thousand event objects would take longer to pickle and unpickle than to simulate again. Views
that need the events themselves (the replay's running meters) simulate in-process.

The workers come from a ``forkserver`` (never a fork of the multi-threaded Streamlit server)
that has imported the simulator once, so a task starts in milliseconds; the pool is started
ahead of the first request by ``warm_up()``. If a pool cannot be had (one core, a platform
without ``forkserver``, a worker that died), the models run one after the other in this
process: same results, only slower. Results are identical either way: a run depends only on
its scenario and seed.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from lab.view import Timeline, build_timeline
from models.run import ModelResult, RunResult, simulate_model
from models.scenario import Scenario

log = logging.getLogger(__name__)

_PRELOAD = ["lab.side_by_side"]
"""Imported once by the fork server, so every worker starts with the simulator loaded."""

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_unavailable = False


def laid_out(scenario: Scenario, model: str) -> tuple[ModelResult, Timeline]:
    """One model's run and its timeline (no running meters), the run without its events."""
    result = simulate_model(scenario, model)
    timeline = build_timeline(result.events or [], result.end_time)
    result.events = None
    return result, timeline


def run_laid_out(
    scenario: Scenario, models: Sequence[str]
) -> tuple[RunResult, dict[str, Timeline]]:
    """Each of ``models`` simulated and laid out, in parallel where the machine allows."""
    pool = _get_pool() if len(models) > 1 else None
    outcomes: dict[str, tuple[ModelResult, Timeline]] = {}
    if pool is not None:
        try:
            futures: dict[str, Future[tuple[ModelResult, Timeline]]] = {
                model: pool.submit(laid_out, scenario, model) for model in models
            }
            outcomes = {model: future.result() for model, future in futures.items()}
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            log.warning("side-by-side workers failed (%s); simulating in this process", exc)
            _discard_pool()
            outcomes = {}
    for model in models:
        if model not in outcomes:
            outcomes[model] = laid_out(scenario, model)
    run = RunResult(scenario, scenario.seed)
    for model in models:
        run.models[model] = outcomes[model][0]
    return run, {model: outcomes[model][1] for model in models}


def warm_up() -> None:
    """Start the workers now (in the background), so the first new setting does not wait."""
    pool = _get_pool()
    if pool is not None:
        for _ in range(_WORKERS):
            pool.submit(os.getpid)


_WORKERS = 2


def _get_pool() -> ProcessPoolExecutor | None:
    global _pool, _unavailable
    with _lock:
        if _pool is not None or _unavailable:
            return _pool
        if (os.cpu_count() or 1) < 2 or "forkserver" not in multiprocessing.get_all_start_methods():
            _unavailable = True
            return None
        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _pool = ProcessPoolExecutor(_WORKERS, mp_context=context, initializer=_settle)
        except (OSError, ValueError) as exc:  # pragma: no cover - platform specific
            log.warning("no side-by-side workers (%s); simulating in this process", exc)
            _unavailable = True
        return _pool


def _discard_pool() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _settle() -> None:
    """In each worker: collect rarely while a run piles up its events (see
    ``lab.web_state.settle_heap`` for the measurements behind these thresholds)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
