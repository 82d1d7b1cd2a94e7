"""Percentiles of a stream of values in bounded memory.

Exact (every value kept) up to ``exact_limit`` values, which covers every animated run; past
that, values go into logarithmic buckets 0.5 % wide, so a percentile is within 0.5 % of the
truth and memory stays a few thousand counters whatever the number of requests.
"""

from __future__ import annotations

import math
from array import array

_RATIO = 1.01
_LOG_RATIO = math.log(_RATIO)
_TINY = 1e-9
_log = math.log


class QuantileSketch:
    __slots__ = ("_buckets", "_exact", "_sorted", "count", "exact_limit", "max", "total")

    def __init__(self, exact_limit: int = 200_000) -> None:
        self.exact_limit = exact_limit
        self._exact: array[float] | None = array("d")
        self._sorted = True
        self._buckets: dict[int, int] = {}
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value > self.max:
            self.max = value
        exact = self._exact
        values: array[float] | tuple[float]
        if exact is None:
            values = (value,)  # past exact_limit: every request comes this way
        else:
            exact.append(value)
            self._sorted = False
            if len(exact) <= self.exact_limit:
                return
            self._exact, values = None, exact  # over the limit: all of them into buckets
        buckets = self._buckets
        for v in values:
            key = -1 if v <= _TINY else int(_log(v / _TINY) / _LOG_RATIO)
            buckets[key] = buckets.get(key, 0) + 1

    def copy(self) -> QuantileSketch:
        """An independent sketch holding the same values."""
        twin = QuantileSketch(self.exact_limit)
        twin._exact = None if self._exact is None else array("d", self._exact)
        twin._sorted = self._sorted
        twin._buckets = dict(self._buckets)
        twin.count, twin.total, twin.max = self.count, self.total, self.max
        return twin

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def quantile(self, q: float) -> float:
        """The q-quantile (0..1), linear interpolation between order statistics when exact."""
        if not self.count:
            return 0.0
        exact = self._exact
        if exact is not None:
            if not self._sorted:
                self._exact = exact = array("d", sorted(exact))
                self._sorted = True
            pos = q * (len(exact) - 1)
            low = int(pos)
            high = min(low + 1, len(exact) - 1)
            return exact[low] + (exact[high] - exact[low]) * (pos - low)
        rank = q * (self.count - 1)
        seen = 0
        for key in sorted(self._buckets):
            seen += self._buckets[key]
            if seen > rank:
                if key < 0:
                    return 0.0
                # geometric middle of the bucket: within half a bucket (0.5 %) of any value in it
                return min(self.max, float(_TINY * _RATIO ** (key + 0.5)))
        return self.max
