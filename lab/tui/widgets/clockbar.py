"""The top line: what is playing, where the clock is, how fast it runs.

Paused, the clock reads to the millisecond (a step moves it by less than the rounded reading),
and after a step the line names the event stepped to instead of the title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from textual.content import Content
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
REASONS = {
    "keep_alive": "keep-alive over",
    "run_end": "end of the run",
    "crashed": "crashed",
    "cold": "a request needed it",
    "prewarm": "pre-warm",
    "min_instances": "minimum instances",
    "max_instances": "max instances reached",
}
"""Why an instance started or stopped, in words (the events' ``reason`` values)."""
STARTS = {"warm": "warm", "cold": "cold start", "joined": "joined a starting instance"}


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
    data["reason"] = REASONS.get(str(data.get("reason", "")), str(data.get("reason", "")))
    data["start"] = STARTS.get(str(data.get("start", "")), str(data.get("start", "")))
    words = EVENT_WORDS.get(kind)
    return words.format(**data) if words else kind.replace("_", " ")


def step_note(events: Sequence[tuple[str, Event]]) -> str:
    """What a step stopped at: the first event (and its model), and how many more at that t."""
    if not events:
        return ""
    model, event = events[0]
    more = f" (+{len(events) - 1} more)" if len(events) > 1 else ""
    return f"{model}: {event_words(event)}{more}"


Parts = list[tuple[str, str]]


def clock_text(
    clock: PlaybackClock,
    title: str,
    busy: str = "",
    note: str = "",
    width: int | None = None,
    held: bool = False,
) -> Content:
    """One line; in a narrow ``width`` the words go first, then the progress bar, so the time
    and what a step stopped at stay readable. ``held``: the lanes hold a moment's window, whose
    note shows while the clock crosses it, playing or not."""
    if note and (not clock.playing or held):
        tail = [("  → ", "bold #f0c674"), (note, "")]
    else:
        tail = [(f"  {title}", "dim")]
    wanted = sum(len(text) for text, _ in tail)
    for level in range(4):
        parts = _clock_parts(clock, busy, level)
        if width is None or sum(len(text) for text, _ in parts) + wanted <= width:
            break
    return Content.assemble(*parts, *tail)


MAX_NOTE_LINES = 2


def clock_lines(
    clock: PlaybackClock,
    title: str,
    busy: str = "",
    note: str = "",
    width: int | None = None,
    held: bool = False,
) -> tuple[Content, int]:
    """The clock line, and when a note (a moment, a step) does not fit beside it, the note on
    up to ``MAX_NOTE_LINES`` lines below it, wrapped at words; and how many lines in all."""
    showing = bool(note) and (not clock.playing or held)
    one = clock_text(clock, title, busy, note, width, held)
    if not showing or width is None or one.cell_length <= width:
        return one, 1
    first = Content.assemble(*_clock_parts(clock, busy, 1), (f"  {title}", "dim"))
    lines: list[str] = []
    glued = re.sub(r"(\d) (ms|s|min|h)\b", "\\1\u00a0\\2", note)  # "30 ms" stays on one line
    for word in ("→ " + glued).split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    lines = lines[:MAX_NOTE_LINES]
    body = [("\n" + line, "bold #f0c674" if i == 0 else "#f0c674") for i, line in enumerate(lines)]
    return Content.assemble(first.truncate(width), *body), 1 + len(lines)


def _clock_parts(clock: PlaybackClock, busy: str, level: int) -> Parts:
    parts: Parts = []
    if busy:
        parts.append((f"⏳ {busy}  ", "bold #edc948"))
    elif clock.playing:
        parts.append(("▶ playing " if level == 0 else "▶ ", "bold #59a14f"))
    else:
        parts.append(("⏸ paused  " if level == 0 else "⏸ ", "bold #edc948"))
    speed = speed_label(clock.speed)
    parts.append((f"{speed:>6} " if level == 0 else f"{speed} ", "bold"))
    now = seconds(clock.t) if clock.playing else clock_reading(clock.t)
    end = seconds(clock.end_time)
    parts.append((f"t = {now} of {end} " if level < 2 else f"{now} / {end} ", ""))
    if level < 3:
        across = seconds(clock.width).replace(".0 ", " ")
        parts.append((f"⟷ {across} " if level < 2 else f"⟷{across} ", "#a0a0a0"))
    bar = (BAR_WIDTH, BAR_WIDTH // 2, 0, 0)[level]
    done = clock.t / clock.end_time if clock.end_time > 0 else 0.0
    filled = round(done * bar)
    parts.append(("━" * filled, "#4e79a7"))
    parts.append(("─" * (bar - filled), "#555555"))
    return parts


class ClockBar(Static):
    DEFAULT_CSS = "ClockBar { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.auto_links = False  # no links here: skip restyling every segment on each frame

    def show(
        self, clock: PlaybackClock, title: str, busy: str = "", note: str = "", held: bool = False
    ) -> None:
        width = self.content_size.width or None
        content, lines = clock_lines(clock, title, busy, note, width, held)
        resized = self.styles.height is None or self.styles.height.value != lines
        if resized:
            self.styles.height = lines
        self.update(content, layout=resized)
