"""The top line: what is playing, where the clock is, how fast it runs.

Paused, the clock reads to the millisecond (a step moves it by less than the rounded reading),
and after a step the line names the event stepped to instead of the title.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from lab.format import clock as clock_reading
from lab.format import seconds
from lab.tui.clock import PlaybackClock
from models.events import Event

BAR_WIDTH = 16
EVENT_WORDS = {
    "request_arrived": "request {request} arrives",
    "request_queued": "request {request} queued",
    "request_rejected": "request {request} rejected",
    "request_assigned": "request {request} → instance {instance} ({start})",
    "instance_starting": "instance {instance} starts ({reason})",
    "phase_started": "instance {instance}: {phase} begins",
    "phase_ended": "instance {instance}: {phase} ends",
    "instance_ready": "instance {instance} ready",
    "segment_started": "request {request}: {segment} begins",
    "segment_ended": "request {request}: {segment} ends",
    "first_byte": "request {request}: first byte",
    "response_sent": "request {request} answered",
    "background_done": "request {request}: background work done",
    "request_timed_out": "request {request} timed out",
    "request_failed": "request {request} failed",
    "instance_idle": "instance {instance} idle",
    "instance_recycled": "instance {instance} recycled ({reason})",
}
SEGMENTS = {"cpu": "CPU", "io": "I/O wait"}


def speed_label(speed: float) -> str:
    return f"{speed:g}x"


def event_words(event: Event) -> str:
    """``request 12 → instance 3 (cold)``: one event in a few words."""
    data = event.to_dict()
    kind = data.pop("kind")
    segment = str(data.get("segment", ""))
    segment = SEGMENTS.get(segment, segment)
    data["segment"] = f"background {segment}" if data.get("background") else segment
    data["phase"] = str(data.get("phase", "")).replace("_", " ")
    words = EVENT_WORDS.get(kind)
    return words.format(**data) if words else kind.replace("_", " ")


def step_note(events: Sequence[tuple[str, Event]]) -> str:
    """What a step stopped at: the first event (and its model), and how many more at that t."""
    if not events:
        return ""
    model, event = events[0]
    more = f" (+{len(events) - 1} more)" if len(events) > 1 else ""
    return f"{model}: {event_words(event)}{more}"


def clock_text(
    clock: PlaybackClock, title: str, busy: str = "", note: str = "", width: int | None = None
) -> Text:
    """One line; in a narrow ``width`` the words go first, then the progress bar, so the time
    and what a step stopped at stay readable."""
    tail = (note, "  → ", "bold #f0c674") if note and not clock.playing else (title, "  ", "dim")
    for level in range(3):
        text = _clock_line(clock, busy, level)
        if width is None or text.cell_len + len(tail[1]) + len(tail[0]) <= width or level == 2:
            break
    words, lead, style = tail
    text.append(lead, style="bold #f0c674")
    text.append(words, style=style if words is title else "")
    return text


def _clock_line(clock: PlaybackClock, busy: str, level: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if busy:
        text.append(f"⏳ {busy}  ", style="bold #edc948")
    elif clock.playing:
        text.append("▶ playing " if level == 0 else "▶ ", style="bold #59a14f")
    else:
        text.append("⏸ paused  " if level == 0 else "⏸ ", style="bold #edc948")
    speed = speed_label(clock.speed)
    text.append(f"{speed:>6} " if level == 0 else f"{speed} ", style="bold")
    now = seconds(clock.t) if clock.playing else clock_reading(clock.t)
    end = seconds(clock.end_time)
    text.append(f"t = {now} of {end} " if level < 2 else f"{now} / {end}")
    bar = (BAR_WIDTH, BAR_WIDTH // 2, 0)[level]
    done = clock.t / clock.end_time if clock.end_time > 0 else 0.0
    filled = round(done * bar)
    text.append("━" * filled, style="#4e79a7")
    text.append("─" * (bar - filled), style="#555555")
    return text


class ClockBar(Static):
    DEFAULT_CSS = "ClockBar { height: 1; }"

    def show(self, clock: PlaybackClock, title: str, busy: str = "", note: str = "") -> None:
        width = self.content_size.width or None
        self.update(clock_text(clock, title, busy, note, width), layout=False)  # one line
