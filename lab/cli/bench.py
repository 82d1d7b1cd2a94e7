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
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Benchmark the simulator on the classic model (aggregates only)."""
    from rich.table import Table

    from lab.bench import run_benchmarks

    if requests < 1 or repeats < 1:
        raise fail("--requests and --repeats must be at least 1")
    results = run_benchmarks(requests, repeats, log=err.print)
    if as_json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
        return
    table = Table(
        title=f"simulator benchmark: classic model, {requests:,} requests, median of {repeats}"
    )
    for column in ("case", "requests / CPU-s", "CPU s", "peak RSS MB"):
        table.add_column(column, justify="right")
    for case in results["cases"]:
        table.add_row(
            case["case"],
            f"{case['requests_per_cpu_second']:,.0f}",
            f"{case['cpu_seconds']:.2f}",
            f"{case['peak_rss_mb']:.0f}",
        )
    out.print(table)
    out.print(f"slowdown 100 req/s vs 1 req/s: {results['slowdown_100_vs_1']:.2f}x")
    machine = results["machine"]
    out.print(
        f"this machine now: a 10M-step Python loop takes {machine['python_loop_10M_cpu_s']:.2f} "
        f"CPU s; bare simpy (3 timeouts a request) runs "
        f"{machine['simpy_floor_requests_per_cpu_s']:,.0f} requests / CPU-s; the simulator "
        f"reaches {results['share_of_simpy_floor']:.0%} of that floor"
    )
    for name, check in results["targets"].items():
        mark = "[green]met[/]" if check["met"] else "[red]missed[/]"
        out.print(f"target {name}: {check['measured']:,.2f} vs {check['target']:,} {mark}")


def register(app: typer.Typer) -> None:
    """Add ``bench`` to the ``lab`` app."""
    app.command()(bench)
