"""The simpy engine and the plain heap loop drive the same platform core to the same events.

Every built-in scenario and Hypothesis-generated ones: the two drivers must emit the same events
in the same order (so the metrics and bills, functions of the events, are the same too).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.events import Event
from models.loading import builtin_scenarios
from models.requests import generate_requests
from models.run import simulate_model
from models.scenario import Scenario
from models.sim.engine import PlatformRun

BUILTINS = builtin_scenarios()
MOST_REQUESTS = 5_000
"""Built-ins with more requests are cut to this many (the same rules run; the test stays quick)."""


def events(scenario: Scenario, model: str, driver: Any) -> list[dict[str, Any]]:
    seen: list[Event] = []
    run = PlatformRun(scenario, model, seen.append, driver=driver)
    run.start(generate_requests(scenario, scenario.seed))
    run.run()
    return [e.to_dict() for e in seen]


def assert_same(scenario: Scenario) -> None:
    for model in scenario.platforms:
        simpy_events = events(scenario, model, "simpy")
        assert simpy_events, model
        assert events(scenario, model, "heap") == simpy_events, model


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_both_drivers_emit_the_same_events_on_every_builtin(name: str) -> None:
    scenario = BUILTINS[name]
    requests = scenario.workload.requests
    if requests is not None and requests > MOST_REQUESTS:
        scenario = scenario.with_changes(**{"workload.requests": MOST_REQUESTS})
    assert_same(scenario)


def test_aggregates_only_runs_use_the_heap_loop_with_the_same_report() -> None:
    scenario = BUILTINS["lesson07-bursts"]
    for model in scenario.platforms:
        heap = simulate_model(scenario, model, keep_events=False)
        simpy = simulate_model(scenario, model, keep_events=False, driver="simpy")
        assert heap.summary() == simpy.summary()


durations = st.one_of(
    st.sampled_from(["0s", "1ms", "10ms", "100ms", "1s"]),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.sampled_from([0.01, 0.2, 1.0])),
)
steps = st.lists(
    st.one_of(
        st.builds(lambda d: {"cpu": d}, durations), st.builds(lambda d: {"io": d}, durations)
    ),
    min_size=1,
    max_size=4,
)
policies = st.one_of(
    st.none(),
    st.builds(lambda k: {"kind": "fixed", "keep_alive": k}, st.sampled_from([0.0, 1.0, 30.0])),
    st.just({"kind": "scale_to_one", "keep_alive": 5.0}),
    st.builds(
        lambda n: {"kind": "hybrid", "bin": 1.0, "range": 60.0, "min_samples": n},
        st.integers(1, 5),
    ),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    preset = draw(st.sampled_from(["traditional", "fluid"]))
    platform: dict[str, Any] = {
        "keep_alive": draw(st.sampled_from([0.0, 0.5, 5.0, 60.0])),
        "keep_alive_policy": draw(policies),
        "prewarm": draw(st.integers(0, 2)),
        "min_instances": draw(st.integers(0, 2)),
        "max_instances": draw(st.one_of(st.none(), st.integers(1, 4))),
        "overflow": draw(st.sampled_from(["queue", "reject"])),
        "max_duration": draw(st.sampled_from([None, 0.05, 2.0])),
    }
    if platform["max_instances"] is not None:
        platform["min_instances"] = min(platform["min_instances"], platform["max_instances"])
    if preset == "fluid":
        platform["concurrency"] = draw(st.integers(1, 8))
    route: dict[str, Any] = {"name": "/r", "work": draw(steps)}
    if draw(st.booleans()):
        route["background"] = [{"io": "50ms"}]
    bundle = []
    if draw(st.booleans()):
        route["chunk"] = "page"
        bundle = [{"name": "fw", "size_kb": 100, "eager": True}, {"name": "page", "size_kb": 50}]
    data = {
        "name": "random",
        "seed": draw(st.integers(0, 10_000)),
        "workload": {
            "arrivals": {"kind": "poisson", "rate": draw(st.sampled_from([0.2, 2.0, 20.0]))},
            "requests": draw(st.integers(1, 60)),
            "routes": [route],
        },
        "function": {
            "vcpus": draw(st.sampled_from([0.5, 1.0, 2.0])),
            "runtime_init": draw(st.sampled_from(["0s", "100ms", "1s"])),
            "bundle": bundle,
        },
        "platforms": {preset: {k: v for k, v in platform.items() if v is not None}},
    }
    return Scenario.model_validate(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_both_drivers_emit_the_same_events_on_random_scenarios(scenario: Scenario) -> None:
    assert_same(scenario)


def test_a_run_in_steps_on_the_heap_loop_ends_as_one_run() -> None:
    """``lab sim`` on long runs advances in steps (for its progress bar): the same report."""
    scenario = BUILTINS["lesson02-gaps"]
    seen: list[int] = []
    for model in scenario.platforms:
        whole = simulate_model(scenario, model, keep_events=False)
        stepped = simulate_model(
            scenario, model, keep_events=False, progress=lambda _m, done, _t: seen.append(done)
        )
        assert stepped.summary() == whole.summary()
    assert len(seen) > 2
