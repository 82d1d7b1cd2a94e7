"""Replays and sweeps on Dask give exactly the single-process numbers (one local cluster)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.replay import ReplaySpec, replay
from models.replay.executor import ExecutorError, run_tasks
from models.sweep import SweepSpec, run_sweep
from tests.traces.conftest import SAMPLE_2019

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One two-worker local cluster for the module, closed afterwards."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # a free loopback port: no clash, no warning
        silence_logs=40,
    ) as cluster:
        yield cluster.scheduler_address


def test_replay_on_dask_equals_the_single_process_run(scheduler: str) -> None:
    spec = ReplaySpec(trace=str(SAMPLE_2019), hours=0.2, policies=["platform", "hybrid"])
    serial = replay(spec)
    seen: list[tuple[int, int]] = []
    on_dask = replay(
        spec,
        "dask",
        scheduler=scheduler,
        progress=lambda d, n: seen.append((d, n)),
        stream=False,  # every function read first: progress knows the total
    )
    assert [r.totals() for r in on_dask.functions] == [r.totals() for r in serial.functions]
    assert {k: v.totals() for k, v in on_dask.totals().items()} == {
        k: v.totals() for k, v in serial.totals().items()
    }
    assert len(serial.functions) == 10 * 2 * 2
    assert seen[-1] == (40, 40) and len(seen) == 40


def test_sweep_on_dask_equals_the_single_process_run(scheduler: str) -> None:
    spec = SweepSpec(
        name="t",
        replay=ReplaySpec(trace=str(SAMPLE_2019), hours=0.1, functions=["47658c9c", "cbf80865"]),
        grid={"platforms.fluid.concurrency": [1, 8], "cpu_share": [0.2, 0.8]},
        seeds=[1, 2],
    )
    serial = run_sweep(spec)
    on_dask = run_sweep(spec, engine="dask", scheduler=scheduler)
    assert on_dask == serial
    assert len(serial) == 4 * 2 * 2  # points x seeds x models, summed over functions


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("models.replay.executor.CONNECT_TIMEOUT", "1s")
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        run_tasks(abs, [1], "dask", scheduler="tcp://127.0.0.1:9")


def test_a_streamed_replay_on_dask_equals_the_single_process_run(
    scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = ReplaySpec(trace=str(SAMPLE_2019), hours=0.1, policies=["fixed-10min", "hybrid"])
    serial = replay(spec, stream=False)
    seen: list[tuple[int, int]] = []
    streamed = replay(spec, "dask", scheduler=scheduler, progress=lambda d, n: seen.append((d, n)))
    assert [r.totals() for r in streamed.functions] == [r.totals() for r in serial.functions]
    assert seen[-1] == (40, 0)  # streamed: no total known ahead
    # a read-ahead smaller than the trace: still every task, in task order
    monkeypatch.setattr("models.replay.executor.LOOKAHEAD", 3)
    short = replay(spec, "dask", scheduler=scheduler)
    assert [r.totals() for r in short.functions] == [r.totals() for r in serial.functions]


def test_a_streamed_sweep_on_dask_equals_the_materialised_one(scheduler: str) -> None:
    spec = SweepSpec(
        name="s",
        replay=ReplaySpec(trace=str(SAMPLE_2019), hours=0.05, platforms={"traditional": {}}),
        grid={"platforms.traditional.keep_alive": ["1min", 30]},
        seeds=[0, 1],
        per_function=True,
    )
    whole = run_sweep(spec, stream=False)
    streamed = run_sweep(spec, engine="dask", scheduler=scheduler)
    assert streamed == whole
    assert [(r["point"], r["seed"]) for r in whole][::10] == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_lab_replay_with_scheduler_prints_the_serial_numbers(scheduler: str) -> None:
    import json

    from typer.testing import CliRunner

    from lab.cli import app
    from tests.traces.conftest import SAMPLE_2021

    runner = CliRunner()
    args = ["replay", str(SAMPLE_2021), "--json", "-p", "hybrid"]
    serial = runner.invoke(app, [*args, "--serial"])
    on_dask = runner.invoke(app, [*args, "--scheduler", scheduler])
    assert serial.exit_code == on_dask.exit_code == 0, on_dask.output
    assert json.loads(on_dask.stdout) == json.loads(serial.stdout)
