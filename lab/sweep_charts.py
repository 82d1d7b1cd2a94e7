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

from models.sweep import ChartSpec, Knob, SweepSpec

SPLIT_BY = ("model", "policy")
"""Columns a chart never averages over: panels per value when they are on no axis."""


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


def _title(column: str, knobs: dict[str, Knob]) -> str:
    knob = knobs.get(column)
    return f"{column} ({knob.unit})" if knob is not None and knob.unit else column


def chart(
    frame: pd.DataFrame,
    spec: ChartSpec,
    title: str = "",
    knobs: dict[str, Knob] | None = None,
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
        labels = data[[_field(c) for c in split]].astype(str).agg(" · ".join, axis=1)
        data["split"] = labels
        row_order = [
            " · ".join(str(v) for v in combo)
            for combo in frame[split].drop_duplicates().itertuples(index=False)
        ]
        title_row = " · ".join(split)
        row = alt.Row("split:N", title=title_row, sort=row_order)

    x_numeric = pd.api.types.is_numeric_dtype(data[_field(spec.x)])
    x_axis = (
        alt.X(f"{_field(spec.x)}:Q", title=_title(spec.x, knobs))
        if x_numeric
        else alt.X(f"{_field(spec.x)}:O", title=_title(spec.x, knobs), sort=orders[spec.x])
    )
    encoding: dict[str, Any] = {
        "x": x_axis,
        "y": alt.Y(f"{_field(spec.y)}:Q", title=spec.y),
        "tooltip": [_field(k) for k in [*group, spec.y]],
    }
    if spec.color:
        encoding["color"] = alt.Color(
            f"{_field(spec.color)}:N", title=_title(spec.color, knobs), sort=orders[spec.color]
        )
    subtitle = f"mean over {', '.join(averaged)}" if averaged else ""
    heading = alt.TitleParams(title or f"{spec.y} over {spec.x}", subtitle=subtitle)
    result = alt.Chart(data).mark_line(point=True).encode(**encoding)
    if spec.facet or row is not None:
        facets: dict[str, Any] = {}
        if spec.facet:
            facets["column"] = alt.Column(
                f"{_field(spec.facet)}:N",
                title=_title(spec.facet, knobs),
                sort=orders[spec.facet],
            )
        if row is not None:
            facets["row"] = row
        result = result.facet(**facets)
    return result.properties(title=heading)  # type: ignore[no-any-return]


def charts(
    frame: pd.DataFrame, spec: SweepSpec, knobs: dict[str, Knob] | None = None
) -> list[tuple[ChartSpec, alt.Chart]]:
    return [
        (c, chart(frame, c, f"{spec.title or spec.name}: {c.y}", knobs))
        for c in default_charts(spec)
    ]
