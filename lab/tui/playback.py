"""A scenario made ready to animate: simulated once, laid out, cached by fingerprint.

``build_playback`` is what the what-if worker thread runs; the cache makes going back to a
setting already seen instant.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from lab.tui.clock import WINDOW_WALL_S, nearest_speed
from lab.tui.raster import SpanArrays
from lab.view import Timeline, build_timeline
from lab.view.frame import FrameIndex
from lab.view.moments import Moment, best_moment, run_moments
from lab.view.zoom import Window, nice_width, window_for
from models.events import Event
from models.run import RunResult, simulate
from models.scenario import Scenario

CACHE_SIZE = 6
CACHE_EVENTS = 1_500_000
"""The cache also keeps at most about this many events (~75 MB per 330k-event run), keeping
at least the latest run however large."""


@dataclass(slots=True)
class Playback:
    scenario: Scenario
    result: RunResult
    timelines: dict[str, Timeline]
    event_times: list[float]
    """Sorted distinct event times of every model: where "step" stops."""
    end_time: float
    spans: dict[str, SpanArrays]
    """Each model's spans as arrays, for drawing any window quickly."""
    event_index: dict[str, np.ndarray] = field(default_factory=dict)
    """Each model's event times (sorted, as its events), for ``events_at``."""
    frames: dict[str, FrameIndex] = field(default_factory=dict)
    """Each model's ``state_at``, indexed for drawing many instants."""
    moments: list[Moment] = field(default_factory=list)
    """Every model's moments (``lab.view.moments``), by time: what the jump keys visit."""

    @property
    def models(self) -> list[str]:
        return list(self.timelines)

    def events_at(self, t: float) -> list[tuple[str, Event]]:
        """Every model's events at exactly ``t``, model by model, in their order."""
        out: list[tuple[str, Event]] = []
        for model, times in self.event_index.items():
            events = self.result.models[model].events or []
            lo, hi = np.searchsorted(times, t, side="left"), np.searchsorted(times, t, "right")
            out.extend((model, event) for event in events[int(lo) : int(hi)])
        return out

    def suggested_speed(self) -> float:
        """A speed at which the lanes show a few typical requests and some arrivals."""
        p50s = [r.metrics["latency_ms"]["p50"] / 1000 for r in self.result.models.values()]
        arrivals = max((len(t.requests) for t in self.timelines.values()), default=0)
        gap = self.end_time / arrivals if arrivals else 1.0
        window = max(4 * max(p50s, default=0.0), 10 * gap, 1e-3)
        return nearest_speed(window / WINDOW_WALL_S)

    def suggested_width(self) -> float:
        """The zoom a run opens with: what the suggested speed crosses in a few seconds."""
        return nice_width(self.suggested_speed() * WINDOW_WALL_S)

    def kinds(self) -> list[str]:
        """The moment kinds this run has, in ``MOMENT_KINDS`` order."""
        from lab.view.moments import MOMENT_KINDS

        present = {m.kind for m in self.moments}
        return [k for k in MOMENT_KINDS if k in present]

    def opening(self) -> Moment | None:
        """The moment a run opens on: a cold start with all its phases (one that loads from
        the bytecode cache if any does) at an instant when requests overlap on an instance
        of some model, so one picture shows the phases, a cache hit and overlap; failing
        that, the first full cold start."""
        colds = [m for m in self.moments if m.kind == "cold_start" and len(m.phases) >= 4]
        hits = [m for m in colds if any(p.cache_hit for p in m.phases)]
        for m in (hits + colds)[:300]:
            if self.most_at_once(m.end) >= 3:
                return m
        return best_moment(self.moments, "cold_start")

    def most_at_once(self, t: float) -> int:
        """The most requests on one instance at ``t``, over every model."""
        most = 0
        for frames in self.frames.values():
            for lane in frames.at(t).lanes:
                most = max(most, sum(1 for _, kind in lane.requests if kind != "waiting"))
        return most


def moment_view(
    moment: Moment, run_end: float, moments: list[Moment] | None = None
) -> tuple[Window, float]:
    """Where the lanes look and where the clock stands for ``moment``: the window fits it (for
    a compile or a cache hit during a cold start, the whole cold start, so the load is seen
    among the phases, beside the other model's at the same instant) and the clock stands at
    its end, everything it is about drawn as the past."""
    shown = moment
    if moment.kind in ("compile", "cache_hit") and moments is not None:
        shown = next(
            (
                m
                for m in moments
                if m.kind == "cold_start"
                and m.model == moment.model
                and m.instance == moment.instance
                and m.start <= moment.t <= m.end
            ),
            moment,
        )
    at = max(shown.end, moment.end)
    return window_for(_Stretch(shown.start, at, at), run_end=max(run_end, at)), at


@dataclass(frozen=True, slots=True)
class _Stretch:
    start: float
    end: float
    t: float


def build_playback(scenario: Scenario) -> Playback:
    return playback_of(scenario, simulate(scenario, keep_events=True))


def playback_of(scenario: Scenario, result: RunResult) -> Playback:
    """Lay out a run made elsewhere (a lesson's, with its events kept)."""
    timelines = {name: build_timeline(model) for name, model in result.models.items()}
    index = {
        name: np.fromiter((e.t for e in model.events or ()), np.float64, len(model.events or ()))
        for name, model in result.models.items()
    }
    times = np.unique(np.concatenate([np.zeros(0), *index.values()]))
    end = max((t.end_time for t in timelines.values()), default=0.0)
    spans = {name: SpanArrays.of(t.spans) for name, t in timelines.items()}
    frames = {name: FrameIndex(t) for name, t in timelines.items()}
    moments = run_moments(result)
    return Playback(scenario, result, timelines, times.tolist(), end, spans, index, frames, moments)


class PlaybackCache:
    """The last few playbacks, keyed by scenario fingerprint; safe to use from a worker."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[str, Playback] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, scenario: Scenario) -> Playback | None:
        with self._lock:
            key = scenario.fingerprint()
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def build(self, scenario: Scenario) -> Playback:
        hit = self.get(scenario)
        if hit is not None:
            return hit
        playback = build_playback(scenario)
        with self._lock:
            self._items[scenario.fingerprint()] = playback
            while len(self._items) > 1 and (
                len(self._items) > self._size or self._events() > CACHE_EVENTS
            ):
                self._items.popitem(last=False)
        return playback

    def _events(self) -> int:
        return sum(
            len(m.events or ()) for p in self._items.values() for m in p.result.models.values()
        )

    def __len__(self) -> int:
        return len(self._items)
