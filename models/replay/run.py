"""Replaying a trace: one task per function x platform model x keep-alive policy.

Tasks are independent and seeded by the function's hash, so they can run in any order, in any
process, on any machine (``models.replay.executor``) and give the same numbers; results are
put back in task order before they are added up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.metrics import MetricsCollector
from models.policies import HistogramRuntime, ScaleToOnePolicy, effective_keep_alive
from models.replay.fast import applies, replay_one_per_instance
from models.replay.fast_shared import replay_shared
from models.replay.result import (
    FunctionResult,
    add_up,
    from_collector,
    idle_profile,
    mean_warning,
)
from models.replay.spec import ReplaySpec
from models.replay.workload import function_requests, invocation_blocks
from models.scenario import Scenario
from models.sim.engine import PlatformRun
from models.traces import FunctionTrace, detect_format, read_trace, reconstructed_mean_ms


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: small enough to ship to a worker (a 2019 function is 1440 counts)."""

    fn: FunctionTrace
    spec: ReplaySpec
    model: str
    policy: str


def run_task(task: Task, template: Scenario | None = None) -> FunctionResult:
    """Replay one function under one model and policy (fast path where it is exact)."""
    spec, fn = task.spec, task.fn
    template = template or spec.template()
    scenario = spec.scenario_for(fn, template, task.policy)
    platform = scenario.platforms[task.model]
    share = spec.cpu_share_of(fn)
    horizon = spec.horizon
    base = FunctionResult(fn.key, task.model, task.policy, scenario.function.memory_mb, share)
    base.app = fn.app
    policy = platform.keep_alive_policy
    base.keep_alive_s = (
        policy.keep_alive
        if isinstance(policy, ScaleToOnePolicy)
        else effective_keep_alive(policy, platform.keep_alive)
    )
    if fn.format == "azure2019" and fn.average_ms is not None:
        base.published_mean_ms = fn.average_ms
        base.reconstructed_mean_ms = reconstructed_mean_ms(fn)
    if spec.fast_path and applies(platform, scenario.function, any_concurrency=True):
        blocks = invocation_blocks(fn, spec.seed, share, spec.within_minute, horizon)
        if applies(platform, scenario.function):  # one request per instance, fixed
            replay_one_per_instance(blocks, platform, scenario.function, base)
        else:
            replay_shared(blocks, platform, scenario.function, base)
        return base.priced(platform.prices)
    collector = MetricsCollector(
        scenario.function.memory_mb, platform.billed_phases, platform.billing
    )
    run = PlatformRun(scenario, task.model, collector.handle, spec.seed, "heap")
    run.start(function_requests(fn, spec.seed, share, spec.within_minute, horizon))
    run.run()
    learned = run.policy  # the engine's live policy, if it has one
    if isinstance(learned, HistogramRuntime):
        base.learned(learned.summary())
    return from_collector(collector, base, platform.prices)


def functions_of(spec: ReplaySpec) -> Iterator[FunctionTrace]:
    """The trace's functions the spec selects, streamed."""
    wanted = set(spec.functions) if spec.functions else None
    fmt = spec.format or detect_format(spec.trace)
    yield from read_trace(Path(spec.trace), fmt, wanted, spec.window)


def tasks_of(spec: ReplaySpec, functions: Iterable[FunctionTrace] | None = None) -> list[Task]:
    """Every task of a replay, in a fixed order: function, then model, then policy."""
    template = spec.template()
    return [
        Task(fn, spec, model, policy)
        for fn in (functions if functions is not None else functions_of(spec))
        for model in template.platforms
        for policy in spec.policies
    ]


def iter_tasks(spec: ReplaySpec) -> Iterator[Task]:
    """The tasks of ``tasks_of``, in the same order, reading the trace as they are taken."""
    models = list(spec.template().platforms)
    for fn in functions_of(spec):
        for model in models:
            for policy in spec.policies:
                yield Task(fn, spec, model, policy)


@dataclass(slots=True)
class ReplayResult:
    """Per-function results and totals per (model, policy)."""

    spec: ReplaySpec
    functions: list[FunctionResult] = field(default_factory=list)

    def totals(self) -> dict[tuple[str, str], FunctionResult]:
        groups: dict[tuple[str, str], list[FunctionResult]] = {}
        for r in self.functions:
            groups.setdefault((r.model, r.policy), []).append(r)
        return {key: add_up(rs) for key, rs in groups.items()}

    def rows(self) -> list[dict[str, Any]]:
        """A tidy table: one row per function x model x policy, then the totals."""
        rows = [r.row() for r in self.functions]
        for total in self.totals().values():
            row = total.row()
            row["name"] = "total"
            rows.append(row)
        return rows

    def warnings(self) -> list[str]:
        """One line per function whose reconstructed mean duration misses the published one
        by more than ``MEAN_TOLERANCE`` (2019 traces)."""
        seen: dict[str, str] = {}
        for r in self.functions:
            if r.function not in seen:
                warning = mean_warning(r)
                if warning is not None:
                    seen[r.function] = warning
        return list(seen.values())

    def tradeoff(self) -> list[dict[str, Any]]:
        """Per model and function: how each keep-alive policy trades cold starts for idle
        memory, with the function's idle profile as the hybrid policy learned it.

        Rows hold ``model``, ``function``, ``name``, ``invocations``, ``profile`` (see
        ``IDLE_PROFILES``; empty without a hybrid run), the hybrid run's ``pattern``,
        ``idle_periods``, ``median_idle_s``, ``prewarm_s`` and ``keep_alive_s`` (the
        ``hybrid`` preset's when several policies learn), then per policy
        ``{policy: {cold_starts, cold_share, idle_gb_s, bill_usd}}``.
        """
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.functions:
            row = rows.setdefault(
                (r.model, r.function),
                {
                    "model": r.model,
                    "function": r.function,
                    "name": r.name,
                    "invocations": r.invocations,
                    "profile": "",
                    "pattern": "",
                    "idle_periods": None,
                    "median_idle_s": None,
                    "prewarm_s": None,
                    "keep_alive_s": None,
                    "policies": {},
                },
            )
            row["policies"][r.policy] = {
                "cold_starts": r.cold_starts,
                "cold_share": r.cold_share,
                "idle_gb_s": r.idle_gb_s,
                "bill_usd": r.bill_usd.get("total", 0.0),
            }
            if r.pattern and (r.policy == "hybrid" or not row["pattern"]):  # a hybrid run
                row["profile"] = idle_profile(r)
                row["pattern"] = r.pattern
                row["idle_periods"] = r.idle_periods
                row["median_idle_s"] = r.median_idle_s
                row["prewarm_s"] = r.prewarm_s
                row["keep_alive_s"] = r.keep_alive_s
        return list(rows.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "trace": self.spec.trace,
            "seed": self.spec.seed,
            "cpu_share": self.spec.cpu_share,
            "functions": [r.row() for r in self.functions],
            "totals": [{**t.row(), "name": "total"} for t in self.totals().values()],
            "tradeoff": self.tradeoff(),
            "warnings": self.warnings(),
        }


@dataclass(frozen=True, slots=True)
class Measured:
    """A task's result with what it cost where it ran (for benchmarks)."""

    result: FunctionResult
    cpu_seconds: float
    peak_rss_mb: float
    pid: int


def run_task_measured(task: Task) -> Measured:
    """``run_task`` plus its CPU time and the peak memory of the process it ran in."""
    import os
    import resource
    import time

    start = time.process_time()
    result = run_task(task)
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return Measured(result, cpu, peak, os.getpid())
