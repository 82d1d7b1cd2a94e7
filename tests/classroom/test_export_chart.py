"""The class's results as CSV and Parquet, and the teacher's chart for a choice lesson."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pyarrow.parquet as pq

from lab.classroom.export import COLUMNS, csv_text, parquet_bytes
from lab.classroom.service import ResultRow
from lab.web.classroom import distribution_chart, lesson_run

AT = datetime(2026, 12, 8, 2, 30, tzinfo=UTC)
ROWS = [
    ResultRow("Ann", 1, 0, 150.0, "", AT),
    ResultRow('Bob, "the" builder', 2, 0, 1.0, "more, much more", AT),
]


def test_csv_and_parquet_hold_the_same_rows() -> None:
    parsed = list(csv.DictReader(io.StringIO(csv_text(ROWS))))
    assert tuple(parsed[0]) == COLUMNS
    assert [(r["student"], r["label"]) for r in parsed] == [
        ("Ann", ""),
        ('Bob, "the" builder', "more, much more"),
    ]
    table = pq.read_table(io.BytesIO(parquet_bytes(ROWS)))
    assert table.column_names == list(COLUMNS)
    assert table.column("value").to_pylist() == [150.0, 1.0]
    assert table.column("at").to_pylist()[0] == AT
    assert pq.read_table(io.BytesIO(parquet_bytes([]))).num_rows == 0


def _datasets(spec: dict[str, object]) -> list[dict[str, object]]:
    return [row for rows in spec["datasets"].values() for row in rows]  # type: ignore[attr-defined]


def test_a_choice_lesson_counts_each_choice_and_marks_the_answer() -> None:
    lesson = lesson_run.__wrapped__(2)  # type: ignore[attr-defined]
    p = lesson.prediction
    assert p.kind == "choice"
    wrong = next(i for i in range(len(p.choices)) if i != p.answer)
    rows = [
        ResultRow("Ann", 2, 0, float(wrong), p.choices[wrong], AT),
        ResultRow("Bob", 2, 0, float(wrong), p.choices[wrong], AT),
        ResultRow("Cy", 2, 0, float(p.answer), p.choices[p.answer], AT),
    ]
    before = _datasets(distribution_chart(lesson, rows, None).to_dict())
    assert {r["answer"]: r["students"] for r in before} == {
        label: (2 if i == wrong else 1 if i == p.answer else 0) for i, label in enumerate(p.choices)
    }
    assert {r["truth"] for r in before} == {"prediction"}
    after = _datasets(distribution_chart(lesson, rows, float(p.answer)).to_dict())
    assert [r["answer"] for r in after if r["truth"] == "the answer"] == [p.choices[p.answer]]
