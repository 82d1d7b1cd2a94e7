"""The shared view-model: frames at fixed instants, checked by hand and against the report."""

from __future__ import annotations

import random

import pytest

from lab.view import LEGEND, build_timeline, state_at
from models.loading import builtin_scenario
from models.run import simulate
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
