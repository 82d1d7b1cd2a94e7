"""The legend: every glyph in its colour with a short word, always on screen."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lab.view import LEGEND, OUTCOMES

SHORT = {
    "provision": "provision",
    "runtime_init": "runtime",
    "compile": "compile",
    "cache_load": "cache hit",
    "module_init": "init",
    "cpu": "CPU",
    "io": "I/O wait",
    "bg_cpu": "bg CPU",
    "bg_io": "bg I/O",
    "idle": "idle",
    "queued": "queued",
}
ARRIVALS = ("warm", "cold", "joined", "rejected", "timed_out", "failed", "recycled")
ARRIVAL_SHORT = {
    "warm": "warm",
    "cold": "cold",
    "joined": "joined",
    "rejected": "rejected",
    "timed_out": "timeout",
    "failed": "failed",
    "recycled": "recycled",
}


def legend_text() -> Text:
    text = Text(overflow="fold")
    for kind, word in SHORT.items():
        look = LEGEND[kind]
        text.append(look.glyph, style=f"bold {look.color}")
        text.append(f"{word}  ", style="dim")
    text.append("3", style=f"bold #000000 on {LEGEND['cpu'].color}")
    text.append(" 3 at once on CPU  ", style="dim")
    text.append("3", style=f"bold underline {LEGEND['io'].color}")
    text.append(" 3 waiting  ", style="dim")
    text.append("+", style=f"bold underline {LEGEND['io'].color}")
    text.append(" 10 or more  ", style="dim")
    text.append("▼", style="bold #f0c674")
    text.append("now  ", style="dim")
    for kind in ARRIVALS:
        look = OUTCOMES[kind]
        text.append(look.glyph, style=f"bold {look.color}")
        text.append(f"{ARRIVAL_SHORT[kind]}  ", style="dim")
    return text


class LegendBar(Static):
    DEFAULT_CSS = "LegendBar { height: auto; }"

    def on_mount(self) -> None:
        self.update(legend_text())
