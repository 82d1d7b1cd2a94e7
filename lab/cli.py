"""The ``lab`` command: run scenarios, list them, print their schema, benchmark the simulator.

Every user mistake (a bad scenario file, an unknown model) ends with a one-paragraph message
on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lab.report_rows import comparison_rows
from models.events import Event
from models.loading import DEFAULT_SCENARIO, ScenarioError, builtin_scenarios, load_scenario
from models.run import RunResult, simulate_model
from models.scenario import Scenario

app = typer.Typer(
    name="lab",
    help="Serverless Lab: see how serverless platforms run code, and what they bill.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

PROGRESS_ABOVE = 20_000
"""Show a progress bar for runs of more requests than this."""


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _load(source: str) -> Scenario:
    try:
        return load_scenario(source)
    except ScenarioError as exc:
        raise fail(str(exc)) from None


ScenarioArg = Annotated[
    str,
    typer.Argument(help="A scenario file (.toml, .yaml, .json) or a built-in name."),
]


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        out.print(ctx.get_help())


@app.command()
def sim(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    model: Annotated[
        str, typer.Option("--model", "-m", help="A platform model of the scenario, or 'all'.")
    ] = "all",
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    events: Annotated[
        Path | None, typer.Option(help="Also write every event to this JSON Lines file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Simulate a scenario under its platform models and compare them side by side."""
    spec = _load(scenario)
    models = list(spec.platforms) if model == "all" else [model]
    unknown = [m for m in models if m not in spec.platforms]
    if unknown:
        raise fail(
            f"unknown model {unknown[0]!r}; this scenario has {', '.join(spec.platforms)} or 'all'"
        )
    run_seed = spec.seed if seed is None else seed
    result = RunResult(spec, run_seed)
    with ExitStack() as stack:
        sink: Callable[[Event], None] | None = None
        handle = None
        if events is not None:
            try:
                handle = stack.enter_context(events.open("w", encoding="utf-8"))
            except OSError as exc:
                raise fail(f"cannot write events to {events}: {exc}") from None
        progress = None
        total = spec.workload.requests
        if total is not None and total > PROGRESS_ABOVE:
            progress = stack.enter_context(_progress_bar())
        for name in models:
            if handle is not None:
                sink = _jsonl_sink(handle, name)
            task = progress.add_task(name, total=total) if progress is not None else None

            def tick(_model: str, done: int, _total: int | None, task: Any = task) -> None:
                if progress is not None:
                    progress.update(task, completed=done)

            result.models[name] = simulate_model(
                spec,
                name,
                run_seed,
                keep_events=False,
                sink=sink,
                progress=tick if progress is not None else None,
            )
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return
    _print_table(result)
    if events is not None:
        out.print(f"events written to {events}")


def _jsonl_sink(handle: Any, model: str) -> Callable[[Event], None]:
    dumps = json.dumps

    def write(event: Event) -> None:
        record = event.to_dict()
        record["model"] = model
        handle.write(dumps(record, separators=(",", ":")) + "\n")

    return write


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _print_table(result: RunResult) -> None:
    spec = result.scenario
    table = Table(title=f"{spec.title or spec.name}  (seed {result.seed})", title_justify="left")
    table.add_column("")
    summaries = {name: r.summary() for name, r in result.models.items()}
    for name in summaries:
        platform = spec.platforms[name]
        table.add_column(f"{name}\n[dim]{platform.prices.name}[/]", justify="right")
    for row in comparison_rows(summaries):
        table.add_row(*row, end_section=row[0] in {"rejected", "TTFB p99", "active CPU hours"})
    out.print(table)
    sources = {p.prices.name: p.prices for p in spec.platforms.values() if p.prices.as_of}
    for name, prices in sources.items():
        out.print(
            f"[dim]{name}: list prices as of {prices.as_of}; {prices.sources[0]}[/]",
            highlight=False,
        )


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    try:
        specs = builtin_scenarios()
    except ScenarioError as exc:  # a broken built-in is a bug, but still no traceback
        raise fail(str(exc)) from None
    table = Table(show_header=True, box=None)
    table.add_column("name", style="bold")
    table.add_column("what it shows")
    for name, spec in specs.items():
        table.add_row(name, spec.title)
    out.print(table)
    out.print("[dim]Run one with: lab sim NAME[/]")


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scenario file (for editors and validators)."""
    sys.stdout.write(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2) + "\n")


@app.command()
def bench(
    requests: Annotated[int, typer.Option(help="Requests per run.")] = 1_000_000,
    repeats: Annotated[int, typer.Option(help="Runs per case; the median is reported.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Benchmark the simulator on the classic model (aggregates only)."""
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


from lab.tui.cli import tui  # noqa: E402  (the `lab tui` command; imports Textual lazily)

app.command()(tui)

from lab.lesson_cli import lesson_app  # noqa: E402  (the `lab lesson ...` commands)

app.add_typer(lesson_app, name="lesson")

from lab.live_cli import register as register_live  # noqa: E402  (lab live|load|calibrate)

register_live(app)

from lab.replay_cli import replay_command  # noqa: E402  (lab replay TRACE)
from lab.sweep_cli import sweep_command  # noqa: E402  (lab sweep SPEC)

app.command("replay")(replay_command)
app.command("sweep")(sweep_command)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
