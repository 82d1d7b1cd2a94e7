"""Bill calculator: what a month of this traffic costs under each model, with the price list's
source and date, and the CPU share at which Fluid stops saving.

The monthly figure and the break-even are both simulated (``lab.view.sweep``): the page only
picks the traffic and the price lists and shows what comes back.
"""

from __future__ import annotations

from dataclasses import replace

import altair as alt
import streamlit as st

from lab import charts
from lab.format import change, count, money, percent
from lab.view.legend import bill_label
from lab.view.sweep import MONTH_S, SHARES, break_even
from lab.view.whatif import COMPARED, apply_knobs, read_knobs
from lab.web import state
from lab.web.controls import (
    chart_with_downloads,
    price_names,
    price_short,
    price_title,
    scenario_caption,
)
from lab.web.export import rows_csv

SAMPLES = [200, 500, 1000, 2000, 5000]
SWEEP_SAMPLE = 200  # requests per sweep point: the same ones at every point (smooth curves)

st.title("Bill calculator")
scenario = state.current_scenario()
scenario_caption(scenario)
knobs = read_knobs(scenario)

inputs = st.columns([2, 3, 3])
default_volume = round((knobs.rate or 1.0) * MONTH_S)
monthly_requests = inputs[0].number_input(
    "requests per month",
    min_value=1_000,
    max_value=10_000_000_000,
    value=default_volume,
    step=100_000,
    key="bill.requests",
)
prices_traditional = inputs[1].selectbox(
    "traditional: price list",
    price_names("wall_clock"),
    index=price_names("wall_clock").index(knobs.prices_traditional),
    format_func=price_short,
    key="bill.prices_traditional",
)
inputs[1].caption(price_title(prices_traditional))
prices_fluid = inputs[2].selectbox(
    "fluid: price list",
    price_names("active_cpu"),
    index=price_names("active_cpu").index(knobs.prices_fluid),
    format_func=price_short,
    key="bill.prices_fluid",
)
inputs[2].caption(price_title(prices_fluid))
sample = st.select_slider(
    "requests simulated for the monthly bill (more: steadier, slower)",
    SAMPLES,
    value=500,
    key="bill.sample",
    format_func=count,
)
priced = apply_knobs(
    scenario,
    replace(knobs, prices_traditional=prices_traditional, prices_fluid=prices_fluid),
)

with st.spinner("Simulating a sample of the month…"):
    costs = state.monthly(priced, float(monthly_requests), sample)

st.subheader(f"A month of {count(monthly_requests)} requests")
columns = st.columns(len(costs))
for column, (name, cost) in zip(columns, costs.items(), strict=True):
    delta = None
    if name != "traditional" and "traditional" in costs:
        delta = f"{change(cost.monthly, costs['traditional'].monthly)} vs traditional"
    column.metric(f"monthly bill ({name})", money(cost.monthly), delta, delta_color="inverse")
    column.caption(
        f"{money(cost.per_million)} per million requests · "
        + " · ".join(f"{bill_label(k)} {money(v)}" for k, v in cost.components.items())
    )
st.caption(
    f"Extrapolated from {count(sample)} simulated requests arriving at the same mean rate "
    f"({count(round(monthly_requests / MONTH_S, 3))} per second) over a 30-day month."
)

with st.expander("Where the prices come from", expanded=True):
    for name, cost in costs.items():
        prices = cost.prices
        st.markdown(f"**{name}: {prices.title or prices.name}** — as of {prices.as_of or 'n/a'}")
        for source in prices.sources:
            st.markdown(f"- {source}")
        if prices.notes:
            st.caption(prices.notes)

st.download_button(
    "Monthly bill as CSV",
    rows_csv(
        ["model", "price list", "as of", "monthly USD", "USD per million", "sample"],
        [
            [n, c.prices.name, c.prices.as_of, c.monthly, c.per_million, c.sample_requests]
            for n, c in costs.items()
        ],
    ),
    file_name=f"{scenario.name}-monthly.csv",
    mime="text/csv",
    key="bill.csv",
    on_click="ignore",
)

st.subheader("When does Fluid stop saving?")
st.caption(
    "The same traffic, with each request's work reshaped from mostly waiting to all CPU "
    f"({len(SHARES)} points, {count(SWEEP_SAMPLE)} requests each, simulated under both models)."
)
with st.spinner("Sweeping the CPU share…"):
    points, latencies = state.sweep_with_latency(priced, float(monthly_requests), SWEEP_SAMPLE)
even = break_even(points)
current_share = 1.0 - knobs.io_share
if even.status == "crosses" and even.cpu_share is not None:
    st.info(
        f"Fluid is cheaper until the work is about **{percent(even.cpu_share, 0)} CPU**; "
        f"beyond that, {prices_traditional} costs less. This scenario's work is "
        f"{percent(current_share, 0)} CPU."
    )
elif even.status == "never_saves":
    st.warning("With these price lists Fluid costs more at every CPU share tried.")
else:
    st.success(
        "With these price lists Fluid stays cheaper even when the work is all CPU: no "
        "break-even in the range simulated. Try another traditional price list."
    )
chart_with_downloads(
    alt.vconcat(
        charts.breakeven_chart(points, even, current_share),
        charts.p99_sweep_chart(latencies, even, current_share),
    ).resolve_scale(color="shared"),
    f"{scenario.name}-break-even",
    "bill.breakeven",
)
st.download_button(
    "Sweep as CSV",
    rows_csv(
        [
            "cpu_share",
            *[f"{m} USD per million" for m in COMPARED],
            *[f"{m} p99 ms" for m in COMPARED],
        ],
        [
            [p.cpu_share, *[p.per_million[m] for m in COMPARED], *[q.p99_ms[m] for m in COMPARED]]
            for p, q in zip(points, latencies, strict=True)
        ],
    ),
    file_name=f"{scenario.name}-cpu-sweep.csv",
    mime="text/csv",
    key="bill.sweep_csv",
    on_click="ignore",
)
