"""``lab replay TRACE``: replay a public Azure Functions trace, one deployment per function.

Prints, per function and in total, for each platform model and keep-alive policy: invocations,
cold-start share, wasted idle memory (GB-s) and the bill. ``--sensitivity`` adds the totals
for several CPU/IO splits (the traces do not say how much of a duration is on a core).
Bad trace files end with a message naming file, line and column, and exit status 2.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lab.cli.common import err, fail, out, progress_bar

if TYPE_CHECKING:
    from models.replay import ReplayResult, ReplaySpec

SENSITIVITY_SHARES = (0.1, 0.5, 0.9)
POLICY_NAMES = ("platform", "fixed-10min", "fixed-20min", "hybrid", "scale-to-one")
"""``models.replay.POLICY_PRESETS``'s names, repeated so ``--help`` needs no numpy (a test
keeps the two equal)."""


def _spec(source: Path | None, overrides: dict[str, Any]) -> ReplaySpec:
    from pydantic import ValidationError

    from models.loading import ScenarioError, describe, parse_text
    from models.replay import ReplaySpec
    from models.traces import TraceError

    data: dict[str, Any] = {}
    if source is not None:
        if not source.is_file():
            raise TraceError(f"{source}: no such replay spec file")
        fmt = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}.get(
            source.suffix.lower(), "toml"
        )
        data = parse_text(source.read_text(encoding="utf-8"), fmt, str(source))
        trace = data.get("trace")
        beside = source.parent / trace if isinstance(trace, str) else None
        if beside is not None and not Path(str(trace)).is_absolute() and beside.exists():
            data["trace"] = str(beside)  # a trace path is relative to the spec file
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ReplaySpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(str(describe(exc, str(source or "replay options")))) from None


def replay_command(
    trace: Annotated[
        str | None,
        typer.Argument(help="A 2019 trace directory or a 2021 invocations CSV."),
    ] = None,
    spec_file: Annotated[
        Path | None, typer.Option("--spec", help="A replay spec (.toml/.yaml/.json).")
    ] = None,
    function: Annotated[
        list[str] | None, typer.Option("--function", "-f", help="Hash or 8+ char prefix.")
    ] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", "-p", help=f"Keep-alive policy: {', '.join(POLICY_NAMES)}."),
    ] = None,
    cpu_share: Annotated[
        float | None, typer.Option(help="Share of each duration on a core (default 0.5).")
    ] = None,
    hours: Annotated[float | None, typer.Option(help="Replay only the first N hours.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the reconstruction.")] = None,
    sensitivity: Annotated[
        bool, typer.Option(help="Also show totals for cpu shares 0.1, 0.5 and 0.9.")
    ] = False,
    serial: Annotated[
        bool, typer.Option(help="Run in this process instead of a local Dask cluster.")
    ] = False,
    workers: Annotated[int | None, typer.Option(help="Local cluster size (default 2).")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of an existing Dask scheduler to use.")
    ] = None,
    stream: Annotated[
        bool,
        typer.Option(
            help="Read the trace one function at a time, in bounded memory (a full public "
            "day); --no-stream reads every function first. Same numbers either way."
        ),
    ] = True,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the tidy table (.csv or .parquet).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Replay an Azure Functions trace: cold starts, idle memory and bills per function."""
    from models.loading import ScenarioError
    from models.replay import ExecutorError
    from models.traces import TraceError

    if trace is None and spec_file is None:
        raise fail("give a trace (directory or CSV) or --spec FILE")
    try:
        spec = _spec(
            spec_file,
            {
                "trace": trace,
                "functions": function or None,
                "policies": policy or None,
                "cpu_share": cpu_share,
                "hours": hours,
                "seed": seed,
            },
        )
        engine = "serial" if serial and scheduler is None else "dask"
        result = _run(spec, engine, scheduler, workers, not as_json, stream)
        sensitivity_rows = (
            _sensitivity(spec, engine, scheduler, workers, stream) if sensitivity else []
        )
    except (TraceError, ScenarioError, ExecutorError) as exc:
        raise fail(str(exc)) from None
    if out_file is not None:
        try:
            _write_table(result, out_file)
        except (OSError, ValueError) as exc:
            raise fail(f"cannot write {out_file}: {exc}") from None
    if as_json:
        data = result.to_json()
        data["sensitivity"] = sensitivity_rows
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    _print(result, sensitivity_rows)
    if out_file is not None:
        err.print(f"table written to {out_file}")


def _run(
    spec: ReplaySpec,
    engine: Any,
    scheduler: str | None,
    workers: int | None,
    show_progress: bool,
    stream: bool = True,
) -> ReplayResult:
    from models.replay import replay

    with ExitStack() as stack:
        progress = stack.enter_context(progress_bar()) if show_progress else None
        task = progress.add_task("replay", total=None) if progress is not None else None

        def tick(done: int, total: int) -> None:
            if progress is not None and task is not None:
                progress.update(task, completed=done, total=total or None)

        return replay(spec, engine, scheduler, workers, tick, stream=stream)


def _sensitivity(
    spec: ReplaySpec, engine: Any, scheduler: str | None, workers: int | None, stream: bool
) -> list[dict[str, Any]]:
    rows = []
    for share in SENSITIVITY_SHARES:
        varied = spec.model_copy(update={"cpu_share": share, "cpu_share_by_function": {}})
        result = _run(varied, engine, scheduler, workers, False, stream)
        for (model, policy), total in result.totals().items():
            rows.append(
                {
                    "cpu_share": share,
                    "model": model,
                    "policy": policy,
                    "bill_usd": total.bill_usd.get("total", 0.0),
                    "cold_share": total.cold_share,
                    "idle_gb_s": total.idle_gb_s,
                }
            )
    return rows


def _write_table(result: ReplayResult, path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(result.rows())
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        raise ValueError("use a .csv or .parquet file name")


def _print(result: ReplayResult, sensitivity_rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from lab.format import money

    spec = result.spec
    table = Table(
        title=f"replay of {spec.trace} (seed {spec.seed}, cpu share {spec.cpu_share:g})",
        title_justify="left",
    )
    for column in ("function", "model", "policy", "invocations", "cold %", "idle GB-s", "bill"):
        table.add_column(column, justify="left" if column in {"function", "model"} else "right")
    rows = sorted(result.functions, key=lambda r: (r.function, r.model, r.policy))
    totals = list(result.totals().values())
    for i, r in enumerate([*rows, *totals]):
        table.add_row(
            "[bold]total[/]" if i >= len(rows) else r.name,
            r.model,
            r.policy,
            f"{r.invocations:,}",
            f"{100 * r.cold_share:.3f}",
            f"{r.idle_gb_s:,.0f}",
            money(r.bill_usd.get("total", 0.0)),
            end_section=i == len(rows) - 1,
        )
    out.print(table)
    _print_tradeoff(result)
    for warning in result.warnings():
        out.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if sensitivity_rows:
        sens = Table(title="sensitivity to the CPU/IO split (totals)", title_justify="left")
        for column in ("cpu share", "model", "policy", "bill"):
            sens.add_column(column, justify="right")
        for row in sensitivity_rows:
            sens.add_row(
                f"{row['cpu_share']:g}", row["model"], row["policy"], money(row["bill_usd"])
            )
        out.print(sens)
    out.print(
        "[dim]Azure Functions traces, CC BY 4.0: Shahrad et al., USENIX ATC 2020 (2019 format); "
        "Zhang et al., SOSP 2021 (2021 format).[/]"
    )


def _short(s: float) -> str:
    """``66s``, ``26m``, ``4h``, ``1.5h``: a window in a narrow column."""
    if s < 120:
        return f"{s:.0f}s"
    if s < 7200:
        return f"{s / 60:.0f}m"
    return f"{s / 3600:.3g}h"


def _print_tradeoff(result: ReplayResult) -> None:
    """Per function: each policy's cold starts and idle memory, and what hybrid learned."""
    from rich import box
    from rich.table import Table

    from models.replay.result import IDLE_PROFILES

    policies = list(dict.fromkeys(r.policy for r in result.functions))
    hybrid = any(r.pattern for r in result.functions)  # a hybrid policy ran
    if len(policies) < 2 and not hybrid:
        return
    rows = result.tradeoff()
    for model in dict.fromkeys(row["model"] for row in rows):
        table = Table(
            title=f"keep-alive trade-off per function ({model}): cold starts / idle GB-s",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        table.add_column("function")
        if hybrid:
            table.add_column("idle profile")
            table.add_column("hybrid windows", justify="right")
        for policy in policies:
            table.add_column(policy, justify="right")
        for row in sorted((r for r in rows if r["model"] == model), key=lambda r: r["name"]):
            cells = [row["name"]]
            if hybrid:
                windows = ""
                if row["keep_alive_s"] is not None and row["invocations"]:
                    windows = f"{_short(row['prewarm_s'])}+{_short(row['keep_alive_s'])}"
                cells += [row["profile"], windows]
            for policy in policies:
                numbers = row["policies"].get(policy)
                cells.append(
                    f"{numbers['cold_starts']:,} / {numbers['idle_gb_s']:,.0f}" if numbers else ""
                )
            table.add_row(*cells)
        out.print(table)
    if hybrid:
        profiles = dict.fromkeys(sorted(r["profile"] for r in rows if r["profile"]))
        for profile in profiles:
            out.print(f"[dim]  {profile}: {IDLE_PROFILES[profile]}[/]", highlight=False)
        out.print(
            "[dim]hybrid windows: pre-warm + keep-alive at the end of the replay "
            "(models.policies). The paper's gain, fewer cold starts for less idle memory, is "
            "on functions with regular idle times longer than the fixed timeout; busy "
            "functions have idle times under a minute, so hybrid keeps spare instances ~1 min: "
            "less idle memory, more cold starts where each instance runs one request.[/]",
            highlight=False,
        )
