"""Streamlit pieces the pages share: the what-if knobs, headline numbers, charts with their
download buttons. Every number shown goes through ``lab.format``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import altair as alt
import pyarrow as pa
import streamlit as st

from lab.format import change, count, duration_ms, money, percent, seconds
from lab.view.whatif import Knobs, read_knobs
from lab.web import state
from lab.web.export import chart_png, chart_svg
from models.prices import price_presets
from models.scenario import Scenario

T = TypeVar("T")

MEMORY_MB = [128, 256, 512, 1024, 1536, 2048, 3008, 4096, 8192]
KEEP_ALIVE_S = [1.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0]
CONCURRENCY = [1, 2, 4, 8, 16, 30, 50, 100, 250]
REQUESTS = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000]
BUNDLE_KB = [50.0, 100.0, 250.0, 400.0, 550.0, 800.0, 1000.0, 1500.0, 2000.0]
SHARES = [round(i * 0.05, 2) for i in range(21)]
CACHE_MODES = ["off", "per_instance", "merged"]


def rate_label(rate: float) -> str:
    """``2 req/s`` or ``1 every 20 s``."""
    if rate >= 1:
        return f"{count(round(rate, 2))} req/s"
    return f"1 every {seconds(1 / rate)}"


def _with(options: Sequence[T], value: T) -> list[T]:
    """The options, with the scenario's own value among them (so it can be kept exactly)."""
    values = list(options)
    if value not in values:
        values.append(value)
    return sorted(values)  # type: ignore[type-var]


def _seed(key: str, value: Any) -> str:
    """Give a knob widget its stored value when it (re)appears, e.g. back from another page."""
    full = state.KNOB_PREFIX + key
    if full not in st.session_state:
        st.session_state[full] = value
    return full


def knob_panel(base: Scenario, current: Knobs) -> Knobs:
    """The what-if controls; returns where they stand now. Options come from the loaded
    scenario (its own values are always selectable, so nothing moves until a user moves it)."""
    start = current
    was = read_knobs(base)
    values: dict[str, Any] = {}
    st.markdown("**Traffic**")
    if was.requests is not None:
        values["requests"] = st.select_slider(
            "requests",
            _with(REQUESTS, was.requests),
            key=_seed("requests", start.requests),
            format_func=count,
        )
    if was.rate is not None:
        rates = _with([was.rate * 2 ** (k / 2) for k in range(-8, 9) if k], was.rate)
        values["rate"] = st.select_slider(
            "arrival rate (mean)", rates, key=_seed("rate", start.rate), format_func=rate_label
        )
    if was.burstiness is not None:
        values["burstiness"] = st.select_slider(
            "burstiness (share of time with no traffic)",
            _with([s for s in SHARES if s < 1], was.burstiness),
            key=_seed("burstiness", start.burstiness),
            format_func=lambda v: percent(v, 0),
        )
    st.markdown("**Work and code**")
    values["io_share"] = st.select_slider(
        "I/O share of request time",
        _with(SHARES, was.io_share),
        key=_seed("io_share", start.io_share),
        format_func=lambda v: percent(v, 0),
    )
    values["bundle_kb"] = st.select_slider(
        "bundle size",
        _with(BUNDLE_KB, was.bundle_kb),
        key=_seed("bundle_kb", start.bundle_kb),
        format_func=lambda v: f"{count(round(v))} kB",
    )
    values["memory_mb"] = st.select_slider(
        "memory",
        _with(MEMORY_MB, was.memory_mb),
        key=_seed("memory_mb", start.memory_mb),
        format_func=lambda v: f"{count(v)} MB",
    )
    st.markdown("**Platforms**")
    values["keep_alive_s"] = st.select_slider(
        "keep-alive (both)",
        _with(KEEP_ALIVE_S, was.keep_alive_s),
        key=_seed("keep_alive_s", start.keep_alive_s),
        format_func=seconds,
    )
    values["min_instances"] = st.select_slider(
        "min instances (both)",
        list(range(0, 11)) if was.min_instances <= 10 else _with(range(11), was.min_instances),
        key=_seed("min_instances", start.min_instances),
    )
    values["concurrency"] = st.select_slider(
        "fluid: concurrency cap (requests per instance)",
        _with(CONCURRENCY, was.concurrency),
        key=_seed("concurrency", start.concurrency),
    )
    left, right = st.columns(2)
    with left:
        values["cache_traditional"] = st.selectbox(
            "traditional: bytecode cache",
            CACHE_MODES,
            key=_seed("cache_traditional", start.cache_traditional),
        )
    with right:
        values["cache_fluid"] = st.selectbox(
            "fluid: bytecode cache", CACHE_MODES, key=_seed("cache_fluid", start.cache_fluid)
        )
    values["prices_traditional"] = st.selectbox(
        "traditional: price list",
        price_names("wall_clock"),
        key=_seed("prices_traditional", start.prices_traditional),
        format_func=price_title,
    )
    values["prices_fluid"] = st.selectbox(
        "fluid: price list",
        price_names("active_cpu"),
        key=_seed("prices_fluid", start.prices_fluid),
        format_func=price_title,
    )
    return Knobs(
        requests=values.get("requests"),
        rate=values.get("rate"),
        burstiness=values.get("burstiness"),
        **{k: v for k, v in values.items() if k not in {"requests", "rate", "burstiness"}},
    )


def price_names(billing: str) -> list[str]:
    return [name for name, p in price_presets().items() if p.billing == billing]


def price_title(name: str) -> str:
    preset = price_presets().get(name)
    return f"{preset.title} ({name})" if preset and preset.title else name


# --- headline numbers -------------------------------------------------------------------

Headline = tuple[str, Callable[[dict[str, Any]], float], Callable[[float], str], str]
HEADLINES: list[Headline] = [
    ("bill", lambda s: s["bill_usd"]["total"], money, "inverse"),
    ("cold starts", lambda s: s["cold_starts"], count, "inverse"),
    ("latency p50", lambda s: s["latency_ms"]["p50"], duration_ms, "inverse"),
    ("latency p99", lambda s: s["latency_ms"]["p99"], duration_ms, "inverse"),
    ("instances (max)", lambda s: s["instances"]["max"], count, "inverse"),
    ("CPU efficiency", lambda s: s["cpu_efficiency"], percent, "normal"),
]
"""(label, value, how to write it, delta colour) of each headline number."""


HEADLINE_COLUMNS = 3
"""Headline numbers a row: three keep every label, value and delta whole in a 1280 px window."""


def metric_rows(cells: Sequence[tuple[str, str] | tuple[str, str, str]]) -> None:
    """Numbers ``(label, value[, help])``, ``HEADLINE_COLUMNS`` a row, so none is cut."""
    for first in range(0, len(cells), HEADLINE_COLUMNS):
        columns = st.columns(HEADLINE_COLUMNS)
        for column, (label, value, *more) in zip(
            columns, cells[first : first + HEADLINE_COLUMNS], strict=False
        ):
            column.metric(label, value, help=more[0] if more else None)


def headline_key(model: str) -> str:
    """The key of a model's block of headline numbers (a CSS class ``st-key-<key>``)."""
    return "headline-" + re.sub(r"[^A-Za-z0-9_-]+", "-", model)


def headline_numbers(summaries: dict[str, dict[str, Any]], against: str = "traditional") -> None:
    """One block per model, headed by its name (so the labels need not repeat it); every model
    but ``against`` shows its change relative to it, said once in the heading."""
    for model, summary in summaries.items():
        compared = model != against and against in summaries
        with st.container(key=headline_key(model)):
            st.markdown(f"**{model}**" + (f" · change vs {against}" if compared else ""))
            for first in range(0, len(HEADLINES), HEADLINE_COLUMNS):
                row = HEADLINES[first : first + HEADLINE_COLUMNS]
                columns = st.columns(HEADLINE_COLUMNS)
                for column, (label, value, fmt, colour) in zip(columns, row, strict=False):
                    mine = value(summary)
                    delta = None
                    if compared:
                        theirs = value(summaries[against])
                        delta = change(mine, theirs) if theirs else None
                    column.metric(
                        label,
                        fmt(mine),
                        delta=delta,
                        delta_color=colour if delta else "off",  # type: ignore[arg-type]
                    )


# --- charts -----------------------------------------------------------------------------


Spec = dict[str, Any]


def spec_of(chart: alt.TopLevelMixin) -> Spec:
    """The Vega-Lite spec the page draws (data inline). A single or layered chart is wrapped
    in a one-row vconcat: Streamlit squashes the height of those when drawn at content width.
    Not re-validated here: the builders' output is validated by the chart tests."""
    if not isinstance(chart, alt.VConcatChart | alt.HConcatChart | alt.ConcatChart):
        chart = alt.vconcat(chart)
    return chart.to_dict(validate=False)


def as_arrow(spec: Spec) -> Spec:
    """The spec with its datasets as Arrow tables. Streamlit sends every dataset to the browser
    as Arrow; rows it first turns into a pandas DataFrame, which cost ~50 ms a rerun for the
    playground's charts (half of a warm rerun), while a table it serialises as it is."""
    datasets = spec.get("datasets")
    if not datasets:
        return spec
    tables = {name: pa.Table.from_pylist(rows) for name, rows in datasets.items()}
    return {**spec, "datasets": tables}


def show(chart: alt.TopLevelMixin | Spec, key: str) -> Spec:
    """Draw a chart (an Altair chart, or a Vega-Lite spec) at the size it asks for; returns
    the spec (rows inline, for the downloads)."""
    spec = chart if isinstance(chart, dict) else spec_of(chart)
    st.vega_lite_chart(as_arrow(spec), key=key, width="content")
    return spec


def chart_with_downloads(chart: alt.TopLevelMixin | Spec, name: str, key: str) -> None:
    """The chart, then PNG and SVG downloads rendered only when clicked."""
    spec = show(chart, key)
    with st.container(horizontal=True):
        st.download_button(
            "PNG",
            lambda: chart_png(spec),
            file_name=f"{name}.png",
            mime="image/png",
            key=f"{key}.png",
            on_click="ignore",
            icon=":material/download:",
        )
        st.download_button(
            "SVG",
            lambda: chart_svg(spec),
            file_name=f"{name}.svg",
            mime="image/svg+xml",
            key=f"{key}.svg",
            on_click="ignore",
            icon=":material/download:",
        )


def scenario_caption(scenario: Scenario) -> None:
    st.caption(
        f"Scenario **{scenario.name}** ({state.base_source()})"
        + (f": {scenario.title}" if scenario.title else "")
    )
