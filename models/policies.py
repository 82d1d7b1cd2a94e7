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
  request in flight to its next arrival, in 1-minute bins over a 4-hour range. Each time the
  function goes idle it is in one of four states (``HistogramRuntime.pattern``):

  - ``histogram`` (representative: at least ``min_samples`` idle times, at most
    ``max_out_of_bounds`` of them beyond the range, and a coefficient of variation of the bin
    counts of at least ``cv_threshold``): pre-warm window = 5th percentile (head) of the idle
    times minus a 10 % margin; keep-alive window = 99th percentile (tail) plus a 10 % margin,
    minus the pre-warm window. With a non-zero pre-warm window the instance is unloaded at
    once and a new one is started (pre-warmed) when the window ends, then kept for the
    keep-alive window.
  - ``learning`` (fewer than ``min_samples`` idle times) and ``uncertain`` (a low CV: idle
    times spread out, no pattern): the paper's fallback, no pre-warm and a keep-alive of the
    whole histogram range (4 h), so the app stays loaded while the policy learns.
    ``fallback_keep_alive`` replaces the range if set (``"10min"`` makes hybrid-while-learning
    the fixed 10-minute policy). ``min_samples`` is the lab's knob, not the paper's (the
    paper trusts the CV alone; ``min_samples = 1`` comes closest).
  - ``out_of_bounds`` (more than ``max_out_of_bounds`` of the idle times beyond the range):
    the paper forecasts the next idle time with an ARIMA model and pre-warms at the forecast
    minus a 15 % margin, keeping the instance for twice that margin. We do not fit ARIMA
    models; the stated approximation is simple exponential smoothing of the idle times,
    ``forecast = a * idle + (1 - a) * forecast`` with ``a = forecast_smoothing`` (0.5),
    which is the forecast of an ARIMA(0,1,1) model with a fixed coefficient (``theta = 1 -
    a``) instead of a fitted one. Windows: pre-warm ``(1 - forecast_margin) * forecast``,
    keep-alive ``2 * forecast_margin * forecast`` (``forecast_margin`` = 0.15, as in the
    paper), at least one bin.

  Modelling choice: the paper decides when a whole app is loaded (one unit); here the
  windows apply to the instance that goes idle when the function goes idle. An instance that
  goes idle while other requests still run on the function (a one-request-per-instance
  platform under load) is a *spare*: the function is not idle, so the paper's rule does not
  speak to it. With a representative histogram the spare is kept for pre-warm + keep-alive
  (the window in which the next request is expected), not unloaded; otherwise for
  ``spare_keep_alive`` (10 min, the fixed baseline) -- holding every spare of a startup burst
  for the 4-hour fallback would charge the whole burst's memory for hours. For busy
  functions (idle times all under one bin) the window is the tail, 1.1 bins (66 s), so spare
  instances go sooner than under a 10-minute timeout: less idle memory, more cold starts on
  traditional platforms (``lab replay`` reports each function's idle profile).
  The paper's own measure (per app, one image loaded or not, cold-start percentage of the
  75th-percentile app against wasted memory time normalised to fixed 10 minutes) is
  ``models.replay.paper``; it asks ``HistogramRuntime.idle_windows`` for the windows after each
  busy period, with ``min_samples = 1`` (the paper's rule). Finding the head and tail bins is
  O(1) per idle time in the common case: the bins found last time are checked first
  (``_cursors``), and a run of idle times landing in the one bin that holds both percentiles
  is added in one step (the windows cannot change; tested equal to the call-per-period loop).
* ``scale_to_one``: like fixed, but the last instance of the function is never recycled, so
  after its first cold start the function always has one warm instance.

Policies only decide timeouts; the simulator asks them at three moments (see
``models.sim.engine``): a request arrives, an instance goes idle, an idle timer expires.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Protocol

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
    fallback_keep_alive: Seconds | None = Field(
        default=None,
        description="keep-alive while the histogram is not representative (default: the "
        "histogram range, as in the paper)",
    )
    spare_keep_alive: Seconds = Field(
        default=600.0,
        description="keep-alive of a spare instance (idle while the function still runs other "
        "requests) when the histogram is not representative",
    )
    forecast_smoothing: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="out of bounds: weight of the latest idle time in the forecast "
        "(exponential smoothing, our stand-in for the paper's ARIMA)",
    )
    forecast_margin: float = Field(
        default=0.15, ge=0, lt=1, description="out of bounds: margin around the forecast"
    )

    @property
    def fallback(self) -> float:
        """The keep-alive while the histogram is not representative (the range by default)."""
        return self.range if self.fallback_keep_alive is None else self.fallback_keep_alive

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


Pattern = Literal["learning", "histogram", "uncertain", "out_of_bounds"]
"""What the hybrid policy makes of a function's idle times (see the module docstring)."""


class HistogramRuntime:
    """The hybrid histogram policy, learning idle times online as requests arrive."""

    __slots__ = (
        "_cursors",
        "_idle_since",
        "_sumsq",
        "counts",
        "forecast",
        "idle_by_pattern",
        "out_of_bounds",
        "samples",
        "spec",
        "state",
        "windows",
    )

    def __init__(self, spec: HybridPolicy) -> None:
        self.spec = spec
        self.counts = [0] * max(1, math.ceil(spec.range / spec.bin))
        self.samples = 0
        self.out_of_bounds = 0
        self.forecast = 0.0
        self._sumsq = 0
        self._idle_since = -1.0
        self.state: Pattern = "learning"
        self.windows = (0.0, spec.fallback)
        self.idle_by_pattern: dict[str, int] = {}
        """How many times the function went idle in each state (for reports)."""
        self._cursors: dict[float, list[int]] = {}
        """Per percentile: ``[bin, idle times in the bins below it]`` where it was last found,
        so a new idle time usually costs O(1) instead of a scan of the bins."""

    def on_arrival(self, now: float, in_flight: int) -> None:
        if in_flight == 0 and self._idle_since >= 0:
            self.observe(now - self._idle_since)
        self._idle_since = -1.0

    def observe(self, idle_time: float) -> None:
        """Add one idle time to the histogram and recompute the windows."""
        idle_time = max(0.0, idle_time)  # overlapping busy periods are no idle time
        self.samples += 1
        a = self.spec.forecast_smoothing
        self.forecast = idle_time if self.samples == 1 else a * idle_time + (1 - a) * self.forecast
        index = int(idle_time // self.spec.bin)
        if index >= len(self.counts):
            self.out_of_bounds += 1
        else:
            count = self.counts[index]
            self._sumsq += 2 * count + 1  # (c + 1)^2 - c^2, so the CV costs O(1)
            self.counts[index] = count + 1
            for cursor in self._cursors.values():
                if index < cursor[0]:
                    cursor[1] += 1
        state = self.pattern()
        if state == "histogram" == self.state and self._cursors_hold():
            return  # the head and tail bins did not move: the same windows
        self.state = state
        self.windows = self._windows(state)

    def idle_windows(
        self, starts: Sequence[float], ends: Sequence[float]
    ) -> tuple[list[float], list[float]]:
        """``on_idle``'s answer at each ``ends[k]``, the idle time before each ``starts[k]``
        observed first (``on_arrival``), for busy periods in time order with nothing in flight
        between them: the per-app loop of the paper's simulator (``models.replay.paper``).

        The same answers as calling ``on_arrival`` and ``on_idle`` for each period; a run of
        idle times that all fall in the one bin holding both the head and the tail percentile
        (a busy app: thousands of sub-minute gaps) is added in one step, since such idle times
        cannot move either percentile or lower the CV (``_steady_bin``).
        """
        n = len(starts)
        prewarm = [0.0] * n
        keep = [0.0] * n
        width = self.spec.bin
        k = 0
        while k < n:
            if k:
                b = self._steady_bin()
                m = 0
                if b is not None:
                    while k + m < n and int((starts[k + m] - ends[k + m - 1]) // width) == b:
                        m += 1
                if m and b is not None:
                    self._observe_run([starts[j] - ends[j - 1] for j in range(k, k + m)], b)
                    p, w = self.windows
                    prewarm[k : k + m] = [p] * m
                    keep[k : k + m] = [w] * m
                    self.idle_by_pattern["histogram"] = self.idle_by_pattern.get("histogram", 0) + m
                    self._idle_since = ends[k + m - 1]
                    k += m
                    continue
                self.on_arrival(starts[k], 0)
            prewarm[k], keep[k] = self.on_idle(ends[k], 0)
            k += 1
        return prewarm, keep

    def _steady_bin(self) -> int | None:
        """The bin holding both the head and the tail percentile, if the histogram sets the
        windows: idle times landing there leave the windows as they are (the bin is the
        fullest, so adding to it cannot lower the CV; the percentiles stay inside it)."""
        if self.state != "histogram" or not self._cursors_hold():
            return None
        head = self._cursors[self.spec.head_percentile][0]
        tail = self._cursors[self.spec.tail_percentile][0]
        return head if head == tail else None

    def _observe_run(self, idle_times: list[float], index: int) -> None:
        """``observe`` of idle times that all fall in bin ``index`` = ``_steady_bin()``."""
        m = len(idle_times)
        a = self.spec.forecast_smoothing
        forecast = self.forecast
        for idle_time in idle_times:  # the same operations as observe, in the same order
            forecast = a * idle_time + (1 - a) * forecast
        self.forecast = forecast
        count = self.counts[index]
        self._sumsq += 2 * count * m + m * m  # sum of (c + j + 1)^2 - (c + j)^2
        self.counts[index] = count + m
        self.samples += m
        for cursor in self._cursors.values():
            if index < cursor[0]:
                cursor[1] += m

    def _cursors_hold(self) -> bool:
        """Whether the head and tail percentiles are still in the bins found last time."""
        spec = self.spec
        in_range = self.samples - self.out_of_bounds
        counts = self.counts
        for pct in (spec.head_percentile, spec.tail_percentile):
            cursor = self._cursors.get(pct)
            if cursor is None:
                return False
            index, below = cursor
            target = pct / 100.0 * in_range
            count = counts[index]
            if not (count and below + count >= target and (below < target or below == 0)):
                return False
        return True

    def on_idle(self, now: float, in_flight: int) -> tuple[float, float]:
        if in_flight == 0:
            self._idle_since = now
            self.idle_by_pattern[self.state] = self.idle_by_pattern.get(self.state, 0) + 1
            return self.windows
        # other requests still run: the function is not idle and this instance is a spare.
        # With a histogram, keep it for the whole window in which the next request is
        # expected; without one, the paper's "keep the app loaded" is met by the busy
        # instances, so the spare gets ``spare_keep_alive``
        if self.state != "histogram":
            return 0.0, self.spec.spare_keep_alive
        prewarm, keep = self.windows
        return 0.0, prewarm + keep

    def may_recycle(self, alive: int) -> bool:
        return True

    def pattern(self) -> Pattern:
        """``learning``, ``out_of_bounds``, ``uncertain`` or ``histogram`` (module docstring)."""
        spec = self.spec
        if self.samples < spec.min_samples:
            return "learning"
        in_range = self.samples - self.out_of_bounds
        if self.out_of_bounds > spec.max_out_of_bounds * self.samples or in_range == 0:
            return "out_of_bounds"
        n = len(self.counts)
        mean = in_range / n
        var = max(0.0, self._sumsq / n - mean * mean)
        return "histogram" if math.sqrt(var) / mean >= spec.cv_threshold else "uncertain"

    def representative(self) -> bool:
        """Whether the histogram itself sets the windows."""
        return self.pattern() == "histogram"

    def compute_windows(self) -> tuple[float, float]:
        """``(prewarm, keep_alive)`` from the histogram, the forecast, or the fallback."""
        return self._windows(self.pattern())

    def _windows(self, state: Pattern) -> tuple[float, float]:
        spec = self.spec
        if state == "out_of_bounds":
            prewarm = self.forecast * (1.0 - spec.forecast_margin)
            return prewarm, max(2.0 * spec.forecast_margin * self.forecast, spec.bin)
        if state != "histogram":
            return 0.0, spec.fallback
        in_range = self.samples - self.out_of_bounds
        head = self._percentile(spec.head_percentile, in_range, upper=False)
        tail = self._percentile(spec.tail_percentile, in_range, upper=True)
        prewarm = max(0.0, head * (1.0 - spec.margin))
        keep = tail * (1.0 + spec.margin) - prewarm
        return prewarm, max(keep, spec.bin)

    def median_idle(self) -> float | None:
        """The median idle time (upper edge of its bin; the range if beyond it), if any."""
        if not self.samples:
            return None
        return self._percentile(50.0, self.samples, upper=True)

    def summary(self) -> dict[str, Any]:
        """What the policy learned about the function, for reports."""
        prewarm, keep = self.windows
        return {
            "pattern": self.state,
            "idle_periods": self.samples,
            "idle_beyond_range": self.out_of_bounds,
            "median_idle_s": self.median_idle(),
            "prewarm_s": prewarm,
            "keep_alive_s": keep,
            "idle_by_pattern": dict(self.idle_by_pattern),
        }

    def _percentile(self, pct: float, total: int, upper: bool) -> float:
        """Lower (head) or upper (tail) edge of the bin holding the ``pct`` percentile: the
        first non-empty bin where the running count reaches ``pct`` % of ``total``.

        The bin found last time is checked first (with the count below it kept up to date by
        ``observe``); the bins are scanned only when the percentile has moved out of it.
        """
        target = pct / 100.0 * total
        counts = self.counts
        cursor = self._cursors.get(pct)
        if cursor is not None:
            index, below = cursor
            count = counts[index]
            if count and below + count >= target and (below < target or below == 0):
                return (index + 1 if upper else index) * self.spec.bin
        seen = 0
        for index, count in enumerate(counts):
            if count and seen + count >= target:
                self._cursors[pct] = [index, seen]
                return (index + 1 if upper else index) * self.spec.bin
            seen += count
        return len(counts) * self.spec.bin


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
