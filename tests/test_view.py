"""The shared view-model: frames at fixed instants, checked by hand and against the report."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

from lab.view import LEGEND, Timeline, build_timeline, state_at
from models.billing import bill
from models.events import RequestArrived, ResponseSent
from models.loading import builtin_scenario
from models.metrics import MetricsCollector
from models.run import ModelResult, simulate
from tests.helpers import make_scenario


@pytest.fixture(scope="module")
def overlapping():
    scenario = make_scenario(
        work=[{"cpu": 0.5}, {"io": 1.5}],
        arrivals={"kind": "explicit", "times": [0, 0.5]},
        function={"runtime_init": 0.2},
    )
    return simulate(scenario)


def test_frames_show_who_is_where(overlapping) -> None:
    fluid = build_timeline(overlapping.models["fluid"])
    trad = build_timeline(overlapping.models["traditional"])
    # 0.1 s: the first instance is starting (runtime init), request 0 waits for it
    frame = state_at(fluid, 0.1)
    assert [(lane.status, lane.phase, lane.requests) for lane in frame.lanes] == [
        ("starting", "runtime_init", ((0, "waiting"),))
    ]
    # 0.8 s on fluid (ready at 0.2): r0 computed alone 0.2-0.5, then shares the core with r1
    # (which arrived at 0.5 on the warm instance), so both are still on the CPU
    frame = state_at(fluid, 0.8)
    assert len(frame.lanes) == 1
    assert frame.lanes[0].requests == ((0, "cpu"), (1, "cpu"))
    # traditional at 0.8 s: r0 (cpu 0.2-0.7) waits on I/O on instance 0; r1 got a cold
    # instance 1 (0.5-0.7) and computes 0.7-1.2
    frame = state_at(trad, 0.8)
    assert [(lane.instance, lane.status, lane.requests) for lane in frame.lanes] == [
        (0, "busy", ((0, "io"),)),
        (1, "busy", ((1, "cpu"),)),
    ]
    assert frame.counts["arrived"] == 2 and frame.counts["completed"] == 0


def test_idle_and_recycled_after_the_run(overlapping) -> None:
    trad = build_timeline(overlapping.models["traditional"])
    end = max(r.ended for r in trad.requests.values())
    frame = state_at(trad, end + 1)
    assert {lane.status for lane in frame.lanes} == {"idle"}
    assert frame.counts["completed"] == 2
    assert all(span.kind in LEGEND for span in trad.spans)


def test_final_meters_equal_the_report() -> None:
    result = simulate(builtin_scenario("db-api"))
    for model in result.models.values():
        timeline = build_timeline(model)
        assert timeline.meters is not None
        last = timeline.meters.at(timeline.end_time)
        assert last.bill_total == pytest.approx(model.bill.total)
        assert last.cold_starts == model.metrics["cold_starts"]
        assert last.completed == model.metrics["requests"]["completed"]
        # the report rounds to the microsecond
        assert last.latency_p50_ms == pytest.approx(model.metrics["latency_ms"]["p50"], abs=1e-3)
        assert last.latency_p99_ms == pytest.approx(model.metrics["latency_ms"]["p99"], abs=1e-3)


def _so_far(model: ModelResult, t: float) -> tuple[MetricsCollector, list[float]]:
    """A collector fed the events up to ``t``, and the latencies (ms) completed by then."""
    assert model.events is not None and model.platform is not None
    collector = MetricsCollector(
        model.memory_mb, model.platform.billed_phases, model.platform.billing
    )
    arrived: dict[int, float] = {}
    latencies = []
    for event in model.events:
        if event.t > t:
            break
        collector.handle(event)
        if isinstance(event, RequestArrived):
            arrived[event.request] = event.t
        elif isinstance(event, ResponseSent):
            latencies.append((event.t - arrived[event.request]) * 1000)
    return collector, latencies


@pytest.mark.parametrize(
    ("name", "model", "times"),
    [
        # 28 h and 600k events: meters sampled over the whole run used to stand still for
        # minutes here (the first of 400 samples was at 252 s)
        ("classic", "traditional", (3.0, 19.5, 60.0, 251.0)),
        # every request times out
        ("lesson09-agent", "traditional", (400.0, 900.0)),
    ],
)
def test_meters_mid_run_are_the_counts_so_far(name, model, times) -> None:
    result = simulate(builtin_scenario(name)).models[model]
    timeline = build_timeline(result)
    for t in times:
        collector, latencies = _so_far(result, t)
        expected = collector.running()
        frame = state_at(timeline, t)
        meters = frame.meters
        assert meters is not None
        assert meters.instances_alive == expected["instances_alive"] == len(frame.lanes)
        assert meters.instances_started == expected["instances_started"] > 0
        assert meters.cold_starts == expected["cold_starts"]
        for outcome in ("completed", "timed_out", "rejected", "failed"):
            assert getattr(meters, outcome) == expected[outcome] == frame.counts[outcome]
        assert meters.has_latency == bool(latencies)
        if latencies:
            assert meters.latency_p50_ms == pytest.approx(np.percentile(latencies, 50))
            assert meters.latency_p99_ms == pytest.approx(np.percentile(latencies, 99))
        # the bill is read from rows taken every few events in a run this long
        billed = bill(collector.usage(), result.platform.prices).total
        assert (billed > 0) == (meters.bill_total > 0)
        assert meters.bill_total <= billed


def test_meters_of_a_run_of_fewer_events_than_rows_are_exact() -> None:
    result = simulate(builtin_scenario("db-api")).models["fluid"]
    timeline = build_timeline(result)
    for t in (0.5, 2.0, 30.0, 400.0):
        collector, _ = _so_far(result, t)
        meters = timeline.meters.at(t)
        billed = bill(collector.usage(), result.platform.prices)
        assert meters.bill == pytest.approx(billed.components)
        running = collector.running()
        assert meters.cpu_efficiency == pytest.approx(running["cpu_efficiency"])
        assert meters.concurrency_mean == pytest.approx(running["concurrency_mean"])


def test_spans_between_matches_a_full_scan() -> None:
    result = simulate(builtin_scenario("db-api"))
    timeline = build_timeline(result.models["fluid"])
    rng = random.Random(5)
    for _ in range(50):
        t0 = rng.uniform(0, timeline.end_time)
        t1 = t0 + rng.uniform(0, 30)
        expected = {s for s in timeline.spans if s.start <= t1 and s.end > t0}
        assert set(timeline.spans_between(t0, t1)) >= expected


def test_in_flight_matches_requests_assigned_and_not_ended() -> None:
    result = simulate(builtin_scenario("ai-streaming").with_changes(**{"workload.requests": 200}))
    timeline = build_timeline(result.models["fluid"])
    for t in (100.0, 1000.0, 2500.0):
        frame = state_at(timeline, t)
        on_instances = sum(
            1
            for r in timeline.requests.values()
            if r.assigned <= t < r.ended and t >= timeline.instances[r.instance].ready
        )
        assert frame.in_flight == on_instances


def test_columns_hold_the_same_spans_and_requests() -> None:
    """Aggregates read the columns; replays read the spans: both say the same thing."""
    result = simulate(builtin_scenario("db-api"))
    timeline = build_timeline(result.models["traditional"])
    spans = timeline.spans
    assert spans == sorted(spans, key=lambda s: (s.start, s.lane))
    c = timeline.columns
    assert [
        (lane, start, end, c.kinds[kind])
        for lane, start, end, kind in zip(
            c.lane.tolist(), c.start.tolist(), c.end.tolist(), c.kind.tolist(), strict=True
        )
    ] == [(s.lane, s.start, s.end, s.kind) for s in spans]
    assert timeline.span(len(spans) // 2) == spans[len(spans) // 2]
    assert timeline.has_lane(spans[0].lane) and not timeline.has_lane(10**6)
    r = timeline.request_columns
    infos = list(timeline.requests.values())
    assert r.arrived.tolist() == [i.arrived for i in infos]
    assert r.ended.tolist() == [i.ended for i in infos]
    assert list(r.outcome) == [i.outcome for i in infos]
    assert list(r.start) == [i.start for i in infos]
    # a timeline made from spans (not laid out from events) is the same timeline
    again = Timeline(timeline.instances, timeline.requests, spans, timeline.end_time)
    assert again.spans == spans and again.spans_between(100, 200) == timeline.spans_between(
        100, 200
    )


def test_an_event_subclass_is_laid_out_as_its_base() -> None:
    @dataclass(slots=True)
    class TracedArrival(RequestArrived):
        trace: str = ""

    timeline = build_timeline([TracedArrival(0.5, 7, "/r", "abc"), ResponseSent(1.0, 7, 0)])
    assert timeline.requests[7].route == "/r" and timeline.requests[7].outcome == "completed"
