"""The playground: every platform model of a scenario side by side on the same arrivals.

The screen owns the playback clock. A wall-clock timer (paused whenever playback is, so an
idle app costs nothing) advances the clock; everything drawn is a function of ``clock.t``.
What-if changes re-simulate in a worker thread, cached by scenario fingerprint.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from pydantic import ValidationError
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from lab.tui.clock import PlaybackClock
from lab.tui.details import InstanceDetailScreen
from lab.tui.knobs import with_choices
from lab.tui.playback import Playback, PlaybackCache
from lab.tui.widgets.clockbar import ClockBar
from lab.tui.widgets.lanes import LanesView
from lab.tui.widgets.legend import LegendBar
from lab.tui.widgets.panel import ModelPanel
from lab.tui.widgets.whatif import WhatIfPanel
from models.scenario import Scenario

HINT = (
    "The same requests on each platform, side by side. Each row is an instance; time flows "
    "left to right, now is the right edge. ? explains every mark, w opens what-if."
)
FPS = 20
WIDE = 120
"""From this many columns the what-if panel is open from the start."""


class PlaybackReady(Message):
    def __init__(self, playback: Playback) -> None:
        super().__init__()
        self.playback = playback


class PlaygroundScreen(Screen[None]):
    CSS_PATH = "../../assets/tui/playground.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_play", "play", priority=True),
        Binding("s", "step", "step", priority=True),
        Binding("minus", "slower", "slow", priority=True),
        Binding("plus,equals_sign", "faster", "fast", key_display="+", priority=True),
        Binding("r", "restart", "restart", priority=True),
        Binding("w", "toggle_whatif", "what-if", priority=True),
    ]

    def __init__(self, scenario: Scenario, autoplay: bool = True) -> None:
        super().__init__(id="playground")
        self.base = scenario
        self.scenario = scenario
        self.autoplay = autoplay
        self.clock = PlaybackClock()
        self.playback: Playback | None = None
        self.cache = PlaybackCache()
        self.busy = ""
        self._timer: Timer | None = None
        self._last_tick = 0.0
        self._first = True
        self._changed = False
        self._panels: list[ModelPanel] = []

    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock")
        with Horizontal(id="body"):
            with Horizontal(id="panels"):
                for model in self.scenario.platforms:
                    yield ModelPanel(model)
            yield WhatIfPanel(self.base, id="whatif")
        yield LegendBar(id="legend")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / FPS, self._tick, pause=True)
        self.query_one("#whatif").display = self.app.size.width >= WIDE
        self.run_scenario(self.scenario)

    # --- running scenarios ---------------------------------------------------------------

    def run_scenario(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._changed = scenario.fingerprint() != self.base.fingerprint()
        hit = self.cache.get(scenario)
        if hit is not None:
            self.call_later(self._apply, hit)
            return
        self.busy = "simulating…"
        self.redraw()
        self._simulate(scenario)

    @work(thread=True, exclusive=True, group="simulate")
    def _simulate(self, scenario: Scenario) -> None:
        self.post_message(PlaybackReady(self.cache.build(scenario)))

    def on_playback_ready(self, message: PlaybackReady) -> None:
        if message.playback.scenario.fingerprint() == self.scenario.fingerprint():
            self.call_later(self._apply, message.playback)

    async def _apply(self, playback: Playback) -> None:
        self.playback = playback
        self.busy = ""
        panels = self.query(ModelPanel)
        if [p.model for p in panels] != playback.models:
            await self.query_one("#panels").remove_children()
            await self.query_one("#panels").mount_all(ModelPanel(m) for m in playback.models)
        for panel in self.query(ModelPanel):
            model = panel.model
            panel.set_run(
                playback.timelines[model],
                playback.result.models[model],
                playback.scenario.platforms[model],
                playback.spans[model],
            )
        self._panels = list(self.query(ModelPanel))
        self.clock.end_time = playback.end_time
        self.clock.event_times = playback.event_times
        if self._first:
            self._first = False
            self.clock.speed = playback.suggested_speed()
            self.query(LanesView).first().focus()
            if self.autoplay:
                self.play(True)
                self.notify(HINT, title="Serverless Lab", timeout=12)
        self.clock.seek(self.clock.t)
        self.redraw()

    async def load(self, scenario: Scenario) -> None:
        """Start over on another scenario (from the command palette)."""
        self.base = scenario
        self.clock.t = 0.0
        self._first = True
        await self.query_one(WhatIfPanel).set_base(scenario)
        self.run_scenario(scenario)

    def on_what_if_panel_changed(self, message: WhatIfPanel.Changed) -> None:
        self.apply_whatif(message.chosen)

    def apply_whatif(self, chosen: dict[str, Any]) -> None:
        try:
            scenario = with_choices(self.base, chosen)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            self.notify(f"{where}: {first['msg']}", title="not a valid scenario", severity="error")
            return
        self.run_scenario(scenario)

    # --- the clock -----------------------------------------------------------------------

    def play(self, on: bool) -> None:
        if on != self.clock.playing:
            self.clock.toggle()
        if self._timer is not None:
            if self.clock.playing:
                self._last_tick = time.monotonic()
                self._timer.resume()
            else:
                self._timer.pause()
        self.redraw()

    def _tick(self) -> None:
        now = time.monotonic()
        self.clock.advance(now - self._last_tick)
        self._last_tick = now
        if not self.clock.playing and self._timer is not None:
            self._timer.pause()
        self.redraw()

    def seek(self, t: float) -> None:
        self.clock.seek(t)
        self.redraw()

    def redraw(self) -> None:
        title = self.scenario.title or self.scenario.name
        if self._changed:
            title = f"what-if on {self.base.name}"
        self.query_one(ClockBar).show(self.clock, title, self.busy)
        if self.playback is None:
            return
        for panel in self._panels:
            panel.show(self.clock.t, self.clock.window)

    # --- actions -------------------------------------------------------------------------

    def action_toggle_play(self) -> None:
        self.play(not self.clock.playing)

    def action_step(self) -> None:
        self.play(False)
        self.clock.step()
        self.redraw()

    def action_faster(self) -> None:
        self.clock.faster()
        self.redraw()

    def action_slower(self) -> None:
        self.clock.slower()
        self.redraw()

    def action_restart(self) -> None:
        self.clock.restart()
        self.redraw()

    def action_toggle_whatif(self) -> None:
        panel = self.query_one(WhatIfPanel)
        panel.display = not panel.display
        if panel.display:
            panel.query("Select").first().focus()
        else:
            self.query(LanesView).first().focus()

    def on_lanes_view_selected(self, message: LanesView.Selected) -> None:
        if self.playback is not None:
            self.play(False)
            self.app.push_screen(InstanceDetailScreen(self.playback, message.model, message.lane))
