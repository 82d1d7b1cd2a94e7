"""The event vocabulary: the one contract between sources (simulator, live runtime) and
everything downstream (metrics, bills, animation, lessons).

Every event has ``t`` (seconds since the run started) and a ``kind``. A source emits them in
time order. Requests and instances are named by integer ids that are unique within one run of
one platform model.

========================  ======================================================================
kind                      meaning (fields beyond ``t``)
========================  ======================================================================
request_arrived           a request reached the platform (``request``, ``route``)
request_queued            no instance had room and none could start (``request``)
request_rejected          no room, and the platform rejects rather than queues (``request``)
request_assigned          the request was given to an instance (``request``, ``instance``,
                          ``start``: ``warm`` – a ready instance; ``cold`` – this request made
                          the instance start; ``joined`` – waited for an instance that was
                          already starting)
instance_starting         an instance begins its cold start (``instance``, ``reason``: ``cold``,
                          ``prewarm`` or ``min_instances``)
phase_started             a cold-start phase begins (``instance``, ``phase``: ``provision``,
                          ``runtime_init``, ``code_load``, ``module_init``; for ``code_load``
                          also ``chunk`` and ``cache_hit``; ``request`` when a route's chunk
                          is loaded lazily by a request)
phase_ended               the same phase ends (same fields, plus ``cpu_s`` spent in it; for a
                          live ``code_load``, ``cache_evicted``: damaged cache files dropped)
instance_ready            the instance can serve requests (``instance``)
segment_started           a request starts a ``cpu`` or ``io`` segment (``request``,
                          ``instance``, ``segment``, ``index``, ``background``)
segment_ended             it ends (same fields, plus ``cpu_s``: core time actually used)
first_byte                the response's first byte is sent (``request``, ``instance``)
response_sent             the response is complete (``request``, ``instance``,
                          ``background``: whether waitUntil work follows)
background_done           the waitUntil work after the response has finished (``request``,
                          ``instance``, ``cut``: max duration stopped it early)
request_timed_out         the request ran past max duration and was cut (``request``,
                          ``instance``)
request_failed            the request ended in an error (``request``, ``instance``,
                          ``error``)
instance_idle             the instance has no request in flight (``instance``)
instance_recycled         the instance is gone (``instance``, ``reason``: ``keep_alive``,
                          ``crashed`` or ``run_end``)
========================  ======================================================================

A request ends exactly once: ``response_sent`` (then maybe ``background_done``),
``request_timed_out``, ``request_failed`` or ``request_rejected``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any, ClassVar


@dataclass(slots=True)
class Event:
    """Base of every event: a time in seconds since the start of the run."""

    kind: ClassVar[str] = "event"
    t: float

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in _FIELD_NAMES[type(self)]:
            out[name] = getattr(self, name)
        return out


@dataclass(slots=True)
class RequestArrived(Event):
    kind: ClassVar[str] = "request_arrived"
    request: int
    route: str


@dataclass(slots=True)
class RequestQueued(Event):
    kind: ClassVar[str] = "request_queued"
    request: int


@dataclass(slots=True)
class RequestRejected(Event):
    kind: ClassVar[str] = "request_rejected"
    request: int
    reason: str = "max_instances"


@dataclass(slots=True)
class RequestAssigned(Event):
    kind: ClassVar[str] = "request_assigned"
    request: int
    instance: int
    start: str  # "warm" | "cold" | "joined"


@dataclass(slots=True)
class InstanceStarting(Event):
    kind: ClassVar[str] = "instance_starting"
    instance: int
    reason: str  # "cold" | "prewarm" | "min_instances"


@dataclass(slots=True)
class PhaseStarted(Event):
    kind: ClassVar[str] = "phase_started"
    instance: int
    phase: str
    chunk: str | None = None
    cache_hit: bool | None = None
    request: int | None = None


@dataclass(slots=True)
class PhaseEnded(Event):
    kind: ClassVar[str] = "phase_ended"
    instance: int
    phase: str
    chunk: str | None = None
    cache_hit: bool | None = None
    request: int | None = None
    cpu_s: float = 0.0
    cache_evicted: int = 0


@dataclass(slots=True)
class InstanceReady(Event):
    kind: ClassVar[str] = "instance_ready"
    instance: int


@dataclass(slots=True)
class SegmentStarted(Event):
    kind: ClassVar[str] = "segment_started"
    request: int
    instance: int
    segment: str  # "cpu" | "io"
    index: int
    background: bool = False


@dataclass(slots=True)
class SegmentEnded(Event):
    kind: ClassVar[str] = "segment_ended"
    request: int
    instance: int
    segment: str
    index: int
    background: bool = False
    cpu_s: float = 0.0


@dataclass(slots=True)
class FirstByte(Event):
    kind: ClassVar[str] = "first_byte"
    request: int
    instance: int


@dataclass(slots=True)
class ResponseSent(Event):
    kind: ClassVar[str] = "response_sent"
    request: int
    instance: int
    background: bool = False  # True when waitUntil work follows


@dataclass(slots=True)
class BackgroundDone(Event):
    kind: ClassVar[str] = "background_done"
    request: int
    instance: int
    cut: bool = False  # True when max duration stopped it early


@dataclass(slots=True)
class RequestTimedOut(Event):
    kind: ClassVar[str] = "request_timed_out"
    request: int
    instance: int


@dataclass(slots=True)
class RequestFailed(Event):
    kind: ClassVar[str] = "request_failed"
    request: int
    instance: int
    error: str = ""


@dataclass(slots=True)
class InstanceIdle(Event):
    kind: ClassVar[str] = "instance_idle"
    instance: int


@dataclass(slots=True)
class InstanceRecycled(Event):
    kind: ClassVar[str] = "instance_recycled"
    instance: int
    reason: str = "keep_alive"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        RequestArrived,
        RequestQueued,
        RequestRejected,
        RequestAssigned,
        InstanceStarting,
        PhaseStarted,
        PhaseEnded,
        InstanceReady,
        SegmentStarted,
        SegmentEnded,
        FirstByte,
        ResponseSent,
        BackgroundDone,
        RequestTimedOut,
        RequestFailed,
        InstanceIdle,
        InstanceRecycled,
    )
}
_FIELD_NAMES: dict[type[Event], tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in EVENT_TYPES.values()
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """The inverse of ``Event.to_dict``; ValueError on an unknown kind or field."""
    data = dict(data)
    kind = data.pop("kind", None)
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown event kind {kind!r}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise ValueError(f"bad fields for {kind}: {exc}") from None


def write_jsonl(events: Iterable[Event], out: IO[str], model: str | None = None) -> int:
    """Write events as JSON Lines (one object per line); returns the count written."""
    count = 0
    for event in events:
        record = event.to_dict()
        if model is not None:
            record["model"] = model
        out.write(json.dumps(record, separators=(",", ":")) + "\n")
        count += 1
    return count


def read_jsonl(path: str | Path) -> Iterator[tuple[str | None, Event]]:
    """Read ``(model, event)`` pairs back from a JSON Lines file."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                model = record.pop("model", None)
                yield model, event_from_dict(record)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
