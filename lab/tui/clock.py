"""The playback clock: a cursor over simulated time, moved by wall time or by steps.

Everything the playground draws is a function of ``clock.t`` alone, so a test that sets the
clock (or presses "step") sees exactly what a user would see at that moment. The wall-clock
timer in the screen only calls ``advance(wall_seconds)``.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from lab.view.zoom import Window, zoom_in, zoom_out

SPEEDS: tuple[float, ...] = (
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1000,
    2000,
    5000,
    10_000,
)
"""Simulated seconds per wall second the user can pick."""

WINDOW_WALL_S = 8.0
"""The zoom a run opens with: about this many wall seconds of playback across the lanes at
the speed it opens with. After that, zoom (``width``) and speed change separately."""


def nearest_speed(wanted: float) -> float:
    return min(SPEEDS, key=lambda s: abs(s - wanted) / s)


@dataclass(slots=True)
class PlaybackClock:
    end_time: float = 0.0
    speed: float = 10.0
    t: float = 0.0
    playing: bool = False
    event_times: Sequence[float] = field(default_factory=list)
    """Sorted times of every event of every model: what "step" jumps between."""
    width: float = 80.0
    """Zoom: seconds of simulated time across the lanes, whatever the speed."""
    pinned: Window | None = None
    """A window held still (a moment jumped to) while the clock is inside it; the lanes draw
    it up to the clock. Outside it, the lanes show the last ``width`` seconds up to now."""

    @property
    def window(self) -> float:
        return self.width

    def view(self) -> tuple[float, float]:
        """``(t0, t1)``: the stretch of time the lanes show now."""
        pin = self.pinned
        if pin is not None:
            if pin.start <= self.t <= pin.end:
                return pin.start, pin.end
            self.pinned = None
        return self.t - self.width, self.t

    def pin(self, window: Window | None) -> None:
        self.pinned = window
        if window is not None:
            self.width = window.width

    def zoom_in(self) -> None:
        self._zoom(zoom_in(self.width))

    def zoom_out(self) -> None:
        self._zoom(zoom_out(self.width))

    def _zoom(self, width: float) -> None:
        """Change the width, keeping the clock where it sits in a held window."""
        pin = self.pinned
        if pin is not None and pin.start <= self.t <= pin.end:
            share = (self.t - pin.start) / pin.width if pin.width else 1.0
            self.pinned = Window(max(0.0, self.t - share * width), width)
        self.width = width

    @property
    def at_end(self) -> bool:
        return self.t >= self.end_time

    def seek(self, t: float) -> None:
        self.t = min(max(t, 0.0), self.end_time)
        if self.at_end:
            self.playing = False

    def advance(self, wall_seconds: float) -> None:
        if self.playing:
            self.seek(self.t + wall_seconds * self.speed)

    def step(self) -> float:
        """Jump to the next event after ``t`` (or the end); pauses playback."""
        self.playing = False
        i = bisect.bisect_right(self.event_times, self.t)
        self.seek(self.event_times[i] if i < len(self.event_times) else self.end_time)
        return self.t

    def faster(self) -> None:
        i = SPEEDS.index(nearest_speed(self.speed))
        self.speed = SPEEDS[min(i + 1, len(SPEEDS) - 1)]

    def slower(self) -> None:
        i = SPEEDS.index(nearest_speed(self.speed))
        self.speed = SPEEDS[max(i - 1, 0)]

    def toggle(self) -> None:
        if self.at_end and not self.playing:
            self.t = 0.0  # play again from the start
        self.playing = not self.playing

    def restart(self) -> None:
        self.t = 0.0
        self.pinned = None
