"""What arrives and what each request does: arrivals, routes and their work.

A request's work is a list of steps, run in order::

    work = [
      { cpu = "200ms" },                                   # build the prompt (needs a core)
      { repeat = 40, steps = [ { io = "450ms" }, { cpu = "45ms" } ] },  # a token stream
    ]
    background = [ { io = "100ms" } ]                      # waitUntil: after the response

``cpu`` needs a core (and slows down when concurrent requests share one), ``io`` waits without
one, ``repeat`` runs its steps several times, and ``flush = true`` sends the first byte (the
time-to-first-byte is measured there; without a flush it equals the latency).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from models.durations import Duration, Seconds


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CpuStep(_Frozen):
    """Work on a core: slows down when more cpu steps than vCPUs run at once."""

    cpu: Duration


class IoStep(_Frozen):
    """A wait (database, upstream API, token stream) that holds no core."""

    io: Duration


class FlushStep(_Frozen):
    """Send the response headers and first bytes now (streaming)."""

    flush: Literal[True]


class RepeatStep(_Frozen):
    """Run ``steps`` ``repeat`` times, e.g. the io+cpu pair of one streamed token."""

    repeat: int = Field(ge=1, le=100_000)
    steps: list[Step] = Field(min_length=1)


def _step_tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str) and value == "flush":
        return "flush"
    if isinstance(value, dict):
        for key in ("cpu", "io", "repeat", "flush"):
            if key in value:
                return key
    return None


Step = Annotated[
    Annotated[CpuStep, Tag("cpu")]
    | Annotated[IoStep, Tag("io")]
    | Annotated[RepeatStep, Tag("repeat")]
    | Annotated[FlushStep, Tag("flush")],
    Discriminator(
        _step_tag,
        custom_error_type="step",
        custom_error_message="expected a step table with one of the keys cpu, io, repeat or flush",
    ),
    BeforeValidator(
        lambda value: {"flush": True} if value == "flush" else value,
        json_schema_input_type=Literal["flush"] | CpuStep | IoStep | RepeatStep | FlushStep,
    ),
]
RepeatStep.model_rebuild()


class Route(_Frozen):
    """One entry point of the function (``/api/chat``), with its share of the traffic."""

    name: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)
    chunk: str | None = Field(
        default=None, description="bundle chunk this route lazily loads on first use"
    )
    work: list[Step] = Field(min_length=1)
    background: list[Step] = Field(
        default_factory=list, description="waitUntil work that runs after the response"
    )


# --- arrivals ---------------------------------------------------------------------------


class PoissonArrivals(_Frozen):
    """Independent arrivals at a mean ``rate`` per second (exponential gaps)."""

    kind: Literal["poisson"]
    rate: float = Field(gt=0, description="requests per second")


class ConstantArrivals(_Frozen):
    """Exactly ``rate`` requests per second, evenly spaced."""

    kind: Literal["constant"]
    rate: float = Field(gt=0, description="requests per second")


class BurstArrivals(_Frozen):
    """Poisson at ``rate`` during ``on`` periods, nothing during ``off`` periods."""

    kind: Literal["bursts"]
    rate: float = Field(gt=0, description="requests per second while a burst is on")
    on: Seconds = Field(gt=0)
    off: Seconds = Field(ge=0)


class DiurnalArrivals(_Frozen):
    """Poisson whose rate follows a day: ``mean_rate * (1 + amplitude * sin(...))``."""

    kind: Literal["diurnal"]
    mean_rate: float = Field(gt=0)
    amplitude: float = Field(default=0.8, ge=0, le=1)
    period: Seconds = Field(default=86_400.0, gt=0)
    peak_at: Seconds = Field(default=14 * 3600.0, description="time of the daily peak")


class ExplicitArrivals(_Frozen):
    """Arrivals at exactly these times (seconds from the start), for hand-made traces."""

    kind: Literal["explicit"]
    times: list[Seconds] = Field(min_length=1)
    routes: list[str] | None = Field(
        default=None, description="route name per arrival; weights pick routes when absent"
    )

    @model_validator(mode="after")
    def _routes_match_times(self) -> ExplicitArrivals:
        if self.routes is not None and len(self.routes) != len(self.times):
            raise ValueError("expected one route name per arrival time")
        return self


class TraceArrivals(_Frozen):
    """Arrivals replayed from a public Azure Functions trace file (see ``models.traces``)."""

    kind: Literal["trace"]
    path: str
    format: Literal["azure2019", "azure2021"]
    function: str | None = Field(default=None, description="hash of the one function to replay")


Arrivals = Annotated[
    PoissonArrivals
    | ConstantArrivals
    | BurstArrivals
    | DiurnalArrivals
    | ExplicitArrivals
    | TraceArrivals,
    Field(discriminator="kind"),
]


class Workload(_Frozen):
    """The traffic: how requests arrive, how many, and which routes they hit."""

    arrivals: Arrivals
    requests: int | None = Field(default=None, ge=1, le=50_000_000)
    duration: Seconds | None = Field(
        default=None, gt=0, description="stop arrivals after this long"
    )
    routes: list[Route] = Field(min_length=1)

    @model_validator(mode="after")
    def _bounded(self) -> Workload:
        if (
            self.requests is None
            and self.duration is None
            and not isinstance(self.arrivals, ExplicitArrivals | TraceArrivals)
        ):
            raise ValueError("expected `requests` or `duration` to bound the run")
        names = [r.name for r in self.routes]
        if len(set(names)) != len(names):
            raise ValueError("expected route names to be unique")
        if isinstance(self.arrivals, ExplicitArrivals) and self.arrivals.routes:
            unknown = sorted(set(self.arrivals.routes) - set(names))
            if unknown:
                raise ValueError(f"arrivals name unknown routes {unknown}; routes are {names}")
        return self
