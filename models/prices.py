"""Published price lists, kept as named presets in ``assets/prices/*.toml``.

A platform model names a preset (``prices = "vercel-fluid-iad1"``) or writes a whole price list
inline. Every preset carries its source and the date it was read, so a bill can say where its
rates come from.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

BillingKind = Literal["wall_clock", "active_cpu"]


class PriceList(BaseModel):
    """One provider's list prices for one billing formula, in USD."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom"
    title: str = ""
    billing: BillingKind
    wall_clock_per_gb_hour: float | None = Field(default=None, ge=0)
    active_cpu_per_hour: float | None = Field(default=None, ge=0)
    provisioned_memory_per_gb_hour: float | None = Field(default=None, ge=0)
    invocations_per_million: float = Field(default=0.0, ge=0)
    currency: Literal["USD"] = "USD"
    as_of: str = ""
    sources: tuple[str, ...] = ()
    notes: str = ""

    @model_validator(mode="after")
    def _rates_for_formula(self) -> PriceList:
        if self.billing == "wall_clock" and self.wall_clock_per_gb_hour is None:
            raise ValueError("a wall_clock price list needs wall_clock_per_gb_hour")
        if self.billing == "active_cpu" and (
            self.active_cpu_per_hour is None or self.provisioned_memory_per_gb_hour is None
        ):
            raise ValueError(
                "an active_cpu price list needs active_cpu_per_hour and "
                "provisioned_memory_per_gb_hour"
            )
        return self


@functools.cache
def price_presets() -> dict[str, PriceList]:
    """Every price list shipped in ``assets/prices``, by name."""
    presets: dict[str, PriceList] = {}
    folder = resources.files("assets").joinpath("prices")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        for name, table in tomllib.loads(entry.read_text(encoding="utf-8")).items():
            presets[name] = PriceList(name=name, **table)
    return presets


def price_preset(name: str) -> PriceList:
    """The preset called ``name``; ValueError listing the known names otherwise."""
    presets = price_presets()
    if name not in presets:
        raise ValueError(f"expected a price preset ({', '.join(presets)}) or an inline price table")
    return presets[name]
