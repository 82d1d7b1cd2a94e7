"""The simulator's two drivers beside SimFaaS 0.2.2 on the classic model (aggregates only).

The classic model: Poisson arrivals at 1 and 100 req/s, exponential service of mean 2 s, a
0.2 s cold start, a 600 s keep-alive, one request per instance. Each case runs in a fresh
process (its own CPU time and peak memory), the median of ``--repeats`` runs. SimFaaS runs only
if it is installed (``pip install simfaas==0.2.2``; this script installs nothing): without it the
project's figures are printed alone. The machines are shared: read the ratios, measured in the
same minutes, rather than the absolute figures.

    python benchmarks/sim_vs_simfaas.py [--requests 200000] [--simfaas-requests 20000]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.bench import run_benchmarks, simfaas_available


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--simfaas-requests", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    simfaas = args.simfaas_requests if simfaas_available() else None
    if simfaas is None:
        print("SimFaaS is not installed: the simulator's figures alone", file=sys.stderr)
    results = run_benchmarks(
        args.requests,
        args.repeats,
        log=lambda s: print(s, file=sys.stderr),
        simfaas_requests=simfaas,
    )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for case in results["cases"]:
        print(
            f"{case['case']:>20}: {case['requests_per_cpu_second']:>10,.0f} req/CPU-s "
            f"({case['requests']:,} requests, {case['cpu_seconds']:.2f} CPU s, "
            f"peak {case['peak_rss_mb']:.0f} MB)"
        )
    for rate, ratio in results["heap_over_simfaas"].items():
        print(f"heap / SimFaaS at {rate} req/s: {ratio:.2f}x")
    for name, check in results["targets"].items():
        print(
            f"target {name}: {check['measured']:,.2f} vs {check['target']:,}: "
            f"{'met' if check['met'] else 'missed'}"
        )


if __name__ == "__main__":
    main()
