"""The tables of a class: classes, students, predictions and reveals (SQLAlchemy 2 ORM).

Changing a table means a new Alembic revision in ``migrations/versions`` too; the test
``test_migrations_match_models`` compares the migrated database with these models.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ClassRow(Base):
    """One class: its join code, the teacher key's hash and when it ends."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(120))
    lessons: Mapped[str] = mapped_column(Text)
    """Lesson numbers, comma separated, in the teacher's order."""
    key_hash: Mapped[str] = mapped_column(String(64))
    require_names: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StudentRow(Base):
    """A student of one class: a display name and the hash of the browser's token."""

    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("class_id", "name", name="uq_student_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PredictionRow(Base):
    """A student's prediction for one lesson step (a new answer replaces the old one)."""

    __tablename__ = "predictions"
    __table_args__ = (UniqueConstraint("student_id", "lesson", "step", name="uq_prediction_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    lesson: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    """The number predicted, or the index of the choice."""
    label: Mapped[str] = mapped_column(String(200), default="")
    """The choice's label (empty for a number)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RevealRow(Base):
    """The teacher revealed this lesson step: every student's screen moves to the answer."""

    __tablename__ = "reveals"
    __table_args__ = (UniqueConstraint("class_id", "lesson", "step", name="uq_reveal_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    lesson: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    answer: Mapped[float | None] = mapped_column(Float, nullable=True)
    revealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
