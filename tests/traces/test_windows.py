"""Trace windows: a run of minute columns, several day files as one trace, --from/--to cuts.

Every expected figure is a hand count of the rows written here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.traces import (
    MINUTES,
    TraceError,
    Window,
    read_2019,
    read_2021,
    read_trace,
    reconstruct_2019,
)
from tests.traces.conftest import write_2021

DURATIONS_HEADER = (
    "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
    "percentile_Average_1,percentile_Average_25,percentile_Average_50,"
    "percentile_Average_75,percentile_Average_99,percentile_Average_100"
)


def write_days(
    directory: Path,
    days: dict[int, dict[str, dict[int, int]]],
    first: int = 1,
    last: int = MINUTES,
) -> Path:
    """Public-style day files: ``{day: {function: {minute (1-based): count}}}``, minute
    columns ``first`` .. ``last``; app = function name with an ``app-`` prefix."""
    directory.mkdir(parents=True, exist_ok=True)
    header = "HashOwner,HashApp,HashFunction,Trigger," + ",".join(
        str(m) for m in range(first, last + 1)
    )
    for day, functions in days.items():
        lines = [header]
        durations = [DURATIONS_HEADER]
        for name, counts in functions.items():
            cells = [str(counts.get(m, 0)) for m in range(first, last + 1)]
            lines.append(f"owner,app-{name},{name},http," + ",".join(cells))
            durations.append(f"owner,app-{name},{name},100,1,50,200,50,55,80,100,120,190,200")
        suffix = f".anon.d{day:02d}.csv" if len(days) > 1 or day != 0 else ".csv"
        (directory / f"invocations_per_function_md{suffix}").write_text("\n".join(lines) + "\n")
        (directory / f"function_durations_percentiles{suffix}").write_text(
            "\n".join(durations) + "\n"
        )
    return directory


def test_a_window_of_minute_columns_480_to_959_is_read_at_its_place_in_the_day(
    tmp_path: Path,
) -> None:
    # minute columns are 1-based: column '480' is minute 479 (0-based), 7:59 to 8:00
    directory = write_days(
        tmp_path / "w", {0: {"f1": {480: 3, 481: 1, 959: 2}, "f2": {700: 5}}}, 480, 959
    )
    functions = {f.key: f for f in read_2019(directory)}
    assert [f.invocations for f in functions.values()] == [6, 5]
    f1 = functions["f1"]
    assert f1.start_minute == 479 and f1.counts is not None and len(f1.counts) == 480
    times = np.concatenate([t for t, _ in reconstruct_2019(f1, seed=0)])
    assert np.bincount((times // 60).astype(int)).tolist()[479:] == [3, 1] + [0] * 477 + [2]
    assert times.min() >= 479 * 60 and times.max() < 959 * 60


def test_two_day_files_read_as_one_trace_with_counts_running_across_the_days(
    tmp_path: Path,
) -> None:
    directory = write_days(
        tmp_path / "d",
        {
            1: {"f1": {1: 2, 1440: 1}, "f2": {10: 4}},
            2: {"f1": {1: 7}, "f3": {60: 1}},
        },
    )
    functions = {f.key: f for f in read_2019(directory)}
    assert sorted(functions) == ["f1", "f2", "f3"]
    assert {k: f.invocations for k, f in functions.items()} == {"f1": 10, "f2": 4, "f3": 1}
    f1 = functions["f1"].counts
    assert f1 is not None and len(f1) == 2 * MINUTES
    assert (f1[0], f1[1439], f1[1440]) == (2, 1, 7)
    f3 = functions["f3"].counts
    assert f3 is not None and f3[MINUTES + 59] == 1 and sum(f3[:MINUTES]) == 0
    # the first 16 hours of day two, cut with a window
    cut = {
        f.key: f.invocations
        for f in read_2019(directory, window=Window(86_400.0, 86_400.0 + 960 * 60))
    }
    assert cut == {"f1": 7, "f2": 0, "f3": 1}


def test_from_and_to_cut_whole_minutes_of_a_day(tmp_path: Path) -> None:
    directory = write_days(tmp_path / "c", {0: {"f1": {m: 1 for m in range(1, MINUTES + 1)}}})
    # 8h..16h: minutes 480..959 (0-based), 480 of them
    (fn,) = read_2019(directory, window=Window(8 * 3600.0, 16 * 3600.0))
    assert fn.start_minute == 480 and fn.invocations == 480
    (head,) = read_trace(directory, window=Window(None, 90.0))  # minute 0 only
    assert head.invocations == 1


def test_windows_outside_the_trace_and_gaps_between_days_are_clear_errors(
    tmp_path: Path,
) -> None:
    directory = write_days(tmp_path / "e", {0: {"f1": {1: 1}}})
    with pytest.raises(TraceError, match="--from 30h is at or after the end of the trace"):
        list(read_2019(directory, window=Window(30 * 3600.0)))
    with pytest.raises(TraceError, match="must be after --from"):
        list(read_2019(directory, window=Window(3600.0, 60.0)))
    gap = write_days(tmp_path / "g", {1: {"f1": {1: 1}}, 3: {"f1": {1: 1}}})
    with pytest.raises(TraceError, match="follow each other, found d01, d03"):
        list(read_2019(gap))
    broken = write_days(tmp_path / "b", {0: {"f1": {1: 1}}}, 1, 10)
    path = broken / "invocations_per_function_md.csv"
    path.write_text(path.read_text().replace(",3,4,", ",4,3,", 1))
    with pytest.raises(TraceError, match="one contiguous run in order"):
        list(read_2019(broken))


def test_a_2021_time_range_keeps_the_invocations_starting_inside_it(tmp_path: Path) -> None:
    rows = [("a", "f", 10.0, 1.0), ("a", "f", 3600.0, 1.0), ("a", "g", 7199.0, 2.0)]
    path = write_2021(tmp_path / "r.csv", rows)
    assert sum(f.invocations for f in read_2021(path, window=Window(3600.0, 7200.0))) == 2
    assert sum(f.invocations for f in read_2021(path, window=Window(None, 3600.0))) == 1


def test_hours_count_from_the_start_of_the_window() -> None:
    from models.replay.spec import ReplaySpec

    assert ReplaySpec(trace="t", start="8h", hours=1).horizon == 9 * 3600.0
    assert ReplaySpec(trace="t", start="8h", end="8.5h", hours=1).horizon == 8.5 * 3600.0
    assert ReplaySpec(trace="t", hours=2).horizon == 7200.0
    with pytest.raises(ValueError, match="end"):
        ReplaySpec(trace="t", start="9h", end="8h")
