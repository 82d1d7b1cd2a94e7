"""Teach a class: open it (title, lessons), hand out the code and link, watch the class's
predictions arrive, reveal the answer on every student's screen, download the results.

The teacher's key is shown once when the class is made; this browser session keeps it, and
another browser resumes the class with the code and the key.
"""

from __future__ import annotations

import streamlit as st

from lab.classroom.export import csv_text, parquet_bytes
from lab.classroom.inputs import ClassroomError
from lab.web.classroom import (
    POLL_S,
    PREDICTION_STEP,
    TEACHER,
    answer_value,
    classroom,
    distribution_chart,
    lesson_run,
    shown,
)
from lessons import LessonError, list_lessons


def _open_form() -> None:
    try:
        infos = list_lessons()
    except LessonError as exc:
        st.error(str(exc))
        return
    titles = {info.number: f"{info.number}. {info.title}" for info in infos}
    with st.form("class.new"):
        st.subheader("Open a class")
        title = st.text_input("Class title", max_chars=120, placeholder="Cloud course, week 3")
        lessons = st.multiselect(
            "Lessons", list(titles), default=[infos[0].number], format_func=titles.__getitem__
        )
        hours = st.number_input("Expires after (hours)", 0.5, 336.0, 4.0, 0.5)
        anonymous = st.checkbox("Students may join without a name")
        if st.form_submit_button("Open the class", type="primary"):
            try:
                made = classroom().create(title, lessons, hours, require_names=not anonymous)
            except ClassroomError as exc:
                st.error(str(exc))
                return
            st.session_state[TEACHER] = (made.info.code, made.key)
            st.session_state["class.key_once"] = made.key
            st.rerun()
    with st.expander("Resume a class (code and teacher key)"):
        code = st.text_input("Join code", key="class.resume.code", max_chars=20)
        key = st.text_input("Teacher key", key="class.resume.key", type="password", max_chars=200)
        if st.button("Resume", key="class.resume.go"):
            try:
                info = classroom().check_key(code, key)
            except ClassroomError as exc:
                st.error(str(exc))
                return
            st.session_state[TEACHER] = (info.code, key)
            st.rerun()


@st.fragment(run_every=POLL_S)
def _live(code: str, key: str, number: int) -> None:
    """The distribution, refreshed every POLL_S seconds, and the reveal."""
    room = classroom()
    lesson = lesson_run(number)
    rows = room.results(code, key, lesson=number)
    state = room.state(code)
    students = len(room.roster(code, key))
    answer = state.revealed.get((number, PREDICTION_STEP), None)
    revealed = (number, PREDICTION_STEP) in state.revealed
    left, right = st.columns([3, 1])
    with right:
        st.metric("Predictions", f"{len(rows)} of {students}")
        if not revealed and st.button(
            "Reveal the answer", type="primary", key=f"class.reveal.{number}", disabled=not rows
        ):
            answer = answer_value(lesson)
            room.reveal(code, key, number, PREDICTION_STEP, answer)
            revealed = True
        if revealed:
            st.success(f"Revealed: {shown(lesson, answer if answer is not None else 0.0)}")
    with left:
        st.caption("The class's predictions")
        st.markdown(lesson.prediction.question)
        st.altair_chart(
            distribution_chart(lesson, rows, answer if revealed else None),
            width="stretch",
            key=f"class.chart.{number}",
        )


def _link(code: str) -> str:
    """The students' link: this server's address (as the browser sees it) and the class page."""
    here = st.context.url or ""
    base = here.removesuffix("/").removesuffix("/teach") if here.startswith("http") else ""
    return f"{base}/class?code={code}"


def _teach(code: str, key: str) -> None:
    room = classroom()
    try:
        info = room.check_key(code, key)
    except ClassroomError as exc:
        st.error(str(exc))
        del st.session_state[TEACHER]
        return
    st.title(info.title)
    once = st.session_state.pop("class.key_once", None)
    if once:
        st.warning(
            f"Teacher key: `{once}` — shown once. Keep it to resume this class elsewhere "
            "(`lab class results` and `lab class close` need it too)."
        )
    a, b = st.columns([1, 3])
    a.metric("Join code", info.code)
    with b:
        st.caption(
            f"Class {info.status}, expires {info.expires_at:%Y-%m-%d %H:%M} UTC. Students open "
            "this link (or the lab's *Join a class* page and the code):"
        )
        st.code(_link(info.code), language=None)
    number = st.selectbox(
        "Lesson",
        info.lessons,
        format_func=lambda n: f"{n}. {lesson_run(n).title}",
        key="class.teach.lesson",
    )
    _live(info.code, key, int(number))
    rows = room.results(info.code, key)
    d1, d2, d3 = st.columns([1, 1, 2])
    d1.download_button(
        "Results (CSV)", csv_text(rows), f"class-{info.code}.csv", "text/csv", key="class.csv"
    )
    d2.download_button(
        "Results (Parquet)",
        parquet_bytes(rows),
        f"class-{info.code}.parquet",
        "application/vnd.apache.parquet",
        key="class.parquet",
    )
    with d3:
        if info.is_open and st.button("Close the class", key="class.close"):
            room.close(info.code, key)
            st.rerun()
        if st.button("Leave (the class goes on)", key="class.leave"):
            del st.session_state[TEACHER]
            st.rerun()


def page() -> None:
    teaching = st.session_state.get(TEACHER)
    if teaching is None:
        st.title("Teach a class")
        st.caption(
            "Students join with a code, predict, and see the answer when you reveal it. "
            "Their predictions are kept in the class database (LAB_DB_URL)."
        )
        _open_form()
    else:
        _teach(*teaching)


page()
