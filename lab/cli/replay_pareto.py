"""``lab replay TRACE --pareto``: the keep-alive trade-off as Shahrad et al. (ATC 2020) measure it.

Per application (the unit the platform loads), for fixed keep-alives of 5-120 minutes and the
hybrid histogram policy with ranges of 1-4 hours (``models.replay.paper``): the distribution of
apps' cold-start percentages and the wasted memory time normalised to the fixed 10-minute
policy; then whether hybrid dominates fixed 10 min, with what it learned of the apps' idle
times as the reason when it does not. Written with ``--out DIR``: ``pareto`` and
``pareto_apps`` (Parquet and CSV), ``pareto.png`` and ``pareto.svg``; ``--chart FILE`` too.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.cli.common import err, fail, out, progress_bar
from lab.cli.replay import expected_functions
from lab.cli.replay_report import CITATION, trace_time

if TYPE_CHECKING:
    from models.replay import ReplaySpec
    from models.replay.paper import PolicyPoint

PAPER_RANGE = "hybrid-4h"
"""The hybrid point the paper's claim is about (its 4-hour histogram)."""


def pareto_command(
    spec: ReplaySpec, warm_up: bool, out_dir: Path | None, chart: Path | None, as_json: bool
) -> None:
    """Run the sweep, print the summary, write what was asked for."""
    from models.replay.paper import BASELINE, apps_of, frontier_check, measure, sweep_policies

    policies = sweep_policies()
    with ExitStack() as stack:
        progress = stack.enter_context(progress_bar()) if not as_json else None
        reading = (
            progress.add_task("reading functions", total=expected_functions(spec))
            if progress
            else None
        )
        apps, start, end = apps_of(
            spec,
            warm_up,
            (lambda n: progress.update(reading, completed=n))
            if progress is not None and reading is not None
            else None,
        )
        sweeping = (
            progress.add_task("keep-alive policies", total=len(policies)) if progress else None
        )
        points = measure(
            apps,
            start,
            end,
            policies,
            (lambda n: progress.update(sweeping, completed=n))
            if progress is not None and sweeping is not None
            else None,
        )
    if not any(p.invocations for p in points):
        raise fail(f"{spec.trace}: no invocations to measure between --from and --to")
    verdict = frontier_check(points)
    rows = [p.row() for p in points]
    written: list[Path] = []
    try:
        if out_dir is not None:
            written += _write(points, out_dir, spec.trace)
        if chart is not None:
            _chart(rows, chart, spec.trace)
            written.append(chart)
    except (OSError, ValueError) as exc:
        raise fail(f"cannot write {out_dir or chart}: {exc}") from None
    if as_json:
        data = {"trace": spec.trace, "start_s": start, "end_s": end, "points": rows}
        data["verdict"] = verdict
        data["baseline"] = BASELINE
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    _show(spec, points, start, end, len(apps))
    if written:
        err.print(f"written: {', '.join(str(p) for p in written)}", highlight=False)


def _show(spec: ReplaySpec, points: list[PolicyPoint], start: float, end: float, apps: int) -> None:
    from rich.table import Table

    calls = points[0].invocations if points else 0
    out.print(
        f"[bold]keep-alive trade-off of {spec.trace}[/], {trace_time(start)}-{trace_time(end)}: "
        f"{apps:,} apps, {calls:,} invocations measured (Shahrad et al., ATC 2020: an app is "
        "one image in memory; a busy period starts cold when it is not loaded)",
        highlight=False,
    )
    table = Table(title="per policy: apps' cold-start % and wasted memory", title_justify="left")
    for column in ("policy", "app cold % p50", "p75", "p90", "cold", "wasted h", "memory"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for p in points:
        table.add_row(
            p.policy,
            *(f"{p.cold_pct(q):.3g}" for q in (50, 75, 90)),
            f"{p.cold_starts:,}",
            f"{p.wasted_s / 3600:,.1f}",
            f"{p.normalised_memory:.3f}",
        )
    out.print(table)
    out.print(
        "[dim]memory: wasted memory time (loaded, not executing) / that of fixed-10min[/]",
        highlight=False,
    )
    for line in verdict_lines(points):
        out.print(line, highlight=False)
    out.print(CITATION)


def verdict_lines(points: list[PolicyPoint]) -> list[str]:
    """Whether the paper's hybrid dominates fixed 10 min here, and what it learned (why)."""
    from models.replay.paper import BASELINE, idle_profile

    by_name = {p.policy: p for p in points}
    hybrid, fixed = by_name.get(PAPER_RANGE), by_name.get(BASELINE)
    if hybrid is None or fixed is None:
        return []
    h75, f75 = hybrid.cold_pct(75), fixed.cold_pct(75)
    fewer = h75 <= f75 and hybrid.cold_starts <= fixed.cold_starts
    less = hybrid.normalised_memory <= 1.0
    if fewer and less and (h75 < f75 or hybrid.normalised_memory < 1.0):
        word = "[green]dominates[/]"
    else:
        word = "[yellow]does not dominate[/]"
    lines = [
        f"hybrid (4 h) {word} fixed 10 min here: 75th-percentile app {h75:.3g} % vs "
        f"{f75:.3g} % cold, {hybrid.cold_starts:,} vs {fixed.cold_starts:,} cold starts, "
        f"{hybrid.normalised_memory:.3f} of its wasted memory."
    ]
    profiles = Counter(idle_profile(a.learned) for a in hybrid.apps if a.learned and a.invocations)
    if profiles:
        from models.replay.result import IDLE_PROFILES

        parts = [f"{n} {name}" for name, n in profiles.most_common()]
        lines.append(f"[dim]what hybrid learned of the apps' idle times: {', '.join(parts)}[/]")
        for name in profiles:
            if name in IDLE_PROFILES:
                lines.append(f"[dim]  {name}: {IDLE_PROFILES[name]}[/]")
    if not (fewer and less):
        lines.append(
            "[dim]The paper's gain is on apps called every few minutes to hours (pre-warmed "
            "just in time, unloaded between); busy apps, idle for under a minute, keep only the "
            "histogram's tail (~1 min) and start cold on the rare longer gap a fixed 10 min "
            "covers.[/]"
        )
    return lines


def _chart(rows: list[dict[str, Any]], path: Path, trace: str) -> None:
    from lab.view.pareto import pareto_chart, save_chart

    save_chart(pareto_chart(rows, f"Keep-alive trade-off: {Path(trace).name}"), path)


def _write(points: list[PolicyPoint], target: Path, trace: str) -> list[Path]:
    import pandas as pd

    from models.replay.paper import iter_rows

    if target.suffix.lower() in {".csv", ".parquet"}:
        raise ValueError("--pareto --out takes a directory")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    rows = [p.row() for p in points]
    for name, table in (("pareto", rows), ("pareto_apps", list(iter_rows(points)))):
        frame = pd.DataFrame(table)
        frame.to_parquet(target / f"{name}.parquet", index=False)
        frame.to_csv(target / f"{name}.csv", index=False)
        written += [target / f"{name}.parquet", target / f"{name}.csv"]
    for suffix in (".png", ".svg"):
        _chart(rows, target / f"pareto{suffix}", trace)
        written.append(target / f"pareto{suffix}")
    return written
