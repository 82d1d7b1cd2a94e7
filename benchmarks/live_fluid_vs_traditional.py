"""Fluid vs traditional, really run, on the seed's I/O-bound and CPU-bound routes.

Run: ``python benchmarks/live_fluid_vs_traditional.py [--requests 8] [--speed 8]``.
Plays the first requests of the built-in ``ai-streaming`` scenario (200 ms of CPU, then 40
tokens streamed over ~18 s) and of ``image-resize`` (a CPU-bound resize) through the live
runtime under both models, arrival gaps divided by ``--speed`` for the streams and slowed to
2 per second for the resizes (the work itself is never scaled; keep the total CPU under this
machine's cores), and prints instances, latency, CPU and bills, all from the live events.
"""

from __future__ import annotations

import argparse

from models.live.replay import run_live
from models.loading import builtin_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--speed", type=float, default=8.0)
    args = parser.parse_args()
    for name, speed in (("ai-streaming", args.speed), ("image-resize", 0.5)):
        scenario = builtin_scenario(name)
        if "traditional" not in scenario.platforms:  # the preset, for the comparison
            scenario = scenario.with_changes(**{"platforms.traditional": {}})
        print(f"{name}: first {args.requests} requests, arrivals x{speed:g}")
        print(
            f"  {'model':<12} {'instances':>9} {'p50 ms':>9} {'TTFB p50':>9} "
            f"{'active CPU s':>12} {'billed wall s':>13} {'bill $':>10}"
        )
        for model in scenario.platforms:
            run = run_live(scenario, model, requests=args.requests, speed=speed)
            m, usage = run.result.metrics, run.result.usage
            print(
                f"  {model:<12} {m['instances']['started']:>9} {m['latency_ms']['p50']:>9.0f} "
                f"{m['ttfb_ms']['p50']:>9.0f} {usage.active_cpu_s:>12.2f} "
                f"{usage.wall_clock_s:>13.1f} {run.result.bill.total:>10.6f}"
            )


if __name__ == "__main__":
    main()
