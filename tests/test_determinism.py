"""Same seed, same run; different seed, different arrivals; events alone give the bill."""

from __future__ import annotations

import io
import json

import pytest

from models.events import read_jsonl, write_jsonl
from models.loading import builtin_scenario
from models.requests import generate_requests
from models.run import measure, simulate


@pytest.mark.parametrize("name", ["ai-streaming", "db-api", "image-resize", "home-blog"])
def test_same_seed_gives_identical_json(name: str) -> None:
    scenario = builtin_scenario(name)
    first = json.dumps(simulate(scenario, keep_events=False).to_json())
    second = json.dumps(simulate(scenario, keep_events=False).to_json())
    assert first == second


def test_different_seeds_give_different_arrivals() -> None:
    scenario = builtin_scenario("db-api")
    a = [r.t for r in generate_requests(scenario, seed=1)][:50]
    b = [r.t for r in generate_requests(scenario, seed=2)][:50]
    assert a != b
    assert simulate(scenario, seed=1).to_json() != simulate(scenario, seed=2).to_json()


def test_every_model_sees_the_same_requests() -> None:
    result = simulate(builtin_scenario("db-api"))
    arrivals = {
        name: [(e.t, e.request, e.route) for e in r.events if e.kind == "request_arrived"]
        for name, r in result.models.items()
    }
    assert arrivals["traditional"] == arrivals["fluid"]


def test_keep_events_and_aggregates_only_agree() -> None:
    scenario = builtin_scenario("db-api")
    kept = simulate(scenario, keep_events=True).to_json()
    streamed = simulate(scenario, keep_events=False).to_json()
    assert kept == streamed


def test_bill_from_events_read_back_from_jsonl_equals_the_simulated_bill(tmp_path) -> None:
    scenario = builtin_scenario("ai-streaming").with_changes(**{"workload.requests": 100})
    result = simulate(scenario)
    path = tmp_path / "events.jsonl"
    with path.open("w") as handle:
        for name, model in result.models.items():
            write_jsonl(model.events or [], handle, model=name)
    by_model: dict[str, list] = {}
    for name, event in read_jsonl(path):
        by_model.setdefault(str(name), []).append(event)
    for name, model in result.models.items():
        again = measure(by_model[name], scenario, name)
        assert again.summary() == model.summary()


def test_events_are_time_ordered_and_every_request_ends_once() -> None:
    result = simulate(builtin_scenario("db-api"))
    for model in result.models.values():
        times = [e.t for e in model.events]
        assert times == sorted(times)
        ends: dict[int, int] = {}
        for e in model.events:
            if e.kind in {
                "response_sent",
                "request_timed_out",
                "request_failed",
                "request_rejected",
            }:
                ends[e.request] = ends.get(e.request, 0) + 1
        assert len(ends) == model.metrics["requests"]["total"]
        assert set(ends.values()) == {1}


def test_jsonl_is_one_object_per_line() -> None:
    result = simulate(builtin_scenario("home-blog").with_changes(**{"workload.requests": 5}))
    buffer = io.StringIO()
    count = write_jsonl(result.models["fluid"].events or [], buffer)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == count
    assert all(json.loads(line)["kind"] for line in lines)
