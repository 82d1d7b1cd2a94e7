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
from typing import Any

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


def describe(error: ValidationError, source: str) -> ScenarioError:
    """Turn pydantic's errors into one message per field, naming value and expected form."""
    problems = []
    for item in error.errors(include_url=False):
        where = _field_path(tuple(item["loc"]))
        kind = item["type"]
        expected = _EXPECTED.get(kind) or item["msg"].removeprefix("Value error, ")
        if kind == "missing":
            problems.append(f"{where}: missing; {expected}")
            continue
        expected = _plain(expected)
        if kind == "extra_forbidden":
            problems.append(f"{where}: {expected}")
            continue
        value = item.get("input")
        if isinstance(value, dict | BaseModel) and kind == "value_error":
            problems.append(f"{where}: {expected}")  # a rule across several fields
            continue
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        problems.append(f"{where}: got {shown}; expected {expected}")
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
