"""The simulator against results nobody here chose: queueing theory's closed forms.

Tolerances are relative and stated per test; runs are long enough that the statistical error
is a fraction of the tolerance.
"""

from __future__ import annotations

import math

from models.run import simulate
from tests.helpers import make_scenario

FOREVER = 10**9


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/G/c/c (Erlang's loss formula), by the stable recursion."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def test_erlang_b_rejected_share_matches_within_2_percent() -> None:
    rate, mean_service, servers = 2.0, 2.0, 5
    scenario = make_scenario(
        work=[{"io": {"dist": "exponential", "mean": mean_service}}],
        arrivals={"kind": "poisson", "rate": rate},
        requests=200_000,
        platforms={
            "traditional": {
                "keep_alive": FOREVER,
                "max_instances": servers,
                "overflow": "reject",
                "max_duration": FOREVER,
            }
        },
    )
    metrics = simulate(scenario, keep_events=False).models["traditional"].metrics
    rejected = metrics["requests"]["rejected"] / metrics["requests"]["total"]
    expected = erlang_b(servers, rate * mean_service)
    assert abs(rejected - expected) / expected < 0.02, (rejected, expected)


def test_sparse_traffic_cold_start_probability_within_3_percent() -> None:
    # One request per instance, exponential service of mean S, keep-alive T, Poisson rate lam:
    # the next request is cold when it comes after the instance has expired, which happens
    # with probability exp(-lam*T) * mu / (mu + lam). (It can also find the instance still
    # busy, with probability lam / (lam + mu) = 0.3 % here: inside the tolerance.)
    lam, service, keep_alive = 1 / 300, 1.0, 300.0
    scenario = make_scenario(
        work=[{"io": {"dist": "exponential", "mean": service}}],
        arrivals={"kind": "poisson", "rate": lam},
        requests=30_000,
        platforms={"traditional": {"keep_alive": keep_alive}},
    )
    metrics = simulate(scenario, keep_events=False).models["traditional"].metrics
    mu = 1 / service
    expected = math.exp(-lam * keep_alive) * mu / (mu + lam)
    assert abs(metrics["cold_start_rate"] - expected) / expected < 0.03, (
        metrics["cold_start_rate"],
        expected,
    )


def test_littles_law_mean_instances_within_2_percent() -> None:
    rate, mean_service = 5.0, 2.0
    scenario = make_scenario(
        work=[{"io": {"dist": "exponential", "mean": mean_service}}],
        arrivals={"kind": "poisson", "rate": rate},
        requests=200_000,
        platforms={"traditional": {"keep_alive": 0, "max_duration": FOREVER}},
    )
    metrics = simulate(scenario, keep_events=False).models["traditional"].metrics
    expected = rate * mean_service
    assert abs(metrics["instances"]["mean"] - expected) / expected < 0.02


def test_littles_law_for_requests_in_flight_on_fluid() -> None:
    # L = lambda * W holds for any work-conserving system: time-average requests in flight
    # = arrival rate x mean latency, here measured on a packed fluid platform (5 %).
    rate = 4.0
    scenario = make_scenario(
        work=[
            {"cpu": {"dist": "exponential", "mean": 0.05}},
            {"io": {"dist": "exponential", "mean": 0.5}},
        ],
        arrivals={"kind": "poisson", "rate": rate},
        requests=50_000,
        platforms={"fluid": {"keep_alive": FOREVER, "concurrency": 8}},
    )
    metrics = simulate(scenario, keep_events=False).models["fluid"].metrics
    mean_latency_s = metrics["latency_ms"]["mean"] / 1000
    in_flight = metrics["requests_in_flight_mean"]
    assert abs(in_flight - rate * mean_latency_s) / (rate * mean_latency_s) < 0.05
