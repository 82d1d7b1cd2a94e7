"""Animated replay: a time cursor moves over a run and the timeline is redrawn at that instant.

The animation is a fragment that reruns every 0.1 s while playing and only moves the cursor:
the cursor is a function of wall-clock time since play was pressed (so a slow frame never slows
the run down; ``lab.web.clock``), and the frame drawn is ``state_at(timeline, cursor)``, a pure
function. No loop, no sleep: pausing simply stops the fragment's timer.
"""

from __future__ import annotations

import streamlit as st

from lab import charts
from lab.format import count, duration_ms, money, percent, seconds
from lab.view import QUEUE_LANE, Timeline, state_at
from lab.view.whatif import COMPARED
from lab.web import state
from lab.web.clock import PlayClock
from lab.web.controls import chart_with_downloads, metric_rows, scenario_caption, show

TICK_S = 0.1
SPEEDS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]
WINDOWS = [5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0]
NO_LATENCY = "–"
"""Shown for p50 and p99 until a request has completed (as the TUI's meters do)."""

RUN = "replay.run"
clock = PlayClock("replay")
"""Session keys ``replay.playing``, ``replay.cursor`` (written by no widget) and the time
slider's ``replay.time``."""

st.title("Animated replay")
scenario = state.current_scenario()
scenario_caption(scenario)

top = st.columns([2, 3, 3])
model = top[0].radio("platform model", COMPARED, key="replay.model", horizontal=True)
speed = top[1].select_slider(
    "speed (simulated time per second)",
    SPEEDS,
    value=60,
    key="replay.speed",
    format_func=lambda s: f"{seconds(s)} / s",
)
window = top[2].select_slider(
    "window shown", WINDOWS, value=60.0, key="replay.window", format_func=seconds
)

with st.spinner("Laying out the run…"):
    timeline = state.replay_timeline(scenario, model)
end = timeline.end_time

run_id = (scenario.fingerprint(), model)
if st.session_state.get(RUN) != run_id:  # another run: start from the beginning
    st.session_state[RUN] = run_id
    clock.reset(0.0)
clock.setdefault(0.0)
playing = clock.playing

buttons = st.container(horizontal=True)
buttons.button(
    "Pause" if playing else "Play",
    on_click=clock.toggle,
    args=(speed, end),
    key="replay.play",
    icon=":material/pause:" if playing else ":material/play_arrow:",
    type="primary",
)
buttons.button("Back to the start", on_click=clock.seek, args=(0.0,), key="replay.restart")


def _lanes(timeline: Timeline, t0: float, cursor: float) -> list[int]:
    alive = [i for i in timeline.lanes() if i.started <= cursor and i.ended > t0]
    lanes = [i.id for i in sorted(alive, key=lambda i: (i.started, i.id))]
    if any(s.lane == QUEUE_LANE for s in timeline.spans_between(t0, cursor)):
        lanes.append(QUEUE_LANE)
    return lanes


@st.fragment(run_every=TICK_S if playing else None)
def frame() -> None:
    cursor = clock.now(speed, end)
    if clock.playing and cursor >= end:
        clock.stop_at_end(end)
        st.rerun()  # the whole page, so the fragment stops ticking
    clock.slider("time", max(end, 1e-6), "%.1f s")
    now = state_at(timeline, cursor)
    meters = now.meters
    cells = [
        ("time", seconds(cursor)),
        ("arrived / done", f"{count(now.counts['arrived'])} / {count(now.counts['completed'])}"),
        ("requests in flight", count(now.in_flight)),
        ("instances alive", count(len(now.lanes))),
    ]
    if meters is not None:
        latency = (
            f"{duration_ms(meters.latency_p50_ms)} / {duration_ms(meters.latency_p99_ms)}"
            if meters.has_latency
            else f"{NO_LATENCY} / {NO_LATENCY}"
        )
        cells += [
            ("cold starts so far", count(meters.cold_starts)),
            ("CPU efficiency so far", percent(meters.cpu_efficiency)),
            ("p50 / p99 so far", latency),
            ("bill so far", money(meters.bill_total)),
        ]
    metric_rows(cells)
    t0 = max(0.0, cursor - 0.85 * window)
    t1 = t0 + window
    spans = timeline.spans_between(t0, cursor)
    chart = charts.replay_chart(
        spans, _lanes(timeline, t0, cursor), t0, t1, cursor, f"{model} at {seconds(cursor)}"
    )
    if clock.playing:
        show(chart, "replay.chart")
    else:
        chart_with_downloads(chart, f"{scenario.name}-{model}-{cursor:.0f}s", "replay.chart")


frame()
