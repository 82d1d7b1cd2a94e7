"""``lab live``, ``lab load`` and ``lab calibrate``: the live miniature runtime from the shell.

``lab live SCENARIO`` serves the scenario's routes on 127.0.0.1 with real instance processes;
``lab load SCENARIO --target URL`` replays the scenario's requests against it and prints the
report of ``lab sim`` (same table, same ``--json``), billed from the live events by the same
code; ``lab calibrate`` measures this machine for the simulator.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from lab.cli.common import DEFAULT_SCENARIO, ScenarioArg, err, fail, out
from lab.cli.common import load as load_scenario

if TYPE_CHECKING:
    from models.events import Event
    from models.live.runtime import LiveOptions
    from models.scenario import Scenario

StartMethod = Annotated[
    str, typer.Option("--start-method", help="zygote (fork, ~3 ms) or spawn (~75 ms).")
]


def _options(start_method: str, provision: bool, leaky: bool, keep_cache: bool) -> LiveOptions:
    from models.live.runtime import LiveOptions

    if start_method not in ("zygote", "spawn"):
        raise fail(f"unknown start method {start_method!r}; use zygote or spawn")
    return LiveOptions(
        start_method=start_method,  # type: ignore[arg-type]
        provision=provision,
        leaky=leaky,
        keep_cache=keep_cache,
        log=lambda message: err.print(f"[yellow]{message}[/]", highlight=False, markup=True),
    )


def live(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
    model: Annotated[str, typer.Option("--model", "-m", help="A model, or 'all'.")] = "all",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")
    ] = 8080,
    events: Annotated[
        Path | None, typer.Option(help="Write every event to this JSON Lines file as it happens.")
    ] = None,
    start_method: StartMethod = "zygote",
    provision: Annotated[
        bool, typer.Option(help="Sleep the scenario's provision delay (a container pull).")
    ] = False,
    leaky: Annotated[
        bool, typer.Option(help="Handlers keep request data in a module-level variable.")
    ] = False,
    keep_cache: Annotated[bool, typer.Option(help="Start from the last run's bytecode.")] = False,
    grace: Annotated[
        float,
        typer.Option(
            min=0, help="On Ctrl-C or SIGTERM, seconds for requests in flight to finish (then 503)."
        ),
    ] = 5.0,
) -> None:
    """Serve a scenario's routes on 127.0.0.1 with real instance processes.

    Ctrl-C or SIGTERM stops gracefully: no new connections, requests in flight finish within
    --grace seconds or are answered 503, then every instance stops (a second Ctrl-C skips the
    wait)."""
    import asyncio
    import contextlib
    import signal

    from models.live.server import LiveServer

    spec = load_scenario(scenario)
    models = None if model == "all" else [model]
    options = _options(start_method, provision, leaky, keep_cache)
    handle: IO[str] | None = None
    if events is not None:
        try:
            handle = events.open("w", encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write events to {events}: {exc}") from None

    def sink(name: str, event: Event) -> None:
        if handle is not None:
            record = event.to_dict()
            record["model"] = name
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
            handle.flush()

    async def serve() -> None:
        server = LiveServer(spec, models, options, port=port, sink=sink)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        hurry = asyncio.Event()

        def on_signal() -> None:  # the first asks for a graceful stop, the next one hurries it
            (hurry if stop.is_set() else stop).set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        try:
            await server.start()
            out.print(f"[bold]lab live[/] {spec.name}: {server.url}  models: {server.models}")
            for route in spec.workload.routes:
                out.print(f"  {server.url}{route.name}", highlight=False)
            out.print(
                f"[dim]replay the workload: lab load {scenario} --target {server.url}"
                "   stop: Ctrl-C[/]",
                highlight=False,
            )
            await stop.wait()
            err.print(f"stopping: requests in flight get up to {grace:g} s (Ctrl-C again: now)")
            shutdown = loop.create_task(server.shutdown(grace))
            hurried = loop.create_task(hurry.wait())
            await asyncio.wait([shutdown, hurried], return_when=asyncio.FIRST_COMPLETED)
            hurried.cancel()
            if not shutdown.done():
                shutdown.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await shutdown
        finally:
            await server.close()
            if handle is not None:
                handle.close()

    try:
        asyncio.run(serve())
        err.print("stopped")
    except ValueError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot serve on 127.0.0.1:{port}: {exc}") from None


def load(
    scenario: ScenarioArg,
    target: Annotated[str, typer.Option(help="The front door, e.g. http://127.0.0.1:8080.")],
    model: Annotated[str, typer.Option("--model", "-m", help="A model, or 'all'.")] = "all",
    requests: Annotated[
        int | None, typer.Option(help="Send only the first N requests of the workload.")
    ] = None,
    speed: Annotated[
        float, typer.Option(help="Divide arrival gaps by this (0: send as fast as allowed).")
    ] = 1.0,
    concurrency: Annotated[int, typer.Option(help="At most this many requests in flight.")] = 100,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    events: Annotated[
        Path | None, typer.Option(help="Also write every event to this JSON Lines file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for each answer before giving up.")
    ] = 120.0,
    calibration: Annotated[
        Path | None,
        typer.Option(
            help="A `lab calibrate` profile: also simulate the same requests on this machine's "
            "measured costs, side by side (needs --speed 1)."
        ),
    ] = None,
) -> None:
    """Replay a scenario's requests against `lab live` and print the `lab sim` report.

    Then checks the run: every request arrived and ended once, each HTTP answer matches how
    it ended, the counts add up; if not, it says why and exits with status 1."""
    import asyncio

    from rich.progress import Progress

    from lab.cli.sim import print_table
    from models.live.client import LoadResult, check_target, client, load_model
    from models.run import RunResult

    spec = load_scenario(scenario)
    if speed < 0 or concurrency < 1 or (requests is not None and requests < 1):
        raise fail("--speed must be >= 0, --concurrency and --requests at least 1")
    pace = float("inf") if speed == 0 else speed
    profile = None
    if calibration is not None:
        from models.live.calibration import load_profile

        if speed != 1:
            raise fail("--calibration compares like with like: use it with --speed 1")
        try:
            profile = load_profile(calibration)
        except ValueError as exc:
            raise fail(str(exc)) from None

    import httpx

    try:
        check_target(target)
    except ValueError as exc:
        raise fail(str(exc)) from None

    async def status() -> dict[str, Any]:
        async with client(target, 1, 10.0) as http:
            response = await http.get("/_lab/status")
        if response.status_code != 200:
            raise ValueError(f"{target}/_lab/status answered HTTP {response.status_code}")
        return dict(response.json())

    try:
        info = asyncio.run(status())
    except ValueError as exc:
        raise fail(f"{target} is not a `lab live` front door: {exc}") from None
    except httpx.HTTPError as exc:
        raise fail(f"cannot reach {target}: {exc}; is `lab live` running?") from None
    unhealthy = [m for m, h in info.get("health", {}).items() if not h.get("healthy", True)]
    if unhealthy:
        err.print(f"[yellow]warning: {target} reports model(s) {unhealthy} unhealthy[/]")
    if info.get("fingerprint") != spec.fingerprint():
        raise fail(
            f"{target} serves scenario {info.get('scenario')!r}, which is not {scenario!r} "
            f"as given here; start `lab live {scenario}`"
        )
    models = list(info["models"]) if model == "all" else [model]
    unknown = [m for m in models if m not in info["models"]]
    if unknown:
        raise fail(f"{target} does not run model {unknown[0]!r}; it runs {info['models']}")
    total = requests or spec.workload.requests
    run_seed = spec.seed if seed is None else seed
    result = RunResult(spec, run_seed)
    loads: dict[str, LoadResult] = {}
    with Progress(console=err.console, transient=True) as bar:
        for name in models:
            task = bar.add_task(f"{name}", total=total)

            def tick(done: int, task: Any = task) -> None:
                bar.update(task, completed=done)

            try:
                loads[name] = asyncio.run(
                    load_model(
                        target, spec, name, requests, pace, concurrency, tick, run_seed, timeout
                    )
                )
            except (httpx.HTTPError, OSError, ValueError) as exc:
                raise fail(f"load against {target} failed: {exc!s}") from None
            result.models[name] = loads[name].result
    if events is not None:
        from models.events import write_jsonl

        with events.open("w", encoding="utf-8") as handle:
            for name, loaded in loads.items():
                write_jsonl(loaded.events, handle, name)
    simulated = _simulated(spec, profile, models, requests, run_seed) if profile else {}
    problems = {name: loaded.problems() for name, loaded in loads.items()}
    if as_json:
        data = result.to_json()
        data["live"] = {name: _live_summary(loaded) for name, loaded in loads.items()}
        if simulated:
            data["simulated_calibrated"] = {n: r.summary() for n, r in simulated.items()}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        if simulated:
            _print_side_by_side(result, simulated)
        else:
            print_table(result)
        for name, loaded in loads.items():
            s = _live_summary(loaded)
            ended = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in s["outcomes"].items())
            out.print(
                f"[dim]{name}: sent {s['sent']} in {s['wall_s']:.1f} s; {ended}; "
                f"HTTP {s['statuses']}; module-state leaks {s['leaks']}; CPU attributed to "
                f"requests {s['cpu_attributed_share']:.1%} of the instances' process CPU[/]",
                highlight=False,
            )
            if s["outcomes"]["ok"] == 0:
                out.print(
                    f"[yellow]{name}: no request completed, so its latency figures are empty[/]"
                )
    bad = {name: found for name, found in problems.items() if found}
    for name, found in bad.items():
        err.print(f"[bold red]error:[/] {name}: the run does not add up: {'; '.join(found)}")
    if bad:
        raise typer.Exit(code=1)


def _simulated(
    spec: Scenario, profile: Any, models: list[str], requests: int | None, seed: int
) -> dict[str, Any]:
    """The same requests simulated with this machine's measured costs (``lab calibrate``)."""
    from models.live.calibration import calibrated
    from models.run import simulate_model

    scenario = calibrated(spec, profile)
    if requests is not None:
        scenario = scenario.with_changes(**{"workload.requests": requests})
    return {name: simulate_model(scenario, name, seed, keep_events=False) for name in models}


def _print_side_by_side(result: Any, simulated: dict[str, Any]) -> None:
    from rich.table import Table

    from lab.report_rows import comparison_rows

    summaries = {}
    for name, live_result in result.models.items():
        summaries[f"{name} live"] = live_result.summary()
        summaries[f"{name} simulated"] = simulated[name].summary()
    table = Table(title=f"{result.scenario.name}: live vs simulated (calibrated)")
    table.add_column("")
    for column in summaries:
        table.add_column(column, justify="right")
    for row in comparison_rows(summaries):
        table.add_row(*row)
    out.print(table)


def _live_summary(loaded: Any) -> dict[str, Any]:
    cpu = loaded.checks.get("cpu_check", {})
    return {
        "sent": loaded.sent,
        "wall_s": round(loaded.wall_s, 3),
        "statuses": {str(k): v for k, v in sorted(loaded.statuses.items())},
        "outcomes": loaded.outcomes(),
        "problems": loaded.problems(),
        "health": loaded.checks.get("health", {}),
        "leaks": loaded.checks.get("leaks", 0),
        "cpu_attributed_share": cpu.get("attributed_share", 0.0),
    }


def calibrate(
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Where to write the profile (JSON).")
    ] = None,
    repeats: Annotated[int, typer.Option(help="Cold starts per measurement.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
) -> None:
    """Measure this machine (process start, compile and cache-load cost per kB, dispatch)."""
    from models.live.calibration import default_profile_path, measure_profile, save_profile

    if repeats < 1:
        raise fail("--repeats must be at least 1")
    path = out_path or default_profile_path()
    err.print("measuring real cold starts and dispatch on this machine…")
    profile = measure_profile(repeats=repeats, log=err.print)
    try:
        save_profile(profile, path)
    except OSError as exc:
        raise fail(f"cannot write the profile to {path}: {exc}") from None
    if as_json:
        sys.stdout.write(profile.model_dump_json(indent=2) + "\n")
        return
    for key, value in profile.model_dump().items():
        out.print(f"  {key:<24} {value}", highlight=False)
    out.print(f"profile written to {path}")


def register(app: typer.Typer) -> None:
    """Add the live commands to the ``lab`` app."""
    app.command()(live)
    app.command()(load)
    app.command()(calibrate)
