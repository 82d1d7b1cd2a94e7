"""Keep-alive policies: the engine hook, and the hybrid histogram policy's known answers.

The synthetic traces below are 2021-format files (exact start times) of one function whose
calls last 1 s. A cold start costs 0.4 s (0.3 s runtime start + 0.1 s module init, the replay
default) before the call runs, so a cold call ends 1.4 s after it arrives, a warm one 1.0 s.
Memory is the default 256 MB, so idle GB-s = idle seconds / 4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.policies import HistogramRuntime, HybridPolicy
from models.replay import FunctionResult, ReplaySpec, replay
from models.run import simulate
from tests.helpers import make_scenario
from tests.traces.conftest import write_2021

FOUR_HOURS = 4 * 3600.0


def _by_policy(trace: Path, policies: list[str], **extra: Any) -> dict[str, FunctionResult]:
    spec = ReplaySpec(trace=str(trace), platforms={"traditional": {}}, policies=policies, **extra)
    return {policy: total for (_model, policy), total in replay(spec).totals().items()}


def _periodic(tmp_path: Path, period: float, calls: int) -> Path:
    rows = [("app", "periodic", k * period + 0.5, 1.0) for k in range(calls)]
    return write_2021(tmp_path / f"every-{period:g}s.csv", rows)


# --- the histogram, call by call -------------------------------------------------------------


def test_histogram_windows_follow_the_paper_on_regular_idle_times() -> None:
    policy = HistogramRuntime(HybridPolicy(kind="hybrid"))
    assert policy.windows == (0.0, FOUR_HOURS)  # nothing learnt: keep the app for the range
    for _ in range(9):
        policy.observe(899.0)
    assert policy.pattern() == "learning"
    assert policy.compute_windows() == (0.0, FOUR_HOURS)  # 9 < min_samples: the fallback
    policy.observe(899.0)
    assert policy.pattern() == "histogram"
    prewarm, keep = policy.compute_windows()
    # idle times in the 14th one-minute bin: head = 14 min - 10 %, tail = 15 min + 10 %
    assert prewarm == pytest.approx(14 * 60 * 0.9)
    assert keep == pytest.approx(15 * 60 * 1.1 - 14 * 60 * 0.9)


def test_the_fallback_is_the_histogram_range_unless_set() -> None:
    assert HybridPolicy(kind="hybrid").fallback == FOUR_HOURS
    assert HybridPolicy(kind="hybrid", range="2h").fallback == 7200.0
    set_to = HybridPolicy(kind="hybrid", fallback_keep_alive="10min")
    assert set_to.fallback == 600.0
    assert HistogramRuntime(set_to).compute_windows() == (0.0, 600.0)


def test_a_spare_instance_is_kept_for_the_window_or_the_spare_keep_alive() -> None:
    """An instance that goes idle while other requests run is a spare, not an idle app."""
    policy = HistogramRuntime(HybridPolicy(kind="hybrid"))
    assert policy.on_idle(0.0, in_flight=1) == (0.0, 600.0)  # learning: not the 4 h range
    assert policy.on_idle(0.0, in_flight=0) == (0.0, FOUR_HOURS)  # the function went idle
    for _ in range(10):
        policy.observe(899.0)
    prewarm, keep = policy.windows
    assert policy.on_idle(1.0, in_flight=2) == (0.0, prewarm + keep)  # not unloaded
    custom = HistogramRuntime(HybridPolicy(kind="hybrid", spare_keep_alive="1min"))
    assert custom.on_idle(0.0, in_flight=1) == (0.0, 60.0)


def test_spread_out_idle_times_are_not_representative() -> None:
    policy = HistogramRuntime(HybridPolicy(kind="hybrid"))
    for minute in range(240):  # one idle time in every bin: CV = 0
        policy.observe(minute * 60.0 + 30.0)
    assert not policy.representative() and policy.pattern() == "uncertain"
    assert policy.compute_windows() == (0.0, FOUR_HOURS)


def test_idle_times_beyond_the_range_use_the_smoothed_forecast() -> None:
    """Out of bounds: pre-warm at 85 % of the forecast, keep for 30 % of it (margin 15 %)."""
    policy = HistogramRuntime(HybridPolicy(kind="hybrid"))
    for _ in range(10):
        policy.observe(21_600.0)  # every 6 hours, beyond the 4-hour range
    assert policy.pattern() == "out_of_bounds"
    assert policy.forecast == 21_600.0  # smoothing a constant gives the constant
    assert policy.compute_windows() == pytest.approx((0.85 * 21_600.0, 0.30 * 21_600.0))
    policy.observe(14_000.0)  # in range, but 10 of 11 are still beyond it
    assert policy.pattern() == "out_of_bounds"
    assert policy.forecast == pytest.approx(0.5 * 14_000.0 + 0.5 * 21_600.0)
    # at most half beyond the range: the histogram decides again (here, one idle time in one
    # bin among 240 has a CV far above 2)
    tolerant = HistogramRuntime(HybridPolicy(kind="hybrid", max_out_of_bounds=1.0))
    for _ in range(10):
        tolerant.observe(21_600.0)
    assert tolerant.pattern() == "out_of_bounds"  # nothing in range: nothing to read
    tolerant.observe(600.0)
    assert tolerant.pattern() == "histogram"


# --- replays where the right answer is known ----------------------------------------------------


def test_hybrid_beats_both_fixed_policies_on_regular_half_hour_idle_times(tmp_path: Path) -> None:
    """A call every 30 min for two days (96 calls at k * 1800 + 0.5 s): both timeouts miss.

    fixed-10min / fixed-20min: each idle time (1798.6 s after a cold call) exceeds the
    timeout, so all 96 calls start cold and every instance idles its full timeout before it is
    recycled: 96 * 600 = 57,600 s and 96 * 1200 = 115,200 s.

    hybrid: while learning (the first 10 idle times, after calls 0..9) the paper's fallback
    keeps the instance for the histogram range (4 h), so calls 1..10 are warm; the instance
    idles the whole gap: 1800.5 - 1.9 = 1798.6 s after the cold call 0, then 1799.0 s nine
    times. From the 10th idle time on, the histogram (all in bin [29, 30) min) gives pre-warm
    = 29 min * 0.9 = 1566 s and keep-alive = 30 min * 1.1 - 1566 = 414 s: after each call
    (ending at k * 1800 + 1.5) the instance is unloaded, a new one starts at + 1566 s, is
    ready 0.4 s later, and idles 1800.5 - 1567.9 = 232.6 s until the next call (85 times);
    the one pre-warmed after the last call idles its 414 s. So 1 cold start, 86 pre-warms,
    and 1798.6 + 9 * 1799 + 85 * 232.6 + 414 = 38,174.6 s idle (9,543.65 GB-s at 256 MB).
    """
    totals = _by_policy(_periodic(tmp_path, 1800.0, 96), ["fixed-10min", "fixed-20min", "hybrid"])
    fixed10, fixed20, hybrid = (totals[p] for p in ("fixed-10min", "fixed-20min", "hybrid"))
    assert fixed10.invocations == fixed20.invocations == hybrid.invocations == 96
    assert fixed10.cold_starts == fixed20.cold_starts == 96
    assert fixed10.idle_s == pytest.approx(96 * 600.0, rel=1e-9)
    assert fixed20.idle_s == pytest.approx(96 * 1200.0, rel=1e-9)
    assert hybrid.cold_starts == 1 and hybrid.prewarmed == 86
    expected = 1798.6 + 9 * 1799.0 + 85 * 232.6 + 414.0
    assert hybrid.idle_s == pytest.approx(expected, rel=1e-9)
    assert hybrid.idle_gb_s == pytest.approx(expected / 4, rel=1e-9)
    # the paper's trade-off: fewer cold starts for less wasted memory, against both baselines
    for fixed in (fixed10, fixed20):
        assert hybrid.cold_starts <= fixed.cold_starts
        assert hybrid.idle_gb_s <= fixed.idle_gb_s


def test_hybrid_is_no_worse_than_either_fixed_policy_every_15_minutes(regular_trace: Path) -> None:
    """A call every 15 min for a day (96 calls): fixed-20min catches them all, 10min none.

    fixed-10min: 96 cold, 96 * 600 = 57,600 s idle. fixed-20min: 1 cold; the instance idles
    every gap (898.6 s after the cold call, then 899 s 94 times) and its last 1200 s:
    86,604.6 s. hybrid: 1 cold (the 4-hour fallback while learning); 898.6 + 9 * 899 s while
    learning; then pre-warm 14 min * 0.9 = 756 s, keep-alive 15 min * 1.1 - 756 = 234 s, so
    900.5 - (1.5 + 756 + 0.4) = 142.6 s idle before each of the 85 later calls and 234 s after
    the last: 8,989.6 + 85 * 142.6 + 234 = 21,344.6 s.
    """
    totals = _by_policy(regular_trace, ["fixed-10min", "fixed-20min", "hybrid"])
    fixed10, fixed20, hybrid = (totals[p] for p in ("fixed-10min", "fixed-20min", "hybrid"))
    assert (fixed10.cold_starts, fixed20.cold_starts, hybrid.cold_starts) == (96, 1, 1)
    assert hybrid.prewarmed == 86  # 85 used, 1 after the last call
    assert fixed10.idle_s == pytest.approx(57_600.0, rel=1e-9)
    assert fixed20.idle_s == pytest.approx(898.6 + 94 * 899.0 + 1200.0, rel=1e-9)
    assert hybrid.idle_s == pytest.approx(898.6 + 9 * 899.0 + 85 * 142.6 + 234.0, rel=1e-9)
    for fixed in (fixed10, fixed20):
        assert hybrid.cold_starts <= fixed.cold_starts and hybrid.idle_s <= fixed.idle_s


def test_spread_idle_times_lose_the_pattern_once_enough_bins_fill() -> None:
    """The CV of the bin counts is high while few bins are filled (k bins of one count among
    240: CV = sqrt(240 / k - 1)), so spread-out idle times only read as "no pattern" from the
    49th distinct bin on (CV 1.97 < 2); 120 bins of two counts end at CV 1."""
    order = [0, 119, *range(1, 119)]
    policy = HistogramRuntime(HybridPolicy(kind="hybrid"))
    states = [policy.state]
    for m in order * 2:
        policy.observe(m * 60.0 + 29.0)
        states.append(policy.state)
    assert states == ["learning"] * 10 + ["histogram"] * 39 + ["uncertain"] * 192
    assert policy.windows == (0.0, FOUR_HOURS)


def test_without_a_pattern_the_fallback_keeps_the_function_for_the_range(tmp_path: Path) -> None:
    """Gaps of m min + 30 s, m = 1..120, twice (241 calls of 1 s; idle times m min + 29 s).

    With ``min_samples = 60`` the policy learns for 60 idle times, then sees 60 bins of one
    count (CV sqrt(240 / 60 - 1) = 1.73 < 2; at most ~1.1 afterwards): never representative,
    so the paper's fallback applies throughout -- no pre-warm, keep-alive = the 4-hour range.
    Every gap is shorter than 4 h: only the first call is cold, nothing is pre-warmed, and the
    instance idles every gap in full (gap - 1 s, the first gap - 1.4 s) plus 4 h after the
    last call. fixed-10min is cold after every gap of 10 min or more (m >= 10: 111 per pass)
    and on the first call; a 10-minute fallback makes this hybrid exactly fixed-10min.
    """
    gaps = [m * 60.0 + 30.0 for _ in range(2) for m in range(1, 121)]
    starts = [0.5]
    for gap in gaps:
        starts.append(starts[-1] + gap)
    trace = write_2021(tmp_path / "spread.csv", [("app", "spread", t, 1.0) for t in starts])

    def hybrid(**knobs: object) -> FunctionResult:
        policy = {"kind": "hybrid", "min_samples": 60, **knobs}
        spec = ReplaySpec(
            trace=str(trace), platforms={"traditional": {"keep_alive_policy": policy}}
        )
        [result] = replay(spec).functions
        return result

    result = hybrid()
    assert result.pattern == "uncertain" and result.idle_periods == 240
    assert (result.prewarm_s, result.keep_alive_s) == (0.0, FOUR_HOURS)
    assert result.cold_starts == 1 and result.prewarmed == 0
    expected = sum(gaps) - 240 * 1.0 - 0.4 + FOUR_HOURS
    assert result.idle_s == pytest.approx(expected, rel=1e-9)
    fixed10 = _by_policy(trace, ["fixed-10min"])["fixed-10min"]
    assert fixed10.cold_starts == 1 + 2 * 111
    short = hybrid(fallback_keep_alive="10min")
    assert short.cold_starts == fixed10.cold_starts
    assert short.idle_s == pytest.approx(fixed10.idle_s, rel=1e-12)


def test_idle_times_beyond_the_range_are_forecast_and_pre_warmed(tmp_path: Path) -> None:
    """A call every 6 h (20 calls): every idle time is beyond the 4-hour range.

    fixed-10min and fixed-20min: all 20 calls cold. hybrid: while learning (10 idle times)
    the 4-hour fallback also misses, so calls 0..10 are cold; from then on (all idle times out
    of bounds) the smoothed forecast (~21,599 s) pre-warms 0.85 * forecast after each call and
    keeps it for 0.30 * forecast, a window around the next call: calls 11..19 are warm.
    The price is memory: 4 h held after each of the 10 learning calls, and ~15 % of each later
    gap -- the paper's forecast margin -- so hybrid idles more here than the fixed timeouts.
    """
    trace = _periodic(tmp_path, 21_600.0, 20)
    totals = _by_policy(trace, ["fixed-10min", "fixed-20min", "hybrid"])
    assert totals["fixed-10min"].cold_starts == totals["fixed-20min"].cold_starts == 20
    hybrid = totals["hybrid"]
    assert hybrid.cold_starts == 11 and hybrid.prewarmed == 10  # 9 used, 1 after the last
    spec = ReplaySpec(trace=str(trace), platforms={"traditional": {}}, policies=["hybrid"])
    [result] = replay(spec).functions
    assert result.pattern == "out_of_bounds" and result.idle_periods == 19
    forecast = result.prewarm_s / 0.85
    assert forecast == pytest.approx(21_599.0, abs=0.5)
    assert result.keep_alive_s == pytest.approx(0.30 * forecast)
    # 10 learning idles of 4 h, 9 pre-warmed waits of gap - (1 s + 0.85 * forecast + 0.4 s)
    # (forecast between 21,598.6 and 21,599 s), and the last pre-warmed instance's window
    low = 10 * FOUR_HOURS + 9 * (21_600.0 - 1.4 - 0.85 * 21_599.0) + 0.30 * 21_598.6
    high = 10 * FOUR_HOURS + 9 * (21_600.0 - 1.4 - 0.85 * 21_598.6) + 0.30 * 21_599.0
    assert low - 1e-6 <= result.idle_s <= high + 1e-6


def test_scale_to_one_keeps_the_last_instance(regular_trace: Path) -> None:
    totals = _by_policy(regular_trace, ["scale-to-one"])
    total = totals["scale-to-one"]
    assert total.cold_starts == 1
    assert total.instances_started == 1


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
