"""Where a request goes in the live router: the platform core, on a real clock.

``models.platform.core.PlatformCore`` decides (the same object the simulator drives), so live
placement follows the simulator's rules by construction: a heap of instance ids with room,
lowest id first; a cold one-request instance is full from the start; a starting instance with
room takes new requests (``joined``); past ``max_instances`` the request queues or is rejected;
``prewarm`` keeps spare slots ahead of demand; keep-alive never recycles below
``min_instances``, nor (``scale_to_one``) the last instance. The router
(``models.live.runtime``) keeps its own asyncio timer per idle instance and asks ``expire``.
"""

from __future__ import annotations

from typing import Any

from models.platform.core import Decision, PlatformCore, Slot
from models.policies import FixedRuntime
from models.scenario import PlatformModel

__all__ = ["Decision", "Placement", "Slot"]


class Placement(PlatformCore[Slot]):
    """The core with the router's names (``release``; ``expire`` of the current idle stretch)."""

    def __init__(self, platform: PlatformModel, policy: FixedRuntime | None = None) -> None:
        # the router times keep-alive itself; the policy only says whether an instance may go
        super().__init__(platform, policy or FixedRuntime(platform.keep_alive))

    def release(self, inst: Slot) -> Any:
        """A request left ``inst``; returns a queued request it should take now, if any."""
        return self.released(inst)

    def expire(self, slot: Slot, gen: int | None = None) -> bool:
        """Keep-alive ran out; True if the instance is recycled now."""
        return super().expire(slot, slot.idle_gen if gen is None else gen)
