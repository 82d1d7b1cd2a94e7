"""Benchmark: from a slider change in the web app's Playground to the re-rendered result.

    python benchmarks/web_rerun.py [--repeats N] [--no-streaming] [--stages] [--browser] [--json]

Times one script rerun of ``lab/app.py`` (Streamlit's own runner, via ``AppTest``) after a
what-if knob moves, up to the last chart handed to the front end:

* **warm**: the default scenario, the knob moved between two settings already simulated
  (every simulation is cached by scenario), so the rerun only redraws. Target < 300 ms.
* **fresh 10k**: the ``db-api`` scenario with 10,000 requests, caches cleared before every
  run, so the rerun simulates both models (side by side, one worker process each), lays out
  both timelines and draws. Target < 1.5 s.
* **fresh 10k, AI streaming** (reported, no target): the default scenario at 10,000 requests,
  80 work segments per request (1.7 million events per model): simulator-bound.

``--no-streaming`` leaves out the AI streaming case (about a minute). ``--stages`` also times
the stages of a fresh 10k rerun one by one, outside Streamlit, with the same functions the page
calls (CPU seconds, medians): simulating both models (``models``), laying out both runs,
aggregating what the playground draws, writing the chart specs; and, in wall time, what the
page does for the first two: both models simulated and laid out at once in two worker
processes (``lab.web.side_by_side``). What a rerun costs beyond the stages is Streamlit and the
page script.

With ``--browser`` it also measures what a user sees: a real Chromium (``/usr/bin/chromium``)
on ``streamlit run``, from the key press on the slider to the new number on the page.

Figures are medians of ``--repeats`` runs (2 shared cores: expect noise).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "lab" / "app.py"
TARGETS = {"warm": 0.3, "fresh_10k": 1.5, "browser_warm": 0.3, "browser_first_visit": 2.0}


def _app(base: tuple[str, int] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=600)
    if base is not None:
        _load_base(at, *base)  # before the first run: the knobs start at this scenario's values
    at.run()
    assert not at.exception, at.exception
    return at


CPU: dict[str, list[float]] = {}
"""Process CPU seconds of each timed rerun, by benchmark: less sensitive to other load than
wall time (this process runs nothing else while timing)."""


def _timed(at: AppTest, name: str) -> float:
    cpu = time.process_time()
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    CPU.setdefault(name, []).append(time.process_time() - cpu)
    assert not at.exception, at.exception
    return elapsed


def warm(repeats: int) -> list[float]:
    """Default scenario; flip the fluid concurrency cap between two cached settings (8, 4)."""
    at = _app()
    slider = "knob.concurrency"
    for value in (8, 4):  # simulate both once (cold), then every flip is a cache hit
        at.select_slider(key=slider).set_value(value).run()
    times = []
    for i in range(repeats):
        at.select_slider(key=slider).set_value(8 if i % 2 == 0 else 4)
        times.append(_timed(at, "warm"))
    return times


def _load_base(at: AppTest, name: str, requests: int) -> None:
    from lab.view.whatif import read_knobs, with_compared_models
    from models.loading import builtin_scenario

    base = builtin_scenario(name).with_changes(**{"workload.requests": requests})
    base = with_compared_models(base)
    at.session_state["lab.base"] = base
    at.session_state["lab.base_source"] = f"benchmark {name} x {requests}"
    at.session_state["lab.knobs"] = read_knobs(base)


def fresh(repeats: int, name: str, requests: int, label: str) -> list[float]:
    """Caches cleared before each run: the knob change simulates a scenario never seen."""
    at = _app((name, requests))
    assert at.select_slider(key="knob.requests").value == requests
    times = []
    for i in range(repeats):
        st.cache_data.clear()
        st.cache_resource.clear()
        at.select_slider(key="knob.concurrency").set_value(16 if i % 2 == 0 else 30)
        times.append(_timed(at, label))
    return times


def stages(repeats: int) -> dict[str, list[float]]:
    """The fresh 10k rerun's work, stage by stage (process CPU seconds)."""
    from lab.view.whatif import COMPARED, with_compared_models
    from lab.web import side_by_side, state
    from models.loading import builtin_scenario
    from models.run import simulate

    state.settle_heap()  # as the app does on its first run (it starts the workers too)
    base = builtin_scenario("db-api").with_changes(**{"workload.requests": 10_000})
    base = with_compared_models(base)
    out: dict[str, list[float]] = {}

    def timed(name: str, work: Any) -> Any:
        cpu = time.process_time()
        value = work()
        out.setdefault(name, []).append(time.process_time() - cpu)
        return value

    for i in range(repeats):
        scenario = base.with_changes(**{"platforms.fluid.concurrency": 16 if i % 2 == 0 else 30})
        result = timed("simulate", lambda s=scenario: simulate(s, models=COMPARED))
        timelines = timed("lay_out", lambda r=result: state.lay_out(r))
        view = timed("aggregate", lambda r=result, t=timelines: state.aggregate(r, t))
        timed("chart_specs", lambda v=view: state.chart_specs(v))
        del result, timelines
        # what the page does instead of the first two: both at once, in two worker processes
        # (wall time: the work is in the workers; lab.web.side_by_side)
        start = time.perf_counter()
        side_by_side.run_laid_out(scenario, COMPARED)
        out.setdefault("side_by_side_wall", []).append(time.perf_counter() - start)
    return out


def browser(repeats: int) -> dict[str, list[float]]:
    """Key press on the concurrency slider (8 <-> 4 per instance, both cached) -> the fluid
    bill on the page shows the new value."""
    import socket

    from playwright.sync_api import expect, sync_playwright

    from lab.format import money
    from lab.view.whatif import with_compared_models
    from lab.web.controls import headline_key
    from models.loading import DEFAULT_SCENARIO, builtin_scenario
    from models.run import simulate

    base = with_compared_models(builtin_scenario(DEFAULT_SCENARIO))
    bills = {
        c: money(
            simulate(base.with_changes(**{"platforms.fluid.concurrency": c}), keep_events=False)
            .models["fluid"]
            .bill.total
        )
        for c in (30, 8, 4)
    }
    assert bills[8] != bills[4], bills  # the page must visibly change
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "streamlit", "run", "lab/app.py", "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    out: dict[str, list[float]] = {"browser_warm": [], "browser_first_visit": []}
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                tempfile.mkdtemp(),
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)  # the first visit to a fresh server: nothing simulated yet
            page.wait_for_selector("h1", timeout=120_000)
            titled = time.perf_counter() - start
            progress = page.locator("[data-testid='stSpinner']")
            spun = False
            first_bill = (
                page.locator(f".st-key-{headline_key('fluid')} [data-testid='stMetric']")
                .filter(has_text="bill")
                .locator("[data-testid='stMetricValue']")
            )
            while time.perf_counter() - start < 120 and not first_bill.count():
                spun = spun or progress.count() > 0
                page.wait_for_timeout(20)
            out["browser_first_visit"].append(time.perf_counter() - start)
            PROGRESS["title_s"] = titled
            PROGRESS["spinner_seen"] = spun
            page.wait_for_selector("[data-test-script-state='notRunning']", timeout=120_000)
            bill = (
                page.locator(f".st-key-{headline_key('fluid')} [data-testid='stMetric']")
                .filter(has_text="bill")
                .locator("[data-testid='stMetricValue']")
            )
            thumb = (
                page.locator("[data-testid='stSlider']")
                .filter(has_text="concurrency cap")
                .get_by_role("slider")
            )
            expect(bill).to_have_text(bills[30], timeout=120_000)
            thumb.focus()
            for value in (16, 8, 4):  # 30 -> 16 -> 8 -> 4, each simulated once (cold)
                page.keyboard.press("ArrowLeft")
                expect(thumb).to_have_attribute("aria-valuetext", str(value), timeout=120_000)
            expect(bill).to_have_text(bills[4], timeout=120_000)
            page.wait_for_selector("[data-test-script-state='notRunning']")
            for i in range(repeats):
                key, want = ("ArrowRight", bills[8]) if i % 2 == 0 else ("ArrowLeft", bills[4])
                start = time.perf_counter()
                page.keyboard.press(key)
                expect(bill).to_have_text(want, timeout=120_000)
                out["browser_warm"].append(time.perf_counter() - start)
                page.wait_for_selector("[data-test-script-state='notRunning']")
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return out


PROGRESS: dict[str, Any] = {}
"""The first visit: when the page's title showed, and whether a spinner said "working"."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--no-streaming", action="store_true", help="leave out the AI streaming case"
    )
    parser.add_argument("--stages", action="store_true", help="also time each stage")
    parser.add_argument("--browser", action="store_true", help="also measure in Chromium")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs: dict[str, list[float]] = {
        "warm": warm(max(args.repeats, 5)),
        "fresh_10k": fresh(args.repeats, "db-api", 10_000, "fresh_10k"),
    }
    if not args.no_streaming:
        runs["fresh_10k_ai_streaming"] = fresh(1, "ai-streaming", 10_000, "fresh_10k_ai_streaming")
    breakdown = stages(args.repeats) if args.stages else {}
    if args.browser:
        runs.update(browser(max(args.repeats, 5)))
    report: dict[str, Any] = {
        name: {
            "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3),
            "max_s": round(max(times), 3),
            "runs": len(times),
            **({"cpu_median_s": round(statistics.median(CPU[name]), 3)} if name in CPU else {}),
            **({"target_s": TARGETS[name]} if name in TARGETS else {}),
        }
        for name, times in runs.items()
    }
    if breakdown:
        report["fresh_10k_stages_cpu_s"] = {
            name: round(statistics.median(times), 3) for name, times in breakdown.items()
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, row in report.items():
        if name == "fresh_10k_stages_cpu_s":
            cpu_parts = {k: v for k, v in row.items() if not k.endswith("_wall")}
            parts = "  ".join(f"{stage} {cpu:.3f}" for stage, cpu in cpu_parts.items())
            print(f"{'fresh_10k stages (cpu)':24} {parts}  sum {sum(cpu_parts.values()):.3f} s")
            for stage, wall in row.items():
                if stage.endswith("_wall"):
                    print(
                        f"{'':24} {stage[: -len('_wall')]} (simulate + lay out) {wall:.3f} s wall"
                    )
            continue
        target = row.get("target_s")
        verdict = "" if target is None else ("  ok" if row["median_s"] < target else "  SLOW")
        limit = f" (target < {target} s)" if target is not None else ""
        cpu = f"  cpu {row['cpu_median_s']:.3f} s" if "cpu_median_s" in row else ""
        print(
            f"{name:24} median {row['median_s']:.3f} s  [{row['min_s']:.3f}-{row['max_s']:.3f}]"
            f" x{row['runs']}{cpu}{limit}{verdict}"
        )
    if PROGRESS:
        print(
            f"first visit: title after {PROGRESS['title_s']:.3f} s, a progress spinner "
            + ("shown" if PROGRESS["spinner_seen"] else "NOT seen")
            + " before the numbers"
        )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
