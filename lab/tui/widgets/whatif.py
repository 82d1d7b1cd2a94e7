"""What-if controls: one select per knob of ``lab.tui.knobs``; any change re-runs."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Label, Select

from lab.tui.knobs import KNOBS, choices_for
from models.scenario import Scenario


class WhatIfPanel(VerticalScroll):
    """Select values are indexes into each knob's choices; index 0 is "as scenario"."""

    class Changed(Message):
        """``chosen``: knob name -> value, for every knob."""

        def __init__(self, chosen: dict[str, Any]) -> None:
            super().__init__()
            self.chosen = chosen

    def __init__(self, base: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base
        self._choices = choices_for(base)
        self.chosen = {name: choices[0][1] for name, choices in self._choices.items()}

    def compose(self) -> ComposeResult:
        yield Label("[b]what if…[/b] [dim](w hides)[/dim]", classes="whatif-title")
        for knob in KNOBS:
            choices = self._choices[knob.name]
            yield Label(knob.label, classes="knob-label")
            yield Select(
                [(label, i) for i, (label, _) in enumerate(choices)],
                value=0,
                allow_blank=False,
                id=f"knob-{knob.name}",
                tooltip=knob.help,
                compact=True,
                disabled=len(choices) < 2,
            )

    async def set_base(self, base: Scenario) -> None:
        self.base = base
        self._choices = choices_for(base)
        self.chosen = {name: choices[0][1] for name, choices in self._choices.items()}
        await self.recompose()

    def choose(self, name: str, value: Any) -> None:
        """Pick the choice of knob ``name`` whose value is ``value`` (tests, presets)."""
        values = [v for _, v in self._choices[name]]
        self.query_one(f"#knob-{name}", Select).value = values.index(value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        name = (event.select.id or "").removeprefix("knob-")
        if name not in self._choices or not isinstance(event.value, int):
            return
        value = self._choices[name][event.value][1]
        if self.chosen.get(name) == value:
            return
        self.chosen = {**self.chosen, name: value}
        self.post_message(self.Changed(self.chosen))
