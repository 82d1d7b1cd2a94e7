"""Keep-alive policies: how long an idle instance is kept, and when one is pre-warmed.

A platform model's ``keep_alive_policy`` picks one (default: none, which means the fixed
``keep_alive`` of the platform, the simulator's original behaviour)::

    [platforms.traditional.keep_alive_policy]
    kind = "hybrid"          # or "fixed" (keep_alive = "20min"), or "scale_to_one"

* ``fixed``: every idle instance is recycled after ``keep_alive`` (AWS Lambda used 10 min,
  Azure Functions 20 min at the time of the paper below).
* ``hybrid``: the hybrid histogram policy of Shahrad et al., "Serverless in the Wild",
  USENIX ATC 2020, section 4.2. The policy learns, per application (here: per deployed
  function), a histogram of *idle times*: the time from the moment the function has no
  request in flight to its next arrival, in 1-minute bins over a 4-hour range. From it:

  - pre-warm window = 5th percentile (head) of the idle times, minus a 10 % margin;
  - keep-alive window = 99th percentile (tail) plus a 10 % margin, minus the pre-warm window.

  When the function goes idle with a non-zero pre-warm window, its instance is unloaded at
  once and a new one is started (pre-warmed) when the window ends, then kept for the
  keep-alive window. When the histogram is not representative -- fewer than ``min_samples``
  idle times, a coefficient of variation of the bin counts below ``cv_threshold`` (idle times
  spread out, no pattern), or too many idle times beyond the range -- the policy falls back to
  a fixed keep-alive (``fallback_keep_alive``). The paper then keeps the app for the whole
  histogram range, or forecasts with ARIMA for out-of-range idle times; we do neither (a
  stated simplification: ``fallback_keep_alive = "4h"`` reproduces the first).
* ``scale_to_one``: like fixed, but the last instance of the function is never recycled, so
  after its first cold start the function always has one warm instance.

Policies only decide timeouts; the simulator asks them at three moments (see
``models.sim.engine``): a request arrives, an instance goes idle, an idle timer expires.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.durations import Seconds


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FixedPolicy(_Frozen):
    """Recycle every idle instance after ``keep_alive``."""

    kind: Literal["fixed"]
    keep_alive: Seconds = Field(description="idle time before an instance is recycled")


class HybridPolicy(_Frozen):
    """The hybrid histogram policy of "Serverless in the Wild" (see the module docstring)."""

    kind: Literal["hybrid"]
    bin: Seconds = Field(default=60.0, gt=0, description="histogram bin width")
    range: Seconds = Field(default=4 * 3600.0, gt=0, description="histogram range")
    head_percentile: float = Field(default=5.0, ge=0, le=100)
    tail_percentile: float = Field(default=99.0, ge=0, le=100)
    margin: float = Field(default=0.10, ge=0, le=1, description="10 % in the paper")
    min_samples: int = Field(default=10, ge=1, description="idle times needed to trust it")
    cv_threshold: float = Field(
        default=2.0, ge=0, description="below this CV of the bin counts: not representative"
    )
    max_out_of_bounds: float = Field(
        default=0.5, ge=0, le=1, description="share of idle times beyond the range tolerated"
    )
    fallback_keep_alive: Seconds = Field(
        default=600.0, description="fixed keep-alive while the histogram is not representative"
    )

    @model_validator(mode="after")
    def _ordered(self) -> HybridPolicy:
        if self.head_percentile > self.tail_percentile:
            raise ValueError("expected head_percentile <= tail_percentile")
        if self.range < self.bin:
            raise ValueError("expected range >= bin")
        return self


class ScaleToOnePolicy(_Frozen):
    """Fixed keep-alive, except that the function's last instance is kept."""

    kind: Literal["scale_to_one"]
    keep_alive: Seconds = Field(default=600.0, description="for instances beyond the last one")


KeepAlivePolicy = Annotated[
    FixedPolicy | HybridPolicy | ScaleToOnePolicy, Field(discriminator="kind")
]


# --- what the simulator consults ---------------------------------------------------------


class RuntimePolicy(Protocol):
    """The live side of a policy, one per simulated function (it learns as the run goes)."""

    def on_arrival(self, now: float, in_flight: int) -> None:
        """A request arrives; ``in_flight`` requests were running before it."""

    def on_idle(self, now: float, in_flight: int) -> tuple[float, float]:
        """An instance went idle; ``in_flight`` requests still run on the function.

        Returns ``(prewarm_after, keep_alive)``: with ``prewarm_after > 0`` the instance is
        unloaded now and a fresh one is pre-warmed after that many seconds, then kept for
        ``keep_alive`` once ready; otherwise the idle instance is kept for ``keep_alive``.
        """

    def may_recycle(self, alive: int) -> bool:
        """An idle timer expired with ``alive`` instances up: may this one go?"""


class FixedRuntime:
    __slots__ = ("keep_alive",)

    def __init__(self, keep_alive: float) -> None:
        self.keep_alive = keep_alive

    def on_arrival(self, now: float, in_flight: int) -> None:
        return None

    def on_idle(self, now: float, in_flight: int) -> tuple[float, float]:
        return 0.0, self.keep_alive

    def may_recycle(self, alive: int) -> bool:
        return True


class ScaleToOneRuntime(FixedRuntime):
    __slots__ = ()

    def may_recycle(self, alive: int) -> bool:
        return alive > 1


class HistogramRuntime:
    """The hybrid histogram policy, learning idle times online as requests arrive."""

    __slots__ = ("_idle_since", "_sumsq", "counts", "out_of_bounds", "samples", "spec", "windows")

    def __init__(self, spec: HybridPolicy) -> None:
        self.spec = spec
        self.counts = [0] * max(1, math.ceil(spec.range / spec.bin))
        self.samples = 0
        self.out_of_bounds = 0
        self._sumsq = 0
        self._idle_since = -1.0
        self.windows = (0.0, spec.fallback_keep_alive)

    def on_arrival(self, now: float, in_flight: int) -> None:
        if in_flight == 0 and self._idle_since >= 0:
            self.observe(now - self._idle_since)
        self._idle_since = -1.0

    def observe(self, idle_time: float) -> None:
        """Add one idle time to the histogram and recompute the windows."""
        self.samples += 1
        index = int(idle_time // self.spec.bin)
        if index >= len(self.counts):
            self.out_of_bounds += 1
        else:
            count = self.counts[index]
            self._sumsq += 2 * count + 1  # (c + 1)^2 - c^2, so the CV costs O(1)
            self.counts[index] = count + 1
        self.windows = self.compute_windows()

    def on_idle(self, now: float, in_flight: int) -> tuple[float, float]:
        if in_flight == 0:
            self._idle_since = now
            return self.windows
        # other requests still run: this function is not idle, keep the spare instance for
        # the whole window in which the next request is expected
        prewarm, keep = self.windows
        return 0.0, prewarm + keep

    def may_recycle(self, alive: int) -> bool:
        return True

    def representative(self) -> bool:
        spec = self.spec
        if self.samples < spec.min_samples:
            return False
        if self.out_of_bounds > spec.max_out_of_bounds * self.samples:
            return False
        n = len(self.counts)
        in_range = self.samples - self.out_of_bounds
        if in_range == 0:
            return False
        mean = in_range / n
        var = max(0.0, self._sumsq / n - mean * mean)
        return math.sqrt(var) / mean >= spec.cv_threshold

    def compute_windows(self) -> tuple[float, float]:
        """``(prewarm, keep_alive)`` from the histogram, or the fixed fallback."""
        spec = self.spec
        if not self.representative():
            return 0.0, spec.fallback_keep_alive
        in_range = self.samples - self.out_of_bounds
        head = self._percentile(spec.head_percentile, in_range, upper=False)
        tail = self._percentile(spec.tail_percentile, in_range, upper=True)
        prewarm = max(0.0, head * (1.0 - spec.margin))
        keep = tail * (1.0 + spec.margin) - prewarm
        return prewarm, max(keep, spec.bin)

    def _percentile(self, pct: float, total: int, upper: bool) -> float:
        """Lower (head) or upper (tail) edge of the bin holding the ``pct`` percentile."""
        target = pct / 100.0 * total
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if count and seen >= target:
                return (index + 1 if upper else index) * self.spec.bin
        return len(self.counts) * self.spec.bin


def runtime_policy(spec: KeepAlivePolicy | None) -> RuntimePolicy | None:
    """The live policy for one run, or None for the engine's built-in fixed keep-alive."""
    if spec is None or isinstance(spec, FixedPolicy):
        return None
    if isinstance(spec, ScaleToOnePolicy):
        return ScaleToOneRuntime(spec.keep_alive)
    return HistogramRuntime(spec)


def effective_keep_alive(spec: KeepAlivePolicy | None, default: float) -> float:
    """The fixed timeout the engine uses when no runtime policy is needed."""
    if isinstance(spec, FixedPolicy):
        return spec.keep_alive
    return default
