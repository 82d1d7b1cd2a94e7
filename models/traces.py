"""Streaming readers for the public Azure Functions traces (Azure Public Dataset, CC BY 4.0).

Two formats:

* **2019** (Shahrad et al., "Serverless in the Wild", USENIX ATC 2020): a directory with
  ``invocations*.csv`` (``HashOwner, HashApp, HashFunction, Trigger, 1 .. 1440``: invocations
  per minute of one day), ``*durations*.csv`` (``Average, Count, Minimum, Maximum,
  percentile_Average_0, _1, _25, _50, _75, _99, _100`` in milliseconds) and optionally
  ``*memory*.csv`` (``AverageAllocatedMb``, per function or per app).
* **2021** (Zhang et al., SOSP 2021): one CSV, one row per invocation: ``app, func,
  end_timestamp, duration`` in seconds; the invocation started at ``end_timestamp - duration``.

Memory stays bounded: the 2019 invocation file is read one function (one row) at a time; only
the small per-function duration and memory rows are indexed. A 2021 file is grouped by
function into compact arrays (16 bytes per invocation).

**Reconstructing a 2019 function** (the trace only has counts per minute and duration
percentiles), documented so anyone can redo it: a ``numpy`` PCG64 generator is seeded with
``(seed, first 8 bytes of sha256(function hash))``. The day is processed in blocks of
``BLOCK_MINUTES`` minutes; in each block, the arrival offsets of all its invocations are drawn
first (``uniform``: one uniform draw in ``[0, 60)`` s per invocation inside its minute, then
sorted; ``equidistant``: evenly spaced, no draw), then one uniform draw per invocation gives its
duration through the piecewise-linear inverse CDF of the published percentiles (p0, p1, p25,
p50, p75, p99, p100) -- the distribution of ``models.durations.Empirical`` -- except that the
last segment (p99 to p100) is bent, ``p99 + (p100 - p99) * s**k`` for ``s`` uniform in [0, 1),
with ``k`` chosen so the mean equals the published ``Average`` (a straight line there would
put 0.5 % of the calls at half the maximum and can triple the mean; wall-clock bills are
linear in the mean). ``k`` is clamped to [0.05, 1e6], so an impossible average is approached
as closely as the percentiles allow (``reconstructed_mean_ms``; a replay warns when that is
more than 5 % from the published average, ``models.replay.result.mean_warning``). Caveat:
the 2019 percentiles are of per-interval *averages* (weighted), so individual durations
spread more than this reconstruction does.

Every problem is a ``TraceError`` naming the file, line and column.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import math
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from models.durations import Empirical
from models.workload import TraceArrivals

TraceFormat = Literal["azure2019", "azure2021"]
WithinMinute = Literal["uniform", "equidistant"]
MINUTES = 1440
BLOCK_MINUTES = 60
PERCENTILES_2019 = (0.0, 1.0, 25.0, 50.0, 75.0, 99.0, 100.0)
_PCT_COLUMNS = tuple(f"percentile_Average_{p:g}" for p in PERCENTILES_2019)
_ID_2019 = ("HashOwner", "HashApp", "HashFunction")
_COLUMNS_2021 = ("app", "func", "end_timestamp", "duration")


class TraceError(ValueError):
    """A trace file that cannot be read, naming file, line and column."""


@dataclass(slots=True)
class FunctionTrace:
    """One function of a trace: what replay needs, and nothing per invocation for 2019."""

    key: str
    app: str
    format: TraceFormat
    trigger: str = ""
    memory_mb: float | None = None
    counts: list[int] | None = None
    """2019: invocations per minute, ``MINUTES`` of them."""
    duration_ms: dict[float, float] | None = None
    """2019: published duration percentiles in ms."""
    average_ms: float | None = None
    """2019: published mean duration in ms."""
    starts: array[float] = field(default_factory=lambda: array("d"))
    """2021: start times (s), sorted."""
    durations: array[float] = field(default_factory=lambda: array("d"))
    """2021: durations (s), in the order of ``starts``."""

    @property
    def name(self) -> str:
        """A short display name (the first 8 characters of the function hash)."""
        return self.key[:8]

    @property
    def invocations(self) -> int:
        return sum(self.counts) if self.counts is not None else len(self.starts)

    def duration_distribution(self) -> Empirical:
        """The 2019 percentiles as a duration distribution (seconds)."""
        if self.duration_ms is None:
            raise TraceError(f"function {self.name} has no duration percentiles")
        return Empirical(
            dist="empirical", percentiles={p: v / 1000.0 for p, v in self.duration_ms.items()}
        )


# --- CSV plumbing ---------------------------------------------------------------------


class _Csv:
    """A CSV file read row by row, with errors that name file, line and column."""

    def __init__(self, path: Path, required: tuple[str, ...]) -> None:
        if not path.is_file():
            raise TraceError(f"{path}: no such trace file")
        self.path = path
        self._handle = path.open(newline="", encoding="utf-8")
        self._reader = csv.reader(self._handle)
        try:
            self.header = next(self._reader)
        except StopIteration:
            self._handle.close()
            raise TraceError(f"{path}: empty file, expected a header row") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            self._handle.close()
            raise TraceError(f"{path}:1: not a readable CSV header ({exc})") from None
        self.index = {name.strip(): i for i, name in enumerate(self.header)}
        missing = [c for c in required if c not in self.index]
        if missing:
            self._handle.close()
            raise TraceError(
                f"{path}:1: missing column(s) {', '.join(map(repr, missing))}; "
                f"the header has {', '.join(map(repr, self.header[:8]))}"
                + (" ..." if len(self.header) > 8 else "")
            )

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.header)
        try:
            with self._handle:
                for row in self._reader:
                    line = self._reader.line_num
                    if not row:
                        continue
                    if len(row) != width:
                        self._wrong_width(line, row, width)
                    yield line, row
        except csv.Error as exc:
            raise TraceError(f"{self.path}:{self._reader.line_num}: bad CSV ({exc})") from None
        except UnicodeDecodeError as exc:
            raise TraceError(f"{self.path}: not UTF-8 text ({exc.reason})") from None

    def _wrong_width(self, line: int, row: list[str], width: int) -> None:
        if len(row) < width:
            column = self.header[len(row)]
            raise TraceError(
                f"{self.path}:{line}: truncated row: {len(row)} of {width} columns; "
                f"column {len(row) + 1} ({column!r}) and later are missing"
            )
        raise TraceError(f"{self.path}:{line}: {len(row)} columns, but the header has {width}")

    def where(self, line: int, column: int) -> str:
        return f"{self.path}:{line}, column {column + 1} ({self.header[column]!r})"

    def number(self, line: int, row: list[str], column: int, what: str) -> float:
        text = row[column]
        try:
            value = float(text)
        except ValueError:
            raise TraceError(f"{self.where(line, column)}: expected {what}, got {text!r}") from None
        if not math.isfinite(value):
            raise TraceError(f"{self.where(line, column)}: expected {what}, got {text!r}")
        if value < 0:
            raise TraceError(f"{self.where(line, column)}: {what} cannot be negative, got {text}")
        return value

    def counts(self, line: int, row: list[str], first: int) -> list[int]:
        try:
            values = [int(text) for text in row[first:]]
        except ValueError:
            for column in range(first, len(row)):
                text = row[column]
                try:
                    int(text)
                except ValueError:
                    raise TraceError(
                        f"{self.where(line, column)}: expected a whole number of invocations, "
                        f"got {text!r}"
                    ) from None
            raise  # pragma: no cover - int() failed above, so a column is found
        if min(values, default=0) < 0:
            column = first + next(i for i, v in enumerate(values) if v < 0)
            raise TraceError(
                f"{self.where(line, column)}: invocation counts cannot be negative, "
                f"got {row[column]}"
            )
        return values


# --- 2019 -----------------------------------------------------------------------------


def _find(directory: Path, pattern: str, what: str, required: bool = True) -> Path | None:
    matches = sorted(directory.glob(pattern))
    if not matches:
        if required:
            raise TraceError(f"{directory}: no {what} file ({pattern}) in this trace directory")
        return None
    return matches[0]


def files_2019(path: Path) -> tuple[Path, Path, Path | None]:
    """(invocations, durations, memory or None) of a 2019 trace directory."""
    if not path.exists():
        raise TraceError(f"{path}: no such trace directory")
    directory = path if path.is_dir() else path.parent
    invocations = path if path.is_file() else _find(directory, "invocations*.csv", "invocations")
    durations = _find(directory, "*duration*.csv", "durations")
    memory = _find(directory, "*memory*.csv", "memory", required=False)
    assert invocations is not None and durations is not None
    return invocations, durations, memory


def _durations_2019(path: Path) -> dict[str, tuple[dict[float, float], float]]:
    reader = _Csv(path, ("HashFunction", "Average", *_PCT_COLUMNS))
    key_col, avg_col = reader.index["HashFunction"], reader.index["Average"]
    columns = [reader.index[c] for c in _PCT_COLUMNS]
    table: dict[str, tuple[dict[float, float], float]] = {}
    for line, row in reader.rows():
        average = reader.number(line, row, avg_col, "a duration in ms")
        values = [reader.number(line, row, c, "a duration in ms") for c in columns]
        for (a, b), column in zip(itertools.pairwise(values), columns[1:], strict=True):
            if b < a:
                raise TraceError(
                    f"{reader.where(line, column)}: percentiles must not decrease, "
                    f"got {b:g} after {a:g}"
                )
        table[row[key_col]] = (dict(zip(PERCENTILES_2019, values, strict=True)), average)
    return table


def _memory_2019(path: Path | None) -> tuple[str, dict[str, float]]:
    """Memory per function (or per app, as in the full public dataset) in MB."""
    if path is None:
        return "none", {}
    reader = _Csv(path, ("HashApp", "AverageAllocatedMb"))
    level = "function" if "HashFunction" in reader.index else "app"
    key_col = reader.index["HashFunction" if level == "function" else "HashApp"]
    mb_col = reader.index["AverageAllocatedMb"]
    table = {}
    for line, row in reader.rows():
        value = reader.number(line, row, mb_col, "a memory size in MB")
        if value > 1_000_000:
            raise TraceError(f"{reader.where(line, mb_col)}: {value:g} MB: expected megabytes")
        table[row[key_col]] = value
    return level, table


@dataclass(slots=True)
class TraceSummary:
    """What a reader skipped, so a report can say so."""

    without_durations: int = 0
    functions: int = 0


def read_2019(
    path: Path | str, functions: set[str] | None = None, summary: TraceSummary | None = None
) -> Iterator[FunctionTrace]:
    """The functions of a 2019 trace, one at a time (``functions``: hashes or 8+ char prefixes).

    Functions with no durations row (the full dataset has some) are skipped and counted in
    ``summary``.
    """
    invocations, durations_path, memory_path = files_2019(Path(path))
    durations = _durations_2019(durations_path)
    level, memory = _memory_2019(memory_path)
    reader = _Csv(invocations, (*_ID_2019, "Trigger", "1", str(MINUTES)))
    first = reader.index["1"]
    if reader.header[first : first + MINUTES] != [str(m) for m in range(1, MINUTES + 1)]:
        raise TraceError(f"{invocations}:1: expected minute columns '1' .. '{MINUTES}' in order")
    app_col, fn_col = reader.index["HashApp"], reader.index["HashFunction"]
    trigger_col = reader.index["Trigger"]
    for line, row in reader.rows():
        key = row[fn_col]
        if functions is not None and not _selected(key, functions):
            continue
        counts = reader.counts(line, row, first)
        found = durations.get(key)
        if found is None:
            if summary is not None:
                summary.without_durations += 1
            continue
        if summary is not None:
            summary.functions += 1
        app = row[app_col]
        yield FunctionTrace(
            key=key,
            app=app,
            format="azure2019",
            trigger=row[trigger_col],
            memory_mb=memory.get(key if level == "function" else app),
            counts=counts,
            duration_ms=found[0],
            average_ms=found[1],
        )


def _selected(key: str, wanted: set[str]) -> bool:
    return key in wanted or any(len(w) >= 8 and key.startswith(w) for w in wanted)


def _function_rng(seed: int, key: str) -> np.random.Generator:
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, digest])))


def reconstruct_2019(
    fn: FunctionTrace, seed: int, within: WithinMinute = "uniform"
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of ``(arrival seconds, duration seconds)``, increasing in time (module doc)."""
    if fn.counts is None or fn.duration_ms is None:
        raise TraceError(f"function {fn.name} is not a 2019 trace function")
    rng = _function_rng(seed, fn.key)
    qs = np.array(PERCENTILES_2019) / 100.0
    vs = np.array([fn.duration_ms[p] for p in PERCENTILES_2019]) / 1000.0
    k = tail_exponent(fn)
    v99, v100 = vs[-2], vs[-1]
    counts = np.asarray(fn.counts, dtype=np.int64)
    for start in range(0, MINUTES, BLOCK_MINUTES):
        block = counts[start : start + BLOCK_MINUTES]
        total = int(block.sum())
        if total == 0:
            continue
        minutes = np.repeat(np.arange(start, start + len(block), dtype=np.float64), block)
        if within == "uniform":
            times = np.sort(60.0 * minutes + 60.0 * rng.random(total))
        else:
            # k-th of n arrivals in a minute at (k + 0.5) / n of it
            ends = np.cumsum(block)
            rank = np.arange(total) - np.repeat(ends - block, block)
            times = 60.0 * minutes + 60.0 * (rank + 0.5) / np.repeat(block, block)
        u = rng.random(total)
        durations = np.interp(u, qs, vs)
        tail = u > qs[-2]
        if k != 1.0 and tail.any():
            durations[tail] = v99 + (v100 - v99) * ((u[tail] - qs[-2]) / (1 - qs[-2])) ** k
        yield times, durations


def tail_exponent(fn: FunctionTrace) -> float:
    """``k`` of the p99..p100 segment so the reconstructed mean is the published average."""
    if fn.duration_ms is None or fn.average_ms is None:
        return 1.0
    qs = [p / 100.0 for p in PERCENTILES_2019]
    vs = [fn.duration_ms[p] for p in PERCENTILES_2019]
    body = sum(
        (q1 - q0) * (v0 + v1) / 2
        for q0, q1, v0, v1 in zip(qs[:-2], qs[1:-1], vs[:-2], vs[1:-1], strict=True)
    )
    width, v99, v100 = qs[-1] - qs[-2], vs[-2], vs[-1]
    if v100 <= v99:
        return 1.0
    segment_mean = (fn.average_ms - body) / width  # mean wanted between p99 and p100
    segment_mean = min(max(segment_mean, v99 + 1e-9 * (v100 - v99)), v100)
    k = (v100 - v99) / (segment_mean - v99) - 1.0
    return float(min(max(k, 0.05), 1e6))


def reconstructed_mean_ms(fn: FunctionTrace) -> float:
    """The mean duration (ms) the reconstruction draws from, for checks and reports."""
    assert fn.duration_ms is not None
    qs = [p / 100.0 for p in PERCENTILES_2019]
    vs = [fn.duration_ms[p] for p in PERCENTILES_2019]
    body = sum(
        (q1 - q0) * (v0 + v1) / 2
        for q0, q1, v0, v1 in zip(qs[:-2], qs[1:-1], vs[:-2], vs[1:-1], strict=True)
    )
    k = tail_exponent(fn)
    return body + (qs[-1] - qs[-2]) * (vs[-2] + (vs[-1] - vs[-2]) / (k + 1.0))


# --- 2021 -----------------------------------------------------------------------------


def rows_2021(path: Path | str) -> Iterator[tuple[str, str, float, float]]:
    """``(app, func, start, duration)`` per invocation, in file order, streamed."""
    path = Path(path)
    if path.is_dir():
        found = _find(path, "*.csv", "invocations")
        assert found is not None
        path = found
    reader = _Csv(path, _COLUMNS_2021)
    app_col, fn_col, end_col, dur_col = (reader.index[c] for c in _COLUMNS_2021)
    for line, row in reader.rows():
        end = reader.number(line, row, end_col, "an end time in seconds")
        duration = reader.number(line, row, dur_col, "a duration in seconds")
        if duration > end + 1e-6:
            raise TraceError(
                f"{reader.where(line, dur_col)}: duration {duration:g} s is longer than the "
                f"end timestamp {end:g} s, so the invocation would start before the trace; "
                "durations must be in seconds"
            )
        yield row[app_col], row[fn_col], max(0.0, end - duration), duration


def read_2021(path: Path | str, functions: set[str] | None = None) -> list[FunctionTrace]:
    """The functions of a 2021 trace, each with its invocations sorted by start time."""
    grouped: dict[str, FunctionTrace] = {}
    for app, func, start, duration in rows_2021(path):
        if functions is not None and not _selected(func, functions):
            continue
        fn = grouped.get(func)
        if fn is None:
            fn = grouped[func] = FunctionTrace(key=func, app=app, format="azure2021")
        fn.starts.append(start)
        fn.durations.append(duration)
    for fn in grouped.values():
        order = sorted(range(len(fn.starts)), key=fn.starts.__getitem__)
        fn.starts = array("d", (fn.starts[i] for i in order))
        fn.durations = array("d", (fn.durations[i] for i in order))
    return list(grouped.values())


def detect_format(path: Path | str) -> TraceFormat:
    """``azure2019`` for a directory (or invocations file) with minute columns, else 2021."""
    path = Path(path)
    if not path.exists():
        raise TraceError(f"{path}: no such trace file or directory")
    if path.is_dir():
        return "azure2019" if list(path.glob("*duration*.csv")) else "azure2021"
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    return "azure2019" if "HashFunction" in header else "azure2021"


def read_trace(
    path: Path | str, fmt: TraceFormat | None = None, functions: set[str] | None = None
) -> Iterator[FunctionTrace]:
    """The functions of any trace, in file order (2019 streams; 2021 groups first)."""
    fmt = fmt or detect_format(path)
    if fmt == "azure2019":
        yield from read_2019(path, functions)
    else:
        yield from read_2021(path, functions)


def invocations(
    fn: FunctionTrace, seed: int, within: WithinMinute = "uniform"
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of ``(start seconds, duration seconds)`` of one function, in time order."""
    if fn.format == "azure2019":
        yield from reconstruct_2019(fn, seed, within)
    elif len(fn.starts):
        yield (
            np.frombuffer(fn.starts, dtype=np.float64),
            np.frombuffer(fn.durations, dtype=np.float64),
        )


# --- the scenario seam (``TraceArrivals`` in a workload) ----------------------------------


def trace_arrival_times(spec: TraceArrivals, rng: random.Random) -> Iterator[float]:
    """Arrival times for a scenario whose workload replays a trace (one or all functions).

    2019: counts of the selected functions are summed per minute and spread uniformly at
    random inside each minute with ``rng``; 2021: the recorded starts, in order.
    """
    wanted = {spec.function} if spec.function else None
    if spec.format == "azure2021":
        starts = sorted(
            start
            for _a, func, start, _d in rows_2021(spec.path)
            if wanted is None or _selected(func, wanted)
        )
        yield from starts
        return
    path = Path(spec.path)
    directory_like = path.is_dir() or _find(path.parent, "*duration*.csv", "", required=False)
    totals = [0] * MINUTES
    if directory_like:
        functions = read_2019(path, wanted)
        for fn in functions:
            assert fn.counts is not None
            totals = [a + b for a, b in zip(totals, fn.counts, strict=True)]
    else:  # a lone invocations file
        reader = _Csv(path, ("HashFunction", "1", str(MINUTES)))
        first, fn_col = reader.index["1"], reader.index["HashFunction"]
        for line, row in reader.rows():
            if wanted is None or _selected(row[fn_col], wanted):
                counts = reader.counts(line, row, first)
                totals = [a + b for a, b in zip(totals, counts[:MINUTES], strict=True)]
    for minute, count in enumerate(totals):
        yield from sorted(60.0 * minute + 60.0 * rng.random() for _ in range(count))
