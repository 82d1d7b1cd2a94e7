"""`?`: what the playground shows, every glyph with its meaning, and the keys."""

from __future__ import annotations

import re
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lab.view import LEGEND, OUTCOMES

_INTRO = """\
[b]Serverless Lab[/b] — the same requests, played on each platform model side by side.

Each [b]row is an instance[/b] (a container running your function); time flows left to right up to
the clock (▼ on the [b]time[/b] row, whose ticks carry their units). Where several requests run at
once on one instance, each gets a row of its own under it (└r12). The [b]arrivals[/b] row marks
each request as it comes in, and how it was served. A digit on a lane is how many requests that
instance runs at once (+ for 10 or more): on a filled cell they are computing, on a plain
underlined one they are waiting for I/O. Under each side the [b]meters[/b] run: the bill so far
(and the whole run's bill) with its parts (calls or req: the per-request fee), requests done,
timed out (!) and rejected (x), cold starts (*), latency p50/p99 of the requests done so far (–
until one is), instances and requests per instance.

[b]CPU efficiency[/b] is the same measure on every model: the CPU time actually used (requests
plus billed cold-start work) over the time that model bills. Traditional bills each request's
whole duration, so a request that mostly waits scores low; Fluid bills an instance's time while
any request is in flight, so requests waiting together on one instance raise it.

[b]Moments[/b]: '.' jumps to the next moment of a kind and ',' to the previous one, paused and
zoomed so it fills the lanes, with what it shows under the clock (a cold start's phases and
their durations, a bytecode-cache hit, requests at once on one instance, a rejected request, a
timeout...); k picks the kind. [b]Zoom[/b] is separate from speed: ] shows less time, \\[ more;
- and + change only the speed. Paused, s (step) names the event it stopped at; r restarts.
`lab tui --at KIND` opens on the first moment of a kind.

[b]Follow a request[/b]: f (or enter on a request's row) shows its path on every model — arrival,
queue, instance, cold-start phases, each CPU and I/O stretch, first byte, response, background
work — and its share of the bill; its rows are marked in the lanes.

[b]What-if[/b] (w): change the workload or the platform and the run is simulated again at once;
the line under the clock keeps the previous run's bill beside the new one. Select a lane (↑/↓,
enter or a click) to see that instance's requests, events and bill share. Load another scenario
from the command palette (ctrl+p): type "scenario". The guided [b]lessons[/b] (l) ask you to
predict a number, then show the run. `lab tui --live` plays the same screens from real processes
as they run.
"""

INTRO = re.sub(r"(?<!\n)\n(?!\n)", " ", _INTRO)
"""Paragraphs re-flow to the terminal's width (the source keeps short lines)."""

KEYS = [
    ("space", "play / pause"),
    ("s", "step to the next event"),
    ("+ / -", "faster / slower"),
    ("r", "restart from t = 0"),
    ("w", "show / hide the what-if controls"),
    ("tab", "move between lanes and controls"),
    ("↑ ↓ enter", "pick a lane, open its details"),
    ("l", "guided lessons (predict, watch, turn the knobs); esc comes back"),
    ("ctrl+p", "command palette: load a scenario, a file, lessons"),
    ("?", "this help"),
    ("q", "quit"),
]


def legend_table() -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(width=3)
    table.add_column(style="bold")
    table.add_column(style="dim")
    for look in (*LEGEND.values(), *OUTCOMES.values()):
        table.add_row(Text(look.glyph, style=f"bold {look.color}"), look.label, look.meaning)
    overlap = f"bold #000000 on {LEGEND['io'].color}"
    table.add_row(
        Text("3", style=overlap), "overlap", "3 requests in flight on one instance at once (Fluid)"
    )
    table.add_row(Text("+", style=overlap), "overlap", "10 or more on one instance at once")
    for glyph, color, label, meaning in (
        ("◔", "#e15759", "starting", "instance label: cold start under way"),
        ("●", "#4e79a7", "busy", "instance label: requests in flight (count after it)"),
        ("○", "#a0a0a0", "idle", "instance label: waiting out its keep-alive"),
    ):
        table.add_row(Text(glyph, style=f"bold {color}"), label, meaning)
    return table


def keys_table() -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold #f0c674", width=11)
    table.add_column()
    for key, what in KEYS:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "../../assets/tui/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(INTRO)
            yield Static("[b]keys[/b]")
            yield Static(keys_table())
            yield Static("\n[b]what each mark means[/b]")
            yield Static(legend_table())
            yield Static("\n[dim]esc closes this help[/dim]")

    def action_close(self) -> None:
        self.dismiss()
