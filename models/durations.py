"""Durations a scenario author writes, and the distributions they are drawn from.

A duration is written as a number of seconds (``0.25``), a string with a unit (``"250ms"``,
``"2s"``, ``"1.5min"``, ``"1h"``, ``"300us"``) or a table naming a distribution::

    cpu = "45ms"
    io = { dist = "exponential", mean = "2s" }
    io = { dist = "lognormal", median = "120ms", sigma = 0.6 }
    io = { dist = "uniform", low = "10ms", high = "30ms" }
    io = { dist = "empirical", percentiles = { 0 = "1ms", 50 = "280ms", 99 = "480ms", 100 = "2s" } }

Every form becomes one of the frozen models below, each with ``sample(rng)`` and ``mean``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import re
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

_UNITS = {
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "min": 60.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zµ]*)\s*$")

DURATION_FORM = "a number of seconds, a string such as '250ms' or '2s', or a distribution table"


def parse_seconds(value: Any) -> float:
    """Turn ``0.25``, ``"250ms"`` or ``"2 s"`` into seconds; raise ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration, got a boolean")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        if value.strip().startswith("-"):
            raise ValueError("expected a non-negative duration")
        match = _DURATION_RE.match(value.lower())
        if not match:
            raise ValueError("expected a duration such as '250ms', '2s' or '1.5min'")
        number, unit = match.groups()
        if unit not in _UNITS and unit != "":
            raise ValueError(f"unknown time unit {unit!r}; use one of us, ms, s, min, h")
        seconds = float(number) * _UNITS.get(unit, 1.0)
    else:
        raise ValueError(f"expected {DURATION_FORM}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("expected a non-negative duration")
    return seconds


SECONDS_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {
            "type": "string",
            "pattern": r"^\s*[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*(us|µs|ms|s|sec|min|m|h)?\s*$",
        },
    ],
    "description": "seconds: a number, or a string with a unit (us, ms, s, min, h)",
    "examples": [0.25, "250ms", "2s", "1.5min"],
}

Seconds = Annotated[
    float,
    BeforeValidator(parse_seconds),
    WithJsonSchema(SECONDS_JSON_SCHEMA, mode="validation"),
]
"""A non-negative number of seconds, written as a number or a string with a unit."""


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def sample(self, rng: random.Random) -> float:  # pragma: no cover
        raise NotImplementedError

    def sampler(self, rng: random.Random) -> Callable[[], float]:
        """``sample`` bound to ``rng``: the same values, drawn without a call through the model
        where a subclass knows a shorter way (one per request adds up over a million)."""
        return partial(self.sample, rng)


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: Seconds

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: random.Random) -> float:
        return self.value


class Exponential(_Dist):
    """Memoryless: the classic service-time model of queueing theory."""

    dist: Literal["exponential"]
    mean_s: Seconds = Field(alias="mean")

    @property
    def mean(self) -> float:
        return self.mean_s

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean_s) if self.mean_s > 0 else 0.0

    def sampler(self, rng: random.Random) -> Callable[[], float]:
        if self.mean_s > 0:
            return partial(rng.expovariate, 1.0 / self.mean_s)
        return partial(self.sample, rng)


class LogNormal(_Dist):
    """Right-skewed, like most measured latencies: ``median`` and shape ``sigma``."""

    dist: Literal["lognormal"]
    median: Seconds
    sigma: float = Field(gt=0, le=5)

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def sample(self, rng: random.Random) -> float:
        if self.median == 0:
            return 0.0
        return rng.lognormvariate(math.log(self.median), self.sigma)


class Uniform(_Dist):
    """Anything between ``low`` and ``high`` equally likely."""

    dist: Literal["uniform"]
    low: Seconds
    high: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("expected high >= low")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)


class Empirical(_Dist):
    """Piecewise-linear inverse CDF through measured percentiles (0 and 100 required).

    This is how the Azure Functions traces publish durations (p0, p1, p25, p50, p75, p99,
    p100), so a trace function's durations can be written down as they were measured.
    """

    dist: Literal["empirical"]
    percentiles: dict[float, Seconds]

    @field_validator("percentiles")
    @classmethod
    def _complete(cls, value: dict[float, float]) -> dict[float, float]:
        if 0 not in value or 100 not in value:
            raise ValueError("expected percentiles that include 0 and 100")
        if any(not 0 <= p <= 100 for p in value):
            raise ValueError("expected percentile keys between 0 and 100")
        ordered = [value[p] for p in sorted(value)]
        if any(b < a for a, b in itertools.pairwise(ordered)):
            raise ValueError("expected durations that do not decrease as the percentile grows")
        return dict(sorted(value.items()))

    @property
    def _points(self) -> tuple[list[float], list[float]]:
        return [p / 100 for p in self.percentiles], list(self.percentiles.values())

    @property
    def mean(self) -> float:
        qs, vs = self._points
        return sum(
            (q1 - q0) * (v0 + v1) / 2
            for q0, q1, v0, v1 in zip(qs, qs[1:], vs, vs[1:], strict=False)
        )

    def sample(self, rng: random.Random) -> float:
        qs, vs = self._points
        u = rng.random()
        i = max(1, bisect.bisect_left(qs, u))
        q0, q1, v0, v1 = qs[i - 1], qs[i], vs[i - 1], vs[i]
        return v0 if q1 == q0 else v0 + (v1 - v0) * (u - q0) / (q1 - q0)


def _to_table(value: Any) -> Any:
    """Numbers and strings are constants; tables must name their ``dist``."""
    if isinstance(value, dict | _Dist):
        return value
    return {"dist": "constant", "value": value}


def _dist_tag(value: Any) -> str | None:
    if isinstance(value, _Dist):
        return str(getattr(value, "dist", None))
    if isinstance(value, dict):
        tag = value.get("dist")
        return tag if isinstance(tag, str) else None
    return None


Duration = Annotated[
    Annotated[Constant, Tag("constant")]
    | Annotated[Exponential, Tag("exponential")]
    | Annotated[LogNormal, Tag("lognormal")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Empirical, Tag("empirical")],
    Discriminator(
        _dist_tag,
        custom_error_type="duration",
        custom_error_message=(
            "expected "
            + DURATION_FORM
            + " with dist = constant, exponential, lognormal, uniform or empirical"
        ),
    ),
    # a file may also write a bare number or string: say so in `lab schema`
    BeforeValidator(
        _to_table,
        json_schema_input_type=Seconds | Constant | Exponential | LogNormal | Uniform | Empirical,
    ),
]
"""A fixed or random duration; see the module docstring for the forms it accepts."""


def constant(seconds: float) -> Constant:
    """A fixed duration, for code that builds scenarios."""
    return Constant(value=seconds)
