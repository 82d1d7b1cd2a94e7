"""Keep-alive policies: the engine hook, and the hybrid histogram policy's known answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.policies import HistogramRuntime, HybridPolicy
from models.replay import ReplaySpec, replay
from models.run import simulate
from tests.helpers import make_scenario


def _by_policy(trace: Path, policies: list[str], **extra: object) -> dict[str, object]:
    spec = ReplaySpec(trace=str(trace), platforms={"traditional": {}}, policies=policies, **extra)
    return {policy: total for (_model, policy), total in replay(spec).totals().items()}


def test_histogram_windows_follow_the_paper_on_regular_idle_times() -> None:
    policy = HistogramRuntime(HybridPolicy(kind="hybrid"))
    for _ in range(9):
        policy.observe(899.0)
    assert policy.compute_windows() == (0.0, 600.0)  # 9 < min_samples: fixed fallback
    policy.observe(899.0)
    prewarm, keep = policy.compute_windows()
    # idle times in the 14th one-minute bin: head = 14 min - 10 %, tail = 15 min + 10 %
    assert prewarm == pytest.approx(14 * 60 * 0.9)
    assert keep == pytest.approx(15 * 60 * 1.1 - 14 * 60 * 0.9)


def test_spread_out_idle_times_are_not_representative() -> None:
    policy = HistogramRuntime(HybridPolicy(kind="hybrid"))
    for minute in range(240):  # one idle time in every bin: CV = 0
        policy.observe(minute * 60.0 + 30.0)
    assert not policy.representative()
    assert policy.compute_windows() == (0.0, 600.0)


def test_hybrid_beats_fixed_on_regular_idle_times(regular_trace: Path) -> None:
    """Every 15 min: a 10-min keep-alive misses them all; the histogram learns to pre-warm."""
    totals = _by_policy(regular_trace, ["fixed-10min", "fixed-20min", "hybrid"])
    fixed10, fixed20, hybrid = (totals[p] for p in ("fixed-10min", "fixed-20min", "hybrid"))
    assert fixed10.invocations == hybrid.invocations == 96  # type: ignore[attr-defined]
    assert fixed10.cold_starts == 96  # type: ignore[attr-defined]
    assert fixed20.cold_starts == 1  # type: ignore[attr-defined]
    # cold until 10 idle times are known (1 + 10 arrivals), then pre-warmed before each call
    assert hybrid.cold_starts == 11  # type: ignore[attr-defined]
    assert hybrid.prewarmed == 86  # type: ignore[attr-defined]  # 85 used, 1 after the last call
    # ...and it holds memory for less time than either fixed policy
    assert hybrid.idle_s < 0.5 * fixed10.idle_s  # type: ignore[attr-defined]
    assert hybrid.idle_s < 0.25 * fixed20.idle_s  # type: ignore[attr-defined]
    # 10 fixed-fallback idles of 600 s; then ready 756.4 s after each call ends, 142.6 s before
    # the next (142.2 s after the 11th, cold, call which ended 0.4 s later); the last
    # pre-warmed instance waits out its 234 s keep-alive window
    expected = 10 * 600 + (899 - 0.4 - 756.4) + 84 * (899 - 756.4) + (990 - 756)
    assert hybrid.idle_s == pytest.approx(expected, rel=1e-6)  # type: ignore[attr-defined]


def test_scale_to_one_keeps_the_last_instance(regular_trace: Path) -> None:
    totals = _by_policy(regular_trace, ["scale-to-one"])
    total = totals["scale-to-one"]
    assert total.cold_starts == 1  # type: ignore[attr-defined]
    assert total.instances_started == 1  # type: ignore[attr-defined]


def test_a_fixed_policy_is_the_plain_keep_alive_event_for_event() -> None:
    work = [{"cpu": {"dist": "exponential", "mean": 0.05}}]
    arrivals = {"kind": "poisson", "rate": 0.02}
    plain = make_scenario(work, arrivals, 300, platforms={"traditional": {"keep_alive": 120}})
    policy = make_scenario(
        work,
        arrivals,
        300,
        platforms={
            "traditional": {
                "keep_alive": 5,
                "keep_alive_policy": {"kind": "fixed", "keep_alive": "2min"},
            }
        },
    )
    a = simulate(plain).models["traditional"]
    b = simulate(policy).models["traditional"]
    assert a.events == b.events
    assert a.metrics["cold_starts"] > 10
