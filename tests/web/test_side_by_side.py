"""lab.side_by_side: the compared models simulated in worker processes give exactly what the
same runs give in this process, and a missing or broken pool falls back to this process."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import pytest

from lab import side_by_side
from lab.view import build_timeline
from lab.view.whatif import COMPARED, with_compared_models
from models.loading import builtin_scenario
from models.run import simulate


@pytest.fixture(scope="module")
def scenario() -> Any:
    return with_compared_models(
        builtin_scenario("db-api").with_changes(**{"workload.requests": 400})
    )


def _same_as_in_process(scenario: Any, run: Any, timelines: Any) -> None:
    here = simulate(scenario, models=COMPARED)
    assert list(run.models) == list(COMPARED)
    for name, model in here.models.items():
        got = run.models[name]
        assert got.events is None  # the events stay in the worker
        assert got.metrics == model.metrics
        assert got.bill.as_dict() == model.bill.as_dict()
        assert got.end_time == model.end_time
        expected = build_timeline(model.events or [], model.end_time)
        spans, want = timelines[name].columns, expected.columns
        assert spans.kinds == want.kinds
        for column in ("lane", "start", "end", "kind"):
            assert np.array_equal(getattr(spans, column), getattr(want, column))
        assert timelines[name].end_time == expected.end_time


def test_workers_give_what_this_process_gives(scenario: Any) -> None:
    if side_by_side._get_pool() is None:
        pytest.skip("this machine has one core or no forkserver: nothing runs in parallel")
    run, timelines = side_by_side.run_laid_out(scenario, COMPARED)
    _same_as_in_process(scenario, run, timelines)


def test_without_workers_the_models_run_here(
    scenario: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(side_by_side, "_get_pool", lambda: None)
    run, timelines = side_by_side.run_laid_out(scenario, COMPARED)
    _same_as_in_process(scenario, run, timelines)


def test_a_broken_pool_is_dropped_and_the_run_still_completes(
    scenario: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            raise BrokenProcessPool("a worker died")

        def shutdown(self, **kwargs: Any) -> None:
            pass

    monkeypatch.setattr(side_by_side, "_pool", Broken())
    run, timelines = side_by_side.run_laid_out(scenario, COMPARED)
    _same_as_in_process(scenario, run, timelines)
    assert side_by_side._pool is None  # a new pool is made next time
    assert "simulating in this process" in caplog.text
