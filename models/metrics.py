"""Metrics and billable usage, computed from the event stream alone.

``MetricsCollector.handle`` consumes events one at a time (from the simulator as it runs, from
the live runtime, or from a JSON Lines file) and keeps only running totals plus state for what
is in flight, so its memory does not grow with the number of requests. Because nothing here
knows which source produced the events, a live run and a simulated run are measured, and
billed, by the same code.

Billed time: a request is billed from its assignment (or, if its instance was still starting,
from the first cold-start phase the platform bills, ``PlatformModel.billed_phases``) until its
last work ends, waitUntil work included. Provisioned memory (Fluid) is billed while at least one
request is in flight on an instance, clipped the same way.

``cpu_efficiency`` is defined the same way for every model: active CPU (request segments plus
billed cold-start phases) over the time the model bills. Wall-clock billing (traditional) bills
the summed request durations; active-CPU billing (Fluid) bills instance active time, the
instance-seconds with at least one request in flight (``provisioned_s``). So it reads "what
share of the billed time was spent on a core" on both, and overlapping requests on one Fluid
instance raise it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.events import (
    BackgroundDone,
    Event,
    FirstByte,
    InstanceIdle,
    InstanceReady,
    InstanceRecycled,
    InstanceStarting,
    PhaseEnded,
    PhaseStarted,
    RequestArrived,
    RequestAssigned,
    RequestFailed,
    RequestQueued,
    RequestRejected,
    RequestTimedOut,
    ResponseSent,
    SegmentEnded,
    SegmentStarted,
)
from models.prices import BillingKind
from models.quantiles import QuantileSketch


@dataclass(slots=True)
class Usage:
    """What a platform measures to bill: the inputs of ``models.billing``."""

    memory_gb: float
    invocations: int
    wall_clock_s: float
    """Sum of billed request durations (wall-clock billing)."""
    active_cpu_s: float
    """Core-seconds of request segments plus billed cold-start phases."""
    request_cpu_s: float
    init_cpu_s: float
    provisioned_s: float
    """Instance-seconds with at least one request in flight (Fluid's provisioned memory)."""
    idle_s: float
    """Instance-seconds spent idle within keep-alive: memory a platform holds for nothing."""


def cpu_efficiency(active_cpu_s: float, billed_time_s: float) -> float:
    """Active CPU over the time the model bills (0 before anything is billed)."""
    return active_cpu_s / billed_time_s if billed_time_s > 0 else 0.0


class _Req:
    __slots__ = ("arrived", "assigned", "instance", "ttfb", "waiting_background")

    def __init__(self, arrived: float) -> None:
        self.arrived = arrived
        self.assigned = -1.0
        self.instance = -1
        self.ttfb = -1.0
        self.waiting_background = False


class _Inst:
    __slots__ = ("billed_from", "busy_since", "idle_since", "inflight")

    def __init__(self) -> None:
        self.inflight = 0
        self.busy_since = 0.0
        self.billed_from = -1.0
        self.idle_since = -1.0


class MetricsCollector:
    """Consumes events; ``report()`` gives the numbers of ``lab sim --json`` for one model."""

    def __init__(
        self,
        memory_mb: int,
        billed_phases: tuple[str, ...] = ("code_load", "module_init"),
        billing: BillingKind = "wall_clock",
    ) -> None:
        self.memory_gb = memory_mb / 1024.0
        self.billing = billing
        """What the model bills time by: ``cpu_efficiency``'s denominator (module docstring)."""
        self.billed_phases = frozenset(billed_phases)
        self._reqs: dict[int, _Req] = {}
        self._insts: dict[int, _Inst] = {}
        self.arrived = self.completed = self.failed = self.timed_out = self.rejected = 0
        self.queued = 0
        self.assigned = {"warm": 0, "cold": 0, "joined": 0}
        self.latency = QuantileSketch()
        self._ttfb: QuantileSketch | None = None
        """Time-to-first-byte values, kept apart only once one differs from its latency (until
        then they are the latency values: no second sketch to fill for every request)."""
        self.instances_started = 0
        self.prewarmed = 0
        self.alive = 0
        self.alive_max = 0
        self._alive_integral = 0.0
        self._alive_changed = 0.0
        self._alive_integral_at_end = 0.0
        self.last_end = 0.0
        self._inflight_total = 0
        self._busy_instances = 0
        self._inflight_integral = 0.0
        self._busy_integral = 0.0
        self._flight_changed = 0.0
        self.concurrency_max = 0
        self.wall_clock_s = 0.0
        self.request_cpu_s = 0.0
        self.init_cpu_s = 0.0
        self.provisioned_s = 0.0
        self.idle_s = 0.0
        self.cache_hits = self.cache_misses = 0
        self.end_time = 0.0
        self._dispatch: dict[type[Event], Callable[[Any], None] | None] = {
            RequestArrived: self._arrived,
            RequestQueued: self._queued,
            RequestRejected: self._rejected,
            RequestAssigned: self._assigned,
            InstanceStarting: self._starting,
            PhaseStarted: self._phase_started,
            PhaseEnded: self._phase_ended,
            InstanceReady: self._ready,
            SegmentStarted: None,
            SegmentEnded: self._segment_ended,
            FirstByte: self._first_byte,
            ResponseSent: self._response,
            BackgroundDone: self._background_done,
            RequestTimedOut: self._timed_out,
            RequestFailed: self._failed,
            InstanceIdle: self._idle,
            InstanceRecycled: self._recycled,
        }

    def handle(self, event: Event) -> None:
        t = event.t
        if t > self.end_time:
            self.end_time = t
        handler = self._dispatch[event.__class__]
        if handler is not None:
            handler(event)

    @property
    def ttfb(self) -> QuantileSketch:
        """Time to first byte of every completed request."""
        return self.latency if self._ttfb is None else self._ttfb

    # --- time-weighted counters ---------------------------------------------------------

    def _alive_change(self, t: float, delta: int) -> None:
        self._alive_integral += self.alive * (t - self._alive_changed)
        self._alive_changed = t
        self.alive += delta
        if self.alive > self.alive_max:
            self.alive_max = self.alive

    def _flight_up(self, t: float, inst: _Inst) -> None:
        """A request starts on ``inst`` (apart from ``_flight_down``: each runs per request)."""
        dt = t - self._flight_changed
        self._inflight_integral += self._inflight_total * dt
        self._busy_integral += self._busy_instances * dt
        self._flight_changed = t
        before = inst.inflight
        inst.inflight = before + 1
        self._inflight_total += 1
        if before == 0:
            self._busy_instances += 1
            inst.busy_since = t
            if inst.idle_since >= 0:
                self.idle_s += t - inst.idle_since
                inst.idle_since = -1.0
        if before >= self.concurrency_max:
            self.concurrency_max = before + 1

    def _flight_down(self, t: float, inst: _Inst) -> None:
        """A request on ``inst`` ends."""
        dt = t - self._flight_changed
        self._inflight_integral += self._inflight_total * dt
        self._busy_integral += self._busy_instances * dt
        self._flight_changed = t
        inst.inflight -= 1
        self._inflight_total -= 1
        if inst.inflight == 0:
            self._busy_instances -= 1
            busy, billed = inst.busy_since, inst.billed_from
            self.provisioned_s += t - (busy if busy >= billed else billed)  # max(), quicker

    # --- handlers -----------------------------------------------------------------------

    def _arrived(self, e: RequestArrived) -> None:
        self.arrived += 1
        self._reqs[e.request] = _Req(e.t)

    def _queued(self, e: RequestQueued) -> None:
        self.queued += 1

    def _rejected(self, e: RequestRejected) -> None:
        self.rejected += 1
        self._reqs.pop(e.request, None)

    def _assigned(self, e: RequestAssigned) -> None:
        self.assigned[e.start] = self.assigned.get(e.start, 0) + 1
        req = self._reqs.get(e.request)
        if req is None:  # a source that does not report arrivals: arrival = assignment
            req = self._reqs[e.request] = _Req(e.t)
            self.arrived += 1
        req.assigned = e.t
        req.instance = e.instance
        inst = self._insts.get(e.instance)
        if inst is None:
            inst = self._insts[e.instance] = _Inst()
            inst.billed_from = e.t
        self._flight_up(e.t, inst)

    def _starting(self, e: InstanceStarting) -> None:
        self.instances_started += 1
        if e.reason != "cold":
            self.prewarmed += 1
        self._insts[e.instance] = _Inst()
        self._alive_change(e.t, +1)

    def _phase_started(self, e: PhaseStarted) -> None:
        inst = self._insts.get(e.instance)
        if inst is not None and inst.billed_from < 0 and e.phase in self.billed_phases:
            inst.billed_from = e.t

    def _phase_ended(self, e: PhaseEnded) -> None:
        if e.phase in self.billed_phases:
            self.init_cpu_s += e.cpu_s
        if e.phase == "code_load":
            if e.cache_hit:
                self.cache_hits += 1
            else:
                self.cache_misses += 1

    def _ready(self, e: InstanceReady) -> None:
        inst = self._insts.get(e.instance)
        if inst is not None:
            if inst.billed_from < 0:
                inst.billed_from = e.t
            if inst.inflight == 0:
                inst.idle_since = e.t

    def _segment_ended(self, e: SegmentEnded) -> None:
        self.request_cpu_s += e.cpu_s

    def _first_byte(self, e: FirstByte) -> None:
        req = self._reqs.get(e.request)
        if req is not None and req.ttfb < 0:
            req.ttfb = e.t - req.arrived

    def _response(self, e: ResponseSent) -> None:
        req = self._reqs.get(e.request)
        if req is None:
            return
        self.completed += 1
        latency = e.t - req.arrived
        ttfb = req.ttfb
        if ttfb < 0 or ttfb == latency:  # no early first byte: the ttfb is the latency
            if self._ttfb is not None:
                self._ttfb.add(latency)
        else:
            if self._ttfb is None:  # the first to differ: every ttfb so far was a latency
                self._ttfb = self.latency.copy()
            self._ttfb.add(ttfb)
        self.latency.add(latency)
        if e.background:
            req.waiting_background = True
        else:
            self._end(e.request, e.t)

    def _background_done(self, e: BackgroundDone) -> None:
        self._end(e.request, e.t)

    def _timed_out(self, e: RequestTimedOut) -> None:
        self.timed_out += 1
        self._end(e.request, e.t)

    def _failed(self, e: RequestFailed) -> None:
        self.failed += 1
        self._end(e.request, e.t)

    def _end(self, request: int, t: float) -> None:
        req = self._reqs.pop(request, None)
        if req is None or req.instance < 0:
            return
        inst = self._insts.get(req.instance)
        billed_from = req.assigned
        if inst is not None:
            if inst.billed_from > billed_from:  # max(), without the call: once per request
                billed_from = inst.billed_from
            self._flight_down(t, inst)
        billed = t - billed_from
        if billed > 0.0:
            self.wall_clock_s += billed
        self._alive_integral_at_end = self._alive_integral + self.alive * (t - self._alive_changed)
        self.last_end = t

    def _idle(self, e: InstanceIdle) -> None:
        inst = self._insts.get(e.instance)
        if inst is not None and inst.inflight == 0:
            inst.idle_since = e.t

    def _recycled(self, e: InstanceRecycled) -> None:
        inst = self._insts.pop(e.instance, None)
        if inst is not None and inst.idle_since >= 0:
            self.idle_s += e.t - inst.idle_since
        self._alive_change(e.t, -1)

    # --- results ------------------------------------------------------------------------

    def running(self) -> dict[str, float]:
        """Cheap running values (no percentiles), for meters sampled during a replay."""
        return {
            "completed": self.completed,
            "timed_out": self.timed_out,
            "failed": self.failed,
            "rejected": self.rejected,
            "cold_starts": self.assigned.get("cold", 0),
            "instances_alive": self.alive,
            "instances_started": self.instances_started,
            "concurrency_mean": self._inflight_integral / self._busy_integral
            if self._busy_integral > 0
            else 0.0,
            "concurrency_max": self.concurrency_max,
            "cpu_efficiency": cpu_efficiency(
                self.request_cpu_s + self.init_cpu_s,
                # mid-run, instance active time so far includes the busy stretches still open
                # (provisioned_s counts a stretch when it ends): not clipped to billed phases
                self._busy_integral if self.billing == "active_cpu" else self.wall_clock_s,
            ),
        }

    def _billed_time_s(self) -> float:
        return self.provisioned_s if self.billing == "active_cpu" else self.wall_clock_s

    def usage(self) -> Usage:
        return Usage(
            memory_gb=self.memory_gb,
            invocations=self.completed + self.timed_out + self.failed,
            wall_clock_s=self.wall_clock_s,
            active_cpu_s=self.request_cpu_s + self.init_cpu_s,
            request_cpu_s=self.request_cpu_s,
            init_cpu_s=self.init_cpu_s,
            provisioned_s=self.provisioned_s,
            idle_s=self.idle_s,
        )

    def report(self) -> dict[str, Any]:
        """Everything but the bill, in the shape of ``lab sim --json`` (times in ms)."""
        started = sum(self.assigned.values())
        usage = self.usage()
        window = self.last_end

        def pcts(sketch: QuantileSketch) -> dict[str, float]:
            return {
                "p50": round(sketch.quantile(0.50) * 1000, 3),
                "p95": round(sketch.quantile(0.95) * 1000, 3),
                "p99": round(sketch.quantile(0.99) * 1000, 3),
                "mean": round(sketch.mean * 1000, 3),
            }

        return {
            "requests": {
                "total": self.arrived,
                "completed": self.completed,
                "failed": self.failed,
                "timed_out": self.timed_out,
                "rejected": self.rejected,
                "queued": self.queued,
            },
            "cold_starts": self.assigned.get("cold", 0),
            "cold_start_rate": self.assigned.get("cold", 0) / started if started else 0.0,
            "warm_hit_rate": self.assigned.get("warm", 0) / started if started else 0.0,
            "latency_ms": pcts(self.latency),
            "ttfb_ms": pcts(self.ttfb),
            "instances": {
                "started": self.instances_started,
                "prewarmed": self.prewarmed,
                "max": self.alive_max,
                "mean": self._alive_integral_at_end / window if window > 0 else 0.0,
            },
            "concurrency_per_instance": {
                "mean": self._inflight_integral / self._busy_integral
                if self._busy_integral > 0
                else 0.0,
                "max": self.concurrency_max,
            },
            "requests_in_flight_mean": self._inflight_integral / window if window > 0 else 0.0,
            "cpu_efficiency": cpu_efficiency(usage.active_cpu_s, self._billed_time_s()),
            "bytecode_cache": {"hits": self.cache_hits, "misses": self.cache_misses},
            "usage": {
                "wall_clock_hours": usage.wall_clock_s / 3600,
                "active_cpu_hours": usage.active_cpu_s / 3600,
                "provisioned_memory_gb_hours": usage.provisioned_s * usage.memory_gb / 3600,
                "idle_memory_gb_hours": usage.idle_s * usage.memory_gb / 3600,
                "invocations": usage.invocations,
            },
        }
