"""Building small scenarios in code for tests."""

from __future__ import annotations

from typing import Any

from models.scenario import Scenario


def make_scenario(
    work: list[Any],
    arrivals: dict[str, Any],
    requests: int | None = None,
    platforms: dict[str, Any] | None = None,
    function: dict[str, Any] | None = None,
    **extra: Any,
) -> Scenario:
    routes = [{"name": "/r", "work": work, **extra.pop("route", {})}]
    extra.pop("workload_routes", None)
    routes += extra.pop("workload_extra_routes", [])
    no_bound = "workload_duration" in extra and extra.pop("workload_duration") is None
    named = arrivals.get("routes")
    if named:  # one route per distinct name, each lazily loading the chunk named like it
        routes = [{"name": n, "chunk": n.strip("/"), "work": work} for n in dict.fromkeys(named)]
    workload: dict[str, Any] = {"arrivals": arrivals, "routes": routes}
    if requests is not None:
        workload["requests"] = requests
    elif no_bound:
        workload["duration"] = 10**9
    data: dict[str, Any] = {
        "name": "test",
        "seed": extra.pop("seed", 3),
        "workload": workload,
        "function": {"memory_mb": 1024, **(function or {})},
    }
    if platforms is not None:
        data["platforms"] = platforms
    data.update(extra)
    return Scenario.model_validate(data)
