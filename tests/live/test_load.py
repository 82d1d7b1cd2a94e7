"""Load through the HTTP front door: every request ends exactly once and the counts add up.

The issue's bar, 2,000 requests at 100 concurrent, with work small enough (0.5 ms of CPU and a
2-10 ms upstream wait) that each model takes a few seconds here: queueing (traditional with
too few instances), rejection and fluid packing are all in play. Marked ``load`` (deselect
with ``-m "not load"``); ``benchmarks/live_load.py`` runs the same check against a separate
`lab live` process, Ctrl-C and orphan check included.
"""

from __future__ import annotations

from collections import Counter

import pytest

from models.live.client import load_model
from models.live.runtime import LiveOptions
from models.live.server import LiveServer
from tests.helpers import make_scenario
from tests.live.helpers import assert_each_request_ends_once

REQUESTS = 2000
CONCURRENCY = 100
SCENARIO = make_scenario(
    [{"cpu": "0.5ms"}, {"io": {"dist": "uniform", "low": "2ms", "high": "10ms"}}],
    {"kind": "constant", "rate": 1000},
    requests=REQUESTS,
    platforms={
        "queued": {"preset": "traditional", "max_instances": 8},
        "rejecting": {"preset": "traditional", "max_instances": 4, "overflow": "reject"},
        "fluid": {"concurrency": 10},
    },
)


@pytest.mark.load
@pytest.mark.parametrize("model", ["queued", "rejecting", "fluid"])
async def test_every_request_ends_once_under_load(model: str, options: LiveOptions) -> None:
    async with LiveServer(SCENARIO, [model], options) as server:
        done = await load_model(server.url, SCENARIO, model, REQUESTS, float("inf"), CONCURRENCY)
    assert done.problems() == []
    kinds = assert_each_request_ends_once(done.events)
    assert sum(done.statuses.values()) == REQUESTS
    assert sum(kinds.values()) == REQUESTS
    assert done.statuses.get(200, 0) == kinds["response_sent"]
    assert done.statuses.get(503, 0) == kinds["request_rejected"]
    requests = done.result.metrics["requests"]
    assert requests["total"] == REQUESTS
    assert requests["completed"] + requests["rejected"] == REQUESTS
    started = Counter(e.kind for e in done.events)["instance_starting"]
    if model == "queued":
        assert requests["queued"] > 0 and started == 8
    elif model == "rejecting":
        assert requests["rejected"] > 0 and started == 4
    else:
        assert done.result.metrics["concurrency_per_instance"]["max"] == 10
