"""Scenario files in and out of the web app: uploads checked like ``lab sim`` checks a path,
built-ins shown as their authors wrote them, and a what-if scenario written back out.

No Streamlit here: the editor page calls these and shows a ``ScenarioError``'s message as is.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import PurePath

import yaml

from models.loading import MAX_SCENARIO_BYTES, SUFFIXES, ScenarioError, scenario_from_text
from models.scenario import Scenario

FORMATS = ("toml", "yaml", "json")
EXTENSIONS = ("toml", "yaml", "yml", "json")
MAX_UPLOAD_MB = -(-MAX_SCENARIO_BYTES // 1_000_000)
"""The limit a user is told (whole megabytes); the exact byte limit is checked here."""
UPLOADER_LIMIT_MB = 10
"""What the uploader itself lets through (and ``server.maxUploadSize``): above the lab's own
limit, so a file a little too big reaches ``scenario_from_upload`` and gets its message in
place of any earlier one (a file the uploader refuses never reaches the app)."""


def format_of(filename: str) -> str:
    fmt = SUFFIXES.get(PurePath(filename).suffix.lower())
    if fmt is None:
        raise ScenarioError(f"{filename}: unknown file type; use .toml, .yaml, .yml or .json")
    return fmt


def scenario_from_upload(filename: str, data: bytes) -> tuple[Scenario, str, str]:
    """``(scenario, text, format)`` of an uploaded file, or ``ScenarioError`` saying why not."""
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{filename}: larger than {MAX_SCENARIO_BYTES // 1000} kB")
    fmt = format_of(filename)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{filename}: not UTF-8 text") from None
    return scenario_from_text(text, fmt, filename), text, fmt


def builtin_text(name: str) -> str:
    """A built-in scenario's TOML source, comments and all."""
    entry = resources.files("assets").joinpath("scenarios", f"{name}.toml")
    return entry.read_text(encoding="utf-8")


def scenario_text(scenario: Scenario, fmt: str) -> str:
    """A scenario written out in full as YAML or JSON (loads back to an equal scenario)."""
    data = scenario.model_dump(mode="json", by_alias=True)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    if fmt == "yaml":
        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    raise ValueError(f"cannot write {fmt!r}; use yaml or json")
