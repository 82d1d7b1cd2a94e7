"""``FrameIndex(timeline).at(t)``, the TUI's indexed ``state_at``, draws the same frames."""

from __future__ import annotations

import random

import pytest

from lab.view import build_timeline, state_at
from lab.view.frame import FrameIndex
from models.loading import builtin_scenario
from models.run import simulate


@pytest.mark.parametrize(
    ("name", "requests"),
    [
        ("db-api", 300),  # cold starts, overlap on Fluid, I/O
        ("lesson07-bursts", None),  # max instances: a queue
        ("lesson09-wait-until", 200),  # background work after the response
        ("bundle-800kb", 100),  # code-load phases, lazily loaded chunks
    ],
)
def test_indexed_frames_equal_state_at(name: str, requests: int | None) -> None:
    scenario = builtin_scenario(name)
    if requests is not None:
        scenario = scenario.with_changes(**{"workload.requests": requests})
    rng = random.Random(7)
    for model, result in simulate(scenario).models.items():
        timeline = build_timeline(result)
        index = FrameIndex(timeline)
        spans = timeline.spans
        times = [rng.uniform(-1.0, timeline.end_time + 1.0) for _ in range(40)]
        times += [s.start for s in rng.sample(spans, min(30, len(spans)))]  # edges exactly
        times += [s.end for s in rng.sample(spans, min(30, len(spans)))]
        for t in times:
            assert index.at(t) == state_at(timeline, t), (model, t)
