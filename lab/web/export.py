"""Files a user can take away from the web app: charts as PNG/SVG, numbers as CSV.

Plain functions (no Streamlit), so they are tested directly; the pages hand them to
``st.download_button`` as callables, so a chart is only rendered when someone asks for it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

import altair as alt
import vl_convert

from lab.report_rows import comparison_rows

Chart = alt.TopLevelMixin | dict[str, Any]
"""An Altair chart or a Vega-Lite spec (``chart.to_dict()``)."""


def _json(chart: Chart) -> str:
    return json.dumps(chart) if isinstance(chart, dict) else str(chart.to_json())


def chart_svg(chart: Chart) -> str:
    return str(vl_convert.vegalite_to_svg(_json(chart), vl_version=_vl_version()))


def chart_png(chart: Chart, scale: float = 2.0) -> bytes:
    return bytes(vl_convert.vegalite_to_png(_json(chart), vl_version=_vl_version(), scale=scale))


def _vl_version() -> str:
    """The Vega-Lite version Altair writes, as vl-convert names it (``v6.4.1`` -> ``6.4``)."""
    major, minor, *_ = alt.SCHEMA_VERSION.lstrip("v").split(".")
    return f"{major}.{minor}"


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out[prefix] = value


def summary_csv(summaries: Mapping[str, Mapping[str, Any]], scenario: str = "") -> str:
    """Every number of a run, one row per metric, one column per model (full precision)."""
    flat = {}
    for model, summary in summaries.items():
        flat[model] = {}
        _flatten("", summary, flat[model])
    keys: list[str] = []
    for values in flat.values():
        keys.extend(k for k in values if k not in keys)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["scenario", "metric", *flat])
    for key in keys:
        writer.writerow([scenario, key, *(flat[m].get(key, "") for m in flat)])
    return buffer.getvalue()


def comparison_csv(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """The side-by-side report as people read it (``lab.report_rows``), as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["", *summaries])
    writer.writerows(comparison_rows(dict(summaries)))
    return buffer.getvalue()


def rows_csv(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
