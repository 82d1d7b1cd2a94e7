"""What each kind of span looks like, in every front end: label, terminal glyph, colour.

One table, so the TUI's lanes, the web app's charts and the lesson handouts use the same
words and the same colours for the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Look:
    label: str
    glyph: str
    color: str
    """A hex colour that reads on dark and light backgrounds."""
    meaning: str


LEGEND: dict[str, Look] = {
    "provision": Look("provision", "▒", "#7f7f7f", "cold start: the platform gets a container"),
    "runtime_init": Look("runtime init", "▓", "#b07aa1", "cold start: the runtime starts"),
    "compile": Look(
        "code load: compile",
        "C",
        "#e15759",
        "cold start: source parsed and compiled (no bytecode cache)",
    ),
    "cache_load": Look(
        "code load: cache hit",
        "c",
        "#59a14f",
        "cold start: compiled bytecode loaded from the cache",
    ),
    "module_init": Look(
        "module init", "M", "#f28e2b", "cold start: the bundle's top-level code runs"
    ),
    "cpu": Look("CPU", "█", "#4e79a7", "a request computing on a core"),
    "io": Look("I/O wait", "░", "#76b7b2", "a request waiting (database, API, tokens): no core"),
    "bg_cpu": Look("background CPU", "▞", "#9c755f", "waitUntil work after the response"),
    "bg_io": Look("background I/O", "┄", "#bab0ac", "waitUntil waiting after the response"),
    "idle": Look(
        "idle (keep-alive)",
        "·",
        "#d4d4d4",
        "warm instance waiting for work until its keep-alive ends",
    ),
    "queued": Look("queued", "q", "#edc948", "waiting for an instance (max instances reached)"),
}

OUTCOMES: dict[str, Look] = {
    "warm": Look("warm hit", "w", "#59a14f", "served by an instance that was ready"),
    "cold": Look("cold start", "*", "#e15759", "had to wait for a new instance to start"),
    "joined": Look(
        "joined a starting instance",
        "j",
        "#f28e2b",
        "waited for an instance that was already starting",
    ),
    "rejected": Look("rejected", "x", "#ff0000", "refused: max instances reached"),
    "timed_out": Look("timed out", "!", "#ff0000", "cut at max duration"),
    "failed": Look("failed", "✗", "#ff0000", "ended in an error"),
    "recycled": Look("recycled", "†", "#7f7f7f", "instance torn down after keep-alive"),
}

COLD_START_PHASES = ("provision", "runtime_init", "compile", "cache_load", "module_init")


def look(kind: str) -> Look:
    return LEGEND.get(kind) or OUTCOMES[kind]


BILL_COMPONENTS: dict[str, str] = {
    "wall_clock": "wall-clock",
    "active_cpu": "active CPU",
    "provisioned_memory": "provisioned memory",
    "invocations": "invocations",
}
"""What each part of a bill is called (keys as in ``models.billing``), in every front end.
``wall_clock`` and ``active_cpu`` also name the two billing modes."""


def bill_label(component: str) -> str:
    """A bill component's name for people; an unknown one is shown as its key, spaced."""
    return BILL_COMPONENTS.get(component, component.replace("_", " "))
