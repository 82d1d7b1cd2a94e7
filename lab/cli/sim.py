"""``lab sim``, ``lab scenarios``, ``lab schema``: simulate scenarios and describe them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lab.cli.common import DEFAULT_SCENARIO, ScenarioArg, err, fail, load, out, progress_bar

if TYPE_CHECKING:
    from models.events import Event
    from models.run import RunResult

PROGRESS_ABOVE = 20_000
"""Show a progress bar for runs of more requests than this."""


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
    driver: Annotated[
        str, typer.Option(help="heap (plain heap loop) or simpy: the same events, the same report.")
    ] = "heap",
) -> None:
    """Simulate a scenario under its platform models and compare them side by side."""
    from models.run import RunResult, simulate_model

    spec = load(scenario)
    models = list(spec.platforms) if model == "all" else [model]
    unknown = [m for m in models if m not in spec.platforms]
    if unknown:
        raise fail(
            f"unknown model {unknown[0]!r}; this scenario has {', '.join(spec.platforms)} or 'all'"
        )
    if driver not in ("heap", "simpy"):
        raise fail(f"unknown driver {driver!r}; use heap or simpy")
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
            progress = stack.enter_context(progress_bar())
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
                driver="simpy" if driver == "simpy" else "heap",
            )
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return
    print_table(result)
    if events is not None:
        out.print(f"events written to {events}")


def _jsonl_sink(handle: Any, model: str) -> Callable[[Event], None]:
    dumps = json.dumps

    def write(event: Event) -> None:
        record = event.to_dict()
        record["model"] = model
        handle.write(dumps(record, separators=(",", ":")) + "\n")

    return write


def print_table(result: RunResult) -> None:
    """The side-by-side report of ``lab sim`` (also ``lab load``'s)."""
    from rich.table import Table

    from lab.report_rows import comparison_rows

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


def scenarios() -> None:
    """List the built-in scenarios."""
    from rich.table import Table

    from models.loading import ScenarioError, builtin_scenarios

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


def schema() -> None:
    """Print the JSON Schema of a scenario file (for editors and validators)."""
    from models.scenario import Scenario

    sys.stdout.write(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2) + "\n")


def register(app: typer.Typer) -> None:
    """Add ``sim``, ``scenarios`` and ``schema`` to the ``lab`` app."""
    app.command()(sim)
    app.command()(scenarios)
    app.command()(schema)


__all__ = ["err", "print_table", "register"]
