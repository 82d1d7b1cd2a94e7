"""The seeds' own figures, reproduced by the lab's runs (built-in scenarios, not pasted numbers)."""

from __future__ import annotations

import pytest

from models.loading import builtin_scenario
from models.run import simulate


@pytest.fixture(scope="module")
def ai_streaming():
    return simulate(builtin_scenario("ai-streaming"), keep_events=False)


def test_seed_1000_requests_of_20s_are_5_5_compute_hours_wall_clock(ai_streaming) -> None:
    # "1,000 daily requests = 5.5 compute-hours billed" (traditional, wall-clock): within 2 %
    hours = ai_streaming.models["traditional"].metrics["usage"]["wall_clock_hours"]
    assert ai_streaming.models["traditional"].metrics["requests"]["completed"] == 1000
    assert hours == pytest.approx(5.5, rel=0.02)


def test_seed_same_requests_are_0_55_hours_of_active_cpu(ai_streaming) -> None:
    # "1,000 daily requests = ~0.55 compute-hours billed" (active CPU): within 2 %
    hours = ai_streaming.models["fluid"].metrics["usage"]["active_cpu_hours"]
    assert hours == pytest.approx(0.55, rel=0.02)


def test_seed_ai_route_costs_about_90_percent_less_on_fluid(ai_streaming) -> None:
    # "reducing the cost of that invocation by 90%": the whole bill, memory included, must be
    # at least 85 % lower (the CPU part alone is 90 % lower by construction of the route)
    trad = ai_streaming.models["traditional"].bill.total
    fluid = ai_streaming.models["fluid"].bill.total
    assert 1 - fluid / trad >= 0.85
    assert fluid < trad


def test_seed_ai_route_is_20s_wall_and_2s_cpu(ai_streaming) -> None:
    trad = ai_streaming.models["traditional"].metrics
    assert trad["latency_ms"]["p50"] == pytest.approx(20_000, rel=0.01)
    assert trad["cpu_efficiency"] == pytest.approx(0.10, abs=0.005)
