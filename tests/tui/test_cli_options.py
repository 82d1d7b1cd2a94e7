"""`lab tui` refuses a bad --at or --request-rows with the option named, before opening a screen."""

from __future__ import annotations

from typer.testing import CliRunner

from lab.cli import app


def test_an_unknown_moment_kind_is_named_with_the_known_ones() -> None:
    res = CliRunner().invoke(app, ["tui", "--at", "nope"])
    assert res.exit_code == 2, res.output
    assert "--at: unknown moment kind 'nope'" in res.output
    assert "cold_start" in res.output
    assert "Traceback" not in res.output


def test_a_bad_request_rows_value_is_named() -> None:
    res = CliRunner().invoke(app, ["tui", "--request-rows", "sometimes"])
    assert res.exit_code == 2, res.output
    assert "--request-rows: 'sometimes' is not one of auto, always, off" in res.output
