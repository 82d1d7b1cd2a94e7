"""The keep-alive measures of "Serverless in the Wild" (Shahrad et al., USENIX ATC 2020, §4-5).

The paper judges a keep-alive policy per **application** (the 2019 trace's ``HashApp``; the
2021 trace's ``app``): the unit the platform loads into memory, whatever function of it runs.
Its simulator, redone here so the lab's figures can be set beside the paper's:

* An app is *executing* while at least one of its invocations runs; the union of those
  intervals is a list of busy periods. The gap from the end of one busy period to the start of
  the next is an **idle time** (what the hybrid policy learns).
* After a busy period ends, the policy answers ``(pre-warm, keep-alive)``: the app is unloaded
  for the pre-warm window (not at all when it is 0), then held in memory for the keep-alive
  window. The next busy period starts **cold** if its first invocation arrives while the app
  is not in memory; every other invocation is warm (the app is loaded and running).
* **Wasted memory time**: time the app is in memory without executing (loaded and idle).
* **App cold-start percentage**: an app's cold starts / its invocations x 100. The paper plots
  its distribution over apps and the trade-off as the 75th-percentile app's cold-start
  percentage against the total wasted memory time **normalised** to the fixed 10-minute policy.

Per app there is one image, not one instance per concurrent request: this is the paper's model,
not the lab's traditional platform (``models.replay.run`` replays instances). Only invocations
starting inside the measured window count; earlier ones (``warm_up``) only teach the policy and
set the app's state at the window's start. The policies are the lab's own (``models.policies``):
fixed keep-alives in closed form over the idle times, the hybrid policy's ``HistogramRuntime``
asked at each idle time, as the simulator asks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.policies import FixedPolicy, HistogramRuntime, HybridPolicy
from models.replay.result import FunctionResult
from models.replay.spec import ReplaySpec
from models.traces import FunctionTrace, Window, detect_format, invocations, read_trace

FIXED_MINUTES = (5, 10, 15, 20, 30, 45, 60, 90, 120)
"""Fixed keep-alives swept by ``pareto`` (minutes), as in the paper's figure."""
HYBRID_HOURS = (1, 2, 3, 4)
"""Hybrid histogram ranges swept by ``pareto`` (hours); the paper's default is 4 h."""
BASELINE = "fixed-10min"
"""The policy wasted memory is normalised to."""
PERCENTILES = (50.0, 75.0, 90.0)
PAPER_HYBRID = HybridPolicy(kind="hybrid", min_samples=1)
"""The hybrid policy as the paper states it: the CV alone decides whether the histogram is
representative (``min_samples = 1``). The lab's preset waits for 10 idle times, holding the app
for the whole range meanwhile: in one day, an hourly app spends 10 of its 23 idle times so."""

PaperPolicy = FixedPolicy | HybridPolicy


@dataclass(slots=True)
class BusyPeriods:
    """An app's (or function's) busy periods, in time order, with invocations per period."""

    starts: np.ndarray
    ends: np.ndarray
    counts: np.ndarray
    """Invocations in each period inside the measured window."""
    first_in: np.ndarray
    """Whether each period's first invocation is inside the measured window."""

    @classmethod
    def empty(cls) -> BusyPeriods:
        f = np.empty(0, dtype=np.float64)
        return cls(f, f.copy(), np.empty(0, dtype=np.int64), np.empty(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.starts)


def busy_periods(
    blocks: Iterable[tuple[np.ndarray, np.ndarray]], window: Window | None = None
) -> BusyPeriods:
    """The union of ``[start, start + duration]`` over blocks of invocations in time order.

    Blocks are merged as they come (an open period carries over), so a day of a busy function
    costs its periods, not its invocations.
    """
    window = window or Window()
    lo = -np.inf if window.start is None else window.start
    hi = np.inf if window.end is None else window.end
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    first_in: list[np.ndarray] = []
    open_period: list[Any] | None = None  # [start, end, count, first_in]
    carry = -np.inf
    for times, durations in blocks:
        if not len(times):
            continue
        reach = np.maximum.accumulate(np.maximum(times + durations, carry))
        before = np.empty_like(reach)
        before[0] = carry
        before[1:] = reach[:-1]
        new = np.flatnonzero(times > before)
        inside = ((times >= lo) & (times < hi)).astype(np.int64)
        head = int(new[0]) if len(new) else len(times)
        if head and open_period is not None:  # the block starts inside the open period
            open_period[1] = float(reach[head - 1])
            open_period[2] += int(inside[:head].sum())
        if len(new):
            if open_period is not None:
                starts.append(np.array([open_period[0]]))
                ends.append(np.array([open_period[1]]))
                counts.append(np.array([open_period[2]], dtype=np.int64))
                first_in.append(np.array([open_period[3]]))
            last = np.r_[new[1:] - 1, len(times) - 1]
            per = np.add.reduceat(inside, new)
            block_starts = times[new]
            starts.append(block_starts[:-1])
            ends.append(reach[last][:-1])
            counts.append(per[:-1])
            first_in.append((block_starts[:-1] >= lo) & (block_starts[:-1] < hi))
            s = float(block_starts[-1])
            open_period = [s, float(reach[-1]), int(per[-1]), lo <= s < hi]
        carry = float(reach[-1])
    if open_period is not None:
        starts.append(np.array([open_period[0]]))
        ends.append(np.array([open_period[1]]))
        counts.append(np.array([open_period[2]], dtype=np.int64))
        first_in.append(np.array([open_period[3]]))
    if not starts:
        return BusyPeriods.empty()
    return BusyPeriods(
        np.concatenate(starts),
        np.concatenate(ends),
        np.concatenate(counts),
        np.concatenate(first_in).astype(bool),
    )


def merge_periods(parts: list[BusyPeriods]) -> BusyPeriods:
    """The busy periods of an app from those of its functions (a union of unions)."""
    parts = [p for p in parts if len(p)]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return BusyPeriods.empty()
    starts = np.concatenate([p.starts for p in parts])
    order = np.argsort(starts, kind="stable")
    starts = starts[order]
    ends = np.concatenate([p.ends for p in parts])[order]
    counts = np.concatenate([p.counts for p in parts])[order]
    first_in = np.concatenate([p.first_in for p in parts])[order]
    reach = np.maximum.accumulate(ends)
    new = np.r_[0, np.flatnonzero(starts[1:] > reach[:-1]) + 1]
    last = np.r_[new[1:] - 1, len(starts) - 1]
    return BusyPeriods(starts[new], reach[last], np.add.reduceat(counts, new), first_in[new])


@dataclass(slots=True)
class AppOutcome:
    """One app under one policy: the paper's two numbers and what they come from."""

    app: str
    policy: str
    invocations: int
    cold_starts: int
    wasted_s: float
    memory_mb: float | None = None
    learned: dict[str, Any] | None = None
    """Hybrid: what the policy made of the app's idle times (``HistogramRuntime.summary``)."""

    @property
    def cold_pct(self) -> float:
        return 100.0 * self.cold_starts / self.invocations if self.invocations else 0.0


def simulate_app(
    periods: BusyPeriods,
    policy: PaperPolicy,
    start: float,
    end: float,
    app: str = "",
    name: str = "",
) -> AppOutcome:
    """Cold starts and wasted memory time of one app under one policy (module docstring).

    Measured inside ``[start, end)``; periods before ``start`` set the app's state and teach the
    policy. The app is not in memory before its first invocation.
    """
    s, e = periods.starts, periods.ends
    invocations_in = int(periods.counts.sum())
    if not len(s):
        return AppOutcome(app, name, 0, 0, 0.0)
    learned = None
    if isinstance(policy, FixedPolicy):
        held_from = e
        held_to = e + policy.keep_alive
    else:
        held_from, held_to, learned = _hybrid_windows(s, e, policy)
    # the first period is always cold; a later one is warm if it starts while the app is held
    warm = np.zeros(len(s), dtype=bool)
    warm[1:] = (s[1:] >= held_from[:-1]) & (s[1:] <= held_to[:-1])
    cold = int(np.count_nonzero(~warm & periods.first_in & (periods.counts > 0)))
    # held while idle: from the end of the window before each start (or the trace's end)
    until = np.r_[s[1:], np.inf]
    lo = np.maximum(held_from, start)
    hi = np.minimum(np.minimum(held_to, until), end)
    wasted = float(np.clip(hi - lo, 0.0, None).sum())
    return AppOutcome(app, name, invocations_in, cold, wasted, learned=learned)


def _hybrid_windows(
    s: np.ndarray, e: np.ndarray, policy: HybridPolicy
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """When the hybrid policy holds the app after each busy period (``[from, to]`` arrays),
    and what it learned."""
    runtime = HistogramRuntime(policy)
    prewarm, keep = runtime.idle_windows(s.tolist(), e.tolist())
    held_from = e + np.asarray(prewarm)
    return held_from, held_from + np.asarray(keep), runtime.summary()


def idle_profile(learned: dict[str, Any]) -> str:
    """The lab's name for what hybrid learned of an app (``models.replay.result.IDLE_PROFILES``)."""
    pattern = learned.get("pattern", "")
    if pattern == "histogram":
        if learned.get("prewarm_s", 0.0) > 0:
            return "regular"
        median = learned.get("median_idle_s")
        return "busy" if median is not None and median <= 60.0 else "short"
    names = {"uncertain": "irregular", "learning": "learning", "out_of_bounds": "long"}
    return names.get(pattern, "")


# --- a whole trace ----------------------------------------------------------------------


@dataclass(slots=True)
class App:
    """An app of a trace: its busy periods (over all its functions) and its memory."""

    app: str
    periods: BusyPeriods
    functions: int
    memory_mb: float | None


def apps_of(
    spec: ReplaySpec,
    warm_up: bool = True,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[App], float, float]:
    """Every app of the spec's trace, and the measured window ``(start, end)`` in seconds.

    With ``warm_up`` the trace is read from its beginning so the policy learns from what comes
    before ``spec.start`` (earlier day files, earlier minutes); without it, from ``spec.start``.
    """
    fmt = spec.format or detect_format(spec.trace)
    wanted = set(spec.functions) if spec.functions else None
    read = Window(None if warm_up else spec.start, spec.horizon)
    measured = Window(spec.start, spec.horizon)
    by_app: dict[str, list[BusyPeriods]] = {}
    memory: dict[str, float] = {}
    functions: dict[str, int] = {}
    first, last = np.inf, -np.inf
    for i, fn in enumerate(read_trace(spec.trace, fmt, wanted, read)):
        periods = busy_periods(invocations(fn, spec.seed, spec.within_minute), measured)
        by_app.setdefault(fn.app, []).append(periods)
        functions[fn.app] = functions.get(fn.app, 0) + 1
        if fn.memory_mb is not None:  # the public dataset gives memory per app
            memory[fn.app] = max(memory.get(fn.app, 0.0), fn.memory_mb)
        lo, hi = _span(fn)
        first, last = min(first, lo), max(last, hi)
        if progress is not None:
            progress(i + 1)
    start = spec.start if spec.start is not None else (first if np.isfinite(first) else 0.0)
    end = spec.horizon if spec.horizon is not None else (last if np.isfinite(last) else start)
    apps = [
        App(app, merge_periods(parts), functions[app], memory.get(app))
        for app, parts in by_app.items()
    ]
    return apps, float(start), float(end)


def _span(fn: FunctionTrace) -> tuple[float, float]:
    """The seconds a function's data covers (2019: its minutes; 2021: its invocations)."""
    if fn.counts is not None:
        return 60.0 * fn.start_minute, 60.0 * (fn.start_minute + len(fn.counts))
    if len(fn.starts):
        ends = [a + b for a, b in zip(fn.starts, fn.durations, strict=True)]
        return fn.starts[0], max(ends)
    return np.inf, -np.inf


@dataclass(slots=True)
class PolicyPoint:
    """One policy over all apps: the distribution of app cold-start percentages and the total
    wasted memory time (normalised to ``BASELINE`` by ``measure``)."""

    policy: str
    kind: str
    parameter_s: float
    """Fixed: the keep-alive; hybrid: the histogram range."""
    apps: list[AppOutcome] = field(default_factory=list)
    normalised_memory: float = float("nan")

    @property
    def invocations(self) -> int:
        return sum(a.invocations for a in self.apps)

    @property
    def cold_starts(self) -> int:
        return sum(a.cold_starts for a in self.apps)

    @property
    def wasted_s(self) -> float:
        return sum(a.wasted_s for a in self.apps)

    @property
    def wasted_gb_s(self) -> float:
        return sum(a.wasted_s * (a.memory_mb or 0.0) / 1024.0 for a in self.apps)

    def cold_pct(self, percentile: float) -> float:
        """The ``percentile``-th app's cold-start percentage (apps with invocations)."""
        values = [a.cold_pct for a in self.apps if a.invocations]
        return float(np.percentile(values, percentile)) if values else 0.0

    def row(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "kind": self.kind,
            "parameter_s": self.parameter_s,
            "apps": sum(1 for a in self.apps if a.invocations),
            "invocations": self.invocations,
            "cold_starts": self.cold_starts,
            **{f"cold_pct_p{p:g}": self.cold_pct(p) for p in PERCENTILES},
            "wasted_s": self.wasted_s,
            "wasted_gb_s": self.wasted_gb_s,
            "normalised_memory": self.normalised_memory,
        }


def sweep_policies(
    fixed_minutes: Iterable[float] = FIXED_MINUTES,
    hybrid_hours: Iterable[float] = HYBRID_HOURS,
    hybrid: HybridPolicy | None = None,
) -> dict[str, PaperPolicy]:
    """The policies of the trade-off curve, by name (``BASELINE`` always among them)."""
    base = hybrid or PAPER_HYBRID
    policies: dict[str, PaperPolicy] = {}
    for minutes in sorted({*fixed_minutes, 10}):
        policies[f"fixed-{minutes:g}min"] = FixedPolicy(kind="fixed", keep_alive=60.0 * minutes)
    for hours in hybrid_hours:
        policies[f"hybrid-{hours:g}h"] = base.model_copy(update={"range": 3600.0 * hours})
    return policies


def measure(
    apps: list[App],
    start: float,
    end: float,
    policies: dict[str, PaperPolicy],
    progress: Callable[[int], None] | None = None,
) -> list[PolicyPoint]:
    """Every policy over every app; wasted memory normalised to ``BASELINE`` (if swept).

    ``progress`` is called with the number of policies done."""
    points = []
    for done, (name, policy) in enumerate(policies.items(), 1):
        kind = policy.kind
        parameter = policy.keep_alive if isinstance(policy, FixedPolicy) else policy.range
        point = PolicyPoint(name, kind, parameter)
        for app in apps:
            outcome = simulate_app(app.periods, policy, start, end, app.app, name)
            outcome.memory_mb = app.memory_mb
            point.apps.append(outcome)
        points.append(point)
        if progress is not None:
            progress(done)
    baseline = next((p.wasted_s for p in points if p.policy == BASELINE), None)
    for point in points:
        if baseline:
            point.normalised_memory = point.wasted_s / baseline
    return points


def pareto(
    spec: ReplaySpec, policies: dict[str, PaperPolicy] | None = None, warm_up: bool = True
) -> list[PolicyPoint]:
    """The paper's trade-off curve on a trace: one point per policy (``sweep_policies``)."""
    apps, start, end = apps_of(spec, warm_up)
    return measure(apps, start, end, policies or sweep_policies())


def frontier_check(points: list[PolicyPoint], percentile: float = 75.0) -> dict[str, Any]:
    """Per hybrid point: the fixed points it dominates and those dominating it.

    A point dominates another when its ``percentile``-th app cold-start percentage and its
    normalised wasted memory are both no higher, and one of them lower (the paper's claim:
    hybrid dominates the fixed 10-minute keep-alive).
    """
    fixed = [p for p in points if p.kind == "fixed"]
    out: dict[str, Any] = {}
    for h in (p for p in points if p.kind == "hybrid"):
        cold, mem = h.cold_pct(percentile), h.normalised_memory
        beaten_by = [
            f.policy
            for f in fixed
            if f.cold_pct(percentile) <= cold
            and f.normalised_memory <= mem
            and (f.cold_pct(percentile) < cold or f.normalised_memory < mem)
        ]
        beats = [
            f.policy
            for f in fixed
            if cold <= f.cold_pct(percentile)
            and mem <= f.normalised_memory
            and (cold < f.cold_pct(percentile) or mem < f.normalised_memory)
        ]
        out[h.policy] = {"dominated_by": beaten_by, "dominates": beats}
    return out


def iter_rows(points: list[PolicyPoint]) -> Iterator[dict[str, Any]]:
    """Per app and policy: the outcome (for ``--out``)."""
    for point in points:
        for a in point.apps:
            yield {
                "policy": point.policy,
                "app": a.app,
                "invocations": a.invocations,
                "cold_starts": a.cold_starts,
                "cold_pct": a.cold_pct,
                "wasted_s": a.wasted_s,
                "memory_mb": a.memory_mb,
            }


def app_distribution(results: Iterable[FunctionResult]) -> dict[tuple[str, str], dict[str, float]]:
    """Per (model, policy) of an instance replay: the apps' cold-start percentages (an app's
    cold starts over its functions' invocations) at ``PERCENTILES``, and how many apps."""
    per_app: dict[tuple[str, str], dict[str, list[int]]] = {}
    for r in results:
        group = per_app.setdefault((r.model, r.policy), {})
        counts = group.setdefault(r.app or r.function, [0, 0])
        counts[0] += r.cold_starts
        counts[1] += r.invocations
    out: dict[tuple[str, str], dict[str, float]] = {}
    for key, apps in per_app.items():
        values = [100.0 * cold / calls for cold, calls in apps.values() if calls]
        row = {f"p{p:g}": float(np.percentile(values, p)) if values else 0.0 for p in PERCENTILES}
        row["apps"] = float(len(values))
        out[key] = row
    return out
