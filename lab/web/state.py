"""The web app's state and caches: which scenario is loaded, where the knobs stand, and the
simulations, kept so a rerun with the same scenario costs nothing.

* The *base* scenario (a built-in, an upload or an edit) and the *knobs* live in
  ``st.session_state``; ``current_scenario()`` is the base with the knobs applied
  (``lab.view.whatif``), the one every page shows.
* Simulations are cached keyed by the frozen ``Scenario`` (hashed by its ``fingerprint()``):
  what the playground draws, already aggregated, in ``st.cache_data`` (both models simulated
  side by side in worker processes, ``lab.web.side_by_side``), and a replayed model's run with
  its events in ``st.cache_resource`` (read-only, and too big to copy on every hit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from lab import heap
from lab.view import Timeline, build_timeline
from lab.view.series import (
    LaneBins,
    LatencyBin,
    LoadPoint,
    Mark,
    cold_start_marks,
    drawn_lanes,
    lane_bins,
    latency_edges,
    latency_histogram,
    load_series,
)
from lab.view.sweep import ModelCost, SweepPoint, cpu_share_sweep, monthly_costs
from lab.view.sweep_latency import LatencyPoint, cost_and_latency_sweep
from lab.view.whatif import COMPARED, Knobs, apply_knobs, read_knobs, with_compared_models
from lab.web.side_by_side import run_laid_out, warm_up
from models.loading import DEFAULT_SCENARIO, builtin_scenario
from models.run import RunResult, simulate, simulate_model
from models.scenario import Scenario

BASE = "lab.base"
BASE_SOURCE = "lab.base_source"
KNOBS = "lab.knobs"
KNOB_PREFIX = "knob."
"""Widget keys of the what-if controls; dropped when another scenario is loaded."""

HASH_FUNCS: dict[Any, Any] = {Scenario: lambda s: s.fingerprint()}

OVERVIEW_MARKS = 9_000
"""Rows of data behind the playground's linked run overview (kept under ``charts.MAX_MARKS``)."""


_settled = False


def settle_heap() -> None:
    """Once per process: the heap settled (``lab.heap``: frozen after imports, collected
    less often), and the side-by-side workers started while the first page draws."""
    global _settled
    if _settled:
        return
    _settled = True
    import altair  # noqa: F401  (every page draws with it: freeze it with the rest)
    import pandas  # noqa: F401

    heap.settle()
    warm_up()  # and start the side-by-side workers while the first page draws


# --- session state ----------------------------------------------------------------------


def init_state() -> None:
    """Open on the built-in default scenario."""
    if BASE not in st.session_state:
        set_base(builtin_scenario(DEFAULT_SCENARIO), f"built-in {DEFAULT_SCENARIO}")


def set_base(scenario: Scenario, source: str) -> None:
    scenario = with_compared_models(scenario)
    st.session_state[BASE] = scenario
    st.session_state[BASE_SOURCE] = source
    st.session_state[KNOBS] = read_knobs(scenario)
    for key in [k for k in st.session_state if str(k).startswith(KNOB_PREFIX)]:
        del st.session_state[key]


def base_scenario() -> Scenario:
    init_state()
    return st.session_state[BASE]  # type: ignore[no-any-return]


def base_source() -> str:
    init_state()
    return str(st.session_state[BASE_SOURCE])


def knobs() -> Knobs:
    init_state()
    return st.session_state[KNOBS]  # type: ignore[no-any-return]


def set_knobs(value: Knobs) -> None:
    st.session_state[KNOBS] = value


def current_scenario() -> Scenario:
    """The loaded scenario with the what-if knobs applied."""
    return _applied(base_scenario(), knobs())


@st.cache_data(max_entries=64, hash_funcs=HASH_FUNCS, show_spinner=False)
def _applied(scenario: Scenario, values: Knobs) -> Scenario:
    return apply_knobs(scenario, values)


# --- simulations ------------------------------------------------------------------------


def run(scenario: Scenario) -> RunResult:
    """Traditional and fluid on the same requests, events kept, in this process (what the
    playground's stages cost one after the other; ``benchmarks/web_rerun.py --stages``)."""
    return simulate(scenario, models=COMPARED)


@st.cache_resource(max_entries=4, hash_funcs=HASH_FUNCS, show_spinner=False)
def replay_timeline(scenario: Scenario, model: str) -> Timeline:
    """A model's run laid out for replay, with its running meters (which need its events:
    simulated here, only the model replayed). Few entries: a 10,000-request streaming run
    keeps millions of events."""
    return build_timeline(simulate_model(scenario, model))


@dataclass(frozen=True, slots=True)
class PlaygroundView:
    """Everything the playground draws for one scenario, aggregated (small, picklable)."""

    summaries: dict[str, dict[str, Any]]
    bills: dict[str, dict[str, float]]
    lanes: dict[str, tuple[LaneBins, list[Mark]]]
    load: dict[str, list[LoadPoint]]
    latency: dict[str, list[LatencyBin]]
    percentiles: dict[str, dict[str, float]]
    end_time: float


def lay_out(result: RunResult) -> dict[str, Timeline]:
    """Each model's run laid out (no running meters: the playground draws the whole run)."""
    return {
        name: build_timeline(model.events or [], model.end_time)
        for name, model in result.models.items()
    }


def aggregate(result: RunResult, timelines: dict[str, Timeline]) -> PlaygroundView:
    """What the playground draws, from the runs and their timelines."""
    edges = latency_edges(list(timelines.values()))
    load = {name: load_series(t) for name, t in timelines.items()}
    marks = {name: cold_start_marks(t, drawn_lanes(t)[0]) for name, t in timelines.items()}
    # what is left of the overview's mark budget once the exact marks and the load lines are in
    left = OVERVIEW_MARKS - sum(map(len, marks.values())) - 2 * sum(map(len, load.values()))
    lanes = {
        name: (lane_bins(timeline, max_marks=max(left // len(timelines), 500)), marks[name])
        for name, timeline in timelines.items()
    }
    return PlaygroundView(
        summaries={name: m.summary() for name, m in result.models.items()},
        bills={name: dict(m.bill.components) for name, m in result.models.items()},
        lanes=lanes,
        load=load,
        latency={name: latency_histogram(t, edges) for name, t in timelines.items()},
        percentiles={
            name: {
                "p50": m.metrics["latency_ms"]["p50"],
                "p99": m.metrics["latency_ms"]["p99"],
            }
            for name, m in result.models.items()
        },
        end_time=max(m.end_time for m in result.models.values()),
    )


def chart_specs(view: PlaygroundView) -> dict[str, dict[str, Any]]:
    """The playground's charts as Vega-Lite specs."""
    from lab import charts

    return {
        "timeline": charts.run_overview(view.lanes, view.load),
        "latency": charts.latency_chart(view.latency, view.percentiles),
        "bill": charts.bill_chart(view.bills),
    }


@st.cache_resource(max_entries=4, hash_funcs=HASH_FUNCS, show_spinner=False)
def laid_out(scenario: Scenario) -> tuple[RunResult, dict[str, Timeline]]:
    """Both models simulated and laid out side by side (``lab.web.side_by_side``), kept (read
    only) so a zoom into the Playground's timelines bins its range without simulating again."""
    return run_laid_out(scenario, COMPARED)


@st.cache_data(max_entries=16, hash_funcs=HASH_FUNCS, show_spinner=False)
def playground_view(scenario: Scenario) -> PlaygroundView:
    """What the Playground draws of both models' runs, aggregated."""
    return aggregate(*laid_out(scenario))


@st.cache_data(max_entries=16, hash_funcs=HASH_FUNCS, show_spinner=False)
def playground_specs(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The playground's charts, built once per scenario."""
    return chart_specs(playground_view(scenario))


@st.cache_data(max_entries=32, hash_funcs=HASH_FUNCS, show_spinner=False)
def monthly(scenario: Scenario, requests_per_month: float, sample: int) -> dict[str, ModelCost]:
    return monthly_costs(scenario, requests_per_month, sample)


@st.cache_data(max_entries=16, hash_funcs=HASH_FUNCS, show_spinner=False)
def sweep(scenario: Scenario, requests_per_month: float, sample: int) -> list[SweepPoint]:
    return cpu_share_sweep(scenario, requests_per_month, sample=sample)


@st.cache_data(max_entries=16, hash_funcs=HASH_FUNCS, show_spinner=False)
def sweep_with_latency(
    scenario: Scenario, requests_per_month: float, sample: int
) -> tuple[list[SweepPoint], list[LatencyPoint]]:
    """The bill page's sweep: cost per million and p99 at each CPU share, one run each."""
    return cost_and_latency_sweep(scenario, requests_per_month, sample=sample)
