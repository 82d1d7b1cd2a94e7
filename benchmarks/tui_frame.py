"""Benchmark of `lab tui`: frame time with ~50 busy lanes and ~1,000 requests in flight, and
the app's CPU use while paused.

    /work/venv/bin/python benchmarks/tui_frame.py [--frames 40] [--idle-seconds 10] [--json]

Targets (issue 4, again in issue 12 with a row per request): under 15 ms per frame; near-zero
CPU when paused. Both measurements draw every instance's requests in rows of their own
(``--request-rows always``: ~20 rows under each of ~51 instances, the lanes scroll).

* frame: the playground at 200x64 shows two panels (two Fluid variants, 20 requests per
  instance each), ~51 lanes and ~1,000 requests in flight per panel at the instants drawn.
  "compute" (CPU time of the process, so other work on a shared machine counts less) is
  what a tick does (frames from ``lab.view``, spans, rasters, meters) plus
  rendering every visible lane line. Then the clock moves again and Textual paints:
  "compositor" is the CPU time of the screen's refreshes (Textual styling and compositing the
  lines either move changed, the widgets' own rendering of them, the write to the headless
  terminal);
  "to screen" the wall time from the move until that refresh is done (it waits for Textual's
  next screen update, up to 1/60 s); "end to end" the wall time until ``pilot.pause()``
  returns, which also waits for the process to look idle (at least one 20 ms sleep).
  Medians of ``--frames`` consecutive frames (the clock moves 50 ms each).
* idle: ``lab tui --paused`` on a pseudo-terminal; CPU seconds used over ``--idle-seconds``
  once it has loaded, as a share of one core (and the same while playing, for scale).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import math
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

from lab.tui.app import LabApp
from lab.tui.playground import FPS
from lab.tui.widgets.lanes import REQUEST_ROWS, ArrivalStrip, LanesView
from models.scenario import Scenario

SIZE = (200, 64)
T_START = 40.0
"""An instant where the run is in its steady state: ~1,000 requests in flight."""

SCENARIO: dict[str, Any] = {
    "name": "tui-bench",
    "title": "benchmark: 100 req/s of 10 s I/O-bound requests, 20 per instance",
    "seed": 1,
    "workload": {
        "arrivals": {"kind": "constant", "rate": 100},
        "requests": 6000,
        "routes": [{"name": "/stream", "work": [{"cpu": "5ms"}, {"io": "10s"}, {"cpu": "5ms"}]}],
    },
    "platforms": {
        "fluid": {"concurrency": 20},
        "fluid-nocache": {"preset": "fluid", "concurrency": 20, "bytecode_cache": "off"},
    },
}


def scenario() -> Scenario:
    return Scenario.model_validate(SCENARIO)


async def measure_frames(frames: int) -> dict[str, Any]:
    REQUEST_ROWS[0] = "always"  # every instance's requests in rows of their own (issue 12)
    app = LabApp(scenario(), autoplay=False, animate=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = None
        for _ in range(1200):
            await pilot.pause(0.05)
            screen = app.playground
            if screen.playback is not None and not screen.busy:
                break
        assert screen is not None and screen.playback is not None
        screen.clock.speed = 2.0
        lanes = list(screen.query(LanesView))
        strips = list(screen.query(ArrivalStrip))
        compute: list[float] = []
        end_to_end: list[float] = []
        compositor: list[float] = []
        to_screen: list[float] = []
        shape: dict[str, Any] = {}
        painted = [0.0, 0.0]  # CPU seconds in refreshes, wall time the first one ended
        refresh = screen._compositor_refresh

        def timed_refresh() -> None:
            start = time.process_time()
            refresh()
            painted[0] += time.process_time() - start
            painted[1] = painted[1] or time.perf_counter()

        screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
        await pilot.pause()
        for i in range(frames):
            t = T_START + i * 0.05
            start = time.process_time()
            screen.seek(t)
            for widget in lanes:
                for y in range(widget.size.height):
                    widget.render_line(y)
            for strip in strips:
                strip.render_line(0)
            compute.append(time.process_time() - start)
            painted[:] = [0.0, 0.0]
            start = time.perf_counter()
            screen.seek(t + 0.025)
            await pilot.pause()
            end_to_end.append(time.perf_counter() - start)
            compositor.append(painted[0])
            to_screen.append(painted[1] - start if painted[1] else math.nan)
        for panel_lanes in lanes:
            frame = panel_lanes.frame
            assert frame is not None
            shape[panel_lanes.model] = {
                "rows": len(panel_lanes.lanes),
                "lanes_drawn": min(len(panel_lanes.lanes), panel_lanes.size.height),
                "instances_alive": len(frame.lanes),
                "requests_in_flight": frame.in_flight,
            }
    return {
        "size": list(SIZE),
        "frames": frames,
        "panels": shape,
        "compute_ms_median": statistics.median(compute) * 1000,
        "compute_ms_p90": _p90(compute) * 1000,
        "compositor_ms_median": statistics.median(compositor) * 1000,
        "compositor_ms_p90": _p90(compositor) * 1000,
        "to_screen_ms_median": statistics.median(to_screen) * 1000,
        "end_to_end_ms_median": statistics.median(end_to_end) * 1000,
        "end_to_end_ms_p90": _p90(end_to_end) * 1000,
    }


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * len(values))]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _drain(fd: int, seconds: float) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


def measure_idle(seconds: float, scenario_file: str) -> dict[str, float]:
    """CPU share of one core used by `lab tui --paused` (then playing) on a pty."""
    lab = str(Path(sys.executable).with_name("lab"))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, on a 200x64 truecolor pty
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        os.environ["COLORTERM"] = "truecolor"
        os.environ["TERM"] = "xterm-256color"
        os.execv(
            lab,
            [lab, "tui", scenario_file, "--paused", "--at", "start", "--request-rows", "always"],
        )
    try:
        _drain(fd, 10.0)  # start, simulate, first frames
        before = _cpu_seconds(pid)
        _drain(fd, seconds)
        paused = (_cpu_seconds(pid) - before) / seconds
        os.write(fd, b" ")  # play; after ~10 simulated seconds ~1,000 requests are in flight
        _drain(fd, 4.0)
        before = _cpu_seconds(pid)
        _drain(fd, seconds)
        playing = (_cpu_seconds(pid) - before) / seconds
        os.write(fd, b"q")
        _drain(fd, 1.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    return {
        "paused_cpu_share": paused,
        "playing_cpu_share": playing,
        "playing_ms_per_frame": playing / FPS * 1000,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    frames = asyncio.run(measure_frames(args.frames))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(SCENARIO, handle)
    try:
        idle = measure_idle(args.idle_seconds, handle.name)
    finally:
        os.unlink(handle.name)
    result = {"frame": frames, "idle": idle}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"playground {SIZE[0]}x{SIZE[1]}, {args.frames} frames; panels: {frames['panels']}")
    print(
        f"frame compute: median {frames['compute_ms_median']:.1f} ms, "
        f"p90 {frames['compute_ms_p90']:.1f} ms (target < 15 ms)"
    )
    print(
        f"Textual compositing (CPU): median {frames['compositor_ms_median']:.1f} ms, "
        f"p90 {frames['compositor_ms_p90']:.1f} ms; on screen "
        f"{frames['to_screen_ms_median']:.1f} ms after the move (median)"
    )
    print(
        f"frame end to end (pilot round trip, with Textual compositing): median "
        f"{frames['end_to_end_ms_median']:.1f} ms, p90 {frames['end_to_end_ms_p90']:.1f} ms"
    )
    print(
        f"CPU while paused: {idle['paused_cpu_share']:.1%} of a core; "
        f"while playing: {idle['playing_cpu_share']:.1%} (over {idle['seconds']:.0f} s each)"
    )
    print(
        f"real terminal (pty {SIZE[0]}x{SIZE[1]}, truecolor), playing at {FPS} fps: "
        f"{idle['playing_ms_per_frame']:.1f} ms of CPU per frame, everything included"
    )


if __name__ == "__main__":
    main()
