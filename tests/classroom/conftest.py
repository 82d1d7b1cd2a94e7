"""A fresh SQLite class database per test, in the test's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.classroom import db
from lab.classroom.service import Classroom


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'classes.db'}"
    yield url
    db.forget(url)


@pytest.fixture
def room(db_url: str) -> Classroom:
    return Classroom(db_url)
