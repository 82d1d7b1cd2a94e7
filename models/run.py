"""Running a scenario: the one entry point front ends, lessons and tests call.

``simulate(scenario)`` plays the same requests under each platform model, measures each from
its own event stream and bills it. With ``keep_events=True`` (the default) every event is kept
for animation; with ``keep_events=False`` events only feed the metrics, so memory stays flat
however many requests run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.billing import Bill, bill
from models.events import Event
from models.metrics import MetricsCollector, Usage
from models.requests import generate_requests
from models.scenario import PlatformModel, Scenario
from models.sim.engine import Driver, PlatformRun

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(model, requests_so_far, total_or_None)`` during long runs."""


@dataclass(slots=True)
class ModelResult:
    """One platform model's run: its events (if kept), metrics and bill."""

    model: str
    metrics: dict[str, Any]
    usage: Usage
    bill: Bill
    events: list[Event] | None = None
    end_time: float = 0.0
    platform: PlatformModel | None = None
    memory_mb: int = 0

    def summary(self) -> dict[str, Any]:
        """The ``models.NAME`` object of ``lab sim --json``."""
        return {**self.metrics, "bill_usd": self.bill.as_dict()}


@dataclass(slots=True)
class RunResult:
    scenario: Scenario
    seed: int
    models: dict[str, ModelResult] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "models": {name: result.summary() for name, result in self.models.items()},
        }


def measure(
    events: Iterable[Event], scenario: Scenario, model: str, keep_events: bool = False
) -> ModelResult:
    """Metrics and bill of any event stream (simulated, live or read back from a file)."""
    platform = scenario.platforms[model]
    collector = MetricsCollector(
        scenario.function.memory_mb, platform.billed_phases, platform.billing
    )
    kept: list[Event] | None = [] if keep_events else None
    for event in events:
        collector.handle(event)
        if kept is not None:
            kept.append(event)
    usage = collector.usage()
    return ModelResult(
        model,
        collector.report(),
        usage,
        bill(usage, platform.prices),
        kept,
        collector.end_time,
        platform,
        scenario.function.memory_mb,
    )


def simulate_model(
    scenario: Scenario,
    model: str,
    seed: int | None = None,
    keep_events: bool = True,
    sink: Callable[[Event], None] | None = None,
    progress: Progress | None = None,
    driver: Driver | None = None,
) -> ModelResult:
    """Run one platform model; ``sink`` also receives every event as it is emitted.

    ``driver``: ``"heap"`` (the default: ``models.sim.heap``, a plain heap loop) or
    ``"simpy"``. Both drive the same engine and platform core and emit the same events in the
    same order (``tests/test_drivers.py``), so the choice changes only the speed: the heap loop
    is the faster (it needs no event object per timer and one keep-alive alarm per instance).
    """
    platform = scenario.platforms.get(model)
    if platform is None:
        raise ValueError(
            f"unknown platform model {model!r}; this scenario has {', '.join(scenario.platforms)}"
        )
    collector = MetricsCollector(
        scenario.function.memory_mb, platform.billed_phases, platform.billing
    )
    kept: list[Event] | None = [] if keep_events else None
    handle = collector.handle
    emit: Callable[[Event], None]
    if kept is None and sink is None:
        emit = handle
    elif sink is None and kept is not None:  # the animated run: measure and keep, nothing else
        keep = kept.append

        def emit(event: Event) -> None:
            handle(event)
            keep(event)

    else:
        append = kept.append if kept is not None else None

        def emit(event: Event) -> None:
            handle(event)
            if append is not None:
                append(event)
            if sink is not None:
                sink(event)

    seed = scenario.seed if seed is None else seed
    run = PlatformRun(scenario, model, emit, seed, driver or "heap")
    run.start(generate_requests(scenario, seed))
    if progress is None:
        run.run()
    else:
        total = scenario.workload.requests
        step = _progress_step(scenario)
        t = 0.0
        while not run.run(until=t + step):
            t += step
            progress(model, run.requests_arrived, total)
        progress(model, run.requests_arrived, total)
    usage = collector.usage()
    return ModelResult(
        model,
        collector.report(),
        usage,
        bill(usage, platform.prices),
        kept,
        collector.end_time,
        platform,
        scenario.function.memory_mb,
    )


def _progress_step(scenario: Scenario) -> float:
    """Simulated seconds between progress updates: about 1 % of the expected run."""
    workload = scenario.workload
    if workload.duration is not None:
        return max(workload.duration / 100, 1e-3)
    arrivals = workload.arrivals
    rate = float(getattr(arrivals, "rate", None) or getattr(arrivals, "mean_rate", None) or 1.0)
    return max((workload.requests or 1000) / rate / 100, 1e-3)


def simulate(
    scenario: Scenario,
    models: Sequence[str] | None = None,
    seed: int | None = None,
    keep_events: bool = True,
    progress: Progress | None = None,
) -> RunResult:
    """Run the scenario under each platform model (all of them by default), same requests."""
    seed = scenario.seed if seed is None else seed
    result = RunResult(scenario, seed)
    for model in models or list(scenario.platforms):
        result.models[model] = simulate_model(
            scenario, model, seed, keep_events=keep_events, progress=progress
        )
    return result
