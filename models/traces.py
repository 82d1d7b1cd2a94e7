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
``(seed, first 8 bytes of sha256(function hash))``. The function's minutes (a day, a window of
one, or several days) are processed in blocks of ``BLOCK_MINUTES`` minutes from its first
minute (so a window is drawn afresh, not cut from the whole day's draws); in each block, the
arrival offsets of all its invocations are drawn first (``uniform``: one uniform draw in ``[0,
60)`` s per invocation inside its minute, then sorted; ``equidistant``: evenly spaced, no
draw), then one uniform draw per invocation gives its duration through the piecewise-linear
inverse CDF of the published percentiles (p0, p1, p25, p50, p75, p99, p100) -- the distribution
of ``models.durations.Empirical`` -- except that the last segment (p99 to p100) is bent, ``p99
+ (p100 - p99) * s**k`` for ``s`` uniform in [0, 1), with ``k`` chosen so the mean equals the
published ``Average`` (a straight line there would put 0.5 % of the calls at half the maximum
and can triple the mean; wall-clock bills are linear in the mean). ``k`` is clamped to [0.05,
1e6], so an impossible average is approached as closely as the percentiles allow
(``reconstructed_mean_ms``; a replay warns when that is more than 5 % from the published
average, ``models.replay.result.mean_warning``). Caveat: the 2019 percentiles are of
per-interval *averages* (weighted), so individual durations spread more than this
reconstruction does.

**Windows**: a 2019 invocations file may hold any contiguous run of minute columns (``'480'``
.. ``'959'``), a directory several consecutive day files (``d01`` .. ``d14`` of the public
dataset, read as one trace); ``Window`` cuts any trace to ``[start, end)`` seconds, counted from
the start of its first day file (2019) or of the 2021 trace's clock.

Every problem is a ``TraceError`` naming the file, line and column.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import math
import random
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    """2019: invocations per minute, from minute ``start_minute`` on."""
    duration_ms: dict[float, float] | None = None
    """2019: published duration percentiles in ms."""
    average_ms: float | None = None
    """2019: published mean duration in ms."""
    starts: array[float] = field(default_factory=lambda: array("d"))
    """2021: start times (s), sorted."""
    durations: array[float] = field(default_factory=lambda: array("d"))
    """2021: durations (s), in the order of ``starts``."""
    start_minute: int = 0
    """2019: the minute (0-based, from the start of the first day file) of ``counts[0]``."""

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

    def close(self) -> None:
        self._handle.close()

    def check_width(self, line: int, row: list[str]) -> None:
        if len(row) != len(self.header):
            self._wrong_width(line, row, len(self.header))

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


_DAY_RE = re.compile(r"(?:^|[._-])d(\d{1,2})(?=[._-]|$)")


def _day_of(path: Path) -> int | None:
    """The day number in a public file name (``...anon.d03.csv`` -> 3), if any."""
    match = _DAY_RE.search(path.stem)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class Day2019:
    """One day file of a 2019 trace, with the durations and memory files of that day."""

    day: int | None
    invocations: Path
    durations: Path
    memory: Path | None


def _same_day(directory: Path, pattern: str, day: int | None) -> list[Path]:
    found = sorted(directory.glob(pattern))
    if day is not None:
        of_day = [f for f in found if _day_of(f) == day]
        return of_day or [f for f in found if _day_of(f) is None] or found
    return found


def days_2019(path: Path) -> list[Day2019]:
    """The day files of a 2019 trace, in day order (one for a single-day directory).

    The public dataset names them ``invocations_per_function_md.anon.d01.csv`` ... ``d14``,
    ``function_durations_percentiles.anon.d01.csv`` ... and ``app_memory_percentiles.anon.
    d01.csv`` ... (memory for days 1-12 only). The days of one trace must follow each other.
    """
    if not path.exists():
        raise TraceError(f"{path}: no such trace directory")
    directory = path if path.is_dir() else path.parent
    files = [path] if path.is_file() else sorted(directory.glob("invocations*.csv"))
    if not files:
        raise TraceError(
            f"{directory}: no invocations file (invocations*.csv) in this trace directory"
        )
    numbered = {f: _day_of(f) for f in files}
    if len(files) > 1 and any(d is None for d in numbered.values()):
        raise TraceError(
            f"{directory}: several invocations files, but not all name their day "
            f"(d01 .. d14): {', '.join(f.name for f in files)}"
        )
    files.sort(key=lambda f: numbered[f] or 0)
    days = [numbered[f] for f in files]
    if len(files) > 1:
        numbers = [d for d in days if d is not None]
        if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            raise TraceError(
                f"{directory}: day files must follow each other, found "
                + ", ".join(f"d{d:02d}" for d in numbers)
            )
    out = []
    for f, day in zip(files, days, strict=True):
        durations = _same_day(directory, "*duration*.csv", day)
        if not durations:
            raise TraceError(
                f"{directory}: no durations file (*duration*.csv) in this trace directory"
            )
        memory = _same_day(directory, "*memory*.csv", day)
        out.append(Day2019(day, f, durations[0], memory[0] if memory else None))
    return out


def files_2019(path: Path) -> tuple[Path, Path, Path | None]:
    """(invocations, durations, memory or None) of a 2019 trace directory (its first day)."""
    first = days_2019(path)[0]
    return first.invocations, first.durations, first.memory


def _durations_2019(
    path: Path, wanted: set[str] | None = None, known: dict[str, Any] | None = None
) -> dict[str, tuple[dict[float, float], float]]:
    """Durations per function (only ``wanted`` ones, skipping those ``known`` already)."""
    reader = _Csv(path, ("HashFunction", "Average", *_PCT_COLUMNS))
    key_col, avg_col = reader.index["HashFunction"], reader.index["Average"]
    columns = [reader.index[c] for c in _PCT_COLUMNS]
    table: dict[str, tuple[dict[float, float], float]] = {}
    for line, row in reader.rows():
        key = row[key_col]
        if (wanted is not None and not _selected(key, wanted)) or (known and key in known):
            continue
        average = reader.number(line, row, avg_col, "a duration in ms")
        values = [reader.number(line, row, c, "a duration in ms") for c in columns]
        for (a, b), column in zip(itertools.pairwise(values), columns[1:], strict=True):
            if b < a:
                raise TraceError(
                    f"{reader.where(line, column)}: percentiles must not decrease, "
                    f"got {b:g} after {a:g}"
                )
        table[key] = (dict(zip(PERCENTILES_2019, values, strict=True)), average)
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


@dataclass(frozen=True, slots=True)
class Window:
    """A cut of a trace in seconds from its start (the first minute of its first day file).

    2019 counts are per minute: a cut keeps the whole minutes inside ``[start, end)``.
    """

    start: float | None = None
    end: float | None = None

    def minutes(self, first: int, stop: int) -> tuple[int, int]:
        """The minutes ``[lo, hi)`` of ``[first, stop)`` inside the window."""
        lo = first if self.start is None else max(first, math.ceil(self.start / 60.0 - 1e-9))
        hi = stop if self.end is None else min(stop, math.floor(self.end / 60.0 + 1e-9))
        return lo, max(lo, hi)

    def check(self, first: float, stop: float, where: str) -> None:
        """A clear error when the window misses the trace ``[first, stop)`` seconds."""
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise TraceError(
                f"--to ({_hours(self.end)}) must be after --from ({_hours(self.start)})"
            )
        if self.start is not None and self.start >= stop:
            raise TraceError(
                f"{where}: --from {_hours(self.start)} is at or after the end of the trace "
                f"({_hours(stop)})"
            )
        if self.end is not None and self.end <= first:
            raise TraceError(
                f"{where}: --to {_hours(self.end)} is at or before the start of the trace "
                f"({_hours(first)})"
            )


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds % 60 == 0 else f"{seconds:g}s"


def _minute_columns(reader: _Csv) -> tuple[int, int, int]:
    """``(first column, first minute (0-based), how many)`` of the minute columns: any
    contiguous run of ``'1'`` .. ``'1440'`` in order."""
    numbered = [(i, name.strip()) for i, name in enumerate(reader.header)]
    minutes = [(i, int(name)) for i, name in numbered if name.isdigit()]
    if not minutes:
        raise TraceError(
            f"{reader.path}:1: no minute columns: expected a run of '1' .. '{MINUTES}' after "
            "'Trigger'"
        )
    first_col, first_minute = minutes[0]
    for k, (col, minute) in enumerate(minutes):
        if col != first_col + k or minute != first_minute + k:
            raise TraceError(
                f"{reader.path}:1, column {col + 1} ({reader.header[col]!r}): minute columns "
                f"must be one contiguous run in order ('{first_minute}' .. then "
                f"'{first_minute + k}' expected)"
            )
    if first_minute < 1 or minutes[-1][1] > MINUTES:
        raise TraceError(f"{reader.path}:1: minute columns must lie within '1' .. '{MINUTES}'")
    if first_col + len(minutes) != len(reader.header):
        raise TraceError(f"{reader.path}:1: the minute columns must be the last columns")
    return first_col, first_minute - 1, len(minutes)


class _DayIndex:
    """Where each function's row is in one day file: read by seeking, in bounded memory."""

    def __init__(self, day: Day2019, key_col: int) -> None:
        self.day = day
        self.rows: dict[str, tuple[int, int]] = {}
        with day.invocations.open("rb") as handle:
            handle.readline()
            line = 1
            while True:
                offset = handle.tell()
                raw = handle.readline()
                if not raw:
                    break
                line += 1
                cells = raw.split(b",", key_col + 1)
                if len(cells) > key_col:
                    self.rows.setdefault(cells[key_col].decode("utf-8", "replace"), (offset, line))

    def row(self, key: str) -> tuple[int, list[str]] | None:
        found = self.rows.get(key)
        if found is None:
            return None
        offset, line = found
        with self.day.invocations.open("rb") as handle:
            handle.seek(offset)
            text = handle.readline().decode("utf-8")
        return line, next(csv.reader([text]))


def read_2019(
    path: Path | str,
    functions: set[str] | None = None,
    summary: TraceSummary | None = None,
    window: Window | None = None,
) -> Iterator[FunctionTrace]:
    """The functions of a 2019 trace, one at a time (``functions``: hashes or 8+ char prefixes).

    A trace is one day file, or several consecutive ones (``d01`` .. ``d14``) read as one: a
    function's counts run across the days (zeros on a day it does not appear), its durations
    and memory come from the first day that lists it. Any contiguous run of minute columns is
    accepted; ``window`` cuts one. Functions with no durations row (the full dataset has some)
    are skipped and counted in ``summary``.
    """
    days = days_2019(Path(path))
    window = window or Window()
    readers: list[_Csv] = []
    durations: dict[str, tuple[dict[float, float], float]] = {}
    memory: list[tuple[str, dict[str, float]]] = []
    try:
        for d in days:
            readers.append(_Csv(d.invocations, (*_ID_2019, "Trigger")))
        layout = [_minute_columns(r) for r in readers]
        if len(days) > 1 and any(n != MINUTES for _c, _m, n in layout):
            raise TraceError(
                f"{days[0].invocations.parent}: several day files must each hold a whole day"
            )
        first_minute = layout[0][1]
        stop_minute = (len(days) - 1) * MINUTES + layout[-1][1] + layout[-1][2]
        window.check(60.0 * first_minute, 60.0 * stop_minute, str(days[0].invocations))
        lo, hi = window.minutes(first_minute, stop_minute)
        for durations_path in dict.fromkeys(d.durations for d in days):
            durations.update(_durations_2019(durations_path, functions, durations))
        for memory_path in dict.fromkeys(d.memory for d in days if d.memory is not None):
            memory.append(_memory_2019(memory_path))
    except TraceError:
        for r in readers:
            r.close()
        raise
    if len(days) == 1:
        rows: Iterator[tuple[str, list[tuple[int, int, list[str]]]]] = (
            (row[readers[0].index["HashFunction"]], [(0, line, row)])
            for line, row in readers[0].rows()
        )
    else:
        rows = _rows_across_days(days, readers, functions)
    reader = readers[0]
    app_col = reader.index["HashApp"]
    trigger_col = reader.index["Trigger"]
    try:
        for key, found_rows in rows:
            if functions is not None and not _selected(key, functions):
                continue
            counts = [0] * (stop_minute - first_minute)
            row = found_rows[0][2]
            for day, line, day_row in found_rows:
                col, first, n = layout[day]
                at = day * MINUTES + first - first_minute
                counts[at : at + n] = readers[day].counts(line, day_row, col)
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
                memory_mb=_memory_of(memory, key, app),
                counts=counts[lo - first_minute : hi - first_minute],
                duration_ms=found[0],
                average_ms=found[1],
                start_minute=lo,
            )
    finally:  # an error mid-way leaves no file open
        for r in readers:
            r.close()


def _memory_of(tables: list[tuple[str, dict[str, float]]], key: str, app: str) -> float | None:
    for level, table in tables:
        value = table.get(key if level == "function" else app)
        if value is not None:
            return value
    return None


def _rows_across_days(
    days: list[Day2019], readers: list[_Csv], wanted: set[str] | None
) -> Iterator[tuple[str, list[tuple[int, int, list[str]]]]]:
    """Each function's rows of every day (first-seen order), read by seeking into the files."""
    indexes = [_DayIndex(d, r.index["HashFunction"]) for d, r in zip(days, readers, strict=True)]
    for r in readers:
        r.close()
    seen: set[str] = set()
    for index in indexes:
        for key in index.rows:
            if key in seen or (wanted is not None and not _selected(key, wanted)):
                continue
            seen.add(key)
            found = []
            for day, other in enumerate(indexes):
                got = other.row(key)
                if got is not None:
                    line, row = got
                    readers[day].check_width(line, row)
                    found.append((day, line, row))
            yield key, found


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
    for start in range(0, len(counts), BLOCK_MINUTES):
        block = counts[start : start + BLOCK_MINUTES]
        total = int(block.sum())
        if total == 0:
            continue
        first = fn.start_minute + start
        minutes = np.repeat(np.arange(first, first + len(block), dtype=np.float64), block)
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


def read_2021(
    path: Path | str, functions: set[str] | None = None, window: Window | None = None
) -> list[FunctionTrace]:
    """The functions of a 2021 trace, each with its invocations sorted by start time
    (only those starting inside ``window``, if given)."""
    grouped: dict[str, FunctionTrace] = {}
    lo = window.start if window is not None and window.start is not None else -math.inf
    hi = window.end if window is not None and window.end is not None else math.inf
    if hi <= lo:
        raise TraceError(f"--to ({_hours(hi)}) must be after --from ({_hours(lo)})")
    for app, func, start, duration in rows_2021(path):
        if functions is not None and not _selected(func, functions):
            continue
        if not lo <= start < hi:
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
    path: Path | str,
    fmt: TraceFormat | None = None,
    functions: set[str] | None = None,
    window: Window | None = None,
) -> Iterator[FunctionTrace]:
    """The functions of any trace, in file order (2019 streams; 2021 groups first)."""
    fmt = fmt or detect_format(path)
    if fmt == "azure2019":
        yield from read_2019(path, functions, window=window)
    else:
        yield from read_2021(path, functions, window)


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
    totals: list[int] = []
    if directory_like:
        for fn in read_2019(path, wanted):
            assert fn.counts is not None
            _add_counts(totals, fn.start_minute, fn.counts)
    else:  # a lone invocations file
        reader = _Csv(path, ("HashFunction",))
        first, start_minute, _n = _minute_columns(reader)
        fn_col = reader.index["HashFunction"]
        for line, row in reader.rows():
            if wanted is None or _selected(row[fn_col], wanted):
                _add_counts(totals, start_minute, reader.counts(line, row, first))
    for minute, count in enumerate(totals):
        yield from sorted(60.0 * minute + 60.0 * rng.random() for _ in range(count))


def _add_counts(totals: list[int], start_minute: int, counts: list[int]) -> None:
    """Add per-minute ``counts`` starting at ``start_minute`` into ``totals`` (grown)."""
    if len(totals) < start_minute + len(counts):
        totals.extend([0] * (start_minute + len(counts) - len(totals)))
    for i, count in enumerate(counts, start_minute):
        totals[i] += count
