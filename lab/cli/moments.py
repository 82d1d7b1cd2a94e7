"""``lab moments SCENARIO [--model M] [--kind K] [--json]``: the instants worth seeing in a run.

Simulates the scenario and prints ``lab.view.moments`` of each model: a cold start and its
phases, a compile beside a cache hit, the most requests at once on one instance, ... With
``--json``, a list of objects with ``kind``, ``t``, ``model``, ``instance``, ``request`` (and
``start``, ``end``, ``text``; ``phases`` for a cold start), for scripts and the web app's tests.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from lab.cli.common import DEFAULT_SCENARIO, ScenarioArg, fail, load, out

MOMENT_KIND_NAMES = (
    "cold_start",
    "compile",
    "cache_hit",
    "overlap",
    "warm_hit",
    "queued",
    "rejected",
    "timeout",
    "failed",
    "background",
    "recycled",
    "crashed",
    "first_byte",
)
"""``lab.view.moments.MOMENT_KINDS``, repeated so ``--help`` needs no numpy (a test keeps the
two equal)."""


def moments_command(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Only this platform model.")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", "-k", help=f"Only moments of this kind: {', '.join(MOMENT_KIND_NAMES)}."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(help="At most this many rows in the table (0: all; --json: all).")
    ] = 40,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List the moments worth seeing in a run: cold starts, cache hits, overlap, timeouts..."""
    spec = load(scenario)
    if model is not None and model not in spec.platforms:
        raise fail(
            f"--model: unknown platform model {model!r}; this scenario has "
            f"{', '.join(spec.platforms)}"
        )
    for k in kind or ():
        if k not in MOMENT_KIND_NAMES:
            raise fail(f"--kind: unknown moment kind {k!r}; known: {', '.join(MOMENT_KIND_NAMES)}")
    from rich.table import Table

    from lab.view.moments import run_moments
    from models.run import simulate

    result = simulate(spec, keep_events=True)
    found = run_moments(result, model, kind or None)
    if as_json:
        typer.echo(json.dumps([m.to_dict() for m in found], indent=1))
        return
    table = Table(title=f"{spec.name}: {len(found)} moments", title_justify="left")
    for column in ("t (s)", "model", "kind", "instance", "request", "what"):
        table.add_column(column, overflow="fold")
    shown = found if limit <= 0 else found[:limit]
    for m in shown:
        table.add_row(
            f"{m.t:.3f}",
            m.model,
            m.label,
            "" if m.instance is None else str(m.instance),
            "" if m.request is None else str(m.request),
            m.describe(),
        )
    out.print(table)
    if len(shown) < len(found):
        out.print(f"... {len(found) - len(shown)} more (--limit 0 shows all, --kind narrows)")
