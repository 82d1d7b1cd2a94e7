"""The top line: what is playing, where the clock is, how fast it runs."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lab.format import seconds
from lab.tui.clock import PlaybackClock

BAR_WIDTH = 16


def speed_label(speed: float) -> str:
    return f"{speed:g}x"


def clock_text(clock: PlaybackClock, title: str, busy: str = "") -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if busy:
        text.append(f"⏳ {busy}  ", style="bold #edc948")
    elif clock.playing:
        text.append("▶ playing ", style="bold #59a14f")
    else:
        text.append("⏸ paused  ", style="bold #edc948")
    text.append(f"{speed_label(clock.speed):>6} ", style="bold")
    text.append(f"t = {seconds(clock.t)} of {seconds(clock.end_time)} ")
    done = clock.t / clock.end_time if clock.end_time > 0 else 0.0
    filled = round(done * BAR_WIDTH)
    text.append("━" * filled, style="#4e79a7")
    text.append("─" * (BAR_WIDTH - filled), style="#555555")
    text.append(f"  {title}", style="dim")
    return text


class ClockBar(Static):
    DEFAULT_CSS = "ClockBar { height: 1; }"

    def show(self, clock: PlaybackClock, title: str, busy: str = "") -> None:
        self.update(clock_text(clock, title, busy), layout=False)  # always one line
