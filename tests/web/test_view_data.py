"""The web app's data preparation (lab/view/whatif, series, sweep): no Streamlit involved.

Expected values are worked out by hand from small scenarios, or taken from the simulator's
own report, never from the code under test.
"""

from __future__ import annotations

import math

import pytest

from lab.view import build_timeline
from lab.view.series import (
    MAX_BINS,
    cold_start_marks,
    lane_bins,
    latency_edges,
    latency_histogram,
    load_series,
)
from lab.view.sweep import (
    BreakEven,
    SweepPoint,
    break_even,
    cpu_share_sweep,
    monthly_costs,
    traffic_sample,
)
from lab.view.whatif import (
    apply_knobs,
    io_share,
    read_knobs,
    set_knob,
    with_compared_models,
    with_io_share,
)
from models.loading import DEFAULT_SCENARIO, builtin_names, builtin_scenario
from models.run import simulate
from tests.helpers import make_scenario


@pytest.mark.parametrize("name", builtin_names())
def test_unmoved_knobs_leave_every_builtin_alone(name: str) -> None:
    scenario = with_compared_models(builtin_scenario(name))
    assert apply_knobs(scenario, read_knobs(scenario)) == scenario


def test_knobs_write_the_fields_they_name() -> None:
    base = with_compared_models(builtin_scenario(DEFAULT_SCENARIO))
    knobs = read_knobs(base)
    assert (knobs.rate, knobs.requests, knobs.bundle_kb) == (0.05, 1000, 550.0)
    assert knobs.io_share == pytest.approx(18 / 20)  # 40 x 450 ms waiting of 20 s
    moved = apply_knobs(
        base,
        set_knob(
            knobs,
            concurrency=4,
            keep_alive_s=60.0,
            memory_mb=1024,
            min_instances=2,
            cache_fluid="off",
            prices_traditional="aws-lambda-arm-us-east-1",
        ),
    )
    expected = base.with_changes(
        **{
            "platforms.fluid.concurrency": 4,
            "platforms.fluid.keep_alive": 60.0,
            "platforms.traditional.keep_alive": 60.0,
            "platforms.fluid.min_instances": 2,
            "platforms.traditional.min_instances": 2,
            "function.memory_mb": 1024,
            "platforms.fluid.bytecode_cache": "off",
            "platforms.traditional.prices": "aws-lambda-arm-us-east-1",
        }
    )
    assert moved == expected


def test_io_share_reshapes_work_but_keeps_its_expected_length() -> None:
    base = builtin_scenario(DEFAULT_SCENARIO)  # 2 s CPU + 18 s I/O per request
    half = with_io_share(base, 0.5)
    assert io_share(half) == pytest.approx(0.5)
    first = half.workload.routes[0].work
    assert first[0].cpu.mean == pytest.approx(0.2 * 10 / 2)  # CPU x5: 2 s -> 10 s in all
    assert half.workload.routes[0].work[1].io.mean == pytest.approx(0.45 * 10 / 18)
    # a route with no I/O gets an I/O step; one with no CPU a CPU step
    cpu_only = make_scenario([{"cpu": "1s"}], {"kind": "poisson", "rate": 1}, requests=5)
    assert io_share(with_io_share(cpu_only, 0.25)) == pytest.approx(0.25)
    io_only = make_scenario([{"io": "1s"}], {"kind": "poisson", "rate": 1}, requests=5)
    assert io_share(with_io_share(io_only, 0.75)) == pytest.approx(0.75)


def test_burstiness_keeps_the_mean_rate() -> None:
    base = builtin_scenario(DEFAULT_SCENARIO)
    bursty = apply_knobs(base, set_knob(read_knobs(base), burstiness=0.8))
    arrivals = bursty.workload.arrivals
    assert arrivals.kind == "bursts"
    assert arrivals.rate * arrivals.on / (arrivals.on + arrivals.off) == pytest.approx(0.05)
    assert arrivals.off / (arrivals.on + arrivals.off) == pytest.approx(0.8)
    db = builtin_scenario("db-api")  # 20/s for 60 s of every 300 s: mean 4/s, 80 % quiet
    assert read_knobs(db).rate == pytest.approx(4.0)
    assert read_knobs(db).burstiness == pytest.approx(0.8)


@pytest.fixture(scope="module")
def two_requests():
    """Two requests 0.5 s apart, 0.5 s CPU then 1.5 s I/O, a 0.2 s runtime init."""
    scenario = make_scenario(
        work=[{"cpu": 0.5}, {"io": 1.5}],
        arrivals={"kind": "explicit", "times": [0, 0.5]},
        function={"runtime_init": 0.2},
        platforms={"traditional": {"keep_alive": 1.0}, "fluid": {"keep_alive": 1.0}},
    )
    return simulate(scenario)


def test_load_series_peaks_match_the_report(two_requests) -> None:
    for name, model in two_requests.models.items():
        timeline = build_timeline(model)
        points = load_series(timeline, bins=50)
        assert max(p.instances for p in points) == model.metrics["instances"]["max"], name
        assert max(p.in_flight for p in points) == 2  # both requests overlap in time
        assert points[0].instances == 1  # an instance is starting from t = 0


def test_lane_bins_show_work_not_idle(two_requests) -> None:
    timeline = build_timeline(two_requests.models["traditional"])
    # lives 0-3.2 s and 0.5-3.7 s: 6.4 s of lanes over a 3.7 s run; 69 marks less 2 per lane
    # leave 65, so 65 x 3.7 / 6.4 = 37.6 -> 37 bins of 0.1 s
    binned = lane_bins(timeline, max_marks=69)
    assert binned.lanes == [0, 1] and binned.hidden_lanes == 0
    assert binned.bin_width == pytest.approx(0.1)
    lane0 = [b for b in binned.bins if b.lane == 0]
    # instance 0: runtime init 0-0.2 (a mark, not a bin), CPU 0.2-0.7, I/O 0.7-2.2, then
    # idle for its 1 s keep-alive: one merged idle bin, ending where the instance did
    assert [b.kind for b in lane0] == ["cpu"] * 5 + ["io"] * 15 + ["idle"]
    assert lane0[0].start == pytest.approx(0.2)
    assert (lane0[-1].start, lane0[-1].end) == (pytest.approx(2.2), pytest.approx(3.2))
    assert all(b.cpu_share == pytest.approx(1.0) for b in lane0[:5])
    assert all(b.busy == pytest.approx(1.0) for b in lane0[:20])
    # instance 1 (cold at 0.5, ready 0.7): CPU 0.7-1.2, I/O 1.2-2.7, idle to 3.7
    lane1 = [b for b in binned.bins if b.lane == 1]
    assert [b.kind for b in lane1] == ["cpu"] * 5 + ["io"] * 15 + ["idle"]
    assert lane1[0].start == pytest.approx(0.7)
    assert len(binned.bins) <= 69
    marks = cold_start_marks(timeline)
    assert [(m.lane, m.kind) for m in marks] == [(0, "runtime_init"), (1, "runtime_init")]
    assert marks[0].end - marks[0].start == pytest.approx(0.2)


def test_a_short_lived_instance_is_drawn_for_its_life_and_judged_on_it() -> None:
    """Two requests 1000 s apart, each on its own instance that lives 12.2 s (0.2 s init,
    0.5 s CPU, 1.5 s I/O, 10 s keep-alive), drawn in 50 s bins: each bin is cut to the
    instance's life and shows its work (2 s of 12.2), not 50 s of idle."""
    scenario = make_scenario(
        work=[{"cpu": 0.5}, {"io": 1.5}],
        arrivals={"kind": "explicit", "times": [0, 1000]},
        function={"runtime_init": 0.2},
        platforms={"traditional": {"keep_alive": 10.0}, "fluid": {"keep_alive": 10.0}},
    )
    timeline = build_timeline(simulate(scenario, models=["traditional"]).models["traditional"])
    assert timeline.end_time == pytest.approx(1012.2)
    binned = lane_bins(timeline, max_marks=4)  # no room: the coarsest grid, 20 bins
    assert binned.bin_width == pytest.approx(1012.2 / 20)
    assert len(binned.bins) == 2
    for bin_, started in zip(binned.bins, (0.0, 1000.0), strict=True):
        assert (bin_.start, bin_.end) == (pytest.approx(started), pytest.approx(started + 12.2))
        assert bin_.kind == "io"  # the most work; idle (10 s) would win only below 1.22 s
        assert bin_.cpu_share == pytest.approx(0.5 / 2.0)
        assert bin_.busy == pytest.approx(2.0 / 12.2)  # work per second the instance lived
    # with room, the bins get finer where the lanes live: 2 lanes of 12.2 s in 1012 s
    fine = lane_bins(timeline, max_marks=200)
    assert fine.bin_width == pytest.approx(1012.2 / MAX_BINS)
    assert len(fine.bins) <= 200
    assert [b.kind for b in fine.bins if b.lane == 0][-1] == "idle"


def test_lane_bins_stay_under_the_mark_budget() -> None:
    result = simulate(builtin_scenario(DEFAULT_SCENARIO))
    for model in result.models.values():
        binned = lane_bins(build_timeline(model.events or [], model.end_time), max_marks=3500)
        assert len(binned.bins) <= 3500


def test_latency_histogram_counts_every_completed_request(two_requests) -> None:
    timelines = [build_timeline(m) for m in two_requests.models.values()]
    edges = latency_edges(timelines, bins=10)
    for model, timeline in zip(two_requests.models.values(), timelines, strict=True):
        hist = latency_histogram(timeline, edges)
        assert sum(b.count for b in hist) == model.metrics["requests"]["completed"] == 2
        # traditional: both cold (2.2 s each); fluid: the second joins or shares the core
        starts = {b.start for b in hist}
        assert starts <= {"warm", "cold", "joined"}


def test_break_even_interpolates_between_simulated_points() -> None:
    points = [
        SweepPoint(0.2, {"traditional": 10.0, "fluid": 4.0}),
        SweepPoint(0.6, {"traditional": 10.0, "fluid": 8.0}),
        SweepPoint(1.0, {"traditional": 10.0, "fluid": 12.0}),
    ]
    assert break_even(points) == BreakEven(0.8, "crosses")  # 8 -> 12 crosses 10 halfway
    cheaper = [SweepPoint(s, {"traditional": 10.0, "fluid": 1.0}) for s in (0.1, 1.0)]
    assert break_even(cheaper).status == "always_saves"
    dearer = [SweepPoint(s, {"traditional": 1.0, "fluid": 10.0}) for s in (0.1, 1.0)]
    assert break_even(dearer) == BreakEven(0.1, "never_saves")


def test_monthly_cost_is_the_simulated_bill_scaled_to_the_month() -> None:
    base = builtin_scenario(DEFAULT_SCENARIO)
    costs = monthly_costs(base, 2_592_000, sample=200)  # 1 request per second
    sample = traffic_sample(base, 2_592_000, 200)
    assert sample.workload.requests == 200
    assert sample.workload.arrivals.rate == pytest.approx(1.0)
    direct = simulate(sample, keep_events=False)
    for name, cost in costs.items():
        bill = direct.models[name].bill.total
        assert cost.monthly == pytest.approx(bill / 200 * 2_592_000, rel=1e-9)
        assert cost.per_million == pytest.approx(bill / 200 * 1e6, rel=1e-9)
        assert cost.prices.as_of  # every preset says when it was read


def test_sweep_against_lambda_prices_finds_a_break_even() -> None:
    base = builtin_scenario(DEFAULT_SCENARIO).with_changes(
        **{"platforms.traditional.prices": "aws-lambda-x86-us-east-1"}
    )
    points = cpu_share_sweep(base, 129_600, shares=(0.1, 0.5, 0.9, 1.0), sample=100)
    fluid = [p.per_million["fluid"] for p in points]
    assert fluid == sorted(fluid)  # more CPU, more active-CPU bill
    even = break_even(points)
    # Lambda x86 bills 2 GB x $0.06/GB-h = $0.12 per hour of wall clock; Fluid iad1 bills
    # $0.128 per CPU-hour + 2 GB x $0.0106 per GB-h in flight: equal near 0.12-0.02 / 0.128
    assert even.status == "crosses"
    assert even.cpu_share is not None and 0.6 < even.cpu_share < 0.95
    assert not math.isnan(even.cpu_share)
