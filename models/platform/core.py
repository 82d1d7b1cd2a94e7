"""The rules of a platform model, as a pure state machine: no clock, no I/O.

A driver tells the core what happened and carries out what it answers. Three drivers exist:
the simpy engine (``models.sim.engine``, animated runs and every event), the live router
(``models.live.placement`` / ``runtime``, a real clock and real processes) and the plain heap
loop (``models.sim.heap``, aggregates only). None of them decides anything the core decides, so
they agree by construction (``tests/test_platform_core.py``).

Event vocabulary (what a driver says, in the order it happened; ``now`` is its clock):

==============================  ===========================================================
driver says                     core answers / does
==============================  ===========================================================
``arrived(now)``                where the request goes: a ``Slot`` with room (``warm`` if
                                ready, ``joined`` if still starting), ``COLD`` (start a new
                                instance: call ``start``), ``QUEUE`` or ``REJECT``
``start(reason)``               a new ``Slot`` (reasons: ``cold``, ``prewarm``,
                                ``min_instances``); the driver boots it
``assigned(slot)``              the slot takes the request; then ``wants_prewarm()`` says
                                whether to start a spare instance now (``prewarm`` knob)
``instance ready``              the driver sets ``slot.ready``; nothing else changes
``released(slot)``              a request left: a queued request to take now, or None
``idle(slot, now)``             the slot has nothing in flight: ``Keep(seconds, gen)`` (wake
                                me after ``seconds`` with ``expire``) or ``Unload(after,
                                keep)`` (it is recycled now; wake me after ``after`` with
                                ``prewarm_due``)
``expire(slot, gen)``           a keep-alive timer is due: True if the slot is recycled now
``prewarm_due(gen)``            a policy's pre-warm window ended: True to start one now;
                                once ready, ``arm(slot, keep)`` answers its timer
==============================  ===========================================================

Placement: a heap of instance ids with room, lowest id first, so traffic packs onto the oldest
instances and newer ones can age out; a cold one-request instance is full from the start; past
``max_instances`` a request queues or is rejected (``overflow``); keep-alive never recycles
below ``min_instances``. Keep-alive is one interface for every policy
(``models.policies.RuntimePolicy``; the fixed timeout is ``FixedRuntime``).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, NamedTuple, TypeAlias, TypeVar

from models.policies import FixedRuntime, RuntimePolicy
from models.scenario import PlatformModel

COLD: Final = "cold"
QUEUE: Final = "queue"
REJECT: Final = "reject"
Cold = Literal["cold"]


@dataclass(eq=False, slots=True)
class Slot:
    """What the core knows of one instance (drivers subclass it with their own state)."""

    id: int
    ready: bool = False
    recycled: bool = False
    inflight: int = 0
    in_heap: bool = False
    idle_gen: int = 0
    """Counts idle stretches and timers: a timer of an older one is stale."""


S = TypeVar("S", bound=Slot)
Decision: TypeAlias = S | Literal["cold", "queue", "reject"]


class Keep(NamedTuple):
    """Keep the idle instance; call ``expire(slot, gen)`` after ``seconds``."""

    seconds: float
    gen: int


class Unload(NamedTuple):
    """The instance was recycled now; call ``prewarm_due(gen)`` after ``after`` seconds, and
    once the pre-warmed instance is ready, ``arm(slot, keep)``."""

    after: float
    keep: float
    gen: int


class PlatformCore(Generic[S]):
    """One deployment of one platform model: placement, assignment, release, keep-alive,
    pre-warm, min/max instances and overflow."""

    __slots__ = (
        "_next",
        "_on_arrival",
        "_prewarm_gen",
        "_room",
        "alive",
        "concurrency",
        "free_slots",
        "instances",
        "max_instances",
        "min_instances",
        "platform",
        "policy",
        "prewarm",
        "queue",
        "queue_on_overflow",
    )

    def __init__(self, platform: PlatformModel, policy: RuntimePolicy) -> None:
        self.platform = platform
        self.policy = policy
        # a policy that does not learn from arrivals (fixed, scale-to-one) is not called
        learns = type(policy).on_arrival is not FixedRuntime.on_arrival
        self._on_arrival = policy.on_arrival if learns else None
        self.concurrency = platform.concurrency
        self.prewarm = platform.prewarm
        self.min_instances = platform.min_instances
        self.max_instances = platform.max_instances
        self.queue_on_overflow = platform.overflow == "queue"
        self.instances: dict[int, S] = {}
        self.queue: deque[Any] = deque()
        """Requests waiting for room (``overflow = "queue"``); the driver appends them."""
        self._room: list[int] = []
        self._next = 0
        self._prewarm_gen = 0
        self.alive = 0
        self.free_slots = 0

    # --- instances ---------------------------------------------------------------------

    def new_id(self) -> int:
        self._next += 1
        return self._next - 1

    def can_start(self) -> bool:
        limit = self.max_instances
        return limit is None or self.alive < limit

    def started(self, slot: S, reason: str) -> None:
        """A new instance (made by the driver with ``new_id``) is starting."""
        self.instances[slot.id] = slot
        self.alive += 1
        self.free_slots += self.concurrency
        if reason != "cold" or self.concurrency > 1:  # a cold one-request instance is full
            self.offer(slot)

    def offer(self, slot: S) -> None:
        """``slot`` may have room: put it back among the candidates."""
        if not slot.in_heap and not slot.recycled:
            slot.in_heap = True
            heapq.heappush(self._room, slot.id)

    def remove(self, slot: S) -> None:
        """The instance is gone (recycled, crashed, or unloaded by a policy)."""
        slot.recycled = True
        self.alive -= 1
        self.free_slots -= self.concurrency - slot.inflight
        self.instances.pop(slot.id, None)

    # --- requests ----------------------------------------------------------------------

    def in_flight(self) -> int:
        return self.alive * self.concurrency - self.free_slots

    def arrived(self, now: float) -> Decision[S]:
        """A request arrived: tell the policy, then place it."""
        self._prewarm_gen += 1  # demand came first: a pending pre-warm is not needed
        if self._on_arrival is not None:
            self._on_arrival(now, self.in_flight())
        return self.place()

    def place(self) -> Decision[S]:
        """Where a request goes: an instance with room, a new one, the queue, or nowhere."""
        room, instances, cap = self._room, self.instances, self.concurrency
        while room:
            slot = instances.get(room[0])
            if slot is not None and slot.inflight < cap:
                return slot
            heapq.heappop(room)
            if slot is not None:
                slot.in_heap = False
        if self.can_start():
            return COLD
        return QUEUE if self.queue_on_overflow else REJECT

    def assigned(self, slot: S) -> None:
        """``slot`` took a request (then the driver asks ``wants_prewarm``)."""
        slot.inflight += 1
        self.free_slots -= 1

    def wants_prewarm(self) -> bool:
        """Whether to start a spare instance now: fewer free slots than ``prewarm`` instances'
        worth, and room under ``max_instances``."""
        prewarm = self.prewarm
        return bool(prewarm) and self.free_slots < prewarm * self.concurrency and self.can_start()

    def released(self, slot: S) -> Any:
        """A request left ``slot``: a queued request it takes now, or None (then, if nothing
        is in flight on it, the driver says ``idle``)."""
        slot.inflight -= 1
        self.free_slots += 1
        if self.queue:
            return self.queue.popleft()
        self.offer(slot)
        return None

    # --- keep-alive --------------------------------------------------------------------

    def idle(self, slot: S, now: float) -> Keep | Unload:
        """``slot`` has nothing in flight: how long to keep it (the policy decides)."""
        slot.idle_gen += 1
        prewarm_after, keep = self.policy.on_idle(now, self.in_flight())
        if prewarm_after > 0 and self.alive > self.min_instances:
            self.remove(slot)  # unload now, pre-warm a fresh instance when the window ends
            self._prewarm_gen += 1
            return Unload(prewarm_after, keep, self._prewarm_gen)
        slot.idle_gen += 1
        return Keep(keep, slot.idle_gen)

    def arm(self, slot: S, keep: float) -> Keep | None:
        """A pre-warmed instance is ready: its keep-alive timer (None if it is busy or gone)."""
        if slot.inflight == 0 and not slot.recycled:
            slot.idle_gen += 1
            return Keep(keep, slot.idle_gen)
        return None

    def expire(self, slot: S, gen: int) -> bool:
        """A keep-alive timer is due: True if the instance is recycled now."""
        if slot.recycled or slot.inflight or slot.idle_gen != gen:
            return False
        if not self.may_recycle():
            return False
        self.remove(slot)
        return True

    def may_recycle(self) -> bool:
        """Whether keep-alive may take an idle instance now."""
        if self.alive <= self.min_instances:
            return False
        return self.policy.may_recycle(self.alive)

    def prewarm_due(self, gen: int) -> bool:
        """A policy's pre-warm window ended: True to start an instance now (no request came
        since, and there is room under ``max_instances``)."""
        return gen == self._prewarm_gen and self.can_start()
