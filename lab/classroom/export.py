"""A class's results as a table: CSV (standard library) and, for the web page, Parquet."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from lab.classroom.service import ResultRow

COLUMNS = ("student", "lesson", "step", "value", "label", "at")


def _records(rows: Sequence[ResultRow]) -> list[tuple[object, ...]]:
    return [(r.student, r.lesson, r.step, r.value, r.label, r.at.isoformat()) for r in rows]


def csv_text(rows: Sequence[ResultRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(_records(rows))
    return buffer.getvalue()


def write_csv(rows: Sequence[ResultRow], path: Path) -> None:
    path.write_text(csv_text(rows), encoding="utf-8")


def parquet_bytes(rows: Sequence[ResultRow]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "student": [r.student for r in rows],
            "lesson": pa.array([r.lesson for r in rows], pa.int32()),
            "step": pa.array([r.step for r in rows], pa.int32()),
            "value": pa.array([r.value for r in rows], pa.float64()),
            "label": [r.label for r in rows],
            "at": pa.array([r.at for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
