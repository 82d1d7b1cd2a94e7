"""Shared pieces of the TUI tests: a small scenario, an app that starts paused, a wait."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from lab.tui.app import LabApp
from lab.tui.playground import PlaygroundScreen
from models.loading import builtin_scenario
from models.scenario import Scenario

SMALL_REQUESTS = 400


@pytest.fixture(scope="session")
def small() -> Scenario:
    """db-api cut to a few hundred requests: both models, cold starts, overlap, I/O."""
    return builtin_scenario("db-api").with_changes(**{"workload.requests": SMALL_REQUESTS})


def make_app(scenario: Scenario) -> LabApp:
    """Paused, no animations: what a test sees is a function of the clock alone."""
    return LabApp(scenario, autoplay=False, animate=False)


async def ready(pilot: Pilot[None], timeout: float = 60.0) -> PlaygroundScreen:
    """Wait until the playground has a simulated run for its current scenario."""
    app = pilot.app
    assert isinstance(app, LabApp)
    waited = 0.0
    while True:
        await pilot.pause()
        screen = app.playground
        playback = screen.playback
        if (
            playback is not None
            and not screen.busy
            and playback.scenario.fingerprint() == screen.scenario.fingerprint()
        ):
            await pilot.pause()
            return screen
        await pilot.pause(0.05)
        waited += 0.05
        if waited > timeout:
            raise TimeoutError("the simulation did not finish")
