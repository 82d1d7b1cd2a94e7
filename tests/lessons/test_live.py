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
