"""Streaming readers of the 2019 and 2021 Azure Functions formats, and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lab.cli import app
from models.traces import (
    MINUTES,
    TraceError,
    detect_format,
    read_2019,
    read_2021,
    reconstruct_2019,
    reconstructed_mean_ms,
)
from tests.traces.conftest import SAMPLE_2019, SAMPLE_2021, write_2019, write_2021

runner = CliRunner()


def test_2019_sample_reads_the_published_numbers() -> None:
    functions = list(read_2019(SAMPLE_2019))
    assert len(functions) == 10
    first = functions[0]
    assert first.name == "47658c9c" and first.trigger == "http"
    assert first.invocations == 281_962
    assert first.memory_mb == 204.0
    assert first.duration_ms == {0: 1, 1: 247, 25: 269, 50: 282, 75: 304, 99: 481, 100: 130686}
    assert sum(f.invocations for f in functions) == 13_037_064
    assert detect_format(SAMPLE_2019) == "azure2019"


def test_2019_reconstruction_keeps_every_minute_count_and_is_seeded() -> None:
    fn = next(f for f in read_2019(SAMPLE_2019) if f.name == "e72c1540")
    blocks = list(reconstruct_2019(fn, seed=7))
    times = np.concatenate([t for t, _ in blocks])
    durations = np.concatenate([d for _, d in blocks])
    assert np.all(np.diff(times) >= 0)
    per_minute = np.bincount((times // 60).astype(int), minlength=MINUTES)
    assert per_minute.tolist() == fn.counts
    assert fn.duration_ms is not None
    assert (
        durations.min() >= fn.duration_ms[0] / 1000
        and durations.max() <= fn.duration_ms[100] / 1000
    )
    # the sample mean is the reconstruction's mean, within 2 % over 575,863 draws
    assert durations.mean() * 1000 == pytest.approx(reconstructed_mean_ms(fn), rel=0.02)
    again = np.concatenate([t for t, _ in reconstruct_2019(fn, seed=7)])
    other = np.concatenate([t for t, _ in reconstruct_2019(fn, seed=8)])
    assert np.array_equal(times, again) and not np.array_equal(times, other)


def test_2019_tail_is_fit_to_the_published_average_when_it_can_be() -> None:
    fn = next(f for f in read_2019(SAMPLE_2019) if f.name == "47658c9c")
    # a straight p99..p100 segment would give 955 ms; the trace says 306 ms
    assert reconstructed_mean_ms(fn) == pytest.approx(306.0, rel=1e-6)


def test_equidistant_arrivals_are_evenly_spread_inside_each_minute(tmp_path: Path) -> None:
    fn = next(read_2019(write_2019(tmp_path / "t", [[4, 0, 2]])))
    times = np.concatenate([t for t, _ in reconstruct_2019(fn, 0, "equidistant")])
    assert times.tolist() == [7.5, 22.5, 37.5, 52.5, 135.0, 165.0]


def test_2021_sample_starts_are_end_minus_duration() -> None:
    functions = read_2021(SAMPLE_2021)
    assert sum(f.invocations for f in functions) == 199
    assert len(functions) == 31
    first = next(f for f in functions if f.key.startswith("e3cdb488"))
    assert first.starts[0] == pytest.approx(0.07949090003967285 - 0.078)
    for fn in functions:
        assert list(fn.starts) == sorted(fn.starts)
    assert detect_format(SAMPLE_2021) == "azure2021"


def _bad_2019(tmp_path: Path, mutate: str) -> Path:
    directory = write_2019(tmp_path / "bad", [[1, 2, 3], [4, 5, 6]])
    path = directory / "invocations.csv"
    lines = path.read_text().splitlines()
    if mutate == "truncated":
        lines[2] = lines[2][: len(lines[2]) // 2].rsplit(",", 1)[0]
    elif mutate == "text":
        cells = lines[1].split(",")
        cells[4 + 12] = "lots"
        lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return directory


BAD_CASES = [
    ("truncated", ["invocations.csv:3", "truncated row", "column"]),
    ("text", ["invocations.csv:2, column 17 ('13')", "whole number of invocations", "'lots'"]),
]


@pytest.mark.parametrize(("mutate", "fragments"), BAD_CASES)
def test_bad_2019_rows_name_file_line_and_column(
    tmp_path: Path, mutate: str, fragments: list[str]
) -> None:
    directory = _bad_2019(tmp_path, mutate)
    with pytest.raises(TraceError) as caught:
        list(read_2019(directory))
    for fragment in fragments:
        assert fragment in str(caught.value)
    result = runner.invoke(app, ["replay", str(directory), "--serial"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr.replace("\n", ""), result.stderr


def _negative_2021(tmp_path: Path) -> Path:
    path = write_2021(tmp_path / "neg.csv", [("a", "f", 1.0, 0.5), ("a", "f", 2.0, 0.5)])
    lines = path.read_text().splitlines()
    lines[2] = "a,f,2.5,-0.5"
    path.write_text("\n".join(lines) + "\n")
    return path


def _missing_column(tmp_path: Path) -> Path:
    path = tmp_path / "cols.csv"
    path.write_text("app,func,end_timestamp\na,f,1.0\n")
    return path


def _milliseconds(tmp_path: Path) -> Path:
    path = tmp_path / "ms.csv"
    path.write_text("app,func,end_timestamp,duration\na,f,10.0,250\n")
    return path


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (_negative_2021, ["neg.csv:3, column 4 ('duration')", "cannot be negative", "-0.5"]),
        (_missing_column, ["cols.csv:1", "missing column(s) 'duration'"]),
        (_milliseconds, ["ms.csv:2, column 4 ('duration')", "must be in seconds"]),
        (lambda p: p / "nowhere.csv", ["nowhere.csv", "no such trace file"]),
    ],
)
def test_bad_2021_files_give_clear_errors_and_exit_2(
    tmp_path: Path, make: object, fragments: list[str]
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    if path.exists():
        with pytest.raises(TraceError) as caught:
            read_2021(path)
        for fragment in fragments:
            assert fragment in str(caught.value)
    result = runner.invoke(app, ["replay", str(path), "--serial"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr.replace("\n", ""), result.stderr


def test_a_negative_count_and_a_missing_durations_file_are_errors(tmp_path: Path) -> None:
    directory = write_2019(tmp_path / "neg", [[1, 2, 3]])
    path = directory / "invocations.csv"
    path.write_text(path.read_text().replace("http,1,2,3", "http,1,-2,3"))
    with pytest.raises(TraceError, match=r"invocations.csv:2, column 6 \('2'\).*negative"):
        list(read_2019(directory))
    (directory / "durations.csv").unlink()
    with pytest.raises(TraceError, match="no durations file"):
        list(read_2019(directory))


def test_the_2019_reader_streams_in_bounded_memory(tmp_path: Path) -> None:
    """1,000 functions (a 5 MB day): reading them one at a time never holds them all."""
    import tracemalloc

    rng = np.random.default_rng(1)
    directory = write_2019(
        tmp_path / "big", [rng.poisson(0.3, MINUTES).tolist() for _ in range(1000)]
    )
    tracemalloc.start()
    count = invocations = 0
    for fn in read_2019(directory):
        count += 1
        invocations += fn.invocations
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 1000 and invocations > 0
    # one function's counts are ~60 kB as Python objects; all 1,000 would be over 50 MB
    assert peak < 5_000_000, peak


def test_a_scenario_workload_can_replay_a_trace_through_the_streaming_readers() -> None:
    from models.requests import generate_requests
    from tests.helpers import make_scenario

    work = [{"cpu": "10ms"}]
    whole = make_scenario(work, {"kind": "trace", "path": str(SAMPLE_2021), "format": "azure2021"})
    assert sum(1 for _ in generate_requests(whole)) == 199
    one = make_scenario(
        work,
        {"kind": "trace", "path": str(SAMPLE_2019), "format": "azure2019", "function": "cbf80865"},
    )
    times = [r.t for r in generate_requests(one)]
    assert len(times) == 30_527 and times == sorted(times)
