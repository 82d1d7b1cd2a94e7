"""`lab --help` starts fast: the CLI package imports nothing heavy until a command runs.

No timing is asserted (the machines are shared); what is checked is the cause of a slow start,
the modules loaded. The constants the CLI repeats to stay light are checked against their source.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pandas", "dask", "textual", "streamlit", "simpy", "altair", "models", "lessons")

PROBE = """
import json, sys
from lab.cli import main
sys.argv = ["lab", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))))
"""


@pytest.mark.parametrize("args", [["--help"], ["sim", "--help"], ["replay", "--help"]])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    code = PROBE.replace("HEAVY", repr(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "Usage" in done.stdout
    assert json.loads(lines[-1]) == []


def test_repeated_constants_match_their_source() -> None:
    from lab.cli.common import DEFAULT_SCENARIO
    from lab.cli.replay import POLICY_NAMES
    from models.loading import DEFAULT_SCENARIO as SOURCE_DEFAULT
    from models.replay import POLICY_PRESETS

    assert DEFAULT_SCENARIO == SOURCE_DEFAULT
    assert tuple(POLICY_PRESETS) == POLICY_NAMES


def test_command_modules_do_not_import_the_app() -> None:
    """No circle: only the package itself (and ``__main__``) imports ``lab.cli.app``."""
    offenders = []
    for path in (ROOT / "lab").rglob("*.py"):
        if path.name in {"__init__.py", "__main__.py"} and path.parent.name == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in {"lab.cli", "lab.cli.app"}:
                offenders.append(str(path.relative_to(ROOT)))
            if isinstance(node, ast.Import) and any(
                a.name in {"lab.cli", "lab.cli.app"} for a in node.names
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
