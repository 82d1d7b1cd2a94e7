"""What a trace replay runs: the trace, the assumptions the trace cannot answer, the platforms.

The traces record when each function ran and for how long, but not what it did during that
time, how much memory it was given, or what its cold start costs. Those are assumptions, stated
here, with defaults a user can change (and a sensitivity view over ``cpu_share``):

* ``cpu_share`` (default 0.5): the fraction of each invocation's duration spent on a core;
  the rest is I/O (waiting without a core). Work is played as one cpu segment, then one io
  segment. Wall-clock bills ignore it; active-CPU bills and Fluid's CPU contention do not.
  ``cpu_share_by_function`` overrides it per function (hash or 8+ character prefix).
* memory: the trace's average allocated memory, rounded up to 64 MB (at least 128 MB), unless
  ``memory_mb`` fixes it for every function.
* cold start: ``function`` (a ``FunctionSpec``) -- by default 0.3 s of runtime start (no core)
  and 0.1 s of module init (on a core), no bundle.

Each function is its own deployment with its own instances: one run per function, per
platform model, per keep-alive policy; the totals are sums over functions.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.durations import Constant, Seconds
from models.policies import FixedPolicy, HybridPolicy, KeepAlivePolicy, ScaleToOnePolicy
from models.scenario import FunctionSpec, PlatformModel, Scenario
from models.traces import FunctionTrace, TraceFormat, Window, WithinMinute

DEFAULT_FUNCTION = FunctionSpec(
    runtime_init=Constant(value=0.3), module_init=Constant(value=0.1), memory_mb=256
)

POLICY_PRESETS: dict[str, KeepAlivePolicy | None] = {
    "platform": None,
    "fixed-10min": FixedPolicy(kind="fixed", keep_alive=600.0),
    "fixed-20min": FixedPolicy(kind="fixed", keep_alive=1200.0),
    "hybrid": HybridPolicy(kind="hybrid"),
    "scale-to-one": ScaleToOnePolicy(kind="scale_to_one"),
}
"""Named keep-alive policies; ``platform`` keeps each platform model's own ``keep_alive``."""


class ReplaySpec(BaseModel):
    """A replay, as written in a file or built by the CLI (frozen, so it can key caches)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trace: str = Field(min_length=1, description="2019 trace directory or 2021 CSV file")
    format: TraceFormat | None = Field(default=None, description="detected when absent")
    functions: list[str] | None = Field(
        default=None, description="function hashes (or 8+ character prefixes); all if absent"
    )
    seed: int = 0
    within_minute: WithinMinute = "uniform"
    hours: float | None = Field(
        default=None,
        gt=0,
        le=24 * 14,
        description="replay only the first N hours (from `start`, if set)",
    )
    start: Seconds | None = Field(
        default=None, description="cut the trace from here (`--from`; '8h', '480min', seconds)"
    )
    end: Seconds | None = Field(default=None, description="cut the trace up to here (`--to`)")
    cpu_share: float = Field(default=0.5, ge=0, le=1)
    cpu_share_by_function: dict[str, float] = Field(default_factory=dict)
    memory_mb: int | None = Field(default=None, ge=128, le=32_768)
    function: FunctionSpec = DEFAULT_FUNCTION
    platforms: dict[str, Any] = Field(
        default_factory=lambda: {"traditional": {}, "fluid": {}},
        description="platform models as in a scenario ([platforms.NAME], presets merged)",
    )
    policies: list[str] = Field(
        default_factory=lambda: ["platform"],
        description=f"keep-alive policies to compare: {', '.join(POLICY_PRESETS)}",
    )
    fast_path: bool = Field(
        default=True, description="use the exact aggregates-only replay where it applies"
    )

    @field_validator("cpu_share_by_function")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for key, share in value.items():
            if not 0 <= share <= 1:
                raise ValueError(f"cpu share of {key!r} must be between 0 and 1, got {share}")
        return value

    @field_validator("policies")
    @classmethod
    def _known_policies(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in POLICY_PRESETS]
        if unknown:
            raise ValueError(
                f"unknown keep-alive policy {unknown[0]!r}; known: {', '.join(POLICY_PRESETS)}"
            )
        if not value:
            raise ValueError("expected at least one keep-alive policy")
        return value

    @model_validator(mode="after")
    def _platforms_valid(self) -> ReplaySpec:
        self.template()  # raises a ValidationError naming the platform field
        return self

    @model_validator(mode="after")
    def _window_ordered(self) -> ReplaySpec:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("expected end (--to) after start (--from)")
        return self

    @property
    def horizon(self) -> float | None:
        """The last arrival time replayed: ``hours`` after the start (``--from``, or 0)."""
        if self.hours is None:
            return self.end
        last = (self.start or 0.0) + self.hours * 3600.0
        return last if self.end is None else min(last, self.end)

    @property
    def window(self) -> Window:
        """The cut of the trace to replay (whole trace by default)."""
        return Window(self.start, self.end)

    def template(self) -> Scenario:
        """A scenario holding the function and platforms; arrivals come from the trace."""
        return Scenario.model_validate(
            {
                "name": "replay",
                "seed": self.seed,
                "workload": {
                    "arrivals": {"kind": "explicit", "times": [0.0]},
                    "routes": [{"name": "/invoke", "work": [{"cpu": 0.0}, {"io": 0.0}]}],
                },
                "function": self.function.model_dump(),
                "platforms": self.platforms,
            }
        )

    def cpu_share_of(self, fn: FunctionTrace) -> float:
        for key, share in self.cpu_share_by_function.items():
            if fn.key == key or (len(key) >= 8 and fn.key.startswith(key)):
                return share
        return self.cpu_share

    def memory_of(self, fn: FunctionTrace) -> int:
        if self.memory_mb is not None:
            return self.memory_mb
        if fn.memory_mb is None:
            return self.function.memory_mb
        return int(min(32_768, max(128, 64 * math.ceil(fn.memory_mb / 64))))

    def scenario_for(self, fn: FunctionTrace, template: Scenario, policy: str) -> Scenario:
        """The per-function scenario: its memory, and the keep-alive policy on every model."""
        function = template.function.model_copy(update={"memory_mb": self.memory_of(fn)})
        chosen = POLICY_PRESETS[policy]
        platforms: dict[str, PlatformModel] = dict(template.platforms)
        if policy != "platform":
            platforms = {
                name: p.model_copy(update={"keep_alive_policy": chosen})
                for name, p in platforms.items()
            }
        return template.model_copy(
            update={"name": f"replay-{fn.name}", "function": function, "platforms": platforms}
        )
