"""``lab bench``: simulator throughput and memory on the classic model.

The classic model: Poisson arrivals, exponential service of mean 2 s, a 0.2 s cold start,
a 600 s keep-alive, one request per instance, aggregates-only mode. Each case runs in a fresh
child process so its CPU time and peak memory are its own; the median of several runs is
reported, since the machines are shared and noisy.

Both drivers of the simulator run side by side (``simpy`` and the plain ``heap`` loop: the same
events, the same figures), and SimFaaS 0.2.2 on the same model when it is installed (this
installs nothing). Targets are the ``TARGET_*`` constants below.
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


DRIVERS = ("simpy", "heap")


def run_case(rate: float, requests: int, driver: str = "heap") -> dict[str, Any]:
    """One measured run in this process (the child side)."""
    scenario = classic_scenario(rate, requests)
    start = time.process_time()
    wall = time.perf_counter()
    result = simulate_model(
        scenario, "traditional", keep_events=False, driver="simpy" if driver == "simpy" else "heap"
    )
    cpu = time.process_time() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rate": rate,
        "driver": driver,
        "requests": result.metrics["requests"]["completed"],
        "cpu_seconds": cpu,
        "wall_seconds": time.perf_counter() - wall,
        "peak_rss_mb": peak_kb / 1024,
        "instances_max": result.metrics["instances"]["max"],
    }


def run_simfaas(rate: float, requests: int) -> dict[str, Any] | None:
    """SimFaaS 0.2.2 on the same model, if it is installed (nothing is installed here).

    Its parameters: arrival rate, warm service rate 1/2 s, cold service rate 1/2.2 s (the 0.2 s
    cold start on top of the mean 2 s of work), expiration threshold 600 s, and a simulated
    time of ``requests / rate``, so it serves about as many requests."""
    try:
        from simfaas.ServerlessSimulator import ServerlessSimulator
    except ImportError:
        return None
    sim = ServerlessSimulator(
        arrival_rate=rate,
        warm_service_rate=1 / 2.0,
        cold_service_rate=1 / 2.2,
        expiration_threshold=600,
        max_time=requests / rate,
    )
    start = time.process_time()
    sim.generate_trace(debug_print=False, progress=False)
    cpu = time.process_time() - start
    return {
        "rate": rate,
        "driver": "simfaas",
        "requests": int(sim.total_req_count),
        "cpu_seconds": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


TARGET_REQUESTS_PER_CPU_S = 40_000
"""The heap driver at 1 req/s (2 cores)."""
TARGET_SLOWDOWN = 2.0
"""The heap driver, 100 req/s vs 1 req/s: routing must not scan every instance."""
TARGET_PEAK_MB = 100.0
"""Peak memory of a heap-driver run, flat in the number of requests (checked at 1M)."""
TARGET_VS_SIMFAAS = {1.0: 5.0, 100.0: 50.0}
"""The heap driver's requests per CPU-second over SimFaaS 0.2.2's, measured side by side."""


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


def _child(call: str) -> dict[str, Any] | None:
    """``call`` (an expression of this module) in a fresh process: its own CPU and memory."""
    code = f"import json; from lab.bench import *; print(json.dumps({call}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def simfaas_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("simfaas") is not None


def _median_case(
    label: str, calls: list[str], log: Callable[[str], object]
) -> dict[str, Any] | None:
    runs = []
    for i, call in enumerate(calls):
        run = _child(call)
        if run is None:
            return None
        log(
            f"  {label} run {i + 1}/{len(calls)}: "
            f"{run['requests'] / run['cpu_seconds']:,.0f} req/CPU-s, {run['peak_rss_mb']:.0f} MB"
        )
        runs.append(run)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    requests = runs[0]["requests"]
    return {
        "case": label,
        "rate": runs[0]["rate"],
        "driver": runs[0]["driver"],
        "requests": requests,
        "cpu_seconds": cpu,
        "requests_per_cpu_second": requests / cpu,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "runs": runs,
    }


def run_benchmarks(
    requests: int,
    repeats: int,
    log: Callable[[str], object] = print,
    simfaas_requests: int | None = None,
    reference: bool = True,
) -> dict[str, Any]:
    """Every case (rate x driver, and SimFaaS when installed and ``simfaas_requests`` is set),
    the median of ``repeats`` runs each, and the targets."""
    cases: list[dict[str, Any]] = []
    by: dict[tuple[float, str], dict[str, Any]] = {}
    for rate in RATES:
        for driver in DRIVERS:
            calls = [f"run_case({rate!r}, {requests!r}, {driver!r})"] * repeats
            case = _median_case(f"{rate:g} req/s {driver}", calls, log)
            assert case is not None
            cases.append(case)
            by[rate, driver] = case
        if simfaas_requests:
            calls = [f"run_simfaas({rate!r}, {simfaas_requests!r})"] * repeats
            case = _median_case(f"{rate:g} req/s SimFaaS", calls, log)
            if case is not None:
                cases.append(case)
                by[rate, "simfaas"] = case
    machine = _child_reference() if reference else None
    heap1, heap100 = by[1.0, "heap"], by[100.0, "heap"]
    slowdown = heap100["cpu_seconds"] / heap1["cpu_seconds"]
    peak = max(by[rate, "heap"]["peak_rss_mb"] for rate in RATES)
    throughput = heap1["requests_per_cpu_second"]
    targets: dict[str, dict[str, Any]] = {
        "heap_requests_per_cpu_second_at_1rps": {
            "target": TARGET_REQUESTS_PER_CPU_S,
            "measured": throughput,
            "met": throughput >= TARGET_REQUESTS_PER_CPU_S,
        },
        "heap_slowdown_100_vs_1": {
            "target": TARGET_SLOWDOWN,
            "measured": slowdown,
            "met": slowdown <= TARGET_SLOWDOWN,
        },
        "heap_peak_rss_mb": {
            "target": TARGET_PEAK_MB,
            "measured": peak,
            "met": peak < TARGET_PEAK_MB,
        },
    }
    ratios = {}
    for rate in RATES:
        other = by.get((rate, "simfaas"))
        if other is not None:
            ratio = by[rate, "heap"]["requests_per_cpu_second"] / other["requests_per_cpu_second"]
            ratios[f"{rate:g}"] = ratio
            targets[f"heap_vs_simfaas_at_{rate:g}rps"] = {
                "target": TARGET_VS_SIMFAAS[rate],
                "measured": ratio,
                "met": ratio >= TARGET_VS_SIMFAAS[rate],
            }
    return {
        "cases": cases,
        "slowdown_100_vs_1": slowdown,
        "heap_over_simpy": {
            f"{rate:g}": by[rate, "heap"]["requests_per_cpu_second"]
            / by[rate, "simpy"]["requests_per_cpu_second"]
            for rate in RATES
        },
        "heap_over_simfaas": ratios,
        "machine": machine,
        "share_of_simpy_floor": throughput / machine["simpy_floor_requests_per_cpu_s"]
        if machine
        else None,
        "targets": targets,
    }
