"""The playground: every platform model of a scenario side by side on the same arrivals,
with what-if controls. What-if changes re-simulate in a worker thread, cached by scenario
fingerprint; the clock stays where it was so the two runs compare at the same instant.
"""

from __future__ import annotations

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
from lab.tui.widgets.lanes import LanesView
from lab.tui.widgets.legend import LegendBar
from lab.tui.widgets.player import FPS, PLAYER_BINDINGS, Opening, Player, PlayerKeys
from lab.tui.widgets.whatif import WhatIfPanel
from models.scenario import Scenario

__all__ = ["FPS", "PlaygroundScreen"]

HINT = (
    "The same requests on each platform, side by side. Each row is an instance; time flows "
    "left to right up to the clock (▼). '.' and ',' jump between moments, k picks which kind, "
    "\\[ and ] zoom; ? explains every mark, w opens what-if, l the guided lessons."
)
WIDE = 120
"""From this many columns the what-if panel is open from the start."""
NARROW = 100
"""Below this many columns the what-if panel floats over the lanes (``-narrow`` in
playground.tcss) rather than narrowing the panels and their meters."""


class PlaybackReady(Message):
    def __init__(self, playback: Playback) -> None:
        super().__init__()
        self.playback = playback


class PlaygroundScreen(PlayerKeys, Screen[None]):
    CSS_PATH = "../../assets/tui/playground.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        *PLAYER_BINDINGS,
        Binding("w", "toggle_whatif", "what-if", priority=True),
    ]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (NARROW, "-roomy"),
    ]

    def __init__(self, scenario: Scenario, autoplay: bool = True, at: str | None = None) -> None:
        """``at``: a moment kind to open paused on, or ``"opening"``: the run's opening moment
        (a cold start with its phases while requests overlap; what `lab tui` opens on, paused
        so the picture stays until space); None: at the start, at the suggested speed."""
        super().__init__(id="playground")
        self.base = scenario
        self.scenario = scenario
        self.autoplay = autoplay
        self.cache = PlaybackCache()
        self._first = True
        self._changed = False
        self._hinted = False
        self.player = Player(list(scenario.platforms), autoplay, id="player")
        self.at = at
        self.player.opening = (
            None
            if at is None
            else Opening(kind="opening", play=False)
            if at == "opening"
            else Opening(kind=at, play=False)
        )

    # what tests and the app read
    @property
    def clock(self) -> PlaybackClock:
        return self.player.clock

    @property
    def playback(self) -> Playback | None:
        return self.player.playback

    @property
    def busy(self) -> str:
        return self.player.busy

    @property
    def _timer(self) -> Timer | None:
        return self.player._timer

    def seek(self, t: float) -> None:
        self.player.seek(t)

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield self.player
            yield WhatIfPanel(self.base, id="whatif")
        yield LegendBar(id="legend")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#whatif").display = self.app.size.width >= WIDE
        self.run_scenario(self.scenario)

    def run_scenario(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._changed = scenario.fingerprint() != self.base.fingerprint()
        title = scenario.title or scenario.name
        self.player.title = f"what-if on {self.base.name}" if self._changed else title
        hit = self.cache.get(scenario)
        if hit is not None:
            self.call_later(self._apply, hit)
            return
        self.player.busy = "simulating…"
        self.player.redraw()
        self._simulate(scenario)

    @work(thread=True, exclusive=True, group="simulate")
    def _simulate(self, scenario: Scenario) -> None:
        self.post_message(PlaybackReady(self.cache.build(scenario)))

    def on_playback_ready(self, message: PlaybackReady) -> None:
        if message.playback.scenario.fingerprint() == self.scenario.fingerprint():
            self.call_later(self._apply, message.playback)

    async def _apply(self, playback: Playback) -> None:
        first, self._first = self._first, False
        await self.player.set_playback(playback, first)
        if first and self.at not in (None, "opening") and self.player.moment is None:
            self.notify(f"no {self.at.replace('_', ' ')} in this run", severity="warning")
        if first and self.autoplay and not self._hinted:
            self._hinted = True
            self.notify(HINT, title="Serverless Lab", timeout=12)

    async def load(self, scenario: Scenario) -> None:
        """Start over on another scenario (from the command palette)."""
        self.base = scenario
        self._first = True
        await self.player.reset(list(scenario.platforms))
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

    def action_toggle_whatif(self) -> None:
        panel = self.query_one(WhatIfPanel)
        panel.display = not panel.display
        if panel.display:
            panel.query("Select").first().focus()
        else:
            self.query(LanesView).first().focus()

    def on_lanes_view_selected(self, message: LanesView.Selected) -> None:
        if self.playback is not None:
            self.player.play(False)
            self.app.push_screen(InstanceDetailScreen(self.playback, message.model, message.lane))
