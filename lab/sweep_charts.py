"""Charts of a sweep's tidy table (altair), shared by ``lab sweep`` and the web app.

Seeds are averaged before plotting (one mark per x value and line), so a chart stays far below
the ~10k marks a browser handles well whatever the sweep's size. Nothing else that tells rows
apart is averaged silently: when the platform ``model`` or keep-alive ``policy`` varies but is
on no axis of the chart, the chart gets one row of panels per value (a traditional bill and a
fluid bill are never averaged into one number), and the subtitle says what was averaged. Knob
values are the sweep's validated numbers (``"10min"`` is 600 s), so axes sort as numbers, with
the unit in the axis title; values that are not numbers keep the grid's order.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from lab.charts import MODEL_COLORS
from models.sweep import ChartSpec, Knob, SweepSpec

SPLIT_BY = ("model", "policy")
"""Columns a chart never averages over: panels per value when they are on no axis."""

COLUMN_LABELS = {
    "model": "platform model",
    "policy": "keep-alive policy",
    "seed": "seed",
    "requests": "requests",
    "completed": "requests completed",
    "rejected": "requests refused",
    "timed_out": "requests timed out",
    "cold_starts": "cold starts",
    "cold_share": "share of requests that met a cold start",
    "latency_p50_ms": "latency p50 (ms)",
    "latency_p99_ms": "latency p99 (ms)",
    "instances_max": "instances (max)",
    "idle_gb_s": "idle memory (GB-s)",
    "bill_usd": "bill (USD)",
}
"""What a student reads for the table's columns (the table keeps its field names)."""


def column_label(column: str, labels: dict[str, str] | None = None) -> str:
    """A column's name on screen: the caller's label (a knob's), a known one, else the
    last part of the path with underscores as spaces (``platforms.fluid.concurrency`` ->
    ``fluid concurrency``)."""
    if labels and column in labels:
        return labels[column]
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    if column.startswith("bill_") and column.endswith("_usd"):
        return f"bill: {column[5:-4].replace('_', ' ')} (USD)"
    parts = column.split(".")
    if parts[0] == "platforms" and len(parts) >= 3:
        return f"{parts[1]}: {' '.join(parts[2:]).replace('_', ' ')}"
    return parts[-1].replace("_", " ")


def default_charts(spec: SweepSpec) -> list[ChartSpec]:
    """Bill and cold-start share over the first knob, one line per model (and policy)."""
    if spec.charts:
        return list(spec.charts)
    knobs = list(spec.grid)
    x = knobs[0]
    facet = knobs[1] if len(knobs) > 1 else None
    color = "policy" if x != "policy" and "policy" in knobs else "model"
    return [
        ChartSpec(x=x, y="bill_usd", color=color, facet=facet),
        ChartSpec(x=x, y="cold_share", color=color, facet=facet),
    ]


def _field(name: str) -> str:
    return name.replace(".", "_")  # altair reads dots as nested fields


def _order(frame: pd.DataFrame, column: str, knobs: dict[str, Knob]) -> list[Any]:
    """A column's values in grid order (the knob's), else in plan order (first seen)."""
    seen = frame[column].drop_duplicates().tolist()
    knob = knobs.get(column)
    if knob is None:
        return seen
    ordered = [v for v in dict.fromkeys(knob.values) if v in seen]
    return ordered + [v for v in seen if v not in ordered]


def _title(column: str, knobs: dict[str, Knob], labels: dict[str, str] | None = None) -> str:
    knob = knobs.get(column)
    name = column_label(column, labels)
    return f"{name} ({knob.unit})" if knob is not None and knob.unit else name


def chart(
    frame: pd.DataFrame,
    spec: ChartSpec,
    title: str = "",
    knobs: dict[str, Knob] | None = None,
    labels: dict[str, str] | None = None,
) -> alt.Chart:
    """Mean of ``y`` over seeds, against ``x``; a line per ``color``, a panel per ``facet``,
    and a row of panels per ``model`` / ``policy`` when those vary but are on no axis."""
    knobs = knobs or {}
    keys = [k for k in dict.fromkeys((spec.x, spec.color, spec.facet)) if k]
    missing = [k for k in [*keys, spec.y] if k not in frame.columns]
    if missing:
        raise ValueError(f"chart column(s) {missing} not in the table: {list(frame.columns)}")
    if "point" in frame.columns:
        frame = frame.sort_values("point", kind="stable")  # plan order = grid order
    split = [
        c
        for c in SPLIT_BY
        if c in frame.columns and c not in keys and frame[c].nunique(dropna=False) > 1
    ]
    group = [*keys, *split]
    data = frame.groupby(group, as_index=False, dropna=False, sort=False)[spec.y].mean()
    averaged = [
        k
        for k in [*knobs, "seed"]
        if k in frame.columns and k not in group and k != spec.y and frame[k].nunique() > 1
    ]
    orders = {k: _order(frame, k, knobs) for k in group}
    data = data.rename(columns={k: _field(k) for k in data.columns})
    row = None
    if split:
        split_labels = data[[_field(c) for c in split]].astype(str).agg(" · ".join, axis=1)
        data["split"] = split_labels
        row_order = [
            " · ".join(str(v) for v in combo)
            for combo in frame[split].drop_duplicates().itertuples(index=False)
        ]
        title_row = " · ".join(column_label(c, labels) for c in split)
        row = alt.Row("split:N", title=title_row, sort=row_order)

    x_numeric = pd.api.types.is_numeric_dtype(data[_field(spec.x)])
    x_axis = (
        alt.X(f"{_field(spec.x)}:Q", title=_title(spec.x, knobs, labels))
        if x_numeric
        else alt.X(f"{_field(spec.x)}:O", title=_title(spec.x, knobs, labels), sort=orders[spec.x])
    )
    encoding: dict[str, Any] = {
        "x": x_axis,
        "y": alt.Y(f"{_field(spec.y)}:Q", title=column_label(spec.y, labels)),
        "tooltip": [_field(k) for k in [*group, spec.y]],
    }
    if spec.color:
        colours: dict[str, Any] = {}
        if spec.color == "model":  # the models' colours of every other chart of the lab
            models = orders[spec.color]
            colours["scale"] = alt.Scale(
                domain=models, range=[MODEL_COLORS.get(str(m), "#7f7f7f") for m in models]
            )
        encoding["color"] = alt.Color(
            f"{_field(spec.color)}:N",
            title=_title(spec.color, knobs, labels),
            sort=orders[spec.color],
            legend=alt.Legend(orient="bottom", labelLimit=200),
            **colours,
        )
    subtitle = (
        f"mean over {', '.join(column_label(k, labels) for k in averaged)}" if averaged else ""
    )
    heading = alt.TitleParams(
        title or f"{column_label(spec.y, labels)} over {column_label(spec.x, labels)}",
        subtitle=subtitle,
    )
    result = alt.Chart(data).mark_line(point=True).encode(**encoding)
    if spec.facet or row is not None:
        facets: dict[str, Any] = {}
        if spec.facet:
            facets["column"] = alt.Column(
                f"{_field(spec.facet)}:N",
                title=_title(spec.facet, knobs, labels),
                sort=orders[spec.facet],
            )
        if row is not None:
            facets["row"] = row
        result = result.facet(**facets)
    return result.properties(title=heading)  # type: ignore[no-any-return]


def charts(
    frame: pd.DataFrame,
    spec: SweepSpec,
    knobs: dict[str, Knob] | None = None,
    labels: dict[str, str] | None = None,
) -> list[tuple[ChartSpec, alt.Chart]]:
    """Each chart of the sweep, titled in words (``labels``: names for the knobs' paths)."""
    return [
        (
            c,
            chart(
                frame, c, f"{spec.title or spec.name}: {column_label(c.y, labels)}", knobs, labels
            ),
        )
        for c in default_charts(spec)
    ]
