"""The platform core on hand-written event sequences: no clock, no simulator, no processes."""

from __future__ import annotations

from typing import Any

from models.platform.core import COLD, QUEUE, REJECT, Keep, PlatformCore, Slot, Unload
from models.policies import FixedRuntime, ScaleToOneRuntime
from models.scenario import PlatformModel, Scenario


def platform(**knobs: Any) -> PlatformModel:
    """The traditional preset (one request per instance) with these knobs."""
    scenario = Scenario.model_validate(
        {
            "name": "core",
            "workload": {
                "arrivals": {"kind": "poisson", "rate": 1.0},
                "requests": 1,
                "routes": [{"name": "/", "work": [{"cpu": 0.1}]}],
            },
            "platforms": {"traditional": {"keep_alive": 600, **knobs}},
        }
    )
    return scenario.platforms["traditional"]


def start(core: PlatformCore[Slot], reason: str = "cold") -> Slot:
    slot = Slot(core.new_id())
    core.started(slot, reason)
    return slot


def test_one_request_instances_cold_then_warm_lowest_id_first() -> None:
    core: PlatformCore[Slot] = PlatformCore(platform(), FixedRuntime(600))
    assert core.arrived(0.0) == COLD
    a = start(core)
    core.assigned(a)
    assert core.arrived(1.0) == COLD  # a cold one-request instance is full from the start
    b = start(core)
    core.assigned(b)
    a.ready = b.ready = True
    assert core.released(b) is None and core.released(a) is None
    assert core.arrived(2.0) is a  # the oldest instance first, so newer ones age out


def test_keep_alive_timer_of_an_older_idle_stretch_is_stale() -> None:
    core: PlatformCore[Slot] = PlatformCore(platform(), FixedRuntime(600))
    core.arrived(0.0)
    a = start(core)
    core.assigned(a)
    core.released(a)
    first = core.idle(a, 5.0)
    assert isinstance(first, Keep) and first.seconds == 600
    assert core.arrived(10.0) is a
    core.assigned(a)
    core.released(a)
    second = core.idle(a, 20.0)
    assert isinstance(second, Keep)
    assert not core.expire(a, first.gen)  # the first idle stretch ended at t=10
    assert core.expire(a, second.gen) and a.recycled and core.alive == 0


def test_max_instances_queue_or_reject_and_queue_drains_on_release() -> None:
    for overflow, answer in (("queue", QUEUE), ("reject", REJECT)):
        core: PlatformCore[Slot] = PlatformCore(
            platform(max_instances=1, overflow=overflow), FixedRuntime(600)
        )
        core.arrived(0.0)
        a = start(core)
        core.assigned(a)
        assert core.arrived(1.0) == answer
    core.queue.append("waiting")
    assert core.released(a) == "waiting"  # the queued request takes the freed instance


def test_min_instances_and_scale_to_one_are_never_recycled() -> None:
    core: PlatformCore[Slot] = PlatformCore(platform(min_instances=1), FixedRuntime(600))
    a = start(core, "min_instances")
    a.ready = True
    assert core.arrived(0.0) is a
    core.assigned(a)
    core.released(a)
    keep = core.idle(a, 1.0)
    assert isinstance(keep, Keep) and not core.expire(a, keep.gen) and core.alive == 1
    last: PlatformCore[Slot] = PlatformCore(platform(), ScaleToOneRuntime(600))
    b = start(last)
    last.assigned(b)
    last.released(b)
    keep = last.idle(b, 1.0)
    assert isinstance(keep, Keep) and not last.expire(b, keep.gen)


def test_prewarm_keeps_spare_slots_ahead_of_demand() -> None:
    core: PlatformCore[Slot] = PlatformCore(platform(prewarm=1), FixedRuntime(600))
    core.arrived(0.0)
    a = start(core)
    core.assigned(a)
    assert core.wants_prewarm()  # no free slot left: start a spare
    start(core, "prewarm")
    assert not core.wants_prewarm()


class _Windows(FixedRuntime):
    """A policy that unloads an idle instance and pre-warms one 30 s later (as hybrid can)."""

    def on_idle(self, now: float, in_flight: int) -> tuple[float, float]:
        return 30.0, 60.0


def test_a_policy_unloads_then_prewarms_unless_demand_came_first() -> None:
    core: PlatformCore[Slot] = PlatformCore(platform(), _Windows(600))
    core.arrived(0.0)
    a = start(core)
    core.assigned(a)
    core.released(a)
    unload = core.idle(a, 2.0)
    assert isinstance(unload, Unload) and a.recycled and core.alive == 0
    assert core.prewarm_due(unload.gen)
    b = start(core, "prewarm")
    b.ready = True
    keep = core.arm(b, unload.keep)
    assert keep is not None and keep.seconds == 60.0
    core.arrived(50.0)  # a request came: a pending pre-warm window is no longer needed
    assert not core.prewarm_due(unload.gen)
