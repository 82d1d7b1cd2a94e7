"""Animated replay: a time cursor moves over a run and the timeline is redrawn at that instant.

The animation is a fragment that reruns every 0.1 s while playing and only moves the cursor:
the cursor is a function of wall-clock time since play was pressed (so a slow frame never slows
the run down; ``lab.web.clock``), and the frame drawn is ``state_at(timeline, cursor)``, a pure
function. No loop, no sleep: pausing simply stops the fragment's timer.

One cursor for both models: switching model (or showing both) keeps the time, so the same
instant can be seen under traditional and fluid. The moment buttons (``lab.web.moments``) put
the cursor at the next cold start, cache hit, refusal or time-out, at the peak overlap or at
the end of a followed request, and pick a window that fits it.
"""

from __future__ import annotations

import streamlit as st

from lab import charts
from lab.format import count, duration_ms, money, percent, seconds
from lab.view import Timeline, state_at
from lab.view.whatif import COMPARED
from lab.web import state
from lab.web.clock import PlayClock
from lab.web.controls import chart_with_downloads, metric_rows, scenario_caption, show
from lab.web.moments import FINDERS, Moment, follow_request
from lab.web.timeview import visible_lanes
from lab.web.why import DEFINITIONS

TICK_S = 0.1
SPEEDS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]
WINDOWS = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0]
BOTH = "both"
NO_LATENCY = "–"
"""Shown for p50 and p99 until a request has completed (as the TUI's meters do)."""

RUN = "replay.run"
SAID = "replay.moment"
FOLLOW = "replay.followed"
PENDING_WINDOW = "replay.pending_window"
"""A window to apply before the window slider is drawn (a widget's value cannot change after)."""
clock = PlayClock("replay")
"""Session keys ``replay.playing``, ``replay.cursor`` (written by no widget) and the time
slider's ``replay.time``."""

st.title("Animated replay")
scenario = state.current_scenario()
scenario_caption(scenario)

top = st.columns([2, 3, 3])
choice = top[0].radio("platform model", [*COMPARED, BOTH], key="replay.model", horizontal=True)
models = list(COMPARED) if choice == BOTH else [choice]
speed = top[1].select_slider(
    "speed (simulated time per second)",
    SPEEDS,
    value=60,
    key="replay.speed",
    format_func=lambda s: f"{seconds(s)} / s",
)
if PENDING_WINDOW in st.session_state:  # the opening moment's window, chosen on the run before
    st.session_state["replay.window"] = st.session_state.pop(PENDING_WINDOW)
window = top[2].select_slider(
    "window shown", WINDOWS, value=60.0, key="replay.window", format_func=seconds
)

with st.spinner("Laying out the run…"):
    timelines = {m: state.replay_timeline(scenario, m) for m in models}
end = max(t.end_time for t in timelines.values())


def _window_for(moment: Moment) -> float:
    """The smallest window that shows the moment whole (the cursor sits at 85 % of it)."""
    need = (moment.at - moment.start) / 0.85
    return next((w for w in WINDOWS if w >= need), WINDOWS[-1])


if st.session_state.get(RUN) != scenario.fingerprint():
    # Another scenario: open paused on its first cold start, zoomed so that its phases fill the
    # window, rather than at t = 0 where nothing has happened yet (a student sees the mechanism
    # before touching anything; "Back to the start" is one click away).
    st.session_state[RUN] = scenario.fingerprint()
    st.session_state.pop(SAID, None)
    st.session_state.pop(FOLLOW, None)
    _label, first_cold = FINDERS["cold"]
    opening = min(
        (m for t in timelines.values() if (m := first_cold(t, -1.0)) is not None),
        key=lambda m: m.at,
        default=None,
    )
    clock.reset(min(opening.at, end) if opening else 0.0)
    if opening is not None:
        st.session_state[SAID] = f"{' and '.join(models)}: {opening.text}"
        st.session_state[PENDING_WINDOW] = _window_for(opening)
        st.rerun()
clock.setdefault(0.0)
playing = clock.playing


def _go(moment: Moment, text: str) -> None:
    st.session_state["replay.playing"] = False
    clock.seek(min(moment.at, end))
    st.session_state["replay.window"] = _window_for(moment)
    st.session_state[SAID] = text


def _find(key: str) -> None:
    label, finder = FINDERS[key]
    after = clock.cursor if key != "peak" else 0.0
    found = [(m, x) for m, t in timelines.items() if (x := finder(t, after)) is not None]
    if not found:
        st.session_state[SAID] = f"{label}: none after {seconds(clock.cursor)}."
        return
    if key == "peak":
        model, moment = max(found, key=lambda f: f[1].size)
    else:
        model, moment = min(found, key=lambda f: f[1].at)
    _go(moment, f"{model}: {moment.text}")
    st.session_state.pop(FOLLOW, None)


def _follow() -> None:
    request = int(st.session_state["replay.follow_id"])
    found = [(m, x) for m, t in timelines.items() if (x := follow_request(t, request)) is not None]
    if not found:
        st.session_state[SAID] = f"There is no request {request} in this run."
        return
    latest = max((x for _m, x in found), key=lambda x: x.at)
    earliest = min(x.start for _m, x in found)
    _go(
        Moment(latest.at, earliest, latest.end, latest.text, request=request),
        " · ".join(f"{m}: {x.text}" for m, x in found),
    )
    st.session_state[FOLLOW] = request


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
for key, (label, _finder) in FINDERS.items():
    buttons.button(label, key=f"replay.moment.{key}", on_click=_find, args=(key,))
follow = st.container(horizontal=True, vertical_alignment="bottom")
requests = max(len(t.requests) for t in timelines.values())
follow.number_input("request number", 0, max(requests - 1, 0), 0, key="replay.follow_id", width=160)
follow.button(
    "Follow this request", key="replay.follow", on_click=_follow, icon=":material/my_location:"
)
if st.session_state.get(SAID):
    st.info(st.session_state[SAID], icon=":material/center_focus_strong:")


def _meters(timeline: Timeline, cursor: float) -> None:
    now = state_at(timeline, cursor)
    meters = now.meters
    cells: list[tuple[str, str] | tuple[str, str, str]] = [
        ("arrived / done", f"{count(now.counts['arrived'])} / {count(now.counts['completed'])}"),
        ("requests in flight", count(now.in_flight), "Arrived and not yet answered."),
        ("instances alive", count(len(now.lanes))),
    ]
    if meters is not None:
        p50, p99 = (
            (duration_ms(meters.latency_p50_ms), duration_ms(meters.latency_p99_ms))
            if meters.has_latency
            else (NO_LATENCY, NO_LATENCY)
        )
        cells += [
            ("cold starts so far", count(meters.cold_starts), DEFINITIONS["cold starts"]),
            (
                "CPU efficiency so far",
                percent(meters.cpu_efficiency),
                DEFINITIONS["CPU efficiency"],
            ),
            ("p50 so far", p50, "Of the requests completed by now: " + DEFINITIONS["latency p50"]),
            ("p99 so far", p99, "Of the requests completed by now: " + DEFINITIONS["latency p99"]),
            ("bill so far", money(meters.bill_total), DEFINITIONS["bill"]),
        ]
    metric_rows(cells)


@st.fragment(run_every=TICK_S if playing else None)
def frame() -> None:
    cursor = clock.now(speed, end)
    if clock.playing and cursor >= end:
        clock.stop_at_end(end)
        st.rerun()  # the whole page, so the fragment stops ticking
    clock.slider("time", max(end, 1e-6), "%.2f s")
    st.caption(f"time {seconds(cursor)} · the same instant in every model shown")
    t0 = max(0.0, cursor - 0.85 * window)
    t1 = t0 + window
    followed = st.session_state.get(FOLLOW)
    for model, timeline in timelines.items():
        with st.container(key=f"replay-model-{model}"):
            if len(timelines) > 1:
                st.markdown(f"**{model}**")
            _meters(timeline, cursor)
            spans = timeline.spans_between(t0, cursor)
            chart = charts.replay_chart(
                spans,
                visible_lanes(timeline, t0, cursor),
                t0,
                t1,
                cursor,
                f"{model} at {seconds(cursor)}: a band per instance, a row per request",
                follow=followed,
            )
            if clock.playing:
                show(chart, f"replay.chart.{model}")
            else:
                chart_with_downloads(
                    chart, f"{scenario.name}-{model}-{cursor:.0f}s", f"replay.chart.{model}"
                )


frame()
