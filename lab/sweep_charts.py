"""Charts of a sweep's tidy table (altair), shared by ``lab sweep`` and the web app.

Seeds are averaged before plotting (one mark per x value and line), so a chart stays far below
the ~10k marks a browser handles well whatever the sweep's size.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from models.sweep import ChartSpec, SweepSpec


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


def chart(frame: pd.DataFrame, spec: ChartSpec, title: str = "") -> alt.Chart:
    """Mean of ``y`` over seeds, against ``x``; a line per ``color``, a panel per ``facet``."""
    keys = [k for k in (spec.x, spec.color, spec.facet) if k]
    missing = [k for k in [*keys, spec.y] if k not in frame.columns]
    if missing:
        raise ValueError(f"chart column(s) {missing} not in the table: {list(frame.columns)}")
    data = frame.groupby(keys, as_index=False, dropna=False)[spec.y].mean()
    data = data.rename(columns={k: k.replace(".", "_") for k in data.columns})

    def field(name: str) -> str:
        return name.replace(".", "_")

    x_type = "Q" if pd.api.types.is_numeric_dtype(data[field(spec.x)]) else "O"
    encoding: dict[str, Any] = {
        "x": alt.X(f"{field(spec.x)}:{x_type}", title=spec.x),
        "y": alt.Y(f"{field(spec.y)}:Q", title=spec.y),
        "tooltip": [field(k) for k in [*keys, spec.y]],
    }
    if spec.color:
        encoding["color"] = alt.Color(f"{field(spec.color)}:N", title=spec.color)
    base = alt.Chart(data, title=title or f"{spec.y} over {spec.x}").mark_line(point=True)
    result = base.encode(**encoding)
    if spec.facet:
        result = result.facet(column=alt.Column(f"{field(spec.facet)}:N", title=spec.facet))
    return result  # type: ignore[no-any-return]


def charts(frame: pd.DataFrame, spec: SweepSpec) -> list[tuple[ChartSpec, alt.Chart]]:
    return [(c, chart(frame, c, f"{spec.title or spec.name}: {c.y}")) for c in default_charts(spec)]
