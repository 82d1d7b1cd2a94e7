"""Reading arrivals from the public Azure Functions traces (CC BY 4.0).

Two formats, both published by Microsoft's Azure Public Dataset:

* 2019 (Shahrad et al., "Serverless in the Wild", USENIX ATC 2020): one row per function with
  invocation counts per minute of a day in columns ``1`` .. ``1440``. Arrivals inside a minute
  are not published; we spread each minute's count uniformly at random (seeded).
* 2021 (Zhang et al., SOSP 2021): one row per invocation with ``end_timestamp`` and
  ``duration`` in seconds; the arrival is ``end_timestamp - duration``.

This is the seam the trace-replay work builds on; the readers stream row by row.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

from models.workload import TraceArrivals


class TraceError(ValueError):
    """A trace file that cannot be read, naming file, line and column."""


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise TraceError(f"{path}: no such trace file")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, start=2):
            if None in row or any(v is None for v in row.values()):
                raise TraceError(f"{path}:{number}: row has the wrong number of columns")
            yield number, row


def _number(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TraceError(
            f"{path}:{line}: column {column!r}: expected a number, got {text!r}"
        ) from None
    if value < 0:
        raise TraceError(f"{path}:{line}: column {column!r}: expected >= 0, got {value}")
    return value


def azure2021_arrivals(path: Path, function: str | None) -> list[float]:
    times = []
    for line, row in _rows(path):
        if function is not None and row.get("func") != function:
            continue
        end = _number(path, line, "end_timestamp", row["end_timestamp"])
        duration = _number(path, line, "duration", row["duration"])
        times.append(max(0.0, end - duration))
    times.sort()
    return times


def azure2019_arrivals(path: Path, function: str | None, rng: random.Random) -> Iterator[float]:
    counts = [0] * 1440
    for line, row in _rows(path):
        if function is not None and row.get("HashFunction") != function:
            continue
        for minute in range(1440):
            column = str(minute + 1)
            if column not in row:
                raise TraceError(f"{path}: missing column {column!r} (minutes 1..1440)")
            counts[minute] += int(_number(path, line, column, row[column]))
    for minute, count in enumerate(counts):
        yield from sorted(60.0 * minute + 60.0 * rng.random() for _ in range(count))


def trace_arrival_times(spec: TraceArrivals, rng: random.Random) -> Iterator[float]:
    path = Path(spec.path)
    if spec.format == "azure2021":
        yield from azure2021_arrivals(path, spec.function)
    else:
        yield from azure2019_arrivals(path, spec.function, rng)
