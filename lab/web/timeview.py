"""The Playground's time view: which stretch of the run its timelines show, and the charts of
that stretch, recomputed for it.

The whole run comes pre-aggregated and cached (``state.playground_view``). A shorter range is
drawn again from the laid-out runs (``state.laid_out``, kept from the side-by-side workers):
binned afresh over the range (``lab.view.series.lane_bins``), or, once the range holds few
enough spans, exactly, with each request on its own thin row inside its instance
(``lab.charts.replay_chart``). Both models always share the range: one time cursor.

The range moves with a slider, the "whole run" button, and the moments (``lab.web.moments``):
the next cold start, cache hit, refusal or time-out, the peak overlap, or one request followed
from arrival to answer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from lab import charts
from lab.format import seconds
from lab.view.series import cold_start_marks, drawn_lanes, lane_bins
from lab.view.timeline import QUEUE_LANE, Timeline
from lab.web import state
from lab.web.moments import FINDERS, Moment, follow_request
from models.scenario import Scenario

RANGE = "playground.range"
"""Session key of the range slider: ``(t0, t1)`` in seconds of the run."""
FOLLOW = "playground.followed"
SAID = "playground.moment"
DETAIL_SPANS = 2500
"""At most this many spans in the range (both models): drawn exactly, a row per request."""
ZOOM_MARKS = 6000


def visible_lanes(timeline: Timeline, t0: float, t1: float) -> list[int]:
    """Instances alive at some point of ``[t0, t1]``, by start; the queue last if it was used."""
    alive = [i for i in timeline.lanes() if i.started <= t1 and i.ended > t0]
    lanes = [i.id for i in sorted(alive, key=lambda i: (i.started, i.id))]
    if any(s.lane == QUEUE_LANE for s in timeline.spans_between(t0, t1)):
        lanes.append(QUEUE_LANE)
    return lanes


def _jump(moment: Moment | None, what: str, end: float) -> None:
    if moment is None:
        st.session_state[SAID] = (
            f"{what}: none after {seconds(st.session_state[RANGE][0])} in either run."
        )
        return
    st.session_state[RANGE] = (max(0.0, moment.start), min(end, moment.end))
    st.session_state[SAID] = moment.text
    if moment.request is not None:
        st.session_state[FOLLOW] = moment.request


def _find(key: str, scenario: Scenario, end: float) -> None:
    """A moment button: the earliest such moment after the start of what is shown, in
    either model (the peak overlap: the larger one)."""
    label, finder = FINDERS[key]
    _result, timelines = state.laid_out(scenario)
    t0 = st.session_state.get(RANGE, (0.0, end))[0]
    found = [(model, m) for model, t in timelines.items() if (m := finder(t, t0)) is not None]
    if key == "peak":
        pick = max(found, key=lambda f: f[1].size, default=None)
    else:
        pick = min(found, key=lambda f: f[1].start, default=None)
    if pick is not None:
        model, moment = pick
        moment = replace(moment, text=f"{model}: {moment.text}")
        _jump(moment, label, end)
    else:
        _jump(None, label, end)


def _follow(scenario: Scenario, end: float) -> None:
    _result, timelines = state.laid_out(scenario)
    request = int(st.session_state["playground.follow_id"])
    found = [m for t in timelines.values() if (m := follow_request(t, request)) is not None]
    if not found:
        st.session_state[SAID] = f"There is no request {request} in this run."
        return
    start, stop = min(m.start for m in found), max(m.end for m in found)
    st.session_state[RANGE] = (max(0.0, start), min(end, stop))
    st.session_state[FOLLOW] = request
    st.session_state[SAID] = " · ".join(
        f"{model}: {m.text}" for model, m in zip(timelines, found, strict=False)
    )


def _whole(end: float) -> None:
    st.session_state[RANGE] = (0.0, end)
    st.session_state.pop(FOLLOW, None)
    st.session_state.pop(SAID, None)


def controls(scenario: Scenario, end: float, requests: int) -> tuple[float, float]:
    """The moment buttons, the follow box and the range slider; returns the range shown."""
    shown = st.session_state.get(RANGE)
    if shown is None or shown[1] > end + 1e-9 or shown[0] >= shown[1]:
        st.session_state[RANGE] = (0.0, end)
    row = st.container(horizontal=True)
    for key, (label, _finder) in FINDERS.items():
        row.button(label, key=f"playground.moment.{key}", on_click=_find, args=(key, scenario, end))
    row.button(
        "Whole run",
        key="playground.whole",
        on_click=_whole,
        args=(end,),
        icon=":material/zoom_out_map:",
    )
    follow = st.container(horizontal=True, vertical_alignment="bottom")
    follow.number_input(
        "request number", 0, max(requests - 1, 0), 0, key="playground.follow_id", width=160
    )
    follow.button(
        "Follow this request",
        key="playground.follow",
        on_click=_follow,
        args=(scenario, end),
        icon=":material/my_location:",
    )
    if st.session_state.get(SAID):
        st.info(st.session_state[SAID], icon=":material/center_focus_strong:")
    shown_range: Any = st.slider(  # a range: the key holds a (t0, t1) pair
        "time shown (s)",
        0.0,
        max(end, 1e-6),
        key=RANGE,
        format="%.1f",
        help="Both timelines show this stretch of the run, binned again for it: zoom in to "
        "seconds to see every cold-start phase and every request on its own row.",
    )
    t0, t1 = shown_range
    return float(t0), float(t1)


def zoomed(scenario: Scenario, t0: float, t1: float) -> list[tuple[str, dict[str, Any]]]:
    """The timelines of ``[t0, t1]``: exact (a row per request) when the range is short
    enough, else binned again for the range, with the load chart of the whole run below."""
    _result, timelines = state.laid_out(scenario)
    spans = {m: t.spans_between(t0, t1) for m, t in timelines.items()}
    follow = st.session_state.get(FOLLOW)
    if sum(map(len, spans.values())) <= DETAIL_SPANS:
        return [
            (
                model,
                charts.replay_chart(
                    spans[model],
                    visible_lanes(t, t0, t1),
                    t0,
                    t1,
                    None,
                    f"{model}: {t0:,.2f} s to {t1:,.2f} s, a row per request",
                    follow=follow,
                ),
            )
            for model, t in timelines.items()
        ]
    view = state.playground_view(scenario)
    lanes = {}
    for model, t in timelines.items():
        drawn = drawn_lanes(t)[0]
        marks = [m for m in cold_start_marks(t, drawn) if m.end >= t0 and m.start <= t1]
        lanes[model] = (lane_bins(t, t0, t1, max_marks=ZOOM_MARKS // len(timelines)), marks)
    return [("overview", charts.run_overview(lanes, view.load, domain=(t0, t1)))]
