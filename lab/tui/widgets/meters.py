"""The running meters under a lane panel: the bill so far and what drives it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lab.format import duration_ms, money, percent
from lab.view import Meters

COMPONENT_LABELS = {
    "wall_clock": "wall-clock",
    "active_cpu": "active CPU",
    "provisioned_memory": "memory",
    "invocations": "invocations",
}
SHORT_LABELS = {
    "wall_clock": "wall-clock",
    "active_cpu": "CPU",
    "provisioned_memory": "memory",
    "invocations": "calls",
}


def meters_text(meters: Meters | None, run_total: float | None) -> Text:
    """Five short lines; ``run_total`` is the whole run's bill from the simulator."""
    m = meters or Meters(t=0.0)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("bill ", style="bold")
    text.append(money(m.bill_total), style="bold #f0c674")
    if run_total is not None:
        text.append(" · whole run ", style="dim")
        text.append(money(run_total), style="#f0c674")
    text.append("\n")
    total = m.bill_total
    parts = [
        f"{SHORT_LABELS.get(k, k)} {percent(v / total, 0)}" for k, v in m.bill.items() if total
    ]
    text.append(" = " + " + ".join(parts) if parts else " nothing billed yet", style="dim")
    text.append("\ncold starts ")
    text.append(f"{m.cold_starts}", style="bold #e15759")
    text.append("  p50 ")
    text.append(duration_ms(m.latency_p50_ms), style="bold")
    text.append(" p99 ")
    text.append(duration_ms(m.latency_p99_ms), style="bold")
    text.append("\ninstances ")
    text.append(f"{m.instances_alive}", style="bold")
    text.append(f" up / {m.instances_started} started")
    text.append("\nreq/instance ")
    text.append(f"{m.concurrency_mean:.1f}", style="bold")
    text.append(f" (max {m.concurrency_max}) · CPU eff ")
    text.append(percent(m.cpu_efficiency, 0), style="bold")
    return text


class MetersView(Static):
    """Meters at the clock's time, for one platform model."""

    text = Text()
    """What is on show (tests read it)."""

    def show(self, meters: Meters | None, run_total: float | None) -> None:
        text = meters_text(meters, run_total)
        if text != self.text:  # meters move at their samples, not every frame
            self.text = text
            self.update(text, layout=False)
