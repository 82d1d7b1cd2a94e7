"""Running a scenario's workload through the live runtime in-process, and measuring it.

``run_live`` replays ``generate_requests(scenario, seed)`` (the very requests the simulator
plays) against a ``LiveRuntime`` on the real clock, then bills the events it emitted with
``models.run.measure``: the same code that bills a simulated run.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from models.events import Event
from models.live.runtime import LiveOptions, LiveRuntime, Outcome
from models.requests import RequestSpec, generate_requests
from models.run import ModelResult, measure
from models.scenario import Scenario


@dataclass(slots=True)
class LiveResult:
    """A live run of one model: its bill and metrics (as a simulated one) plus live checks."""

    result: ModelResult
    outcomes: list[Outcome]
    events: list[Event]
    leaks: list[dict[str, Any]] = field(default_factory=list)
    cpu_check: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0
    health: dict[str, Any] = field(default_factory=dict)
    """``LiveRuntime.health()`` at the end of the run (launcher, crashes, cache evictions)."""

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "timeout": 0, "error": 0, "rejected": 0, "stopped": 0}
        for outcome in self.outcomes:
            out[outcome.status] += 1
        return out


async def replay(
    runtime: LiveRuntime,
    requests: Iterable[RequestSpec],
    speed: float = 1.0,
    concurrency: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Submit requests at their arrival times (divided by ``speed``; ``speed=inf``: at once,
    at most ``concurrency`` outstanding). Returns outcomes in request order."""
    start = time.monotonic()
    limit = asyncio.Semaphore(concurrency) if concurrency else None
    tasks: list[asyncio.Task[Outcome]] = []
    done = 0

    async def one(spec: RequestSpec) -> Outcome:
        nonlocal done
        try:
            return await runtime.submit(spec)
        finally:
            if limit is not None:
                limit.release()
            done += 1
            if progress is not None:
                progress(done)

    for spec in requests:
        if speed != float("inf"):
            delay = start + spec.t / speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        if limit is not None:
            await limit.acquire()
        tasks.append(asyncio.get_running_loop().create_task(one(spec)))
    return list(await asyncio.gather(*tasks))


async def run_live_async(
    scenario: Scenario,
    model: str,
    options: LiveOptions | None = None,
    requests: int | None = None,
    speed: float = 1.0,
    concurrency: int | None = None,
    sink: Callable[[Event], None] | None = None,
    seed: int | None = None,
    linger: float = 0.0,
) -> LiveResult:
    """Replay the workload, wait for waitUntil work, then (``linger``) for keep-alive to recycle
    idle instances as the simulator does before its run ends (all it may: not below
    ``min_instances``, nor the last one under ``scale_to_one``), up to ``linger`` seconds."""
    specs = generate_requests(scenario, seed)
    if requests is not None:
        specs = itertools.islice(specs, requests)
    t0 = time.monotonic()
    async with LiveRuntime(scenario, model, options, sink) as runtime:
        outcomes = await replay(runtime, specs, speed, concurrency)
        await runtime.drain(timeout=60)
        cpu = await runtime.cpu_check()
        deadline = time.monotonic() + linger
        while runtime.placement.may_recycle():
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.02)
    wall = time.monotonic() - t0
    result = measure(runtime.events, scenario, model, keep_events=False)
    health = runtime.health()
    return LiveResult(result, outcomes, runtime.events, runtime.leaks, cpu, wall, health)


def run_live(scenario: Scenario, model: str, **kwargs: Any) -> LiveResult:
    """``run_live_async`` on a fresh event loop (for scripts and tests)."""
    return asyncio.run(run_live_async(scenario, model, **kwargs))
