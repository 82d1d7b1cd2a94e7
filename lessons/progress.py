"""A student's progress through the lessons, kept locally in one JSON file.

Where: ``$SERVERLESS_LAB_PROGRESS`` if set (tests point it at a temporary file), else the user's
data folder (``$XDG_DATA_HOME/serverless-lab/progress.json``, ``~/.local/share/...`` on Linux,
``~/Library/Application Support/...`` on macOS, ``%APPDATA%\\...`` on Windows). Both front ends
use the same file, so a student can start a lesson in the terminal and finish it in the browser.

    progress = Progress.load()
    progress.record_prediction("01-cold-start-anatomy", 900, correct=True)
    progress.mark_step("01-cold-start-anatomy", 2)
    progress.complete("01-cold-start-anatomy")
    progress.save()          # atomic: write a temporary file, then rename

A damaged file is set aside (``progress.json.bad``) rather than crashing a lesson.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ENV = "SERVERLESS_LAB_PROGRESS"


def progress_path() -> Path:
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"))
    return base / "serverless-lab" / "progress.json"


@dataclass
class LessonProgress:
    prediction: Any = None
    correct: bool | None = None
    predicted_at: float | None = None
    steps_seen: list[int] = field(default_factory=list)
    knobs_tried: list[str] = field(default_factory=list)
    completed_at: float | None = None
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Decision id -> ``{"choice", "reason", "agrees", "at"}``: the capstone's choices per route."""

    @property
    def done(self) -> bool:
        return self.completed_at is not None


@dataclass
class Progress:
    path: Path
    lessons: dict[str, LessonProgress] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Progress:
        path = path or progress_path()
        progress = cls(path)
        if not path.exists():
            return progress
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            for slug, entry in dict(data.get("lessons", {})).items():
                known = {
                    k: v for k, v in dict(entry).items() if k in LessonProgress.__annotations__
                }
                progress.lessons[str(slug)] = LessonProgress(**known)
        except (OSError, ValueError, TypeError, AttributeError):
            with contextlib.suppress(OSError):
                path.replace(path.with_name(path.name + ".bad"))
            progress.lessons.clear()
        return progress

    def of(self, slug: str) -> LessonProgress:
        return self.lessons.setdefault(slug, LessonProgress())

    def record_prediction(self, slug: str, answer: Any, correct: bool | None = None) -> None:
        entry = self.of(slug)
        entry.prediction = answer
        entry.correct = correct
        entry.predicted_at = time.time()

    def record_decision(
        self, slug: str, decision: str, choice: str, reason: str, agrees: bool
    ) -> None:
        """Keep the student's choice for one decision, their reason and whether the runs agree."""
        self.of(slug).decisions[decision] = {
            "choice": choice,
            "reason": reason,
            "agrees": agrees,
            "at": time.time(),
        }

    def mark_step(self, slug: str, index: int) -> None:
        entry = self.of(slug)
        if index not in entry.steps_seen:
            entry.steps_seen.append(index)
            entry.steps_seen.sort()

    def tried_knob(self, slug: str, knob: str) -> None:
        entry = self.of(slug)
        if knob not in entry.knobs_tried:
            entry.knobs_tried.append(knob)

    def complete(self, slug: str) -> None:
        self.of(slug).completed_at = time.time()

    def reset(self, slug: str | None = None) -> None:
        if slug is None:
            self.lessons.clear()
        else:
            self.lessons.pop(slug, None)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "lessons": {k: asdict(v) for k, v in self.lessons.items()}}
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(self.path)
