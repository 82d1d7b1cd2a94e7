"""The TUI's what-if choices: a short list of values per knob of ``lab.view.whatif``.

A terminal select needs a few values, not a slider; the first choice of each knob is where the
scenario stands ("as scenario"), so putting every select back on its first entry gives back the
scenario itself. Writing the chosen values into the scenario is ``lab.view.whatif.apply_knobs``
(shared with the web app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab.format import percent, seconds
from lab.view.whatif import Knobs, apply_knobs, read_knobs, set_knob
from models.scenario import Scenario

Choices = list[tuple[str, Any]]


@dataclass(frozen=True, slots=True)
class TuiKnob:
    name: str
    """A field of ``lab.view.whatif.Knobs``."""
    label: str
    help: str
    choices: Callable[[Knobs], Choices]


def _rate(k: Knobs) -> Choices:
    if k.rate is None:
        return [("as scenario (trace)", None)]
    return [(f"as scenario ({k.rate:.3g}/s)", k.rate)] + [
        (f"{k.rate * f:.3g}/s (x{f:g})", k.rate * f) for f in (0.25, 0.5, 2, 5, 20, 100)
    ]


def _burst(k: Knobs) -> Choices:
    if k.burstiness is None or k.rate is None:
        return [("as scenario", k.burstiness)]
    now = "steady" if k.burstiness == 0 else f"{percent(k.burstiness, 0)} quiet"
    return [(f"as scenario ({now})", k.burstiness), ("steady", 0.0)] + [
        (f"bursts, {percent(b, 0)} quiet", b) for b in (0.5, 0.8, 0.95)
    ]


def _io(k: Knobs) -> Choices:
    return [(f"as scenario ({percent(k.io_share, 0)})", k.io_share)] + [
        (percent(v, 0), v) for v in (0.1, 0.5, 0.75, 0.9, 0.95, 0.99)
    ]


def _bundle(k: Knobs) -> Choices:
    return [(f"as scenario ({k.bundle_kb:g} kB)", k.bundle_kb)] + [
        (f"{kb:g} kB", float(kb)) for kb in (50, 250, 550, 800, 2000)
    ]


def _cache(k: Knobs) -> Choices:
    return [
        (f"as scenario ({k.cache_fluid})", k.cache_fluid),
        ("on (merged)", "merged"),
        ("on (per instance)", "per_instance"),
        ("off", "off"),
    ]


def _keep_alive(k: Knobs) -> Choices:
    return [(f"as scenario ({seconds(k.keep_alive_s)})", k.keep_alive_s)] + [
        (seconds(v), v) for v in (1.0, 10.0, 60.0, 300.0, 900.0)
    ]


def _concurrency(k: Knobs) -> Choices:
    return [(f"as scenario ({k.concurrency})", k.concurrency)] + [
        (str(v), v) for v in (1, 2, 5, 10, 50, 250)
    ]


def _min(k: Knobs) -> Choices:
    return [(f"as scenario ({k.min_instances})", k.min_instances)] + [
        (str(v), v) for v in (0, 1, 2, 5, 10)
    ]


KNOBS: tuple[TuiKnob, ...] = (
    TuiKnob("rate", "arrival rate", "mean requests per second", _rate),
    TuiKnob("burstiness", "burstiness", "same mean rate, arriving in bursts", _burst),
    TuiKnob("io_share", "I/O share", "share of a request spent waiting on I/O", _io),
    TuiKnob("bundle_kb", "bundle size", "code loaded at cold start and per route", _bundle),
    TuiKnob("cache_fluid", "bytecode cache (fluid)", "reuse compiled code", _cache),
    TuiKnob("keep_alive_s", "keep-alive", "idle time before recycling", _keep_alive),
    TuiKnob("concurrency", "concurrency cap (fluid)", "requests per instance", _concurrency),
    TuiKnob("min_instances", "min instances", "instances kept running", _min),
)


def choices_for(base: Scenario) -> dict[str, Choices]:
    knobs = read_knobs(base)
    return {k.name: k.choices(knobs) for k in KNOBS}


def with_choices(base: Scenario, chosen: dict[str, Any]) -> Scenario:
    """``base`` with the chosen knob values (only those that differ from it) written in."""
    knobs = read_knobs(base)
    moved = {n: v for n, v in chosen.items() if getattr(knobs, n) != v}
    if not moved:
        return base
    return apply_knobs(base, set_knob(knobs, **moved))
