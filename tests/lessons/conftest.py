"""Shared fixtures: each lesson is opened (and its scenarios run) once per test session."""

from __future__ import annotations

import functools

import pytest

from lessons import LessonRun, open_lesson


@functools.cache
def lesson(number: int) -> LessonRun:
    return open_lesson(number, live=False)


@pytest.fixture(autouse=True)
def _private_progress(tmp_path, monkeypatch) -> None:
    """Never touch the real progress file from tests."""
    monkeypatch.setenv("SERVERLESS_LAB_PROGRESS", str(tmp_path / "progress.json"))
