"""``lab class``: new, list, close and results through the real CLI (Typer's runner)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.classroom.service import Classroom
from lab.cli.app import app

runner = CliRunner()


def _new(db_url: str, *extra: str) -> tuple[str, str]:
    done = runner.invoke(
        app, ["class", "new", "--title", "Cold starts", "-l", "1", "--db", db_url, *extra]
    )
    assert done.exit_code == 0, done.output
    code = re.search(r"join code\s+(\w+)", done.output)
    key = re.search(r"teacher key\s+(\S+)", done.output)
    assert code and key, done.output
    assert f"/class?code={code[1]}" in done.output
    return code[1], key[1]


def test_new_list_results_close(db_url: str, tmp_path: Path) -> None:
    code, key = _new(db_url)
    room = Classroom(db_url)
    for name, value in (("Ann", 100.0), ("Bob", 250.0)):
        room.predict(code, room.join(code, name).token, 1, 0, value)

    listed = runner.invoke(app, ["class", "list", "--db", db_url])
    assert listed.exit_code == 0
    assert re.search(rf"{code}\s+Cold starts\s+1\s+open\s+2\s+2", listed.output), listed.output

    out = tmp_path / "results.csv"
    done = runner.invoke(
        app, ["class", "results", code, "--key", key, "--csv", str(out), "--db", db_url]
    )
    assert done.exit_code == 0, done.output
    assert "2 predictions" in done.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [(r["student"], r["value"]) for r in rows] == [("Ann", "100.0"), ("Bob", "250.0")]

    closed = runner.invoke(app, ["class", "close", code, "--key", key, "--db", db_url])
    assert closed.exit_code == 0 and "closed" in closed.output
    assert room.info(code).status == "closed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["class", "close", "ABCDEF", "--key", "x"], "code: no class has the code ABCDEF"),
        (["class", "results", "nope!", "--key", "x"], "code: 'nope!' is not a join code"),
        (["class", "new", "--title", "", "-l", "1"], "title: String should have at least 1"),
        (["class", "new", "--title", "T", "-l", "77"], "--lesson: no lesson 77"),
        (["class", "list", "--db", "not a url"], "--db: 'not a url' is not a database URL"),
    ],
)
def test_mistakes_end_with_a_clear_message(db_url: str, args: list[str], message: str) -> None:
    if "--db" not in args:
        args = [*args, "--db", db_url]
    done = runner.invoke(app, args)
    assert done.exit_code == 2
    assert message in " ".join(done.output.split()), done.output
    assert "Traceback" not in done.output


def test_teacher_commands_need_the_key(db_url: str) -> None:
    code, _key = _new(db_url)
    for command in ("close", "results"):
        done = runner.invoke(app, ["class", command, code, "--key", "wrong", "--db", db_url])
        assert done.exit_code == 2
        assert "key: that is not the teacher's key" in done.output
