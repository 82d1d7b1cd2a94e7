"""``lab bench``: simulator throughput and memory on the classic model.

The classic model: Poisson arrivals, exponential service of mean 2 s, a 0.2 s cold start,
a 600 s keep-alive, one request per instance, aggregates-only mode. Each case runs in a fresh
child process so its CPU time and peak memory are its own; the median of several runs is
reported, since the machines are shared and noisy.

Targets (2 cores): >= 40,000 requests per CPU-second at 1 req/s; at most 2x slower at 100 req/s
(routing must not scan every instance); peak memory under 400 MB.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from models.run import simulate_model
from models.scenario import Scenario

RATES = (1.0, 100.0)


def classic_scenario(rate: float, requests: int) -> Scenario:
    return Scenario.model_validate(
        {
            "name": f"classic-{rate:g}rps",
            "seed": 7,
            "workload": {
                "arrivals": {"kind": "poisson", "rate": rate},
                "requests": requests,
                "routes": [
                    {"name": "/work", "work": [{"cpu": {"dist": "exponential", "mean": 2.0}}]}
                ],
            },
            "function": {"memory_mb": 1024, "runtime_init": 0.2},
            "platforms": {"traditional": {"keep_alive": 600, "max_duration": 3600}},
        }
    )


def run_case(rate: float, requests: int) -> dict[str, Any]:
    """One measured run in this process (the child side)."""
    scenario = classic_scenario(rate, requests)
    start = time.process_time()
    wall = time.perf_counter()
    result = simulate_model(scenario, "traditional", keep_events=False)
    cpu = time.process_time() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rate": rate,
        "requests": result.metrics["requests"]["completed"],
        "cpu_seconds": cpu,
        "wall_seconds": time.perf_counter() - wall,
        "peak_rss_mb": peak_kb / 1024,
        "instances_max": result.metrics["instances"]["max"],
    }


TARGET_REQUESTS_PER_CPU_S = 40_000
TARGET_SLOWDOWN = 2.0
TARGET_PEAK_MB = 400.0


def machine_reference(requests: int = 200_000) -> dict[str, float]:
    """How fast this machine runs Python right now, to read the figures by.

    The machines are shared and their speed drifts by 2x or more, so the report also gives a
    10-million-step pure-Python loop and the bare simpy floor (three timeouts per request,
    no platform logic): the simulator's share of that floor changes far less than its
    absolute throughput does.
    """
    import simpy

    start = time.process_time()
    x = 0
    for i in range(10_000_000):
        x += i * i % 7
    loop = time.process_time() - start

    env = simpy.Environment()
    left = [requests]

    def nothing(_event: simpy.Event) -> None:
        pass

    def arrive(_event: simpy.Event) -> None:
        left[0] -= 1
        if left[0] > 0:
            env.timeout(1.0).callbacks.append(arrive)
            env.timeout(2.0).callbacks.append(nothing)
            env.timeout(600.0).callbacks.append(nothing)

    env.timeout(0).callbacks.append(arrive)
    start = time.process_time()
    env.run()
    floor = requests / (time.process_time() - start)
    return {"python_loop_10M_cpu_s": loop, "simpy_floor_requests_per_cpu_s": floor}


def _child_reference() -> dict[str, float]:
    code = (
        "import json; from lab.bench import machine_reference; "
        "print(json.dumps(machine_reference()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _child(rate: float, requests: int) -> dict[str, Any]:
    code = (
        "import json, sys; from lab.bench import run_case; "
        f"print(json.dumps(run_case({rate!r}, {requests!r})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_benchmarks(
    requests: int, repeats: int, log: Callable[[str], object] = print
) -> dict[str, Any]:
    cases = []
    for rate in RATES:
        runs = []
        for i in range(repeats):
            run = _child(rate, requests)
            log(
                f"  {rate:g} req/s run {i + 1}/{repeats}: "
                f"{run['requests'] / run['cpu_seconds']:,.0f} req/CPU-s, "
                f"{run['peak_rss_mb']:.0f} MB"
            )
            runs.append(run)
        cpu = statistics.median(r["cpu_seconds"] for r in runs)
        cases.append(
            {
                "case": f"{rate:g} req/s",
                "rate": rate,
                "requests": requests,
                "cpu_seconds": cpu,
                "requests_per_cpu_second": requests / cpu,
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                "instances_max": runs[0]["instances_max"],
                "runs": runs,
            }
        )
    reference = _child_reference()
    slowdown = cases[1]["cpu_seconds"] / cases[0]["cpu_seconds"]
    peak = max(case["peak_rss_mb"] for case in cases)
    throughput = cases[0]["requests_per_cpu_second"]
    return {
        "cases": cases,
        "slowdown_100_vs_1": slowdown,
        "machine": reference,
        "share_of_simpy_floor": throughput / reference["simpy_floor_requests_per_cpu_s"],
        "targets": {
            "requests_per_cpu_second_at_1rps": {
                "target": TARGET_REQUESTS_PER_CPU_S,
                "measured": throughput,
                "met": throughput >= TARGET_REQUESTS_PER_CPU_S,
            },
            "slowdown_100_vs_1": {
                "target": TARGET_SLOWDOWN,
                "measured": slowdown,
                "met": slowdown <= TARGET_SLOWDOWN,
            },
            "peak_rss_mb": {
                "target": TARGET_PEAK_MB,
                "measured": peak,
                "met": peak < TARGET_PEAK_MB,
            },
        },
    }
