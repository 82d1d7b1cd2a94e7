"""The numbers one replayed function yields under one platform model and keep-alive policy.

Both engines (simpy and the fast replay) fill the same record, so tests can compare them field
by field, and totals over functions are plain sums.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from models.billing import bill
from models.metrics import MetricsCollector, Usage
from models.prices import PriceList

COUNTS = (
    "invocations",
    "completed",
    "timed_out",
    "cold_starts",
    "instances_started",
    "prewarmed",
)
SECONDS = ("wall_clock_s", "request_cpu_s", "init_cpu_s", "provisioned_s", "idle_s", "latency_s")


@dataclass(slots=True)
class FunctionResult:
    """One function x platform model x keep-alive policy."""

    function: str
    model: str
    policy: str
    memory_mb: int
    cpu_share: float
    engine: str = "simpy"
    app: str = ""
    """The function's application (2019 ``HashApp``, 2021 ``app``): the paper's unit."""
    invocations: int = 0
    completed: int = 0
    timed_out: int = 0
    cold_starts: int = 0
    instances_started: int = 0
    prewarmed: int = 0
    instances_max: int = 0
    wall_clock_s: float = 0.0
    request_cpu_s: float = 0.0
    init_cpu_s: float = 0.0
    provisioned_s: float = 0.0
    idle_s: float = 0.0
    """Instance-seconds idle within keep-alive: the memory held for nothing."""
    latency_s: float = 0.0
    """Sum of the latencies of completed invocations."""
    pattern: str = ""
    """Hybrid policy: what it made of the idle times at the end (``models.policies.Pattern``)."""
    idle_periods: int = 0
    """Hybrid policy: idle times it observed (the function had no request in flight)."""
    median_idle_s: float | None = None
    """Hybrid policy: median idle time (upper edge of its one-bin histogram bin)."""
    prewarm_s: float = 0.0
    """Pre-warm window at the end of the run (0 but for the hybrid policy)."""
    keep_alive_s: float = 0.0
    """Keep-alive at the end of the run (the fixed timeout, or the hybrid's window)."""
    published_mean_ms: float | None = None
    """2019 traces: the published average duration."""
    reconstructed_mean_ms: float | None = None
    """2019 traces: the mean of the duration distribution the replay draws from."""
    bill_usd: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.function[:8]

    @property
    def cold_share(self) -> float:
        return self.cold_starts / self.invocations if self.invocations else 0.0

    @property
    def idle_gb_s(self) -> float:
        return self.idle_s * self.memory_mb / 1024.0

    @property
    def mean_mismatch(self) -> float | None:
        """Relative gap between reconstructed and published mean duration (2019 traces)."""
        if not self.published_mean_ms or self.reconstructed_mean_ms is None:
            return None
        return self.reconstructed_mean_ms / self.published_mean_ms - 1.0

    def learned(self, summary: dict[str, Any]) -> None:
        """Record what a hybrid policy learned (``HistogramRuntime.summary``)."""
        self.pattern = summary["pattern"]
        self.idle_periods = summary["idle_periods"]
        self.median_idle_s = summary["median_idle_s"]
        self.prewarm_s = summary["prewarm_s"]
        self.keep_alive_s = summary["keep_alive_s"]

    def usage(self) -> Usage:
        return Usage(
            memory_gb=self.memory_mb / 1024.0,
            invocations=self.completed + self.timed_out,
            wall_clock_s=self.wall_clock_s,
            active_cpu_s=self.request_cpu_s + self.init_cpu_s,
            request_cpu_s=self.request_cpu_s,
            init_cpu_s=self.init_cpu_s,
            provisioned_s=self.provisioned_s,
            idle_s=self.idle_s,
        )

    def priced(self, prices: PriceList) -> FunctionResult:
        self.bill_usd = bill(self.usage(), prices).as_dict()
        return self

    def row(self) -> dict[str, Any]:
        """A flat record for tables (one row of the tidy result)."""
        out = asdict(self)
        billed = out.pop("bill_usd")
        out["name"] = self.name
        out["cold_share"] = self.cold_share
        out["idle_gb_s"] = self.idle_gb_s
        out["bill_usd"] = billed.get("total", 0.0)
        for key, value in billed.items():
            if key != "total":
                out[f"bill_{key}_usd"] = value
        return out

    def totals(self) -> tuple[Any, ...]:
        """Everything but labels, for exact comparisons between engines."""
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "engine")


MEAN_TOLERANCE = 0.05
"""Warn when a reconstructed mean duration is this far (relative) from the published one."""
MEAN_ROUNDING_MS = 0.5
"""The published 2019 averages are whole milliseconds: gaps within rounding do not count."""

IDLE_PROFILES = {
    "regular": "regular idle times; the hybrid policy pre-warms just before the next call",
    "busy": "median idle time under a minute; hybrid keeps instances for the tail (~1 min)",
    "short": "idle times of minutes, no pre-warm; hybrid keeps instances for the tail",
    "irregular": "idle times spread out, no pattern; hybrid keeps the function for the range",
    "learning": "too few idle periods to learn from; hybrid keeps the function for the range",
    "long": "idle times beyond the histogram range; hybrid pre-warms on a forecast",
    "no calls": "no invocations in the replayed window",
}
"""What ``idle_profile`` means, for reports."""


def idle_profile(result: FunctionResult) -> str:
    """A short label for a function's idle times, from what its hybrid run learned."""
    if result.invocations == 0:
        return "no calls"
    if result.pattern == "histogram":
        if result.prewarm_s > 0:
            return "regular"
        if result.median_idle_s is not None and result.median_idle_s <= 60.0:
            return "busy"
        return "short"
    return {"uncertain": "irregular", "learning": "learning", "out_of_bounds": "long"}.get(
        result.pattern, ""
    )


def mean_warning(result: FunctionResult) -> str | None:
    """A warning when the 2019 reconstruction cannot reach the published mean duration."""
    gap = result.mean_mismatch
    if gap is None or result.reconstructed_mean_ms is None or result.published_mean_ms is None:
        return None
    if abs(gap) <= MEAN_TOLERANCE:
        return None
    if abs(result.reconstructed_mean_ms - result.published_mean_ms) <= MEAN_ROUNDING_MS:
        return None
    return (
        f"{result.name}: reconstructed mean duration {result.reconstructed_mean_ms:.1f} ms vs "
        f"published average {result.published_mean_ms:g} ms ({100 * gap:+.0f} %): the "
        "published percentiles cannot reach that mean, so wall-clock bills of this function "
        "are off by about as much"
    )


def from_collector(
    collector: MetricsCollector, base: FunctionResult, prices: PriceList
) -> FunctionResult:
    """Fill ``base`` from the metrics the simpy run measured from its events."""
    base.invocations = collector.arrived
    base.completed = collector.completed
    base.timed_out = collector.timed_out
    base.cold_starts = collector.assigned.get("cold", 0)
    base.instances_started = collector.instances_started
    base.prewarmed = collector.prewarmed
    base.instances_max = collector.alive_max
    base.wall_clock_s = collector.wall_clock_s
    base.request_cpu_s = collector.request_cpu_s
    base.init_cpu_s = collector.init_cpu_s
    base.provisioned_s = collector.provisioned_s
    base.idle_s = collector.idle_s
    base.latency_s = collector.latency.total
    return base.priced(prices)


def add_up(results: list[FunctionResult], function: str = "total") -> FunctionResult:
    """The sum of several results of the same model and policy (``instances_max`` summed)."""
    first = results[0]
    total = FunctionResult(
        function, first.model, first.policy, 0, first.cpu_share, engine=first.engine
    )
    for r in results:
        for name in (*COUNTS, *SECONDS, "instances_max", "idle_periods"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.memory_mb = max(total.memory_mb, r.memory_mb)
        for key, value in r.bill_usd.items():
            total.bill_usd[key] = total.bill_usd.get(key, 0.0) + value
        if r.engine != total.engine:
            total.engine = "mixed"
    # idle GB-s must sum per function (memory differs): keep it exact in idle_s * memory
    total.idle_s = sum(r.idle_gb_s for r in results) * 1024.0 / total.memory_mb
    return total
