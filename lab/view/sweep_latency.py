"""The CPU-share sweep with its latency: "cheaper" always next to what it costs in p99.

Same points as ``lab.view.sweep.cpu_share_sweep`` (the same traffic sample, each request's
work reshaped from waiting to computing), simulated once each; every point keeps the bill per
million requests *and* each model's p99 latency, so the bill page can draw the break-even curve
with the latency beside it (fluid's saving comes from requests sharing a CPU, which shows in the
tail as the work becomes CPU-bound).
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.view.sweep import SHARES, SweepPoint, traffic_sample
from lab.view.whatif import COMPARED, with_io_share
from models.run import simulate
from models.scenario import Scenario


@dataclass(frozen=True, slots=True)
class LatencyPoint:
    cpu_share: float
    p99_ms: dict[str, float]
    """p99 latency of the completed requests, by model."""


def cost_and_latency_sweep(
    scenario: Scenario,
    requests_per_month: float,
    shares: tuple[float, ...] = SHARES,
    sample: int = 300,
) -> tuple[list[SweepPoint], list[LatencyPoint]]:
    """Cost per million requests and p99 latency of each model, at each CPU share."""
    base = traffic_sample(scenario, requests_per_month, sample)
    costs: list[SweepPoint] = []
    latencies: list[LatencyPoint] = []
    for share in shares:
        result = simulate(with_io_share(base, 1.0 - share), models=COMPARED, keep_events=False)
        per_million = {}
        p99 = {}
        for name, model in result.models.items():
            arrived = max(1, model.metrics["requests"]["total"])
            per_million[name] = model.bill.total / arrived * 1e6
            p99[name] = float(model.metrics["latency_ms"]["p99"])
        costs.append(SweepPoint(share, per_million))
        latencies.append(LatencyPoint(share, p99))
    return costs, latencies
