"""Running meters (bill so far, cold starts, p50/p99, instances...) at any instant of a run.

One pass over the events feeds the same ``MetricsCollector`` that produces the final report,
and its running values are sampled at evenly spaced instants; percentiles come from the
latencies completed so far. A view asks ``track.at(t)`` and gets the last sample at or before
``t``, so drawing a frame never re-reads the events.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from models.billing import bill
from models.events import ResponseSent
from models.metrics import MetricsCollector
from models.run import ModelResult

SAMPLES = 400


@dataclass(frozen=True, slots=True)
class Meters:
    t: float
    completed: int = 0
    timed_out: int = 0
    rejected: int = 0
    cold_starts: int = 0
    instances_alive: int = 0
    instances_started: int = 0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    concurrency_mean: float = 0.0
    concurrency_max: int = 0
    cpu_efficiency: float = 0.0
    bill: dict[str, float] = field(default_factory=dict)

    @property
    def bill_total(self) -> float:
        return sum(self.bill.values())


class MeterTrack:
    """Meters of one run, sampled ``samples`` times between its start and end."""

    def __init__(self, result: ModelResult, samples: int = SAMPLES) -> None:
        if result.events is None or result.platform is None:
            raise ValueError("meters need a run that kept its events")
        platform = result.platform
        collector = MetricsCollector(result.memory_mb, platform.billed_phases)
        end = max(result.end_time, 1e-9)
        times = [end * (i + 1) / samples for i in range(samples)]
        latencies: list[float] = []
        arrived: dict[int, float] = {}
        raw: list[tuple[float, dict[str, float], dict[str, float], int]] = []
        next_sample = 0

        def snapshot(t: float) -> None:
            usage = collector.usage()
            raw.append(
                (t, collector.running(), bill(usage, platform.prices).components, len(latencies))
            )

        for event in result.events:
            while next_sample < samples and event.t > times[next_sample]:
                snapshot(times[next_sample])
                next_sample += 1
            collector.handle(event)
            if event.kind == "request_arrived":
                arrived[event.request] = event.t  # type: ignore[attr-defined]
            elif isinstance(event, ResponseSent) and event.request in arrived:
                latencies.append(event.t - arrived.pop(event.request))
        while next_sample < samples:
            snapshot(times[next_sample])
            next_sample += 1
        values = np.asarray(latencies, dtype=float) * 1000
        self._times = [t for t, *_ in raw]
        self._meters = [
            Meters(
                t=t,
                completed=int(running["completed"]),
                timed_out=int(running["timed_out"]),
                rejected=int(running["rejected"]),
                cold_starts=int(running["cold_starts"]),
                instances_alive=int(running["instances_alive"]),
                instances_started=int(running["instances_started"]),
                latency_p50_ms=float(np.percentile(values[:n], 50)) if n else 0.0,
                latency_p99_ms=float(np.percentile(values[:n], 99)) if n else 0.0,
                concurrency_mean=running["concurrency_mean"],
                concurrency_max=int(running["concurrency_max"]),
                cpu_efficiency=running["cpu_efficiency"],
                bill=components,
            )
            for t, running, components, n in raw
        ]

    def at(self, t: float) -> Meters:
        """The meters as they stood at ``t`` (the last sample not after it)."""
        i = bisect.bisect_right(self._times, t + 1e-12) - 1
        return self._meters[i] if i >= 0 else Meters(t=0.0)

    @property
    def samples(self) -> list[Meters]:
        return list(self._meters)
