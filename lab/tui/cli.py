"""`lab tui [SCENARIO] [--live]`: registered in ``lab/cli.py``; Textual is imported lazily so
the other `lab` commands start fast."""

from __future__ import annotations

from typing import Annotated

import typer

from models.loading import DEFAULT_SCENARIO, ScenarioError, load_scenario

LIVE_MISSING = (
    "live mode animates a run of the live runtime (models/live) as it happens, and this build "
    "cannot run it yet: {why}. Run `lab tui` (without --live) to animate the simulator."
)


def tui(
    scenario: Annotated[
        str, typer.Argument(help="A scenario file (.toml, .yaml, .json) or a built-in name.")
    ] = DEFAULT_SCENARIO,
    live: Annotated[
        bool, typer.Option("--live", help="Animate a live-runtime run as it happens.")
    ] = False,
    paused: Annotated[bool, typer.Option("--paused", help="Start paused.")] = False,
) -> None:
    """Open the terminal lab: platform models side by side, animated, with what-if controls."""
    from lab.cli import fail

    try:
        spec = load_scenario(scenario)
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    if live:
        raise fail(LIVE_MISSING.format(why=_live_missing()))
    from lab.tui.app import LabApp

    LabApp(spec, autoplay=not paused).run()


def _live_missing() -> str:
    return "the live runtime has no in-process event stream for the TUI yet"
