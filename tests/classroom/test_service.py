"""The class database: survives a restart, takes 60 writers at once, refuses bad input,
guards teacher actions with the key and shows a student only their own answers."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from lab.classroom import db
from lab.classroom.inputs import ClassroomError, Closed, Forbidden, NotFound
from lab.classroom.service import Classroom

STUDENTS = 60


def test_a_class_survives_a_restart(db_url: str) -> None:
    room = Classroom(db_url)
    made = room.create("Cold starts", [1, 2])
    ann = room.join(made.info.code, "Ann")
    room.predict(made.info.code, ann.token, 1, 0, 120.0)
    db.forget(db_url)  # the app stops: every connection closed

    again = Classroom(db_url)
    info = again.info(made.info.code)
    assert (info.title, info.lessons, info.status) == ("Cold starts", (1, 2), "open")
    rows = again.results(made.info.code, made.key)
    assert [(r.student, r.lesson, r.step, r.value) for r in rows] == [("Ann", 1, 0, 120.0)]
    assert again.my_answers(made.info.code, ann.token)[0].value == 120.0


def test_sqlite_runs_in_wal_mode_with_a_schema_from_alembic(db_url: str) -> None:
    Classroom(db_url)
    path = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    tables = set(inspect(db.engine_for(db_url)).get_table_names())
    assert {"classes", "students", "predictions", "reveals", "alembic_version"} <= tables


def test_migrations_match_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lab.classroom.schema import Base

    with db.engine_for(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sixty_students_predict_at_once_and_none_is_lost(room: Classroom) -> None:
    made = room.create("Load", [1])
    code = made.info.code
    passes = [room.join(code, f"student {i:02d}") for i in range(STUDENTS)]
    start = threading.Barrier(STUDENTS)
    errors: list[BaseException] = []

    def submit(i: int) -> None:
        try:
            start.wait()
            room.predict(code, passes[i].token, 1, 0, float(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(STUDENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    rows = room.results(code, made.key)
    assert len(rows) == STUDENTS
    assert sorted(r.value for r in rows) == [float(i) for i in range(STUDENTS)]
    assert room.classes()[0].predictions == STUDENTS


def test_a_new_prediction_replaces_the_old_one(room: Classroom) -> None:
    made = room.create("Again", [1])
    ann = room.join(made.info.code, "Ann")
    room.predict(made.info.code, ann.token, 1, 0, 1.0)
    room.predict(made.info.code, ann.token, 1, 0, 2.0)
    assert [r.value for r in room.results(made.info.code, made.key)] == [2.0]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda r: r.create("", [1]), "title"),
        (lambda r: r.create("x" * 121, [1]), "title"),
        (lambda r: r.create("ok", []), "lessons"),
        (lambda r: r.create("ok", list(range(1, 30))), "lessons"),
        (lambda r: r.create("ok", [1], hours=0), "hours"),
        (lambda r: r.create("bad\x00title", [1]), "title"),
        (lambda r: r.join("nope", "Ann"), "code"),
        (lambda r: r.join("K" * 5000, "Ann"), "code"),
    ],
)
def test_bad_input_is_refused_naming_the_field(room: Classroom, call: object, field: str) -> None:
    with pytest.raises(ClassroomError) as caught:
        call(room)  # type: ignore[operator]
    assert str(caught.value).startswith(f"{field}:"), caught.value
    assert len(str(caught.value)) < 300


def test_bad_predictions_and_names_are_refused(room: Classroom) -> None:
    made = room.create("Input", [1])
    code = made.info.code
    with pytest.raises(ClassroomError, match=r"^name: .*at most 40"):
        room.join(code, "n" * 41)
    with pytest.raises(ClassroomError, match=r"^name: this class asks for a display name"):
        room.join(code, "  ")
    ann = room.join(code, "Ann")
    with pytest.raises(ClassroomError, match=r"^name: 'Ann' is already in this class"):
        room.join(code, "Ann")
    with pytest.raises(ClassroomError, match=r"^value: must be a finite number"):
        room.predict(code, ann.token, 1, 0, float("nan"))
    with pytest.raises(ClassroomError, match=r"^value: must be a finite number"):
        room.predict(code, ann.token, 1, 0, 1e300)
    with pytest.raises(ClassroomError, match=r"^lesson: lesson 2 is not part of this class"):
        room.predict(code, ann.token, 2, 0, 1.0)
    with pytest.raises(ClassroomError, match=r"^label: "):
        room.predict(code, ann.token, 1, 0, 1.0, label="x" * 201)
    assert room.results(code, made.key) == []


def test_anonymous_students_when_the_class_allows_them(room: Classroom) -> None:
    made = room.create("Anon", [1], require_names=False)
    student = room.join(made.info.code, "")
    assert student.name.startswith("anonymous-")


def test_teacher_actions_need_the_key(room: Classroom) -> None:
    made = room.create("Keys", [1])
    other = room.create("Other", [1])
    code = made.info.code
    for key in ("", "wrong", other.key, "k" * 10_000):
        with pytest.raises(Forbidden, match=r"^key: "):
            room.results(code, key)
        with pytest.raises(Forbidden):
            room.reveal(code, key, 1, 0, 3.0)
        with pytest.raises(Forbidden):
            room.close(code, key)
    assert room.info(code).is_open
    with pytest.raises(NotFound, match=r"^code: no class has the code"):
        room.results("ZZZZZZ", made.key)


def test_the_key_is_stored_only_hashed(db_url: str, room: Classroom) -> None:
    made = room.create("Hash", [1])
    raw = Path(db_url.removeprefix("sqlite:///")).read_bytes()
    wal = Path(db_url.removeprefix("sqlite:///") + "-wal")
    if wal.exists():
        raw += wal.read_bytes()
    assert made.key.encode() not in raw


def test_a_student_sees_only_their_own_answers(room: Classroom) -> None:
    made = room.create("Privacy", [1])
    code = made.info.code
    ann, bob = room.join(code, "Ann"), room.join(code, "Bob")
    room.predict(code, ann.token, 1, 0, 10.0)
    room.predict(code, bob.token, 1, 0, 20.0)
    assert [(r.student, r.value) for r in room.my_answers(code, ann.token)] == [("Ann", 10.0)]
    assert [(r.student, r.value) for r in room.my_answers(code, bob.token)] == [("Bob", 20.0)]
    elsewhere = room.create("Elsewhere", [1])
    with pytest.raises(Forbidden, match=r"^student: join the class first"):
        room.my_answers(elsewhere.info.code, ann.token)
    with pytest.raises(Forbidden):
        room.predict(code, "forged", 1, 0, 1.0)


def test_reveal_closes_predictions_and_reaches_the_state(room: Classroom) -> None:
    made = room.create("Reveal", [1])
    code = made.info.code
    ann = room.join(code, "Ann")
    room.predict(code, ann.token, 1, 0, 10.0)
    assert room.state(code).revealed == {}
    room.reveal(code, made.key, 1, 0, 12.5)
    assert room.state(code).revealed == {(1, 0): 12.5}
    with pytest.raises(Closed, match="already revealed"):
        room.predict(code, ann.token, 1, 0, 11.0)


def test_a_closed_or_expired_class_takes_no_one(room: Classroom) -> None:
    made = room.create("Closing", [1])
    code = made.info.code
    ann = room.join(code, "Ann")
    room.close(code, made.key)
    assert room.info(code).status == "closed"
    with pytest.raises(Closed, match=r"^code: class .* is closed"):
        room.join(code, "Bob")
    with pytest.raises(Closed):
        room.predict(code, ann.token, 1, 0, 1.0)
    short = room.create("Short", [1], hours=1e-9)
    assert room.info(short.info.code).status == "expired"
    with pytest.raises(Closed, match="is expired"):
        room.join(short.info.code, "Ann")


def test_a_bad_database_url_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(db.DatabaseError, match=r"^--db: 'not a url'"):
        db.resolve_url("not a url")
    monkeypatch.setenv(db.ENV, "nope://")
    assert db.resolve_url() == "nope://"  # parses; the driver is checked on open
    monkeypatch.setenv(db.ENV, "::")
    with pytest.raises(db.DatabaseError, match=rf"^{db.ENV}: "):
        db.resolve_url()


def test_the_default_database_lives_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(db.ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr("sys.platform", "linux")
    url = db.resolve_url()
    assert url == f"sqlite:///{tmp_path / 'data' / 'serverless-lab' / 'classes.db'}"
    assert (tmp_path / "data" / "serverless-lab").is_dir()


def test_postgresql_when_a_server_is_given() -> None:
    """The same service on PostgreSQL: set ``LAB_TEST_PG_URL`` (e.g. CI's Debian postgresql);
    skipped otherwise (no server was available where this was written)."""
    url = os.environ.get("LAB_TEST_PG_URL")
    if not url:
        pytest.skip("LAB_TEST_PG_URL is not set: no PostgreSQL server to test against")
    room = Classroom(url)
    made = room.create("On PostgreSQL", [1])
    ann = room.join(made.info.code, "Ann")
    room.predict(made.info.code, ann.token, 1, 0, 5.0)
    assert [r.value for r in room.results(made.info.code, made.key)] == [5.0]
    room.close(made.info.code, made.key)
    db.forget(url)
