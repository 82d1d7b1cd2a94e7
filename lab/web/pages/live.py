"""Live runtime: run a few of the scenario's requests on real processes and watch the events
arrive, then see them billed by the same code as a simulated run.

The run lives in ``st.session_state`` (a ``lab.web.live.LiveSession``: a background thread,
events on an in-process queue). A fragment polls it twice a second while it runs.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lab import charts
from lab.format import count, seconds
from lab.view import QUEUE_LANE, Timeline, build_timeline, state_at
from lab.view.whatif import COMPARED, apply_knobs, read_knobs
from lab.web import state
from lab.web.controls import (
    chart_with_downloads,
    headline_numbers,
    metric_rows,
    scenario_caption,
    show,
)
from lab.web.export import summary_csv
from lab.web.live import LiveSession
from models.run import simulate

SESSION = "live.session"
OUTCOME_WORDS = {"failed": "failed", "timed_out": "timed out", "rejected": "refused"}
POLL_S = 0.5
WINDOW_S = 30.0

st.title("Live runtime")
st.caption(
    "Real OS processes on this machine, one per instance: real imports of generated bundles, "
    "a real bytecode cache, real concurrent I/O against a loopback upstream. They emit the "
    "same events as the simulator, and the bill is computed from them by the same code."
)
scenario = state.current_scenario()
scenario_caption(scenario)
session: LiveSession | None = st.session_state.get(SESSION)
running = session is not None and session.running

cells = st.columns(3)
model = cells[0].radio("platform model", COMPARED, key="live.model", horizontal=True)
requests = cells[1].select_slider(
    "requests", [3, 5, 10, 20, 50, 100], value=10, key="live.requests"
)
speed = cells[2].select_slider(
    "arrivals sped up",
    [1, 2, 5, 10, 20, 50, 100],
    value=20,
    key="live.speed",
    format_func=lambda s: f"{s}×",
)
st.caption(
    "Arrivals come sped up so a short visit sees traffic; each request's own work (CPU and "
    "waits) runs at its real duration."
)

buttons = st.container(horizontal=True)
if buttons.button("Start a live run", key="live.start", disabled=running, type="primary"):
    if session is not None:
        session.stop()
    session = LiveSession(scenario, model, requests, float(speed)).start()
    st.session_state[SESSION] = session
    st.rerun()
if buttons.button("Stop", key="live.stop", disabled=not running) and session is not None:
    session.stop()
    st.rerun()


def _unanswered(timeline: Timeline) -> None:
    """Every request that failed, timed out or was refused, as a table (shown as such, never
    folded into the latency numbers)."""
    rows = [
        {
            "request": r.id,
            "outcome": OUTCOME_WORDS.get(r.outcome, r.outcome),
            "arrived (s)": round(r.arrived, 3),
            "instance": "none" if r.instance < 0 else f"instance {r.instance}",
        }
        for r in timeline.requests.values()
        if r.outcome in OUTCOME_WORDS
    ]
    with st.expander(f"{count(len(rows))} requests not answered", expanded=True):
        st.dataframe(rows, hide_index=True)


@st.fragment(run_every=POLL_S if running else None)
def watch() -> None:
    if session is None:
        st.info("No live run yet: press **Start a live run**.")
        return
    events = list(session.poll())
    if running and not session.running:
        st.rerun()  # the run just ended: redraw the page without the poll timer
    now = events[-1].t if events else 0.0
    timeline = build_timeline(events, now)
    frame = state_at(timeline, now)
    counts = frame.counts
    # not from the frame's lanes: at the last event's instant the spans still open end there,
    # so a frame taken at ``now`` finds none of them running
    answered = counts["completed"] + counts["timed_out"] + counts["failed"] + counts["rejected"]
    metric_rows(
        [
            ("live clock", seconds(now)),
            ("arrived", count(counts["arrived"])),
            (
                "requests in flight",
                count(counts["arrived"] - answered),
                "Arrived and not yet answered (nor refused, timed out or failed).",
            ),
            ("completed", count(counts["completed"]), "Answered in full."),
            (
                "failed",
                count(counts["failed"]),
                "The instance answered with an error, or its process died.",
            ),
            (
                "timed out",
                count(counts["timed_out"]),
                "Still unanswered when the function's time limit ran out.",
            ),
            (
                "refused",
                count(counts["rejected"]),
                "Turned away by the platform: no instance could take it and the queue was full.",
            ),
            ("instances alive", count(len(frame.lanes))),
            ("events received", count(len(events))),
        ]
    )
    unanswered = counts["failed"] + counts["timed_out"] + counts["rejected"]
    if unanswered:
        _unanswered(timeline)
    t0 = max(0.0, now - WINDOW_S)
    lanes = [i.id for i in timeline.lanes() if i.ended > t0]
    if any(s.lane == QUEUE_LANE for s in timeline.spans_between(t0, now)):
        lanes.append(QUEUE_LANE)
    chart = charts.replay_chart(
        timeline.spans_between(t0, now),
        lanes,
        t0,
        max(now, t0 + 1.0),
        now,
        f"live {session.model}: the last {seconds(WINDOW_S)}",
    )
    if session.running:
        show(chart, "live.chart")
    else:  # downloads once the run is over: while it runs the chart is redrawn twice a second
        chart_with_downloads(chart, f"{session.scenario.name}-live-{session.model}", "live.chart")
    if session.running:
        st.caption(f"Running for {seconds(session.elapsed)}…")
        return
    if session.error:
        st.warning(f"The live run ended early: {session.error}")
    if session.result is not None:
        st.subheader("Billed from the live events")
        summaries = {f"live {session.model}": session.result.result.summary()}
        knobs = read_knobs(session.scenario)
        if knobs.rate is not None and knobs.requests is not None:
            same = apply_knobs(
                session.scenario,
                replace(knobs, rate=knobs.rate * session.speed, requests=session.requests),
            )
            sim = simulate(same, models=[session.model], keep_events=False)
            summaries[f"simulated {session.model}"] = sim.models[session.model].summary()
        headline_numbers(summaries, against=f"simulated {session.model}")
        st.download_button(
            "Numbers as CSV",
            summary_csv(summaries, session.scenario.name),
            file_name=f"{session.scenario.name}-live-{session.model}.csv",
            mime="text/csv",
            key="live.csv",
            on_click="ignore",
        )
        st.caption(
            f"{count(len(events))} events in {seconds(session.elapsed)} of wall-clock time. "
            "Deltas: live relative to the simulator on the same requests."
        )


watch()
