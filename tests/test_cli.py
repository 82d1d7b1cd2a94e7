"""The `lab` command as a user meets it: outputs, and clear errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from lab.cli import app

runner = CliRunner()

GOOD = """
name = "mine"
[workload]
arrivals = { kind = "poisson", rate = 2 }
requests = 50
[[workload.routes]]
name = "/api"
work = [ { cpu = "10ms" }, { io = "90ms" } ]
"""


def write(tmp_path: Path, text: str, suffix: str = ".toml") -> str:
    path = tmp_path / f"scenario{suffix}"
    path.write_text(text)
    return str(path)


def test_sim_json_has_the_documented_shape() -> None:
    result = runner.invoke(app, ["sim", "home-blog", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"scenario", "seed", "models"}
    assert set(data["models"]) == {"traditional", "fluid"}
    model = data["models"]["fluid"]
    assert set(model["requests"]) >= {"total", "completed", "failed", "timed_out", "rejected"}
    for key in ("latency_ms", "ttfb_ms"):
        assert set(model[key]) == {"p50", "p95", "p99", "mean"}
    assert set(model["instances"]) >= {"started", "max", "mean"}
    assert set(model["concurrency_per_instance"]) == {"mean", "max"}
    assert set(model["bytecode_cache"]) == {"hits", "misses"}
    assert set(model["bill_usd"]) == {"total", "active_cpu", "provisioned_memory", "invocations"}
    assert set(data["models"]["traditional"]["bill_usd"]) == {"total", "wall_clock", "invocations"}
    assert isinstance(model["cold_starts"], int)
    assert 0 <= model["cold_start_rate"] <= 1


def test_sim_table_model_seed_and_events(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    result = runner.invoke(
        app,
        ["sim", write(tmp_path, GOOD), "--model", "fluid", "--seed", "9", "--events", str(events)],
    )
    assert result.exit_code == 0, result.output
    assert "bill total" in result.stdout and "fluid" in result.stdout
    lines = events.read_text().splitlines()
    assert lines and all(json.loads(line)["model"] == "fluid" for line in lines)


def test_scenarios_lists_the_builtins() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for name in (
        "ai-streaming",
        "image-resize",
        "db-api",
        "bundle-250kb",
        "bundle-550kb",
        "bundle-800kb",
    ):
        assert name in result.stdout


def _schema_validator() -> jsonschema.Draft202012Validator:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


BUILTIN_FILES = sorted((Path(__file__).parents[1] / "assets" / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_schema_accepts_every_builtin_file_as_written(path: Path) -> None:
    """`lab schema` describes files (duration strings, step shorthand, platform presets),
    not only the validated models: an editor using it must accept every built-in."""
    errors = list(_schema_validator().iter_errors(tomllib.loads(path.read_text())))
    assert not errors, [(list(e.absolute_path), e.message) for e in errors]


def test_schema_accepts_the_readme_example_and_refuses_mistakes() -> None:
    validator = _schema_validator()
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    data = tomllib.loads(example)
    assert not list(validator.iter_errors(data))
    assert not list(validator.iter_errors(tomllib.loads(GOOD)))
    for bad in (
        GOOD.replace("requests = 50", "requests = 50\nrequets = 5"),
        GOOD.replace('cpu = "10ms"', 'cpu = "10 parsecs"'),
        GOOD.replace('cpu = "10ms"', "cpu = -1"),
        GOOD + '[platforms.fluid]\nbytecode_cache = "sometimes"\n',
        GOOD + '[platforms.fluid]\nprices = "vercel-cheap"\n',
    ):
        assert list(validator.iter_errors(tomllib.loads(bad))), bad


BAD = {
    "wrong type": (
        GOOD.replace("requests = 50", 'requests = "many"'),
        ["workload.requests", "'many'", "whole number"],
    ),
    "unknown field": (
        GOOD.replace("requests = 50", "requests = 50\nrequets = 5"),
        ["workload.requets", "got 5", "no such field", "the fields here are arrivals, requests"],
    ),
    "negative duration": (
        GOOD.replace('cpu = "10ms"', "cpu = -1"),
        ["workload.routes[0].work[0].cpu", "-1", "non-negative duration"],
    ),
    "empty routes": (
        '[workload]\narrivals = { kind = "poisson", rate = 2 }\nrequests = 5\nroutes = []\n'
        'name = "x"',
        ["workload.routes", "got []; expected at least 1 item"],
    ),
    "unknown price preset": (
        GOOD + '[platforms.fluid]\nprices = "vercel-cheap"\n',
        ["platforms.fluid.prices", "vercel-cheap", "vercel-fluid-iad1"],
    ),
    "missing field": (GOOD.replace('name = "/api"\n', ""), ["workload.routes[0].name", "missing"]),
    "bad unit": (
        GOOD.replace('io = "90ms"', 'io = "90 parsecs"'),
        ["workload.routes[0].work[1].io", "parsecs"],
    ),
    "unknown step": (
        GOOD.replace('{ io = "90ms" }', '{ sleep = "90ms" }'),
        ["workload.routes[0].work[1]", "cpu, io, repeat or flush"],
    ),
    "unknown chunk": (
        GOOD.replace('name = "/api"', 'name = "/api"\nchunk = "nope"'),
        ["chunk 'nope'", "function.bundle"],
    ),
    "traditional concurrency": (
        GOOD + "[platforms.traditional]\nconcurrency = 4\n",
        ["platforms.traditional", "concurrency = 1"],
    ),
    "bad toml": ("name = ", ["not valid TOML"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scenarios_name_the_field_and_exit_2(tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    result = runner.invoke(app, ["sim", write(tmp_path, text)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in expected:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_yaml_and_json_scenarios_load(tmp_path: Path) -> None:
    import tomllib

    import yaml

    data = tomllib.loads(GOOD)
    for suffix, text in ((".yaml", yaml.safe_dump(data)), (".json", json.dumps(data))):
        result = runner.invoke(app, ["sim", write(tmp_path, text, suffix), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["scenario"] == "mine"


def test_missing_file_and_unknown_model_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sim", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = runner.invoke(app, ["sim", "home-blog", "--model", "lambda"])
    assert result.exit_code == 2 and "unknown model 'lambda'" in result.stderr


def test_installed_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, GOOD.replace("requests = 50", "requests = -3"))
    done = subprocess.run(
        [sys.executable, "-m", "lab.cli", "sim", bad], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "workload.requests" in done.stderr
