"""Reading scenarios from TOML, YAML or JSON, with errors a scenario author can act on.

Every failure becomes a ``ScenarioError`` whose message names the file, the field (as a dotted
path such as ``workload.routes[0].work[1].cpu``), the value found and the form expected.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from models.durations import DURATION_FORM
from models.scenario import Scenario

MAX_SCENARIO_BYTES = 2_000_000
SUFFIXES = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


class ScenarioError(ValueError):
    """A scenario that cannot be used, with a message meant for the person who wrote it."""

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        full = (
            message
            if not self.problems
            else message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        )
        super().__init__(full)


_UNION_TAGS = {
    "constant",
    "exponential",
    "lognormal",
    "uniform",
    "empirical",
    "cpu",
    "io",
    "repeat",
    "flush",
    "poisson",
    "bursts",
    "diurnal",
    "explicit",
    "trace",
}


def _field_path(loc: tuple[int | str, ...]) -> str:
    """``workload.routes[0].work[1].cpu`` from pydantic's location, minus the union tags
    and internal names it adds (the author never wrote them)."""
    parts: list[str] = []
    skipped_tag: str | None = None
    for item in loc:
        if isinstance(item, str) and item.startswith("function-"):
            continue
        if isinstance(item, str) and item in _UNION_TAGS and skipped_tag is None and parts:
            skipped_tag = item
            continue
        if item == "value" and skipped_tag == "constant":
            continue
        skipped_tag = None
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


_EXPECTED = {
    "missing": "this field is required",
    "extra_forbidden": "no such field here (check its spelling)",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "duration": DURATION_FORM + " (dist = constant, exponential, lognormal, uniform or empirical)",
}


_TAG_MISMATCH = re.compile(
    r"Input tag '(.*)' found using '(\w+)' does not match any of the "
    r"expected tags: (.*)"
)


def _plain(message: str) -> str:
    """pydantic's wording, rewritten to follow 'expected'."""
    message = message.removeprefix("expected ").removeprefix("Input should be ")
    mismatch = _TAG_MISMATCH.match(message)
    if mismatch:
        return f"{mismatch.group(2)} to be one of {mismatch.group(3)}"
    return (
        message.replace("greater than or equal to", ">=")
        .replace("less than or equal to", "<=")
        .replace("greater than", ">")
        .replace("less than", "<")
    )


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models a field's annotation can hold (through lists, dicts, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        for model in _models_in(arg):
            if model not in found:
                found.append(model)
    return found


def _tagged(model: type[BaseModel], tag: str) -> bool:
    """Does ``tag`` (a union tag in an error location) pick ``model`` out of its union?"""
    if tag in model.model_fields:
        return True
    return any(
        field.default == tag or tag in get_args(field.annotation)
        for name, field in model.model_fields.items()
        if name in _TAG_KEYS
    )


_TAG_KEYS = ("kind", "dist")


def allowed_fields(loc: tuple[int | str, ...], root: type[BaseModel] = Scenario) -> list[str]:
    """The field names a table at ``loc`` may hold (empty when the place is not a table)."""
    candidates: list[type[BaseModel]] = [root]
    for item in loc:
        if not isinstance(item, str) or item.startswith("function-"):
            continue  # a list index
        if len(candidates) > 1 and item in _UNION_TAGS:
            candidates = [m for m in candidates if _tagged(m, item)] or candidates
            continue
        following = [
            model
            for candidate in candidates
            if item in candidate.model_fields
            for model in _models_in(candidate.model_fields[item].annotation)
        ]
        if following:
            candidates = following
        elif not any(item in c.model_fields for c in candidates):
            continue  # a key of a table of tables (a platform's name)
        else:
            return []
    if len(candidates) != 1:
        return []
    return [field.alias or name for name, field in candidates[0].model_fields.items()]


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def describe(error: ValidationError, source: str) -> ScenarioError:
    """Turn pydantic's errors into one message per field, naming value and expected form."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        where = _field_path(loc)
        kind = item["type"]
        message = item["msg"].removeprefix("Value error, ")
        expected = _EXPECTED.get(kind) or message
        value = item.get("input")
        if kind == "missing":
            problems.append(f"{where}: missing; {expected}")
        elif kind == "extra_forbidden":
            allowed = allowed_fields(loc[:-1])
            hint = f"; the fields here are {', '.join(allowed)}" if allowed else ""
            problems.append(f"{where}: got {_shown(value)}; {expected}{hint}")
        elif kind == "too_short":
            least = item.get("ctx", {}).get("min_length", 1)
            items = "item" if least == 1 else "items"
            problems.append(f"{where}: got {_shown(value)}; expected at least {least} {items}")
        elif isinstance(value, dict | BaseModel) and kind == "value_error":
            problems.append(f"{where}: {_plain(expected)}")  # a rule across several fields
        elif kind == "value_error" and not message.startswith("expected"):
            problems.append(f"{where}: got {_shown(value)}: {message}")
        else:
            problems.append(f"{where}: got {_shown(value)}; expected {_plain(expected)}")
    return ScenarioError(f"{source}: the scenario is not valid", problems)


def parse_text(text: str, fmt: str, source: str = "scenario") -> dict[str, Any]:
    """Parse TOML, YAML or JSON text into a table, or raise ScenarioError."""
    try:
        if fmt == "toml":
            data: Any = tomllib.loads(text)
        elif fmt == "yaml":
            data = yaml.safe_load(text)
        elif fmt == "json":
            data = json.loads(text)
        else:
            raise ScenarioError(f"{source}: unknown format {fmt!r}; use toml, yaml or json")
    except (tomllib.TOMLDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{source}: not valid {fmt.upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a table of scenario fields at the top level")
    return data


def scenario_from_data(data: dict[str, Any], source: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise describe(exc, source) from None


def scenario_from_text(text: str, fmt: str, source: str = "scenario") -> Scenario:
    if len(text.encode()) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{source}: larger than {MAX_SCENARIO_BYTES // 1000} kB")
    return scenario_from_data(parse_text(text, fmt, source), source)


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file, or a built-in by name (``lab scenarios`` lists them)."""
    path = Path(path)
    if not path.exists():
        builtins = builtin_names()
        if str(path) in builtins:
            return builtin_scenario(str(path))
        raise ScenarioError(
            f"{path}: no such file, and no built-in scenario of that name "
            f"(built-ins: {', '.join(builtins)})"
        )
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ScenarioError(f"{path}: unknown file type; use .toml, .yaml, .yml or .json")
    if path.stat().st_size > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{path}: larger than {MAX_SCENARIO_BYTES // 1000} kB")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc}") from None
    return scenario_from_text(text, fmt, str(path))


def _builtin_folder() -> Any:
    return resources.files("assets").joinpath("scenarios")


def builtin_names() -> list[str]:
    return sorted(
        e.name.removesuffix(".toml")
        for e in _builtin_folder().iterdir()
        if e.name.endswith(".toml")
    )


def builtin_scenario(name: str) -> Scenario:
    entry = _builtin_folder().joinpath(f"{name}.toml")
    if not entry.is_file():
        raise ScenarioError(
            f"no built-in scenario {name!r}; built-ins: {', '.join(builtin_names())}"
        )
    return scenario_from_text(entry.read_text(encoding="utf-8"), "toml", f"built-in {name}")


def builtin_scenarios() -> dict[str, Scenario]:
    return {name: builtin_scenario(name) for name in builtin_names()}


DEFAULT_SCENARIO = "ai-streaming"
