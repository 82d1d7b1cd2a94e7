"""The in-process event feed front ends use: events arrive on a queue as they happen."""

from __future__ import annotations

import json
import urllib.request

from models.live.runtime import LiveOptions
from models.live.session import LiveSession
from tests.helpers import make_scenario


def test_session_streams_events_from_http_and_replays(options: LiveOptions) -> None:
    sc = make_scenario(
        [{"cpu": "2ms"}, {"io": "10ms"}],
        {"kind": "constant", "rate": 100},
        requests=5,
        platforms={"fluid": {}},
    )
    with LiveSession(sc, options=options) as session:
        feed = session.subscribe()
        with urllib.request.urlopen(session.url + "/r", timeout=30) as answer:
            assert json.loads(answer.read())["request"] == 0
        outcomes = session.replay("fluid", speed=float("inf")).result(timeout=60)
        assert [o.status for o in outcomes] == ["ok"] * 5
        seen = list(session.iter_events(feed, timeout=0.5))
        health = session.status()["health"]["fluid"]
    assert health["healthy"] and health["requests"]["ok"] == 6
    assert health["launcher"]["state"] == "up" and health["instances"]["crashed"] == 0
    kinds = [event.kind for _model, event in seen]
    assert {model for model, _ in seen} == {"fluid"}
    assert kinds[:3] == ["request_arrived", "instance_starting", "request_assigned"]
    assert kinds.count("response_sent") == 6
    times = [event.t for _, event in seen]
    assert times == sorted(times)
