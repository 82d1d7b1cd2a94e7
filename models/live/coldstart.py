"""Measuring real cold starts, phase by phase, for a bundle size and a cache mode.

Each sample is one new instance process: every request arrives after the previous instance has
been recycled (a keep-alive shorter than the gap), so every request is a cold start. Phase
durations come from the runtime's own events, the same ones a front end shows.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

from models.events import Event, InstanceReady, InstanceStarting, PhaseEnded, PhaseStarted
from models.live.runtime import LiveOptions, LiveRuntime
from models.requests import generate_requests
from models.scenario import Scenario

GAP_S = 0.1
KEEP_ALIVE_S = 0.01


def cold_start_scenario(
    size_kb: float, cache: str, repeats: int, module_init_s: float = 0.0
) -> Scenario:
    """One route on one eager chunk of ``size_kb``; every request lands on a new instance."""
    data: dict[str, Any] = {
        "name": f"cold-start-{size_kb:g}kb-{cache}",
        "workload": {
            "arrivals": {"kind": "constant", "rate": 1 / GAP_S},
            "requests": repeats,
            "routes": [{"name": "/", "work": [{"cpu": "1ms"}]}],
        },
        "function": {
            "memory_mb": 1024,
            "module_init": module_init_s,
            "bundle": [{"name": "page", "size_kb": size_kb, "eager": True}],
        },
        "platforms": {
            "traditional": {"keep_alive": KEEP_ALIVE_S, "bytecode_cache": cache},
        },
    }
    return Scenario.model_validate(data)


def phases_by_instance(events: list[Event]) -> list[dict[str, float]]:
    """Per instance: the seconds of each cold-start phase and of the whole cold start."""
    starts: dict[tuple[int, str], float] = {}
    out: dict[int, dict[str, float]] = {}
    for event in events:
        if isinstance(event, InstanceStarting):
            out[event.instance] = {"_t0": event.t}
        elif isinstance(event, PhaseStarted) and event.request is None:
            starts[(event.instance, event.phase)] = event.t
        elif isinstance(event, PhaseEnded) and event.request is None:
            row = out[event.instance]
            row[event.phase] = event.t - starts[(event.instance, event.phase)]
            if event.phase == "code_load":
                row["cache_hit"] = float(bool(event.cache_hit))
                row["code_load_cpu"] = event.cpu_s
            elif event.phase == "module_init":
                row["module_init_cpu"] = event.cpu_s
        elif isinstance(event, InstanceReady):
            row = out[event.instance]
            row["total"] = event.t - row.pop("_t0")
    return [row for _, row in sorted(out.items()) if "total" in row]


def measure_cold_starts(
    size_kb: float, cache: bool, repeats: int = 7, options: LiveOptions | None = None
) -> dict[str, Any]:
    """Medians of ``repeats`` cold starts (plus one discarded warm-up that fills the cache).

    Requests go one at a time, each after the previous instance is gone, so each one really
    is a cold start however slow the machine is today.
    """
    mode = "merged" if cache else "off"
    scenario = cold_start_scenario(size_kb, mode, repeats + 1)
    events = asyncio.run(_sequential_cold_starts(scenario, repeats + 1, options))
    rows = phases_by_instance(events)[1:]
    if not rows:
        raise RuntimeError("no cold start completed")

    def med(key: str) -> float:
        return statistics.median(row.get(key, 0.0) for row in rows)

    return {
        "size_kb": size_kb,
        "cache": cache,
        "samples": len(rows),
        "hits": sum(int(row.get("cache_hit", 0)) for row in rows),
        "runtime_init_ms": med("runtime_init") * 1000,
        "code_load_ms": med("code_load") * 1000,
        "code_load_cpu_ms": med("code_load_cpu") * 1000,
        "module_init_ms": med("module_init") * 1000,
        "module_init_cpu_ms": med("module_init_cpu") * 1000,
        "cold_start_ms": med("total") * 1000,
        "first_response_ms": statistics.median(o.latency_ms for o in _latencies(events)[1:]),
    }


async def _sequential_cold_starts(
    scenario: Scenario, count: int, options: LiveOptions | None
) -> list[Event]:
    async with LiveRuntime(scenario, "traditional", options or LiveOptions()) as runtime:
        spec = next(iter(generate_requests(scenario)))
        for _ in range(count):
            await runtime.submit(spec)
            while runtime.placement.alive:
                await asyncio.sleep(0.01)
    return runtime.events


class _Latency:
    __slots__ = ("latency_ms",)

    def __init__(self, ms: float) -> None:
        self.latency_ms = ms


def _latencies(events: list[Event]) -> list[_Latency]:
    arrived: dict[int, float] = {}
    out = []
    for event in events:
        if event.kind == "request_arrived":
            arrived[event.request] = event.t  # type: ignore[attr-defined]
        elif event.kind == "response_sent":
            out.append(_Latency((event.t - arrived[event.request]) * 1000))  # type: ignore[attr-defined]
    return out


def cold_start_table(
    sizes: tuple[float, ...] = (250, 550, 800), repeats: int = 7, options: LiveOptions | None = None
) -> list[dict[str, Any]]:
    """Three sizes x cache off/on: the seed's bytecode-cache comparison, measured."""
    return [
        measure_cold_starts(kb, cache, repeats, options) for kb in sizes for cache in (False, True)
    ]
