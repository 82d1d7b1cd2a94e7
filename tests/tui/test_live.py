"""`lab tui --live`: real live-runtime runs animated as they happen, then billed like any run.

Starts real instance processes (a few, for a few seconds) and checks none outlives the app.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from lab.format import money
from lab.tui.app import LabApp
from lab.tui.live_screen import LiveScreen
from lab.tui.widgets.meters import MetersView
from models.run import measure
from tests.helpers import make_scenario

REQUESTS = 4


def descendants_running_instances(root: int) -> list[int]:
    """Processes under ``root`` whose command line runs the live runtime's code."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] != "Z":
                children.setdefault(int(stat[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            todo.append(pid)
            try:
                if b"models.live" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
            except OSError:
                pass
    return found


async def test_live_runs_are_animated_then_billed_like_any_run() -> None:
    scenario = make_scenario(
        work=[{"cpu": "5ms"}, {"io": "80ms"}, {"cpu": "5ms"}],
        arrivals={"kind": "constant", "rate": 10},
        requests=50,
    )
    app = LabApp(scenario, autoplay=False, animate=False, live=(REQUESTS, 1.0))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        waited = 0.0
        while not screen.done:
            await pilot.pause(0.1)
            waited += 0.1
            assert waited < 120, "the live runs did not finish"
        await pilot.pause()
        assert not screen.error
        playback = screen.player.playback
        assert playback is not None
        for model, session in screen.sessions.items():
            assert not session.running
            timeline = playback.timelines[model]
            assert len(timeline.requests) == REQUESTS
            assert all(r.outcome == "completed" for r in timeline.requests.values())
            # the meters at the end show the bill of the live events, measured as usual
            billed = measure(session.events, scenario, model)
            screen.player.seek(screen.player.clock.end_time)
            await pilot.pause()
            shown = screen.query_one(f"#meters-{model}", MetersView).text.plain
            assert f"whole run {money(billed.bill.total)}" in shown
        await pilot.press("q")
    deadline = time.monotonic() + 10
    while descendants_running_instances(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert descendants_running_instances(os.getpid()) == []
