"""Turning a workload into concrete requests: arrival times, routes and sampled work.

The request stream depends only on the scenario and the seed, never on the platform model, so
every model of a run sees exactly the same requests (a fair comparison). Random streams are
separate per purpose (arrivals, route choice, durations), so changing one knob does not
reshuffle the others.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator
from typing import NamedTuple

from models.durations import Constant, _Dist
from models.scenario import Scenario
from models.workload import (
    BurstArrivals,
    ConstantArrivals,
    CpuStep,
    DiurnalArrivals,
    ExplicitArrivals,
    FlushStep,
    IoStep,
    PoissonArrivals,
    RepeatStep,
    Route,
    Step,
    TraceArrivals,
    Workload,
)

CPU = True
IO = False
Segment = tuple[bool, float]
"""``(is_cpu, seconds)``: one stretch of a request's work."""


class RequestSpec(NamedTuple):
    """One concrete request, identical under every platform model of a run.

    A named tuple rather than a frozen dataclass: a run makes one per request, and a tuple is
    built in less than half the time.
    """

    id: int
    t: float
    route: int
    segments: tuple[Segment, ...]
    background: tuple[Segment, ...]
    flush_after: int
    """Number of segments done when the first byte goes out (``len(segments)`` = at the end)."""


_FLUSH = "flush"
PlanItem = tuple[bool, _Dist] | str


def _flatten(steps: list[Step]) -> list[PlanItem]:
    plan: list[PlanItem] = []
    for step in steps:
        if isinstance(step, CpuStep):
            plan.append((CPU, step.cpu))
        elif isinstance(step, IoStep):
            plan.append((IO, step.io))
        elif isinstance(step, FlushStep):
            plan.append(_FLUSH)
        elif isinstance(step, RepeatStep):
            inner = _flatten(step.steps)
            for _ in range(step.repeat):
                plan.extend(inner)
    return plan


def _segments_only(plan: list[PlanItem]) -> list[tuple[bool, _Dist]]:
    return [item for item in plan if not isinstance(item, str)]


class _RoutePlan:
    """A route's steps flattened once, so each request only samples durations."""

    def __init__(self, route: Route, rng: random.Random) -> None:
        self.name = route.name
        self._rng = rng
        plan = _flatten(route.work)
        flush_at = next((i for i, item in enumerate(plan) if item == _FLUSH), None)
        self.work = _segments_only(plan)
        self.flush_after = flush_at if flush_at is not None else len(self.work)
        self.background = _segments_only(_flatten(route.background))
        self._fixed_work = self._fixed(self.work)
        self._fixed_background = self._fixed(self.background)
        # the common one-segment route: its one draw, bound to the stream
        self._single: tuple[bool, Callable[[], float]] | None = None
        if self._fixed_work is None and len(self.work) == 1:
            is_cpu, dist = self.work[0]
            self._single = (is_cpu, dist.sampler(rng))

    @staticmethod
    def _fixed(plan: list[tuple[bool, _Dist]]) -> tuple[Segment, ...] | None:
        if all(isinstance(dist, Constant) for _, dist in plan):
            return tuple((is_cpu, dist.mean) for is_cpu, dist in plan)
        return None

    def sample(self) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
        """One request's work and background work, drawn from the route's stream."""
        rng = self._rng
        work = self._fixed_work
        if work is None:
            single = self._single
            if single is not None:
                work = ((single[0], single[1]()),)
            else:
                work = tuple([(is_cpu, dist.sample(rng)) for is_cpu, dist in self.work])
        background = self._fixed_background
        if background is None:
            background = tuple([(is_cpu, dist.sample(rng)) for is_cpu, dist in self.background])
        return work, background


def arrival_times(workload: Workload, rng: random.Random) -> Iterator[float]:
    """Arrival instants in seconds, increasing, unbounded unless the arrivals say otherwise."""
    arrivals = workload.arrivals
    if isinstance(arrivals, PoissonArrivals):
        t, rate = 0.0, arrivals.rate
        expo = rng.expovariate
        while True:
            t += expo(rate)
            yield t
    elif isinstance(arrivals, ConstantArrivals):
        gap = 1.0 / arrivals.rate
        for i in itertools.count():
            yield i * gap
    elif isinstance(arrivals, BurstArrivals):
        # Poisson in "on-time", then stretched over the real clock: on-time tau falls in
        # burst floor(tau / on), at offset tau mod on.
        period, on = arrivals.on + arrivals.off, arrivals.on
        tau = 0.0
        while True:
            tau += rng.expovariate(arrivals.rate)
            burst, offset = divmod(tau, on)
            yield burst * period + offset
    elif isinstance(arrivals, DiurnalArrivals):
        peak = arrivals.mean_rate * (1 + arrivals.amplitude)
        omega = 2 * math.pi / arrivals.period
        t = 0.0
        while True:  # thinning (Lewis & Shedler): accept with probability rate(t)/peak
            t += rng.expovariate(peak)
            rate = arrivals.mean_rate * (
                1 + arrivals.amplitude * math.cos(omega * (t - arrivals.peak_at))
            )
            if rng.random() * peak <= rate:
                yield t
    elif isinstance(arrivals, ExplicitArrivals):
        yield from sorted(arrivals.times)
    elif isinstance(arrivals, TraceArrivals):
        from models.traces import trace_arrival_times

        yield from trace_arrival_times(arrivals, rng)
    else:  # pragma: no cover - the union above is exhaustive
        raise TypeError(f"unknown arrivals {arrivals!r}")


def generate_requests(scenario: Scenario, seed: int | None = None) -> Iterator[RequestSpec]:
    """The run's requests in arrival order; lazy, so a million requests cost no memory."""
    seed = scenario.seed if seed is None else seed
    workload = scenario.workload
    arrival_rng = random.Random(f"{seed}:arrivals")
    route_rng = random.Random(f"{seed}:routes")
    work_rng = random.Random(f"{seed}:work")
    plans = [_RoutePlan(route, work_rng) for route in workload.routes]
    weights = list(itertools.accumulate(route.weight for route in workload.routes))
    explicit_routes: list[int] | None = None
    explicit = workload.arrivals
    if isinstance(explicit, ExplicitArrivals) and explicit.routes:
        index = {route.name: i for i, route in enumerate(workload.routes)}
        times = explicit.times
        order = sorted(range(len(times)), key=lambda i: times[i])
        explicit_routes = [index[explicit.routes[i]] for i in order]
    limit = workload.requests
    horizon = workload.duration
    choose = route_rng.choices
    arrivals = workload.arrivals
    if (
        len(plans) == 1
        and horizon is None
        and limit is not None
        and isinstance(arrivals, PoissonArrivals)
    ):  # the common case (and the benchmark's), in one loop: the same requests, quicker
        yield from _poisson_one_route(plans[0], arrivals.rate, limit, arrival_rng)
        return
    for rid, t in enumerate(arrival_times(workload, arrival_rng)):
        if limit is not None and rid >= limit:
            return
        if horizon is not None and t > horizon:
            return
        if explicit_routes is not None:
            route = explicit_routes[rid]
        elif len(plans) == 1:
            route = 0
        else:
            route = choose(range(len(plans)), cum_weights=weights)[0]
        plan = plans[route]
        work, background = plan.sample()
        yield RequestSpec(rid, t, route, work, background, plan.flush_after)


def _poisson_one_route(
    plan: _RoutePlan, rate: float, limit: int, rng: random.Random
) -> Iterator[RequestSpec]:
    """``generate_requests`` for Poisson arrivals on one route with a request count: the
    arrival times of ``arrival_times`` (the same draws, in the same order) without a second
    generator to resume per request."""
    expo, sample, flush_after = rng.expovariate, plan.sample, plan.flush_after
    t = 0.0
    for rid in range(limit):
        t += expo(rate)
        work, background = sample()
        yield RequestSpec(rid, t, 0, work, background, flush_after)
