"""The player: a clock bar over one lane panel per platform model, and the clock that drives
them. Used by the playground and by lessons.

A wall-clock timer (paused whenever playback is, so an idle app costs nothing) advances the
clock; everything drawn is a function of ``clock.t``. Screens bind the keys with
``PLAYER_BINDINGS`` and ``PlayerKeys``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer

from lab.tui.clock import PlaybackClock, nearest_speed
from lab.tui.playback import Playback, moment_view
from lab.tui.widgets.clockbar import ClockBar, step_note
from lab.tui.widgets.follow import CompareLine, FollowPanel
from lab.tui.widgets.lanes import LanesView
from lab.tui.widgets.panel import ModelPanel
from lab.view.moments import MOMENT_KINDS, Moment, best_moment
from lab.view.zoom import Window

FPS = 20
OPENING_WALL_S = 10.0
"""On a moment, the speed is set so that playing crosses its window in about this many wall
seconds (a cold start plays at 0.05x, an hour of traffic at 500x)."""


@dataclass(frozen=True, slots=True)
class Opening:
    """Where a run opens: a moment (``kind``; ``"opening"``: the run's headline moment, a cold
    start with its phases while requests overlap), or a time, zoom and speed; ``play`` or
    paused. Lessons set one per step; ``lab tui --at KIND`` sets ``kind``."""

    kind: str | None = None
    model: str | None = None
    t: float | None = None
    width: float | None = None
    speed: float | None = None
    play: bool = False


def player_bindings(priority: bool = True) -> list[BindingType]:
    """The player's keys; ``priority=False`` where a text field must get them first."""
    return [
        Binding("space", "toggle_play", "play", priority=priority),
        Binding("s", "step", "step", priority=priority, show=False),
        Binding("minus", "slower", "slow", priority=priority),
        Binding("plus,equals_sign", "faster", "fast", key_display="+", priority=priority),
        Binding("r", "restart", "restart", priority=priority, show=False),
        Binding("full_stop", "next_moment", "next", key_display=".", priority=priority),
        Binding("comma", "previous_moment", "prev", key_display=",", priority=priority, show=False),
        Binding("k", "moment_kind", "kind", priority=priority),
        Binding("right_square_bracket", "zoom_in", "zoom", key_display="]", priority=priority),
        Binding("left_square_bracket", "zoom_out", "out", key_display="[", priority=priority),
        Binding("f", "follow", "follow", priority=priority),
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
        self.playback_before: Playback | None = None
        """The run shown before this one (a what-if compares with it)."""
        self.opening: Opening | None = None
        """Where the next first run opens (None: at 0, at the suggested speed)."""
        self.kind = "cold_start"
        """The moment kind the jump keys visit."""
        self.moment: Moment | None = None
        """The moment jumped to (while the clock is on it)."""

    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock")
        yield CompareLine(id="compare")
        yield FollowPanel(id="follow")
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
        compare = self.query_one(CompareLine)
        old = self.playback_before
        if first or old is None or old is playback:
            compare.before = {}
        else:  # a what-if re-run: the previous run's bills at the same instant stay in view
            compare.before = {m: t.meters for m, t in old.timelines.items() if t.meters is not None}
        self.playback_before = playback
        follow = self.query_one(FollowPanel)
        if follow.request is not None and not follow.tell(follow.request, playback):
            follow.close()
        if first:
            self.clock.speed = playback.suggested_speed()
            self.clock.width = playback.suggested_width()
            self.clock.pinned = None
            self.moment = None
            if self.screen.focused is None:
                self.query(LanesView).first().focus()
            opened = self.opening is not None and self._open(playback, self.opening)
            if not opened and self.autoplay:
                self.play(True)
        elif self.moment is not None:
            self.note = self._moment_note(self.moment)
        self.clock.seek(self.clock.t)
        self.redraw()

    # --- moments and zoom ----------------------------------------------------------------

    def _open(self, playback: Playback, opening: Opening) -> bool:
        """Put the clock where ``opening`` says; False if it names nothing in this run."""
        if opening.kind is not None:
            if opening.kind == "opening":
                moment = playback.opening()
            else:
                moment = best_moment(playback.moments, opening.kind, opening.model)
            if moment is None:
                return False
            self.kind = moment.kind if opening.kind != "opening" else "cold_start"
            self.show_moment(moment)
            if opening.speed is not None:
                self.clock.speed = opening.speed
            if opening.width is not None:
                self.clock.width = opening.width
                self.clock.pin(Window(max(0.0, self.clock.t - opening.width / 2), opening.width))
            if opening.play and self.autoplay:
                self.play(True)
            return True
        if opening.t is None and opening.width is None and opening.speed is None:
            return False
        if opening.speed is not None:
            self.clock.speed = opening.speed
        if opening.width is not None:
            self.clock.width = opening.width
        if opening.t is not None:
            self.clock.seek(opening.t)
            self.clock.pin(Window(max(0.0, opening.t - self.clock.width / 2), self.clock.width))
        if opening.play and self.autoplay:
            self.play(True)
        return True

    def show_moment(self, moment: Moment) -> None:
        """Pause on ``moment``, zoomed so it fills the lanes; the clock bar says what it is."""
        self.play(False)
        moments = self.playback.moments if self.playback is not None else None
        window, at = moment_view(moment, self.clock.end_time, moments)
        self.clock.seek(at)
        self.clock.pin(window)
        self.clock.speed = nearest_speed(window.width / OPENING_WALL_S)  # space plays it slowly
        self.moment = moment
        self.note = self._moment_note(moment)
        for panel in self._panels:
            panel.focus_on(moment if panel.model == moment.model else None)
        self.redraw()

    def _moment_note(self, moment: Moment) -> str:
        many = self.playback is not None and len(self.playback.models) > 1
        return f"{moment.model} · {moment.describe()}" if many else moment.describe()

    def jump(self, step: int) -> None:
        """The next (``step`` 1) or previous (-1) moment of ``self.kind``."""
        playback = self.playback
        if playback is None:
            return
        moments = playback.moments
        here = self.moment
        order: Iterable[int]
        if here is not None and here in moments:
            i = moments.index(here)
            order = range(i + 1, len(moments)) if step > 0 else range(i - 1, -1, -1)
        else:
            t = self.clock.t
            order = (
                (j for j in range(len(moments)) if moments[j].t > t)
                if step > 0
                else (j for j in range(len(moments) - 1, -1, -1) if moments[j].t < t)
            )
        found = next((moments[j] for j in order if moments[j].kind == self.kind), None)
        if found is None:
            words = MOMENT_KINDS.get(self.kind, self.kind)
            self.app.notify(f"no {'later' if step > 0 else 'earlier'} {words} in this run")
            return
        self.show_moment(found)

    def next_kind(self) -> None:
        """Visit the next kind of moment this run has (cold start, cache hit, overlap...)."""
        kinds = self.playback.kinds() if self.playback is not None else []
        if not kinds:
            return
        i = kinds.index(self.kind) if self.kind in kinds else -1
        self.kind = kinds[(i + 1) % len(kinds)]
        if not self.clock.playing:
            self.note = f"'.' jumps to the next {MOMENT_KINDS[self.kind]}, ',' to the previous"
        self.app.notify(f"moments: {MOMENT_KINDS[self.kind]} (k: another kind)", timeout=3)
        self.redraw()

    def zoom(self, wider: bool) -> None:
        if wider:
            self.clock.zoom_out()
        else:
            self.clock.zoom_in()
        self.redraw()

    # --- the clock -----------------------------------------------------------------------

    def play(self, on: bool) -> None:
        if on and self.moment is None:
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
            self.moment = None
            self.clock.pinned = None
        self.clock.seek(t)
        self.redraw()

    def redraw(self) -> None:
        if not self.is_mounted:
            return
        t0, t1 = self.clock.view()
        if self.clock.pinned is None and self.moment is not None:
            self.moment = None  # the clock has left the moment's window
            self.note = ""
            for panel in self._panels:
                panel.focus_on(None)
        pinned = self.clock.pinned is not None
        self.query_one(ClockBar).show(self.clock, self.title, self.busy, self.note, pinned)
        if self.playback is None:
            return
        for panel in self._panels:
            panel.show(self.clock.t, t0, t1)
        self.query_one(CompareLine).show(
            {p.model: p.frame.meters if p.frame else None for p in self._panels}, self.clock.t
        )

    def follow_request(self, request: int | None = None) -> None:
        """Follow ``request`` (default: the moment's, or the one on the cursor's row), or stop
        following when one is followed already and none is named."""
        panel = self.query_one(FollowPanel)
        if request is None and panel.request is not None:
            panel.close()
            for p in self._panels:
                p.follow(None)
            return
        if request is None:
            request = self._request_at_cursor()
        if request is None or self.playback is None:
            self.app.notify("select a request's row (or jump to a moment with one), then f")
            return
        if panel.tell(request, self.playback):
            for p in self._panels:
                p.follow(request)

    def _request_at_cursor(self) -> int | None:
        if self.moment is not None and self.moment.request is not None:
            return self.moment.request
        focused = self.screen.focused
        lanes = focused if isinstance(focused, LanesView) else None
        if lanes is None:
            return None
        row = lanes._row_id(lanes.cursor)
        if isinstance(row, tuple):
            return row[1]
        if row is not None and lanes.frame is not None:
            state = next((s for s in lanes.frame.lanes if s.instance == row), None)
            if state is not None and state.requests:
                return state.requests[0][0]
        return None

    def on_lanes_view_follow(self, message: LanesView.Follow) -> None:
        self.follow_request(message.request)

    def step(self) -> None:
        self.play(False)
        self.moment = None
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
        self.moment = None
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

    def action_next_moment(self) -> None:
        self.player.jump(1)

    def action_previous_moment(self) -> None:
        self.player.jump(-1)

    def action_moment_kind(self) -> None:
        self.player.next_kind()

    def action_zoom_in(self) -> None:
        self.player.zoom(wider=False)

    def action_zoom_out(self) -> None:
        self.player.zoom(wider=True)

    def action_follow(self) -> None:
        self.player.follow_request()
