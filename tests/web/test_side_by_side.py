"""lab.web.side_by_side: the compared models simulated in worker processes give exactly what the
same runs give in this process, and a missing or broken pool falls back to this process."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lab.view import build_timeline
from lab.view.whatif import COMPARED, with_compared_models
from lab.web import side_by_side
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


@pytest.fixture
def workers() -> list[Any]:
    """The running workers (started if need be)."""
    side_by_side.warm_up()
    if not side_by_side._pool:
        pytest.skip("this machine has one core: nothing runs in parallel")
    return side_by_side._pool


def test_workers_give_what_this_process_gives(scenario: Any, workers: list[Any]) -> None:
    run, timelines = side_by_side.run_laid_out(scenario, COMPARED)
    _same_as_in_process(scenario, run, timelines)
    assert all(w.process.poll() is None for w in workers)  # they answered, and still run


def test_without_workers_the_models_run_here(
    scenario: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(side_by_side, "_workers", lambda: [])
    run, timelines = side_by_side.run_laid_out(scenario, COMPARED)
    _same_as_in_process(scenario, run, timelines)


def test_a_worker_that_dies_is_dropped_and_the_run_still_completes(
    scenario: Any, workers: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    workers[0].process.kill()
    workers[0].process.wait()
    run, timelines = side_by_side.run_laid_out(scenario, COMPARED)
    _same_as_in_process(scenario, run, timelines)
    assert not side_by_side._pool  # dropped: new workers start next time
    assert "simulating in this process" in caplog.text
    run, timelines = side_by_side.run_laid_out(scenario, COMPARED)
    assert len(side_by_side._pool) == side_by_side.WORKERS
    _same_as_in_process(scenario, run, timelines)


def test_a_job_that_fails_in_a_worker_is_reported_and_run_here(
    scenario: Any, workers: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The worker answers with the error; the workers are let go (an answer may still be on its
    way from the other) and this process runs the models, which fails here the same way."""
    with pytest.raises(ValueError, match="unknown platform model"):
        side_by_side.run_laid_out(scenario, ["traditional", "no-such-model"])
    assert "worker failed: ValueError" in caplog.text
    assert not side_by_side._pool  # not trusted after a failure: fresh workers next time
