"""Calibration: what cold starts and dispatch really cost on this machine, for the simulator.

``measure_profile()`` runs real cold starts (bundles of three sizes, bytecode cache off and
on), fits compile and cache-load cost per kB of their CPU time (two straight lines with one
intercept: ``fixed_ms + size_kb * per_kb``), takes the medians of process start and of the
client set-up's CPU, and measures the runtime's own overhead on warm requests.
``calibrated(scenario, profile)`` turns a profile into scenario overrides
(``Scenario.with_changes``), so a simulated run of a scenario can be compared with a live one
honestly; the simulator itself is unchanged.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.durations import Constant
from models.events import (
    Event,
    RequestArrived,
    RequestAssigned,
    RequestQueued,
    ResponseSent,
    SegmentEnded,
    SegmentStarted,
)
from models.live.bundles import default_cache_root
from models.live.coldstart import measure_cold_starts
from models.live.replay import run_live
from models.live.runtime import LiveOptions
from models.scenario import Scenario

SIZES = (20.0, 200.0, 800.0)
"""Bundle sizes the cold-start costs are measured at (kB): from a small chunk, which anchors the
per-chunk cost, to the seed's biggest bundle."""


class Profile(BaseModel):
    """A machine profile written by ``lab calibrate`` (times in seconds unless named _ms)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    created: str
    machine: str
    python: str
    cpus: int = Field(ge=1)
    runtime_init_s: float = Field(ge=0, description="zygote fork until the instance answers")
    spawn_runtime_init_s: float = Field(ge=0, description="a fresh interpreter until it answers")
    module_init_overhead_s: float = Field(
        ge=0, description="opening the upstream client (its CPU: the phase is billed as CPU)"
    )
    compile_ms_per_kb: float = Field(ge=0)
    load_ms_per_kb: float = Field(ge=0)
    fixed_ms: float = Field(ge=0, description="per-chunk cost either way")
    dispatch_ms: float = Field(ge=0, description="runtime overhead on a warm request, median")
    cpu_share: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="CPU seconds a busy process gets per wall second here (1: an idle machine)",
    )


def default_profile_path() -> Path:
    return default_cache_root() / "calibration.json"


def save_profile(profile: Profile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profile.model_dump_json(indent=2) + "\n", encoding="utf-8")


def load_profile(path: str | Path) -> Profile:
    """Read a profile; ValueError with the file and the problem when it is not one."""
    try:
        return Profile.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a calibration profile ({exc})") from None


def calibrated(
    scenario: Scenario, profile: Profile, start_method: str = "zygote", provision: bool = False
) -> Scenario:
    """The scenario with this machine's measured cold-start costs, as the live runtime runs it.

    ``provision=False`` matches a live run without ``--provision`` (no container-pull delay).
    """
    function = scenario.function
    init = profile.runtime_init_s if start_method == "zygote" else profile.spawn_runtime_init_s
    changes: dict[str, Any] = {
        "function.runtime_init": init,
        "function.code_load": {
            "compile_ms_per_kb": profile.compile_ms_per_kb,
            "load_ms_per_kb": profile.load_ms_per_kb,
            "fixed_ms": profile.fixed_ms,
        },
    }
    if not provision:
        changes["function.provision"] = 0.0
    if profile.cpu_share < function.vcpus:  # other processes took part of the core
        changes["function.vcpus"] = profile.cpu_share
    if isinstance(function.module_init, Constant):
        changes["function.module_init"] = (
            function.module_init.value + profile.module_init_overhead_s
        )
    return scenario.with_changes(**changes)


def _fit(
    off: list[tuple[float, float]], on: list[tuple[float, float]]
) -> tuple[float, float, float]:
    """Least squares through (size_kb, ms) with the cache off and on: two lines sharing their
    intercept (what a chunk costs whatever its size: finding and running its package),
    ``(fixed_ms, compile_ms_per_kb, load_ms_per_kb)``, all clipped at 0."""

    def sums(points: list[tuple[float, float]]) -> tuple[float, float, float, float, int]:
        sx = sum(x for x, _ in points)
        sy = sum(y for _, y in points)
        sxx = sum(x * x for x, _ in points)
        sxy = sum(x * y for x, y in points)
        return sx, sy, sxx, sxy, len(points)

    parts = [sums(off), sums(on)]
    num = sum(sy - sx * sxy / sxx for sx, sy, sxx, sxy, _ in parts if sxx)
    den = sum(n - sx * sx / sxx for sx, _, sxx, _, n in parts if sxx)
    fixed = max(num / den, 0.0) if den > 1e-9 else 0.0
    slopes = [max((sxy - fixed * sx) / sxx, 0.0) if sxx else 0.0 for sx, _, sxx, sxy, _ in parts]
    return fixed, slopes[0], slopes[1]


def warm_overhead_ms(events: list[Event]) -> list[float]:
    """Per request served warm: latency minus the time its segments took (the runtime's share).

    Requests that waited for a cold start (``cold``, ``joined``) or in the queue are left out:
    their wait is the cold start's or the queue's, not the router's.
    """
    arrived: dict[int, float] = {}
    seg_start: dict[tuple[int, int, bool], float] = {}
    work: dict[int, float] = {}
    out = []
    for event in events:
        if isinstance(event, RequestArrived):
            arrived[event.request] = event.t
        elif isinstance(event, RequestQueued) or (
            isinstance(event, RequestAssigned) and event.start != "warm"
        ):
            arrived.pop(event.request, None)
        elif isinstance(event, SegmentStarted):
            seg_start[(event.request, event.index, event.background)] = event.t
        elif isinstance(event, SegmentEnded):
            t0 = seg_start.pop((event.request, event.index, event.background), event.t)
            work[event.request] = work.get(event.request, 0.0) + event.t - t0
        elif isinstance(event, ResponseSent) and event.request in arrived:
            latency = event.t - arrived[event.request]
            out.append((latency - work.get(event.request, 0.0)) * 1000)
    return out


def measure_cpu_share(samples: int = 7, burn_s: float = 0.03) -> float:
    """How much of a core a busy single thread gets now: thread CPU / wall, median."""
    ratios = []
    for _ in range(samples):
        w0, c0 = time.perf_counter(), time.thread_time()
        while time.thread_time() - c0 < burn_s:
            sum(i * i for i in range(500))
        ratios.append((time.thread_time() - c0) / (time.perf_counter() - w0))
    return min(1.0, statistics.median(ratios))


def observed_cpu_share(events: list[Event]) -> float:
    """How much of a core the instances of a live run got while they had CPU work.

    Per instance: the CPU its cpu segments measured, over the wall time during which at least
    one of them was running. 1.0 on an idle machine; lower when other processes (other
    instances, other programs) took the cores. Requests sharing one instance do not lower it.
    """
    starts: dict[tuple[int, int, bool], tuple[int, float]] = {}
    spans: dict[int, list[tuple[float, float]]] = {}
    cpu = 0.0
    for event in events:
        if isinstance(event, SegmentStarted) and event.segment == "cpu":
            starts[(event.request, event.index, event.background)] = (event.instance, event.t)
        elif isinstance(event, SegmentEnded) and event.segment == "cpu":
            began = starts.pop((event.request, event.index, event.background), None)
            if began is not None:
                spans.setdefault(began[0], []).append((began[1], event.t))
                cpu += event.cpu_s
    busy = 0.0
    for intervals in spans.values():
        end = -1.0
        for t0, t1 in sorted(intervals):
            if t1 > end:
                busy += t1 - max(t0, end)
                end = t1
    return min(1.0, cpu / busy) if busy > 0 else 1.0


def dispatch_scenario(requests: int = 150) -> Scenario:
    """Warm requests of 0.2 ms CPU, 10 ms apart: one at a time, as a warm request is served."""
    return Scenario.model_validate(
        {
            "name": "dispatch",
            "workload": {
                "arrivals": {"kind": "constant", "rate": 100},
                "requests": requests,
                "routes": [{"name": "/ping", "work": [{"cpu": "0.2ms"}]}],
            },
            "platforms": {"fluid": {"keep_alive": 60}},
        }
    )


def measure_profile(repeats: int = 5, log: Callable[[str], Any] | None = None) -> Profile:
    say = log or (lambda _message: None)
    off: list[tuple[float, float]] = []
    on: list[tuple[float, float]] = []
    init: list[float] = []
    module: list[float] = []
    for size in SIZES:
        for cache in (False, True):
            say(f"  cold starts: {size:.0f} kB, cache {'on' if cache else 'off'}")
            row = measure_cold_starts(size, cache, repeats)
            # CPU, not wall: on a busy machine the wall time also counts other processes
            (on if cache else off).append((size, row["code_load_cpu_ms"]))
            init.append(row["runtime_init_ms"])
            module.append(row["module_init_cpu_ms"])
    say("  cold starts: spawn")
    spawn = measure_cold_starts(50.0, False, max(2, repeats // 2), LiveOptions("spawn"))
    say("  warm dispatch")
    run = run_live(dispatch_scenario(), "fluid")
    overhead = warm_overhead_ms(run.events)
    fixed, compile_per_kb, load_per_kb = _fit(off, on)
    return Profile(
        created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        machine=f"{platform.system()} {platform.machine()} {platform.node()}",
        python=sys.version.split()[0],
        cpus=os.cpu_count() or 1,
        runtime_init_s=statistics.median(init) / 1000,
        spawn_runtime_init_s=spawn["runtime_init_ms"] / 1000,
        module_init_overhead_s=statistics.median(module) / 1000,
        compile_ms_per_kb=round(compile_per_kb, 4),
        load_ms_per_kb=round(load_per_kb, 4),
        fixed_ms=round(fixed, 3),
        dispatch_ms=round(statistics.median(overhead), 3) if overhead else 0.0,
        cpu_share=round(measure_cpu_share(), 3),
    )
