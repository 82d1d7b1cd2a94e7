"""`lab tui [SCENARIO] [--live]`: registered in ``lab/cli/app.py``; Textual is imported lazily so
the other `lab` commands start fast."""

from __future__ import annotations

from typing import Annotated

import typer

from lab.cli.common import DEFAULT_SCENARIO, fail
from lab.cli.moments import MOMENT_KIND_NAMES

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
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help=(
                "Open paused on the first moment of this kind, zoomed to fill the lanes: "
                f"{', '.join(MOMENT_KIND_NAMES)}; or start (the beginning of the run). "
                "Default: a cold start while requests overlap."
            ),
        ),
    ] = None,
    request_rows: Annotated[
        str,
        typer.Option(
            "--request-rows",
            help="A row per request under an instance running several: auto (when there is "
            "room), always (the lanes scroll) or off.",
        ),
    ] = "auto",
    requests: Annotated[
        int, typer.Option(help="--live: how many of the scenario's requests to send.")
    ] = 20,
    speed: Annotated[
        float, typer.Option(help="--live: arrivals this many times faster than the scenario.")
    ] = 10.0,
) -> None:
    """Open the terminal lab: platform models side by side, animated, with what-if controls."""
    from models.loading import ScenarioError, load_scenario

    try:
        spec = load_scenario(scenario)
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    if requests < 1 or speed <= 0:
        raise fail("--requests must be at least 1 and --speed above 0")
    if at is not None and at not in (*MOMENT_KIND_NAMES, "start"):
        raise fail(
            f"--at: unknown moment kind {at!r}; known: {', '.join(MOMENT_KIND_NAMES)} "
            "(or start: the beginning of the run)"
        )
    if request_rows not in ("auto", "always", "off"):
        raise fail(f"--request-rows: {request_rows!r} is not one of auto, always, off")
    if live:
        why = _live_missing(spec)
        if why:
            raise fail(LIVE_MISSING.format(why=why))
    from lab.tui.app import LabApp

    opening = at or "opening"  # the run's opening moment: a cold start while requests overlap
    from lab.tui.widgets.lanes import REQUEST_ROWS

    REQUEST_ROWS[0] = request_rows
    app = LabApp(
        spec,
        autoplay=not paused,
        live=(requests, speed) if live else None,
        at=None if opening == "start" else opening,
    )
    try:
        app.run()
    finally:
        app.stop_live()


def _live_missing(spec: object) -> str:
    """Why a live run cannot start here ("" when it can)."""
    try:
        import lab.web.live  # noqa: F401
        import models.live.replay  # noqa: F401
    except ImportError as exc:
        return f"the live runtime is not installed ({exc})"
    return ""
