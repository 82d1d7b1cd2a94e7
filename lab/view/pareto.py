"""The keep-alive trade-off chart of "Serverless in the Wild" (Shahrad et al., ATC 2020, Fig. 15).

x: wasted memory time normalised to the fixed 10-minute keep-alive; y: the cold-start percentage
of the 75th-percentile app. Fixed keep-alives form a curve (labelled in minutes), each hybrid
histogram range is a point (labelled in hours). Built from ``PolicyPoint.row()`` dicts, so the
CLI and the web app draw the same chart; saved as PNG or SVG through vl-convert.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

FIXED_COLOUR = "#d62728"
HYBRID_COLOUR = "#2ca02c"


def _label(row: dict[str, Any]) -> str:
    seconds = float(row["parameter_s"])
    if row["kind"] == "fixed":
        return f"{seconds / 60:g} min"
    return f"hybrid {seconds / 3600:g} h"


def pareto_chart(rows: list[dict[str, Any]], title: str = "", percentile: float = 75.0) -> Any:
    """A layered Altair chart: the fixed curve with its labels, the hybrid points with theirs."""
    y_field = f"cold_pct_p{percentile:g}"
    data: list[dict[str, Any]] = []
    for r in sorted(rows, key=lambda r: (r["kind"], r["parameter_s"])):
        same = next(
            (
                d
                for d in data
                if d["kind"] == r["kind"]
                and d["memory"] == r["normalised_memory"]
                and d["cold"] == r[y_field]
            ),
            None,
        )
        if same is not None:  # one label for points that coincide ("hybrid 1 h, 2 h")
            same["label"] += ", " + _label(r).split(" ", 1)[-1]
            continue
        data.append(
            {
                "policy": r["policy"],
                "kind": r["kind"],
                "label": _label(r),
                "memory": r["normalised_memory"],
                "cold": r[y_field],
                "order": r["parameter_s"],
                "below": len([d for d in data if d["kind"] == r["kind"]]) % 2 == 1,
            }
        )
    base = alt.Chart(pd.DataFrame(data)).encode(
        x=alt.X(
            "memory:Q",
            title="wasted memory time (normalised to fixed 10 min)",
            scale=alt.Scale(zero=False, nice=True),
        ),
        y=alt.Y(
            "cold:Q",
            title=f"cold starts of the {percentile:g}th-percentile app (%)",
            scale=alt.Scale(zero=True),
        ),
        tooltip=["policy:N", "memory:Q", "cold:Q"],
    )
    fixed = base.transform_filter("datum.kind == 'fixed'")
    hybrid = base.transform_filter("datum.kind == 'hybrid'")
    colour = alt.value(FIXED_COLOUR)
    layers = [
        fixed.mark_line(color=FIXED_COLOUR).encode(order="order:Q"),
        fixed.mark_point(filled=True, size=50).encode(color=colour),
        fixed.transform_filter("!datum.below")
        .mark_text(align="left", dx=4, dy=-9, fontSize=11)
        .encode(text="label:N", color=colour),
        fixed.transform_filter("datum.below")
        .mark_text(align="left", dx=4, dy=13, fontSize=11)
        .encode(text="label:N", color=colour),
        hybrid.mark_point(shape="diamond", filled=True, size=110).encode(
            color=alt.value(HYBRID_COLOUR)
        ),
        hybrid.transform_filter("!datum.below")
        .mark_text(align="center", dy=-12, fontSize=11)
        .encode(text="label:N", color=alt.value(HYBRID_COLOUR)),
        hybrid.transform_filter("datum.below")
        .mark_text(align="center", dy=16, fontSize=11)
        .encode(text="label:N", color=alt.value(HYBRID_COLOUR)),
    ]
    return alt.layer(*layers).properties(
        width=560,
        height=360,
        title=alt.TitleParams(
            title or "Keep-alive trade-off (Shahrad et al., ATC 2020, Fig. 15)",
            subtitle=[
                "red: fixed keep-alive (minutes); green: hybrid histogram policy (range)",
                "Azure Functions trace, CC BY 4.0",
            ],
            anchor="start",
        ),
    )


def save_chart(chart: Any, path: Path) -> None:
    """Write ``chart`` as PNG or SVG (by the file's suffix) through vl-convert."""
    import vl_convert

    spec = json.dumps(chart.to_dict())
    major, minor, *_ = alt.SCHEMA_VERSION.lstrip("v").split(".")
    version = f"{major}.{minor}"
    suffix = path.suffix.lower()
    if suffix == ".png":
        path.write_bytes(bytes(vl_convert.vegalite_to_png(spec, vl_version=version, scale=2.0)))
    elif suffix == ".svg":
        path.write_text(str(vl_convert.vegalite_to_svg(spec, vl_version=version)))
    else:
        raise ValueError(f"{path}: expected a .png or .svg file name for the chart")
