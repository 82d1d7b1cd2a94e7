"""Bills from measured usage: the two formulas the lab compares.

* wall-clock (traditional): memory (GB) x billed request duration (hours) x price per GB-hour,
  I/O waits included, plus invocations.
* active CPU (Fluid): active CPU hours x CPU price + memory (GB) x hours with at least one
  request in flight x provisioned-memory price, plus invocations.

Both take a ``Usage`` measured from events (``models.metrics``), so whatever produced the events
(simulator or live runtime) is billed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.metrics import Usage
from models.prices import PriceList


@dataclass(frozen=True, slots=True)
class Bill:
    """A bill in USD, with the price list it came from."""

    components: dict[str, float]
    prices: PriceList

    @property
    def total(self) -> float:
        return sum(self.components.values())

    def as_dict(self) -> dict[str, float]:
        return {"total": self.total, **self.components}


def bill(usage: Usage, prices: PriceList) -> Bill:
    invocations = usage.invocations * prices.invocations_per_million / 1e6
    if prices.billing == "wall_clock":
        rate = prices.wall_clock_per_gb_hour or 0.0
        components = {
            "wall_clock": usage.memory_gb * usage.wall_clock_s / 3600 * rate,
            "invocations": invocations,
        }
    else:
        cpu_rate = prices.active_cpu_per_hour or 0.0
        memory_rate = prices.provisioned_memory_per_gb_hour or 0.0
        components = {
            "active_cpu": usage.active_cpu_s / 3600 * cpu_rate,
            "provisioned_memory": usage.memory_gb * usage.provisioned_s / 3600 * memory_rate,
            "invocations": invocations,
        }
    return Bill(components, prices)
