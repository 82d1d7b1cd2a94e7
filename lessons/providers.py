"""Computed tables a lesson can name besides its runs: ``[data.NAME] provider = "..."``.

A provider turns ``args`` into a table (nested dicts of numbers) or raises ``Unavailable``
when what it needs is not there (the live runtime, the trace replay of another package). A
claim that names an unavailable table is reported as *skipped*, with the reason, never as
passed.

* ``bytecode_fit``      lesson 3's least-squares fit (``lessons.fit``)
* ``platform_facts``    the platform's documented limits and behaviours
                        (``assets/facts/vercel.toml``, via ``lessons.sources``): inputs, so a
                        claim naming only these must be marked ``arithmetic`` or ``definition``
* ``trace_keepalive``   a public Azure Functions trace, each function replayed by the core
                        simulator under one fixed keep-alive: cold-start share per function
* ``replay_cold_share`` the same question answered by ``models.replay.cold_share_by_function``
                        (the trace-replay package), when it is installed
* ``live_bytecode``     the live runtime's real import of Python bundles, cache off vs on
* ``live_module_state`` the live runtime's shared-module-state leak demonstration

The two live providers run real processes for seconds, so a lesson only uses them when it is
opened with ``live=True`` (``lab lesson check --live``, or ``SERVERLESS_LAB_LIVE_LESSONS=1``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from models.durations import parse_seconds
from models.run import simulate
from models.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]


class Unavailable(RuntimeError):
    """What a provider needs is not available here; the message says what."""


Provider = Callable[[Mapping[str, Any]], dict[str, Any]]


def _bytecode_fit(args: Mapping[str, Any]) -> dict[str, Any]:
    from lessons.fit import bytecode_fit

    return bytecode_fit()


def _platform_facts(args: Mapping[str, Any]) -> dict[str, Any]:
    from lessons.sources import facts_table

    return facts_table()


def find_trace(name: str) -> Path:
    """A trace file by path, or by its name under the trace samples shipped in ``assets/``."""
    path = Path(name)
    if path.is_absolute() and path.is_file():
        return path
    candidates = [
        ROOT / name,
        ROOT / "assets" / "traces" / name,
        ROOT / "assets" / "traces" / "azure-functions-traces" / name,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    assets = ROOT / "assets"
    if assets.is_dir():
        tail = Path(name).parts[-2:]
        for found in assets.rglob(Path(name).name):
            if found.parts[-len(tail) :] == tail:
                return found
    raise Unavailable(f"trace sample {name!r} not found (looked in assets/)")


def _trace_rows(path: Path) -> dict[str, list[tuple[float, float]]]:
    """2021 format: function -> [(start, duration)] sorted by start."""
    import csv

    by_function: dict[str, list[tuple[float, float]]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            end, duration = float(row["end_timestamp"]), float(row["duration"])
            by_function.setdefault(row["func"], []).append((max(0.0, end - duration), duration))
    for rows in by_function.values():
        rows.sort()
    return by_function


def _trace_keepalive(args: Mapping[str, Any]) -> dict[str, Any]:
    """Replay each function of a 2021-format trace alone, one instance per request at a time.

    Arrivals are the trace's own start times; each request takes its own recorded duration
    (as I/O: the trace does not say how much was CPU, and only the time matters here). The
    sample is a short window, so every function's first call in it is cold whatever the
    keep-alive: ``after_first`` gives the same figures with each function's first call left
    out (functions called more than once), and ``window_min`` how long the sample lasts.
    """
    path = find_trace(str(args.get("trace", "azure2021_first200/invocations.csv")))
    keep_alive = parse_seconds(args.get("keep_alive", "10min"))
    shares: list[float] = []
    later: list[float] = []  # cold share of each repeatedly called function, first call left out
    cold = total = singles = 0
    first_start, last_end = float("inf"), 0.0
    for rows in _trace_rows(path).values():
        singles += len(rows) == 1
        first_start = min(first_start, rows[0][0])
        last_end = max(last_end, *(t + d for t, d in rows))
        routes: dict[float, str] = {}  # one route per distinct recorded duration
        for _, d in rows:
            routes.setdefault(max(d, 0.001), f"/d{len(routes)}")
        scenario = Scenario.model_validate(
            {
                "name": "trace-function",
                "workload": {
                    "arrivals": {
                        "kind": "explicit",
                        "times": [t for t, _ in rows],
                        "routes": [routes[max(d, 0.001)] for _, d in rows],
                    },
                    "routes": [{"name": n, "work": [{"io": d}]} for d, n in routes.items()],
                },
                "function": {"runtime_init": "200ms"},
                "platforms": {"traditional": {"keep_alive": keep_alive, "max_duration": "1h"}},
            }
        )
        metrics = simulate(scenario, keep_events=False).models["traditional"].metrics
        shares.append(metrics["cold_start_rate"])
        calls, colds = metrics["requests"]["total"], metrics["cold_starts"]
        if calls > 1:
            later.append((colds - 1) / (calls - 1))  # the first call always finds no instance
        cold += colds
        total += calls
    n, m = len(shares), len(later)
    return {
        "functions": n,
        "invocations": total,
        "cold_starts": cold,
        "cold_share": cold / total if total else 0.0,
        "function_share": {
            "mean": statistics.fmean(shares) if shares else 0.0,
            "median": statistics.median(shares) if shares else 0.0,
        },
        "functions_all_cold": sum(1 for s in shares if s >= 0.999) / n if n else 0.0,
        "functions_mostly_cold": sum(1 for s in shares if s >= 0.5) / n if n else 0.0,
        "functions_single_call": singles / n if n else 0.0,
        "after_first": {
            "functions": m,
            "invocations": total - n,
            "cold_starts": cold - n,
            "cold_share": (cold - n) / (total - n) if total > n else 0.0,
            "function_share_median": statistics.median(later) if later else 0.0,
            "functions_mostly_cold": sum(1 for s in later if s >= 0.5) / m if m else 0.0,
            "functions_never_cold": sum(1 for s in later if s == 0) / m if m else 0.0,
        },
        "window_min": (last_end - first_start) / 60 if n else 0.0,
        "keep_alive_min": keep_alive / 60,
    }


def _replay_cold_share(args: Mapping[str, Any]) -> dict[str, Any]:
    try:
        replay = importlib.import_module("models.replay")
    except ImportError:
        raise Unavailable("trace replay (models.replay) is not installed yet") from None
    fn = getattr(replay, "cold_share_by_function", None)
    if fn is None:
        raise Unavailable("models.replay has no cold_share_by_function")
    path = find_trace(str(args.get("trace", "azure2021_first200/invocations.csv")))
    keep_alive = parse_seconds(args.get("keep_alive", "10min"))
    shares = fn(path, keep_alive)
    values = [float(v) for v in dict(shares).values()]
    n = len(values)
    return {
        "functions": n,
        "function_share": {
            "mean": statistics.fmean(values) if values else 0.0,
            "median": statistics.median(values) if values else 0.0,
        },
        "functions_all_cold": sum(1 for s in values if s >= 0.999) / n if n else 0.0,
        "functions_mostly_cold": sum(1 for s in values if s >= 0.5) / n if n else 0.0,
    }


def _live_modules() -> tuple[Any, Any, Any]:
    try:
        coldstart = importlib.import_module("models.live.coldstart")
        replay = importlib.import_module("models.live.replay")
        runtime = importlib.import_module("models.live.runtime")
    except ImportError as exc:
        raise Unavailable(f"the live runtime is not installed ({exc})") from None
    return coldstart, replay, runtime


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of ``(x, y)`` points (ms per kB)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def _live_bytecode(args: Mapping[str, Any]) -> dict[str, Any]:
    """Real cold starts of generated Python bundles, bytecode cache off vs on (medians).

    ``code_load`` is the import of the bundle: compiling it, or loading checked-hash ``.pyc``
    files made by an earlier instance. The table gives its CPU time as measured by the instance
    (``nocache_ms``, ``cache_ms``: steady on a busy machine) and its wall time (``*_wall_ms``:
    what a user waits, noisy when other work shares the cores). With the cache on, only the cold
    starts that really hit it count (the first instance fills the cache; a later one may start
    before it is published): the runs are repeated, up to ``attempts`` times per size, until
    ``repeats`` cold starts of each kind are usable, and the table is unavailable (a failure
    when a lesson is checked live) if one size still has none. ``per_kb`` is the slope over the
    sizes of compile CPU, cache-load CPU and their difference (ms per kB), the live runtime's
    answer to what lesson 3 fits from the post.
    """
    coldstart, replay, runtime = _live_modules()
    repeats = int(args.get("repeats", 3))
    attempts = int(args.get("attempts", 4))
    gap = float(args.get("gap_s", 0.8))  # time for an instance to publish its cache
    table: dict[str, Any] = {}
    points: dict[str, list[tuple[float, float]]] = {"off": [], "merged": []}
    for kb in args.get("sizes", (250, 550, 800)):
        medians: dict[str, float] = {}
        counts: dict[str, int] = {}
        for mode in ("off", "merged"):
            rows: list[dict[str, float]] = []
            for _ in range(attempts):
                scenario = coldstart.cold_start_scenario(kb, mode, repeats + 1).with_changes(
                    **{"workload.arrivals.rate": 1.0 / gap}
                )
                run = replay.run_live(scenario, "traditional", options=runtime.LiveOptions())
                found = coldstart.phases_by_instance(run.events)[1:]
                if mode == "merged":
                    found = [r for r in found if r.get("cache_hit")]
                rows += found
                if len(rows) >= repeats:
                    break
            if not rows:
                raise Unavailable(
                    f"no usable live cold start for {kb} kB ({mode}) in {attempts} attempts"
                )
            counts[mode] = len(rows)
            medians[mode] = statistics.median(r.get("code_load_cpu", 0.0) for r in rows) * 1000
            medians[mode + "_wall"] = statistics.median(r["code_load"] for r in rows) * 1000
            points[mode].append((float(kb), medians[mode]))
        nocache, cache = medians["off"], medians["merged"]
        table[f"kb{int(kb)}"] = {
            "nocache_ms": nocache,
            "cache_ms": cache,
            "saved_ms": nocache - cache,
            "saving": 1 - cache / nocache if nocache else 0.0,
            "nocache_wall_ms": medians["off_wall"],
            "cache_wall_ms": medians["merged_wall"],
            "hits": counts["merged"],
            "compiles": counts["off"],
        }
    compile_kb, load_kb = _slope(points["off"]), _slope(points["merged"])
    table["per_kb"] = {
        "compile_ms": compile_kb,
        "load_ms": load_kb,
        "saving_ms": compile_kb - load_kb,
    }
    return table


def _live_module_state(args: Mapping[str, Any]) -> dict[str, Any]:
    """A handler that keeps the user in a module-level variable, run for real.

    Two waves of ``per_wave`` requests at once (six by default, ``wave_gap_s`` apart), each 1 ms
    CPU, ``io_ms`` of I/O (80 ms), 1 ms CPU. The runtime checks that each response names its own
    request's user; a mismatch is a leak. ``setup`` gives these settings back for the lesson text.
    """
    _, replay, runtime = _live_modules()
    per_wave = int(args.get("per_wave", 6))
    io_ms = float(args.get("io_ms", 80))
    gap = float(args.get("wave_gap_s", 0.3))
    scenario = Scenario.model_validate(
        {
            "name": "module-state-hazard",
            "workload": {
                "arrivals": {"kind": "explicit", "times": [0.0] * per_wave + [gap] * per_wave},
                "routes": [
                    {
                        "name": "/me",
                        "work": [{"cpu": "1ms"}, {"io": f"{io_ms:g}ms"}, {"cpu": "1ms"}],
                    }
                ],
            },
            "function": {"memory_mb": 1024},
            "platforms": {"traditional": {}, "fluid": {}},
        }
    )
    out: dict[str, Any] = {
        "setup": {"requests": 2 * per_wave, "waves": 2, "per_wave": per_wave, "io_ms": io_ms}
    }
    for name, model, leaky in (
        ("fluid", "fluid", True),
        ("traditional", "traditional", True),
        ("fluid_fixed", "fluid", False),
    ):
        run = replay.run_live(scenario, model, options=runtime.LiveOptions(leaky=leaky))
        requests = len(run.outcomes)
        out[name] = {
            "requests": requests,
            "leaks": len(run.leaks),
            "leaked_share": len(run.leaks) / requests if requests else 0.0,
            "instances": run.result.metrics["instances"]["started"],
        }
    return out


PROVIDERS: dict[str, Provider] = {
    "bytecode_fit": _bytecode_fit,
    "platform_facts": _platform_facts,
    "trace_keepalive": _trace_keepalive,
    "replay_cold_share": _replay_cold_share,
    "live_bytecode": _live_bytecode,
    "live_module_state": _live_module_state,
}
LIVE_PROVIDERS = frozenset({"live_bytecode", "live_module_state"})
"""Providers that run real processes for seconds: only used when a lesson is opened live."""
INPUT_PROVIDERS = frozenset({"platform_facts"})
"""Providers whose tables are inputs (documented facts), not results a model could get wrong."""


LIVE_TIMEOUT_S = 180.0
LIVE_ATTEMPTS = 2
"""How many times a live measurement is run before it is reported unavailable (a failure)."""
FORCE_FAIL_ENV = "SERVERLESS_LAB_LIVE_FAIL"
"""Set to 1 to make every live measurement fail (to test that a failure is reported as one)."""


def provide(name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """The table of provider ``name``; KeyError for an unknown provider, Unavailable if absent.

    Live providers run in a child process of their own session with a time limit, so a live
    run that hangs (a busy machine, an instance that never answers) cannot hang a lesson: on
    timeout the whole process group is killed and the table is reported unavailable.
    """
    provider = PROVIDERS[name]
    if name not in LIVE_PROVIDERS:
        return provider(args)
    attempts = max(1, int(args.get("live_attempts", LIVE_ATTEMPTS)))
    reasons: list[str] = []
    for _ in range(attempts):
        try:
            return _in_child(name, args, float(args.get("timeout_s", LIVE_TIMEOUT_S)))
        except Unavailable as exc:
            reasons.append(str(exc))
    raise Unavailable(f"{'; '.join(reasons)} (tried {attempts} times)")


def _in_child(name: str, args: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "lessons.providers", name, json.dumps(dict(args))]
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise Unavailable(f"the live measurement did not finish within {timeout:.0f} s") from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # anything the run left behind
    if child.returncode != 0:
        last = (err.strip().splitlines() or ["no message"])[-1]
        raise Unavailable(f"the live measurement failed: {last}")
    table: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if "unavailable" in table:
        raise Unavailable(str(table["unavailable"]))
    return table


def _main(argv: list[str]) -> int:
    """``python -m lessons.providers NAME ARGS_JSON``: one table as JSON on the last line."""
    name, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    try:
        if os.environ.get(FORCE_FAIL_ENV) == "1":
            raise Unavailable(f"forced failure ({FORCE_FAIL_ENV}=1)")
        table = PROVIDERS[name](args)
    except Unavailable as exc:
        table = {"unavailable": str(exc)}
    sys.stdout.write(json.dumps(table) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
