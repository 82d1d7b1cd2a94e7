"""The player: a clock bar over one lane panel per platform model, and the clock that drives
them. Used by the playground and by lessons.

A wall-clock timer (paused whenever playback is, so an idle app costs nothing) advances the
clock; everything drawn is a function of ``clock.t``. Screens bind the keys with
``PLAYER_BINDINGS`` and ``PlayerKeys``.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer

from lab.tui.clock import PlaybackClock
from lab.tui.playback import Playback
from lab.tui.widgets.clockbar import ClockBar, step_note
from lab.tui.widgets.lanes import LanesView
from lab.tui.widgets.panel import ModelPanel

FPS = 20


def player_bindings(priority: bool = True) -> list[BindingType]:
    """The player's keys; ``priority=False`` where a text field must get them first."""
    return [
        Binding("space", "toggle_play", "play", priority=priority),
        Binding("s", "step", "step", priority=priority),
        Binding("minus", "slower", "slow", priority=priority),
        Binding("plus,equals_sign", "faster", "fast", key_display="+", priority=priority),
        Binding("r", "restart", "restart", priority=priority),
    ]


PLAYER_BINDINGS = player_bindings()


class Player(Vertical):
    def __init__(self, models: list[str], autoplay: bool = False, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.models = models
        self.autoplay = autoplay
        self.clock = PlaybackClock()
        self.playback: Playback | None = None
        self.title = ""
        self.busy = ""
        self.note = ""
        """What the last step stopped at (shown while paused there)."""
        self._timer: Timer | None = None
        self._last_tick = 0.0
        self._panels: list[ModelPanel] = []

    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock")
        with Horizontal(id="panels"):
            for model in self.models:
                yield ModelPanel(model)

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / FPS, self._tick, pause=True)
        self._panels = list(self.query(ModelPanel))
        self.redraw()

    async def reset(self, models: list[str]) -> None:
        """Forget the run (a new one is on its way) and show empty panels for ``models``."""
        self.play(False)
        self.playback = None
        self.clock.t = 0.0
        await self._mount_panels(models)
        self.redraw()

    async def _mount_panels(self, models: list[str]) -> None:
        panels = self.query_one("#panels")
        await panels.remove_children()
        await panels.mount_all(ModelPanel(m) for m in models)
        self.models = models
        self._panels = list(self.query(ModelPanel))

    async def set_playback(self, playback: Playback, first: bool) -> None:
        """Show ``playback``; on the ``first`` run of a scenario also pick a speed (and play
        if ``autoplay``), otherwise keep the clock where it is (a what-if re-run)."""
        self.playback = playback
        self.busy = ""
        self.note = ""
        if [p.model for p in self._panels] != playback.models:
            await self._mount_panels(playback.models)
        for panel in self._panels:
            model = panel.model
            panel.set_run(
                playback.timelines[model],
                playback.result.models[model],
                playback.scenario.platforms[model],
                playback.spans[model],
                playback.frames.get(model),
            )
        self.clock.end_time = playback.end_time
        self.clock.event_times = playback.event_times
        if first:
            self.clock.speed = playback.suggested_speed()
            if self.screen.focused is None:
                self.query(LanesView).first().focus()
            if self.autoplay:
                self.play(True)
        self.clock.seek(self.clock.t)
        self.redraw()

    # --- the clock -----------------------------------------------------------------------

    def play(self, on: bool) -> None:
        if on:
            self.note = ""
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
        if t != self.clock.t:
            self.note = ""
        self.clock.seek(t)
        self.redraw()

    def redraw(self) -> None:
        if not self.is_mounted:
            return
        self.query_one(ClockBar).show(self.clock, self.title, self.busy, self.note)
        if self.playback is None:
            return
        for panel in self._panels:
            panel.show(self.clock.t, self.clock.window)

    def step(self) -> None:
        self.play(False)
        t = self.clock.step()
        self.note = step_note(self.playback.events_at(t)) if self.playback is not None else ""
        self.redraw()

    def faster(self) -> None:
        self.clock.faster()
        self.redraw()

    def slower(self) -> None:
        self.clock.slower()
        self.redraw()

    def restart(self) -> None:
        self.note = ""
        self.clock.restart()
        self.redraw()


class PlayerKeys:
    """Screen actions for ``PLAYER_BINDINGS``; the screen names its player ``player``."""

    BINDINGS: ClassVar[list[BindingType]] = PLAYER_BINDINGS
    player: Player

    def action_toggle_play(self) -> None:
        self.player.play(not self.player.clock.playing)

    def action_step(self) -> None:
        self.player.step()

    def action_faster(self) -> None:
        self.player.faster()

    def action_slower(self) -> None:
        self.player.slower()

    def action_restart(self) -> None:
        self.player.restart()
