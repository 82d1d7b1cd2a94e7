"""The lessons mode. The lessons API (``lessons/``) is being built; until it lands this
screen says so and offers the way back to the playground."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Static

PLACEHOLDER = """\
[b]Lessons[/b]

Guided lessons (predict a number, run the scenario, compare) will appear here.
They are not in this build yet.

Press [b]p[/b] to go back to the playground.
"""


class LessonsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("p,escape", "app.playground", "playground")]

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(PLACEHOLDER, id="lessons-placeholder")
        yield Footer()
