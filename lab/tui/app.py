"""The Textual app: modes (playground, lessons) and the global keys, nothing else.

LabApp(scenario).run()          # what `lab tui [SCENARIO]` does
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from lab.tui.commands import ScenarioCommands
from lab.tui.file_dialog import ScenarioFileDialog
from lab.tui.help_screen import HelpScreen
from lab.tui.lessons_screen import LessonsScreen
from lab.tui.playground import PlaygroundScreen
from models.scenario import Scenario


class LabApp(App[None]):
    TITLE = "Serverless Lab"
    CSS_PATH = "../../assets/tui/app.tcss"
    COMMANDS = App.COMMANDS | {ScenarioCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    COMMAND_PALETTE_DISPLAY = "^p"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("o", "open_file", "open", show=False),
        Binding("l", "lessons", "lessons", show=False),
        Binding("q", "quit", "quit"),
    ]

    def __init__(
        self,
        scenario: Scenario,
        autoplay: bool = True,
        animate: bool = True,
        live: tuple[int, float] | None = None,
        at: str | None = None,
    ) -> None:
        """``live=(requests, arrival speed-up)`` opens on live-runtime runs of ``scenario``;
        ``at``: a moment kind to open paused on, or ``"opening"`` (what `lab tui` passes): the
        run's opening moment, a cold start with its phases while requests overlap, paused;
        None: the start of the run."""
        super().__init__()
        self._scenario = scenario
        self._at = at
        self._autoplay = autoplay
        self._live = live
        if not animate:
            self.animation_level = "none"

    def on_mount(self) -> None:
        self.add_mode(
            "playground", lambda: PlaygroundScreen(self._scenario, self._autoplay, self._at)
        )
        self.add_mode("lessons", lambda: LessonsScreen(self._autoplay))
        if self._live is not None:
            from lab.tui.live_screen import LiveScreen

            requests, speed = self._live
            self.add_mode("live", lambda: LiveScreen(self._scenario, requests, speed))
            self.switch_mode("live")
        else:
            self.switch_mode("playground")

    def stop_live(self) -> None:
        """Stop live runs (and their instance processes); safe to call more than once."""
        for screen in self._screen_stacks.get("live", []):
            stop = getattr(screen, "stop", None)
            if stop is not None:
                stop()

    @property
    def playground(self) -> PlaygroundScreen:
        stack = self._screen_stacks.get("playground") or []
        screen = stack[0] if stack else None
        if not isinstance(screen, PlaygroundScreen):
            raise LookupError("the playground is not running")
        return screen

    async def load_scenario(self, scenario: Scenario) -> None:
        if self.current_mode != "playground":
            await self.switch_mode("playground")
        await self.playground.load(scenario)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_open_file(self) -> None:
        def loaded(scenario: Scenario | None) -> None:
            if scenario is not None:
                self.call_later(self.load_scenario, scenario)

        self.push_screen(ScenarioFileDialog(), loaded)

    def action_lessons(self) -> None:
        self.switch_mode("lessons")

    def action_playground(self) -> None:
        self.switch_mode("playground")
