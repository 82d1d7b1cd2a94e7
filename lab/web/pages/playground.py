"""Playground: turn a knob, see traditional and fluid side by side.

Knobs in the sidebar (``lab.web.controls.knob_panel``); the scenario they make is simulated once
and cached, so going back to a setting already seen is instant.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lab.report_rows import comparison_rows
from lab.view.whatif import read_knobs
from lab.web import state, timeview
from lab.web.controls import (
    changed_line,
    chart_with_downloads,
    headline_numbers,
    knob_panel,
    scenario_caption,
)
from lab.web.export import comparison_csv, summary_csv

st.title("Playground")
base = state.base_scenario()
with st.sidebar:
    st.header("What if…")
    state.set_knobs(knob_panel(base, state.knobs()))
    if st.button("Reset to the scenario's values", key="playground.reset"):
        state.set_base(base, state.base_source())
        st.rerun()

scenario = state.current_scenario()
scenario_caption(base)
moved = state.knobs().changed(read_knobs(base))
if moved:
    st.caption(changed_line(moved))

with st.spinner("Simulating…"):
    view = state.playground_view(scenario)
    specs = state.playground_specs(scenario)

headline_numbers(view.summaries)

with st.expander("Every number, side by side"):
    table = pd.DataFrame(comparison_rows(view.summaries), columns=["", *view.summaries]).set_index(
        ""
    )
    st.table(table)
    left, right, _ = st.columns([1, 1, 3])
    left.download_button(
        "CSV (as shown)",
        comparison_csv(view.summaries),
        file_name=f"{scenario.name}-comparison.csv",
        mime="text/csv",
        key="playground.csv_shown",
        on_click="ignore",
    )
    right.download_button(
        "CSV (all numbers)",
        summary_csv(view.summaries, scenario.name),
        file_name=f"{scenario.name}-numbers.csv",
        mime="text/csv",
        key="playground.csv_all",
        on_click="ignore",
    )

st.subheader("The run, instance by instance")
st.caption(
    "One band per instance, both models on one time axis. Colour: what it mostly did in each "
    "time bin; diamonds: code loads (red: compiled, green: bytecode-cache hit). Zoom in (the "
    "slider, or a moment below) and the bins are drawn again for the time shown; at a few "
    "seconds every request gets its own thin row inside its instance."
)
requests = int(max(s["requests"]["total"] for s in view.summaries.values()))
t0, t1 = timeview.controls(scenario, view.end_time, requests)
if t0 <= 0.0 and t1 >= view.end_time - 1e-9:
    chart_with_downloads(specs["timeline"], f"{scenario.name}-timeline", "playground.timeline")
else:
    with st.spinner("Drawing the time shown…"):
        drawn = timeview.zoomed(scenario, t0, t1)
    for model, spec in drawn:
        chart_with_downloads(
            spec, f"{scenario.name}-{model}-{t0:.0f}-{t1:.0f}s", f"playground.zoom.{model}"
        )
hidden = {m: bins.hidden_lanes for m, (bins, _marks) in view.lanes.items() if bins.hidden_lanes}
if hidden:
    st.caption(
        "Not drawn: "
        + ", ".join(f"{n} more {m} instances" for m, n in hidden.items())
        + " (the numbers above count them)."
    )

left, right = st.columns(2)
with left:
    chart_with_downloads(specs["latency"], f"{scenario.name}-latency", "playground.latency")
with right:
    chart_with_downloads(specs["bill"], f"{scenario.name}-bill", "playground.bill")
