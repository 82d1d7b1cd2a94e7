"""Sweeps: one knob (or two) over a grid of values, x seeds, every model; this run is one point.

Set the grid, then press Run: the page builds the same ``SweepSpec`` as a ``lab sweep`` file
(``lab.web.sweep``), runs it through ``models.sweep`` and draws ``lab.sweep_charts``, with the
tidy table as CSV and Parquet.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import streamlit as st

from lab.sweep_charts import charts
from lab.web import state, sweep
from lab.web.controls import chart_with_downloads, scenario_caption
from models.loading import ScenarioError
from models.scenario import Scenario
from models.sweep import Knob, SweepSpec

NONE = "(none)"


@st.cache_data(max_entries=16, show_spinner=False)
def _run(spec_json: str, scenario_json: str) -> tuple[list[dict[str, Any]], dict[str, Knob]]:
    spec = SweepSpec.model_validate_json(spec_json)
    return sweep.run(spec, Scenario.model_validate_json(scenario_json))


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


st.title("Sweeps")
scenario = state.current_scenario()
scenario_caption(scenario)
st.caption(
    "One run is one point on a curve. Pick a knob and the values to try (and a second knob for"
    " side-by-side panels); every point runs every platform model on the same requests, once"
    " per seed. The same sweep as a file: `lab sweep SPEC`."
)

choices = {k.label: k for k in sweep.sweep_knobs(scenario)}
labels = list(choices)
form = st.columns([3, 3, 2, 2])
first_label = form[0].selectbox("knob (x axis)", labels, key="sweep.x")
first = choices[first_label]
first_values = form[0].multiselect(
    "values", list(first.values), default=list(first.default), key=f"sweep.x.{first.path}"
)
second_label = form[1].selectbox(
    "second knob (panels)", [NONE, *[lab for lab in labels if lab != first_label]], key="sweep.y"
)
second = choices.get(second_label)
second_values: list[Any] = []
if second is not None:
    second_values = form[1].multiselect(
        "values ",
        list(second.values),
        default=list(second.default[:2]),
        key=f"sweep.y.{second.path}",
    )
seeds = form[2].number_input("seeds", min_value=1, max_value=5, value=2, key="sweep.seeds")
requests = form[3].select_slider(
    "requests per point", [100, 200, 500, 1000, 2000], value=500, key="sweep.requests"
)

grid: dict[str, list[Any]] = {first.path: first_values}
if second is not None:
    grid[second.path] = second_values
problem = None
if any(not values for values in grid.values()):
    problem = "Pick at least one value for each knob."
try:
    spec = sweep.sweep_spec(scenario, grid, list(range(1, int(seeds) + 1)))
except ValueError as exc:
    spec, problem = None, problem or str(exc)
if spec is not None and sweep.points(spec) > sweep.MAX_POINTS:
    problem = (
        f"{sweep.points(spec)} runs: at most {sweep.MAX_POINTS} here; use fewer values"
        " or seeds, or `lab sweep` on a Dask cluster."
    )

if problem:
    st.info(problem)
elif st.button("Run sweep", type="primary", key="sweep.run"):
    st.session_state["sweep.asked"] = (spec, sweep.sample(scenario, int(requests)))

asked = st.session_state.get("sweep.asked")
if asked is not None:
    spec_asked, base = asked
    try:
        with st.spinner(f"Simulating {sweep.points(spec_asked)} points..."):
            rows, found = _run(spec_asked.model_dump_json(), base.model_dump_json())
    except ScenarioError as exc:
        st.error(str(exc))
    else:
        frame = pd.DataFrame(rows)
        st.subheader(spec_asked.title)
        names = {k.path: k.label for k in sweep.sweep_knobs(scenario)}
        for i, (chart_spec, chart) in enumerate(charts(frame, spec_asked, found, names)):
            chart_with_downloads(chart, f"sweep-{chart_spec.y}", key=f"sweep.chart.{i}")
        with st.expander(f"The table: {len(frame)} rows (point x seed x model)"):
            st.dataframe(frame, hide_index=True)
        downloads = st.columns(2)
        downloads[0].download_button(
            "CSV",
            frame.to_csv(index=False),
            file_name="sweep.csv",
            mime="text/csv",
            key="sweep.csv",
            icon=":material/download:",
        )
        downloads[1].download_button(
            "Parquet",
            _parquet(frame),
            file_name="sweep.parquet",
            mime="application/vnd.apache.parquet",
            key="sweep.parquet",
            icon=":material/download:",
        )
