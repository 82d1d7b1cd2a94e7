"""Small traces worked out by hand: exact cold/warm decisions, instance counts and bills."""

from __future__ import annotations

import pytest

from models.events import PhaseStarted, RequestAssigned, SegmentEnded
from models.run import simulate
from tests.helpers import make_scenario

GB_HOUR_TRADITIONAL = 0.18  # vercel-traditional-pro, USD per GB-hour
CPU_HOUR_FLUID = 0.128  # vercel-fluid-iad1
MEM_HOUR_FLUID = 0.0106
PER_INVOCATION = 0.60 / 1e6


def test_two_overlapping_requests_two_instances_traditional_one_fluid() -> None:
    # arrivals at 0 s and 0.5 s, each 0.5 s CPU then 1.5 s I/O (2 s), no cold-start cost
    scenario = make_scenario(
        work=[{"cpu": 0.5}, {"io": 1.5}],
        arrivals={"kind": "explicit", "times": [0, 0.5]},
    )
    result = simulate(scenario)
    trad = result.models["traditional"]
    fluid = result.models["fluid"]
    assert trad.metrics["instances"]["started"] == 2
    assert trad.metrics["cold_starts"] == 2
    assert fluid.metrics["instances"]["started"] == 1
    assert fluid.metrics["cold_starts"] == 1
    assert fluid.metrics["concurrency_per_instance"]["max"] == 2
    # traditional: 2 requests x 2 s x 1 GB
    assert trad.bill.components["wall_clock"] == pytest.approx(4 / 3600 * GB_HOUR_TRADITIONAL)
    assert trad.bill.components["invocations"] == pytest.approx(2 * PER_INVOCATION)
    # fluid: 1 s of CPU in all; the instance has a request in flight from 0 to 2.5 s
    assert fluid.usage.active_cpu_s == pytest.approx(1.0)
    assert fluid.usage.provisioned_s == pytest.approx(2.5)
    assert fluid.bill.total == pytest.approx(
        1 / 3600 * CPU_HOUR_FLUID + 2.5 / 3600 * MEM_HOUR_FLUID + 2 * PER_INVOCATION
    )


def test_cold_warm_and_expiry_decisions_with_cold_start_costs() -> None:
    # cold start: 0.3 s runtime init (not billed) + 0.1 s module init (billed); 2 s of I/O;
    # keep-alive 10 s. Worked by hand:
    #   t=0    r0 cold on i0 (ready 0.4, ends 2.4)
    #   t=0.5  r1: i0 busy -> cold on i1 (ready 0.9, ends 2.9)
    #   t=5    r2 warm on i0 (the oldest idle instance) -> ends 7.0
    #   t=20   i1 expired at 12.9, i0 at 17.0 -> r3 cold on i2, ends 22.4, expires 32.4
    scenario = make_scenario(
        work=[{"io": 2.0}],
        arrivals={"kind": "explicit", "times": [0, 0.5, 5, 20]},
        function={"runtime_init": 0.3, "module_init": 0.1},
        platforms={"traditional": {"keep_alive": 10}},
    )
    result = simulate(scenario)
    trad = result.models["traditional"]
    assigned = [
        (e.request, e.instance, e.start) for e in trad.events if isinstance(e, RequestAssigned)
    ]
    assert assigned == [(0, 0, "cold"), (1, 1, "cold"), (2, 0, "warm"), (3, 2, "cold")]
    assert trad.metrics["latency_ms"]["mean"] == pytest.approx((2400 + 2400 + 2000 + 2400) / 4)
    # billed from module init (0.3 s after a cold start's assignment): 2.1 + 2.1 + 2.0 + 2.1 s
    assert trad.usage.wall_clock_s == pytest.approx(8.3)
    recycled = [
        (e.instance, round(e.t, 6))
        for e in trad.events
        if e.kind == "instance_recycled" and e.reason == "keep_alive"
    ]
    assert recycled == [(1, 12.9), (0, 17.0), (2, 32.4)]
    assert trad.metrics["instances"]["max"] == 2


def test_cpu_segments_share_the_instance_cores() -> None:
    # two 1 s CPU requests at t=0 on one fluid instance: with 1 vCPU both end at 2 s,
    # with 2 vCPUs both end at 1 s
    for vcpus, expected_ms in ((1, 2000.0), (2, 1000.0)):
        scenario = make_scenario(
            work=[{"cpu": 1.0}],
            arrivals={"kind": "explicit", "times": [0, 0]},
            function={"vcpus": vcpus},
            platforms={"fluid": {}},
        )
        fluid = simulate(scenario).models["fluid"]
        assert fluid.metrics["latency_ms"]["p50"] == pytest.approx(expected_ms)
        # billed CPU is work done, not time spent waiting for a core
        assert fluid.usage.active_cpu_s == pytest.approx(2.0)


def test_processor_sharing_with_staggered_jobs() -> None:
    # 1 vCPU: A (1 s CPU) at 0, B (1 s CPU) at 0.5. A runs alone 0-0.5 (0.5 done), then both
    # at half speed: A's last 0.5 s takes 1 s -> A ends 1.5; B has 0.5 left, alone -> ends 2.0
    scenario = make_scenario(
        work=[{"cpu": 1.0}],
        arrivals={"kind": "explicit", "times": [0, 0.5]},
        platforms={"fluid": {}},
    )
    fluid = simulate(scenario).models["fluid"]
    ends = [e.t for e in fluid.events if isinstance(e, SegmentEnded)]
    assert ends == pytest.approx([1.5, 2.0])


def test_io_overlaps_for_free_on_fluid() -> None:
    scenario = make_scenario(
        work=[{"io": 1.0}],
        arrivals={"kind": "explicit", "times": [0] * 10},
        platforms={"fluid": {}},
    )
    fluid = simulate(scenario).models["fluid"]
    assert fluid.metrics["latency_ms"]["p99"] == pytest.approx(1000.0)
    assert fluid.metrics["instances"]["started"] == 1


def test_max_duration_cuts_and_reports_timeout() -> None:
    scenario = make_scenario(
        work=[{"cpu": 0.2}, {"io": 5.0}],
        arrivals={"kind": "explicit", "times": [0, 10]},
        platforms={"traditional": {"max_duration": 2}, "fluid": {"max_duration": 2}},
    )
    for model in simulate(scenario).models.values():
        assert model.metrics["requests"]["timed_out"] == 2
        assert model.metrics["requests"]["completed"] == 0
        # a timed-out request is billed up to the cut
        if model.model == "traditional":
            assert model.usage.wall_clock_s == pytest.approx(4.0)


def test_queue_or_reject_beyond_max_instances() -> None:
    base = dict(work=[{"io": 1.0}], arrivals={"kind": "explicit", "times": [0, 0.1, 0.2]})
    queued = simulate(
        make_scenario(**base, platforms={"traditional": {"max_instances": 1, "overflow": "queue"}})
    ).models["traditional"]
    assert queued.metrics["requests"]["queued"] == 2
    assert queued.metrics["requests"]["completed"] == 3
    assert queued.metrics["latency_ms"]["p50"] == pytest.approx(1900.0)  # 0.1 -> 2.0
    rejected = simulate(
        make_scenario(**base, platforms={"traditional": {"max_instances": 1, "overflow": "reject"}})
    ).models["traditional"]
    assert rejected.metrics["requests"]["rejected"] == 2
    assert rejected.metrics["requests"]["completed"] == 1
    assert rejected.usage.invocations == 1


def test_min_instances_and_prewarm_remove_cold_starts() -> None:
    base = dict(
        work=[{"io": 0.1}],
        arrivals={"kind": "explicit", "times": [5, 2000, 4000]},
        function={"runtime_init": 0.5},
    )
    scale_to_zero = simulate(make_scenario(**base, platforms={"fluid": {"keep_alive": 60}}))
    assert scale_to_zero.models["fluid"].metrics["cold_starts"] == 3
    scale_to_one = simulate(
        make_scenario(**base, platforms={"fluid": {"keep_alive": 60, "min_instances": 1}})
    ).models["fluid"]
    assert scale_to_one.metrics["cold_starts"] == 0
    assert scale_to_one.metrics["latency_ms"]["p99"] == pytest.approx(100.0)
    prewarmed = simulate(
        make_scenario(
            work=[{"io": 1.0}],
            arrivals={"kind": "explicit", "times": [0, 5]},
            platforms={"traditional": {"prewarm": 1}},
        )
    ).models["traditional"]
    # r0 is cold and triggers a spare instance; r1 finds the spare ready
    assert prewarmed.metrics["cold_starts"] == 1
    assert prewarmed.metrics["instances"]["prewarmed"] >= 1
    assert prewarmed.metrics["warm_hit_rate"] == pytest.approx(0.5)


def _code_loads(events: list) -> list[tuple[int, str, bool]]:
    return [
        (e.instance, e.chunk, e.cache_hit)
        for e in events
        if isinstance(e, PhaseStarted) and e.phase == "code_load"
    ]


def test_bytecode_cache_off_per_instance_and_merged() -> None:
    # /home then /blog then /home, each on a fresh instance (keep-alive 1 s, 100 s apart)
    def scenario(cache: str):
        return make_scenario(
            work=[{"cpu": 0.01}],
            arrivals={
                "kind": "explicit",
                "times": [0, 100, 200, 300],
                "routes": ["/home", "/blog", "/home", "/blog"],
            },
            function={
                "bundle": [{"name": "home", "size_kb": 100}, {"name": "blog", "size_kb": 100}],
                "code_load": {"compile_ms_per_kb": 1.0, "load_ms_per_kb": 0.25},
            },
            platforms={"traditional": {"keep_alive": 1, "bytecode_cache": cache}},
            workload_routes=None,
        )

    def loads(cache: str) -> list[tuple[int, str, bool]]:
        return _code_loads(simulate(scenario(cache)).models["traditional"].events)

    assert [hit for *_, hit in loads("off")] == [False, False, False, False]
    assert [hit for *_, hit in loads("per_instance")] == [False, False, False, False]
    assert [hit for *_, hit in loads("merged")] == [False, False, True, True]
