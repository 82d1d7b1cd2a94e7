"""Where a request goes: the simulator's routing rules, for the live router.

The same decisions as ``models.sim.engine.PlatformRun`` (kept in step with it by the
live-vs-simulated test): a heap of instance ids with room, lowest id first, so traffic packs onto
the oldest instances and newer ones can age out; a cold one-request instance is full from the
start; a starting instance with room takes new requests (``joined``); past ``max_instances`` the
request queues or is rejected; ``prewarm`` keeps spare slots ahead of demand; keep-alive never
recycles below ``min_instances``, nor (``scale_to_one``) the last instance.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from models.policies import FixedRuntime
from models.scenario import PlatformModel


@dataclass(eq=False)
class Slot:
    """The placement state of one instance."""

    id: int
    ready: bool = False
    recycled: bool = False
    inflight: int = 0
    in_heap: bool = False


Decision = Slot | Literal["cold", "queue", "reject"]


class Placement:
    def __init__(self, platform: PlatformModel, policy: FixedRuntime | None = None) -> None:
        self.platform = platform
        self.policy = policy
        """A fixed-timeout keep-alive policy (``scale_to_one`` keeps the last instance)."""
        self.concurrency = platform.concurrency
        self.instances: dict[int, Slot] = {}
        self.queue: deque[Any] = deque()
        self._room: list[int] = []
        self._next = 0
        self.alive = 0
        self.free_slots = 0

    def new_id(self) -> int:
        self._next += 1
        return self._next - 1

    def can_start(self) -> bool:
        limit = self.platform.max_instances
        return limit is None or self.alive < limit

    def started(self, inst: Slot, reason: str) -> None:
        self.instances[inst.id] = inst
        self.alive += 1
        self.free_slots += self.concurrency
        if reason != "cold" or self.concurrency > 1:  # a cold one-request instance is full
            self.offer(inst)

    def offer(self, inst: Slot) -> None:
        if not inst.in_heap and not inst.recycled:
            inst.in_heap = True
            heapq.heappush(self._room, inst.id)

    def _pick(self) -> Slot | None:
        room, instances, cap = self._room, self.instances, self.concurrency
        while room:
            inst = instances.get(room[0])
            if inst is not None and inst.inflight < cap:
                return inst
            heapq.heappop(room)
            if inst is not None:
                inst.in_heap = False
        return None

    def place(self) -> Decision:
        inst = self._pick()
        if inst is not None:
            return inst
        if self.can_start():
            return "cold"
        return "queue" if self.platform.overflow == "queue" else "reject"

    def assigned(self, inst: Slot) -> None:
        inst.inflight += 1
        self.free_slots -= 1

    def wants_prewarm(self) -> bool:
        prewarm = self.platform.prewarm
        return bool(prewarm) and self.free_slots < prewarm * self.concurrency and self.can_start()

    def release(self, inst: Slot) -> Any:
        """A request left ``inst``; returns a queued request it should take now, if any."""
        inst.inflight -= 1
        self.free_slots += 1
        if self.queue:
            return self.queue.popleft()
        self.offer(inst)
        return None

    def expire(self, inst: Slot) -> bool:
        """Keep-alive ran out; True if the instance is recycled now."""
        if inst.recycled or inst.inflight or not self.may_recycle():
            return False
        self.remove(inst)
        return True

    def may_recycle(self) -> bool:
        """Whether keep-alive may take an idle instance now (the simulator's ``_expire``)."""
        if self.alive <= self.platform.min_instances:
            return False
        return self.policy is None or self.policy.may_recycle(self.alive)

    def remove(self, inst: Slot) -> None:
        inst.recycled = True
        self.alive -= 1
        self.free_slots -= self.concurrency - inst.inflight
        self.instances.pop(inst.id, None)
