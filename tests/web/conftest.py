"""Helpers for the web app's tests: AppTest on the real entry point, chart specs, metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).parents[2]
APP = ROOT / "lab" / "app.py"
TIMEOUT = 120  # a cold simulation of the default scenario takes a few seconds on 2 busy cores


@pytest.fixture
def app() -> AppTest:
    """The app as a browser first sees it (the Playground, on the default scenario)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"web/pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def deltas(at: AppTest) -> dict[str, str]:
    return {m.label: m.proto.delta for m in at.metric}


def headlines(at: AppTest, field: str = "value") -> dict[str, dict[str, str]]:
    """The headline numbers by model: each model's block opens with its name in bold, and its
    labels do not repeat it. ``field="delta"`` gives the deltas instead of the values."""
    out: dict[str, dict[str, str]] = {}
    model = None
    for node in at.main:
        if node.type == "markdown" and str(node.value).startswith("**"):
            model = str(node.value)[2:].split("**")[0]
        elif node.type == "metric" and model is not None:
            shown = node.value if field == "value" else node.proto.delta
            out.setdefault(model, {})[node.label] = shown
    return out


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def chart_datasets(at: AppTest, index: int = 0) -> dict[str, list[dict[str, Any]]]:
    """The rows behind a drawn chart, by dataset name (Streamlit moves them out of the spec
    into the element, as Arrow)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    chart = at.get("vega_lite_chart")[index]
    return {
        dataset.name: convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records")
        for dataset in chart.proto.datasets
    }


def _walk(spec: Any) -> Iterator[dict[str, Any]]:
    if isinstance(spec, dict):
        if "encoding" in spec:
            yield spec
        for value in spec.values():
            yield from _walk(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _walk(value)


def encodings(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """Every ``(channel, field)`` any view of the spec encodes (layers and concats included)."""
    found = set()
    for view in _walk(spec):
        for channel, enc in view["encoding"].items():
            items = enc if isinstance(enc, list) else [enc]
            for item in items:
                if isinstance(item, dict) and "field" in item:
                    found.add((channel, item["field"]))
    return found


def colour_scales(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        view["encoding"]["color"]["scale"]
        for view in _walk(spec)
        if "scale" in view["encoding"].get("color", {})
    ]


def titles(spec: Any) -> list[str]:
    out: list[str] = []
    if isinstance(spec, dict):
        title = spec.get("title")
        if isinstance(title, str):
            out.append(title)
        for value in spec.values():
            out.extend(titles(value))
    elif isinstance(spec, list):
        for value in spec:
            out.extend(titles(value))
    return out
