"""`lab tui --live`: the playground's panels animating live-runtime runs as they happen.

Each platform model runs for real in a ``lab.web.live.LiveSession`` (the web app's live runs
use the same class): real instance processes, real imports and bytecode cache, the same
requests the simulator would play. A few times a second the events so far are measured and
laid out (in a worker thread, by the same ``models.run.measure`` and ``lab.view`` code as a
simulated run) and the player follows the live edge; pause freezes the picture, and once the
runs are over it is an ordinary replay. Leaving the screen stops the runs and their processes.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from lab.tui.playback import Playback, playback_of
from lab.tui.widgets.legend import LegendBar
from lab.tui.widgets.player import FPS, PLAYER_BINDINGS, Player, PlayerKeys
from lab.web.live import LiveSession
from models.events import Event
from models.run import RunResult, measure
from models.scenario import Scenario

REFRESH_S = 0.25
"""How often the events so far are laid out again."""


class LiveFrame(Message):
    def __init__(self, playback: Playback, done: bool) -> None:
        super().__init__()
        self.playback = playback
        self.done = done


class LiveScreen(PlayerKeys, Screen[None]):
    CSS_PATH = "../../assets/tui/playground.tcss"
    BINDINGS: ClassVar[list[BindingType]] = PLAYER_BINDINGS

    def __init__(self, scenario: Scenario, requests: int, speed: float) -> None:
        super().__init__(id="live")
        self.scenario = scenario
        self.requests = requests
        self.speed = speed
        self.sessions: dict[str, LiveSession] = {}
        self.player = Player(list(scenario.platforms), autoplay=False, id="player")
        self.done = False
        self.error = ""
        self._following = True
        self._seen = -1
        self._live_timers: list[Timer] = []

    def compose(self) -> ComposeResult:
        yield self.player
        yield LegendBar(id="legend")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.player.title = (
            f"LIVE {self.scenario.name}: {self.requests} requests, arrivals x{self.speed:g}"
        )
        self.player.busy = "starting instances…"
        for model in self.scenario.platforms:
            self.sessions[model] = LiveSession(
                self.scenario, model, self.requests, self.speed
            ).start()
        self._live_timers = [
            self.set_interval(REFRESH_S, self._refresh),
            self.set_interval(1 / FPS, self._follow),
        ]

    def on_unmount(self) -> None:
        self.stop()

    def stop(self) -> None:
        for session in self.sessions.values():
            session.stop()

    # --- following the runs ----------------------------------------------------------------

    def _refresh(self) -> None:
        if self.done:
            return
        events = {m: list(s.poll()) for m, s in self.sessions.items()}
        count = sum(len(e) for e in events.values())
        done = not any(s.running for s in self.sessions.values())
        errors = [f"{m}: {s.error}" for m, s in self.sessions.items() if s.error]
        if errors:
            self.error = "; ".join(errors)
        if count == self._seen and not done:
            self._follow()
            return
        self._seen = count
        self._lay_out(events, done)

    @work(thread=True, exclusive=True, group="live")
    def _lay_out(self, events: dict[str, list[Event]], done: bool) -> None:
        run = RunResult(self.scenario, self.scenario.seed)
        for model, stream in events.items():
            run.models[model] = measure(stream, self.scenario, model, keep_events=True)
        self.post_message(LiveFrame(playback_of(self.scenario, run), done))

    async def on_live_frame(self, message: LiveFrame) -> None:
        if self.done:
            return
        first = self.player.playback is None
        await self.player.set_playback(message.playback, first=first)
        if first:
            self.player.clock.speed = 1.0
        self.done = message.done
        if self.done:
            for timer in self._live_timers:  # an ordinary replay from here: idle costs nothing
                timer.stop()
            self.player.busy = ""
            self.player.seek(self.player.clock.end_time)
            note = f" (stopped: {self.error})" if self.error else ""
            self.notify(f"The live runs are over{note}: replay them with r and space.")
        else:
            self.player.busy = "LIVE"
        self._follow()

    def _follow(self) -> None:
        """Keep the clock on the live edge unless the user paused or stepped."""
        playback = self.player.playback
        if playback is None or not self._following or self.done:
            return
        started = min(s.started_at for s in self.sessions.values())
        live_t = time.monotonic() - started
        clock = self.player.clock
        clock.end_time = max(clock.end_time, min(live_t, playback.end_time + 2 * REFRESH_S))
        self.player.seek(clock.end_time)

    def action_toggle_play(self) -> None:
        if not self.done:
            self._following = not self._following
            self.player.busy = "LIVE" if self._following else "LIVE (paused view)"
            self.player.redraw()
            return
        super().action_toggle_play()

    def action_step(self) -> None:
        self._following = False
        super().action_step()
