"""What the class pages share: the class database, the lessons' predictions and the chart.

The database is ``$LAB_DB_URL`` (else the SQLite file in the user's data folder), one
``Classroom`` per server process. A lesson has one prediction, recorded as step
``PREDICTION_STEP`` (the schema keeps a step number so a lesson with several can come later).
Both pages poll the database from an ``st.fragment(run_every=POLL_S)``: the teacher's chart
counts answers as they arrive, and a student's screen moves to the reveal when the teacher
presses it.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lab.classroom.service import Classroom, ResultRow
from lessons import LessonRun, open_lesson

POLL_S = 2.0
PREDICTION_STEP = 0
TEACHER = "class.teacher"
"""Session key: ``(code, key)`` of the class this browser teaches."""
STUDENT = "class.student"
"""Session key: the ``StudentPass`` of the class this browser joined."""


@st.cache_resource(show_spinner=False)
def classroom() -> Classroom:
    return Classroom()


@st.cache_resource(max_entries=12, show_spinner="Running the lesson's simulations…")
def lesson_run(number: int) -> LessonRun:
    return open_lesson(number)


def answer_value(lesson: LessonRun) -> float:
    """The true value stored with a reveal: the number, or the index of the right choice."""
    return float(lesson.prediction.answer)


def shown(lesson: LessonRun, value: float) -> str:
    p = lesson.prediction
    if p.kind == "choice":
        index = int(value)
        return p.choices[index] if 0 <= index < len(p.choices) else f"choice {index}"
    number = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{number} {p.unit}".strip()


def distribution_chart(
    lesson: LessonRun, rows: list[ResultRow], answer: float | None
) -> alt.Chart | alt.LayerChart:
    """The class's predictions; with ``answer`` (after the reveal) the true value over them."""
    p = lesson.prediction
    if p.kind == "choice":
        counts = {label: 0 for label in p.choices}
        for row in rows:
            counts[shown(lesson, row.value)] = counts.get(shown(lesson, row.value), 0) + 1
        right = shown(lesson, answer) if answer is not None else None
        frame = pd.DataFrame(
            {
                "answer": list(counts),
                "students": list(counts.values()),
                "truth": ["the answer" if a == right else "prediction" for a in counts],
            }
        )
        chart: alt.Chart = (
            alt.Chart(frame)
            .mark_bar()
            .encode(
                x=alt.X("students:Q", title="students", axis=alt.Axis(tickMinStep=1)),
                y=alt.Y("answer:N", sort=list(counts), title=None),
                color=alt.Color(
                    "truth:N",
                    scale=alt.Scale(
                        domain=["prediction", "the answer"], range=["#7f8fa6", "#2e9e5b"]
                    ),
                    legend=alt.Legend(title=None, orient="bottom"),
                ),
                tooltip=["answer", "students"],
            )
            .properties(height=max(120, 40 * len(counts)))
        )
        return chart
    unit = f" ({p.unit})" if p.unit else ""
    frame = pd.DataFrame({"prediction": [row.value for row in rows]})
    extent = [p.min, p.max] if p.min is not None and p.max is not None else None
    binning = alt.Bin(maxbins=25, extent=extent) if extent else alt.Bin(maxbins=25)
    bars: alt.Chart = (
        alt.Chart(frame)
        .mark_bar(color="#7f8fa6")
        .encode(
            x=alt.X("prediction:Q", bin=binning, title=f"prediction{unit}"),
            y=alt.Y("count():Q", title="students", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("count():Q", title="students")],
        )
    )
    if answer is None:
        plain: alt.Chart = bars.properties(height=260)
        return plain
    truth = pd.DataFrame(
        {"prediction": [answer], "label": [f"the answer: {shown(lesson, answer)}"]}
    )
    rule = alt.Chart(truth).mark_rule(color="#2e9e5b", size=3).encode(x="prediction:Q")
    text = (
        alt.Chart(truth)
        .mark_text(align="left", dx=6, color="#2e9e5b", fontWeight="bold", fontSize=14)
        .encode(x="prediction:Q", y=alt.value(10), text="label:N")
    )
    return alt.LayerChart(layer=[bars, rule, text], height=260)


def guess_input(lesson: LessonRun, key: str) -> tuple[float | None, str]:
    """The prediction widget of the lesson: ``(value, label)`` (value None until chosen)."""
    p = lesson.prediction
    if p.kind == "choice":
        choice = st.radio("your answer", p.choices, index=None, key=key)
        if choice is None:
            return None, ""
        return float(p.choices.index(choice)), choice
    value: Any = st.number_input(
        f"your answer ({p.unit})" if p.unit else "your answer",
        min_value=p.min,
        max_value=p.max,
        value=p.min if p.min is not None else 0.0,
        step=p.step,
        key=key,
    )
    return float(value), ""
