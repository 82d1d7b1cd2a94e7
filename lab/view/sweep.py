"""Monthly bills of a traffic pattern, and the CPU share where Fluid stops saving.

Both come from the simulator, never from a formula written here:

* ``monthly_costs`` simulates a sample of the traffic (the same mean rate, so instances pack
  as they would all month) and scales each model's bill by requests per month / requests
  simulated.
* ``cpu_share_sweep`` reshapes the work (``lab.view.whatif.with_io_share``) from mostly waiting
  to all CPU and simulates each point; ``break_even`` reads off where the two cost curves cross,
  interpolating linearly between simulated points.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from lab.view.whatif import COMPARED, apply_knobs, read_knobs, with_compared_models, with_io_share
from models.prices import PriceList
from models.run import simulate
from models.scenario import Scenario

MONTH_S = 30 * 86_400.0
"""A billing month: 30 days."""

SHARES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""CPU shares the break-even sweep simulates by default."""


@dataclass(frozen=True, slots=True)
class ModelCost:
    model: str
    monthly: float
    """USD per month."""
    components: dict[str, float]
    """USD per month, by bill component."""
    per_million: float
    """USD per million requests."""
    prices: PriceList
    sample_requests: int


def traffic_sample(scenario: Scenario, requests_per_month: float, sample: int) -> Scenario:
    """The scenario's work and platforms, arriving at ``requests_per_month``; ``sample`` of them."""
    scenario = with_compared_models(scenario)
    rate = requests_per_month / MONTH_S
    knobs = read_knobs(scenario)
    if knobs.rate is None or knobs.requests is None:
        scenario = scenario.with_changes(
            **{
                "workload.arrivals": {"kind": "poisson", "rate": rate},
                "workload.requests": sample,
                "workload.duration": None,
            }
        )
        return scenario
    return apply_knobs(scenario, replace(knobs, rate=rate, requests=sample))


def _costs(scenario: Scenario, scale_to: float | None) -> dict[str, ModelCost]:
    result = simulate(scenario, models=COMPARED, keep_events=False)
    costs = {}
    for name, model in result.models.items():
        arrived = max(1, model.metrics["requests"]["total"])
        factor = (scale_to or arrived) / arrived
        costs[name] = ModelCost(
            model=name,
            monthly=model.bill.total * factor,
            components={k: v * factor for k, v in model.bill.components.items()},
            per_million=model.bill.total / arrived * 1e6,
            prices=model.bill.prices,
            sample_requests=arrived,
        )
    return costs


def monthly_costs(
    scenario: Scenario, requests_per_month: float, sample: int = 1000
) -> dict[str, ModelCost]:
    """Each compared model's monthly bill for this traffic, from a simulated sample."""
    return _costs(traffic_sample(scenario, requests_per_month, sample), requests_per_month)


@dataclass(frozen=True, slots=True)
class SweepPoint:
    cpu_share: float
    per_million: dict[str, float]
    """USD per million requests, by model."""


def cpu_share_sweep(
    scenario: Scenario,
    requests_per_month: float,
    shares: tuple[float, ...] = SHARES,
    sample: int = 300,
) -> list[SweepPoint]:
    """Cost per million requests of each model as the work goes from waiting to computing."""
    base = traffic_sample(scenario, requests_per_month, sample)
    points = []
    for share in shares:
        costs = _costs(with_io_share(base, 1.0 - share), None)
        points.append(SweepPoint(share, {name: c.per_million for name, c in costs.items()}))
    return points


@dataclass(frozen=True, slots=True)
class BreakEven:
    cpu_share: float | None
    """Where ``model`` stops being cheaper than ``against`` (None: it never does here)."""
    status: str
    """``crosses``, ``always_saves`` (cheaper over the whole sweep) or ``never_saves``."""
    model: str = "fluid"
    against: str = "traditional"


def break_even(
    points: list[SweepPoint], model: str = "fluid", against: str = "traditional"
) -> BreakEven:
    """The first CPU share at which ``model`` costs as much as ``against`` (interpolated)."""
    gaps = [(p.cpu_share, p.per_million[model] - p.per_million[against]) for p in points]
    if not gaps:
        return BreakEven(None, "always_saves", model, against)
    if gaps[0][1] >= 0:
        return BreakEven(gaps[0][0], "never_saves", model, against)
    for (s0, g0), (s1, g1) in itertools.pairwise(gaps):
        if g0 < 0 <= g1:
            share = s0 + (s1 - s0) * (-g0) / (g1 - g0)
            return BreakEven(share, "crosses", model, against)
    return BreakEven(None, "always_saves", model, against)
