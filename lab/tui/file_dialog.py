"""Ask for a scenario file; a bad file keeps the dialog open with the loader's message."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from models.loading import ScenarioError, load_scenario
from models.scenario import Scenario


class ScenarioFileDialog(ModalScreen[Scenario | None]):
    """Dismisses with the loaded scenario, or None when cancelled."""

    CSS_PATH = "../../assets/tui/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="file-box"):
            yield Static(
                "[b]Load a scenario[/b] — a .toml, .yaml or .json file, or a built-in name"
            )
            path = Input(placeholder="path/to/scenario.toml", id="path")
            path.cursor_blink = self.app.animation_level != "none"
            yield path
            yield Static("", id="file-error")
            yield Static("[dim]enter: load · esc: cancel[/dim]")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        source = event.value.strip()
        if not source:
            return
        try:
            scenario = load_scenario(source)
        except ScenarioError as exc:
            self.query_one("#file-error", Static).update(Text(str(exc), style="red"))
            return
        except OSError as exc:  # unreadable file, a directory...
            message = f"cannot read {source}: {exc}"
            self.query_one("#file-error", Static).update(Text(message, style="red"))
            return
        self.dismiss(scenario)

    def action_cancel(self) -> None:
        self.dismiss(None)
