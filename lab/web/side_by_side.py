"""A scenario's platform models simulated side by side: one worker process per model.

The playground compares two models of the same requests, and their runs are independent, so
on a machine with two cores each can be simulated (and laid out for drawing) in its own
process at the same time. A fresh 10,000-request setting costs about the slower of the two
runs instead of their sum (measured in ``benchmarks/web_rerun.py``).

What comes back from a worker is the model's measured result *without* its events, plus its
``Timeline``: both pickle quickly (the timeline is mostly flat columns), where a run's hundred
thousand event objects would take longer to pickle and unpickle than to simulate again. Views
that need the events themselves (the replay's running meters) simulate in-process.

The workers are plain child processes (``python -m lab.web.side_by_side``) talking pickles over
their stdin and stdout, not a ``multiprocessing`` pool: those re-run the parent's
``__main__`` in every worker, and under Streamlit ``__main__`` is the page script itself.
They start ahead of the first request (``warm_up()``), serve one session at a time (another
session meanwhile simulates in its own thread), and end with their parent (their stdin
closes). If a worker cannot be had (one core) or fails, the models run one after the other in
this process: same results, only slower. Results are identical either way: a run depends only
on its scenario and seed.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any

from lab import heap
from lab.view import Timeline, build_timeline
from models.run import ModelResult, RunResult, simulate_model
from models.scenario import Scenario

log = logging.getLogger(__name__)

WORKERS = 2
_HEADER = struct.Struct("!Q")


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
    outcomes: dict[str, tuple[ModelResult, Timeline]] = {}
    if len(models) > 1 and _busy.acquire(blocking=False):
        try:
            workers = _workers()
            if workers:
                outcomes = _in_workers(workers, scenario, models)
        finally:
            _busy.release()
    for model in models:
        if model not in outcomes:
            outcomes[model] = laid_out(scenario, model)
    run = RunResult(scenario, scenario.seed)
    for model in models:
        run.models[model] = outcomes[model][0]
    return run, {model: outcomes[model][1] for model in models}


def warm_up() -> None:
    """Start the workers now, so the first new setting does not wait for them."""
    with _busy:
        _workers()


# --- the workers ----------------------------------------------------------------------------


class _Worker:
    """One child process; ``ask`` sends it a job, ``answer`` reads what it sent back."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lab.web.side_by_side"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def ask(self, job: tuple[Scenario, str]) -> None:
        assert self.process.stdin is not None
        _send(self.process.stdin, job)

    def answer(self) -> tuple[ModelResult, Timeline]:
        assert self.process.stdout is not None
        ok, value = _receive(self.process.stdout)
        if not ok:
            raise RuntimeError(f"worker failed: {value}")
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a dead worker's pipe cannot flush
                    pipe.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:  # pragma: no cover - a worker stuck in a job
            self.process.kill()


_busy = threading.Lock()
"""Held while a session uses the workers (and while they start)."""
_pool: list[_Worker] = []
_unavailable = False


def _workers() -> list[_Worker]:
    """The running workers (started on first use); empty where none can be had."""
    global _unavailable
    if _unavailable:
        return []
    if not _pool:
        if (os.cpu_count() or 1) < 2:
            _unavailable = True
            return []
        try:
            _pool.extend(_Worker() for _ in range(WORKERS))
        except OSError as exc:  # pragma: no cover - no processes to be had
            log.warning("no side-by-side workers (%s); simulating in this process", exc)
            _unavailable = True
            _discard()
    return _pool


def _in_workers(
    workers: list[_Worker], scenario: Scenario, models: Sequence[str]
) -> dict[str, tuple[ModelResult, Timeline]]:
    """Up to one model per worker, all at once; what is left runs here after."""
    jobs = list(zip(workers, models, strict=False))
    try:
        for worker, model in jobs:
            worker.ask((scenario, model))
        return {model: worker.answer() for worker, model in jobs}
    except (OSError, EOFError, RuntimeError, pickle.PickleError) as exc:
        log.warning("side-by-side workers failed (%s); simulating in this process", exc)
        _discard()  # a worker left mid-answer cannot be trusted: start afresh next time
        return {}


def _discard() -> None:
    while _pool:
        _pool.pop().stop()


atexit.register(_discard)


def _send(pipe: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_HEADER.pack(len(data)))
    pipe.write(data)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> Any:
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the worker has gone")
    (size,) = _HEADER.unpack(header)
    data = pipe.read(size)
    if len(data) < size:
        raise EOFError("the worker has gone")
    return pickle.loads(data)


def serve(jobs: IO[bytes], answers: IO[bytes]) -> None:
    """A worker's life: lay out each job it is sent, until its parent closes the pipe."""
    heap.settle()  # as the app's process is, for the same reason
    while True:
        try:
            scenario, model = _receive(jobs)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, laid_out(scenario, model))
        except Exception as exc:  # reported to the parent, which falls back
            answer = (False, f"{type(exc).__name__}: {exc}")
        _send(answers, answer)


def _main() -> None:
    """Answers go out on the original stdout; anything printed goes to stderr instead."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    _main()
