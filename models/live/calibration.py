"""Calibration: what cold starts and dispatch really cost on this machine, for the simulator.

``measure_profile()`` runs real cold starts (bundles of two sizes, bytecode cache off and on),
fits compile and cache-load cost per kB (a straight line: ``fixed_ms + size_kb * per_kb``),
takes the medians of process start and client set-up, and measures the runtime's own overhead
on warm requests. ``calibrated(scenario, profile)`` turns a profile into scenario overrides
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
from models.events import Event, RequestArrived, ResponseSent, SegmentEnded, SegmentStarted
from models.live.bundles import default_cache_root
from models.live.coldstart import measure_cold_starts
from models.live.replay import run_live
from models.live.runtime import LiveOptions
from models.scenario import Scenario

SIZES = (200.0, 800.0)


class Profile(BaseModel):
    """A machine profile written by ``lab calibrate`` (times in seconds unless named _ms)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    created: str
    machine: str
    python: str
    cpus: int = Field(ge=1)
    runtime_init_s: float = Field(ge=0, description="zygote fork until the instance answers")
    spawn_runtime_init_s: float = Field(ge=0, description="a fresh interpreter until it answers")
    module_init_overhead_s: float = Field(ge=0, description="opening the upstream client")
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


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares line through (size_kb, ms): (fixed_ms, ms_per_kb), both clipped at 0."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in points) / var if var else my / mx
    slope = max(slope, 0.0)
    return max(my - slope * mx, 0.0), slope


def warm_overhead_ms(events: list[Event]) -> list[float]:
    """Per completed request: latency minus the time its segments took (the runtime's share)."""
    arrived: dict[int, float] = {}
    seg_start: dict[tuple[int, int, bool], float] = {}
    work: dict[int, float] = {}
    out = []
    for event in events:
        if isinstance(event, RequestArrived):
            arrived[event.request] = event.t
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


def dispatch_scenario(requests: int = 200) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "dispatch",
            "workload": {
                "arrivals": {"kind": "constant", "rate": 200},
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
            module.append(row["module_init_ms"])
    say("  cold starts: spawn")
    spawn = measure_cold_starts(50.0, False, max(2, repeats // 2), LiveOptions("spawn"))
    say("  warm dispatch")
    run = run_live(dispatch_scenario(), "fluid")
    overhead = warm_overhead_ms(run.events)[5:]
    fixed_off, compile_per_kb = _fit(off)
    fixed_on, load_per_kb = _fit(on)
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
        fixed_ms=round((fixed_off + fixed_on) / 2, 3),
        dispatch_ms=round(statistics.median(overhead), 3) if overhead else 0.0,
        cpu_share=round(measure_cpu_share(), 3),
    )
