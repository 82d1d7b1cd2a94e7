"""The lessons' live parts, measured for real by the live runtime (real processes, ~20 s).

Lesson 3 imports real Python bundles with the bytecode cache off and on; lesson 8 runs a leaky
handler under fluid and traditional. Their claims are skipped in a plain `lab lesson check` and
checked here (and by `lab lesson check --live`).
"""

from __future__ import annotations

import pytest

from lessons import open_lesson

pytest.importorskip("models.live.replay", reason="the live runtime is not installed")


@pytest.mark.parametrize("number", [3, 8])
def test_live_claims_pass(number: int) -> None:
    run = open_lesson(number, live=True)
    live = [c for c in run.claims if c.id.startswith("live-")]
    assert live, "the lesson has a live claim"
    assert [(c.id, c.status, c.detail) for c in live if c.status != "pass"] == []
    assert all(step.available for step in run.steps)  # the live step rendered with numbers


def test_export_live_prints_the_live_numbers_in_the_handout(tmp_path) -> None:
    from typer.testing import CliRunner

    from lab.cli import app

    out = tmp_path / "lesson8.html"
    result = CliRunner().invoke(app, ["lesson", "export", "8", "--html", str(out), "--live"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Measured live, in class" not in page
    assert "leaky handler" in page and "not in the handout" not in result.output
