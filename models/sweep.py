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

Every grid value is applied through the same validation as a file (``Scenario``,
``ReplaySpec``), each value alone first and then each point, so a bad value fails before
anything runs with a ``SweepError`` that names the key, the value and the expected form (the
scenario loader's wording, ``models.loading.describe``). The result has one row per point x
seed x platform model (x function, x keep-alive policy), with the knob values as columns, as
validated: ``"10min"`` is ``600.0`` (seconds), so columns have one type and sort as numbers
(``knobs`` says which are durations). That is the shape pandas, altair and the web app's
what-if pages expect.

A replay sweep streams the trace: each function is read once, its tasks for every point and
seed are made as the executor takes them, and rows are put back in plan order (point, seed,
function, model, policy), so a whole public day sweeps in bounded memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

from models.durations import parse_seconds
from models.loading import ScenarioError, allowed_fields, describe
from models.replay.executor import Engine, Progress, run_tasks
from models.replay.run import Task, functions_of, run_task
from models.replay.spec import ReplaySpec
from models.scenario import PlatformModel, Scenario

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


class SweepError(ScenarioError):
    """A sweep that cannot run; the message names the grid key, its value and what fits."""


# --- applying grid values -----------------------------------------------------------------


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _where(parts: list[str], depth: int, root: str) -> str:
    return ".".join(parts[:depth]) if depth else root


def set_path(data: dict[str, Any], key: str, value: Any, root: str = "the scenario") -> None:
    """``data`` with ``key`` (dotted; list items by index) set to ``value``, or a SweepError
    naming the part of the key that does not fit and what would."""
    parts = key.split(".")
    if not all(parts):
        raise SweepError(f"grid key {key!r}: expected dotted field names, such as a.b.c")
    target: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = _where(parts, depth, root)
        if isinstance(target, list):
            if not part.isdigit():
                raise SweepError(
                    f"grid key {key!r}: {where} is a list, so {part!r} should be an item "
                    f"number (0 to {len(target) - 1})"
                )
            index = int(part)
            if index >= len(target):
                items = "item" if len(target) == 1 else "items"
                raise SweepError(
                    f"grid key {key!r}: {where} has {len(target)} {items}, so {index} is out "
                    f"of range (expected 0 to {len(target) - 1})"
                )
            if last:
                target[index] = value
            else:
                target = target[index]
        elif isinstance(target, dict):
            if last:
                target[part] = value  # an unknown field is named by validation
            elif part not in target or target[part] is None:
                fields = _fields_at(data, parts[:depth], target)
                raise SweepError(
                    f"grid key {key!r}: {where} has no table {part!r}"
                    + (f"; its fields are {', '.join(fields)}" if fields else "")
                )
            else:
                target = target[part]
        else:
            raise SweepError(
                f"grid key {key!r}: {_where(parts, depth, root)} is a value "
                f"({_shown(target)}), not a table, so it has no field {part!r}"
            )


def _fields_at(data: dict[str, Any], parts: list[str], table: dict[str, Any]) -> list[str]:
    loc = tuple(int(p) if p.isdigit() else p for p in parts)
    fields = allowed_fields(loc) if "workload" in data or "platforms" in data else []
    return fields or sorted(table)


def _invalid(key: str, value: Any, exc: ValidationError, source: str) -> SweepError:
    problems = describe(exc, source).problems
    return SweepError(f"grid key {key!r} = {_shown(value)} is not valid", problems)


def apply_to_scenario(base: Scenario, point: Point) -> Scenario:
    """The base scenario with the point's changes, validated (``SweepError`` otherwise)."""
    data = base.model_dump(mode="python", by_alias=True)
    for key, value in point.items():
        set_path(data, key, value)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _point_error(point, exc, "scenario") from None


def _point_error(point: Point, exc: ValidationError, source: str) -> SweepError:
    if len(point) == 1:
        [(key, value)] = point.items()
        return _invalid(key, value, exc, source)
    shown = ", ".join(f"{k} = {_shown(v)}" for k, v in point.items())
    return SweepError(f"grid point {shown} is not valid", describe(exc, source).problems)


def apply_to_replay(base: ReplaySpec, point: Point) -> ReplaySpec:
    """The base replay with the point's changes, validated (``SweepError`` otherwise)."""
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
            platform = data["platforms"][parts[1]]
            target = platform
            for depth, part in enumerate(parts[2:-1], start=2):
                inner = target.setdefault(part, {})
                if not isinstance(inner, dict):
                    raise SweepError(
                        f"grid key {key!r}: {'.'.join(parts[: depth + 1])} is a value "
                        f"({_shown(inner)}), not a table"
                    )
                target = inner
            target[parts[-1]] = value
        elif key in ReplaySpec.model_fields:
            data[key] = value
        else:
            raise SweepError(
                f"grid key {key!r}: not a replay field; expected one of "
                f"{', '.join(sorted(ReplaySpec.model_fields))}, 'policy', or "
                "platforms.NAME.FIELD"
            )
    try:
        return ReplaySpec.model_validate(data)
    except ValidationError as exc:
        raise _point_error(point, exc, "replay") from None


# --- knob values as validated --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Knob:
    """A grid key's values as validated, in grid order; ``unit`` is ``s`` for durations."""

    key: str
    values: tuple[Any, ...]
    unit: str = ""


def _read(data: Any, parts: list[str]) -> Any:
    for part in parts:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _scalar(validated: Any, raw: Any) -> tuple[Any, bool]:
    """``(value for the table, is a duration)``: numbers and strings as validated, a constant
    duration as its seconds, anything else as written."""
    if isinstance(validated, dict) and validated.get("dist") == "constant":
        return validated.get("value"), True
    if isinstance(validated, bool | int | float | str):
        return validated, False
    return raw, False


def _field_info(root: type[BaseModel], parts: list[str]) -> FieldInfo | None:
    """The pydantic field a dotted path ends at (through tables of tables and lists)."""
    model: type[BaseModel] | None = root
    found: FieldInfo | None = None
    for part in parts:
        if model is None:
            return None
        if part not in model.model_fields:
            continue  # a key of a table of tables (a platform's name) or a list item
        found = model.model_fields[part]
        nested = [a for a in _flatten(found.annotation) if _is_model(a)]
        model = nested[0] if len(nested) == 1 else None
    return found


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _flatten(annotation: Any) -> list[Any]:
    out = [annotation]
    for arg in get_args(annotation):
        out += _flatten(arg)
    return out


def _is_seconds(field: FieldInfo | None) -> bool:
    if field is None:
        return False
    metadata = list(field.metadata)
    for arg in _flatten(field.annotation):
        metadata += list(getattr(arg, "__metadata__", ()))
    return any(isinstance(m, BeforeValidator) and m.func is parse_seconds for m in metadata)


def knobs(spec: SweepSpec, base: Scenario | None = None) -> dict[str, Knob]:
    """Each grid key's values validated one at a time (``SweepError`` names a bad one)."""
    found = {}
    for key, values in spec.grid.items():
        normalized = []
        seconds = False
        parts = key.split(".")
        for value in values:
            if spec.replay is not None:
                varied = apply_to_replay(spec.replay, {key: value})
                if key == "policy":
                    validated: Any = value
                elif key.startswith("platforms."):
                    dumped = varied.template().model_dump(mode="python", by_alias=True)
                    validated = _read(dumped, parts)
                else:
                    validated = varied.model_dump(mode="python", by_alias=True)[key]
            else:
                if base is None:
                    raise SweepError("a scenario sweep needs its base scenario")
                scenario = apply_to_scenario(base, {key: value})
                validated = _read(scenario.model_dump(mode="python", by_alias=True), parts)
            shown, is_duration = _scalar(validated, value)
            normalized.append(shown)
            seconds = seconds or is_duration
        if spec.replay is not None and key.startswith("platforms."):
            field = _field_info(PlatformModel, parts[2:])
        elif spec.replay is not None:
            field = ReplaySpec.model_fields.get(key)
        else:
            field = _field_info(Scenario, parts)
        unit = "s" if seconds or _is_seconds(field) else ""
        found[key] = Knob(key, tuple(normalized), unit)
    return found


# --- the plan ------------------------------------------------------------------------------


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
    """One sweep task on a trace: a point, a seed, one function x model x policy.

    ``order`` is its place in the plan: (point, seed, function, model, policy) indexes.
    """

    index: int
    point: Point
    seed: int
    task: Task
    order: tuple[int, ...] = ()


SweepTask = ScenarioPoint | ReplayPoint


def _labelled_points(spec: SweepSpec, found: dict[str, Knob]) -> list[tuple[Point, Point]]:
    """``(point as written, point as validated)`` for every point, in ``points()`` order."""
    keys = list(spec.grid)
    combos = itertools.product(*(range(len(spec.grid[k])) for k in keys))
    return [
        (
            {k: spec.grid[k][i] for k, i in zip(keys, combo, strict=True)},
            {k: found[k].values[i] for k, i in zip(keys, combo, strict=True)},
        )
        for combo in combos
    ]


def plan_stream(spec: SweepSpec, base: Scenario | None = None) -> Iterator[SweepTask]:
    """Every task of the sweep in plan order (replays: function-major, see ``ReplayPoint``).

    Everything is validated before this returns; a replay's trace is read as tasks are taken.
    """
    points = _labelled_points(spec, knobs(spec, base))
    if spec.replay is not None:
        known = list(spec.replay.template().platforms)
        unknown = [m for m in spec.models or [] if m not in known]
        if unknown:
            raise SweepError(
                f"models: unknown model {unknown[0]!r}; the replay has {', '.join(known)}"
            )
        varied = []
        for index, (point, labels) in enumerate(points):
            changed = apply_to_replay(spec.replay, point)
            for seed_index, seed in enumerate(spec.seeds):
                each = changed.model_copy(update={"seed": seed})
                chosen = [
                    (i, m)
                    for i, m in enumerate(each.template().platforms)
                    if spec.models is None or m in spec.models
                ]
                varied.append((index, labels, seed_index, seed, each, chosen))
        return _replay_tasks(varied)
    if base is None:
        raise SweepError("a scenario sweep needs its base scenario")
    models = spec.models or list(base.platforms)
    unknown = [m for m in models if m not in base.platforms]
    if unknown:
        raise SweepError(
            f"unknown model {unknown[0]!r}; the scenario has {', '.join(base.platforms)}"
        )
    tasks: list[SweepTask] = []
    for index, (point, labels) in enumerate(points):
        scenario = apply_to_scenario(base, point)
        for seed in spec.seeds:
            for model in models:
                tasks.append(ScenarioPoint(index, labels, seed, scenario, model))
    return iter(tasks)


_Varied = tuple[int, Point, int, int, ReplaySpec, list[tuple[int, str]]]


def _read_key(spec: ReplaySpec) -> tuple[Any, ...]:
    return (spec.trace, spec.format, tuple(spec.functions) if spec.functions else None)


def _replay_tasks(varied: list[_Varied]) -> Iterator[SweepTask]:
    """Read each trace once (points may differ in trace or functions), one function at a time,
    and make its tasks for every point and seed that reads it."""
    groups: dict[tuple[Any, ...], list[_Varied]] = {}
    for item in varied:
        groups.setdefault(_read_key(item[4]), []).append(item)
    for members in groups.values():
        for fn_index, fn in enumerate(functions_of(members[0][4])):
            for index, labels, seed_index, seed, each, models in members:
                for model_index, model in models:
                    for policy_index, policy in enumerate(each.policies):
                        order = (index, seed_index, fn_index, model_index, policy_index)
                        task = Task(fn, each, model, policy)
                        yield ReplayPoint(index, labels, seed, task, order)


def plan(spec: SweepSpec, base: Scenario | None = None) -> list[SweepTask]:
    """Every task of the sweep, validated, in plan order (point, seed, function, model)."""
    tasks = list(plan_stream(spec, base))
    tasks.sort(key=lambda t: t.order if isinstance(t, ReplayPoint) else ())
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
    stream: bool | None = None,
) -> list[dict[str, Any]]:
    """The tidy rows of the whole sweep, in plan order, whatever ran where.

    A replay sweep streams its trace (``stream`` None or True; progress then has no total);
    ``stream=False`` reads it whole first and submits the biggest tasks first.
    """
    source = plan_stream(spec, base)
    orders: list[tuple[int, ...]] = []

    def noted(tasks: Iterator[SweepTask]) -> Iterator[SweepTask]:
        for task in tasks:
            orders.append(task.order if isinstance(task, ReplayPoint) else (len(orders),))
            yield task

    if spec.replay is not None and stream is not False:
        chunks = run_tasks(run_point, noted(source), engine, scheduler, workers, progress, _cost)
    else:
        tasks = list(noted(source))
        chunks = run_tasks(run_point, tasks, engine, scheduler, workers, progress, cost=_cost)
    ordered = sorted(zip(orders, chunks, strict=True), key=lambda pair: pair[0])
    rows = [row for _order, chunk in ordered for row in chunk]
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
