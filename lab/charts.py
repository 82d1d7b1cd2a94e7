"""Altair chart builders: pure functions of view-model data (``lab.view``), no Streamlit.

Every colour comes from ``lab.view.legend`` so the web charts, the TUI and the handouts agree.
Every chart stays under ~10k marks: whole runs are drawn from binned lanes
(``lab.view.series``), exact spans only inside a replay window.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from lab.format import duration_ms, money, percent, seconds
from lab.view.legend import LEGEND, OUTCOMES, bill_label
from lab.view.request_rows import REQUEST_KINDS, Slots, request_slots
from lab.view.series import LaneBins, LatencyBin, LoadPoint, Mark
from lab.view.sweep import BreakEven, SweepPoint
from lab.view.sweep_latency import LatencyPoint
from lab.view.timeline import QUEUE_LANE, Span

MAX_MARKS = 10_000

FULL_WIDTH = 680
"""Plot width of a chart across the page: with its axis labels and its legends below it, it
fits the main column of a 1280 px window with the sidebar open (820 px of content)."""
HALF_WIDTH = 290
"""Plot width of a chart in one of two columns (400 px each at 1280 px)."""

MODEL_COLORS = {"traditional": "#9c755f", "fluid": "#4e79a7"}
BILL_COLORS = {
    "wall_clock": LEGEND["io"].color,
    "active_cpu": LEGEND["cpu"].color,
    "provisioned_memory": LEGEND["runtime_init"].color,
    "invocations": LEGEND["queued"].color,
}
"""Bill components in the order they stack; their names come from ``lab.view.legend``."""

TIMELINE_KINDS = [*LEGEND]


def _kind_scale(kinds: Iterable[str] = TIMELINE_KINDS) -> alt.Scale:
    kinds = list(kinds)
    return alt.Scale(
        domain=[LEGEND[k].label for k in kinds], range=[LEGEND[k].color for k in kinds]
    )


def _model_scale(models: Sequence[str]) -> alt.Scale:
    return alt.Scale(domain=list(models), range=[MODEL_COLORS.get(m, "#7f7f7f") for m in models])


def _legend(columns: int | None = None, title: str | None = None) -> alt.Legend:
    """Legends go under the chart, so they never widen it past the page."""
    return alt.Legend(
        orient="bottom",
        direction="horizontal",
        columns=columns if columns is not None else alt.Undefined,
        labelLimit=180,
        title=title if title is not None else alt.Undefined,
    )


def _lane_label(lane: int) -> str:
    return "queue" if lane == QUEUE_LANE else f"instance {lane}"


def _tips(*fields: str) -> list[alt.Tooltip]:
    """Tooltips as channel objects: Altair wraps bare strings through its schema, ~10 ms each."""
    return [alt.Tooltip(f) for f in fields]


# --- Vega-Lite written directly -----------------------------------------------------------
#
# The charts of a whole run (the playground's) are written as Vega-Lite dicts rather than
# built from Altair objects: Altair deep-copies every sub-chart each time charts are layered
# or concatenated, and the run overview cost ~0.3 s to build and ~0.2 s to turn into a dict
# (data aside), more than laying out both runs. The dicts are what Altair wrote for the same
# charts (tests check them against the Vega-Lite schema); the replay and bill-calculator
# charts, small and built per frame or per sweep, stay Altair.

Spec = dict[str, Any]
Row = dict[str, Any]

_CONFIG = {"view": {"continuousWidth": 300, "continuousHeight": 300}}
"""Altair's default view config, kept so the charts render exactly as they did."""

_LOAD_VIEW = "overview_load"
"""The view that carries the brush."""


def _top(spec: Spec, datasets: dict[str, list[Row]]) -> Spec:
    return {"config": _CONFIG, **spec, "$schema": alt.SCHEMA_URL, "datasets": datasets}


def _data(datasets: dict[str, list[Row]], rows: list[Row]) -> dict[str, str]:
    """Put ``rows`` in ``datasets`` under a name made from their content (as Altair names
    them): a chart whose data changed gets a new dataset, never an old one with rows added."""
    text = json.dumps(rows, sort_keys=True, default=str)
    name = "data-" + hashlib.sha256(text.encode()).hexdigest()[:32]
    datasets[name] = rows
    return {"name": name}


def _channel(field: str, kind: str, **more: Any) -> Spec:
    """An encoding channel: ``kind`` is the Vega-Lite type (``nominal``, ``quantitative``)."""
    return {"field": field, **more, "type": kind}


def _tip(field: str, kind: str = "nominal", **more: Any) -> Spec:
    return _channel(field, kind, **more)


def _scale(domain: Sequence[Any], colours: Sequence[str]) -> Spec:
    return {"domain": list(domain), "range": list(colours)}


def _kinds_scale(kinds: Iterable[str] = TIMELINE_KINDS) -> Spec:
    kinds = list(kinds)
    return _scale([LEGEND[k].label for k in kinds], [LEGEND[k].color for k in kinds])


def _legend_spec(columns: int | None = None) -> Spec:
    """Legends go under the chart, so they never widen it past the page."""
    legend: Spec = {"direction": "horizontal", "labelLimit": 180, "orient": "bottom"}
    return legend if columns is None else {"columns": columns, **legend}


# --- a whole run ------------------------------------------------------------------------


def lane_rows(bins: LaneBins) -> list[Row]:
    return [
        {
            "instance": _lane_label(b.lane),
            "start": b.start,
            "end": b.end,
            "activity": LEGEND[b.kind].label,
            "cpu_share": b.cpu_share,
            "concurrency": round(b.busy, 2),
        }
        for b in bins.bins
    ]


def mark_rows(marks: Sequence[Mark]) -> list[Row]:
    return [
        {
            "instance": _lane_label(m.lane),
            "start": m.start,
            "end": m.end,
            "activity": LEGEND[m.kind].label,
            "chunk": m.detail,
            "ms": round((m.end - m.start) * 1000, 1),
        }
        for m in marks
    ]


def _instance_timeline(
    bins: LaneBins,
    marks: Sequence[Mark],
    title: str,
    datasets: dict[str, list[Row]],
    width: int,
    domain: tuple[float, float],
) -> Spec:
    """One row per instance: what it mostly did in each time bin, plus every cold-start phase
    (exact rectangles, visible when zoomed) and every code load (dots: compile or cache hit).
    The time axis follows the brush."""
    order = [_lane_label(lane) for lane in bins.lanes]
    x = {"scale": {"domain": list(domain), "nice": False, "zero": False}}
    y = _channel(
        "instance",
        "nominal",
        axis={"labelLimit": 90, "labelOverlap": len(order) > 40},
        sort=order,
        title=None,
    )
    height = max(40, min(14 * len(order), 600))
    colour = {"field": "activity", "scale": _kinds_scale(), "type": "nominal"}
    phases = _data(datasets, mark_rows(marks))
    phase_tips = [_tip("instance"), _tip("activity"), _tip("chunk"), _tip("ms", "quantitative")]
    activity = {
        "data": _data(datasets, lane_rows(bins)),
        "mark": {"type": "rect", "clip": True},
        "encoding": {
            "color": _channel(
                "activity",
                "nominal",
                legend=_legend_spec(3),
                scale=_kinds_scale(),
                title="activity",
            ),
            "tooltip": [
                _tip("instance"),
                _tip("activity"),
                _tip("start", "quantitative", format=",.1f"),
                _tip("end", "quantitative", format=",.1f"),
                _tip("cpu_share", "quantitative", format=".0%", title="CPU share of busy time"),
                _tip("concurrency", "quantitative", title="requests at once (mean)"),
            ],
            "x": _channel("start", "quantitative", **x, title="time (s)"),
            "x2": {"field": "end"},
            "y": y,
        },
    }
    phase_layer = {
        "data": phases,
        "mark": {"type": "rect", "clip": True},
        "encoding": {
            "color": colour,
            "tooltip": phase_tips,
            "x": _channel("start", "quantitative", **x),
            "x2": {"field": "end"},
            "y": y,
        },
    }
    size = max(8.0, min(30.0, (height / max(len(order), 1)) ** 2))
    loads = {
        "data": phases,
        "mark": {"type": "point", "filled": True, "shape": "diamond", "size": size, "clip": True},
        "encoding": {
            "color": colour,
            "tooltip": phase_tips,
            "x": _channel("start", "quantitative", **x),
            "y": y,
        },
        "transform": [
            {
                "filter": {
                    "field": "activity",
                    "oneOf": [LEGEND["compile"].label, LEGEND["cache_load"].label],
                }
            }
        ],
    }
    return {
        "layer": [activity, phase_layer, loads],
        "height": height,
        "title": title,
        "width": width,
    }


def load_rows(series: Mapping[str, Sequence[LoadPoint]]) -> list[Row]:
    rows = []
    for model, points in series.items():
        for p in points:
            rows.append(
                {"model": model, "measure": "instances alive", "t": p.t, "value": p.instances}
            )
            rows.append(
                {"model": model, "measure": "requests in flight", "t": p.t, "value": p.in_flight}
            )
    return rows


def _load_chart(
    series: Mapping[str, Sequence[LoadPoint]],
    datasets: dict[str, list[Row]],
    width: int,
    shown: tuple[float, float] | None = None,
) -> Spec:
    """Instances alive and requests in flight over the whole run (peak per bin), one colour
    per model; the range the timelines above show is shaded."""
    models = list(series)
    lines = {
        "data": _data(datasets, load_rows(series)),
        "mark": {"type": "line", "interpolate": "step-after"},
        "encoding": {
            "stroke": _channel(
                "model",
                "nominal",
                legend=_legend_spec(),
                scale=_scale(models, [MODEL_COLORS.get(m, "#7f7f7f") for m in models]),
                title="model",
            ),
            "strokeDash": _channel("measure", "nominal", legend=_legend_spec(), title=None),
            "tooltip": [
                _tip("model"),
                _tip("measure"),
                _tip("t", "quantitative", format=",.1f"),
                _tip("value", "quantitative"),
            ],
            "x": _channel("t", "quantitative", title="time (s)"),
            "y": _channel("value", "quantitative", title="count (peak)"),
        },
    }
    layers: list[Spec] = [lines]
    if shown is not None:
        layers.insert(
            0,
            {
                "data": _data(datasets, [{"from": shown[0], "to": shown[1]}]),
                "mark": {"type": "rect", "color": "#f2c14e", "opacity": 0.35},
                "encoding": {
                    "x": _channel("from", "quantitative"),
                    "x2": {"field": "to"},
                    "tooltip": [
                        _tip("from", "quantitative", format=",.1f", title="shown from (s)"),
                        _tip("to", "quantitative", format=",.1f", title="to (s)"),
                    ],
                },
            },
        )
    return {
        "layer": layers,
        "height": 150,
        "name": _LOAD_VIEW,
        "title": "Instances and requests in flight, whole run (shaded: the time shown above)",
        "width": width,
    }


def run_overview(
    lanes: Mapping[str, tuple[LaneBins, Sequence[Mark]]],
    series: Mapping[str, Sequence[LoadPoint]],
    width: int = FULL_WIDTH,
    domain: tuple[float, float] | None = None,
) -> Spec:
    """An instance timeline per model above the load chart of the whole run. The timelines
    share one explicit time axis, ``domain`` (the whole run by default), so the same instant is
    at the same place in both; zooming is done by the page, which bins the range it shows
    again (``lab.view.series.lane_bins``), so seconds show phases, not one flat bin."""
    shaded = domain  # the whole run needs no shading
    if domain is None:
        ends = [b.end for bins, _m in lanes.values() for b in bins.bins]
        ends += [p.t for points in series.values() for p in points]
        domain = (0.0, max(ends, default=1.0))
    datasets: dict[str, list[Row]] = {}
    timelines = [
        _instance_timeline(bins, marks, f"{model}: instances", datasets, width, domain)
        for model, (bins, marks) in lanes.items()
    ]
    load = _load_chart(series, datasets, width, shaded)
    return _top(
        {"vconcat": [*timelines, load], "resolve": {"legend": {"color": "independent"}}},
        datasets,
    )


def latency_rows(hists: Mapping[str, Sequence[LatencyBin]]) -> list[Row]:
    return [
        {
            "model": model,
            "from_ms": b.start_ms,
            "to_ms": b.end_ms,
            "start": OUTCOMES[b.start].label,
            "requests": b.count,
        }
        for model, bins in hists.items()
        for b in bins
    ]


def latency_chart(
    hists: Mapping[str, Sequence[LatencyBin]],
    percentiles: Mapping[str, Mapping[str, float]],
    width: int = HALF_WIDTH,
) -> Spec:
    """Latency distribution per model, stacked by how requests started, with dashed p50/p99
    rules at the run's reported percentiles."""
    starts = ["warm", "cold", "joined"]
    scale = _scale([OUTCOMES[s].label for s in starts], [OUTCOMES[s].color for s in starts])
    datasets: dict[str, list[Row]] = {}
    rows = []
    for model, bins in hists.items():
        bars = {
            "data": _data(datasets, latency_rows({model: bins})),
            "mark": {"type": "bar"},
            "encoding": {
                "color": _channel(
                    "start", "nominal", legend=_legend_spec(2), scale=scale, title="started"
                ),
                "tooltip": [
                    _tip("model"),
                    _tip("start"),
                    _tip("from_ms", "quantitative"),
                    _tip("to_ms", "quantitative"),
                    _tip("requests", "quantitative"),
                ],
                "x": _channel("from_ms", "quantitative", title="latency (ms)"),
                "x2": {"field": "to_ms"},
                "y": _channel(
                    "requests", "quantitative", aggregate="sum", stack="zero", title="requests"
                ),
            },
        }
        marks = [{"percentile": name, "ms": ms} for name, ms in percentiles.get(model, {}).items()]
        rules = {
            "data": _data(datasets, marks),
            "mark": {"type": "rule", "color": "#333333", "strokeDash": [4, 3]},
            "encoding": {
                "tooltip": [_tip("percentile"), _tip("ms", "quantitative")],
                "x": _channel("ms", "quantitative"),
            },
        }
        rows.append({"layer": [bars, rules], "height": 140, "title": model, "width": width})
    return _top(
        {
            "vconcat": rows,
            "resolve": {"scale": {"x": "shared"}},
            "title": "Latency (dashed: p50, p99)",
        },
        datasets,
    )


def bill_rows(components: Mapping[str, Mapping[str, float]]) -> list[Row]:
    rows = []
    for model, parts in components.items():
        total = money(sum(parts.values()))
        for name, usd in parts.items():
            rows.append(
                {
                    "model": model,
                    "component": bill_label(name),
                    "usd": usd,
                    "amount": money(usd),
                    "total": total,
                }
            )
    return rows


def bill_chart(
    components: Mapping[str, Mapping[str, float]], title: str = "Bill by component"
) -> Spec:
    """Stacked bar per model: what each part of the bill costs (USD)."""
    names = [k for k in BILL_COLORS if any(k in parts for parts in components.values())]
    scale = _scale([bill_label(k) for k in names], [BILL_COLORS[k] for k in names])
    datasets: dict[str, list[Row]] = {}
    chart = {
        "mark": {"type": "bar"},
        "encoding": {
            "color": _channel(
                "component", "nominal", legend=_legend_spec(1), scale=scale, title="component"
            ),
            "tooltip": [_tip("model"), _tip("component"), _tip("amount"), _tip("total")],
            "x": _channel("usd", "quantitative", aggregate="sum", title="USD"),
            "y": _channel("model", "nominal", title=None),
        },
        "height": 110,
        "title": title,
        "width": HALF_WIDTH,
    }
    # one chart in a one-row vconcat, as ``lab.web.controls.spec_of`` draws single charts
    return _top({"vconcat": [chart], "data": _data(datasets, bill_rows(components))}, datasets)


# --- a replay window --------------------------------------------------------------------


WIDE_KINDS = [k for k in LEGEND if k not in REQUEST_KINDS]
"""Spans that belong to the instance (cold-start phases, idle, queue) and fill its band."""
ROW_PX = 7
"""Height of one request's row inside an instance's band."""


def request_rows(
    spans: Sequence[Span], t0: float, t1: float, cursor: float | None = None
) -> tuple[list[Row], Slots]:
    """Spans clipped to ``[t0, t1]`` (and to what has happened by ``cursor``), each request's
    work on its own slot of its instance (``lab.view.request_rows``)."""
    slots = request_slots(spans)
    end = t1 if cursor is None else min(t1, cursor)
    rows: list[Row] = []
    for s in spans:
        a, b = max(s.start, t0), min(s.end, end)
        if b < a or s.start > end:
            continue
        mine = s.request is not None and s.kind in REQUEST_KINDS
        rows.append(
            {
                "instance": _lane_label(s.lane),
                "slot": slots.of.get((s.lane, s.request), 0) if mine else -1,
                "start": a,
                "end": b,
                "activity": LEGEND[s.kind].label,
                "request": -1 if s.request is None else s.request,
                "detail": s.detail,
            }
        )
    return rows, slots


def replay_chart(
    spans: Sequence[Span],
    lanes: Sequence[int],
    t0: float,
    t1: float,
    cursor: float | None,
    title: str,
    follow: int | None = None,
) -> Spec:
    """Exact spans in ``[t0, t1]``: one band per instance, and inside it one thin row per
    request it served at the same time (its CPU slivers and I/O waits side by side); cold-start
    phases and idle time fill the whole band. A red rule at ``cursor`` (the run as it stood
    then), and the followed request outlined."""
    rows, slots = request_rows(spans, t0, t1, cursor)
    if len(rows) > MAX_MARKS:  # keep the browser responsive on very dense windows
        rows = rows[-MAX_MARKS:]
    order = [_lane_label(lane) for lane in lanes]
    depth = max((slots.depth.get(lane, 1) for lane in lanes), default=1)
    datasets: dict[str, list[Row]] = {}
    data = _data(datasets, rows)
    x = _channel("start", "quantitative", scale={"domain": [t0, t1], "nice": False, "zero": False})
    y = _channel("instance", "nominal", sort=order, title=None, axis={"labelLimit": 90})
    colour = _channel(
        "activity", "nominal", scale=_kinds_scale(), title="activity", legend=_legend_spec(3)
    )
    tips = [_tip("instance"), _tip("activity"), _tip("request", "quantitative"), _tip("detail")]
    wide = {
        "data": data,
        "transform": [{"filter": "datum.slot < 0"}],
        "mark": {"type": "rect", "opacity": 0.85, "clip": True},
        "encoding": {
            "x": {**x, "title": "time (s)"},
            "x2": {"field": "end"},
            "y": y,
            "color": colour,
            "tooltip": tips,
        },
    }
    per_request = {
        "data": data,
        "transform": [{"filter": "datum.slot >= 0"}],
        "mark": {"type": "rect", "clip": True},
        "encoding": {
            "x": x,
            "x2": {"field": "end"},
            "y": y,
            "yOffset": _channel(
                "slot", "ordinal", scale={"domain": list(range(depth)), "paddingInner": 0.15}
            ),
            "color": colour,
            "tooltip": tips,
        },
    }
    layers: list[Spec] = [wide, per_request]
    if follow is not None:
        layers.append(
            {
                **per_request,
                "transform": [{"filter": f"datum.request == {int(follow)}"}],
                "mark": {
                    "type": "rect",
                    "clip": True,
                    "fill": None,
                    "stroke": "#111111",
                    "strokeWidth": 1.5,
                },
            }
        )
        layers.append(
            {
                **wide,
                "transform": [{"filter": f"datum.request == {int(follow)} && datum.slot < 0"}],
                "mark": {
                    "type": "rect",
                    "clip": True,
                    "fill": None,
                    "stroke": "#111111",
                    "strokeWidth": 1.5,
                },
            }
        )
    if cursor is not None and t0 <= cursor <= t1:
        layers.append(
            {
                "data": _data(datasets, [{"t": cursor, "label": seconds(cursor)}]),
                "mark": {"type": "rule", "color": "#d62728", "strokeWidth": 2},
                "encoding": {"x": _channel("t", "quantitative"), "tooltip": [_tip("label")]},
            }
        )
    band = max(depth * ROW_PX + 6, 18)
    height = max(60, min(band * max(len(order), 1), 560))
    return _top({"vconcat": [{"layer": layers, "title": title, "height": height}]}, datasets)


# --- the bill calculator ----------------------------------------------------------------


def sweep_frame(points: Sequence[SweepPoint]) -> pd.DataFrame:
    rows = [
        (p.cpu_share, model, usd, money(usd))
        for p in points
        for model, usd in p.per_million.items()
    ]
    return pd.DataFrame(rows, columns=["cpu_share", "model", "usd_per_million", "cost"])


def breakeven_chart(
    points: Sequence[SweepPoint], even: BreakEven, current_share: float | None = None
) -> alt.LayerChart:
    """Cost per million requests of each model as work becomes CPU-bound; a rule where
    Fluid stops saving, a dotted one at the scenario's own CPU share."""
    models = list(points[0].per_million) if points else []
    lines = (
        alt.Chart(sweep_frame(points))
        .mark_line(point=True)
        .encode(
            x=alt.X("cpu_share:Q", title="CPU share of request time", axis=alt.Axis(format="%")),
            y=alt.Y("usd_per_million:Q", title="USD per million requests"),
            color=alt.Color("model:N", scale=_model_scale(models), title="model", legend=_legend()),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("cpu_share:Q", format=".0%"),
                alt.Tooltip("cost:N"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    marks = []
    if even.cpu_share is not None and even.status == "crosses":
        marks.append((even.cpu_share, f"break-even {percent(even.cpu_share, 0)}", "solid"))
    if current_share is not None and not math.isnan(current_share):
        marks.append((current_share, f"this scenario {percent(current_share, 0)}", "dotted"))
    if marks:
        rules = pd.DataFrame(marks, columns=["cpu_share", "label", "style"])
        layers.append(
            alt.Chart(rules)
            .mark_rule(color="#333333")
            .encode(
                x=alt.X("cpu_share:Q"),
                strokeDash=alt.StrokeDash(
                    "style:N",
                    scale=alt.Scale(domain=["solid", "dotted"], range=[[1, 0], [2, 3]]),
                    legend=None,
                ),
                tooltip=_tips("label:N"),
            )
        )
        layers.append(
            alt.Chart(rules)
            .mark_text(align="left", dx=4, dy=-6, baseline="bottom")
            .encode(x=alt.X("cpu_share:Q"), y=alt.value(12), text=alt.Text("label:N"))
        )
    return alt.layer(*layers).properties(
        title="Where Fluid stops saving: cost as the work becomes CPU-bound",
        width=FULL_WIDTH - 40,
        height=280,
    )


def p99_sweep_chart(
    points: Sequence[LatencyPoint], even: BreakEven, current_share: float | None = None
) -> alt.LayerChart:
    """p99 latency of each model over the same CPU shares as the break-even curve above it:
    what the cheaper model costs in the slow tail."""
    rows = [
        (p.cpu_share, model, ms, duration_ms(ms)) for p in points for model, ms in p.p99_ms.items()
    ]
    frame = pd.DataFrame(rows, columns=["cpu_share", "model", "p99_ms", "p99"])
    models = list(points[0].p99_ms) if points else []
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("cpu_share:Q", title="CPU share of request time", axis=alt.Axis(format="%")),
            y=alt.Y("p99_ms:Q", title="p99 latency (ms)"),
            color=alt.Color("model:N", scale=_model_scale(models), title="model", legend=_legend()),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("cpu_share:Q", format=".0%"),
                alt.Tooltip("p99:N"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    marks = []
    if even.cpu_share is not None and even.status == "crosses":
        marks.append((even.cpu_share, "solid"))
    if current_share is not None and not math.isnan(current_share):
        marks.append((current_share, "dotted"))
    if marks:
        layers.append(
            alt.Chart(pd.DataFrame(marks, columns=["cpu_share", "style"]))
            .mark_rule(color="#333333")
            .encode(
                x=alt.X("cpu_share:Q"),
                strokeDash=alt.StrokeDash(
                    "style:N",
                    scale=alt.Scale(domain=["solid", "dotted"], range=[[1, 0], [2, 3]]),
                    legend=None,
                ),
            )
        )
    return alt.layer(*layers).properties(
        title="…and what it costs in latency: p99 at the same CPU shares",
        width=FULL_WIDTH - 40,
        height=200,
    )


def spec(chart: alt.TopLevelMixin | Spec) -> Spec:
    """The Vega-Lite spec (with data inline): what tests and exporters look at."""
    return chart if isinstance(chart, dict) else chart.to_dict()


def mark_count(chart: alt.TopLevelMixin | Spec) -> int:
    """Rows of data behind a chart's marks: an upper bound on what the browser draws."""
    datasets = spec(chart).get("datasets", {})
    return sum(len(rows) for rows in datasets.values())
