"""Load through the HTTP front door: every request ends exactly once and the counts add up.

The full 2,000 requests at 100 concurrent is ``benchmarks/live_load.py``; this is the same
check at a size that keeps the suite fast, with queueing and rejection in play.
"""

from __future__ import annotations

from collections import Counter

import pytest

from models.live.client import load_model
from models.live.runtime import LiveOptions
from models.live.server import LiveServer
from tests.helpers import make_scenario
from tests.live.helpers import assert_each_request_ends_once

SCENARIO = make_scenario(
    [{"cpu": "1ms"}, {"io": {"dist": "uniform", "low": "5ms", "high": "30ms"}}],
    {"kind": "constant", "rate": 1000},
    requests=300,
    platforms={
        "queued": {"preset": "traditional", "max_instances": 8},
        "rejecting": {"preset": "traditional", "max_instances": 4, "overflow": "reject"},
        "fluid": {"concurrency": 10},
    },
)


@pytest.mark.parametrize("model", ["queued", "rejecting", "fluid"])
async def test_every_request_ends_once_under_load(model: str, options: LiveOptions) -> None:
    async with LiveServer(SCENARIO, [model], options) as server:
        done = await load_model(server.url, SCENARIO, model, 300, float("inf"), 50)
    kinds = assert_each_request_ends_once(done.events)
    assert sum(done.statuses.values()) == 300
    assert sum(kinds.values()) == 300
    assert done.statuses.get(200, 0) == kinds["response_sent"]
    assert done.statuses.get(503, 0) == kinds["request_rejected"]
    requests = done.result.metrics["requests"]
    assert requests["total"] == 300
    assert requests["completed"] + requests["rejected"] == 300
    started = Counter(e.kind for e in done.events)["instance_starting"]
    if model == "queued":
        assert requests["queued"] > 0 and started == 8
    elif model == "rejecting":
        assert requests["rejected"] > 0 and started == 4
    else:
        assert done.result.metrics["concurrency_per_instance"]["max"] == 10
