"""Finding and reading lesson files, with errors that name the file and the place.

``LessonError`` is what every problem with a lesson file becomes: ``lessons/03-x.toml:57:
claims[2].check: unknown metric 'ttfb_ms.mean2' ...``. Nothing here raises a traceback at a
lesson author.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lessons.spec import Lesson

LESSONS_DIR = Path(__file__).resolve().parent
_FILE = re.compile(r"^(\d\d)-[a-z0-9-]+\.toml$")


class LessonError(ValueError):
    """A lesson file that cannot be used; ``str()`` names the file, line and place."""

    def __init__(self, path: Path | str, place: str, message: str, line: int | None = None):
        self.path = Path(path)
        self.place = place
        self.message = message
        self.line = line
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {place}: {message}" if place else f"{where}: {message}")


@dataclass(frozen=True)
class LessonFile:
    """A lesson as written: the validated spec, its file and its text (for line numbers)."""

    lesson: Lesson
    path: Path
    text: str

    @property
    def slug(self) -> str:
        return self.path.stem

    def error(self, place: str, message: str, value: Any = None) -> LessonError:
        return LessonError(self.path, place, message, line_of(self.text, place, value))


def place_of(loc: tuple[int | str, ...]) -> str:
    """``claims[2].check`` from pydantic's location tuple."""
    out = ""
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += ("." if out else "") + str(item)
    return out or "(top level)"


def line_of(text: str, place: str, value: Any = None) -> int | None:
    """Best-effort line number of ``place`` (e.g. ``claims[2].check``) in a TOML text."""
    lines = text.splitlines()
    if isinstance(value, str) and value.strip():
        first = value.strip().splitlines()[0].strip()
        needle = first[:60]
        end = "" if len(first) > len(needle) else r"(?!\w)"  # a cut needle may end mid-word
        alone = re.compile(rf"(?<!\w){re.escape(needle)}{end}") if needle else None
        for number, line in enumerate(lines, start=1):
            if alone is not None and alone.search(line):  # the value, not part of a word
                return number
    match = re.match(r"^([A-Za-z_]+)\[(\d+)\](?:\.(\w+))?", place)
    if match:
        section, index, key = match.group(1), int(match.group(2)), match.group(3)
        seen = -1
        for number, line in enumerate(lines, start=1):
            if line.strip() == f"[[{section}]]":
                seen += 1
                if seen == index:
                    if key:
                        for offset, later in enumerate(lines[number:], start=number + 1):
                            if later.strip().startswith("[["):
                                break
                            if re.match(rf"^\s*{re.escape(key)}\s*=", later):
                                return offset
                    return number
    head = place.split(".")[0].split("[")[0]
    for number, line in enumerate(lines, start=1):
        if re.match(rf"^\s*\[?{re.escape(head)}[\].\s=]", line):
            return number
    return None


def read_lesson(path: Path | str) -> LessonFile:
    """Read and validate one lesson file (LessonError on any problem)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(path, "", f"cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            found = re.search(r"at line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
        raise LessonError(path, "", f"not valid TOML: {exc}", line) from None
    try:
        lesson = Lesson.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        place = place_of(tuple(first["loc"]))
        message = _problem(first)
        if len(errors) > 1:  # every other problem too, each with its place and line
            others = []
            for error in errors[1:]:
                where = place_of(tuple(error["loc"]))
                line = line_of(text, where, error.get("input"))
                at = f"line {line}: " if line else ""
                others.append(f"  {at}{where}: {_problem(error)}")
            count = len(others)
            message += f"\nand {count} more problem{'s' if count > 1 else ''}:\n" + "\n".join(
                others
            )
        value = first.get("input")
        raise LessonError(path, place, message, line_of(text, place, value)) from None
    return LessonFile(lesson, path, text)


def _problem(error: Any) -> str:
    """One pydantic error in the words a lesson author needs."""
    if error["type"] == "missing":
        return "missing; this field is required"
    if error["type"] == "extra_forbidden":
        return "no such field in a lesson (check its spelling)"
    return str(error["msg"]).removeprefix("Value error, ")


def lesson_paths(folder: Path | None = None) -> list[Path]:
    """Lesson files in order of their number prefix."""
    folder = folder or LESSONS_DIR
    return sorted(p for p in folder.iterdir() if _FILE.match(p.name))


def find_lesson(ref: str | int, folder: Path | None = None) -> Path:
    """A lesson by number (``3``), slug (``03-bytecode-caching``) or file path."""
    text = str(ref)
    candidate = Path(text)
    if candidate.suffix == ".toml" and candidate.exists():
        return candidate
    for path in lesson_paths(folder):
        number = int(path.name[:2])
        if text.isdigit() and int(text) == number:
            return path
        if text in {path.stem, path.name}:
            return path
    known = ", ".join(p.stem for p in lesson_paths(folder))
    raise LessonError(text, "", f"no such lesson (lessons: {known})")
