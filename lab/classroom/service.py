"""The classroom API the CLI and the web pages share: make, join, predict, reveal, export.

Keys and tokens are random (``secrets``) and stored only as SHA-256 hashes: the teacher's key is
shown once, when the class is made; a student's token lives in their browser session. Teacher
actions (results, distribution, reveal, close) need the key; a student reads only their own
answers and the class state (open or not, which steps are revealed and their true values).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lab.classroom import inputs
from lab.classroom.db import sessions
from lab.classroom.inputs import ClassroomError, Closed, Forbidden, NotFound, check_code, parse
from lab.classroom.schema import ClassRow, PredictionRow, RevealRow, StudentRow

__all__ = ["ClassInfo", "ClassState", "Classroom", "ClassroomError", "ResultRow", "StudentPass"]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ClassInfo:
    code: str
    title: str
    lessons: tuple[int, ...]
    require_names: bool
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    students: int = 0
    predictions: int = 0

    @property
    def status(self) -> str:
        if self.closed_at is not None:
            return "closed"
        if datetime.now(UTC) >= self.expires_at:
            return "expired"
        return "open"

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class NewClass:
    info: ClassInfo
    key: str
    """The teacher's key: shown once, stored only hashed."""


@dataclass(frozen=True)
class StudentPass:
    code: str
    name: str
    token: str


@dataclass(frozen=True)
class ResultRow:
    student: str
    lesson: int
    step: int
    value: float
    label: str
    at: datetime


@dataclass(frozen=True)
class ClassState:
    """What every student may see: whether the class is open and what was revealed."""

    info: ClassInfo
    revealed: dict[tuple[int, int], float | None]


def _info(row: ClassRow, students: int = 0, predictions: int = 0) -> ClassInfo:
    return ClassInfo(
        row.code,
        row.title,
        tuple(int(n) for n in row.lessons.split(",") if n),
        row.require_names,
        _utc(row.created_at),
        _utc(row.expires_at),
        _utc(row.closed_at) if row.closed_at else None,
        students,
        predictions,
    )


class Classroom:
    """The classes in one database (``url``: see ``lab.classroom.db.resolve_url``)."""

    def __init__(self, url: str | None = None) -> None:
        self._sessions: sessionmaker[Session] = sessions(url)

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # --- teacher -------------------------------------------------------------------------

    def create(
        self, title: str, lessons: list[int], hours: float = 4.0, require_names: bool = True
    ) -> NewClass:
        spec = parse(
            inputs.NewClass, title=title, lessons=lessons, hours=hours, require_names=require_names
        )
        key = secrets.token_urlsafe(18)
        now = datetime.now(UTC)
        for _ in range(20):
            code = "".join(secrets.choice(inputs.CODE_ALPHABET) for _ in range(inputs.CODE_LENGTH))
            row = ClassRow(
                code=code,
                title=spec.title,
                lessons=",".join(str(n) for n in spec.lessons),
                key_hash=_hash(key),
                require_names=spec.require_names,
                created_at=now,
                expires_at=now + timedelta(hours=spec.hours),
                closed_at=None,
            )
            try:
                with self._tx() as session:
                    session.add(row)
            except IntegrityError:
                continue  # the code was taken: draw another
            return NewClass(_info(row), key)
        raise ClassroomError("could not draw a free join code; close or delete old classes")

    def classes(self) -> list[ClassInfo]:
        """Every class, newest first, with its counts (no keys, no answers)."""
        with self._tx() as session:
            students = (
                select(StudentRow.class_id, func.count().label("n"))
                .group_by(StudentRow.class_id)
                .subquery()
            )
            answers = (
                select(PredictionRow.class_id, func.count().label("n"))
                .group_by(PredictionRow.class_id)
                .subquery()
            )
            rows = session.execute(
                select(ClassRow, students.c.n, answers.c.n)
                .outerjoin(students, students.c.class_id == ClassRow.id)
                .outerjoin(answers, answers.c.class_id == ClassRow.id)
                .order_by(ClassRow.created_at.desc(), ClassRow.id.desc())
            ).all()
            return [_info(row, s or 0, p or 0) for row, s, p in rows]

    def close(self, code: str, key: str) -> ClassInfo:
        with self._tx() as session:
            row = self._teacher(session, code, key)
            if row.closed_at is None:
                row.closed_at = datetime.now(UTC)
            return _info(row)

    def check_key(self, code: str, key: str) -> ClassInfo:
        """The class, when ``key`` is its teacher's key (``Forbidden`` otherwise)."""
        with self._tx() as session:
            return _info(self._teacher(session, code, key))

    def reveal(self, code: str, key: str, lesson: int, step: int, answer: float | None) -> None:
        """Reveal a lesson step: students' screens move to the answer, predictions stop."""
        with self._tx() as session:
            row = self._teacher(session, code, key)
            exists = session.scalar(
                select(RevealRow).where(
                    RevealRow.class_id == row.id, RevealRow.lesson == lesson, RevealRow.step == step
                )
            )
            if exists is None:
                session.add(
                    RevealRow(
                        class_id=row.id,
                        lesson=lesson,
                        step=step,
                        answer=answer,
                        revealed_at=datetime.now(UTC),
                    )
                )

    def results(self, code: str, key: str, lesson: int | None = None) -> list[ResultRow]:
        """Every prediction of the class (optionally one lesson's), by lesson, step, student."""
        with self._tx() as session:
            row = self._teacher(session, code, key)
            query = (
                select(StudentRow.name, PredictionRow)
                .join(StudentRow, StudentRow.id == PredictionRow.student_id)
                .where(PredictionRow.class_id == row.id)
                .order_by(PredictionRow.lesson, PredictionRow.step, StudentRow.name)
            )
            if lesson is not None:
                query = query.where(PredictionRow.lesson == lesson)
            return [
                ResultRow(name, p.lesson, p.step, p.value, p.label, _utc(p.created_at))
                for name, p in session.execute(query).all()
            ]

    def roster(self, code: str, key: str) -> list[str]:
        with self._tx() as session:
            row = self._teacher(session, code, key)
            return list(
                session.scalars(
                    select(StudentRow.name)
                    .where(StudentRow.class_id == row.id)
                    .order_by(StudentRow.joined_at)
                )
            )

    # --- student -------------------------------------------------------------------------

    def info(self, code: str) -> ClassInfo:
        with self._tx() as session:
            return _info(self._class(session, code))

    def state(self, code: str) -> ClassState:
        with self._tx() as session:
            row = self._class(session, code)
            reveals = session.execute(
                select(RevealRow.lesson, RevealRow.step, RevealRow.answer).where(
                    RevealRow.class_id == row.id
                )
            ).all()
            return ClassState(_info(row), {(lesson, step): a for lesson, step, a in reveals})

    def join(self, code: str, name: str = "") -> StudentPass:
        spec = parse(inputs.Join, code=code, name=name)
        with self._tx() as session:
            row = self._open(session, spec.code)
            chosen = spec.name
            if not chosen:
                if row.require_names:
                    raise ClassroomError("name: this class asks for a display name")
                chosen = f"anonymous-{secrets.token_hex(2)}"
            taken = session.scalar(
                select(StudentRow.id).where(
                    StudentRow.class_id == row.id, StudentRow.name == chosen
                )
            )
            if taken is not None:
                raise ClassroomError(f"name: {chosen!r} is already in this class; pick another")
            token = secrets.token_urlsafe(18)
            session.add(
                StudentRow(
                    class_id=row.id,
                    name=chosen,
                    token_hash=_hash(token),
                    joined_at=datetime.now(UTC),
                )
            )
            return StudentPass(row.code, chosen, token)

    def predict(
        self, code: str, token: str, lesson: int, step: int, value: float, label: str = ""
    ) -> None:
        """Record (or replace) a student's prediction for a lesson step not yet revealed."""
        spec = parse(inputs.Prediction, lesson=lesson, step=step, value=value, label=label)
        with self._tx() as session:
            row = self._open(session, code)
            student = self._student(session, row, token)
            if spec.lesson not in _info(row).lessons:
                raise ClassroomError(f"lesson: lesson {spec.lesson} is not part of this class")
            revealed = session.scalar(
                select(RevealRow.id).where(
                    RevealRow.class_id == row.id,
                    RevealRow.lesson == spec.lesson,
                    RevealRow.step == spec.step,
                )
            )
            if revealed is not None:
                raise Closed("prediction: the answer is already revealed; predictions are closed")
            now = datetime.now(UTC)
            existing = session.scalar(
                select(PredictionRow).where(
                    PredictionRow.student_id == student.id,
                    PredictionRow.lesson == spec.lesson,
                    PredictionRow.step == spec.step,
                )
            )
            if existing is None:
                session.add(
                    PredictionRow(
                        class_id=row.id,
                        student_id=student.id,
                        lesson=spec.lesson,
                        step=spec.step,
                        value=spec.value,
                        label=spec.label,
                        created_at=now,
                    )
                )
            else:
                existing.value, existing.label, existing.created_at = spec.value, spec.label, now

    def my_answers(self, code: str, token: str) -> list[ResultRow]:
        """The student's own predictions, and nobody else's."""
        with self._tx() as session:
            row = self._class(session, code)
            student = self._student(session, row, token)
            predictions = session.scalars(
                select(PredictionRow)
                .where(PredictionRow.student_id == student.id)
                .order_by(PredictionRow.lesson, PredictionRow.step)
            )
            return [
                ResultRow(student.name, p.lesson, p.step, p.value, p.label, _utc(p.created_at))
                for p in predictions
            ]

    # --- lookups -------------------------------------------------------------------------

    def _class(self, session: Session, code: str) -> ClassRow:
        normal = check_code(code)
        row = session.scalar(select(ClassRow).where(ClassRow.code == normal))
        if row is None:
            raise NotFound(f"code: no class has the code {normal}")
        return row

    def _open(self, session: Session, code: str) -> ClassRow:
        row = self._class(session, code)
        status = _info(row).status
        if status != "open":
            raise Closed(f"code: class {row.code} is {status}")
        return row

    def _teacher(self, session: Session, code: str, key: str) -> ClassRow:
        row = self._class(session, code)
        if not isinstance(key, str) or len(key) > 200 or not key:
            raise Forbidden("key: the teacher's key is needed for this")
        if not hmac.compare_digest(_hash(key), row.key_hash):
            raise Forbidden(f"key: that is not the teacher's key of class {row.code}")
        return row

    def _student(self, session: Session, row: ClassRow, token: str) -> StudentRow:
        if not isinstance(token, str) or not token or len(token) > 200:
            raise Forbidden("student: join the class first")
        student = session.scalar(select(StudentRow).where(StudentRow.token_hash == _hash(token)))
        if student is None or student.class_id != row.id:
            raise Forbidden("student: join the class first (unknown student token)")
        return student
