"""The fast replay of one-request-per-instance platforms gives the simpy engine's totals.

Counts and every accumulated second are compared with ``==``: the fast path performs the same
floating-point operations in the same order as the engine and the metrics collector.
"""

from __future__ import annotations

from pathlib import Path

from models.durations import Exponential
from models.policies import HybridPolicy
from models.replay import ReplaySpec, Task, run_task, tasks_of
from models.replay.fast import applies
from tests.traces.conftest import SAMPLE_2019, SAMPLE_2021


def _both(spec: ReplaySpec) -> list[tuple[object, object]]:
    slow = spec.model_copy(update={"fast_path": False})
    pairs = []
    for task in tasks_of(spec):
        fast = run_task(task)
        exact = run_task(Task(task.fn, slow, task.model, task.policy))
        pairs.append((fast, exact))
    return pairs


def test_fast_replay_matches_simpy_exactly_on_the_2019_sample() -> None:
    spec = ReplaySpec(
        trace=str(SAMPLE_2019),
        hours=0.25,
        functions=["47658c9c", "308ecb6c", "cbf80865", "8203ff88", "02158978"],
        platforms={"traditional": {}},
        policies=["platform", "fixed-20min"],
    )
    pairs = _both(spec)
    assert len(pairs) == 10
    for fast, exact in pairs:
        assert fast.engine == "fast" and exact.engine == "simpy"  # type: ignore[attr-defined]
        assert fast.totals() == exact.totals()  # type: ignore[attr-defined]
    assert sum(f.cold_starts for f, _ in pairs) > 20  # type: ignore[attr-defined]


def test_fast_replay_matches_simpy_with_timeouts_billed_provisioning_and_2021_data() -> None:
    spec = ReplaySpec(
        trace=str(SAMPLE_2021),
        platforms={
            "traditional": {
                "max_duration": 2.0,
                "keep_alive": 30.0,
                "billed_phases": ["provision", "runtime_init", "module_init"],
            }
        },
        function={"provision": 0.05, "runtime_init": 0.2, "module_init": 0.3, "memory_mb": 512},
        cpu_share=0.3,
    )
    pairs = _both(spec)
    timed_out = sum(f.timed_out for f, _ in pairs)  # type: ignore[attr-defined]
    assert timed_out > 0
    for fast, exact in pairs:
        assert fast.totals() == exact.totals()  # type: ignore[attr-defined]


def test_the_fast_path_is_only_used_where_it_is_exact() -> None:
    template = ReplaySpec(trace=str(SAMPLE_2021)).template()
    assert applies(template.platforms["traditional"], template.function)
    assert not applies(template.platforms["fluid"], template.function)
    hybrid = template.platforms["traditional"].model_copy(
        update={"keep_alive_policy": HybridPolicy(kind="hybrid")}
    )
    assert not applies(hybrid, template.function)
    random_init = template.function.model_copy(
        update={"runtime_init": Exponential(dist="exponential", mean=0.2)}
    )
    assert not applies(template.platforms["traditional"], random_init)


def test_replay_of_a_function_with_no_invocations_is_all_zero(tmp_path: Path) -> None:
    spec = ReplaySpec(trace=str(SAMPLE_2019), hours=1, functions=["8203ff88"])
    for task in tasks_of(spec):
        result = run_task(task)
        assert result.invocations == 0 and result.cold_share == 0.0 and result.idle_s == 0.0


def test_fast_fluid_replay_matches_simpy_exactly_on_the_2019_sample() -> None:
    spec = ReplaySpec(
        trace=str(SAMPLE_2019),
        hours=0.1,
        functions=["47658c9c", "308ecb6c", "8203ff88", "02158978"],
        platforms={"fluid": {}, "small": {"preset": "fluid", "concurrency": 4, "keep_alive": 5}},
        cpu_share=0.9,
    )
    pairs = _both(spec)
    assert len(pairs) == 8
    for fast, exact in pairs:
        assert fast.engine == "fast" and exact.engine == "simpy"  # type: ignore[attr-defined]
        assert fast.totals() == exact.totals()  # type: ignore[attr-defined]
    assert max(f.instances_max for f, _ in pairs) > 3  # type: ignore[attr-defined]


def test_fast_fluid_replay_matches_simpy_with_joins_sharing_and_timeouts() -> None:
    spec = ReplaySpec(
        trace=str(SAMPLE_2021),
        platforms={"fluid": {"max_duration": 3.0, "concurrency": 3, "keep_alive": 20}},
        function={"provision": 0.05, "runtime_init": 0.2, "module_init": 0.3, "vcpus": 1.5},
        cpu_share=0.9,
    )
    pairs = _both(spec)
    assert sum(f.timed_out for f, _ in pairs) > 50  # type: ignore[attr-defined]
    for fast, exact in pairs:
        assert fast.totals() == exact.totals()  # type: ignore[attr-defined]


def test_fast_replay_matches_simpy_under_hybrid_and_scale_to_one(regular_trace: Path) -> None:
    for spec in (
        ReplaySpec(trace=str(regular_trace), policies=["hybrid", "scale-to-one"]),
        ReplaySpec(
            trace=str(SAMPLE_2019),
            hours=0.1,
            functions=["47658c9c", "cbf80865"],
            policies=["hybrid", "scale-to-one"],
        ),
    ):
        pairs = _both(spec)
        for fast, exact in pairs:
            assert fast.engine == "fast"  # type: ignore[attr-defined]
            assert fast.totals() == exact.totals()  # type: ignore[attr-defined]
    hybrid = [f for f, _ in _both(ReplaySpec(trace=str(regular_trace), policies=["hybrid"]))]
    assert sum(f.prewarmed for f in hybrid) == 2 * 86  # type: ignore[attr-defined]
