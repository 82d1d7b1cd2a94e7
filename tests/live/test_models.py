"""Fluid vs traditional, really run: I/O-bound packs well, CPU-bound does not."""

from __future__ import annotations

from models.live.calibration import observed_cpu_share
from models.live.replay import run_live
from models.live.runtime import LiveOptions
from tests.helpers import make_scenario
from tests.live.helpers import assert_each_request_ends_once


def test_io_bound_route_needs_far_fewer_instances_and_cpu_under_fluid(
    options: LiveOptions,
) -> None:
    sc = make_scenario(
        [{"cpu": "5ms"}, {"io": "400ms"}, {"cpu": "5ms"}],
        {"kind": "constant", "rate": 40},
        requests=40,
        platforms={"traditional": {}, "fluid": {}},
    )
    trad = run_live(sc, "traditional", options=options)
    fluid = run_live(sc, "fluid", options=options)
    for run in (trad, fluid):
        assert assert_each_request_ends_once(run.events) == {"response_sent": 40}
    t, f = trad.result.metrics, fluid.result.metrics
    assert t["instances"]["started"] >= 8  # ~16 requests overlap: one process each
    assert f["instances"]["started"] <= 2  # they all fit in one instance's event loop
    assert f["concurrency_per_instance"]["max"] >= 8
    # billed: wall-clock x memory for every request vs only the CPU actually used
    assert fluid.result.bill.total < 0.25 * trad.result.bill.total
    assert fluid.result.usage.active_cpu_s < 0.25 * trad.result.usage.wall_clock_s


def test_cpu_bound_route_gains_little_and_waits_longer_under_fluid(options: LiveOptions) -> None:
    sc = make_scenario(
        [{"cpu": "80ms"}],
        {"kind": "constant", "rate": 25},
        requests=12,
        platforms={"traditional": {}, "fluid": {}},
    )
    trad = run_live(sc, "traditional", options=options)
    fluid = run_live(sc, "fluid", options=options)
    t, f = trad.result, fluid.result
    # the same CPU work is done and billed either way (within measurement noise)
    assert 0.7 < f.usage.request_cpu_s / t.usage.request_cpu_s < 1.3
    assert f.usage.request_cpu_s > 12 * 0.079
    # one instance, one core: requests queue behind each other's CPU
    assert f.metrics["instances"]["started"] == 1
    assert f.metrics["concurrency_per_instance"]["max"] >= 3
    assert f.metrics["latency_ms"]["p50"] > 2 * 80
    # traditional spreads them over processes: faster, if this machine has a core to spare
    if observed_cpu_share(trad.events) >= 0.7:
        assert f.metrics["latency_ms"]["p50"] > 1.5 * t.metrics["latency_ms"]["p50"]
