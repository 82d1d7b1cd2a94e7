"""A live measurement that fails is a failure, not a skip (issue 14).

``SERVERLESS_LAB_LIVE_FAIL=1`` makes every live measurement fail in its child process; the
provider retries it a bounded number of times, then ``lab lesson check N --live`` reports the
claims that need it as failed and exits 1. Without ``--live`` the same claims are skipped (the
measurement was not asked for) and the check passes. No live process is started here.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lab.cli import app
from lessons.providers import FORCE_FAIL_ENV, LIVE_ATTEMPTS, Unavailable, provide


def test_a_forced_live_failure_is_retried_then_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE_FAIL_ENV, "1")
    with pytest.raises(Unavailable) as error:
        provide("live_bytecode", {"repeats": 1})
    assert "forced failure" in str(error.value)
    assert f"tried {LIVE_ATTEMPTS} times" in str(error.value)


def test_check_live_exits_1_when_the_live_part_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE_FAIL_ENV, "1")
    result = CliRunner().invoke(app, ["lesson", "check", "8", "--live"])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "forced failure" in result.output
    assert " 0 skipped" in result.output


def test_check_without_live_skips_the_live_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE_FAIL_ENV, "1")
    result = CliRunner().invoke(app, ["lesson", "check", "8"])
    assert result.exit_code == 0, result.output
    assert "skip" in result.output
