"""Benchmark: replay the 10-function full-day Azure 2019 sample under traditional and fluid.

    python benchmarks/replay_fullday.py [--workers 1 2] [--hours H] [--repeats N] [--json]

13,037,064 invocations per platform model (26,074,128 replayed requests), each function
its own deployment, on a local Dask cluster. Prints, per cluster size: wall time,
CPU seconds summed over tasks, invocations per CPU-second, the peak memory of the biggest
process and of all processes together (workers + this one), and the speedup of 2 workers
over 1. It also checks that every cluster size gives exactly the same totals.

Targets (issue 7, 2 cores): under 5 minutes with the local cluster, under 2 GB peak.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from models.replay import ReplaySpec, tasks_of
from models.replay.executor import run_tasks
from models.replay.run import Measured, ReplayResult, functions_of, run_task_measured

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "assets" / "traces" / "azure2019_busy10_fullday"


def _cost(task: Any) -> float:
    return float(task.fn.invocations) * (1.0 if task.model == "traditional" else 3.0)


def run_once(spec: ReplaySpec, workers: int) -> dict[str, Any]:
    tasks = tasks_of(spec, list(functions_of(spec)))
    done_at = []
    wall = time.perf_counter()

    def tick(done: int, total: int) -> None:
        done_at.append(time.perf_counter() - wall)
        print(f"    {done}/{total} tasks, {done_at[-1]:.0f} s", file=sys.stderr, flush=True)

    measured: list[Measured] = run_tasks(
        run_task_measured, tasks, "dask", None, workers, tick, cost=_cost
    )
    wall = time.perf_counter() - wall
    result = ReplayResult(spec, [m.result for m in measured])
    per_pid: dict[int, float] = {}
    for m in measured:
        per_pid[m.pid] = max(per_pid.get(m.pid, 0.0), m.peak_rss_mb)
    here = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    cpu = sum(m.cpu_seconds for m in measured)
    invocations = sum(r.invocations for r in result.functions)
    totals = {
        f"{model}/{policy}": {
            "invocations": t.invocations,
            "cold_starts": t.cold_starts,
            "idle_gb_s": t.idle_gb_s,
            "bill_usd": t.bill_usd.get("total", 0.0),
            "engine": t.engine,
        }
        for (model, policy), t in result.totals().items()
    }
    return {
        "workers": workers,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "invocations": invocations,
        "invocations_per_cpu_second": invocations / cpu if cpu else 0.0,
        "peak_rss_mb_max_process": max([*per_pid.values(), here]),
        "peak_rss_mb_all_processes": sum(per_pid.values()) + here,
        "per_model_cpu_seconds": {
            model: sum(m.cpu_seconds for m in measured if m.result.model == model)
            for model in {m.result.model for m in measured}
        },
        "totals": totals,
        "_exact": [r.totals() for r in result.functions],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--hours", type=float, default=None, help="replay only N hours")
    parser.add_argument("--repeats", type=int, default=1, help="runs per size (median)")
    parser.add_argument("--trace", default=str(SAMPLE))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    spec = ReplaySpec(trace=args.trace, hours=args.hours)
    summary: dict[str, Any] = {"trace": args.trace, "hours": args.hours, "runs": []}
    exact = None
    for workers in args.workers:
        runs = []
        for i in range(args.repeats):
            print(f"  {workers} worker(s), run {i + 1}/{args.repeats}", file=sys.stderr, flush=True)
            run = run_once(spec, workers)
            if exact is None:
                exact = run["_exact"]
            elif run["_exact"] != exact:
                raise SystemExit("results differ between cluster sizes: not deterministic")
            del run["_exact"]
            runs.append(run)
            print(
                f"  {workers} worker(s): {run['wall_seconds']:.1f} s wall, "
                f"{run['cpu_seconds']:.1f} CPU-s, "
                f"{run['invocations_per_cpu_second']:,.0f} invocations/CPU-s, "
                f"peak {run['peak_rss_mb_max_process']:.0f} MB (one process), "
                f"{run['peak_rss_mb_all_processes']:.0f} MB (all)",
                file=sys.stderr,
                flush=True,
            )
        median_wall = statistics.median(r["wall_seconds"] for r in runs)
        summary["runs"].append(
            {"workers": workers, "median_wall_seconds": median_wall, "all": runs}
        )
    walls = {r["workers"]: r["median_wall_seconds"] for r in summary["runs"]}
    if 1 in walls and 2 in walls:
        summary["speedup_2_vs_1"] = walls[1] / walls[2]
    summary["identical_totals_across_cluster_sizes"] = True
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    first = summary["runs"][0]["all"][0]
    for key, total in first["totals"].items():
        print(
            f"{key:>24}: {total['invocations']:,} invocations, {total['cold_starts']:,} cold, "
            f"{total['idle_gb_s']:,.0f} idle GB-s, ${total['bill_usd']:,.2f} ({total['engine']})"
        )
    for workers, wall in walls.items():
        print(f"{workers} worker(s): median wall {wall:.1f} s")
    if "speedup_2_vs_1" in summary:
        print(f"speedup 2 workers vs 1: {summary['speedup_2_vs_1']:.2f}x")


if __name__ == "__main__":
    main()
