"""The scenario: everything one run needs, as a frozen pydantic model.

A scenario names the workload (``models.workload``), the function (memory, vCPUs, cold-start
costs, the bundle split into chunks) and one or more platform models, each with its knobs and
its price list. Platform models start from a preset (``traditional`` or ``fluid``) and a
scenario only writes what it changes::

    [platforms.fluid]
    concurrency = 50
    bytecode_cache = "merged"
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.durations import Constant, Duration, Seconds
from models.policies import KeepAlivePolicy
from models.prices import BillingKind, PriceList, price_preset, price_presets
from models.workload import Workload

Phase = Literal["provision", "runtime_init", "code_load", "module_init"]
PHASES: tuple[Phase, ...] = ("provision", "runtime_init", "code_load", "module_init")
CacheMode = Literal["off", "per_instance", "merged"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class Chunk(_Frozen):
    """A piece of the bundle: ``eager`` chunks load at cold start, others on a route's first use."""

    name: str = Field(min_length=1)
    size_kb: float = Field(gt=0, le=1_000_000)
    eager: bool = False


class CodeLoadCost(_Frozen):
    """What loading a chunk costs, per kB of source.

    Without a bytecode cache the runtime parses and compiles the source; with one it only loads
    the cached bytecode, which is cheaper. Both are CPU work on the instance.
    """

    compile_ms_per_kb: float = Field(default=0.42, ge=0)
    load_ms_per_kb: float = Field(default=0.10, ge=0)
    fixed_ms: float = Field(default=0.0, ge=0, description="per-chunk cost either way")


class FunctionSpec(_Frozen):
    """The deployed function: its size and what its cold start costs."""

    memory_mb: int = Field(default=2048, ge=128, le=32_768)
    vcpus: float = Field(default=1.0, gt=0, le=64)
    provision: Duration = Field(default=Constant(value=0.0), description="container / image pull")
    runtime_init: Duration = Field(default=Constant(value=0.0), description="runtime start")
    module_init: Duration = Field(default=Constant(value=0.0), description="top-level code, CPU")
    bundle: list[Chunk] = Field(default_factory=list)
    code_load: CodeLoadCost = Field(default_factory=CodeLoadCost)

    @field_validator("bundle")
    @classmethod
    def _unique_chunks(cls, value: list[Chunk]) -> list[Chunk]:
        names = [c.name for c in value]
        if len(set(names)) != len(names):
            raise ValueError("expected chunk names to be unique")
        return value

    def chunk(self, name: str) -> Chunk:
        return next(c for c in self.bundle if c.name == name)


def _platform_file_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema of a platform table as a file writes it: it starts from a preset, so
    every knob is optional, and ``prices`` may name a price preset."""
    schema.pop("required", None)
    properties = schema["properties"]
    properties["preset"] = {
        "enum": list(PLATFORM_PRESETS),
        "description": "the preset to start from (default: the table's own name, if a preset)",
    }
    properties["prices"] = {
        "anyOf": [
            {"enum": list(price_presets()), "description": "a price preset (assets/prices)"},
            properties["prices"],
        ]
    }


class PlatformModel(_Frozen):
    """How a platform runs and bills the function."""

    model_config = ConfigDict(json_schema_extra=_platform_file_schema)

    kind: Literal["traditional", "fluid"]
    billing: BillingKind
    concurrency: int = Field(ge=1, le=10_000, description="requests per instance at once")
    keep_alive: Seconds = Field(description="idle time before an instance is recycled")
    keep_alive_policy: KeepAlivePolicy | None = Field(
        default=None,
        description="fixed | hybrid | scale_to_one (models.policies); none: fixed keep_alive",
    )
    min_instances: int = Field(default=0, ge=0, le=10_000)
    prewarm: int = Field(
        default=0, ge=0, le=1000, description="spare instances started ahead of demand"
    )
    bytecode_cache: CacheMode = "off"
    max_duration: Seconds | None = Field(
        default=None,
        gt=0,
        description=(
            "a request still running this long after its instance is ready for it is cut and"
            " reported as timed out (its background work too); queueing and cold-start phases"
            " do not count, as a platform starts the function's clock when the handler runs"
        ),
    )
    max_instances: int | None = Field(default=None, ge=1, le=1_000_000)
    overflow: Literal["queue", "reject"] = "queue"
    billed_phases: tuple[Phase, ...] = Field(
        default=("code_load", "module_init"),
        description="cold-start phases that count toward the bill",
    )
    prices: PriceList

    @field_validator("prices", mode="before")
    @classmethod
    def _preset(cls, value: Any) -> Any:
        return price_preset(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> PlatformModel:
        if self.kind == "traditional" and self.concurrency != 1:
            raise ValueError(
                "a traditional platform runs one request per instance: concurrency = 1"
            )
        if self.prices.billing != self.billing:
            raise ValueError(
                f"price list {self.prices.name!r} is for {self.prices.billing} billing, "
                f"but this platform bills {self.billing}"
            )
        if self.max_instances is not None and self.min_instances > self.max_instances:
            raise ValueError("expected min_instances <= max_instances")
        return self


PLATFORM_PRESETS: dict[str, dict[str, Any]] = {
    "traditional": {
        "kind": "traditional",
        "billing": "wall_clock",
        "concurrency": 1,
        "keep_alive": 600.0,
        "bytecode_cache": "off",
        # Pro plan without Fluid compute, maxDuration set to its documented maximum (default 15 s)
        # (assets/facts/vercel.toml: max-duration-no-fluid; tests/lessons/test_facts.py)
        "max_duration": 300.0,
        "prices": "vercel-traditional-pro",
    },
    "fluid": {
        "kind": "fluid",
        "billing": "active_cpu",
        "concurrency": 30,
        "keep_alive": 600.0,
        "bytecode_cache": "merged",
        # Pro plan with Fluid compute, maxDuration set to its documented maximum (default 300 s)
        # (assets/facts/vercel.toml: max-duration-fluid; tests/lessons/test_facts.py)
        "max_duration": 800.0,
        "prices": "vercel-fluid-iad1",
    },
}
"""Starting points; a scenario's ``[platforms.NAME]`` table overrides any of these knobs."""


def _merge_preset(name: str, value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    preset_name = value.get("preset", name)
    if preset_name not in PLATFORM_PRESETS:
        if "preset" in value:
            raise ValueError(
                f"unknown platform preset {preset_name!r}; known: {', '.join(PLATFORM_PRESETS)}"
            )
        return value
    merged = copy.deepcopy(PLATFORM_PRESETS[preset_name])
    merged.update({k: v for k, v in value.items() if k != "preset"})
    return merged


class Scenario(_Frozen):
    """A complete, reproducible run: the same scenario and seed give the same events."""

    name: str = Field(min_length=1)
    title: str = ""
    description: str = ""
    seed: int = 0
    workload: Workload
    function: FunctionSpec = Field(default_factory=FunctionSpec)
    platforms: dict[str, PlatformModel] = Field(
        default_factory=lambda: {
            name: PlatformModel.model_validate(preset) for name, preset in PLATFORM_PRESETS.items()
        }
    )

    @field_validator("platforms", mode="before")
    @classmethod
    def _apply_presets(cls, value: Any) -> Any:
        if isinstance(value, dict):
            if not value:
                raise ValueError("expected at least one platform model")
            return {name: _merge_preset(name, entry) for name, entry in value.items()}
        return value

    @model_validator(mode="after")
    def _routes_know_chunks(self) -> Scenario:
        chunks = {c.name for c in self.function.bundle}
        for i, route in enumerate(self.workload.routes):
            if route.chunk is not None and route.chunk not in chunks:
                known = ", ".join(sorted(chunks)) or "none"
                raise ValueError(
                    f"workload.routes[{i}].chunk {route.chunk!r} is not in function.bundle "
                    f"(chunks: {known})"
                )
        return self

    def fingerprint(self) -> str:
        """A stable hash of the whole scenario, for caches keyed on scenarios."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with dotted-path changes, re-validated: ``platforms.fluid.concurrency=5``.

        What-if controls use this: every change goes through the same validation as a file.
        """
        data = self.model_dump(mode="python", by_alias=True)
        for path, value in changes.items():
            target = data
            keys = path.split(".")
            for key in keys[:-1]:
                target = target[int(key)] if isinstance(target, list) else target[key]
            last = keys[-1]
            if isinstance(target, list):
                target[int(last)] = value
            else:
                target[last] = value
        return Scenario.model_validate(data)
