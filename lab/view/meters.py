"""Running meters (bill so far, cold starts, p50/p99, instances...) at any instant of a run.

One pass over the events feeds the same ``MetricsCollector`` that produces the final report.
A view asks ``track.at(t)``; drawing a frame never re-reads the events, and nothing stands
still while the run moves, however long the run:

* counts (requests done, timed out, failed, rejected; cold starts; instances started and up)
  are exact at any instant: the track keeps the time of every event that moves one;
* latency p50/p99 are exact too: the running percentiles of the latencies completed so far
  are kept for every number of completed requests (two heaps per percentile);
* the bill and what drives it (requests per instance, CPU efficiency) come from rows of the
  collector's running values, taken as the clock passes an event time: after every event in
  runs of up to ``ROWS`` events, every few events beyond (``classic``: about every request).
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, field, fields
from operator import attrgetter, itemgetter

import numpy as np

from models.billing import bill
from models.events import (
    InstanceRecycled,
    InstanceStarting,
    RequestArrived,
    RequestAssigned,
    RequestFailed,
    RequestRejected,
    RequestTimedOut,
    ResponseSent,
)
from models.metrics import MetricsCollector, Usage
from models.run import ModelResult

SAMPLES = 400
"""How many evenly spaced instants ``MeterTrack.samples`` lists."""
ROWS = 50_000
"""At most about this many rows of bill and running values per run."""

_USAGE = tuple(f.name for f in fields(Usage))
_RUNNING = ("concurrency_mean", "concurrency_max", "cpu_efficiency")
_usage_values = attrgetter(*_USAGE)
_running_values = itemgetter(*_RUNNING)
_ENDS = (RequestTimedOut, RequestFailed, RequestRejected, InstanceStarting, InstanceRecycled)


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
    """0 until a request has completed (see ``has_latency``)."""
    latency_p99_ms: float = 0.0
    concurrency_mean: float = 0.0
    concurrency_max: int = 0
    cpu_efficiency: float = 0.0
    bill: dict[str, float] = field(default_factory=dict)
    failed: int = 0

    @property
    def bill_total(self) -> float:
        return sum(self.bill.values())

    @property
    def has_latency(self) -> bool:
        """Whether any request has completed, so p50/p99 mean something."""
        return self.completed > 0


def running_quantile(values: list[float], q: float) -> np.ndarray:
    """``out[n - 1]`` is ``np.percentile(values[:n], 100 * q)`` (linear), for every ``n``.

    The ``lo + 1`` smallest values so far sit in a max-heap, the rest in a min-heap, where
    ``lo = floor((n - 1) * q)`` only grows: O(log n) per value instead of a sort per prefix.
    """
    lower: list[float] = []  # negated: a max-heap
    upper: list[float] = []
    out = np.empty(len(values))
    push, pop, pushpop = heapq.heappush, heapq.heappop, heapq.heappushpop
    size = 0
    for i, v in enumerate(values):
        if size and v < -lower[0]:
            push(upper, -pushpop(lower, -v))
        else:
            push(upper, v)
        h = i * q
        lo = int(h)
        if size <= lo:
            push(lower, -pop(upper))
            size += 1
        a = -lower[0]
        frac = h - lo
        out[i] = a + (upper[0] - a) * frac if frac else a
    return out


class MeterTrack:
    """The meters of one run at any instant (``samples``: how many ``.samples`` lists)."""

    def __init__(self, result: ModelResult, samples: int = SAMPLES, rows: int = ROWS) -> None:
        if result.events is None or result.platform is None:
            raise ValueError("meters need a run that kept its events")
        events = result.events
        self._prices = result.platform.prices
        self._samples = samples
        self._end = max(result.end_time, 1e-9)
        collector = MetricsCollector(
            result.memory_mb, result.platform.billed_phases, result.platform.billing
        )
        stride = max(1, math.ceil(len(events) / max(rows, 1)))
        table: list[tuple[float, ...]] = []

        def row(t: float) -> None:
            usage = _usage_values(collector.usage())
            table.append((t, *usage, *_running_values(collector.running())))

        ends: dict[type, list[float]] = {kind: [] for kind in _ENDS}
        cold: list[float] = []
        done: list[float] = []
        latencies: list[float] = []
        pending: dict[int, float] = {}
        row(-math.inf)
        last, since = -math.inf, 0
        for event in events:
            t = event.t
            if since >= stride and t > last:
                row(last)
                since = 0
            collector.handle(event)
            since += 1
            last = t
            kind = event.__class__
            if kind is RequestArrived:
                pending[event.request] = t  # type: ignore[attr-defined]
            elif kind is RequestAssigned:
                pending.setdefault(event.request, t)  # type: ignore[attr-defined]
                if event.start == "cold":  # type: ignore[attr-defined]
                    cold.append(t)
            elif kind is ResponseSent:
                arrived = pending.pop(event.request, None)  # type: ignore[attr-defined]
                if arrived is not None:
                    done.append(t)
                    latencies.append(t - arrived)
            else:
                times = ends.get(kind)
                if times is not None:
                    times.append(t)
                    if kind is not InstanceStarting and kind is not InstanceRecycled:
                        pending.pop(event.request, None)  # type: ignore[attr-defined]
        if since:
            row(last)
        self._rows = np.asarray(table, dtype=float)
        self._row_t = self._rows[:, 0].tolist()
        self._ends = ends
        self._cold = cold
        self._done = done
        self._p50 = running_quantile(latencies, 0.5) * 1000
        self._p99 = running_quantile(latencies, 0.99) * 1000

    def at(self, t: float) -> Meters:
        """The meters as they stood at ``t``, every event at ``t`` included."""
        values = self._rows[bisect.bisect_right(self._row_t, t) - 1].tolist()
        measured = dict(zip(_USAGE, values[1 : 1 + len(_USAGE)], strict=True))
        usage = Usage(**{**measured, "invocations": int(measured["invocations"])})
        running = dict(zip(_RUNNING, values[1 + len(_USAGE) :], strict=True))
        ends = {kind: bisect.bisect_right(times, t) for kind, times in self._ends.items()}
        done = bisect.bisect_right(self._done, t)
        started = ends[InstanceStarting]
        return Meters(
            t=t,
            completed=done,
            timed_out=ends[RequestTimedOut],
            rejected=ends[RequestRejected],
            failed=ends[RequestFailed],
            cold_starts=bisect.bisect_right(self._cold, t),
            instances_alive=started - ends[InstanceRecycled],
            instances_started=started,
            latency_p50_ms=float(self._p50[done - 1]) if done else 0.0,
            latency_p99_ms=float(self._p99[done - 1]) if done else 0.0,
            concurrency_mean=running["concurrency_mean"],
            concurrency_max=int(running["concurrency_max"]),
            cpu_efficiency=running["cpu_efficiency"],
            bill=bill(usage, self._prices).components,
        )

    @property
    def samples(self) -> list[Meters]:
        """The meters at ``samples`` evenly spaced instants, the last at the run's end."""
        n = self._samples
        return [self.at(self._end * (i + 1) / n) for i in range(n)]
