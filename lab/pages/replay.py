"""Animated replay: a time cursor moves over a run and the timeline is redrawn at that instant.

The animation is a fragment that reruns every 0.1 s while playing and only moves the cursor:
the cursor is a function of wall-clock time since play was pressed (so a slow frame never slows
the run down), and the frame drawn is ``state_at(timeline, cursor)``, a pure function. No loop,
no sleep: pausing simply stops the fragment's timer.
"""

from __future__ import annotations

import time

import streamlit as st

from lab import charts, web_state
from lab.format import count, duration_ms, money, percent, seconds
from lab.view import QUEUE_LANE, Timeline, state_at
from lab.view.whatif import COMPARED
from lab.web_controls import chart_with_downloads, scenario_caption, show

TICK_S = 0.1
SPEEDS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]
WINDOWS = [5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0]

PLAYING, CURSOR, SHOWN, ANCHOR, RUN = (
    "replay.playing",
    "replay.cursor",
    "replay.shown",
    "replay.anchor",
    "replay.run",
)

web_state.through_router()
st.title("Animated replay")
scenario = web_state.current_scenario()
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
    timeline = web_state.replay_timeline(scenario, model)
end = timeline.end_time

run_id = (scenario.fingerprint(), model)
if st.session_state.get(RUN) != run_id:  # another run: start from the beginning
    st.session_state[RUN] = run_id
    st.session_state[CURSOR] = st.session_state[SHOWN] = 0.0
    st.session_state[PLAYING] = False
st.session_state.setdefault(PLAYING, False)
st.session_state.setdefault(CURSOR, 0.0)
playing: bool = st.session_state[PLAYING]


def _toggle() -> None:
    now_playing = not st.session_state[PLAYING]
    cursor = float(st.session_state.get(CURSOR, 0.0))
    if now_playing and cursor >= end:
        cursor = 0.0
    st.session_state[PLAYING] = now_playing
    st.session_state[CURSOR] = st.session_state[SHOWN] = cursor
    st.session_state[ANCHOR] = (cursor, time.monotonic())


def _restart() -> None:
    st.session_state[CURSOR] = st.session_state[SHOWN] = 0.0
    st.session_state[ANCHOR] = (0.0, time.monotonic())


buttons = st.container(horizontal=True)
buttons.button(
    "Pause" if playing else "Play",
    on_click=_toggle,
    key="replay.play",
    icon=":material/pause:" if playing else ":material/play_arrow:",
    type="primary",
)
buttons.button("Back to the start", on_click=_restart, key="replay.restart")


def _advance() -> float:
    """Where the cursor is now: dragged by the user, or moved on by the clock while playing."""
    cursor = float(st.session_state.get(CURSOR, 0.0))
    if not st.session_state[PLAYING]:
        return cursor
    now = time.monotonic()
    if cursor != st.session_state.get(SHOWN) or ANCHOR not in st.session_state:
        st.session_state[ANCHOR] = (cursor, now)  # the user dragged the cursor: go on from there
    anchor_cursor, anchor_wall = st.session_state[ANCHOR]
    return min(end, anchor_cursor + (now - anchor_wall) * speed)


def _lanes(timeline: Timeline, t0: float, cursor: float) -> list[int]:
    alive = [i for i in timeline.lanes() if i.started <= cursor and i.ended > t0]
    lanes = [i.id for i in sorted(alive, key=lambda i: (i.started, i.id))]
    if any(s.lane == QUEUE_LANE for s in timeline.spans_between(t0, cursor)):
        lanes.append(QUEUE_LANE)
    return lanes


@st.fragment(run_every=TICK_S if playing else None)
def frame() -> None:
    cursor = _advance()
    if st.session_state[PLAYING] and cursor >= end:
        st.session_state[PLAYING] = False
        st.session_state[CURSOR] = st.session_state[SHOWN] = end
        st.rerun()  # the whole page, so the fragment stops ticking
    st.session_state[CURSOR] = st.session_state[SHOWN] = cursor
    st.slider("time", 0.0, max(end, 1e-6), key=CURSOR, format="%.1f s")
    now = state_at(timeline, cursor)
    meters = now.meters
    cells = st.columns(4)
    cells[0].metric("time", seconds(cursor))
    cells[1].metric(
        "arrived / done", f"{count(now.counts['arrived'])} / {count(now.counts['completed'])}"
    )
    cells[2].metric("instances alive", count(len(now.lanes)))
    cells[3].metric("requests in flight", count(now.in_flight))
    if meters is not None:
        cells = st.columns(4)
        cells[0].metric("cold starts so far", count(meters.cold_starts))
        cells[1].metric(
            "p50 / p99 so far",
            f"{duration_ms(meters.latency_p50_ms)} / {duration_ms(meters.latency_p99_ms)}",
        )
        cells[2].metric("bill so far", money(meters.bill_total))
        cells[3].metric("CPU efficiency so far", percent(meters.cpu_efficiency))
    t0 = max(0.0, cursor - 0.85 * window)
    t1 = t0 + window
    spans = timeline.spans_between(t0, cursor)
    chart = charts.replay_chart(
        spans, _lanes(timeline, t0, cursor), t0, t1, cursor, f"{model} at {seconds(cursor)}"
    )
    if st.session_state[PLAYING]:
        show(chart, "replay.chart")
    else:
        chart_with_downloads(chart, f"{scenario.name}-{model}-{cursor:.0f}s", "replay.chart")


frame()
