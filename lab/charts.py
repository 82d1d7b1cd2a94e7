"""Altair chart builders: pure functions of view-model data (``lab.view``), no Streamlit.

Every colour comes from ``lab.view.legend`` so the web charts, the TUI and the handouts agree.
Every chart stays under ~10k marks: whole runs are drawn from binned lanes
(``lab.view.series``), exact spans only inside a replay window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import altair as alt
import pandas as pd

from lab.format import money, percent, seconds
from lab.view.legend import LEGEND, OUTCOMES, bill_label
from lab.view.series import LaneBins, LatencyBin, LoadPoint, Mark
from lab.view.sweep import BreakEven, SweepPoint
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
        labelLimit=200,
        title=title if title is not None else alt.Undefined,
    )


def _lane_label(lane: int) -> str:
    return "queue" if lane == QUEUE_LANE else f"instance {lane}"


def _tips(*fields: str) -> list[alt.Tooltip]:
    """Tooltips as channel objects: Altair wraps bare strings through its schema, ~10 ms each."""
    return [alt.Tooltip(f) for f in fields]


def time_brush() -> alt.Parameter:
    """The interval on time that links the overview charts of a run."""
    return alt.selection_interval(encodings=["x"], name="time_brush")


# --- a whole run ------------------------------------------------------------------------


def lane_frame(bins: LaneBins) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "instance": [_lane_label(b.lane) for b in bins.bins],
            "start": [b.start for b in bins.bins],
            "end": [b.end for b in bins.bins],
            "activity": [LEGEND[b.kind].label for b in bins.bins],
            "cpu_share": [b.cpu_share for b in bins.bins],
            "concurrency": [round(b.busy, 2) for b in bins.bins],
        }
    )


def instance_timeline(
    bins: LaneBins,
    marks: Sequence[Mark],
    title: str,
    brush: alt.Parameter | None = None,
    width: int = FULL_WIDTH,
) -> alt.LayerChart:
    """One row per instance: what it mostly did in each time bin, plus every cold-start phase
    (exact rectangles, visible when zoomed) and every code load (dots: compile or cache hit)."""
    order = [_lane_label(lane) for lane in bins.lanes]
    x_scale = alt.Scale(domain=brush) if brush is not None else alt.Undefined
    y = alt.Y(
        "instance:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelLimit=90, labelOverlap=len(order) > 40),
    )
    height = max(40, min(14 * len(order), 600))
    activity = (
        alt.Chart(lane_frame(bins))
        .mark_rect()
        .encode(
            x=alt.X("start:Q", title="time (s)", scale=x_scale),
            x2=alt.X2("end:Q"),
            y=y,
            color=alt.Color("activity:N", scale=_kind_scale(), title="activity", legend=_legend(4)),
            tooltip=[
                alt.Tooltip("instance:N"),
                alt.Tooltip("activity:N"),
                alt.Tooltip("start:Q", format=",.1f"),
                alt.Tooltip("end:Q", format=",.1f"),
                alt.Tooltip("cpu_share:Q", format=".0%", title="CPU share of busy time"),
                alt.Tooltip("concurrency:Q", title="requests at once (mean)"),
            ],
        )
    )
    phases = pd.DataFrame(
        {
            "instance": [_lane_label(m.lane) for m in marks],
            "start": [m.start for m in marks],
            "end": [m.end for m in marks],
            "activity": [LEGEND[m.kind].label for m in marks],
            "chunk": [m.detail for m in marks],
            "ms": [round((m.end - m.start) * 1000, 1) for m in marks],
        }
    )
    phase_layer = (
        alt.Chart(phases)
        .mark_rect()
        .encode(
            x=alt.X("start:Q", scale=x_scale),
            x2=alt.X2("end:Q"),
            y=y,
            color=alt.Color("activity:N", scale=_kind_scale()),
            tooltip=_tips("instance:N", "activity:N", "chunk:N", "ms:Q"),
        )
    )
    loads = (
        alt.Chart(phases)
        .transform_filter(
            alt.FieldOneOfPredicate(
                field="activity", oneOf=[LEGEND["compile"].label, LEGEND["cache_load"].label]
            )
        )
        .mark_point(
            filled=True,
            size=max(8.0, min(30.0, (height / max(len(order), 1)) ** 2)),
            shape="diamond",
        )
        .encode(
            x=alt.X("start:Q", scale=x_scale),
            y=y,
            color=alt.Color("activity:N", scale=_kind_scale()),
            tooltip=_tips("instance:N", "activity:N", "chunk:N", "ms:Q"),
        )
    )
    chart = alt.layer(activity, phase_layer, loads).properties(
        title=title, width=width, height=height
    )
    return chart


def load_frame(series: Mapping[str, Sequence[LoadPoint]]) -> pd.DataFrame:
    rows = []
    for model, points in series.items():
        for p in points:
            rows.append((model, "instances alive", p.t, p.instances))
            rows.append((model, "requests in flight", p.t, p.in_flight))
    return pd.DataFrame(rows, columns=["model", "measure", "t", "value"])


def load_chart(
    series: Mapping[str, Sequence[LoadPoint]],
    brush: alt.Parameter | None = None,
    width: int = FULL_WIDTH,
) -> alt.Chart:
    """Instances alive and requests in flight over time (peak per bin), one colour per model;
    drag on it to zoom the instance timelines above."""
    chart = (
        alt.Chart(load_frame(series))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("t:Q", title="time (s)"),
            y=alt.Y("value:Q", title="count (peak)"),
            stroke=alt.Stroke(
                "model:N", scale=_model_scale(list(series)), title="model", legend=_legend()
            ),
            strokeDash=alt.StrokeDash("measure:N", title=None, legend=_legend()),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("measure:N"),
                alt.Tooltip("t:Q", format=",.1f"),
                alt.Tooltip("value:Q"),
            ],
        )
        .properties(
            title="Instances and concurrency over time (drag to zoom the timelines)",
            width=width,
            height=150,
        )
    )
    if brush is not None:
        chart = chart.add_params(brush)
    return chart


def run_overview(
    lanes: Mapping[str, tuple[LaneBins, Sequence[Mark]]],
    series: Mapping[str, Sequence[LoadPoint]],
    width: int = FULL_WIDTH,
) -> alt.VConcatChart:
    """The linked figure: an instance timeline per model above the load chart, which carries
    the brush that zooms them all. The timelines share one time axis (so the same instant is
    at the same place in both) and one activity legend, drawn under them."""
    brush = time_brush()
    timelines = alt.vconcat(
        *[
            instance_timeline(bins, marks, f"{model}: instances", brush, width)
            for model, (bins, marks) in lanes.items()
        ]
    ).resolve_scale(x="shared")
    return alt.vconcat(timelines, load_chart(series, brush, width)).resolve_legend(
        color="independent"
    )


def latency_frame(hists: Mapping[str, Sequence[LatencyBin]]) -> pd.DataFrame:
    rows = [
        (model, b.start_ms, b.end_ms, OUTCOMES[b.start].label, b.count)
        for model, bins in hists.items()
        for b in bins
    ]
    return pd.DataFrame(rows, columns=["model", "from_ms", "to_ms", "start", "requests"])


def latency_chart(
    hists: Mapping[str, Sequence[LatencyBin]],
    percentiles: Mapping[str, Mapping[str, float]],
    width: int = HALF_WIDTH,
) -> alt.VConcatChart:
    """Latency distribution per model, stacked by how requests started, with dashed p50/p99
    rules at the run's reported percentiles."""
    starts = ["warm", "cold", "joined"]
    scale = alt.Scale(
        domain=[OUTCOMES[s].label for s in starts], range=[OUTCOMES[s].color for s in starts]
    )
    rows = []
    for model, bins in hists.items():
        bars = (
            alt.Chart(latency_frame({model: bins}))
            .mark_bar()
            .encode(
                x=alt.X("from_ms:Q", title="latency (ms)"),
                x2=alt.X2("to_ms:Q"),
                y=alt.Y("sum(requests):Q", title="requests", stack="zero"),
                color=alt.Color("start:N", scale=scale, title="started", legend=_legend(2)),
                tooltip=_tips("model:N", "start:N", "from_ms:Q", "to_ms:Q", "requests:Q"),
            )
        )
        marks = pd.DataFrame(
            [(name, ms) for name, ms in percentiles.get(model, {}).items()],
            columns=["percentile", "ms"],
        )
        rules = (
            alt.Chart(marks)
            .mark_rule(strokeDash=[4, 3], color="#333333")
            .encode(x=alt.X("ms:Q"), tooltip=_tips("percentile:N", "ms:Q"))
        )
        rows.append(alt.layer(bars, rules).properties(title=model, width=width, height=140))
    return (
        alt.vconcat(*rows)
        .resolve_scale(x="shared")
        .properties(title="Latency distribution (dashed: p50 and p99)")
    )


def bill_frame(components: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    rows = []
    for model, parts in components.items():
        total = sum(parts.values())
        for name, usd in parts.items():
            label = bill_label(name)
            rows.append((model, label, usd, money(usd), money(total)))
    return pd.DataFrame(rows, columns=["model", "component", "usd", "amount", "total"])


def bill_chart(
    components: Mapping[str, Mapping[str, float]], title: str = "Bill by component"
) -> alt.Chart:
    """Stacked bar per model: what each part of the bill costs (USD)."""
    names = [k for k in BILL_COLORS if any(k in parts for parts in components.values())]
    scale = alt.Scale(domain=[bill_label(k) for k in names], range=[BILL_COLORS[k] for k in names])
    return (
        alt.Chart(bill_frame(components))
        .mark_bar()
        .encode(
            y=alt.Y("model:N", title=None),
            x=alt.X("sum(usd):Q", title="USD"),
            color=alt.Color("component:N", scale=scale, title="component", legend=_legend(2)),
            tooltip=_tips("model:N", "component:N", "amount:N", "total:N"),
        )
        .properties(title=title, width=HALF_WIDTH, height=110)
    )


# --- a replay window --------------------------------------------------------------------


def window_frame(spans: Sequence[Span], t0: float, t1: float, cursor: float) -> pd.DataFrame:
    """Spans clipped to what has happened by ``cursor`` inside ``[t0, t1]``."""
    rows = []
    for s in spans:
        a, b = max(s.start, t0), min(s.end, t1, cursor)
        if b < a or s.start > cursor:
            continue
        rows.append(
            (
                _lane_label(s.lane),
                a,
                b,
                LEGEND[s.kind].label,
                -1 if s.request is None else s.request,
                s.detail,
                s.end > cursor,
            )
        )
    # I/O under CPU, so a computing request shows on top of its neighbours' waits
    rows.sort(key=lambda r: r[3] == LEGEND["cpu"].label)
    return pd.DataFrame(
        rows, columns=["instance", "start", "end", "activity", "request", "detail", "running"]
    )


def replay_chart(
    spans: Sequence[Span],
    lanes: Sequence[int],
    t0: float,
    t1: float,
    cursor: float,
    title: str,
    width: int = FULL_WIDTH,
) -> alt.LayerChart:
    """The run as it stood at ``cursor``: exact spans in the window, a rule at the cursor."""
    frame = window_frame(spans, t0, t1, cursor)
    if len(frame) > MAX_MARKS:  # keep the browser responsive on very dense windows
        frame = frame.iloc[-MAX_MARKS:]
    order = [_lane_label(lane) for lane in lanes]
    x = alt.X("start:Q", title="time (s)", scale=alt.Scale(domain=[t0, t1], nice=False))
    y = alt.Y("instance:N", sort=order, title=None)
    spans_layer = (
        alt.Chart(frame)
        .mark_rect(opacity=0.85)
        .encode(
            x=x,
            x2=alt.X2("end:Q"),
            y=y,
            color=alt.Color("activity:N", scale=_kind_scale(), title="activity", legend=_legend(4)),
            tooltip=_tips("instance:N", "activity:N", "request:Q", "detail:N"),
        )
    )
    cursor_layer = (
        alt.Chart(pd.DataFrame({"t": [cursor], "label": [seconds(cursor)]}))
        .mark_rule(color="#d62728", strokeWidth=2)
        .encode(
            x=alt.X("t:Q", scale=alt.Scale(domain=[t0, t1], nice=False)),
            tooltip=_tips("label:N"),
        )
    )
    height = max(60, min(22 * max(len(order), 1), 440))
    return alt.layer(spans_layer, cursor_layer).properties(title=title, width=width, height=height)


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


def spec(chart: alt.TopLevelMixin) -> dict[str, object]:
    """The Vega-Lite spec (with data inline): what tests and exporters look at."""
    return chart.to_dict()


def mark_count(chart: alt.TopLevelMixin) -> int:
    """Rows of data behind a chart's marks: an upper bound on what the browser draws."""
    specification = chart.to_dict()
    datasets = specification.get("datasets", {})
    return sum(len(rows) for rows in datasets.values())
