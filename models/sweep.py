"""Sweeps: a grid of knobs x seeds (x trace functions), run in parallel, as one tidy table.

A sweep file (TOML or YAML) names a base -- a scenario (built-in name or file) or a trace
replay -- and a grid of dotted paths to vary::

    name = "keep-alive-vs-cap"
    scenario = "db-api"
    seeds = [1, 2, 3]
    [grid]
    "platforms.fluid.keep_alive" = ["1min", "5min", "10min"]
    "platforms.fluid.concurrency" = [1, 10, 50]

    # or, for a trace:  [replay] trace = "assets/traces/azure2019_busy10_fullday"  hours = 2
    # with grid keys such as "cpu_share", "policy" or "platforms.traditional.keep_alive";
    # per_function = true keeps one row per trace function (the "x trace functions" axis).

Every grid value is applied through the same validation as a file (``Scenario.with_changes``,
``ReplaySpec``), so a bad value fails before anything runs, naming the key. The result has
one row per point x seed x platform model (x function, x keep-alive policy), with the knob
values as columns: the shape pandas, altair and the web app's what-if pages expect.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.replay.executor import Engine, Progress, run_tasks
from models.replay.run import Task, functions_of, run_task, tasks_of
from models.replay.spec import ReplaySpec
from models.scenario import Scenario

Point = dict[str, Any]


class ChartSpec(BaseModel):
    """One chart of the sweep: ``y`` over ``x``, one line per ``color``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    x: str
    y: str = "bill_usd"
    color: str | None = "model"
    facet: str | None = None


class SweepSpec(BaseModel):
    """A sweep as written in a file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    title: str = ""
    scenario: str | None = Field(default=None, description="built-in name or scenario file")
    replay: ReplaySpec | None = None
    grid: dict[str, list[Any]] = Field(min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    models: list[str] | None = None
    per_function: bool = Field(default=False, description="replay: one row per function")
    charts: list[ChartSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_base(self) -> SweepSpec:
        if (self.scenario is None) == (self.replay is None):
            raise ValueError("expected exactly one base: `scenario = ...` or a [replay] table")
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid key {key!r} has no values")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError("expected distinct seeds")
        return self

    def points(self) -> list[Point]:
        keys = list(self.grid)
        return [
            dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(self.grid[k] for k in keys))
        ]


class SweepError(ValueError):
    """A sweep that cannot run; the message names the grid key or value."""


def apply_to_scenario(base: Scenario, point: Point) -> Scenario:
    try:
        return base.with_changes(**point)
    except (KeyError, IndexError, ValueError) as exc:
        raise SweepError(f"grid point {point}: {_short(exc)}") from None


def apply_to_replay(base: ReplaySpec, point: Point) -> ReplaySpec:
    data = base.model_dump(mode="python")
    data["platforms"] = {k: dict(v) for k, v in base.platforms.items()}
    for key, value in point.items():
        if key == "policy":
            data["policies"] = [value]
        elif key.startswith("platforms."):
            parts = key.split(".")
            if len(parts) < 3 or parts[1] not in data["platforms"]:
                raise SweepError(
                    f"grid key {key!r}: expected platforms.NAME.FIELD with NAME one of "
                    f"{', '.join(data['platforms'])}"
                )
            target = data["platforms"][parts[1]]
            for part in parts[2:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = value
        elif key in ReplaySpec.model_fields:
            data[key] = value
        else:
            raise SweepError(
                f"grid key {key!r}: not a replay field (cpu_share, hours, memory_mb, ...), "
                "'policy', or platforms.NAME.FIELD"
            )
    try:
        return ReplaySpec.model_validate(data)
    except ValueError as exc:
        raise SweepError(f"grid point {point}: {_short(exc)}") from None


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 400 else text[:397] + "..."


@dataclass(frozen=True, slots=True)
class ScenarioPoint:
    """One sweep task on a scenario: a point, a seed, a platform model."""

    index: int
    point: Point
    seed: int
    scenario: Scenario
    model: str


@dataclass(frozen=True, slots=True)
class ReplayPoint:
    """One sweep task on a trace: a point, a seed, one function x model x policy."""

    index: int
    point: Point
    seed: int
    task: Task


SweepTask = ScenarioPoint | ReplayPoint


def plan(spec: SweepSpec, base: Scenario | None = None) -> list[SweepTask]:
    """Every task of the sweep, validated, in a fixed order (point, seed, function, model)."""
    tasks: list[SweepTask] = []
    if spec.replay is not None:
        functions = list(functions_of(spec.replay))
        for index, point in enumerate(spec.points()):
            for seed in spec.seeds:
                varied = apply_to_replay(spec.replay, point).model_copy(update={"seed": seed})
                for task in tasks_of(varied, functions):
                    if spec.models is None or task.model in spec.models:
                        tasks.append(ReplayPoint(index, point, seed, task))
        return tasks
    if base is None:
        raise SweepError("a scenario sweep needs its base scenario")
    models = spec.models or list(base.platforms)
    unknown = [m for m in models if m not in base.platforms]
    if unknown:
        raise SweepError(
            f"unknown model {unknown[0]!r}; the scenario has {', '.join(base.platforms)}"
        )
    for index, point in enumerate(spec.points()):
        scenario = apply_to_scenario(base, point)
        for seed in spec.seeds:
            for model in models:
                tasks.append(ScenarioPoint(index, point, seed, scenario, model))
    return tasks


def run_point(task: SweepTask) -> list[dict[str, Any]]:
    """The rows of one task (pure: the same task gives the same rows anywhere)."""
    base = {"point": task.index, **task.point, "seed": task.seed}
    if isinstance(task, ReplayPoint):
        result = run_task(task.task)
        return [{**base, **result.row()}]
    from models.run import simulate_model

    run = simulate_model(task.scenario, task.model, task.seed, keep_events=False)
    metrics = run.metrics
    bill = run.bill.as_dict()
    row = {
        **base,
        "model": task.model,
        "requests": metrics["requests"]["total"],
        "completed": metrics["requests"]["completed"],
        "rejected": metrics["requests"]["rejected"],
        "timed_out": metrics["requests"]["timed_out"],
        "cold_starts": metrics["cold_starts"],
        "cold_share": metrics["cold_start_rate"],
        "latency_p50_ms": metrics["latency_ms"]["p50"],
        "latency_p99_ms": metrics["latency_ms"]["p99"],
        "instances_max": metrics["instances"]["max"],
        "idle_gb_s": metrics["usage"]["idle_memory_gb_hours"] * 3600.0,
        "bill_usd": bill["total"],
    }
    for key, value in bill.items():
        if key != "total":
            row[f"bill_{key}_usd"] = value
    return [row]


def _cost(task: SweepTask) -> float:
    if isinstance(task, ReplayPoint):
        return float(task.task.fn.invocations)
    return float(task.scenario.workload.requests or 1000)


def run_sweep(
    spec: SweepSpec,
    base: Scenario | None = None,
    engine: Engine = "serial",
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """The tidy rows of the whole sweep, in plan order, whatever ran where."""
    tasks = plan(spec, base)
    chunks = run_tasks(run_point, tasks, engine, scheduler, workers, progress, cost=_cost)
    rows = [row for chunk in chunks for row in chunk]
    if spec.replay is not None and not spec.per_function:
        rows = _sum_functions(rows, list(spec.grid))
    return rows


def _sum_functions(rows: list[dict[str, Any]], knobs: list[str]) -> list[dict[str, Any]]:
    """Totals over functions per point x seed x model x policy (sums; shares recomputed)."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    additive = (
        "invocations",
        "completed",
        "timed_out",
        "cold_starts",
        "instances_started",
        "prewarmed",
        "instances_max",
        "wall_clock_s",
        "request_cpu_s",
        "init_cpu_s",
        "provisioned_s",
        "idle_gb_s",
        "latency_s",
    )
    for row in rows:
        key = (row["point"], row["seed"], row["model"], row["policy"])
        total = groups.get(key)
        if total is None:
            total = groups[key] = {
                "point": row["point"],
                **{k: row[k] for k in knobs},
                "seed": row["seed"],
                "model": row["model"],
                "policy": row["policy"],
                "functions": 0,
                "cpu_share": row["cpu_share"],
            }
            for name in additive:
                total[name] = 0
            for name in row:
                if name.startswith("bill_"):
                    total[name] = 0.0
        total["functions"] += 1
        for name in additive:
            total[name] += row[name]
        for name in row:
            if name.startswith("bill_"):
                total[name] = total.get(name, 0.0) + row[name]
    for total in groups.values():
        total["cold_share"] = (
            total["cold_starts"] / total["invocations"] if total["invocations"] else 0.0
        )
    return list(groups.values())
