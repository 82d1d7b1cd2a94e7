"""What ``lab replay`` prints and writes: the summary first, details on request.

Printed: one line saying what was replayed, the totals per platform model and keep-alive policy
with the per-app cold-start distribution (the paper's unit), the reconstruction warnings counted
in one line with the worst few, and the per-function tables only with ``--functions``.
Written with ``--out DIR``: ``functions`` and ``totals`` and ``apps`` as Parquet and CSV, and
``warnings.txt`` with every warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.cli.common import out

if TYPE_CHECKING:
    from models.replay import ReplayResult

WORST = 3
"""Warnings named in the one-line summary."""
CITATION = (
    "[dim]Azure Functions traces, CC BY 4.0: Shahrad et al., USENIX ATC 2020 (2019 format); "
    "Zhang et al., SOSP 2021 (2021 format).[/]"
)


def app_rows(result: ReplayResult) -> list[dict[str, Any]]:
    """Per model and policy: how many apps, and their cold-start percentages' p50/p75/p90."""
    from models.replay.paper import app_distribution

    return [
        {"model": model, "policy": policy, **row}
        for (model, policy), row in app_distribution(result.functions).items()
    ]


def write(result: ReplayResult, target: Path) -> list[Path]:
    """``--out``: one table file (.csv/.parquet), or a directory of every table."""
    import pandas as pd

    suffix = target.suffix.lower()
    if suffix in {".csv", ".parquet"}:
        frame = pd.DataFrame(result.rows())
        if suffix == ".parquet":
            frame.to_parquet(target, index=False)
        else:
            frame.to_csv(target, index=False)
        return [target]
    if target.exists() and not target.is_dir():
        raise ValueError("expected a directory, or a .csv or .parquet file name")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {
        "functions": [r.row() for r in result.functions],
        "totals": [{**t.row(), "name": "total"} for t in result.totals().values()],
        "apps": app_rows(result),
    }
    for name, rows in tables.items():
        frame = pd.DataFrame(rows)
        for path in (target / f"{name}.parquet", target / f"{name}.csv"):
            if path.suffix == ".parquet":
                frame.to_parquet(path, index=False)
            else:
                frame.to_csv(path, index=False)
            written.append(path)
    warnings = target / "warnings.txt"
    warnings.write_text("".join(f"{w}\n" for _s, w in ranked_warnings(result)), encoding="utf-8")
    written.append(warnings)
    return written


def show(
    result: ReplayResult,
    sensitivity_rows: list[dict[str, Any]],
    functions_table: bool,
    out_dir: Path | None,
) -> None:
    """Print the summary, then what was asked for."""
    _headline(result)
    _totals(result)
    _warnings(result, out_dir)
    if functions_table:
        _functions(result)
        _tradeoff(result)
    elif len(result.functions) > len(result.totals()):
        out.print(
            "[dim]per-function tables: --functions (print) or --out DIR (Parquet and CSV)[/]",
            highlight=False,
        )
    if sensitivity_rows:
        _sensitivity(sensitivity_rows)
    out.print(CITATION)


def _headline(result: ReplayResult) -> None:
    spec = result.spec
    functions = {r.function for r in result.functions}
    apps = {r.app or r.function for r in result.functions}
    totals = list(result.totals().values())
    calls = totals[0].invocations if totals else 0
    window = ""
    if spec.start is not None or spec.end is not None:
        last = trace_time(spec.end) if spec.end is not None else "end"
        window = f", {trace_time(spec.start or 0.0)}-{last}"
    out.print(
        f"[bold]replay of {spec.trace}[/]{window}: {len(functions):,} functions in "
        f"{len(apps):,} apps, {calls:,} invocations (seed {spec.seed}, cpu share "
        f"{spec.cpu_share:g}; each function its own deployment, one instance per request "
        "on traditional)",
        highlight=False,
    )


def trace_time(seconds: float) -> str:
    """``8h``, ``23h30``: a time of the trace, to the minute."""
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}h{rest // 60:02d}" if rest else f"{hours}h"


def _totals(result: ReplayResult) -> None:
    from rich.table import Table

    from lab.format import money
    from models.replay.paper import app_distribution

    table = Table(title="totals per platform model and keep-alive policy", title_justify="left")
    for column in ("model", "policy", "invocations", "cold %", "idle GB-s", "bill"):
        table.add_column(column, justify="left" if column in {"model", "policy"} else "right")
    for (model, policy), total in result.totals().items():
        table.add_row(
            model,
            policy,
            f"{total.invocations:,}",
            f"{100 * total.cold_share:.3f}",
            f"{total.idle_gb_s:,.0f}",
            money(total.bill_usd.get("total", 0.0)),
        )
    out.print(table)
    apps = app_distribution(result.functions)
    table = Table(
        title="cold starts per application: % of its invocations (Shahrad et al.)",
        title_justify="left",
    )
    for column in ("model", "policy", "apps", "median app", "75th pct", "90th pct"):
        table.add_column(column, justify="left" if column in {"model", "policy"} else "right")
    for (model, policy), dist in apps.items():
        table.add_row(
            model,
            policy,
            f"{dist['apps']:,.0f}",
            *(f"{dist[p]:.3f}" for p in ("p50", "p75", "p90")),
        )
    out.print(table)


def ranked_warnings(result: ReplayResult) -> list[tuple[str, str]]:
    """``(short, full)`` reconstruction warnings, one per function, the worst first."""
    from models.replay.result import mean_warning

    found: dict[str, tuple[float, str, str]] = {}
    for r in result.functions:
        warning = mean_warning(r) if r.function not in found else None
        if warning is not None and r.mean_mismatch is not None:
            short = f"{r.name} {100 * r.mean_mismatch:+.0f} %"
            found[r.function] = (abs(r.mean_mismatch), short, warning)
    return [(short, full) for _gap, short, full in sorted(found.values(), reverse=True)]


def _warnings(result: ReplayResult, out_dir: Path | None) -> None:
    ranked = [short for short, _full in ranked_warnings(result)]
    if not ranked:
        return
    where = f"{out_dir / 'warnings.txt'}" if out_dir is not None else "--out DIR"
    out.print(
        f"[yellow]warning:[/] {len(ranked)} function(s) whose published duration percentiles "
        f"cannot reach their published mean (worst: {', '.join(ranked[:WORST])}); their "
        f"wall-clock bills are off by about as much. Every one: {where}",
        highlight=False,
    )


def _functions(result: ReplayResult) -> None:
    from rich.table import Table

    from lab.format import money

    spec = result.spec
    table = Table(
        title=f"per function (seed {spec.seed}, cpu share {spec.cpu_share:g})",
        title_justify="left",
    )
    for column in ("function", "model", "policy", "invocations", "cold %", "idle GB-s", "bill"):
        table.add_column(column, justify="left" if column in {"function", "model"} else "right")
    for r in sorted(result.functions, key=lambda r: (r.function, r.model, r.policy)):
        table.add_row(
            r.name,
            r.model,
            r.policy,
            f"{r.invocations:,}",
            f"{100 * r.cold_share:.3f}",
            f"{r.idle_gb_s:,.0f}",
            money(r.bill_usd.get("total", 0.0)),
        )
    out.print(table)


def _sensitivity(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from lab.format import money

    sens = Table(title="sensitivity to the CPU/IO split (totals)", title_justify="left")
    for column in ("cpu share", "model", "policy", "bill"):
        sens.add_column(column, justify="right")
    for row in rows:
        sens.add_row(f"{row['cpu_share']:g}", row["model"], row["policy"], money(row["bill_usd"]))
    out.print(sens)


def _short(s: float) -> str:
    """``66s``, ``26m``, ``4h``, ``1.5h``: a window in a narrow column."""
    if s < 120:
        return f"{s:.0f}s"
    if s < 7200:
        return f"{s / 60:.0f}m"
    return f"{s / 3600:.3g}h"


def _tradeoff(result: ReplayResult) -> None:
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
