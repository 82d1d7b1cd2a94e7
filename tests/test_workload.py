"""Durations, distributions, arrivals and percentiles: the inputs of every run."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from pydantic import TypeAdapter, ValidationError

from models.durations import Duration, parse_seconds
from models.quantiles import QuantileSketch
from models.requests import arrival_times, generate_requests
from tests.helpers import make_scenario

DURATION = TypeAdapter(Duration)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (0.25, 0.25),
        ("250ms", 0.25),
        ("2s", 2.0),
        ("1.5min", 90.0),
        ("1h", 3600.0),
        ("300us", 0.0003),
        (" 2 s ", 2.0),
        (3, 3.0),
    ],
)
def test_durations_parse(text, seconds) -> None:
    assert parse_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["-1s", "fast", "2 parsecs", True, None, float("nan")])
def test_bad_durations_are_refused(bad) -> None:
    with pytest.raises((ValueError, ValidationError)):
        DURATION.validate_python(bad)


@pytest.mark.parametrize(
    ("spec", "mean"),
    [
        ({"dist": "exponential", "mean": "2s"}, 2.0),
        ({"dist": "lognormal", "median": "100ms", "sigma": 0.5}, 0.1 * math.exp(0.125)),
        ({"dist": "uniform", "low": 1, "high": 3}, 2.0),
        ({"dist": "empirical", "percentiles": {0: 0, 50: 1, 100: 2}}, 1.0),
        ("45ms", 0.045),
    ],
)
def test_distributions_sample_their_mean_within_2_percent(spec, mean) -> None:
    dist = DURATION.validate_python(spec)
    assert dist.mean == pytest.approx(mean)
    rng = random.Random(1)
    sample = statistics.fmean(dist.sample(rng) for _ in range(100_000))
    assert sample == pytest.approx(mean, rel=0.02)


def test_empirical_follows_its_percentiles() -> None:
    dist = DURATION.validate_python(
        {"dist": "empirical", "percentiles": {0: 0.001, 50: 0.28, 99: 0.48, 100: 130}}
    )
    rng = random.Random(2)
    values = sorted(dist.sample(rng) for _ in range(50_000))
    assert values[len(values) // 2] == pytest.approx(0.28, rel=0.02)
    # between p50 and p99 the inverse CDF is linear: p90 = 0.28 + 0.20 * 0.40 / 0.49
    assert values[int(len(values) * 0.90)] == pytest.approx(0.28 + 0.2 * 0.4 / 0.49, rel=0.02)


def _rate(arrivals: dict, count: int = 20_000) -> float:
    scenario = make_scenario(work=[{"cpu": 0.01}], arrivals=arrivals, requests=count)
    times = [r.t for r in generate_requests(scenario)]
    return len(times) / times[-1]


def test_arrival_rates() -> None:
    assert _rate({"kind": "poisson", "rate": 5}) == pytest.approx(5, rel=0.03)
    assert _rate({"kind": "constant", "rate": 5}) == pytest.approx(5, rel=0.001)
    # bursts: 20/s for 60 s then 240 s off: 4/s on average
    assert _rate({"kind": "bursts", "rate": 20, "on": 60, "off": 240}) == pytest.approx(4, rel=0.05)
    # diurnal: over whole days the mean rate is mean_rate
    scenario = make_scenario(
        work=[{"cpu": 0.01}],
        requests=None,
        arrivals={"kind": "diurnal", "mean_rate": 0.5, "amplitude": 0.8, "period": 3600},
        workload_duration=None,
    )
    times = []
    for t in arrival_times(scenario.workload, random.Random(3)):
        if t > 36_000:
            break
        times.append(t)
    assert len(times) / 36_000 == pytest.approx(0.5, rel=0.04)

    def in_slot(h: int) -> int:
        return sum(1 for t in times if h * 150 <= t % 3600 < (h + 1) * 150)

    busiest = max(range(24), key=in_slot) * 150 + 75
    peak = (14 * 3600) % 3600  # peak_at, on this one-hour "day"
    assert min(abs(busiest - peak), 3600 - abs(busiest - peak)) <= 600


def test_bursts_leave_the_off_periods_empty() -> None:
    scenario = make_scenario(
        work=[{"cpu": 0.01}],
        requests=5000,
        arrivals={"kind": "bursts", "rate": 20, "on": 60, "off": 240},
    )
    assert all(r.t % 300 < 60 for r in generate_requests(scenario))


def test_route_weights_split_traffic() -> None:
    scenario = make_scenario(
        work=[{"cpu": 0.01}],
        arrivals={"kind": "poisson", "rate": 10},
        requests=20_000,
        workload_extra_routes=[{"name": "/b", "weight": 3, "work": [{"io": 0.1}]}],
    )
    routes = [r.route for r in generate_requests(scenario)]
    assert routes.count(1) / len(routes) == pytest.approx(0.75, abs=0.015)


def test_quantile_sketch_is_exact_then_within_half_a_percent() -> None:
    rng = random.Random(4)
    values = [rng.lognormvariate(0, 1) for _ in range(300_000)]
    sketch = QuantileSketch(exact_limit=1000)
    for v in values:
        sketch.add(v)
    ordered = sorted(values)
    for q in (0.5, 0.95, 0.99):
        truth = ordered[int(q * (len(ordered) - 1))]
        assert sketch.quantile(q) == pytest.approx(truth, rel=0.006)
    exact = QuantileSketch()
    for v in values[:999]:
        exact.add(v)
    assert exact.quantile(0.5) == statistics.median(values[:999])


def test_a_copied_sketch_is_independent() -> None:
    sketch = QuantileSketch(exact_limit=3)
    for v in (1.0, 2.0):
        sketch.add(v)
    twin = sketch.copy()
    for v in (10.0, 20.0, 30.0):  # the original goes over its exact limit, the twin does not
        sketch.add(v)
    assert (twin.count, twin.total, twin.quantile(1.0)) == (2, 3.0, 2.0)
    assert sketch.count == 5 and sketch.quantile(0.0) == pytest.approx(1.0, rel=0.006)


def test_ttfb_percentiles_when_only_some_routes_flush_early() -> None:
    """The collector keeps ttfb apart from latency only once one differs; the figures are the
    exact percentiles of (first byte - arrival), latency where nothing was flushed."""
    from models.events import FirstByte, RequestArrived, ResponseSent
    from models.loading import builtin_scenario
    from models.run import simulate_model

    result = simulate_model(builtin_scenario("lesson10-app"), "fluid")
    assert result.events is not None
    arrived: dict[int, float] = {}
    first: dict[int, float] = {}
    ttfb: list[float] = []
    for e in result.events:
        if isinstance(e, RequestArrived):
            arrived[e.request] = e.t
        elif isinstance(e, FirstByte):
            first.setdefault(e.request, e.t)
        elif isinstance(e, ResponseSent):
            ttfb.append(first.get(e.request, e.t) - arrived[e.request])
    ttfb.sort()
    assert len(ttfb) == result.metrics["requests"]["completed"]
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        pos = q * (len(ttfb) - 1)
        low = int(pos)
        truth = ttfb[low] + (ttfb[min(low + 1, len(ttfb) - 1)] - ttfb[low]) * (pos - low)
        assert result.metrics["ttfb_ms"][name] == pytest.approx(truth * 1000, abs=0.001)
    assert result.metrics["ttfb_ms"]["p50"] < result.metrics["latency_ms"]["p50"]


def test_poisson_on_one_route_takes_a_shortcut_to_the_same_requests() -> None:
    """A request count (no duration) takes ``_poisson_one_route``; a far-off duration forces
    the general loop: the same requests either way."""
    from lab.bench import classic_scenario

    scenario = classic_scenario(1.0, 2_000)
    general = scenario.with_changes(**{"workload.duration": 1e12})
    assert list(generate_requests(scenario)) == list(generate_requests(general))
