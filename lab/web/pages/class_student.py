"""Join a class: a code (from the link or typed) and a display name, then the lesson's
prediction; the screen moves to the reveal when the teacher presses it.

A student sees their own answers and, after the reveal, the true value; never anyone else's.
The student's token stays in this browser session.
"""

from __future__ import annotations

import streamlit as st

from lab.classroom.inputs import ClassroomError
from lab.classroom.service import StudentPass
from lab.web.classroom import (
    POLL_S,
    PREDICTION_STEP,
    STUDENT,
    classroom,
    guess_input,
    lesson_run,
    shown,
)


def _join_form() -> None:
    st.title("Join a class")
    code_given = st.query_params.get("code", "")
    with st.form("class.join"):
        code = st.text_input("Join code", value=code_given, max_chars=20, key="class.join.code")
        name = st.text_input("Your display name", max_chars=40, key="class.join.name")
        if st.form_submit_button("Join", type="primary"):
            try:
                student = classroom().join(code, name)
            except ClassroomError as exc:
                st.error(str(exc))
                return
            st.session_state[STUDENT] = student
            st.rerun()


@st.fragment(run_every=POLL_S)
def _lesson(student: StudentPass, number: int) -> None:
    """Polls the class: the prediction until the reveal, then the answer beside it."""
    room = classroom()
    try:
        state = room.state(student.code)
        mine = {(a.lesson, a.step): a for a in room.my_answers(student.code, student.token)}
    except ClassroomError as exc:
        st.error(str(exc))
        return
    lesson = lesson_run(number)
    p = lesson.prediction
    answered = mine.get((number, PREDICTION_STEP))
    place = (number, PREDICTION_STEP)
    with st.container(border=True):
        st.markdown(f"**Your prediction.** {p.question}")
        if place in state.revealed:
            if answered is None:
                st.info(f"The answer is revealed: {p.answer_text}. You did not predict.")
            else:
                st.markdown(p.check(answered.value).text)
            return
        if not state.info.is_open:
            st.warning(f"This class is {state.info.status}.")
            return
        value, label = guess_input(lesson, f"class.guess.{number}")
        if st.button(
            "Send my prediction", type="primary", disabled=value is None, key=f"class.send.{number}"
        ):
            try:
                room.predict(
                    student.code, student.token, number, PREDICTION_STEP, value or 0.0, label
                )
            except ClassroomError as exc:
                st.error(str(exc))
                return
            answered = next(
                a
                for a in room.my_answers(student.code, student.token)
                if (a.lesson, a.step) == place
            )
        if answered is not None:
            st.success(
                f"Sent: {shown(lesson, answered.value)}. Waiting for the teacher's reveal "
                "(you may change it until then)."
            )


def page() -> None:
    student: StudentPass | None = st.session_state.get(STUDENT)
    if student is None:
        _join_form()
        return
    try:
        info = classroom().info(student.code)
    except ClassroomError as exc:
        st.error(str(exc))
        return
    st.title(info.title)
    st.caption(f"You are **{student.name}** in class {info.code}.")
    number = st.selectbox(
        "Lesson",
        info.lessons,
        format_func=lambda n: f"{n}. {lesson_run(n).title}",
        key="class.learn.lesson",
    )
    _lesson(student, int(number))
    if st.button("Leave the class", key="class.leave.student"):
        del st.session_state[STUDENT]
        st.rerun()


page()
