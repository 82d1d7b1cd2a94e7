"""What a teacher or a student types, validated (pydantic) before it reaches the database.

Every limit is here, with the field it names in the error: a class title, a display name, a
join code, a prediction. Oversized or malformed input is refused with a message, never stored.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: a code read aloud or from a projector is typed right."""
CODE_LENGTH = 6
MAX_TITLE = 120
MAX_NAME = 40
MAX_LESSONS = 20
MAX_LABEL = 200
MAX_HOURS = 24 * 14
MAX_ABS_VALUE = 1e12
_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*$")


class ClassroomError(ValueError):
    """A clear refusal: bad input, unknown code, wrong key, closed class."""


class NotFound(ClassroomError):
    pass


class Forbidden(ClassroomError):
    pass


class Closed(ClassroomError):
    pass


def normalise_code(raw: str) -> str:
    """``abc-d2f`` → ``ABCD2F``: case, spaces and dashes do not matter when typing a code."""
    return re.sub(r"[\s-]", "", raw).upper()


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


Text = Annotated[str, Field(pattern=_PRINTABLE.pattern)]


class NewClass(_Input):
    title: Text = Field(min_length=1, max_length=MAX_TITLE)
    lessons: list[Annotated[int, Field(ge=1, le=99)]] = Field(min_length=1, max_length=MAX_LESSONS)
    hours: float = Field(default=4.0, gt=0, le=MAX_HOURS)
    require_names: bool = True


class Join(_Input):
    code: str
    name: Text = Field(default="", max_length=MAX_NAME)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str:
        return _code_or_raise(value, "")


class Prediction(_Input):
    lesson: int = Field(ge=1, le=99)
    step: int = Field(ge=0, le=999)
    value: float
    label: Text = Field(default="", max_length=MAX_LABEL)

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
            raise ValueError(f"must be a finite number within ±{MAX_ABS_VALUE:g}")
        return value


def check_code(value: Any) -> str:
    """A join code, normalised; ``ClassroomError`` naming ``code`` when it cannot be one."""
    return _code_or_raise(value, "code: ")


def _code_or_raise(value: Any, prefix: str) -> str:
    if not isinstance(value, str):
        raise ClassroomError(f"{prefix}a join code is text, e.g. K7M2QX")
    code = normalise_code(value)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise ClassroomError(
            f"{prefix}{shown!r} is not a join code ({CODE_LENGTH} letters and digits, e.g. K7M2QX)"
        )
    return code


T = TypeVar("T", bound=_Input)


def parse(model: type[T], **fields: Any) -> T:
    """``model(**fields)``, with pydantic's errors turned into one ``ClassroomError``."""
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "input"
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "string_pattern_mismatch":
                message = "control characters are not allowed"
            problems.append(f"{field}: {message}")
        raise ClassroomError("; ".join(problems)) from None
