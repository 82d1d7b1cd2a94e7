"""``lab sweep SPEC``: run a grid of knobs x seeds on Dask and write a tidy table with charts.

Writes ``results.parquet``, ``results.csv`` and one ``chart-N-Y.html`` per chart into the
output directory (default ``sweep-NAME``). A bad sweep file ends with a message naming the
field or grid key, and exit status 2.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lab.cli.common import err, fail, out, progress_bar

if TYPE_CHECKING:
    from models.sweep import SweepSpec


def load_sweep(path: Path) -> SweepSpec:
    """A sweep file, validated; ``ScenarioError`` with every problem otherwise."""
    from pydantic import ValidationError

    from models.loading import SUFFIXES, ScenarioError, describe, parse_text
    from models.sweep import SweepSpec

    if not path.is_file():
        raise ScenarioError(f"{path}: no such sweep file")
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ScenarioError(f"{path}: expected a .toml, .yaml or .json sweep file")
    data = parse_text(path.read_text(encoding="utf-8"), fmt, str(path))
    replay = data.get("replay")
    if isinstance(replay, dict) and isinstance(replay.get("trace"), str):
        beside = path.parent / replay["trace"]
        if not Path(replay["trace"]).is_absolute() and beside.exists():
            replay["trace"] = str(beside)  # a trace path is relative to the sweep file
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        error = describe(exc, str(path))
        raise ScenarioError(f"{path}: the sweep is not valid", error.problems) from None


def sweep_command(
    spec_file: Annotated[Path, typer.Argument(help="A sweep file (.toml, .yaml or .json).")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output directory (default sweep-NAME).")
    ] = None,
    serial: Annotated[
        bool, typer.Option(help="Run in this process instead of a local Dask cluster.")
    ] = False,
    workers: Annotated[int | None, typer.Option(help="Local cluster size (default 2).")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of an existing Dask scheduler to use.")
    ] = None,
    charts: Annotated[bool, typer.Option(help="Write altair charts (HTML).")] = True,
) -> None:
    """Run a sweep (grid of knobs x seeds) and write a tidy table (Parquet, CSV) and charts."""
    from models.loading import ScenarioError, load_scenario
    from models.replay import ExecutorError
    from models.sweep import SweepError, knobs, run_sweep
    from models.traces import TraceError

    try:
        spec = load_sweep(spec_file)
        base = None
        if spec.scenario is not None:
            source = spec.scenario
            relative = spec_file.parent / source
            base = load_scenario(str(relative) if relative.is_file() else source)
        with ExitStack() as stack:
            progress = stack.enter_context(progress_bar())
            task = progress.add_task(spec.name, total=None)

            def tick(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total or None)  # 0: streamed

            engine: Any = "serial" if serial and scheduler is None else "dask"
            rows = run_sweep(spec, base, engine, scheduler, workers, tick)
        found = knobs(spec, base)
    except (ScenarioError, SweepError, TraceError, ExecutorError) as exc:
        raise fail(str(exc)) from None
    import pandas as pd

    frame = pd.DataFrame(rows)
    target = out_dir or Path(f"sweep-{spec.name}")
    try:
        target.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(target / "results.parquet", index=False)
        frame.to_csv(target / "results.csv", index=False)
        written = ["results.parquet", "results.csv"]
        if charts:
            from lab.sweep_charts import charts as make_charts

            for i, (chart_spec, chart) in enumerate(make_charts(frame, spec, found), start=1):
                name = f"chart-{i}-{chart_spec.y}.html"
                chart.save(str(target / name))
                written.append(name)
    except (OSError, ValueError) as exc:
        raise fail(f"cannot write the sweep results to {target}: {exc}") from None
    out.print(f"{len(frame)} rows from {len(spec.points())} points x {len(spec.seeds)} seeds")
    err.print(f"written to {target}/: {', '.join(written)}")
