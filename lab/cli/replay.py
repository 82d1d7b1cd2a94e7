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

from lab.cli.common import err, fail, progress_bar

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
        typer.Argument(
            help="A 2019 trace directory (a day, a window of minute columns, or day files "
            "d01..d14 read as one trace) or a 2021 invocations CSV."
        ),
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
    hours: Annotated[
        float | None, typer.Option(help="Replay only N hours (from --from, if given).")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from", help="Cut the trace from this time ('8h', '480min', seconds) of its start."
        ),
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Cut the trace up to this time.")] = None,
    pareto: Annotated[
        bool,
        typer.Option(
            help="The paper's keep-alive trade-off instead of the instance replay: per-app "
            "cold starts vs wasted memory for fixed keep-alives 5-120 min and hybrid ranges "
            "1-4 h, charted (--chart, or pareto.png/.svg in --out)."
        ),
    ] = False,
    warm_up: Annotated[
        bool,
        typer.Option(help="--pareto: let what comes before --from teach the policies."),
    ] = True,
    chart: Annotated[
        Path | None, typer.Option(help="--pareto: write the chart here (.png or .svg).")
    ] = None,
    functions_table: Annotated[
        bool, typer.Option("--functions", help="Also print the per-function tables.")
    ] = False,
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
        Path | None,
        typer.Option(
            "--out",
            help="A directory for every table (Parquet and CSV), the warnings and charts; "
            "or one .csv/.parquet file for the per-function table.",
        ),
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
                "start": start,
                "end": end,
            },
        )
        if pareto:
            from lab.cli.replay_pareto import pareto_command

            pareto_command(spec, warm_up, out_file, chart, as_json)
            return
        engine = "serial" if serial and scheduler is None else "dask"
        result = _run(spec, engine, scheduler, workers, not as_json, stream)
        sensitivity_rows = (
            _sensitivity(spec, engine, scheduler, workers, stream) if sensitivity else []
        )
    except (TraceError, ScenarioError, ExecutorError) as exc:
        raise fail(str(exc)) from None
    import lab.cli.replay_report as report

    written: list[Path] = []
    if out_file is not None:
        try:
            written = report.write(result, out_file)
        except (OSError, ValueError) as exc:
            raise fail(f"cannot write {out_file}: {exc}") from None
    if as_json:
        data = result.to_json()
        data["sensitivity"] = sensitivity_rows
        data["apps"] = report.app_rows(result)
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    report.show(result, sensitivity_rows, functions_table, out_file if written else None)
    if written:
        err.print(f"written: {', '.join(str(p) for p in written)}", highlight=False)


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
        expected = _expected_tasks(spec) if show_progress else None
        task = (
            progress.add_task("replaying functions x models x policies", total=expected)
            if progress is not None
            else None
        )

        def tick(done: int, total: int) -> None:
            if progress is not None and task is not None:
                progress.update(task, completed=done, total=total or expected)

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


def _expected_tasks(spec: ReplaySpec) -> int | None:
    """How many tasks a streamed replay will run, so the progress bar has a total."""
    functions = expected_functions(spec)
    if functions is None:
        return None
    return functions * len(spec.template().platforms) * len(spec.policies)


def expected_functions(spec: ReplaySpec) -> int | None:
    """How many functions a 2019 trace holds (its longest day file's rows, counted without
    parsing); None when unknown (a 2021 trace, a selection of functions)."""
    from models.traces import TraceError, days_2019, detect_format

    if spec.functions:
        return None
    try:
        if (spec.format or detect_format(spec.trace)) != "azure2019":
            return None
        rows = 0
        for day in days_2019(Path(spec.trace)):
            with day.invocations.open("rb") as handle:
                rows = max(rows, sum(1 for _ in handle) - 1)
    except (OSError, TraceError):
        return None
    return rows
