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
    return {
        "cases": cases,
        "slowdown_100_vs_1": cases[1]["cpu_seconds"] / cases[0]["cpu_seconds"],
    }
