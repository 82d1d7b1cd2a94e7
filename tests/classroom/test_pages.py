"""The class pages with Streamlit's AppTest: a teacher opens a class, two students join and
predict, the teacher's chart counts them, the reveal reaches the students' screens, and the
results download. One database (``LAB_DB_URL``) in the test's tmp dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lab.classroom import db
from lab.classroom.service import Classroom

ROOT = Path(__file__).parents[2]
PAGES = ROOT / "lab" / "web" / "pages"
TIMEOUT = 120


@pytest.fixture
def shared_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(db.ENV, db_url)
    from lab.web.classroom import classroom

    classroom.clear()  # type: ignore[attr-defined]
    return db_url


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _chart(at: AppTest) -> dict[str, object]:
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts, "no chart on the page"
    return json.loads(charts[0].proto.spec)


def _open_class(teacher: AppTest) -> tuple[str, str]:
    teacher.text_input[0].input("Cold starts, week 3")
    teacher.button[0].click().run()
    assert not teacher.exception, teacher.exception
    code, key = teacher.session_state["class.teacher"]
    return code, key


def test_teacher_opens_students_predict_reveal_reaches_them(shared_db: str) -> None:
    teacher = _page("class_teacher")
    code, key = _open_class(teacher)
    assert any(code == m.value for m in teacher.metric)
    assert any(key in w.value for w in teacher.warning), "the key is shown once"
    assert any(m.label == "Predictions" and m.value == "0 of 0" for m in teacher.metric)

    students = []
    for name, guess in (("Ann", 100.0), ("Bob", 300.0)):
        at = AppTest.from_file(str(PAGES / "class_student.py"), default_timeout=TIMEOUT)
        at.query_params["code"] = code
        at.run()
        assert at.text_input[0].value == code
        at.text_input[1].input(name)
        at.button[0].click().run()
        assert not at.exception, at.exception
        at.number_input[0].set_value(guess)
        at.button(key="class.send.1").click().run()
        assert any("Waiting for the teacher's reveal" in s.value for s in at.success)
        students.append(at)

    teacher.run()  # the fragment's next tick
    assert any(m.label == "Predictions" and m.value == "2 of 2" for m in teacher.metric)
    before = _chart(teacher)
    assert before["mark"]["type"] == "bar" and "layer" not in before  # type: ignore[index]

    teacher.button(key="class.reveal.1").click().run()
    assert not teacher.exception, teacher.exception
    assert any("Revealed" in s.value for s in teacher.success)
    after = _chart(teacher)
    marks = [layer["mark"]["type"] for layer in after["layer"]]  # type: ignore[index]
    assert marks == ["bar", "rule", "text"], "the true value drawn over the predictions"

    for at in students:
        at.run()  # the student's fragment polls the class
        assert not at.exception, at.exception
        texts = " ".join(m.value for m in at.markdown)
        assert "the lab measured" in texts
        assert "Send my prediction" not in [b.label for b in at.button]

    rows = Classroom(shared_db).results(code, key)
    assert sorted((r.student, r.value) for r in rows) == [("Ann", 100.0), ("Bob", 300.0)]
    downloads = teacher.get("download_button")
    assert len(downloads) == 2


def test_a_student_sees_a_clear_error_for_a_bad_code(shared_db: str) -> None:
    at = _page("class_student")
    at.text_input[0].input("nope")
    at.text_input[1].input("Ann")
    at.button[0].click().run()
    assert not at.exception
    assert any("code: 'nope' is not a join code" in e.value for e in at.error)


def test_the_teacher_form_refuses_an_empty_title(shared_db: str) -> None:
    at = _page("class_teacher")
    at.button[0].click().run()
    assert not at.exception
    assert any(e.value.startswith("title:") for e in at.error)
    assert "class.teacher" not in at.session_state


def test_a_student_answers_a_choice_lesson_and_sees_the_reveal(shared_db: str) -> None:
    room = Classroom(shared_db)
    made = room.create("Traffic gaps", [2])
    at = AppTest.from_file(str(PAGES / "class_student.py"), default_timeout=TIMEOUT)
    at.query_params["code"] = made.info.code.lower()  # typed in lower case: still the class
    at.run()
    at.text_input[1].input("Ann")
    at.button[0].click().run()
    assert not at.exception, at.exception
    choices = at.radio[0].options
    at.radio[0].set_value(choices[0]).run()
    at.button(key="class.send.2").click().run()
    rows = room.results(made.info.code, made.key)
    assert [(r.student, r.value, r.label) for r in rows] == [("Ann", 0.0, choices[0])]

    room.reveal(made.info.code, made.key, 2, 0, 1.0)
    at.run()
    assert not at.radio, "the reveal replaces the question's input"
    assert "the lab measured" in " ".join(m.value for m in at.markdown)
