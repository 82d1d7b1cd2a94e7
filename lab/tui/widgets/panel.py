"""One platform model's side of the playground: title, arrival strip, lanes, meters."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from lab.tui.raster import SpanArrays
from lab.tui.widgets.lanes import ArrivalStrip, LanesView
from lab.tui.widgets.meters import MetersView
from lab.view import Frame, Timeline, state_at
from models.run import ModelResult
from models.scenario import PlatformModel

BILLING = {"wall_clock": "wall-clock", "active_cpu": "active CPU"}


def panel_title(model: str, platform: PlatformModel) -> str:
    per = "1" if platform.concurrency == 1 else f"≤{platform.concurrency}"
    billing = BILLING.get(platform.billing, "")
    return f"[b]{model}[/b] [dim]({per}/instance, bills {billing})[/dim]"


class ModelPanel(Vertical):
    def __init__(self, model: str) -> None:
        super().__init__(id=f"panel-{model}", classes="model-panel")
        self.model = model
        self.timeline: Timeline | None = None
        self.result: ModelResult | None = None
        self.frame: Frame | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.model, classes="panel-title")
        yield ArrivalStrip()
        yield LanesView(self.model, id=f"lanes-{self.model}")
        yield MetersView(id=f"meters-{self.model}")

    def set_run(
        self,
        timeline: Timeline,
        result: ModelResult,
        platform: PlatformModel,
        spans: SpanArrays | None = None,
    ) -> None:
        self.timeline, self.result = timeline, result
        self.query_one(".panel-title", Static).update(panel_title(self.model, platform))
        self.query_one(ArrivalStrip).set_timeline(timeline)
        self.query_one(LanesView).set_timeline(timeline, spans)

    def on_mount(self) -> None:
        self._parts = (
            self.query_one(ArrivalStrip),
            self.query_one(LanesView),
            self.query_one(MetersView),
        )

    def show(self, t: float, window: float) -> None:
        if self.timeline is None or self.result is None:
            return
        self.frame = frame = state_at(self.timeline, t)
        t0 = t - window
        arrivals, lanes, meters = self._parts
        arrivals.show(t0, t)
        lanes.show(frame, t0, t)
        meters.show(frame.meters, self.result.bill.total)
