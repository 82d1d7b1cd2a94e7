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
from lab.web.why import DEFINITIONS, completed, why
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


def _kb(v: float) -> str:
    return f"{count(round(v))} kB"


def _mb(v: float) -> str:
    return f"{count(v)} MB"


def _share(v: float) -> str:
    return percent(v, 0)


KNOB_WORDS: dict[str, tuple[str, Callable[[Any], str]]] = {}
"""Each what-if knob's label and how its values are written (filled below, used by the panel
and by the "Changed:" line, so a student reads the same words in both)."""


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
    was = read_knobs(base)
    values: dict[str, Any] = {}

    def slider(name: str, options: Sequence[Any]) -> None:
        label, fmt = KNOB_WORDS[name]
        values[name] = st.select_slider(
            label, list(options), key=_seed(name, getattr(current, name)), format_func=fmt
        )

    def select(name: str, options: Sequence[str]) -> None:
        label, fmt = KNOB_WORDS[name]
        values[name] = st.selectbox(
            label, list(options), key=_seed(name, getattr(current, name)), format_func=fmt
        )

    st.markdown("**Traffic**")
    if was.requests is not None:
        slider("requests", _with(REQUESTS, was.requests))
    if was.rate is not None:
        slider("rate", _with([was.rate * 2 ** (k / 2) for k in range(-8, 9) if k], was.rate))
    if was.burstiness is not None:
        slider("burstiness", _with([s for s in SHARES if s < 1], was.burstiness))
    st.markdown("**Work and code**")
    slider("io_share", _with(SHARES, was.io_share))
    slider("bundle_kb", _with(BUNDLE_KB, was.bundle_kb))
    slider("memory_mb", _with(MEMORY_MB, was.memory_mb))
    st.markdown("**Platforms**")
    slider("keep_alive_s", _with(KEEP_ALIVE_S, was.keep_alive_s))
    slider(
        "min_instances",
        list(range(0, 11)) if was.min_instances <= 10 else _with(range(11), was.min_instances),
    )
    slider("concurrency", _with(CONCURRENCY, was.concurrency))
    select("cache_traditional", CACHE_MODES)
    select("cache_fluid", CACHE_MODES)
    select("prices_traditional", price_names("wall_clock"))
    st.caption(price_title(values["prices_traditional"]))
    select("prices_fluid", price_names("active_cpu"))
    st.caption(price_title(values["prices_fluid"]))
    return Knobs(
        requests=values.get("requests"),
        rate=values.get("rate"),
        burstiness=values.get("burstiness"),
        **{k: v for k, v in values.items() if k not in {"requests", "rate", "burstiness"}},
    )


def price_names(billing: str) -> list[str]:
    return [name for name, p in price_presets().items() if p.billing == billing]


def price_title(name: str) -> str:
    """The price list's full title (it wraps in a caption; a select box would cut it)."""
    preset = price_presets().get(name)
    return f"{preset.title} ({name})" if preset and preset.title else name


PRICE_SHORT = {
    "aws-lambda-x86-us-east-1": "AWS Lambda x86, us-east-1",
    "aws-lambda-arm-us-east-1": "AWS Lambda arm, us-east-1",
    "vercel-traditional-pro": "Vercel legacy, Pro",
}


def price_short(name: str) -> str:
    """A price list's name short enough for a select box in the sidebar at 1024 px (the
    caption under it gives the full title): ``Vercel Fluid, iad1``."""
    if name in PRICE_SHORT:
        return PRICE_SHORT[name]
    preset = price_presets().get(name)
    if preset is not None and preset.title.startswith("Vercel Fluid") and "(" in preset.title:
        return f"Vercel Fluid, {preset.title.rsplit('(', 1)[-1].rstrip(')')}"
    return name


def cache_title(mode: str) -> str:
    return CACHE_WORDS.get(mode, mode)


CACHE_WORDS = {"off": "off", "per_instance": "per instance", "merged": "shared (merged)"}

KNOB_WORDS.update(
    {
        "requests": ("requests", count),
        "rate": ("arrival rate (mean)", rate_label),
        "burstiness": ("burstiness (share of time with no traffic)", _share),
        "io_share": ("I/O share of request time", _share),
        "bundle_kb": ("bundle size", _kb),
        "memory_mb": ("memory", _mb),
        "keep_alive_s": ("keep-alive (both)", seconds),
        "min_instances": ("min instances (both)", count),
        "concurrency": ("fluid: concurrency cap (requests per instance)", count),
        "cache_traditional": ("traditional: bytecode cache", cache_title),
        "cache_fluid": ("fluid: bytecode cache", cache_title),
        "prices_traditional": ("traditional: price list", price_short),
        "prices_fluid": ("fluid: price list", price_short),
    }
)


def knob_label(name: str) -> str:
    return KNOB_WORDS[name][0] if name in KNOB_WORDS else name.replace("_", " ")


def changed_line(moved: dict[str, tuple[Any, Any]]) -> str:
    """``Changed: memory 2,048 MB → 1,024 MB, …`` in the panel's own words."""
    parts = []
    for name, (mine, was) in moved.items():
        label, fmt = KNOB_WORDS.get(name, (name.replace("_", " "), str))
        parts.append(f"{label} {fmt(was)} → {fmt(mine)}")
    return "Changed: " + "; ".join(parts)


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


NO_VALUE = "–"
"""Shown for a latency when no request completed (and for a change nothing can be read from)."""
LATENCIES = {"latency p50", "latency p99"}


def headline_numbers(summaries: dict[str, dict[str, Any]], against: str = "traditional") -> None:
    """One block per model, headed by its name (so the labels need not repeat it); every model
    but ``against`` shows its change relative to it, said once in the heading, with one line
    of why under each change (``lab.web.why``). Every number has its definition as help.

    Honest when requests failed: a run in which no request completed shows no latency and
    no change (a "−100 %" latency from a run that answered nothing is not a result), and the
    heading says how many requests did not complete and why."""
    for model, summary in summaries.items():
        compared = model != against and against in summaries
        if compared and (not completed(summary) or not completed(summaries[against])):
            compared = False
        with st.container(key=headline_key(model)):
            st.markdown(f"**{model}**" + (f" · change vs {against}" if compared else ""))
            _not_completed(model, summary)
            for first in range(0, len(HEADLINES), HEADLINE_COLUMNS):
                row = HEADLINES[first : first + HEADLINE_COLUMNS]
                columns = st.columns(HEADLINE_COLUMNS)
                for column, (label, value, fmt, colour) in zip(columns, row, strict=False):
                    mine = value(summary)
                    no_value = label in LATENCIES and not completed(summary)
                    delta = None
                    if compared and not no_value:
                        theirs = value(summaries[against])
                        delta = change(mine, theirs) if theirs else None
                    column.metric(
                        label,
                        NO_VALUE if no_value else fmt(mine),
                        delta=delta,
                        delta_color=colour if delta else "off",  # type: ignore[arg-type]
                        help=DEFINITIONS.get(label),
                    )
                    reason = why(label, summary, summaries[against], against) if delta else None
                    if reason:
                        column.caption(reason)


def _not_completed(model: str, summary: dict[str, Any]) -> None:
    """Failed, timed-out and refused requests, said as such (an error when none completed)."""
    requests = summary.get("requests", {})
    missing = {
        "failed": requests.get("failed", 0),
        "timed out": requests.get("timed_out", 0),
        "refused": requests.get("rejected", 0),
    }
    said = ", ".join(f"{count(n)} {what}" for what, n in missing.items() if n)
    if not said:
        return
    total = count(requests.get("total", 0))
    if not completed(summary):
        st.error(f"{model}: no request completed ({said} of {total}).", icon=":material/error:")
    else:
        st.warning(
            f"{model}: {count(completed(summary))} of {total} requests completed; {said}.",
            icon=":material/warning:",
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
    if "vconcat" in spec and "autosize" not in spec:
        # every row fitted to the page's width, axes and legends included (Streamlit pads
        # rows that are layers, which then overflow the page by their axis labels)
        spec = {**spec, "autosize": {"type": "fit-x", "contains": "padding"}}
    st.vega_lite_chart(as_arrow(spec), key=key, width="stretch")
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
