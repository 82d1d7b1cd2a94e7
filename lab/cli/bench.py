"""``lab bench``: the simulator's drivers on the classic model (the cases are in lab/bench.py)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from lab.cli.common import err, fail, out


def bench(
    requests: Annotated[int, typer.Option(help="Requests per run.")] = 1_000_000,
    repeats: Annotated[int, typer.Option(help="Runs per case; the median is reported.")] = 3,
    simfaas: Annotated[
        int,
        typer.Option(
            help="Requests per SimFaaS run, side by side, if SimFaaS is installed (0: skip; it "
            "is ~100x slower at 100 req/s)."
        ),
    ] = 20_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Benchmark the simulator's drivers (simpy, heap) on the classic model, aggregates only."""
    from rich.table import Table

    from lab.bench import run_benchmarks, simfaas_available

    if requests < 1 or repeats < 1 or simfaas < 0:
        raise fail("--requests and --repeats must be at least 1, --simfaas at least 0")
    if simfaas and not simfaas_available():
        err.print("SimFaaS is not installed: the simulator's figures alone")
        simfaas = 0
    results = run_benchmarks(requests, repeats, log=err.print, simfaas_requests=simfaas or None)
    if as_json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
        return
    table = Table(title=f"simulator benchmark: classic model, median of {repeats}")
    for column in ("case", "requests", "requests / CPU-s", "CPU s", "peak RSS MB"):
        table.add_column(column, justify="right")
    for case in results["cases"]:
        table.add_row(
            case["case"],
            f"{case['requests']:,}",
            f"{case['requests_per_cpu_second']:,.0f}",
            f"{case['cpu_seconds']:.2f}",
            f"{case['peak_rss_mb']:.0f}",
        )
    out.print(table)
    for rate, ratio in results["heap_over_simpy"].items():
        out.print(f"heap over simpy at {rate} req/s: {ratio:.2f}x (the same events)")
    for rate, ratio in results["heap_over_simfaas"].items():
        out.print(f"heap over SimFaaS at {rate} req/s: {ratio:.2f}x")
    machine = results["machine"]
    if machine:
        loop, floor = machine["python_loop_10M_cpu_s"], machine["simpy_floor_requests_per_cpu_s"]
        out.print(
            f"this machine now: a 10M-step Python loop takes {loop:.2f} CPU s; bare simpy "
            f"(3 timeouts a request) runs {floor:,.0f} requests / CPU-s; the heap driver "
            f"reaches {results['share_of_simpy_floor']:.0%} of that floor"
        )
    for name, check in results["targets"].items():
        mark = "[green]met[/]" if check["met"] else "[red]missed[/]"
        out.print(f"target {name}: {check['measured']:,.2f} vs {check['target']:,} {mark}")


def register(app: typer.Typer) -> None:
    """Add ``bench`` to the ``lab`` app."""
    app.command()(bench)
