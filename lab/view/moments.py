"""Moments: the instants of a run worth seeing, found from its events alone.

A screen exists to show a mechanism; a *moment* is where a run shows one. Both front ends
(``lab tui`` jump keys, the web app's "next ..." buttons), lessons (a step names the moment it
is about) and ``lab moments SCENARIO --json`` use this one list::

    from lab.view.moments import run_moments, next_moment
    moments = run_moments(result)                     # a RunResult with its events kept
    m = next_moment(moments, t=0.0, kind="cold_start", model="fluid")
    m.kind, m.t, m.model, m.instance, m.request       # what, when, where, who
    m.start, m.end                                    # the stretch to zoom to (lab.view.zoom)
    m.describe()  # "cold start: provision 150 ms, runtime init 80 ms, code load 312 ms
                  #  (compile), module init 60 ms"

Kinds (``MOMENT_KINDS``; ``t`` is the instant to put the clock on):

=============  ==================================================================================
kind           what and when
=============  ==================================================================================
cold_start     an instance starts (``t``: it starts; ``end``: ready); ``phases`` in order, each
               with its start and end (``code_load`` once per chunk, with ``cache_hit``)
compile        a chunk's code load without bytecode cache (``t``: load starts; ``detail``: chunk)
cache_hit      a chunk's code load from the bytecode cache (same fields)
overlap        the most requests working at once on one instance (one per instance, when >= 2):
               ``t`` the first instant that many work together, ``count``, ``requests``, and
               ``start``/``end`` from the first of them starting to the last ending
warm_hit       a request given to a ready instance (``end``: its response)
queued         a request waits for room (``end``: when it got an instance)
rejected       a request refused
timeout        a request cut at max duration (``start``: its arrival)
failed         a request that ended in an error
background     work after the response (waitUntil): ``t`` the response, ``end`` the work done
recycled       an instance torn down after its keep-alive (``start``: idle since)
crashed        an instance that died (live runs)
first_byte     a request's first byte out (``start``: its arrival)
=============  ==================================================================================

Every moment has ``start <= t <= end``. Moments are a pure function of the event stream: no
platform logic here, and nothing a simulated and a live run would show differently.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lab.format import duration_ms
from models.events import (
    BackgroundDone,
    Event,
    FirstByte,
    InstanceIdle,
    InstanceReady,
    InstanceRecycled,
    InstanceStarting,
    PhaseEnded,
    PhaseStarted,
    RequestArrived,
    RequestAssigned,
    RequestFailed,
    RequestQueued,
    RequestRejected,
    RequestTimedOut,
    ResponseSent,
    SegmentStarted,
)
from models.run import ModelResult, RunResult

MOMENT_KINDS: dict[str, str] = {
    "cold_start": "cold start",
    "compile": "compile (no bytecode cache)",
    "cache_hit": "bytecode cache hit",
    "overlap": "requests at once on one instance",
    "warm_hit": "warm hit",
    "queued": "queued",
    "rejected": "rejected",
    "timeout": "timed out",
    "failed": "failed",
    "background": "background work after the response",
    "recycled": "instance recycled",
    "crashed": "instance crashed",
    "first_byte": "first byte",
}
"""Every moment kind, with its name for people (in the order a menu lists them)."""

PHASE_WORDS: dict[str, str] = {
    "provision": "provision",
    "runtime_init": "runtime init",
    "code_load": "code load",
    "module_init": "module init",
}


@dataclass(frozen=True, slots=True)
class Phase:
    """One cold-start phase of an instance."""

    name: str
    """provision, runtime_init, code_load or module_init."""
    start: float
    end: float
    chunk: str = ""
    cache_hit: bool | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start": self.start,
            "end": self.end,
            "chunk": self.chunk or None,
            "cache_hit": self.cache_hit,
        }


@dataclass(frozen=True, slots=True)
class Moment:
    kind: str
    t: float
    model: str
    instance: int | None
    request: int | None
    start: float
    end: float
    phases: tuple[Phase, ...] = ()
    """cold_start: its phases in order."""
    count: int = 0
    """overlap: how many requests at once."""
    requests: tuple[int, ...] = ()
    """overlap: which requests."""
    detail: str = ""
    """compile / cache_hit: the chunk; background: ``cut`` when max duration stopped it."""

    @property
    def label(self) -> str:
        return MOMENT_KINDS.get(self.kind, self.kind.replace("_", " "))

    def phase_durations(self) -> list[tuple[str, float, str]]:
        """``(phase words, seconds, note)`` per cold-start phase, the code loads of several
        chunks summed into one (note: ``compile``, ``cache hit`` or ``1 compiled, 1 cached``)."""
        out: list[tuple[str, float, str]] = []
        loads = [p for p in self.phases if p.name == "code_load"]
        for phase in self.phases:
            if phase.name != "code_load":
                out.append((PHASE_WORDS.get(phase.name, phase.name), phase.duration, ""))
            elif phase is loads[0]:
                hits = sum(1 for p in loads if p.cache_hit)
                if hits == len(loads):
                    note = "cache hit"
                elif hits == 0:
                    note = "compile"
                else:
                    note = f"{len(loads) - hits} compiled, {hits} cached"
                total = sum(p.duration for p in loads)
                out.append(("code load", total, note))
        return out

    def describe(self) -> str:
        """What the moment shows, in words a student knows (a status line)."""
        where = f"instance {self.instance}" if self.instance is not None else ""
        req = f"request {self.request}" if self.request is not None else ""
        span = duration_ms((self.end - self.start) * 1000)
        kind = self.kind
        if kind == "cold_start":
            parts = [
                f"{words} {duration_ms(s * 1000)}" + (f" ({note})" if note else "")
                for words, s, note in self.phase_durations()
            ]
            return "cold start: " + ", ".join(parts) if parts else f"cold start of {where}"
        if kind in ("compile", "cache_hit"):
            how = "compiled" if kind == "compile" else "loaded from the bytecode cache"
            return f"code load: chunk {self.detail or '?'} {how} in {span} ({where})"
        if kind == "overlap":
            return f"{self.count} requests at once on {where}"
        if kind == "warm_hit":
            return f"warm hit: {req} served by {where}, ready and waiting"
        if kind == "queued":
            return f"queued: {req} waited {span} for room"
        if kind == "rejected":
            return f"rejected: {req} refused, no instance had room"
        if kind == "timeout":
            return f"timed out: {req} cut at max duration after {span}"
        if kind == "failed":
            return f"failed: {req} ended in an error after {span}"
        if kind == "background":
            cut = ", cut at max duration" if self.detail == "cut" else ""
            return f"background: {req} kept working {span} after its response{cut}"
        if kind == "recycled":
            return f"recycled: {where} torn down after {span} idle (keep-alive ended)"
        if kind == "crashed":
            return f"crashed: {where} died"
        if kind == "first_byte":
            return f"first byte: {req} sent its first byte {span} after it arrived"
        return f"{self.label} {where} {req}".strip()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready object (``lab moments --json``): kind, t, model, instance, request, ..."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "t": self.t,
            "model": self.model,
            "instance": self.instance,
            "request": self.request,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.describe(),
        }
        if self.phases:
            out["phases"] = [p.to_dict() for p in self.phases]
        if self.kind == "overlap":
            out["count"] = self.count
            out["requests"] = list(self.requests)
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(slots=True)
class _Starting:
    """An instance between ``instance_starting`` and ``instance_ready``."""

    t: float
    phases: list[Phase] = field(default_factory=list)
    open: dict[tuple[str, str | None], float] = field(default_factory=dict)
    request: int | None = None


@dataclass(slots=True)
class _Peak:
    """Requests working on one instance now, and the most at once so far."""

    working: dict[int, float] = field(default_factory=dict)
    """request -> when it started working here."""
    count: int = 0
    t: float = 0.0
    requests: tuple[int, ...] = ()
    started: float = 0.0


def find_moments(
    events: Iterable[Event], model: str = "", kinds: Collection[str] | None = None
) -> list[Moment]:
    """Every moment of one model's event stream, by time (``kinds``: only those)."""
    want = set(MOMENT_KINDS) if kinds is None else set(kinds)
    unknown = want - set(MOMENT_KINDS)
    if unknown:
        raise ValueError(
            f"unknown moment kind {sorted(unknown)[0]!r}; known: {', '.join(MOMENT_KINDS)}"
        )
    out: list[Moment] = []
    add = out.append
    arrived: dict[int, float] = {}
    starting: dict[int, _Starting] = {}
    ready: set[int] = set()
    cold_of: dict[int, int] = {}
    lazy: dict[tuple[int, str | None], float] = {}
    peaks: dict[int, _Peak] = {}
    ended: dict[int, float] = {}
    """request -> when it stopped working (overlap windows)."""
    pending: dict[int, list[int]] = {}
    """request -> indexes in ``out`` of its moments whose ``end`` is not known yet."""
    idle_since: dict[int, float] = {}
    last = 0.0
    track_peaks = "overlap" in want

    def later(request: int) -> None:
        pending.setdefault(request, []).append(len(out) - 1)

    def settle(request: int, t: float) -> None:
        for i in pending.pop(request, ()):
            m = out[i]
            out[i] = Moment(
                m.kind,
                m.t,
                m.model,
                m.instance,
                m.request,
                m.start,
                t,
                m.phases,
                m.count,
                m.requests,
                m.detail,
            )

    def stop_work(request: int, instance: int, t: float) -> None:
        ended[request] = t
        peak = peaks.get(instance)
        if peak is not None:
            peak.working.pop(request, None)

    for e in events:
        t = e.t
        if t > last:
            last = t
        if type(e) is SegmentStarted:
            if track_peaks:
                peak = peaks.get(e.instance)
                if peak is None:
                    peak = peaks[e.instance] = _Peak()
                if e.request not in peak.working and e.request not in ended:
                    peak.working[e.request] = t
                    if len(peak.working) > peak.count:
                        peak.count, peak.t = len(peak.working), t
                        peak.requests = tuple(sorted(peak.working))
                        peak.started = min(peak.working.values())
            continue
        if type(e) is RequestArrived:
            arrived[e.request] = t
        elif type(e) is RequestAssigned:
            settle(e.request, t)  # a queued request's wait ends
            if e.start == "cold":
                cold_of[e.instance] = e.request
                if e.instance in starting:
                    starting[e.instance].request = e.request
            elif e.start == "warm" and "warm_hit" in want:
                add(Moment("warm_hit", t, model, e.instance, e.request, t, t))
                later(e.request)
        elif type(e) is ResponseSent:
            settle(e.request, t)
            if e.background:
                if "background" in want:
                    add(Moment("background", t, model, e.instance, e.request, t, t))
                    later(e.request)
            else:
                stop_work(e.request, e.instance, t)
        elif type(e) is BackgroundDone:
            settle(e.request, t)
            stop_work(e.request, e.instance, t)
            if e.cut:
                for i in range(len(out) - 1, -1, -1):
                    m = out[i]
                    if m.kind == "background" and m.request == e.request:
                        out[i] = Moment(
                            m.kind,
                            m.t,
                            m.model,
                            m.instance,
                            m.request,
                            m.start,
                            m.end,
                            detail="cut",
                        )
                        break
        elif type(e) is FirstByte:
            if "first_byte" in want:
                since = arrived.get(e.request, t)
                add(Moment("first_byte", t, model, e.instance, e.request, since, t))
        elif type(e) is InstanceIdle:
            idle_since[e.instance] = t
        elif type(e) is RequestQueued:
            if "queued" in want:
                add(Moment("queued", t, model, None, e.request, t, t))
                later(e.request)
        elif type(e) is RequestRejected:
            settle(e.request, t)
            if "rejected" in want:
                add(Moment("rejected", t, model, None, e.request, arrived.get(e.request, t), t))
        elif type(e) is RequestTimedOut or type(e) is RequestFailed:
            settle(e.request, t)
            stop_work(e.request, e.instance, t)
            kind = "timeout" if type(e) is RequestTimedOut else "failed"
            if kind in want:
                since = arrived.get(e.request, t)
                add(Moment(kind, t, model, e.instance, e.request, since, t))
        elif type(e) is InstanceStarting:
            starting[e.instance] = _Starting(t, request=cold_of.get(e.instance))
        elif type(e) is PhaseStarted:
            boot = starting.get(e.instance)
            if boot is not None and e.request is None:
                boot.open[(e.phase, e.chunk)] = t
            else:
                lazy[(e.instance, e.chunk)] = t
        elif type(e) is PhaseEnded:
            boot = starting.get(e.instance)
            if boot is not None and e.request is None:
                began = boot.open.pop((e.phase, e.chunk), t)
                boot.phases.append(Phase(e.phase, began, t, e.chunk or "", e.cache_hit))
                owner = boot.request
            else:
                began = lazy.pop((e.instance, e.chunk), t)
                owner = e.request
            if e.phase == "code_load":
                kind = "cache_hit" if e.cache_hit else "compile"
                if kind in want:
                    add(
                        Moment(
                            kind, began, model, e.instance, owner, began, t, detail=e.chunk or ""
                        )
                    )
        elif type(e) is InstanceReady:
            boot = starting.pop(e.instance, None)
            ready.add(e.instance)
            if boot is not None and "cold_start" in want:
                add(_cold_start(boot, e.instance, t, model))
        elif type(e) is InstanceRecycled:
            boot = starting.pop(e.instance, None)
            since = idle_since.pop(e.instance, t)
            if e.reason == "keep_alive" and "recycled" in want:
                add(Moment("recycled", t, model, e.instance, None, min(since, t), t))
            elif e.reason == "crashed" and "crashed" in want:
                add(Moment("crashed", t, model, e.instance, None, t, t))
            for rid in [r for r, i in cold_of.items() if i == e.instance]:
                del cold_of[rid]

    for iid, boot in starting.items():  # a stream cut while an instance was starting
        if "cold_start" in want:
            add(_cold_start(boot, iid, last, model))
    for request in list(pending):
        settle(request, last)
    for iid, peak in peaks.items():
        if peak.count >= 2:
            end = max((ended.get(r, last) for r in peak.requests), default=peak.t)
            add(
                Moment(
                    "overlap",
                    peak.t,
                    model,
                    iid,
                    None,
                    peak.started,
                    end,
                    count=peak.count,
                    requests=peak.requests,
                )
            )
    out.sort(key=_order)
    return out


def _cold_start(boot: _Starting, instance: int, t: float, model: str) -> Moment:
    phases = list(boot.phases)
    for (name, chunk), began in boot.open.items():
        phases.append(Phase(name, began, t, chunk or ""))
    phases.sort(key=lambda p: p.start)
    return Moment("cold_start", boot.t, model, instance, boot.request, boot.t, t, tuple(phases))


_KIND_ORDER = {kind: i for i, kind in enumerate(MOMENT_KINDS)}


def _order(m: Moment) -> tuple[float, int, int]:
    return (m.t, _KIND_ORDER.get(m.kind, 99), -1 if m.instance is None else m.instance)


def run_moments(
    run: RunResult | Mapping[str, ModelResult],
    model: str | None = None,
    kinds: Collection[str] | None = None,
) -> list[Moment]:
    """The moments of every model of a run (or of ``model``), by time; models keep the run's
    order at equal times. A model whose events were not kept has none."""
    models = run.models if isinstance(run, RunResult) else run
    if model is not None and model not in models:
        raise ValueError(f"unknown platform model {model!r}; this run has {', '.join(models)}")
    out: list[Moment] = []
    for name, result in models.items():
        if model is not None and name != model:
            continue
        out.extend(find_moments(result.events or (), name, kinds))
    rank = {name: i for i, name in enumerate(models)}
    out.sort(key=lambda m: (m.t, rank.get(m.model, 0), _KIND_ORDER.get(m.kind, 99)))
    return out


def _matches(m: Moment, kind: str | None, model: str | None) -> bool:
    return (kind is None or m.kind == kind) and (model is None or m.model == model)


def next_moment(
    moments: Sequence[Moment], t: float, kind: str | None = None, model: str | None = None
) -> Moment | None:
    """The first moment strictly after ``t`` (of ``kind``, on ``model``), or None."""
    i = bisect.bisect_right([m.t for m in moments], t)
    return next((m for m in moments[i:] if _matches(m, kind, model)), None)


def previous_moment(
    moments: Sequence[Moment], t: float, kind: str | None = None, model: str | None = None
) -> Moment | None:
    """The last moment strictly before ``t`` (of ``kind``, on ``model``), or None."""
    i = bisect.bisect_left([m.t for m in moments], t)
    return next((m for m in reversed(moments[:i]) if _matches(m, kind, model)), None)


def first_moment(
    moments: Sequence[Moment], kind: str | None = None, model: str | None = None
) -> Moment | None:
    """The first moment (of ``kind``, on ``model``): where ``--at KIND`` opens."""
    return next_moment(moments, -math.inf, kind, model)


def best_moment(moments: Sequence[Moment], kind: str, model: str | None = None) -> Moment | None:
    """The moment of ``kind`` that shows it best: for ``overlap`` the most requests at once,
    for ``cold_start`` the first with every phase; otherwise the first."""
    found = [m for m in moments if _matches(m, kind, model)]
    if not found:
        return None
    if kind == "overlap":
        return max(found, key=lambda m: (m.count, -m.t))
    if kind == "cold_start":
        full = [m for m in found if len({p.name for p in m.phases}) >= 4]
        return full[0] if full else found[0]
    return found[0]
